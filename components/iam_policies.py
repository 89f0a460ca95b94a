"""The IAM documents of the runtime, its image and its roles, as plain data built from plain strings
(the telemetry statements of both roles live in `observability`, next to the names they scope to).

Partition, account and region come in as arguments (the component reads them from the provider),
so each ARN is right in every partition; nothing here hard-codes `arn:aws`. Actions are exact
(no wildcards), every resource is this stack's own, and `"Resource": "*"` appears only for
actions that AWS authorises on `*` alone (no resource-level permissions); the tests check both
against the IAM catalogue.

Sources: AgentCore "IAM Permissions for AgentCore Runtime" (execution role), the
AWS::BedrockAgentCore::Runtime / RuntimeEndpoint handler permissions in the CloudFormation schema
(what creating and updating the resources calls; aws-native drives them through Cloud Control,
which calls them with the deployer's credentials), and GitHub's OIDC guide for AWS.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .bedrock_models import model_invoke_statements

Statement = dict[str, Any]
PolicyDocument = dict[str, Any]

POLICY_VERSION = "2012-10-17"
AGENTCORE_SERVICE = "bedrock-agentcore.amazonaws.com"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"


def document(statements: Sequence[Statement]) -> PolicyDocument:
    return {"Version": POLICY_VERSION, "Statement": list(statements)}


def allow(sid: str, actions: Sequence[str], resources: Sequence[str] | str, condition: dict[str, Any] | None = None) -> Statement:
    statement: Statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": list(actions),
        "Resource": resources if isinstance(resources, str) else list(resources),
    }
    if condition:
        statement["Condition"] = condition
    return statement


# ------------------------------------------------------------------------------------------------
# ARNs
# ------------------------------------------------------------------------------------------------


def role_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:role/{name}"


def policy_arn(partition: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:iam::{account_id}:policy/{name}"


def runtime_arn_pattern(partition: str, region: str, account_id: str, runtime_name: str) -> str:
    """Matches this runtime's ARN (`runtime/<name>-<10 chars>`) and no other runtime's."""
    return f"arn:{partition}:bedrock-agentcore:{region}:{account_id}:runtime/{runtime_name}-*"


def workload_identity_directory_arn(partition: str, region: str, account_id: str) -> str:
    return f"arn:{partition}:bedrock-agentcore:{region}:{account_id}:workload-identity-directory/default"


def workload_identity_arn_pattern(partition: str, region: str, account_id: str, runtime_name: str) -> str:
    """The workload identity AgentCore creates for the runtime is named `<runtime name>-<suffix>`."""
    directory = workload_identity_directory_arn(partition, region, account_id)
    return f"{directory}/workload-identity/{runtime_name}-*"


def ecr_repository_arn(partition: str, region: str, account_id: str, repository_name: str) -> str:
    return f"arn:{partition}:ecr:{region}:{account_id}:repository/{repository_name}"


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def github_oidc_provider_arn(partition: str, account_id: str) -> str:
    return f"arn:{partition}:iam::{account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


# ------------------------------------------------------------------------------------------------
# Execution role (assumed by AgentCore to run the container)
# ------------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------------
# Deployer role (assumed by later `pulumi up` / `pulumi preview` runs, locally or in CI)
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GithubTrust:
    """Which GitHub Actions runs may assume the deployer role (OIDC `sub` claims)."""

    repository: str
    branches: tuple[str, ...] = ("main",)
    environments: tuple[str, ...] = ()
    pull_requests: bool = False

    def subjects(self) -> list[str]:
        base = f"repo:{self.repository}"
        return [
            *(f"{base}:ref:refs/heads/{b}" for b in self.branches),
            *(f"{base}:environment:{e}" for e in self.environments),
            *([f"{base}:pull_request"] if self.pull_requests else []),
        ]


def deployer_trust_policy(
    *,
    partition: str,
    account_id: str,
    principal_arns: Sequence[str],
    github: GithubTrust | None,
    github_provider_arn: str | None,
) -> PolicyDocument:
    """Who may assume the deployer: the listed principals and/or the GitHub subjects.

    With neither, the account itself (`:root`): then only identities of this account whose own
    IAM policies allow `sts:AssumeRole` on this role can use it. The trust is never open to `*`.
    """
    statements: list[Statement] = []
    principals = list(dict.fromkeys(principal_arns))
    if github is None and not principals:
        principals = [f"arn:{partition}:iam::{account_id}:root"]
    if principals:
        statements.append(
            {
                "Sid": "TrustedPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": "sts:AssumeRole",
            }
        )
    if github is not None:
        if not github_provider_arn:
            raise ValueError("GitHub trust needs the OIDC provider's ARN")
        statements.append(
            {
                "Sid": "GithubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": github_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": github.subjects(),
                    }
                },
            }
        )
    return document(statements)


@dataclass(frozen=True)
class DeployerScope:
    """Everything the deployer may touch, as plain strings."""

    partition: str
    region: str
    account_id: str
    runtime_name: str
    execution_role_arn: str
    deployer_role_arn: str
    # The managed policy with the deployer's observability share (read-only for the deployer).
    telemetry_policy_arn: str | None = None
    repository_name: str | None = None
    ecr_kms_key_arn: str | None = None
    permissions_boundary_arn: str | None = None
    github_provider_arn: str | None = None
    state_bucket: str | None = None
    state_prefix: str = ""
    secrets_kms_key_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()


# IAM write actions on the execution role that accept the `iam:PermissionsBoundary` condition.
_BOUNDED_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)


def deployer_statements(scope: DeployerScope) -> list[Statement]:
    """What later deployments of this stack need, and nothing beyond this stack's resources (the
    observability resources' share is `observability.deployer_telemetry_statements`, in a managed
    policy of its own: together they can pass IAM's 10,240-character limit on a role's inline
    policies).

    The deployer may change the execution role but not itself (nor the GitHub OIDC provider):
    widening its own permissions or trust takes the credentials that bootstrapped the stack. With
    a permissions boundary configured, it can only write the execution role while that role keeps
    the boundary, and can never remove it.
    """
    p, r, a = scope.partition, scope.region, scope.account_id
    runtime = runtime_arn_pattern(p, r, a, scope.runtime_name)
    statements: list[Statement] = [
        allow(
            "CloudControl",
            [
                "cloudformation:CreateResource",
                "cloudformation:DeleteResource",
                "cloudformation:GetResource",
                "cloudformation:GetResourceRequestStatus",
                "cloudformation:UpdateResource",
            ],
            "*",
        ),
        # CreateAgentRuntime has no resource-level permissions; PassExecutionRole below limits
        # what it can create to runtimes running as this stack's execution role.
        allow("AgentRuntimeCreate", ["bedrock-agentcore:CreateAgentRuntime"], "*"),
        allow(
            "AgentRuntimeManage",
            [
                "bedrock-agentcore:CreateAgentRuntimeEndpoint",
                "bedrock-agentcore:DeleteAgentRuntime",
                "bedrock-agentcore:DeleteAgentRuntimeEndpoint",
                "bedrock-agentcore:GetAgentRuntime",
                "bedrock-agentcore:GetAgentRuntimeEndpoint",
                "bedrock-agentcore:ListTagsForResource",
                "bedrock-agentcore:TagResource",
                "bedrock-agentcore:UntagResource",
                "bedrock-agentcore:UpdateAgentRuntime",
                "bedrock-agentcore:UpdateAgentRuntimeEndpoint",
            ],
            [runtime, f"{runtime}/runtime-endpoint/*"],
        ),
        allow(
            "AgentRuntimeWorkloadIdentity",
            [
                "bedrock-agentcore:CreateWorkloadIdentity",
                "bedrock-agentcore:DeleteWorkloadIdentity",
                "bedrock-agentcore:TagResource",
            ],
            [workload_identity_directory_arn(p, r, a), workload_identity_arn_pattern(p, r, a, scope.runtime_name)],
        ),
        allow(
            "PassExecutionRole",
            ["iam:PassRole"],
            [scope.execution_role_arn],
            {"StringEquals": {"iam:PassedToService": AGENTCORE_SERVICE}},
        ),
        allow(
            "AgentCoreServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            [f"arn:{p}:iam::{a}:role/aws-service-role/*.{AGENTCORE_SERVICE}/AWSServiceRoleForBedrockAgentCore*"],
            {"StringLike": {"iam:AWSServiceName": f"*.{AGENTCORE_SERVICE}"}},
        ),
    ]

    bounded = list(_BOUNDED_ROLE_ACTIONS)
    boundary_condition = None
    if scope.permissions_boundary_arn:
        bounded.append("iam:PutRolePermissionsBoundary")
        boundary_condition = {"StringEquals": {"iam:PermissionsBoundary": scope.permissions_boundary_arn}}
    statements.append(allow("ExecutionRoleWrite", sorted(bounded), [scope.execution_role_arn], boundary_condition))
    statements.append(allow("ExecutionRoleTagging", ["iam:TagRole", "iam:UntagRole"], [scope.execution_role_arn]))
    statements.append(
        allow(
            "StackRolesRead",
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
            ],
            [scope.execution_role_arn, scope.deployer_role_arn],
        )
    )
    if scope.telemetry_policy_arn:
        statements.append(
            allow(
                "TelemetryPolicyRead",
                ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions"],
                [scope.telemetry_policy_arn],
            )
        )
    if scope.github_provider_arn:
        statements.append(
            allow(
                "GithubOidcProviderRead",
                ["iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags"],
                [scope.github_provider_arn],
            )
        )

    if scope.repository_name:
        statements.append(
            allow(
                "EcrRepository",
                [
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:BatchGetImage",
                    "ecr:CompleteLayerUpload",
                    "ecr:CreateRepository",
                    "ecr:DeleteLifecyclePolicy",
                    "ecr:DeleteRepository",
                    "ecr:DescribeRepositories",
                    "ecr:GetDownloadUrlForLayer",
                    "ecr:GetLifecyclePolicy",
                    "ecr:InitiateLayerUpload",
                    "ecr:ListTagsForResource",
                    "ecr:PutImage",
                    "ecr:PutImageScanningConfiguration",
                    "ecr:PutImageTagMutability",
                    "ecr:PutLifecyclePolicy",
                    "ecr:TagResource",
                    "ecr:UntagResource",
                    "ecr:UploadLayerPart",
                ],
                [ecr_repository_arn(p, r, a, scope.repository_name)],
            )
        )
        statements.append(allow("EcrAuthorizationToken", ["ecr:GetAuthorizationToken"], "*"))
        if scope.ecr_kms_key_arn:
            # ECR validates the key and adds its own grants with the caller's credentials.
            statements.append(allow("EcrKmsKeyDescribe", ["kms:DescribeKey"], [scope.ecr_kms_key_arn]))
            statements.append(
                allow(
                    "EcrKmsKeyGrant",
                    ["kms:CreateGrant"],
                    [scope.ecr_kms_key_arn],
                    {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                )
            )

    if scope.subnet_ids or scope.security_group_ids:
        statements.append(
            allow("VpcDescribe", ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"], "*")
        )
        statements.append(
            allow(
                "VpcNetworkInterfaces",
                ["ec2:CreateNetworkInterface"],
                [
                    f"arn:{p}:ec2:{r}:{a}:network-interface/*",
                    *(f"arn:{p}:ec2:{r}:{a}:subnet/{s}" for s in scope.subnet_ids),
                    *(f"arn:{p}:ec2:{r}:{a}:security-group/{g}" for g in scope.security_group_ids),
                ],
            )
        )

    if scope.state_bucket:
        prefix = scope.state_prefix.strip("/")
        objects = f"arn:{p}:s3:::{scope.state_bucket}/{prefix + '/' if prefix else ''}*"
        list_condition = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}} if prefix else None
        statements.append(allow("StateBucketList", ["s3:ListBucket"], [f"arn:{p}:s3:::{scope.state_bucket}"], list_condition))
        statements.append(allow("StateObjects", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [objects]))
    if scope.secrets_kms_key_arn:
        statements.append(allow("StateSecretsKey", ["kms:Decrypt", "kms:Encrypt"], [scope.secrets_kms_key_arn]))

    return statements
