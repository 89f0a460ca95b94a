"""Every setting of the component, declared once: its config key, argument path, type, default,
bounds and description.

Why one table: a setting used to be written in five places (Pulumi.yaml, the config-key map, the
typed arguments, the validated settings, the README) and a default such as `keepImages: 10` in
four. Now the validated settings (`settings.py`) take their defaults and bounds from here, the
stack-config reader (`stack_config.py`) its flat keys and types, and `config_files` generates
Pulumi.yaml's `config:` block and the reference table in docs/configuration.md from it (a test
fails when either is stale). Adding a setting: a row here, the typed argument in `args.py` (a test
checks they agree), and the code that uses it; then `python -m components.config_files --write`.

Conventions: `path` is the setting's place in the component's arguments; `key` is its config key
(`observability.<camelCase>` for the keys of the `agentcore:observability` object); `default` is
the value the component applies (None: unset; REQUIRED: no default); `bounds` is an inclusive
(minimum, maximum) of the value (numbers) or of the length (strings, lists; None = no limit there).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from .args import AgentKind, LogLevel, NetworkMode, ServerProtocol

NAMESPACE = "agentcore"
OBSERVABILITY = "observability"


class Kind(str, Enum):
    """A setting's type, as Pulumi config (and the observability object) spell it."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    ARRAY = "array"  # of strings
    OBJECT = "object"  # a map of names to strings
    SETTINGS = "settings"  # the observability object: typed settings with camelCase keys


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()

# CloudWatch Logs accepts only these retention values (AWS::Logs::LogGroup RetentionInDays enum;
# the tests compare this tuple with cfn-lint's copy of the schema). "Never expire" is deliberately
# not offered: the point of managing the groups is that logs stop piling up.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)


@dataclass(frozen=True)
class Setting:
    key: str
    path: tuple[str, ...]
    kind: Kind
    description: str
    default: Any = None
    bounds: tuple[float | None, float | None] | None = None
    choices: tuple[Any, ...] | None = None

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def config_key(self) -> str:
        """The top-level `agentcore:` key that carries this setting."""
        return self.key.split(".", 1)[0]

    @property
    def minimum(self) -> Any:
        return self.bounds[0] if self.bounds else None

    @property
    def maximum(self) -> Any:
        return self.bounds[1] if self.bounds else None

    def config_value(self, value: Any) -> Any:
        """`value` as a stack file spells it: enum members by value, tuples as lists."""
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, tuple):
            return [self.config_value(v) for v in value]
        return value

    @property
    def config_default(self) -> Any:
        """The default in config form: "" / [] / {} stand for unset (Pulumi.yaml has no null)."""
        if self.default is None:
            return {Kind.STRING: "", Kind.ARRAY: [], Kind.OBJECT: {}}.get(self.kind)
        return self.config_value(self.default)


def _s(key: str, path: str, kind: Kind, description: str, default: Any = None, **rules: Any) -> Setting:
    return Setting(key, tuple(path.split(".")), kind, description, default, **rules)


S, I, N, B, A, O = Kind.STRING, Kind.INTEGER, Kind.NUMBER, Kind.BOOLEAN, Kind.ARRAY, Kind.OBJECT
OBS = f"{OBSERVABILITY}."
LIFETIME = (60, 28800)  # AgentCore microVM limits, seconds
VPC_IDS = (1, 16)

