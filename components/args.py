"""The component's arguments, typed so Pulumi's schema inference can describe them to every language.

These TypedDicts are the public contract (Python callers pass them; `pulumi package add` turns them
into SDK types for other languages). Most fields are plain values, not `pulumi.Input`, on purpose:
names, model ids, lifecycle limits and the like shape resource names and IAM policies and are
validated at preview, so they must be known when the component is constructed. Subnet and security
group ids may be outputs of other resources.

Every setting's default, bounds and description are declared once, in `schema.py` (rendered in
docs/configuration.md); the rules are in `settings.py` and `rules.py`. A test keeps the arguments,
the schema and the validated settings in step.
"""

from collections.abc import Sequence
from enum import Enum
from typing import NotRequired, TypedDict

import pulumi


class NetworkMode(str, Enum):
    """Where the runtime's microVMs get their network."""

    PUBLIC = "PUBLIC"
    """AgentCore-managed networking with internet access."""
    VPC = "VPC"
    """Elastic network interfaces in your subnets, under your security groups."""


class ServerProtocol(str, Enum):
    """The protocol the container serves."""

    HTTP = "HTTP"
    """POST /invocations and GET /ping on port 8080."""
    MCP = "MCP"
    """An MCP server on port 8000, path /mcp."""
    A2A = "A2A"
    """An agent-to-agent server on port 9000."""
    AGUI = "AGUI"
    """An AG-UI server."""


class AgentKind(str, Enum):
    """Which agent the image holds: the Python one (agent_image/) or its Rust twin (agent_rust/).

    Both serve the same API and keep conversations in AgentCore Memory the same way; the component
    sets each one's own telemetry variables."""

    PYTHON = "python"
    RUST = "rust"


class LogLevel(str, Enum):
    """The agent's log level, passed to the container as LOG_LEVEL."""

    DEBUG = "DEBUG"
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class LifecycleArgs(TypedDict, total=False):
    """Session lifetime limits, in seconds (AgentCore microVMs accept 60-28800)."""

    idle_timeout_seconds: int
    """Stop a session after this long without requests (at most max_lifetime_seconds)."""
    max_lifetime_seconds: int
    """Stop a session after this long in any case."""


class NetworkArgs(TypedDict, total=False):
    """PUBLIC or VPC networking."""

    mode: NetworkMode
    """PUBLIC or VPC."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """VPC mode: 1-16 subnet ids (subnet-...)."""
    security_group_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """VPC mode: 1-16 security group ids (sg-...)."""


class JwtAuthorizerArgs(TypedDict):
    """Accept OAuth bearer tokens from an OpenID Connect issuer instead of SigV4 callers."""

    discovery_url: str
    """https://.../.well-known/openid-configuration of the issuer."""
    allowed_audiences: NotRequired[list[str]]
    """Accepted `aud` values (set this and/or allowed_clients)."""
    allowed_clients: NotRequired[list[str]]
    """Accepted `client_id` values (set this and/or allowed_audiences)."""
    allowed_scopes: NotRequired[list[str]]
    """Scopes a token must carry."""


class EndpointArgs(TypedDict):
    """A named endpoint in addition to the built-in DEFAULT one (which follows the latest version)."""

    name: str
    """Endpoint name, [a-zA-Z][a-zA-Z0-9_]{0,47}; not DEFAULT."""
    pinned_version: NotRequired[str]
    """Serve this runtime version; when absent the endpoint follows every new version."""
    description: NotRequired[str]
    """Up to 256 characters."""


class PostDeployCheckArgs(TypedDict):
    """Invoke the runtime once per new version during `pulumi up`; fail the update without an answer."""

    prompt: str
    """The prompt sent, 1-10000 characters."""
    timeout_seconds: NotRequired[int]
    """Seconds to wait for the answer, cold start included (5-900)."""


class ImageArgs(TypedDict, total=False):
    """How the container image is obtained: built from a local context, or brought pre-built."""

    agent: str
    """The agent in the image: "python" (default) or "rust"; picks the default context."""
    context: str
    """Build context directory, relative to the program's working directory; unset uses the
    agent's own (agent_image or agent_rust)."""
    dockerfile: str
    """Dockerfile path; unset uses <context>/Dockerfile."""
    uri: str
    """A pre-built image, <ECR repository>[:tag]@sha256:<digest>; nothing is built when set."""
    build_on_preview: bool
    """Build (without pushing) during `pulumi preview` so a broken image fails the preview; needs Docker."""
    github_actions_cache: bool
    """Use the GitHub Actions build cache (only inside GitHub Actions)."""


