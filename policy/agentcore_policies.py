"""The rules of the AgentCore policy pack, for any Pulumi program that deploys AgentCore, whichever
provider (aws-native or the classic aws provider) and however it was written.

Each rule is a pure function from a resource's type and inputs to the problems it finds (plain
strings naming the property and the fix), so it can be read and tested without an engine;
`POLICIES` wraps each in a `ResourceValidationPolicy` with its enforcement level. Every policy takes
one config property, `exemptResources` (resource names it skips), for the rare resource a team has
decided to accept; enforcement levels are overridden the standard way (`--policy-pack-config`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyConfigSchema, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

PACK_NAME = "agentcore-policies"

RUNTIMES = ("aws-native:bedrockagentcore:Runtime", "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime")
REPOSITORIES = ("aws:ecr/repository:Repository", "aws-native:ecr:Repository")
ROLES = ("aws:iam/role:Role", "aws-native:iam:Role")
POLICY_DOCUMENTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws-native:iam:RolePolicy": "policyDocument",
    "aws-native:iam:ManagedPolicy": "policyDocument",
}
LOG_GROUPS = ("aws:cloudwatch/logGroup:LogGroup", "aws-native:logs:LogGroup")
MEMORIES = ("aws-native:bedrockagentcore:Memory", "aws:bedrock/agentcoreMemory:AgentcoreMemory")
MEMORY_STRATEGY = "aws:bedrock/agentcoreMemoryStrategy:AgentcoreMemoryStrategy"

AGENTCORE_SERVICE = "bedrock-agentcore.amazonaws.com"
AGENTCORE_LOG_PREFIXES = ("/aws/bedrock-agentcore/", "/aws/vendedlogs/bedrock-agentcore/")
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
MODEL_ACTIONS = ("bedrock:invokemodel", "bedrock:invokemodelwithresponsestream")
# A model ARN whose model part is a wildcard: any model (or profile) of the account or region.
WILDCARD_MODEL = re.compile(r"(^\*$)|:(foundation-model|inference-profile|application-inference-profile)/\*$")
ACTOR = "{actorId}"


def _is_sequence(value: Any) -> bool:
    """A list, or the engine's read-only proxy of one (a Sequence, not a list)."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def _first(value: Any) -> Mapping[str, Any]:
    """A nested block: the classic provider gives a one-element list where aws-native gives an object."""
    if _is_sequence(value):
        value = value[0] if len(value) else {}
    return value if isinstance(value, Mapping) else {}


def _as_list(value: Any) -> list[Any]:
    return list(value) if _is_sequence(value) else [] if value is None else [value]


def _document(value: Any) -> Mapping[str, Any]:
    """An IAM document given as JSON text (the aws provider) or an object (aws-native)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, Mapping) else {}


def _allow_statements(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for statement in _as_list(document.get("Statement")):
        if isinstance(statement, Mapping) and statement.get("Effect") == "Allow":
            yield statement


# --- the rules: (resource type, inputs) -> problems ------------------------------------------------


def image_pinned_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A runtime runs an image by digest: a tag can be pushed again and change what runs."""
    if resource_type not in RUNTIMES:
        return []
    container = _first(_first(props.get("agentRuntimeArtifact")).get("containerConfiguration"))
    uri = container.get("containerUri")
    if isinstance(uri, str) and not DIGEST.search(uri):
        return [
            f"agentRuntimeArtifact.containerConfiguration.containerUri {uri!r} is not pinned by digest: "
            "use <repository>@sha256:<64 hex> so a re-pushed tag cannot change what runs"
        ]
    return []


def repository_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Images are immutable and scanned on push."""
    if resource_type not in REPOSITORIES:
        return []
    problems = []
    if not str(props.get("imageTagMutability", "MUTABLE")).startswith("IMMUTABLE"):
        problems.append("imageTagMutability must be IMMUTABLE: a mutable tag lets a push change a deployed image")
    if _first(props.get("imageScanningConfiguration")).get("scanOnPush") is not True:
        problems.append("imageScanningConfiguration.scanOnPush must be true: every pushed image is scanned")
    return problems


def trust_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """A role AgentCore assumes names the account and the resources that may assume it (the
    confused-deputy conditions AWS recommends)."""
    if resource_type not in ROLES:
        return []
    problems = []
    for statement in _allow_statements(_document(props.get("assumeRolePolicy", props.get("assumeRolePolicyDocument")))):
        services = _as_list(_first(statement.get("Principal")).get("Service"))
        if AGENTCORE_SERVICE not in services:
            continue
        condition = statement.get("Condition") or {}
        keys = {key.lower() for operator in condition.values() if isinstance(operator, Mapping) for key in operator}
        missing = [key for key in ("aws:SourceAccount", "aws:SourceArn") if key.lower() not in keys]
        if missing:
            problems.append(
                f"assumeRolePolicy lets {AGENTCORE_SERVICE} assume the role without {' and '.join(missing)}: "
                "add them (your account; ArnLike your runtime's ARN) so no other account's AgentCore can use it"
            )
    return problems


def model_access_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Model invocation is granted on named models, never on every model."""
    key = POLICY_DOCUMENTS.get(resource_type)
    if key is None:
        return []
    problems = []
    for statement in _allow_statements(_document(props.get(key))):
        actions = [str(a).lower() for a in _as_list(statement.get("Action"))]
        invokes = any(a in ("*", "bedrock:*", "bedrock:invoke*") or a in MODEL_ACTIONS for a in actions)
        wildcards = [r for r in _as_list(statement.get("Resource")) if isinstance(r, str) and WILDCARD_MODEL.search(r)]
        if invokes and wildcards:
            sid = statement.get("Sid", "a statement")
            problems.append(
                f"{key}: {sid} allows bedrock:InvokeModel on {', '.join(wildcards)}: "
                "grant the model ids (and inference profiles) the agent uses"
            )
    return problems


