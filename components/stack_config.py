"""Stack config (`agentcore:*` keys in Pulumi.<stack>.yaml) -> component arguments.

Why flat keys: Pulumi.yaml can declare typed config with defaults only for strings, integers,
booleans and arrays, so every setting is a top-level key of one of those types, except the two
maps (`environmentVariables`, `tags`) and the `observability` block, which are objects and cannot
be declared there. The block's keys are the camelCase forms of `ObservabilityArgs`' fields.

Pulumi hands a program its config as strings (arrays and objects as JSON) with Pulumi.yaml's
defaults already filled in. A value equal to its default counts as unset, so it neither creates
an optional block (a JWT authorizer, an endpoint, GitHub trust) nor trips a rule about settings
that do not apply. Errors name the config key: `agentcore:idleTimeoutSeconds: ...`.
"""

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from pydantic import BaseModel

from .args import AgentCoreRuntimeArgs
from .errors import ConfigError, Problem
from .settings import Location, RuntimeSettings, parse_settings, render

NAMESPACE = "agentcore"


class Kind(str, Enum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    ARRAY = "array"
    OBJECT = "object"  # a map of names to strings
    SETTINGS = "settings"  # an object of typed settings with camelCase keys


@dataclass(frozen=True)
class ConfigKey:
    key: str
    path: tuple[str, ...]
    kind: Kind


CONFIG_KEYS: tuple[ConfigKey, ...] = tuple(
    ConfigKey(key, path, kind)
    for key, path, kind in (
        ("modelId", ("model_id",), Kind.STRING),
        ("additionalModelIds", ("additional_model_ids",), Kind.ARRAY),
        ("runtimeName", ("runtime_name",), Kind.STRING),
        ("description", ("description",), Kind.STRING),
        ("environment", ("environment",), Kind.STRING),
        ("logLevel", ("log_level",), Kind.STRING),
        ("protocol", ("protocol",), Kind.STRING),
        ("idleTimeoutSeconds", ("lifecycle", "idle_timeout_seconds"), Kind.INTEGER),
        ("maxLifetimeSeconds", ("lifecycle", "max_lifetime_seconds"), Kind.INTEGER),
        ("networkMode", ("network", "mode"), Kind.STRING),
        ("subnetIds", ("network", "subnet_ids"), Kind.ARRAY),
        ("securityGroupIds", ("network", "security_group_ids"), Kind.ARRAY),
        ("environmentVariables", ("environment_variables",), Kind.OBJECT),
        ("requestHeaderAllowlist", ("request_header_allowlist",), Kind.ARRAY),
        ("jwtDiscoveryUrl", ("jwt_authorizer", "discovery_url"), Kind.STRING),
        ("jwtAllowedAudiences", ("jwt_authorizer", "allowed_audiences"), Kind.ARRAY),
        ("jwtAllowedClients", ("jwt_authorizer", "allowed_clients"), Kind.ARRAY),
        ("jwtAllowedScopes", ("jwt_authorizer", "allowed_scopes"), Kind.ARRAY),
        ("endpointName", ("endpoint", "name"), Kind.STRING),
        ("endpointVersion", ("endpoint", "pinned_version"), Kind.STRING),
        ("endpointDescription", ("endpoint", "description"), Kind.STRING),
        ("imageUri", ("image", "uri"), Kind.STRING),
        ("imageContext", ("image", "context"), Kind.STRING),
        ("imageDockerfile", ("image", "dockerfile"), Kind.STRING),
        ("buildOnPreview", ("image", "build_on_preview"), Kind.BOOLEAN),
        ("githubActionsCache", ("image", "github_actions_cache"), Kind.BOOLEAN),
        ("repositoryName", ("repository", "name"), Kind.STRING),
        ("keepImages", ("repository", "keep_images"), Kind.INTEGER),
        ("ecrKmsKeyArn", ("repository", "kms_key_arn"), Kind.STRING),
        ("forceDeleteRepository", ("repository", "force_delete"), Kind.BOOLEAN),
        ("protectRepository", ("repository", "protect"), Kind.BOOLEAN),
        ("deployerRole", ("deployer", "enabled"), Kind.BOOLEAN),
        ("deployerTrustedPrincipalArns", ("deployer", "trusted_principal_arns"), Kind.ARRAY),
        ("githubRepository", ("deployer", "github", "repository"), Kind.STRING),
        ("githubBranches", ("deployer", "github", "branches"), Kind.ARRAY),
        ("githubEnvironments", ("deployer", "github", "environments"), Kind.ARRAY),
        ("githubPullRequests", ("deployer", "github", "pull_requests"), Kind.BOOLEAN),
        ("githubOidcProviderArn", ("deployer", "github", "provider_arn"), Kind.STRING),
        ("createGithubOidcProvider", ("deployer", "github", "create_provider"), Kind.BOOLEAN),
        ("stateBucket", ("deployer", "state_bucket"), Kind.STRING),
        ("stateKeyPrefix", ("deployer", "state_prefix"), Kind.STRING),
        ("secretsKmsKeyArn", ("deployer", "secrets_kms_key_arn"), Kind.STRING),
        ("permissionsBoundaryArn", ("permissions_boundary_arn",), Kind.STRING),
        ("tags", ("tags",), Kind.OBJECT),
        ("observability", ("observability",), Kind.SETTINGS),
    )
)

# Keys Pulumi.yaml cannot declare (objects) and keys without a default (required).
UNDECLARED_KEYS = frozenset(k.key for k in CONFIG_KEYS if k.kind in (Kind.OBJECT, Kind.SETTINGS))
REQUIRED_KEYS = frozenset({"modelId"})


def full_key(key: str) -> str:
    return f"{NAMESPACE}:{key}"


def setting_default(path: tuple[str, ...]) -> Any:
    """The default `RuntimeSettings` applies at `path`, in config form (None when unset)."""
    model: type[BaseModel] = RuntimeSettings
    value: Any = None
    for index, part in enumerate(path):
        field = model.model_fields[part]
        annotation = field.annotation
        nested = _model_type(annotation)
        if index < len(path) - 1:
            if nested is None:
                raise KeyError(path)
            model = nested
            continue
        value = None if field.is_required() else field.default
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def config_default(entry: ConfigKey) -> Any:
    """The default Pulumi.yaml declares for a key: the setting's default, with "" / [] for unset
    (an empty object for a block of settings, whose own defaults apply)."""
    if entry.kind is Kind.SETTINGS:
        return {}
    value = setting_default(entry.path)
    if value is None:
        return {Kind.STRING: "", Kind.ARRAY: [], Kind.OBJECT: {}}.get(entry.kind)
    return value


def camel_case(name: str) -> str:
    """`latency_p99_threshold_ms` -> `latencyP99ThresholdMs`, as a stack file spells a setting."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _settings_fields(entry: ConfigKey) -> dict[str, str]:
    """camelCase key -> setting name, for a block of settings."""
    model: type[BaseModel] = RuntimeSettings
    for part in entry.path:
        nested = _model_type(model.model_fields[part].annotation)
        assert nested is not None, entry.path
        model = nested
    return {camel_case(name): name for name in model.model_fields}


def _model_type(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *getattr(annotation, "__args__", ())):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _parse(entry: ConfigKey, raw: str) -> Any:
    """Turn Pulumi's string form of one value into its typed value; ValueError says the rule."""
    if entry.kind is Kind.STRING:
        return raw
    if entry.kind is Kind.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"must be an integer, got {raw!r}") from None
    if entry.kind is Kind.BOOLEAN:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError(f"must be true or false, got {raw!r}")
    shape = {Kind.ARRAY: "a list of strings", Kind.OBJECT: "a map of names to strings"}.get(
        entry.kind, "an object of settings (camelCase keys, see the README)"
    )
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError(f"must be {shape}, got {raw!r}") from None
    if entry.kind is Kind.SETTINGS:
        if not isinstance(value, dict):
            raise ValueError(f"must be {shape}, got {raw}")
        # Known keys become setting names; unknown ones stay as typed and are reported as such.
        fields = _settings_fields(entry)
        return {fields.get(key, key): item for key, item in value.items()}
    if entry.kind is Kind.ARRAY:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"must be a list of strings, got {raw}")
        return value
    if not isinstance(value, dict):
        raise ValueError(f"must be a map of names to strings, got {raw}")
    # YAML scalars such as `PORT: 8080` or `DEBUG: true` arrive typed; keep their YAML spelling.
    out: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, (dict, list)) or item is None:
            raise ValueError(f"{name}: values must be strings, got {json.dumps(item)}")
        out[name] = item if isinstance(item, str) else json.dumps(item)
    return out


