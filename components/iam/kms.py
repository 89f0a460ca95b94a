"""The stack's own KMS key: its key policy, and what the deployer may do with it.

Who uses the key, and how each is let in (Resource `*` in a key policy means this key):

- the account (root principal) may administer it, never use it: IAM policies in the account
  decide who administers it (the deployer's are below), and an account administrator can always
  repair the policy (`kms:PutKeyPolicy` stays with the account: no lockout);
- ECR, for this stack's repository: the caller's `DescribeKey`, `CreateGrant` (for an AWS
  resource only) and `RetireGrant`, through ECR in this region and account (`kms:ViaService`,
  `kms:CallerAccount`). ECR then encrypts and decrypts under the grants it created, so pushing and
  pulling need no KMS permission of their own (ECR's "encryption at rest" page);
- CloudWatch Logs (`logs.<region>.amazonaws.com`) for this stack's log groups only: the
  `kms:EncryptionContext:aws:logs:arn` it sends must be one of the runtime's or its vended-log
  groups (runtime names have no hyphen, so `<runtime>-*` reaches no other runtime's groups);
- AgentCore Memory, when the stack has one: the caller's data-key and grant operations through
  `bedrock-agentcore.<region>.amazonaws.com` in this account (the AWS::BedrockAgentCore::Memory
  handlers list them). AWS documents no encryption context for Memory, so none is required.

Sources: CloudFormation handler permissions of AWS::KMS::Key, AWS::KMS::Alias,
AWS::ECR::Repository and AWS::BedrockAgentCore::Memory (cfn-lint's copies); CloudWatch Logs'
"Encrypt log data using AWS KMS" key-policy example.
"""

from typing import Any

from ..names import runtime_log_group_pattern
from ..observability.names import VENDED_LOG_TYPES, vended_log_group_pattern
from .arns import log_group_arn, service_endpoint
from .documents import PolicyDocument, Statement, allow, document

# What an administrator of the key needs, each applying to a key; no cryptographic operation.
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
)
# ECR validates the key and adds (and on delete retires) its grants with the caller's credentials.
ECR_KEY_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey", "kms:RetireGrant")
# CloudWatch Logs encrypts and decrypts each group's data keys as its own service principal.
LOGS_KEY_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
# AgentCore Memory (AWS::BedrockAgentCore::Memory create/read/update/delete handlers).
MEMORY_KEY_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)
# Days KMS rotates the key material after (its default; rotation is always on).
ROTATION_PERIOD_DAYS = 365


def stack_log_group_arns(*, partition: str, region: str, account_id: str, runtime_name: str) -> list[str]:
    """Every log group this stack creates or adopts: the runtime's per-endpoint groups and its
    vended-log groups, whatever the runtime's id."""
    names = [runtime_log_group_pattern(runtime_name), *(vended_log_group_pattern(t, runtime_name) for t in VENDED_LOG_TYPES)]
    return [log_group_arn(partition, region, account_id, name) for name in names]


def stack_key_policy(*, partition: str, region: str, account_id: str, runtime_name: str, memory: bool) -> PolicyDocument:
    """The key policy of the stack's own key (see the module docstring for who gets what)."""
    account = {"AWS": f"arn:{partition}:iam::{account_id}:root"}

    def via(service: str) -> dict[str, dict[str, str]]:
        return {"StringEquals": {"kms:ViaService": service_endpoint(service, region, partition), "kms:CallerAccount": account_id}}

    log_groups = stack_log_group_arns(partition=partition, region=region, account_id=account_id, runtime_name=runtime_name)
    statements = [
        _grant("AccountAdministersKey", account, KEY_ADMIN_ACTIONS),
        _grant("EcrRepositoryViaEcr", account, ECR_KEY_ACTIONS, via("ecr")),
        _grant(
            "StackLogGroupsViaCloudWatchLogs",
            {"Service": service_endpoint("logs", region, partition)},
            LOGS_KEY_ACTIONS,
            {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
        ),
    ]
    if memory:
        statements.append(_grant("MemoryViaAgentCore", account, MEMORY_KEY_ACTIONS, via("bedrock-agentcore")))
    return document(statements)


def _grant(sid: str, principal: dict[str, str], actions: tuple[str, ...], condition: dict[str, Any] | None = None) -> Statement:
    """A key-policy statement: `Resource` `*` is the key itself."""
    statement: Statement = {"Sid": sid, "Effect": "Allow", "Principal": principal, "Action": list(actions), "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def deployer_stack_key_statements(*, partition: str, region: str, account_id: str, key_arn: str, alias_name: str) -> list[Statement]:
    """What later deployments need on the stack's own key: read it (refresh, preview), keep its
    tags and description, remove it and its alias on destroy.

    Not granted, on purpose: `kms:CreateKey` (AWS offers it only on `*`, and a new key's policy is
    whatever its creator writes: creating the key, which happens once, takes the bootstrap
    credentials), `kms:PutKeyPolicy` (who may use the key is decided with the bootstrap
    credentials, like the deployer's own trust), and `kms:DisableKey` / `kms:DisableKeyRotation`.
    """
    alias_arn = f"arn:{partition}:kms:{region}:{account_id}:{alias_name}"
    return [
        allow(
            "StackKeyManage",
            [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:ListResourceTags",
                "kms:ScheduleKeyDeletion",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
            ],
            [key_arn],
        ),
        allow("StackKeyAlias", ["kms:CreateAlias", "kms:DeleteAlias"], [alias_arn, key_arn]),
        allow("KmsAliasesRead", ["kms:ListAliases"], "*"),
    ]
