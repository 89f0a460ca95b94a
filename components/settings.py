"""The validated settings: `RuntimeSettings`, frozen, built from `AgentCoreRuntimeArgs` (or the
dict the stack config builds). Defaults and bounds come from `schema`, where every setting is
declared once; per-field rules are pydantic validators here; rules that relate two fields, and the
reporting of problems under argument paths or config keys, are in `rules`.
"""

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .args import AgentKind, LogLevel, NetworkMode, ServerProtocol
from .arn_patterns import KMS_KEY_ARN, OIDC_PROVIDER_ARN, POLICY_ARN, PRINCIPAL_ARN
from .bedrock_models import classify_model_id
from .container_environment import CREDENTIAL_ENV_VARS, MANAGED_ENV_VARS, SHADOWING_ENV_VARS
from .github_oidc import GITHUB_OIDC_HOST
from .image_ref import parse_image_uri
from .memory import STRATEGY_KINDS, Strategy, memory_id_problem, namespace_problem
from .names import DEFAULT_ENDPOINT, agentcore_name_problem, ecr_repository_name_problem
from .observability.settings import ObservabilityConfig
from .schema import bounds, default
from .tagging import tag_problems, tag_value_problem

ENV_VARS_MAX = 50  # AgentCore's limit per runtime, the component's own included
ENV_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
ENV_KEY_MAX = 128
ENV_VALUE_MAX = 2048

HEADERS_MAX = bounds("request_header_allowlist")[1]
HEADER_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,255}")
AUTHORIZATION = "Authorization"
LEGACY_CUSTOM_HEADER_PREFIX = "x-amzn-bedrock-agentcore-runtime-custom-"
# Headers AgentCore refuses to pass through (runtime header allowlist docs, "restricted headers").
RESTRICTED_HEADERS = frozenset(
    h.lower()
    for h in (
        "Proxy-Authorization", "WWW-Authenticate", "Accept", "Accept-Charset", "Accept-Encoding",
        "Accept-Language", "Content-Type", "Content-Length", "Content-Encoding", "Content-Language",
        "Content-Location", "Content-Range", "Cache-Control", "ETag", "Expires", "If-Match",
        "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Last-Modified",
        "Pragma", "Vary", "Connection", "Keep-Alive", "Proxy-Connection", "Upgrade", "Host",
        "User-Agent", "Referer", "From", "Range", "Accept-Ranges", "Transfer-Encoding", "TE",
        "Trailer", "Server", "Date", "Cookie", "Set-Cookie", "Origin", "Via", "Forwarded",
        "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Real-IP", "Link",
    )
)

DISCOVERY_URL_SUFFIX = "/.well-known/openid-configuration"
JWT_SCOPE = re.compile(r"[\x21\x23-\x5B\x5D-\x7E]+")
RUNTIME_VERSION = re.compile(r"[1-9][0-9]{0,4}")
VPC_IDS_MAX = bounds("network.subnet_ids")[1]
SUBNET_ID = re.compile(r"subnet-[0-9a-zA-Z]{8,17}")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-zA-Z]{8,17}")

GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
GIT_REF_NAME = re.compile(r"[A-Za-z0-9._/-]+")
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _fail(rule: str, message: str) -> PydanticCustomError:
    """A pydantic error whose message is used verbatim (without a context nothing is formatted)."""
    return PydanticCustomError(rule, message)


def _matching(value: str | None, pattern: re.Pattern[str], rule: str, form: str) -> str | None:
    """An optional value that must match `pattern` in full; the message names the `form`."""
    if value is not None and pattern.fullmatch(value) is None:
        raise _fail(rule, f"must be {form}, got {value!r}")
    return value


def _in_range(path: str, value: int, unit: str, why: str = "") -> int:
    """`value` within the bounds `schema` declares for `path`."""
    low, high = bounds(path)
    if not low <= value <= high:
        raise _fail(path.replace(".", "_"), f"must be between {low} and {high} {unit}{why}, got {value}")
    return value