def _is_default(entry: ConfigKey, value: Any) -> bool:
    return value == config_default(entry)


def config_to_args(raw: Mapping[str, str | None]) -> dict[str, Any]:
    """Component arguments from this namespace's raw config values (keys without `agentcore:`).

    Raises ConfigError naming every bad key.
    """
    by_key = {entry.key: entry for entry in CONFIG_KEYS}
    problems: list[Problem] = []
    for key in raw:
        if key not in by_key:
            close = difflib.get_close_matches(key, list(by_key), n=1)
            hint = f"; did you mean {full_key(close[0])}?" if close else ""
            problems.append(Problem(full_key(key), f"is not a known config key{hint}"))
    args: dict[str, Any] = {}
    for key, text in raw.items():
        entry = by_key.get(key)
        if entry is None or text is None:
            continue
        try:
            value = _parse(entry, text)
        except ValueError as exc:
            problems.append(Problem(full_key(key), str(exc)))
            continue
        if _is_default(entry, value):
            continue
        target = args
        for part in entry.path[:-1]:
            target = target.setdefault(part, {})
        target[entry.path[-1]] = value
    if problems:
        raise ConfigError(problems)
    return args


def settings_from_config(
    raw: Mapping[str, str | None],
) -> tuple[AgentCoreRuntimeArgs, RuntimeSettings]:
    """Arguments and validated settings; ConfigError names each bad `agentcore:` key."""
    args = config_to_args(raw)
    result = parse_settings(args)
    if isinstance(result, RuntimeSettings):
        # Validated against the same fields AgentCoreRuntimeArgs declares.
        return cast(AgentCoreRuntimeArgs, args), result
    raise ConfigError(
        Problem(config_key_for(loc, args), render(message, lambda path: config_key_for(path, {})))
        for loc, message in result
    )