SETTINGS: tuple[Setting, ...] = (
    _s("modelId", "model_id", S, "Bedrock model id or inference profile id (us./eu./apac./jp./au./ca./us-gov./global. prefix).", REQUIRED),
    _s("additionalModelIds", "additional_model_ids", A, "Further model or profile ids the agent may invoke.", ()),
    _s("runtimeName", "runtime_name", S, "Runtime name, [a-zA-Z][a-zA-Z0-9_]{0,47}; unset derives <project>_<stack>."),
    _s("description", "description", S, "Runtime description.", bounds=(1, 1200)),
    _s("environment", "environment", S, "Environment tag value; unset uses the stack name."),
    _s("logLevel", "log_level", S, "LOG_LEVEL for the agent.", LogLevel.INFO, choices=tuple(LogLevel)),
    _s("protocol", "protocol", S, "Server protocol the container serves.", ServerProtocol.HTTP, choices=tuple(ServerProtocol)),
    _s("idleTimeoutSeconds", "lifecycle.idle_timeout_seconds", I, "Stop a session after this many idle seconds (at most maxLifetimeSeconds).", 900, bounds=LIFETIME),
    _s("maxLifetimeSeconds", "lifecycle.max_lifetime_seconds", I, "Stop a session after this many seconds in any case.", 28800, bounds=LIFETIME),
    _s("networkMode", "network.mode", S, "Where the runtime's microVMs get their network.", NetworkMode.PUBLIC, choices=tuple(NetworkMode)),
    _s("subnetIds", "network.subnet_ids", A, "VPC mode: subnet ids (subnet-...).", (), bounds=VPC_IDS),
    _s("securityGroupIds", "network.security_group_ids", A, "VPC mode: security group ids (sg-...).", (), bounds=VPC_IDS),
    _s("environmentVariables", "environment_variables", O, "Extra container environment variables (no secrets: they are visible in the runtime's configuration); a YAML map.", {}),
    _s("requestHeaderAllowlist", "request_header_allowlist", A, "Request headers passed to the container (Authorization is added with a JWT authorizer).", (), bounds=(None, 20)),
    _s("jwtDiscoveryUrl", "jwt_authorizer.discovery_url", S, "OpenID Connect discovery URL (https://.../.well-known/openid-configuration); set to require bearer tokens instead of SigV4."),
    _s("jwtAllowedAudiences", "jwt_authorizer.allowed_audiences", A, "Accepted token audiences (this and/or jwtAllowedClients).", ()),
    _s("jwtAllowedClients", "jwt_authorizer.allowed_clients", A, "Accepted token client ids.", ()),
    _s("jwtAllowedScopes", "jwt_authorizer.allowed_scopes", A, "Scopes a token must carry.", ()),
    _s("endpointName", "endpoint.name", S, "Name of an extra runtime endpoint, not DEFAULT; unset creates none (DEFAULT always exists)."),
    _s("endpointVersion", "endpoint.pinned_version", S, "Pin the named endpoint to this runtime version; unset follows every new version."),
    _s("endpointDescription", "endpoint.description", S, "Description of the named endpoint.", bounds=(1, 256)),
    _s("postDeployCheckPrompt", "post_deploy_check.prompt", S, "Send this prompt to the runtime once per new version during pulumi up (a new session on the endpoint that serves the newest version); the update fails when no answer comes within postDeployCheckTimeoutSeconds. Unset: no check. A Python dynamic resource: not for programs in other languages.", bounds=(1, 10_000)),
    _s("postDeployCheckTimeoutSeconds", "post_deploy_check.timeout_seconds", I, "Seconds the post-deploy check waits for the answer, cold start included.", 120, bounds=(5, 900)),
    _s("imageUri", "image.uri", S, "Pre-built image <ECR repository>[:tag]@sha256:<digest>; set to skip the build and the ECR repository."),
    _s("agent", "image.agent", S, "The agent the runtime serves: python (agent_image/, Strands) or rust (agent_rust/, the same API and Memory, docs/rust-agent.md). Picks the default imageContext and the container's variables.", AgentKind.PYTHON, choices=tuple(AgentKind)),
    _s("imageContext", "image.context", S, "Docker build context, relative to the program's directory; unset uses the agent's own (agent_image or agent_rust)."),
    _s("imageDockerfile", "image.dockerfile", S, "Dockerfile path; unset uses <imageContext>/Dockerfile."),
    _s("buildOnPreview", "image.build_on_preview", B, "Build the image (without pushing) during pulumi preview, so a broken image fails the preview. Needs Docker with buildx (and QEMU on x86).", True),
    _s("githubActionsCache", "image.github_actions_cache", B, "Use the GitHub Actions build cache (only inside GitHub Actions).", False),
    _s("repositoryName", "repository.name", S, "ECR repository name; unset derives it from the runtime name."),
    _s("keepImages", "repository.keep_images", I, "Keep the newest N images in the repository; untagged images expire after a day.", 10, bounds=(1, 1000)),
    _s("ecrKmsKeyArn", "repository.kms_key_arn", S, "KMS key ARN for the repository; unset uses AES256."),
    _s("forceDeleteRepository", "repository.force_delete", B, "Let pulumi destroy delete the repository while it still holds images.", False),
    _s("protectRepository", "repository.protect", B, "Refuse to delete the repository (Pulumi protect).", False),
    _s("encryptionKey", "encryption.kms_key", S, "Customer-managed encryption of the ECR repository, every log group the stack creates and AgentCore Memory: stack creates this stack's own KMS key (rotation on, a key policy for exactly those services); a KMS key ARN in the stack's region brings your own (its policy must let them use it); unset keeps AWS-owned keys (docs/encryption.md)."),
    _s("encryptionKeyDeletionWindowDays", "encryption.deletion_window_days", I, "Days the stack's own key waits, once deleted, before KMS destroys it (pulumi destroy schedules it; kms:CancelKeyDeletion within the window restores it).", 30, bounds=(7, 30)),
    _s("encryptRepository", "encryption.repository", B, "Encrypt the ECR repository with encryptionKey. ECR fixes a repository's encryption when it creates it: false keeps a repository that already exists without the key, with its images.", True),
    _s("memory", "memory.enabled", B, "AgentCore Memory for the agent: conversations outlive a session's microVM, and optional long-term strategies. The stack creates the memory (or uses existingMemory), passes its id to the container (BEDROCK_AGENTCORE_MEMORY_ID) and lets the execution role write and read its events, on that memory only (docs/memory.md).", False),
    _s("memoryEventExpiryDays", "memory.event_expiry_days", I, "Days Memory keeps each conversation event (short-term memory) before deleting it.", 30, bounds=(3, 365)),
    _s("memoryDescription", "memory.description", S, "Description of the memory; unset describes it after the runtime.", bounds=(1, 4096)),
    _s("memorySemanticNamespace", "memory.semantic_namespace", S, "Long-term memory: a semantic strategy extracts facts from conversations into this namespace template, which must contain {actorId} (e.g. /users/{actorId}/facts). Unset: no such strategy.", bounds=(1, 512)),
    _s("memorySummaryNamespace", "memory.summary_namespace", S, "Long-term memory: a summary strategy writes session summaries into this namespace template, which must contain {actorId} (e.g. /users/{actorId}/sessions/{sessionId}). Unset: no such strategy.", bounds=(1, 512)),
    _s("memoryUserPreferenceNamespace", "memory.user_preference_namespace", S, "Long-term memory: a user-preference strategy writes preferences into this namespace template, which must contain {actorId} (e.g. /users/{actorId}/preferences). Unset: no such strategy.", bounds=(1, 512)),
    _s("existingMemory", "memory.existing", S, "Use this memory (its id, or its ARN in the stack's account and region) instead of creating one; the namespace keys then name the namespaces its strategies write to. The stack does not manage it."),
    _s("deployerRole", "deployer.enabled", B, "Create the least-privilege deployer role for later pulumi up / preview runs.", True),
    _s("production", "production", B, "A production stack: the deployer role trusts only what deployerTrustedPrincipalArns, deployerTrustedRoleNames or githubRepository name (never a whole account); preview fails until one is set.", False),
    _s("deployerTrustedPrincipalArns", "deployer.trusted_principal_arns", A, "IAM roles, users or (not in a production stack) account roots that may assume the deployer role. With none of these, deployerTrustedRoleNames or githubRepository: identities of this account tagged AgentCoreDeployer=true (docs/deployer-and-ci.md).", ()),
    _s("deployerTrustedRoleNames", "deployer.trusted_role_names", A, "Roles of this stack's account, by name (with their path, e.g. platform/deployers), that may assume the deployer role.", ()),
    _s("githubRepository", "deployer.github.repository", S, "owner/name of the GitHub repository whose Actions runs may assume the deployer role."),
    _s("githubBranches", "deployer.github.branches", A, "Branches whose runs may assume the deployer role.", ("main",)),
    _s("githubEnvironments", "deployer.github.environments", A, "GitHub environments whose jobs may assume the deployer role.", ()),
    _s("githubPullRequests", "deployer.github.pull_requests", B, "Also trust pull_request runs (pulumi preview on PRs); they get the deployer's permissions.", False),
    _s("githubOidcProviderArn", "deployer.github.provider_arn", S, "The account's existing token.actions.githubusercontent.com OIDC provider."),
    _s("createGithubOidcProvider", "deployer.github.create_provider", B, "Create that OIDC provider in this stack (one per account).", False),
    _s("stateBucket", "deployer.state_bucket", S, "S3 bucket of the state backend (grants the deployer access to it)."),
    _s("stateKeyPrefix", "deployer.state_prefix", S, "Key prefix of this project's state in stateBucket.", ""),
    _s("secretsKmsKeyArn", "deployer.secrets_kms_key_arn", S, "KMS key ARN of the stack's awskms:// secrets provider (grants the deployer Encrypt/Decrypt)."),
    _s("permissionsBoundaryArn", "permissions_boundary_arn", S, "Managed policy ARN applied as permissions boundary to every role the stack creates."),
    _s("tags", "tags", O, "Extra tags for every taggable resource; a YAML map.", {}),
    _s(f"{OBS}logRetentionDays", "observability.log_retention_days", I, "Days CloudWatch keeps every log group the stack creates.", 30, choices=LOG_RETENTION_DAYS),
    _s(f"{OBS}logKmsKeyArn", "observability.log_kms_key_arn", S, "Encrypt the log groups with this KMS key (its policy must let CloudWatch Logs use it)."),
    _s(f"{OBS}retainLogsOnDelete", "observability.retain_logs_on_delete", B, "Keep the log groups in the account when the stack is destroyed.", False),
    _s(f"{OBS}runtimeLogs", "observability.runtime_logs", B, "Manage the runtime's own per-endpoint log groups: create them, or adopt them when the service made them first, with retention, key and tags.", True),
    _s(f"{OBS}adoptRuntimeLogGroups", "observability.adopt_runtime_log_groups", B, "Manage the runtime log groups with a Python dynamic resource that adopts a group the service made first. false: plain log-group resources, as before adoption: for programs in other languages, where Pulumi cannot run a Python dynamic resource (pulumi/pulumi#5455), and for stacks not yet moved (docs/observability.md).", True),
    _s(f"{OBS}applicationLogs", "observability.application_logs", B, "Deliver the runtime's APPLICATION_LOGS into a managed log group. AWS documents that they carry request and response payloads (prompts and answers), hence off by default.", False),
    _s(f"{OBS}usageLogs", "observability.usage_logs", B, "Deliver the runtime's USAGE_LOGS into a managed log group.", False),
    _s(f"{OBS}traces", "observability.traces", B, "Deliver the runtime's TRACES to X-Ray (the agent redacts prompts, answers and tool data in its spans: docs/observability.md); the Rust agent then also exports its own spans to X-Ray's OTLP endpoint. Needs CloudWatch Transaction Search in the account and region: transactionSearch, or transactionSearchEnabledInRegion.", False),
    _s(f"{OBS}transactionSearch", "observability.transaction_search", B, "Turn on CloudWatch Transaction Search for the account and region, and keep it on when the stack is destroyed (one stack per account).", False),
    _s(f"{OBS}transactionSearchEnabledInRegion", "observability.transaction_search_enabled_in_region", B, "Transaction Search is already on in this stack's account and region (turned on by another stack or by hand), so traces may be on without transactionSearch.", False),
    _s(f"{OBS}indexingPercentage", "observability.indexing_percentage", N, "Share of spans Transaction Search indexes (1 is the free tier).", 1.0, bounds=(0, 100)),
    _s(f"{OBS}alarms", "observability.alarms", B, "Errors, throttles and p99 latency alarms per endpoint.", True),
    _s(f"{OBS}alarmTopicArn", "observability.alarm_topic_arn", S, "SNS topic notified when an alarm changes state."),
    _s(f"{OBS}errorsThreshold", "observability.errors_threshold", N, "System + user errors per period that raise the errors alarm (positive).", 5.0),
    _s(f"{OBS}throttlesThreshold", "observability.throttles_threshold", N, "Throttled requests per period that raise the throttles alarm (positive).", 1.0),
    _s(f"{OBS}latencyP99ThresholdMs", "observability.latency_p99_threshold_ms", N, "p99 latency in milliseconds that raises the latency alarm (positive).", 60_000.0),
    _s(f"{OBS}alarmPeriodSeconds", "observability.alarm_period_seconds", I, "Alarm period, a positive multiple of 60 seconds (runtime metrics are per minute).", 300),
    _s(f"{OBS}alarmEvaluationPeriods", "observability.alarm_evaluation_periods", I, "Periods in a row that must breach before an alarm fires (positive).", 1),
    _s(f"{OBS}dashboard", "observability.dashboard", B, "One CloudWatch dashboard for the runtime.", True),
)