def _length(path: str, value: str | None) -> str | None:
    """A string within the length bounds `schema` declares for `path`."""
    low, high = bounds(path)
    if value is not None and not low <= len(value) <= high:
        raise _fail(path.replace(".", "_"), f"must be {low}-{high} characters, got {len(value)}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class LifecycleSettings(_Model):
    idle_timeout_seconds: int = default("lifecycle.idle_timeout_seconds")
    max_lifetime_seconds: int = default("lifecycle.max_lifetime_seconds")

    @field_validator("idle_timeout_seconds", "max_lifetime_seconds")
    @classmethod
    def _bounds(cls, value: int, info: ValidationInfo) -> int:
        return _in_range(f"lifecycle.{info.field_name}", value, "seconds", " (AgentCore microVM limits)")


class NetworkSettings(_Model):
    mode: NetworkMode = default("network.mode")
    # Plain lists are checked here; outputs of other resources are checked when they resolve.
    subnet_ids: Any = default("network.subnet_ids")
    security_group_ids: Any = default("network.security_group_ids")

    @field_validator("subnet_ids", "security_group_ids")
    @classmethod
    def _ids(cls, value: Any, info: ValidationInfo) -> Any:
        pattern, kind = (SUBNET_ID, "subnet-") if info.field_name == "subnet_ids" else (SECURITY_GROUP_ID, "sg-")
        return check_vpc_ids(value, pattern, kind)


def check_vpc_ids(value: Any, pattern: re.Pattern[str], kind: str) -> Any:
    """Count and shape of plain id lists; anything else (an Output) passes through unchanged."""
    if isinstance(value, (list, tuple)):
        if len(value) > VPC_IDS_MAX:
            raise _fail("vpc_ids_count", f"at most {VPC_IDS_MAX} ids, got {len(value)}")
        for item in value:
            if isinstance(item, str) and pattern.fullmatch(item) is None:
                raise _fail("vpc_id_form", f"{item!r} is not a {kind}<8-17 letters or digits> id")
        return tuple(value)
    return value


class JwtAuthorizerSettings(_Model):
    discovery_url: str
    allowed_audiences: tuple[str, ...] = default("jwt_authorizer.allowed_audiences")
    allowed_clients: tuple[str, ...] = default("jwt_authorizer.allowed_clients")
    allowed_scopes: tuple[str, ...] = default("jwt_authorizer.allowed_scopes")

    @field_validator("discovery_url")
    @classmethod
    def _discovery_url(cls, value: str) -> str:
        if not value.startswith("https://") or not value.endswith(DISCOVERY_URL_SUFFIX) or " " in value:
            raise _fail(
                "jwt_discovery_url",
                f"must be an https:// URL ending in {DISCOVERY_URL_SUFFIX} (the issuer's OpenID Connect "
                f"discovery document), got {value!r}",
            )
        return value

    @field_validator("allowed_audiences", "allowed_clients")
    @classmethod
    def _non_empty_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not item.strip() for item in value):
            raise _fail("jwt_empty_item", "entries must be non-empty strings")
        return value

    @field_validator("allowed_scopes")
    @classmethod
    def _scopes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for scope in value:
            if JWT_SCOPE.fullmatch(scope) is None:
                raise _fail("jwt_scope", f"{scope!r} is not a valid OAuth scope (printable ASCII, no spaces, quotes or backslashes)")
        return value