class RepositoryArgs(TypedDict, total=False):
    """The ECR repository created for built images."""

    name: str
    """Repository name; unset derives it from the runtime name."""
    keep_images: int
    """Keep the newest N images, expire the rest."""
    kms_key_arn: str
    """Encrypt with this KMS key instead of AES256."""
    force_delete: bool
    """Allow deleting the repository while it still holds images."""
    protect: bool
    """Refuse to delete the repository in `pulumi destroy`."""


class EncryptionArgs(TypedDict, total=False):
    """Customer-managed KMS encryption of the repository, the log groups and Memory."""

    kms_key: str
    """`stack` (create this stack's own key) or a KMS key ARN in the stack's region (bring your own)."""
    deletion_window_days: int
    """Days the stack's own key waits, once deleted, before KMS destroys it (7-30)."""
    repository: bool
    """Encrypt the ECR repository with the key (false keeps an existing repository as it is)."""


class MemoryArgs(TypedDict, total=False):
    """AgentCore Memory for the agent's conversations: a memory the component creates (or one that
    exists), its id passed to the container, and the execution role allowed to use it."""

    enabled: bool
    """Give the agent a memory (docs/memory.md)."""
    event_expiry_days: int
    """Days Memory keeps each conversation event (short-term memory), 3-365."""
    description: str
    """Description of the memory, 1-4096 characters."""
    semantic_namespace: str
    """Long-term memory: a semantic strategy extracts facts into this namespace template, which must contain `{actorId}` (e.g. `/users/{actorId}/facts`)."""
    summary_namespace: str
    """Long-term memory: a summary strategy writes session summaries into this namespace template (e.g. `/users/{actorId}/sessions/{sessionId}`)."""
    user_preference_namespace: str
    """Long-term memory: a user-preference strategy writes preferences into this namespace template (e.g. `/users/{actorId}/preferences`)."""
    existing: str
    """Use this memory (its id, or its ARN in the stack's account and region) instead of creating one; the namespaces then name those its strategies write to."""


class GithubOidcArgs(TypedDict):
    """Let GitHub Actions runs of one repository assume the deployer role, without stored keys."""

    repository: str
    """owner/name."""
    branches: NotRequired[list[str]]
    """Branches whose runs may deploy."""
    environments: NotRequired[list[str]]
    """GitHub environments whose jobs may deploy."""
    pull_requests: NotRequired[bool]
    """Also trust pull_request runs (needed for `pulumi preview` on PRs)."""
    provider_arn: NotRequired[str]
    """The account's existing token.actions.githubusercontent.com OIDC provider."""
    create_provider: NotRequired[bool]
    """Create that provider in this stack instead (one per account)."""


class DeployerArgs(TypedDict, total=False):
    """The least-privilege role later `pulumi up` / `pulumi preview` runs assume."""

    enabled: bool
    """Create the role."""
    trusted_principal_arns: list[str]
    """IAM roles, users or (outside production) account roots (arn:...:iam::<account>:root) that may assume it."""
    trusted_role_names: list[str]
    """Roles of the stack's account, by name (with path), that may assume it."""
    github: GithubOidcArgs
    """GitHub Actions OIDC trust."""
    state_bucket: str
    """S3 bucket of the Pulumi state backend, when the stack uses one."""
    state_prefix: str
    """Key prefix of this project's state inside that bucket."""
    secrets_kms_key_arn: str
    """KMS key of the stack's awskms:// secrets provider."""


