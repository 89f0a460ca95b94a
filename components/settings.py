"""Validation of the component's arguments: every rule, with defaults, in one place.

`parse_settings` turns `AgentCoreRuntimeArgs` (or the dict the stack config builds) into frozen
`RuntimeSettings`, or into a list of `(location, message)` problems; `validate_args` formats those
as `args.<path>: <rule>` for component callers, `stack_config` as `agentcore:<key>: <rule>`.
Per-field rules are pydantic validators; rules that relate two fields run after them, so each
message can still name the one key the user should change.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from .args import LogLevel, NetworkMode, ServerProtocol
from .arns import KMS_KEY_ARN, OIDC_PROVIDER_ARN, POLICY_ARN, PRINCIPAL_ARN
from .bedrock_models import classify_model_id
from .ecr_lifecycle import KEEP_IMAGES_MAX, KEEP_IMAGES_MIN
from .errors import ConfigError, Problem
from .image_ref import parse_image_uri
from .names import agentcore_name_problem, ecr_repository_name_problem
from .observability import ObservabilityConfig, container_otel_environment
from .tagging import tag_problems, tag_value_problem

Location = tuple[str | int, ...]

LIFECYCLE_MIN = 60
LIFECYCLE_MAX = 28800

ENV_VARS_MAX = 50
ENV_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
ENV_KEY_MAX = 128
ENV_VALUE_MAX = 2048
# Set by the component itself (see `managed_environment`): the agent in agent_image/ reads the
# first three, the image's `opentelemetry-instrument` wrapper the others.
MANAGED_ENV_VARS = ("AWS_REGION", "MODEL_ID", "LOG_LEVEL", *container_otel_environment())
# Would contradict AWS_REGION for SDKs that read it first.
SHADOWING_ENV_VARS = ("AWS_DEFAULT_REGION",)
CREDENTIAL_ENV_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

HEADERS_MAX = 20
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
DESCRIPTION_MAX = 1200
ENDPOINT_DESCRIPTION_MAX = 256
RESERVED_ENDPOINT = "DEFAULT"
VPC_IDS_MAX = 16
SUBNET_ID = re.compile(r"subnet-[0-9a-zA-Z]{8,17}")
SECURITY_GROUP_ID = re.compile(r"sg-[0-9a-zA-Z]{8,17}")

GITHUB_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
GIT_REF_NAME = re.compile(r"[A-Za-z0-9._/-]+")
S3_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _fail(rule: str, message: str) -> PydanticCustomError:
    """A pydantic error whose message is used verbatim (without a context nothing is formatted)."""
    return PydanticCustomError(rule, message)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class LifecycleSettings(_Model):
    idle_timeout_seconds: int = 900
    max_lifetime_seconds: int = 28800

    @field_validator("idle_timeout_seconds", "max_lifetime_seconds")
    @classmethod
    def _bounds(cls, value: int) -> int:
        if not LIFECYCLE_MIN <= value <= LIFECYCLE_MAX:
            raise _fail(
                "lifecycle_bounds",
                f"must be between {LIFECYCLE_MIN} and {LIFECYCLE_MAX} seconds (AgentCore microVM limits), got {value}",
            )
        return value


class NetworkSettings(_Model):
    mode: NetworkMode = NetworkMode.PUBLIC
    # Plain lists are checked here; outputs of other resources are checked when they resolve.
    subnet_ids: Any = ()
    security_group_ids: Any = ()

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
    allowed_audiences: tuple[str, ...] = ()
    allowed_clients: tuple[str, ...] = ()
    allowed_scopes: tuple[str, ...] = ()

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
    pinned_version: str | None = None
    description: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        problem = agentcore_name_problem(value)
        if problem:
            raise _fail("agentcore_name", problem)
        if value.upper() == RESERVED_ENDPOINT:
            raise _fail("endpoint_reserved", f"{value!r} is the built-in endpoint's name; choose another")
        return value

    @field_validator("pinned_version")
    @classmethod
    def _version(cls, value: str | None) -> str | None:
        if value is not None and RUNTIME_VERSION.fullmatch(value) is None:
            raise _fail("runtime_version", f"must be a runtime version number (1-99999), got {value!r}")
        return value

    @field_validator("description")
    @classmethod
    def _description(cls, value: str | None) -> str | None:
        if value is not None and not 1 <= len(value) <= ENDPOINT_DESCRIPTION_MAX:
            raise _fail("endpoint_description", f"must be 1-{ENDPOINT_DESCRIPTION_MAX} characters, got {len(value)}")
        return value


class ImageSettings(_Model):
    context: str = "agent_image"
    dockerfile: str | None = None
    uri: str | None = None
    build_on_preview: bool = True
    github_actions_cache: bool = False

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
    def dockerfile_path(self) -> Path:
        return Path(self.dockerfile) if self.dockerfile else Path(self.context) / "Dockerfile"


class RepositorySettings(_Model):
    name: str | None = None
    keep_images: int = 10
    kms_key_arn: str | None = None
    force_delete: bool = False
    protect: bool = False

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
        if not KEEP_IMAGES_MIN <= value <= KEEP_IMAGES_MAX:
            raise _fail("keep_images", f"must be between {KEEP_IMAGES_MIN} and {KEEP_IMAGES_MAX} images, got {value}")
        return value

    @field_validator("kms_key_arn")
    @classmethod
    def _kms(cls, value: str | None) -> str | None:
        return _kms_key(value)


def _kms_key(value: str | None) -> str | None:
    if value is not None and KMS_KEY_ARN.fullmatch(value) is None:
        raise _fail("kms_key_arn", f"must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>), got {value!r}")
    return value


class GithubSettings(_Model):
    repository: str
    branches: tuple[str, ...] = ("main",)
    environments: tuple[str, ...] = ()
    pull_requests: bool = False
    provider_arn: str | None = None
    create_provider: bool = False

    @field_validator("repository")
    @classmethod
    def _repository(cls, value: str) -> str:
        if GITHUB_REPOSITORY.fullmatch(value) is None:
            raise _fail("github_repository", f"must be <owner>/<repository>, got {value!r}")
        return value

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
        if value is not None and OIDC_PROVIDER_ARN.fullmatch(value) is None:
            raise _fail(
                "github_provider_arn",
                f"must be arn:<partition>:iam::<account>:oidc-provider/token.actions.githubusercontent.com, got {value!r}",
            )
        return value


class DeployerSettings(_Model):
    enabled: bool = True
    trusted_principal_arns: tuple[str, ...] = ()
    github: GithubSettings | None = None
    state_bucket: str | None = None
    state_prefix: str = ""
    secrets_kms_key_arn: str | None = None

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
    additional_model_ids: tuple[str, ...] = ()
    runtime_name: str | None = None
    description: str | None = None
    environment: str | None = None
    log_level: LogLevel = LogLevel.INFO
    protocol: ServerProtocol = ServerProtocol.HTTP
    lifecycle: LifecycleSettings = LifecycleSettings()
    network: NetworkSettings = NetworkSettings()
    environment_variables: dict[str, str] = {}
    request_header_allowlist: tuple[str, ...] = ()
    jwt_authorizer: JwtAuthorizerSettings | None = None
    endpoint: EndpointSettings | None = None
    image: ImageSettings = ImageSettings()
    repository: RepositorySettings = RepositorySettings()
    deployer: DeployerSettings = DeployerSettings()
    permissions_boundary_arn: str | None = None
    tags: dict[str, str] = {}
    observability: ObservabilityConfig = ObservabilityConfig()

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
        if value is not None and not 1 <= len(value) <= DESCRIPTION_MAX:
            raise _fail("description", f"must be 1-{DESCRIPTION_MAX} characters, got {len(value)}")
        return value

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
                    f"{key} is set by the component (region, model, log level and the OpenTelemetry "
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
        if value is not None and POLICY_ARN.fullmatch(value) is None:
            raise _fail("boundary_arn", f"must be an IAM managed policy ARN (arn:<partition>:iam::<account>:policy/...), got {value!r}")
        return value

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


def _relational_problems(s: RuntimeSettings, explicit: Mapping[str, Any]) -> list[tuple[Location, str]]:
    """Rules between fields, each reported at the field the user should change."""
    problems: list[tuple[Location, str]] = []
    lc = s.lifecycle
    if lc.idle_timeout_seconds > lc.max_lifetime_seconds:
        problems.append(
            (
                ("lifecycle", "idle_timeout_seconds"),
                f"must not exceed <<lifecycle.max_lifetime_seconds>> ({lc.max_lifetime_seconds} s), got {lc.idle_timeout_seconds}",
            )
        )

    net = s.network
    for field, name in (("subnet_ids", "subnet"), ("security_group_ids", "security group")):
        ids = getattr(net, field)
        if net.mode is NetworkMode.VPC and isinstance(ids, tuple) and not ids:
            problems.append((("network", field), f"VPC mode (<<network.mode>>) needs 1-{VPC_IDS_MAX} {name} ids, got none"))
        if net.mode is NetworkMode.PUBLIC and not (isinstance(ids, tuple) and not ids):
            problems.append((("network", field), f"{name} ids apply only to VPC mode; set <<network.mode>> to VPC or remove them"))

    lowered = {h.lower() for h in s.request_header_allowlist}
    if AUTHORIZATION.lower() in lowered and s.jwt_authorizer is None:
        problems.append(
            (("request_header_allowlist",), "Authorization is passed to the container only with a JWT authorizer (<<jwt_authorizer.discovery_url>>); configure one or remove it")
        )
    if len(s.header_allowlist) > HEADERS_MAX:
        problems.append(
            (("request_header_allowlist",), f"at most {HEADERS_MAX - 1} headers with a JWT authorizer (<<jwt_authorizer.discovery_url>>; Authorization is added), got {len(s.request_header_allowlist)}")
        )
    if s.jwt_authorizer is not None and not (s.jwt_authorizer.allowed_audiences or s.jwt_authorizer.allowed_clients):
        problems.append(
            (
                ("jwt_authorizer", "allowed_audiences"),
                "set <<jwt_authorizer.allowed_audiences>> and/or <<jwt_authorizer.allowed_clients>>: without either, every token the issuer signs for any client would be accepted",
            )
        )

    image_explicit = explicit.get("image") or {}
    if s.image.uri is not None:
        for field in ("context", "dockerfile", "build_on_preview", "github_actions_cache"):
            if field in image_explicit:
                problems.append((("image", field), "applies only when the component builds the image; remove it or remove <<image.uri>>"))
        if explicit.get("repository"):
            problems.append((("repository",), "applies only when the component builds the image (without <<image.uri>>)"))
    else:
        context = Path(s.image.context)
        if not context.is_dir():
            problems.append((("image", "context"), f"build context {str(context)!r} is not a directory (relative paths start at the program's working directory)"))
        elif not s.image.dockerfile_path.is_file():
            key = "dockerfile" if s.image.dockerfile else "context"
            problems.append((("image", key), f"no Dockerfile at {str(s.image.dockerfile_path)!r}"))

    d = s.deployer
    deployer_explicit = explicit.get("deployer") or {}
    if not d.enabled:
        for field in deployer_explicit:
            if field != "enabled":
                problems.append((("deployer", field), "has no effect while <<deployer.enabled>> is false"))
    if d.github is not None:
        if d.github.provider_arn and d.github.create_provider:
            problems.append((("deployer", "github", "create_provider"), "set either <<deployer.github.provider_arn>> (an existing provider) or <<deployer.github.create_provider>>, not both"))
        if not d.github.provider_arn and not d.github.create_provider:
            problems.append(
                (("deployer", "github", "provider_arn"), "give the account's GitHub OIDC provider ARN, or set <<deployer.github.create_provider>> to create it in this stack")
            )
        if not (d.github.branches or d.github.environments or d.github.pull_requests):
            problems.append((("deployer", "github", "branches"), "trust at least one of <<deployer.github.branches>>, <<deployer.github.environments>> or <<deployer.github.pull_requests>>"))
    if d.state_prefix and not d.state_bucket:
        problems.append((("deployer", "state_prefix"), "needs <<deployer.state_bucket>>"))
    for name, switch in s.observability.inert_settings(explicit.get("observability") or {}):
        problems.append((("observability", name), f"has no effect while <<observability.{switch}>> is false"))
    return problems


def parse_settings(data: Mapping[str, Any]) -> RuntimeSettings | list[tuple[Location, str]]:
    """Validated settings, or every problem as (location, message)."""
    try:
        settings = RuntimeSettings.model_validate(dict(data))
    except ValidationError as exc:
        return [(tuple(err["loc"]), _message(err)) for err in exc.errors()]
    problems = _relational_problems(settings, data)
    return problems or settings


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "is not a known setting"
    if kind == "missing":
        return "is required"
    if kind == "value_error":  # a plain ValueError from a validator: its message is the rule
        return str(err["ctx"]["error"])
    return str(err["msg"])


_REFERENCE = re.compile(r"<<([a-z_.]+)>>")


def render(message: str, name: Callable[[tuple[str, ...]], str]) -> str:
    """Replace `<<a.b>>` references to other settings with the names the user knows them by."""
    return _REFERENCE.sub(lambda m: name(tuple(m.group(1).split("."))), message)


def validate_args(args: Mapping[str, Any]) -> RuntimeSettings:
    """Settings from component arguments; ConfigError names each bad argument as `args.<path>`."""
    result = parse_settings(args)
    if isinstance(result, RuntimeSettings):
        return result
    raise ConfigError(Problem(arg_path(loc), render(message, arg_path)) for loc, message in result)


def arg_path(loc: Sequence[str | int]) -> str:
    """`("lifecycle", "idle_timeout_seconds")` -> `args.lifecycle.idle_timeout_seconds`."""
    out = "args"
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def managed_environment(*, region: str, model_id: str, log_level: LogLevel) -> dict[str, str]:
    """The container environment the component sets (names listed in MANAGED_ENV_VARS): what the
    agent reads, then what its OpenTelemetry wrapper needs to send what the observability
    resources expect."""
    return {"AWS_REGION": region, "MODEL_ID": model_id, "LOG_LEVEL": log_level.value, **container_otel_environment()}
