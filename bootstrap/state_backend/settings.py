"""The bootstrap's config (`state-backend:*` keys) -> validated `BackendSettings`.

Why here and not in the main program's `components/`: the bootstrap runs before the main project
has any stack (it creates the backend those stacks live in) and is deployed from its own directory,
so it stays a self-contained program. Defaults live once, in bootstrap/Pulumi.yaml; the Pulumi CLI
hands every declared key to the program with its default filled in, as a string (arrays as JSON).

Every problem is reported at `pulumi preview`, all at once, one line each, naming the config key
and the rule: `state-backend:keyDeletionWindowDays: must be 7-30 days, got 3`.
"""

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

NAMESPACE = "state-backend"

# General purpose bucket names: 3-63 lowercase letters, digits, '.' and '-', starting and ending
# with a letter or digit. Dots are refused on purpose: a dotted name does not match the
# *.s3.<region>.amazonaws.com certificate, so TLS to the virtual-hosted endpoint fails.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", "--x-s3", "--table-s3")
PREFIX_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
PREFIX_MAX = 256
KEY_ALIAS = re.compile(r"alias/[A-Za-z0-9/_-]{1,250}")
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]{1,100}")


class ConfigError(ValueError):
    """Bad bootstrap config: one line per problem, each `<namespace>:<key>: <rule>`."""

    def __init__(self, problems: list[str]) -> None:
        if not problems:
            raise ValueError("ConfigError needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class BackendSettings:
    """The validated settings; empty strings mean "derive it" (see names.py)."""

    bucket_name: str
    state_key_prefix: str
    key_alias: str
    noncurrent_version_days: int
    noncurrent_versions_to_keep: int
    key_deletion_window_days: int
    key_rotation_days: int
    protect: bool
    stacks: tuple[str, ...]


def _bucket_name(value: str) -> str | None:
    if value == "":
        return None
    if BUCKET_NAME.fullmatch(value) is None:
        return f"must be 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit (no dots: they break TLS to the bucket's endpoint), got {value!r}"
    for prefix in RESERVED_BUCKET_PREFIXES:
        if value.startswith(prefix):
            return f"must not start with {prefix!r} (reserved by S3), got {value!r}"
    for suffix in RESERVED_BUCKET_SUFFIXES:
        if value.endswith(suffix):
            return f"must not end with {suffix!r} (reserved by S3), got {value!r}"
    return None


def _state_key_prefix(value: str) -> str | None:
    if value == "":
        return None
    if len(value) > PREFIX_MAX or not all(PREFIX_SEGMENT.fullmatch(s) for s in value.split("/")):
        return (
            f"must be '/'-separated segments of letters, digits, '.', '_' and '-', each starting with a letter "
            f"or digit, no leading, trailing or double '/', at most {PREFIX_MAX} characters, got {value!r}"
        )
    return None


def _key_alias(value: str) -> str | None:
    if value == "":
        return None
    if KEY_ALIAS.fullmatch(value) is None:
        return f"must be alias/<name> with 1-250 letters, digits, '/', '_' and '-', got {value!r}"
    if value.startswith("alias/aws/"):
        return f"must not start with 'alias/aws/' (reserved for AWS managed keys), got {value!r}"
    return None


def _between(low: int, high: int, unit: str) -> Callable[[int], str | None]:
    def check(value: int) -> str | None:
        return None if low <= value <= high else f"must be {low}-{high} {unit}, got {value}"

    return check


def _stacks(value: list[str]) -> str | None:
    if not value:
        return "must name at least one stack of the main program"
    bad = [s for s in value if STACK_NAME.fullmatch(s) is None]
    if bad:
        return f"stack names are 1-100 letters, digits, '_', '.' and '-', got {bad}"
    if len(set(value)) != len(value):
        return f"must not repeat a stack, got {value}"
    return None


def _no_rule(_: bool) -> None:
    return None


@dataclass(frozen=True)
class ConfigKey:
    key: str
    field: str
    kind: type
    rule: Callable[[Any], str | None]


CONFIG_KEYS: tuple[ConfigKey, ...] = (
    ConfigKey("bucketName", "bucket_name", str, _bucket_name),
    ConfigKey("stateKeyPrefix", "state_key_prefix", str, _state_key_prefix),
    ConfigKey("keyAlias", "key_alias", str, _key_alias),
    # S3 takes any positive day count; a century bounds typos such as an extra digit or two.
    ConfigKey("noncurrentVersionDays", "noncurrent_version_days", int, _between(1, 36500, "days")),
    # S3's NewerNoncurrentVersions is 1-100; 0 means "do not keep any by count" (the field is omitted).
    ConfigKey("noncurrentVersionsToKeep", "noncurrent_versions_to_keep", int, _between(0, 100, "versions")),
    ConfigKey("keyDeletionWindowDays", "key_deletion_window_days", int, _between(7, 30, "days")),
    ConfigKey("keyRotationDays", "key_rotation_days", int, _between(90, 2560, "days")),
    ConfigKey("protect", "protect", bool, _no_rule),
    ConfigKey("stacks", "stacks", list, _stacks),
)


def full_key(key: str) -> str:
    return f"{NAMESPACE}:{key}"


def _parse(kind: type, raw: str) -> Any:
    """Pulumi's string form of a value -> the typed value; ValueError names the expected type."""
    if kind is str:
        return raw
    if kind is int:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"must be an integer, got {raw!r}") from None
    if kind is bool:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise ValueError(f"must be true or false, got {raw!r}")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"must be a list of strings, got {raw!r}")
    return value


def parse_settings(raw: Mapping[str, str], region: str | None) -> BackendSettings:
    """Validated settings from this namespace's raw config (keys without the namespace) and the
    `aws:region` config value. Raises ConfigError listing every problem."""
    by_key = {entry.key: entry for entry in CONFIG_KEYS}
    problems: list[str] = []
    if not region:
        problems.append("aws:region: required (pulumi config set aws:region <region>): the bucket and key are regional")
    for key in raw:
        if key not in by_key:
            close = difflib.get_close_matches(key, list(by_key), n=1)
            hint = f"; did you mean {full_key(close[0])}?" if close else ""
            problems.append(f"{full_key(key)}: unknown setting{hint}")
    values: dict[str, Any] = {}
    for entry in CONFIG_KEYS:
        if entry.key not in raw:
            problems.append(f"{full_key(entry.key)}: missing (bootstrap/Pulumi.yaml declares its default; run the program with the Pulumi CLI)")
            continue
        try:
            value = _parse(entry.kind, raw[entry.key])
        except ValueError as error:
            problems.append(f"{full_key(entry.key)}: {error}")
            continue
        message = entry.rule(value)
        if message:
            problems.append(f"{full_key(entry.key)}: {message}")
        values[entry.field] = tuple(value) if isinstance(value, list) else value
    if problems:
        raise ConfigError(problems)
    return BackendSettings(**values)