class EndpointSettings(_Model):
    name: str
    pinned_version: str | None = default("endpoint.pinned_version")
    description: str | None = default("endpoint.description")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = agentcore_name_problem(value)
        if problem:
            raise _fail("agentcore_name", problem)
        if value.upper() == DEFAULT_ENDPOINT:
            raise _fail("endpoint_reserved", f"{value!r} is the built-in endpoint's name; choose another")
        return value

    @field_validator("pinned_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        return _matching(value, RUNTIME_VERSION, "runtime_version", "a runtime version number (1-99999)")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return _length("endpoint.description", value)


class PostDeployCheckSettings(_Model):
    prompt: str
    timeout_seconds: int = default("post_deploy_check.timeout_seconds")

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        if not value.strip():
            raise _fail("post_deploy_check_prompt", "must not be blank")
        return _length("post_deploy_check.prompt", value)  # type: ignore[return-value]

    @field_validator("timeout_seconds")
    @classmethod
    def _timeout(cls, value: int) -> int:
        return _in_range("post_deploy_check.timeout_seconds", value, "seconds", " (AgentCore answers synchronously for at most 15 minutes)")


AGENT_CONTEXTS = {AgentKind.PYTHON: "agent_image", AgentKind.RUST: "agent_rust"}


class ImageSettings(_Model):
    agent: AgentKind = default("image.agent")
    context: str | None = default("image.context")
    dockerfile: str | None = default("image.dockerfile")
    uri: str | None = default("image.uri")
    build_on_preview: bool = default("image.build_on_preview")
    github_actions_cache: bool = default("image.github_actions_cache")

    @field_validator("uri")
    @classmethod
    def _uri(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                parse_image_uri(value)
            except ValueError as exc:
                raise _fail("image_uri", str(exc)) from None
        return value

    @property
    def builds(self) -> bool:
        """Whether the component builds and pushes the image (no pre-built URI given)."""
        return self.uri is None

    @property
    def build_context(self) -> str:
        """The context given, else the agent's own directory in this project."""
        return self.context or AGENT_CONTEXTS[self.agent]

    @property
    def dockerfile_path(self) -> Path:
        return Path(self.dockerfile) if self.dockerfile else Path(self.build_context) / "Dockerfile"


class RepositorySettings(_Model):
    name: str | None = default("repository.name")
    keep_images: int = default("repository.keep_images")
    kms_key_arn: str | None = default("repository.kms_key_arn")
    force_delete: bool = default("repository.force_delete")
    protect: bool = default("repository.protect")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        problem = ecr_repository_name_problem(value) if value is not None else None
        if problem:
            raise _fail("ecr_repository_name", problem)
        return value

    @field_validator("keep_images")
    @classmethod
    def _keep(cls, value: int) -> int:
        return _in_range("repository.keep_images", value, "images")

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return _kms_key(value)


def _kms_key(value: str | None) -> str | None:
    return _matching(value, KMS_KEY_ARN, "kms_key_arn", "a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)")


# `encryption.kms_key`: this word creates the stack's own key; anything else must be a key ARN.
STACK_KEY = "stack"


class EncryptionSettings(_Model):
    kms_key: str | None = default("encryption.kms_key")
    deletion_window_days: int = default("encryption.deletion_window_days")
    repository: bool = default("encryption.repository")

    @field_validator("kms_key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        if value is None or value == STACK_KEY or KMS_KEY_ARN.fullmatch(value):
            return value
        raise _fail(
            "encryption_key",
            f"must be {STACK_KEY!r} (create this stack's own key) or a KMS key ARN "
            f"(arn:<partition>:kms:<region>:<account>:key/<id>; not an alias), got {value!r}",
        )

    @field_validator("deletion_window_days")
    @classmethod
    def _window(cls, value: int) -> int:
        return _in_range("encryption.deletion_window_days", value, "days", " (KMS's waiting period)")

    @property
    def creates_key(self) -> bool:
        """Whether the stack creates its own key."""
        return self.kms_key == STACK_KEY

    @property
    def key_arn(self) -> str | None:
        """A brought key's ARN (None for the stack's own key, which exists only once created)."""
        return None if self.kms_key in (None, STACK_KEY) else self.kms_key


class MemorySettings(_Model):
    enabled: bool = default("memory.enabled")
    event_expiry_days: int = default("memory.event_expiry_days")
    description: str | None = default("memory.description")
    semantic_namespace: str | None = default("memory.semantic_namespace")
    summary_namespace: str | None = default("memory.summary_namespace")
    user_preference_namespace: str | None = default("memory.user_preference_namespace")
    existing: str | None = default("memory.existing")

    @field_validator("event_expiry_days")
    @classmethod
    def _expiry(cls, value: int) -> int:
        return _in_range("memory.event_expiry_days", value, "days", " (AgentCore Memory's event expiry)")

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return _length("memory.description", value)

    @field_validator("semantic_namespace", "summary_namespace", "user_preference_namespace")
    @classmethod
    def _namespace(cls, value: str | None) -> str | None:
        problem = namespace_problem(value) if value is not None else None
        if problem:
            raise _fail("memory_namespace", problem)
        return value

    @field_validator("existing")
    @classmethod
    def _existing(cls, value: str | None) -> str | None:
        problem = memory_id_problem(value) if value is not None else None
        if problem:
            raise _fail("memory_id", problem)
        return value

    @property
    def creates(self) -> bool:
        """Whether the stack creates (and manages) the memory."""
        return self.enabled and self.existing is None

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        """The long-term strategies configured, in a fixed order."""
        return tuple(
            Strategy(kind, name, getattr(self, field))
            for field, kind, name in STRATEGY_KINDS
            if getattr(self, field) is not None
        )


class GithubSettings(_Model):
    repository: str
    branches: tuple[str, ...] = default("deployer.github.branches")
    environments: tuple[str, ...] = default("deployer.github.environments")
    pull_requests: bool = default("deployer.github.pull_requests")
    provider_arn: str | None = default("deployer.github.provider_arn")
    create_provider: bool = default("deployer.github.create_provider")

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        return _matching(value, GITHUB_REPOSITORY, "github_repository", "<owner>/<repository>") or value

    @field_validator("branches", "environments")
    @classmethod
    def _refs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            if GIT_REF_NAME.fullmatch(item) is None:
                raise _fail("github_ref", f"{item!r} must be a plain name (letters, digits, . _ / -); wildcards are not allowed")
        return value

    @field_validator("provider_arn")
    @classmethod
    def _provider(cls, value: str | None) -> str | None:
        return _matching(
            value, OIDC_PROVIDER_ARN, "github_provider_arn", f"arn:<partition>:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST}"
        )


ROLE_NAME_WITH_PATH = re.compile(r"(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}")


class DeployerSettings(_Model):
    enabled: bool = default("deployer.enabled")
    trusted_principal_arns: tuple[str, ...] = default("deployer.trusted_principal_arns")
    trusted_role_names: tuple[str, ...] = default("deployer.trusted_role_names")
    github: GithubSettings | None = None
    state_bucket: str | None = default("deployer.state_bucket")
    state_prefix: str = default("deployer.state_prefix")
    secrets_kms_key_arn: str | None = default("deployer.secrets_kms_key_arn")

    @field_validator("trusted_principal_arns")
    @classmethod
    def _principals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for arn in value:
            if PRINCIPAL_ARN.fullmatch(arn) is None:
                raise _fail(
                    "principal_arn",
                    f"{arn!r} must be an IAM role, user or account root ARN "
                    "(arn:<partition>:iam::<account>:role/..., :user/... or :root); '*' is never allowed",
                )
        return value

    @field_validator("trusted_role_names")
    @classmethod
    def _role_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if ROLE_NAME_WITH_PATH.fullmatch(name) is None or len(name) > 512:
                raise _fail(
                    "role_name",
                    f"{name!r} must be an IAM role name, optionally after its path (platform/deployers): "
                    "letters, digits and + = , . @ _ -, at most 64 characters per name; no ARN, no wildcard",
                )
        return value

    @property
    def names_principals(self) -> bool:
        """Whether the trust names who may assume the role (principals, role names or GitHub)."""
        return bool(self.trusted_principal_arns or self.trusted_role_names or self.github)

    @field_validator("state_bucket")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None and (S3_BUCKET.fullmatch(value) is None or ".." in value):
            raise _fail("s3_bucket", f"must be an S3 bucket name (3-63 lowercase letters, digits, '.' and '-'), got {value!r}")
        return value

    @field_validator("secrets_kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return _kms_key(value)


def _model_id(value: str) -> str:
    try:
        classify_model_id(value)
    except ValueError as exc:
        raise _fail("model_id", str(exc)) from None
    return value


class RuntimeSettings(_Model):
    model_id: str
    additional_model_ids: tuple[str, ...] = default("additional_model_ids")
    runtime_name: str | None = default("runtime_name")
    description: str | None = default("description")
    environment: str | None = default("environment")
    log_level: LogLevel = default("log_level")
    protocol: ServerProtocol = default("protocol")
    lifecycle: LifecycleSettings = LifecycleSettings()
    network: NetworkSettings = NetworkSettings()
    environment_variables: dict[str, str] = default("environment_variables")
    request_header_allowlist: tuple[str, ...] = default("request_header_allowlist")
    jwt_authorizer: JwtAuthorizerSettings | None = None
    endpoint: EndpointSettings | None = None
    post_deploy_check: PostDeployCheckSettings | None = None
    image: ImageSettings = ImageSettings()
    repository: RepositorySettings = RepositorySettings()
    encryption: EncryptionSettings = EncryptionSettings()
    memory: MemorySettings = MemorySettings()
    production: bool = default("production")
    deployer: DeployerSettings = DeployerSettings()
    permissions_boundary_arn: str | None = default("permissions_boundary_arn")
    tags: dict[str, str] = default("tags")
    observability: ObservabilityConfig = ObservabilityConfig()

    @property
    def post_deploy_check_qualifier(self) -> str | None:
        """The endpoint the post-deploy check invokes: the named one when it follows every new
        version, else DEFAULT (which always does); None without a check. A pinned endpoint would
        still serve the old version, so checking it would prove nothing about the new one."""
        if self.post_deploy_check is None:
            return None
        if self.endpoint is not None and self.endpoint.pinned_version is None:
            return self.endpoint.name
        return DEFAULT_ENDPOINT

    @field_validator("model_id")
    @classmethod
    def _model(cls, value: str) -> str:
        return _model_id(value)

    @field_validator("additional_model_ids")
    @classmethod
    def _models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for model_id in value:
            _model_id(model_id)
        return value

    @field_validator("runtime_name")
    @classmethod
    def _runtime_name(cls, value: str | None) -> str | None:
        problem = agentcore_name_problem(value) if value is not None else None
        if problem:
            raise _fail("agentcore_name", problem)
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        return _length("description", value)

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str | None) -> str | None:
        if value is not None and (not value or tag_value_problem(value)):
            raise _fail("environment", f"{value!r} must be a valid tag value (1-256 letters, digits, spaces and . _ : / = + @ -)")
        return value

    @field_validator("environment_variables")
    @classmethod
    def _env(cls, value: dict[str, str]) -> dict[str, str]:
        for key, item in value.items():
            if key in MANAGED_ENV_VARS or key in SHADOWING_ENV_VARS:
                reserved = ", ".join((*MANAGED_ENV_VARS, *SHADOWING_ENV_VARS))
                raise _fail(
                    "env_reserved",
                    f"{key} is set by the component (region, model, log level, memory and the OpenTelemetry "
                    f"setup the observability resources expect); reserved names: {reserved}",
                )
            if key in CREDENTIAL_ENV_VARS:
                raise _fail(
                    "env_credentials",
                    f"{key}: credentials must not be environment variables (they are visible in the runtime's "
                    "configuration); the runtime gets credentials from its execution role",
                )
            if len(key) > ENV_KEY_MAX or ENV_KEY.fullmatch(key) is None:
                raise _fail("env_key", f"{key!r} must match [a-zA-Z_][a-zA-Z0-9_]* and be at most {ENV_KEY_MAX} characters")
            if len(item) > ENV_VALUE_MAX:
                raise _fail("env_value", f"{key}: values are limited to {ENV_VALUE_MAX} characters, got {len(item)}")
        limit = ENV_VARS_MAX - len(MANAGED_ENV_VARS)
        if len(value) > limit:
            raise _fail(
                "env_count",
                f"at most {limit} variables (AgentCore allows {ENV_VARS_MAX} and the component sets "
                f"{len(MANAGED_ENV_VARS)}), got {len(value)}",
            )
        return value

    @field_validator("request_header_allowlist")
    @classmethod
    def _headers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for name in value:
            lower = name.lower()
            if HEADER_NAME.fullmatch(name) is None:
                raise _fail("header_name", f"{name!r} is not a valid header name (a letter, then letters, digits, '-' or '_', at most 256)")
            if lower in RESTRICTED_HEADERS:
                raise _fail("header_restricted", f"{name!r} is a restricted header AgentCore never passes to the container")
            if lower.startswith("x-amz-") or (lower.startswith("x-amzn-") and not lower.startswith(LEGACY_CUSTOM_HEADER_PREFIX)):
                raise _fail("header_reserved", f"{name!r}: X-Amz- and X-Amzn- headers are reserved by AWS")
            if lower in seen:
                raise _fail("header_duplicate", f"{name!r} is listed twice (header names are case-insensitive)")
            seen.add(lower)
        if len(value) > HEADERS_MAX:
            raise _fail("header_count", f"at most {HEADERS_MAX} headers, got {len(value)}")
        return value

    @field_validator("permissions_boundary_arn")
    @classmethod
    def _boundary(cls, value: str | None) -> str | None:
        return _matching(value, POLICY_ARN, "boundary_arn", "an IAM managed policy ARN (arn:<partition>:iam::<account>:policy/...)")

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: dict[str, str]) -> dict[str, str]:
        problems = tag_problems(value)
        if problems:
            raise _fail("tags", "; ".join(problems))
        return value

    @property
    def model_ids(self) -> tuple[str, ...]:
        """The primary model first, then the others, without duplicates."""
        return tuple(dict.fromkeys((self.model_id, *self.additional_model_ids)))

    @property
    def header_allowlist(self) -> tuple[str, ...]:
        """The headers to configure: the user's, plus Authorization when a JWT authorizer is set."""
        headers = self.request_header_allowlist
        if self.jwt_authorizer is not None and AUTHORIZATION.lower() not in {h.lower() for h in headers}:
            headers = (*headers, AUTHORIZATION)
        return headers
