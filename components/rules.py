"""From arguments to validated settings, or to every problem at once.

`parse_settings` turns `AgentCoreRuntimeArgs` (or the dict the stack config builds) into frozen
`RuntimeSettings`, or into a list of `(location, message)` problems; `validate_args` formats those
as `args.<path>: <rule>` for component callers, `stack_config` as `agentcore:<key>: <rule>`.

Both paths share one meaning of "unset": a value that is absent, None, or equal to its default
(`schema.is_default`) is dropped before validation, so it neither creates an optional block (a JWT
authorizer, an endpoint, GitHub trust) nor trips a rule about settings that do not apply. Rules
that relate two fields run after the per-field validators, so each message can still name the one
key the user should change; a message refers to another setting as `<<a.b>>`, rendered in the
caller's vocabulary.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .args import NetworkMode
from .errors import ConfigError, Problem
from .schema import BY_PATH, is_default
from .settings import AUTHORIZATION, HEADERS_MAX, VPC_IDS_MAX, RuntimeSettings

Location = tuple[str | int, ...]
Problems = list[tuple[Location, str]]


def explicit(data: Mapping[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    """`data` without unset values: None, values equal to their default, and blocks left empty."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        where = (*path, key)
        if value is None or is_default(where, value):
            continue
        if isinstance(value, Mapping) and where not in BY_PATH:
            value = explicit(value, where)
            if not value:
                continue
        out[key] = value
    return out


def parse_settings(data: Mapping[str, Any]) -> RuntimeSettings | Problems:
    """Validated settings, or every problem as (location, message)."""
    given = explicit(data)
    try:
        settings = RuntimeSettings.model_validate(given)
    except ValidationError as exc:
        return [(tuple(err["loc"]), _message(err)) for err in exc.errors()]
    return _relational_problems(settings, given) or settings


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "is not a known setting"
    if kind == "missing":
        return "is required"
    if kind == "value_error":  # a plain ValueError from a validator: its message is the rule
        return str(err["ctx"]["error"])
    return str(err["msg"])


def _relational_problems(s: RuntimeSettings, given: Mapping[str, Any]) -> Problems:
    """Rules between fields, each reported at the field the user should change."""
    return [
        *_lifecycle_problems(s),
        *_network_problems(s),
        *_header_and_jwt_problems(s),
        *_image_problems(s, given),
        *_deployer_problems(s, given),
        *_encryption_problems(s, given),
        *_memory_problems(s, given),
        *_traces_problems(s),
        *(
            (("observability", name), f"has no effect while <<observability.{switch}>> is false")
            for name, switch in s.observability.inert_settings(given.get("observability") or {})
        ),
    ]


def _traces_problems(s: RuntimeSettings) -> Problems:
    """Spans delivered to X-Ray are kept only where CloudWatch Transaction Search is on, and that is
    one setting per account and region: without it the TRACES delivery succeeds and its spans go
    nowhere. So traces need this stack to turn it on, or the user's word that it is on already."""
    obs = s.observability
    if obs.transaction_search and obs.transaction_search_enabled_in_region:
        return [(
            ("observability", "transaction_search_enabled_in_region"),
            "this stack turns Transaction Search on itself (<<observability.transaction_search>>); remove one of the two",
        )]
    if obs.traces and not (obs.transaction_search or obs.transaction_search_enabled_in_region):
        return [(
            ("observability", "traces"),
            "TRACES reach X-Ray only where CloudWatch Transaction Search is on, one setting per account and region: "
            "set <<observability.transaction_search>> (this stack turns it on), or "
            "<<observability.transaction_search_enabled_in_region>> if it is already on in this stack's region, or turn traces off",
        )]
    return []


def _lifecycle_problems(s: RuntimeSettings) -> Problems:
    lc = s.lifecycle
    if lc.idle_timeout_seconds <= lc.max_lifetime_seconds:
        return []
    return [
        (
            ("lifecycle", "idle_timeout_seconds"),
            f"must not exceed <<lifecycle.max_lifetime_seconds>> ({lc.max_lifetime_seconds} s), got {lc.idle_timeout_seconds}",
        )
    ]


def _network_problems(s: RuntimeSettings) -> Problems:
    problems: Problems = []
    net = s.network
    for field, name in (("subnet_ids", "subnet"), ("security_group_ids", "security group")):
        ids = getattr(net, field)
        none = isinstance(ids, tuple) and not ids
        if net.mode is NetworkMode.VPC and none:
            problems.append((("network", field), f"VPC mode (<<network.mode>>) needs 1-{VPC_IDS_MAX} {name} ids, got none"))
        if net.mode is NetworkMode.PUBLIC and not none:
            problems.append((("network", field), f"{name} ids apply only to VPC mode; set <<network.mode>> to VPC or remove them"))
    return problems


