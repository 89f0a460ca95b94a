"""AgentCore Memory's share of IAM: what the execution role may do with the runtime's memory, and
what the deployer needs to manage a memory the stack creates.

The execution role gets exactly the data-plane actions the agent calls (the contract in
docs/memory.md): `CreateEvent` and `ListEvents` to store and restore conversations, and
`RetrieveMemoryRecords` only when long-term strategies exist; on that one memory's ARN. With a
customer-managed key, Memory encrypts and decrypts with the caller's credentials through the
service (the CloudFormation handlers list the KMS calls for reads too), so the caller also gets
the key's data-key actions, only through `bedrock-agentcore.<region>` (`kms:ViaService`).

Sources: AWS::BedrockAgentCore::Memory handler permissions (cfn-lint's copy), the IAM catalogue's
rows for the Memory actions.
"""

from .documents import Statement, allow
from .arns import service_endpoint
from .kms import MEMORY_KEY_ACTIONS

AGENTCORE = "bedrock-agentcore"
EVENT_ACTIONS = ("bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents")
RECORDS_ACTION = "bedrock-agentcore:RetrieveMemoryRecords"
# What the agent's calls need on the key when the memory is encrypted with one.
EXECUTION_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
# AWS::BedrockAgentCore::Memory create/read/update/delete handlers, for this memory.
MANAGE_ACTIONS = (
    "bedrock-agentcore:DeleteMemory",
    "bedrock-agentcore:GetMemory",
    "bedrock-agentcore:ListTagsForResource",
    "bedrock-agentcore:TagResource",
    "bedrock-agentcore:UntagResource",
    "bedrock-agentcore:UpdateMemory",
)


def _via_agentcore(partition: str, region: str, account_id: str) -> dict[str, dict[str, str]]:
    return {
        "StringEquals": {
            "kms:ViaService": service_endpoint(AGENTCORE, region, partition),
            "kms:CallerAccount": account_id,
        }
    }


def execution_memory_statements(
    *, partition: str, region: str, account_id: str, memory_arn: str, long_term: bool, key_arn: str | None
) -> list[Statement]:
    """The runtime's use of its memory: events always, long-term records only with strategies."""
    actions = [*EVENT_ACTIONS, *([RECORDS_ACTION] if long_term else [])]
    statements = [allow("MemoryData", actions, [memory_arn])]
    if key_arn is not None:
        statements.append(allow("MemoryKey", EXECUTION_KEY_ACTIONS, [key_arn], _via_agentcore(partition, region, account_id)))
    return statements


def deployer_memory_statements(
    *, partition: str, region: str, account_id: str, memory_arn_pattern: str, key_arn: str | None
) -> list[Statement]:
    """Create, read, update, tag and delete the stack's memory. `CreateMemory` takes no resource
    ARN. No `iam:PassRole`: the built-in strategies need no memory execution role. Not granted:
    `UpdateMemoryRecordExpirySpecification`, which the handlers list but IAM's catalogue does not
    know; the component sets no record expiry."""
    statements = [
        allow("MemoryCreate", ["bedrock-agentcore:CreateMemory"], "*"),
        allow("MemoryManage", MANAGE_ACTIONS, [memory_arn_pattern]),
    ]
    if key_arn is not None:
        statements.append(allow("MemoryKeyViaAgentCore", MEMORY_KEY_ACTIONS, [key_arn], _via_agentcore(partition, region, account_id)))
    return statements