BY_PATH: dict[tuple[str, ...], Setting] = {s.path: s for s in SETTINGS}
# The top-level config keys, in declaration order; `observability` is one key holding an object.
CONFIG_KEYS: tuple[str, ...] = tuple(dict.fromkeys(s.config_key for s in SETTINGS))


def setting(path: str) -> Setting:
    """The setting at a dotted argument path, e.g. `repository.keep_images`."""
    return BY_PATH[tuple(path.split("."))]


def default(path: str) -> Any:
    """The default the component applies at `path` (for a pydantic field's default)."""
    value = setting(path).default
    if value is REQUIRED:
        raise KeyError(f"{path} is required and has no default")
    return value


def bounds(path: str) -> tuple[Any, Any]:
    """(minimum, maximum) of the setting at `path`; raises when it declares none."""
    declared = setting(path).bounds
    if declared is None:
        raise KeyError(f"{path} declares no bounds")
    return declared


def observability_settings() -> tuple[Setting, ...]:
    """The keys of the `agentcore:observability` object."""
    return tuple(s for s in SETTINGS if s.path[0] == OBSERVABILITY)


def camel_case(name: str) -> str:
    """`latency_p99_threshold_ms` -> `latencyP99ThresholdMs`, as a stack file spells a setting."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def is_default(path: tuple[str, ...], value: Any) -> bool:
    """Whether `value` equals the default at `path`: such a value counts as unset, on the config
    path and the argument path alike (it neither creates an optional block nor trips a rule about
    settings that do not apply)."""
    declared = BY_PATH.get(path)
    if declared is None or declared.required or declared.default is None:
        return False
    # True == 1 in Python; `alarmEvaluationPeriods: true` is a mistake, not the default 1.
    if isinstance(value, bool) is not isinstance(declared.default, bool):
        return False
    if isinstance(value, list):
        value = tuple(value)
    return declared.config_value(value) == declared.config_value(declared.default)
