"""AgentCore Memory, as plain data: the memory's name, its long-term strategies, the environment the
agent reads, and the forms of a brought memory's id or ARN.

The component creates `AWS::BedrockAgentCore::Memory` from these (or uses a memory that already
exists) and tells the agent about it through two variables, the contract with agent_image/
(docs/memory.md):

- `BEDROCK_AGENTCORE_MEMORY_ID`: the memory's id (the name AWS's starter toolkit uses);
- `MEMORY_LONG_TERM_NAMESPACES`: a JSON array of the namespace templates the strategies write to,
  which the agent retrieves long-term records from (`[]`: short-term memory only).

Only the built-in strategies are offered (semantic, summary, user preference). They run on models
AWS manages, so the memory needs no execution role of its own: `MemoryExecutionRoleArn` is needed
only by the "built-in with overrides" and self-managed strategies, which invoke models in the
account (AgentCore's memory-strategies and custom-strategy pages).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass

from .iam.arns import memory_arn

MEMORY_ID_ENV = "BEDROCK_AGENTCORE_MEMORY_ID"
NAMESPACES_ENV = "MEMORY_LONG_TERM_NAMESPACES"
MEMORY_ENV_VARS = (MEMORY_ID_ENV, NAMESPACES_ENV)

# CloudFormation's (and CreateMemory's) pattern for a memory's and a strategy's Name.
MEMORY_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
MEMORY_NAME_MAX = 48
MEMORY_NAME_SUFFIX = "_memory"
# The id AgentCore gives a memory: `<name>-<10 letters or digits>` (CloudFormation's MemoryId).
MEMORY_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9_-]{0,99}-[a-zA-Z0-9]{10}")
MEMORY_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):bedrock-agentcore:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):memory/(?P<id>.+)"
)

# A namespace template (CreateMemory's Namespace shape: 1-512 characters, `{name}` placeholders
# between path characters). The agent fills in only these two placeholders.
NAMESPACE = re.compile(r"[a-zA-Z0-9\-_/]*(\{[a-zA-Z][a-zA-Z0-9]*\}[a-zA-Z0-9\-_/]*)*")
NAMESPACE_MAX = 512
ACTOR = "{actorId}"
PLACEHOLDERS = frozenset({ACTOR, "{sessionId}"})
_PLACEHOLDER = re.compile(r"\{[a-zA-Z][a-zA-Z0-9]*\}")


@dataclass(frozen=True)
class Strategy:
    """One built-in long-term strategy: its kind, as CloudFormation's MemoryStrategy names the
    member, the name it is given in the memory, and the namespace template it writes to."""

    kind: str
    name: str
    namespace: str


# (settings field, CloudFormation member, strategy name), in the order the memory lists them.
STRATEGY_KINDS = (
    ("semantic_namespace", "semantic_memory_strategy", "semantic"),
    ("summary_namespace", "summary_memory_strategy", "summary"),
    ("user_preference_namespace", "user_preference_memory_strategy", "user_preference"),
)


def memory_name(runtime_name: str) -> str:
    """The memory's name: `<runtime name>_memory`. A runtime name too long for the suffix is cut
    and a hash of it keeps two long names that share a prefix apart."""
    name = f"{runtime_name}{MEMORY_NAME_SUFFIX}"
    if len(name) <= MEMORY_NAME_MAX:
        return name
    digest = hashlib.sha256(runtime_name.encode()).hexdigest()[:8]
    head = runtime_name[: MEMORY_NAME_MAX - len(MEMORY_NAME_SUFFIX) - len(digest) - 1].rstrip("_")
    return f"{head}_{digest}{MEMORY_NAME_SUFFIX}"


def namespace_problem(value: str) -> str | None:
    """Why `value` cannot be a strategy's namespace template, or None.

    Every namespace must contain `{actorId}`: without it, the records the strategy extracts from
    one user's conversations would be retrieved into every other user's context."""
    if not 1 <= len(value) <= NAMESPACE_MAX or NAMESPACE.fullmatch(value) is None:
        return (
            f"{value!r} must be a namespace template of 1-{NAMESPACE_MAX} characters: letters, digits, "
            "- _ / and {placeholders}, e.g. /users/{actorId}/facts"
        )
    unknown = sorted(set(_PLACEHOLDER.findall(value)) - PLACEHOLDERS)
    if unknown:
        return f"{value!r}: the agent fills in only {{actorId}} and {{sessionId}}, not {', '.join(unknown)}"
    if ACTOR not in value:
        return f"{value!r} must contain {{actorId}}: without it one user's long-term records reach every user"
    return None


def memory_id_problem(value: str) -> str | None:
    """Why `value` is neither a memory id nor a memory ARN, or None."""
    match = MEMORY_ARN.fullmatch(value)
    memory_id = match.group("id") if match else value
    if MEMORY_ID.fullmatch(memory_id) is None:
        return (
            f"{value!r} must be a memory id (<name>-<10 letters or digits>) or its ARN "
            "(arn:<partition>:bedrock-agentcore:<region>:<account>:memory/<id>)"
        )
    return None


def existing_memory(value: str, *, partition: str, region: str, account_id: str) -> tuple[str, str]:
    """(id, ARN) of a brought memory, given as either. The agent calls Memory in its own region
    and account with the id alone, so an ARN elsewhere is refused (ValueError says why)."""
    match = MEMORY_ARN.fullmatch(value)
    if match is None:
        return value, memory_arn(partition, region, account_id, value)
    where = (match.group("partition"), match.group("region"), match.group("account"))
    if where != (partition, region, account_id):
        raise ValueError(
            f"the memory must be in the stack's partition, region and account ({partition}, {region}, {account_id}): "
            f"the agent calls Memory there by id, got {value!r}"
        )
    return match.group("id"), value


def memory_environment(memory_id: str, strategies: tuple[Strategy, ...]) -> dict[str, str]:
    """The variables the agent reads (names in MEMORY_ENV_VARS)."""
    return {MEMORY_ID_ENV: memory_id, NAMESPACES_ENV: json.dumps([s.namespace for s in strategies], separators=(",", ":"))}