def config_key_for(loc: Location, args: Mapping[str, Any]) -> str:
    """The config key a problem at `loc` (a settings location) is about."""
    best: ConfigKey | None = None
    for entry in CONFIG_KEYS:
        if loc[: len(entry.path)] == entry.path and (best is None or len(entry.path) > len(best.path)):
            best = entry
    if best is not None:
        rename = camel_case if best.kind is Kind.SETTINGS else str
        rest = "".join(f"[{p}]" if isinstance(p, int) else f".{rename(p)}" for p in loc[len(best.path) :])
        return full_key(best.key) + rest
    # A problem about a whole block (e.g. the repository settings): name the keys that set it.
    below = [e for e in CONFIG_KEYS if e.path[: len(loc)] == tuple(loc) and _has_path(args, e.path)]
    candidates = below or [e for e in CONFIG_KEYS if e.path[: len(loc)] == tuple(loc)]
    if candidates:
        return ", ".join(full_key(e.key) for e in candidates)
    return NAMESPACE


def _has_path(args: Mapping[str, Any], path: tuple[str, ...]) -> bool:
    node: Any = args
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def provider_region_problems(aws_region: str | None, native_region: str | None) -> list[Problem]:
    """Both providers must deploy to the same, configured region: IAM policies are scoped with the
    classic provider's region while aws-native creates the runtime in its own."""
    problems: list[Problem] = []
    if not aws_region:
        problems.append(Problem("aws:region", "is required (the region of the IAM, ECR and image resources)"))
    if not native_region:
        problems.append(Problem("aws-native:region", "is required (the region of the AgentCore runtime)"))
    if aws_region and native_region and aws_region != native_region:
        problems.append(
            Problem("aws-native:region", f"must equal aws:region ({aws_region!r}) so policies and the runtime share a region, got {native_region!r}")
        )
    return problems
