"""Stack config (`agentcore:*` keys in Pulumi.<stack>.yaml) -> component arguments.

Why flat keys: Pulumi.yaml can declare typed config with defaults only for strings, integers,
booleans and arrays, so every setting is a top-level key of one of those types, except the two
maps (`environmentVariables`, `tags`) and the `observability` object, which cannot be declared
there. Every key, its type and its argument path come from `schema`.

Pulumi hands a program its config as strings (arrays and objects as JSON) with Pulumi.yaml's
defaults already filled in; "" and [] there stand for "unset". What is unset on both paths is
decided in one place (`rules.explicit`). Errors name the config key:
`agentcore:idleTimeoutSeconds: ...`.
"""

import difflib
import json
from collections.abc import Callable, Mapping
from typing import Any, cast

from .args import AgentCoreRuntimeArgs
from .errors import ConfigError, Problem
from .rules import Location, parse_settings, render
from .schema import CONFIG_KEYS, NAMESPACE, OBSERVABILITY, SETTINGS, Kind, Setting, camel_case, observability_settings
from .settings import RuntimeSettings

# The top-level settings, by config key (the observability object is one key, handled apart).
TOP_LEVEL: dict[str, Setting] = {s.key: s for s in SETTINGS if s.path[0] != OBSERVABILITY}
OBSERVABILITY_FIELDS: dict[str, str] = {camel_case(s.path[1]): s.path[1] for s in observability_settings()}


def full_key(key: str) -> str:
    return f"{NAMESPACE}:{key}"


def _parse_scalar(kind: Kind, raw: str) -> Any:
    if kind is Kind.INTEGER:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"must be an integer, got {raw!r}") from None
    if kind is Kind.BOOLEAN:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError(f"must be true or false, got {raw!r}")
    return raw


def _parse_json(kind: Kind, raw: str) -> Any:
    """An array, a map or the observability object, from Pulumi's JSON form."""
    shape = {Kind.ARRAY: "a list of strings", Kind.OBJECT: "a map of names to strings"}.get(
        kind, "an object of settings (camelCase keys, see docs/configuration.md)"
    )
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        raise ValueError(f"must be {shape}, got {raw!r}") from None
    if kind is Kind.ARRAY:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"must be a list of strings, got {raw}")
        return value
    if not isinstance(value, dict):
        raise ValueError(f"must be {shape}, got {raw}")
    if kind is Kind.SETTINGS:
        # Known keys become setting names; unknown ones stay as typed and are reported as such.
        return {OBSERVABILITY_FIELDS.get(key, key): item for key, item in value.items()}
    # YAML scalars such as `PORT: 8080` or `DEBUG: true` arrive typed; keep their YAML spelling.
    out: dict[str, str] = {}
    for name, item in value.items():
        if isinstance(item, (dict, list)) or item is None:
            raise ValueError(f"{name}: values must be strings, got {json.dumps(item)}")
        out[name] = item if isinstance(item, str) else json.dumps(item)
    return out


def _parse(key: str, raw: str) -> tuple[tuple[str, ...], Any]:
    """(argument path, typed value) of one config key; ValueError says the rule. A value equal to
    the config-form default ("" / [] for unset) is returned as None."""
    if key == OBSERVABILITY:
        value = _parse_json(Kind.SETTINGS, raw)
        return (OBSERVABILITY,), value or None
    setting = TOP_LEVEL[key]
    if setting.kind in (Kind.ARRAY, Kind.OBJECT):
        value = _parse_json(setting.kind, raw)
    else:
        value = _parse_scalar(setting.kind, raw)
    return setting.path, None if value == setting.config_default else value


def config_to_args(raw: Mapping[str, str | None]) -> dict[str, Any]:
    """Component arguments from this namespace's raw config values (keys without `agentcore:`).

    Raises ConfigError naming every bad key.
    """
    problems: list[Problem] = []
    args: dict[str, Any] = {}
    for key, text in raw.items():
        if key not in CONFIG_KEYS:
            close = difflib.get_close_matches(key, list(CONFIG_KEYS), n=1)
            hint = f"; did you mean {full_key(close[0])}?" if close else ""
            problems.append(Problem(full_key(key), f"is not a known config key{hint}"))
            continue
        if text is None:
            continue
        try:
            path, value = _parse(key, text)
        except ValueError as exc:
            problems.append(Problem(full_key(key), str(exc)))
            continue
        if value is None:
            continue
        target = args
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
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
    best: Setting | None = None
    for setting in SETTINGS:
        if loc[: len(setting.path)] == setting.path and (best is None or len(setting.path) > len(best.path)):
            best = setting
    if best is not None:
        return full_key(best.key) + _rest(loc[len(best.path) :], str)
    if loc[:1] == (OBSERVABILITY,):
        # An unknown key of the observability object keeps its spelling.
        return full_key(OBSERVABILITY) + _rest(loc[1:], camel_case)
    # A problem about a whole block (e.g. the repository settings): name the keys that set it.
    within = [s for s in SETTINGS if s.path[: len(loc)] == tuple(loc)]
    candidates = [s for s in within if _has_path(args, s.path)] or within
    if candidates:
        return ", ".join(full_key(s.key) for s in candidates)
    return NAMESPACE


def _rest(parts: Location, rename: Callable[[str], str]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{rename(p)}" for p in parts)


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