def _header_and_jwt_problems(s: RuntimeSettings) -> Problems:
    problems: Problems = []
    headers = ("request_header_allowlist",)
    if AUTHORIZATION.lower() in {h.lower() for h in s.request_header_allowlist} and s.jwt_authorizer is None:
        problems.append(
            (headers, "Authorization is passed to the container only with a JWT authorizer (<<jwt_authorizer.discovery_url>>); configure one or remove it")
        )
    if len(s.header_allowlist) > HEADERS_MAX:
        problems.append(
            (headers, f"at most {HEADERS_MAX - 1} headers with a JWT authorizer (<<jwt_authorizer.discovery_url>>; Authorization is added), got {len(s.request_header_allowlist)}")
        )
    if s.jwt_authorizer is not None and not (s.jwt_authorizer.allowed_audiences or s.jwt_authorizer.allowed_clients):
        problems.append(
            (
                ("jwt_authorizer", "allowed_audiences"),
                "set <<jwt_authorizer.allowed_audiences>> and/or <<jwt_authorizer.allowed_clients>>: without either, every token the issuer signs for any client would be accepted",
            )
        )
    return problems


def _image_problems(s: RuntimeSettings, given: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    if s.image.uri is not None:
        for field in ("context", "dockerfile", "build_on_preview", "github_actions_cache"):
            if field in (given.get("image") or {}):
                problems.append((("image", field), "applies only when the component builds the image; remove it or remove <<image.uri>>"))
        if given.get("repository"):
            problems.append((("repository",), "applies only when the component builds the image (without <<image.uri>>)"))
        return problems
    context = Path(s.image.build_context)
    if not context.is_dir():
        problems.append((("image", "context"), f"build context {str(context)!r} is not a directory (relative paths start at the program's working directory)"))
    elif not s.image.dockerfile_path.is_file():
        key = "dockerfile" if s.image.dockerfile else "context"
        problems.append((("image", key), f"no Dockerfile at {str(s.image.dockerfile_path)!r}"))
    return problems


def _deployer_problems(s: RuntimeSettings, given: Mapping[str, Any]) -> Problems:
    problems: Problems = []
    d = s.deployer
    if not d.enabled:
        for field in given.get("deployer") or {}:
            if field != "enabled":
                problems.append((("deployer", field), "has no effect while <<deployer.enabled>> is false"))
    github = ("deployer", "github")
    if d.github is not None:
        if d.github.provider_arn and d.github.create_provider:
            problems.append(((*github, "create_provider"), "set either <<deployer.github.provider_arn>> (an existing provider) or <<deployer.github.create_provider>>, not both"))
        if not d.github.provider_arn and not d.github.create_provider:
            problems.append(
                ((*github, "provider_arn"), "give the account's GitHub OIDC provider ARN, or set <<deployer.github.create_provider>> to create it in this stack")
            )
        if not (d.github.branches or d.github.environments or d.github.pull_requests):
            problems.append(((*github, "branches"), "trust at least one of <<deployer.github.branches>>, <<deployer.github.environments>> or <<deployer.github.pull_requests>>"))
    if s.production and d.enabled:
        if not d.names_principals:
            problems.append((
                ("deployer", "trusted_principal_arns"),
                "a production stack (<<production>>) must name who may assume the deployer role: set "
                "<<deployer.trusted_principal_arns>> (IAM role or user ARNs), <<deployer.trusted_role_names>> "
                "(roles of this account by name) or <<deployer.github.repository>> (GitHub Actions through OIDC), "
                "then run pulumi up with your own credentials; or set <<deployer.enabled>> to false",
            ))
        roots = [arn for arn in d.trusted_principal_arns if arn.endswith(":root")]
        if roots:
            problems.append((
                ("deployer", "trusted_principal_arns"),
                f"{', '.join(roots)}: a production stack (<<production>>) trusts named roles or users, never a whole account",
            ))
    if d.state_prefix and not d.state_bucket:
        problems.append((("deployer", "state_prefix"), "needs <<deployer.state_bucket>>"))
    return problems


def _encryption_problems(s: RuntimeSettings, given: Mapping[str, Any]) -> Problems:
    """One key for everything, or the older per-resource keys: not both for one resource; and the
    key's companions only where they apply."""
    problems: Problems = []
    e = s.encryption
    stated = given.get("encryption") or {}
    if e.kms_key is None:
        problems += [(("encryption", field), "has no effect without <<encryption.kms_key>>") for field in stated if field != "kms_key"]
        return problems
    if "deletion_window_days" in stated and not e.creates_key:
        problems.append((("encryption", "deletion_window_days"), "applies only to the stack's own key (<<encryption.kms_key>>: stack)"))
    if s.repository.kms_key_arn is not None:
        problems.append((("repository", "kms_key_arn"), "set either this or <<encryption.kms_key>> (which also encrypts the repository), not both"))
    if s.observability.log_kms_key_arn is not None:
        problems.append((("observability", "log_kms_key_arn"), "set either this or <<encryption.kms_key>> (which also encrypts the log groups), not both"))
    return problems


def _memory_problems(s: RuntimeSettings, given: Mapping[str, Any]) -> Problems:
    """Memory's settings only with memory on; the settings of a memory the stack creates not with
    a brought one (the stack does not manage that memory)."""
    m = s.memory
    stated = given.get("memory") or {}
    if not m.enabled:
        return [(("memory", field), "has no effect while <<memory.enabled>> is false") for field in stated if field != "enabled"]
    if m.existing is None:
        return []
    return [
        (("memory", field), "applies only to a memory this stack creates; remove it, or remove <<memory.existing>>")
        for field in ("event_expiry_days", "description")
        if field in stated
    ]


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
