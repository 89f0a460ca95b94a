"""The execution role: assumed by AgentCore to run the container. Its trust and its core
permissions (image pull, workload identity, model invocation); the telemetry share is in
`telemetry`.

Sources: AgentCore "IAM Permissions for AgentCore Runtime".
"""

from collections.abc import Sequence

from ..bedrock_models import model_invoke_statements
from .arns import runtime_arn_pattern, workload_identity_arn_pattern, workload_identity_directory_arn
from .documents import PolicyDocument, Statement, allow, document

AGENTCORE_SERVICE = "bedrock-agentcore.amazonaws.com"

def execution_trust_policy(*, partition: str, region: str, account_id: str, runtime_name: str) -> PolicyDocument:
    """Only AgentCore, only for this account, only on behalf of this runtime (confused-deputy guard)."""
    return document(
        [
            {
                "Sid": "AgentCoreRuntimeAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": AGENTCORE_SERVICE},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": runtime_arn_pattern(partition, region, account_id, runtime_name)},
                },
            }
        ]
    )


def execution_core_statements(
    *,
    partition: str,
    region: str,
    account_id: str,
    runtime_name: str,
    model_ids: Sequence[str],
    repository_arn: str | None,
    jwt_authorizer: bool,
) -> list[Statement]:
    """Image pull, workload identity and model invocation: what the runtime needs to start and think.

    `repository_arn` is None for an ECR Public image (pulling it needs no IAM permission).
    With a JWT authorizer the runtime exchanges the caller's token (GetWorkloadAccessTokenForJWT);
    `...ForUserId`, which mints tokens for any caller-supplied user id, is granted only without one,
    as AWS's runtime permissions page recommends.
    """
    statements: list[Statement] = []
    if repository_arn is not None:
        statements.append(allow("EcrImagePull", ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], [repository_arn]))
        statements.append(allow("EcrAuthorizationToken", ["ecr:GetAuthorizationToken"], "*"))
    token_actions = ["bedrock-agentcore:GetWorkloadAccessToken", "bedrock-agentcore:GetWorkloadAccessTokenForJWT"]
    if not jwt_authorizer:
        token_actions.append("bedrock-agentcore:GetWorkloadAccessTokenForUserId")
    statements.append(
        allow(
            "WorkloadAccessToken",
            token_actions,
            [
                workload_identity_directory_arn(partition, region, account_id),
                workload_identity_arn_pattern(partition, region, account_id, runtime_name),
            ],
        )
    )
    statements.extend(
        model_invoke_statements(partition=partition, region=region, account_id=account_id, model_ids=list(model_ids))
    )
    return statements