class ObservabilityArgs(TypedDict, total=False):
    """Log groups with retention, vended logs and traces, Transaction Search, alarms and a dashboard
    around the runtime. Defaults suit a small production stack; dev stacks shorten retention."""

    log_retention_days: int
    """Days CloudWatch keeps every log group created here (one of CloudWatch's retention values)."""
    log_kms_key_arn: str
    """Encrypt the log groups with this KMS key (its policy must let CloudWatch Logs use it)."""
    retain_logs_on_delete: bool
    """Keep the log groups in the account when the stack is destroyed."""
    runtime_logs: bool
    """Manage the runtime's own per-endpoint log groups: create them, or adopt them when the service made them first, with retention, key and tags."""
    adopt_runtime_log_groups: bool
    """Manage the runtime log groups with a Python dynamic resource that adopts a group the service made first; false: plain log-group resources (programs in other languages need false: pulumi/pulumi#5455)."""
    application_logs: bool
    """Deliver the runtime's APPLICATION_LOGS into a managed log group. AWS documents that they carry request and response payloads (prompts and answers)."""
    usage_logs: bool
    """Deliver the runtime's USAGE_LOGS into a managed log group."""
    traces: bool
    """Deliver the runtime's TRACES to X-Ray (the agent redacts prompts, answers and tool data in its spans: docs/observability.md). Needs CloudWatch Transaction Search in the account and region: `transaction_search`, or `transaction_search_enabled_in_region`."""
    transaction_search: bool
    """Turn on CloudWatch Transaction Search for the account and region, and keep it on when the stack is destroyed (one stack per account)."""
    transaction_search_enabled_in_region: bool
    """Transaction Search is already on in this stack's account and region (turned on by another stack or by hand), so traces may be on without `transaction_search`."""
    indexing_percentage: float
    """Share of spans Transaction Search indexes, in percent."""
    alarms: bool
    """Errors, throttles and p99 latency alarms per endpoint."""
    alarm_topic_arn: str
    """SNS topic notified when an alarm changes state."""
    errors_threshold: float
    """System + user errors per period that raise the errors alarm."""
    throttles_threshold: float
    """Throttled requests per period that raise the throttles alarm."""
    latency_p99_threshold_ms: float
    """p99 latency in milliseconds that raises the latency alarm."""
    alarm_period_seconds: int
    """Alarm period, a multiple of 60 seconds."""
    alarm_evaluation_periods: int
    """Periods in a row that must breach before an alarm fires."""
    dashboard: bool
    """One CloudWatch dashboard for the runtime."""


class AgentCoreRuntimeArgs(TypedDict):
    """Arguments of AgentCoreRuntime. Every optional setting's default is listed in
    docs/configuration.md (generated from components/schema.py)."""

    model_id: str
    """Bedrock foundation model id or inference profile id (us./eu./apac./jp./au./ca./us-gov./global.)."""
    additional_model_ids: NotRequired[list[str]]
    """Further models the agent may invoke."""
    runtime_name: NotRequired[str]
    """Runtime name, [a-zA-Z][a-zA-Z0-9_]{0,47}; unset derives <project>_<stack>."""
    description: NotRequired[str]
    """Runtime description, 1-1200 characters."""
    environment: NotRequired[str]
    """Environment tag value; unset uses the stack name."""
    log_level: NotRequired[LogLevel]
    """LOG_LEVEL for the agent."""
    protocol: NotRequired[ServerProtocol]
    """Server protocol."""
    lifecycle: NotRequired[LifecycleArgs]
    """Session lifetime limits."""
    network: NotRequired[NetworkArgs]
    """Network mode and VPC placement."""
    environment_variables: NotRequired[dict[str, str]]
    """Extra container environment variables (no secrets: they are visible in the runtime's configuration)."""
    request_header_allowlist: NotRequired[list[str]]
    """Request headers passed through to the container (Authorization is added with a JWT authorizer)."""
    jwt_authorizer: NotRequired[JwtAuthorizerArgs]
    """Inbound OAuth instead of SigV4."""
    endpoint: NotRequired[EndpointArgs]
    """An optional named endpoint."""
    post_deploy_check: NotRequired[PostDeployCheckArgs]
    """An optional check that the new version answers (a Python dynamic resource)."""
    image: NotRequired[ImageArgs]
    """Image build or bring-your-own image."""
    repository: NotRequired[RepositoryArgs]
    """ECR repository settings (when the component builds the image)."""
    encryption: NotRequired[EncryptionArgs]
    """Customer-managed KMS encryption (the stack's own key or yours)."""
    memory: NotRequired[MemoryArgs]
    """AgentCore Memory: conversations that outlive a session's microVM, and long-term memory."""
    production: NotRequired[bool]
    """A production stack: the deployer role must name who may assume it."""
    deployer: NotRequired[DeployerArgs]
    """Deployer role settings."""
    permissions_boundary_arn: NotRequired[str]
    """Permissions boundary for every role the component creates."""
    tags: NotRequired[dict[str, str]]
    """Extra tags for every taggable resource."""
    observability: NotRequired[ObservabilityArgs]
    """Logs, traces, alarms and dashboard around the runtime."""