def log_retention_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """AgentCore's log groups expire: without retention, prompts in application logs are kept forever."""
    name = props.get("name", props.get("logGroupName"))
    if resource_type not in LOG_GROUPS or not isinstance(name, str) or not name.startswith(AGENTCORE_LOG_PREFIXES):
        return []
    if not props.get("retentionInDays"):
        return [f"log group {name!r} has no retentionInDays: set one (CloudWatch keeps logs forever otherwise)"]
    return []


def customer_key_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Stores that hold agent data use a customer-managed KMS key (auditable, revocable)."""
    if resource_type in MEMORIES and not props.get("encryptionKeyArn"):
        return ["encryptionKeyArn is unset: the memory's conversations are encrypted with an AWS-owned key"]
    if resource_type in REPOSITORIES:
        encryption = _first(props.get("encryptionConfigurations", props.get("encryptionConfiguration")))
        if encryption.get("encryptionType") not in ("KMS", "KMS_DSSE"):
            return ["encryptionConfigurations: the repository is not encrypted with a KMS key (encryptionType KMS)"]
    name = props.get("name", props.get("logGroupName"))
    if resource_type in LOG_GROUPS and isinstance(name, str) and name.startswith(AGENTCORE_LOG_PREFIXES):
        if not props.get("kmsKeyId"):
            return [f"log group {name!r} has no kmsKeyId: its events are encrypted with an AWS-owned key"]
    return []


def memory_namespace_problems(resource_type: str, props: Mapping[str, Any]) -> list[str]:
    """Long-term memory is kept per user: a namespace without {actorId} shares one user's records
    with every user."""
    if resource_type in MEMORIES:
        strategies = [member for s in _as_list(props.get("memoryStrategies")) if isinstance(s, Mapping) for member in s.values()]
    elif resource_type == MEMORY_STRATEGY:
        strategies = [props]
    else:
        return []
    namespaces = [
        n for s in strategies if isinstance(s, Mapping)
        for n in (*_as_list(s.get("namespaceTemplates")), *_as_list(s.get("namespaces")))
    ]
    return [
        f"namespace {n!r} has no {ACTOR}: records extracted from one user's conversations would reach every user"
        for n in namespaces
        if isinstance(n, str) and ACTOR not in n
    ]


# --- the pack ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    level: EnforcementLevel
    check: Callable[[str, Mapping[str, Any]], list[str]]


RULES = (
    Rule("agentcore-runtime-image-pinned-by-digest", "AgentCore runtimes run an image pinned by digest, not a tag.", EnforcementLevel.MANDATORY, image_pinned_problems),
    Rule("agentcore-ecr-immutable-and-scanned", "ECR repositories have immutable tags and scan on push.", EnforcementLevel.MANDATORY, repository_problems),
    Rule("agentcore-trust-scoped", "Roles AgentCore assumes carry aws:SourceAccount and aws:SourceArn conditions.", EnforcementLevel.MANDATORY, trust_problems),
    Rule("agentcore-no-wildcard-model-invoke", "bedrock:InvokeModel is granted on named models, not every model.", EnforcementLevel.MANDATORY, model_access_problems),
    Rule("agentcore-memory-namespaces-per-actor", "Long-term memory namespaces contain {actorId}.", EnforcementLevel.MANDATORY, memory_namespace_problems),
    Rule("agentcore-log-retention", "AgentCore log groups have a retention period.", EnforcementLevel.ADVISORY, log_retention_problems),
    Rule("agentcore-customer-managed-keys", "Memory, ECR repositories and AgentCore log groups use a customer-managed KMS key.", EnforcementLevel.ADVISORY, customer_key_problems),
)

_EXEMPT = PolicyConfigSchema(
    properties={
        "exemptResources": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Names of resources this policy does not check (an exception the team has accepted).",
        }
    }
)


def _validate(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.name in (args.get_config().get("exemptResources") or []):
            return
        for problem in rule.check(args.resource_type, args.props):
            report_violation(f"{args.name} ({args.resource_type}): {problem}", args.urn)

    return validate


POLICIES: list[ResourceValidationPolicy] = [
    ResourceValidationPolicy(
        name=rule.name,
        description=rule.description,
        enforcement_level=rule.level,
        validate=_validate(rule),
        config_schema=_EXEMPT,
    )
    for rule in RULES
]
