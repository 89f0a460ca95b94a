"""Tags on every taggable resource: environment, stack, project and `ManagedBy=pulumi`, plus the
user's own.

The standard keys are reserved so a user tag cannot silently relabel a resource's environment.
Keys and values follow the strictest rule among the resources tagged (AgentCore's TagsMap
pattern; IAM and ECR accept a superset).
"""

import re

STANDARD_KEYS = ("Environment", "Stack", "Project", "ManagedBy")
MANAGED_BY = "pulumi"
_TAG_TEXT = re.compile(r"[a-zA-Z0-9\s._:/=+@-]*")
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
# AgentCore and IAM allow 50 user tags per resource.
TAGS_MAX = 50


def tag_value_problem(value: str) -> str | None:
    """Why `value` cannot be a tag value, or None."""
    if not isinstance(value, str) or len(value) > TAG_VALUE_MAX or not _TAG_TEXT.fullmatch(value):
        return f"{value!r} must be at most {TAG_VALUE_MAX} characters of letters, digits, spaces and . _ : / = + @ -"
    return None


def tag_problems(tags: dict[str, str]) -> list[str]:
    """Why each user tag is unusable (empty when all are fine)."""
    problems: list[str] = []
    reserved = {k.lower() for k in STANDARD_KEYS}
    if len(tags) + len(STANDARD_KEYS) > TAGS_MAX:
        problems.append(
            f"at most {TAGS_MAX - len(STANDARD_KEYS)} tags (AWS allows {TAGS_MAX} per resource and "
            f"{len(STANDARD_KEYS)} are set by the component), got {len(tags)}"
        )
    for key, value in tags.items():
        if key.lower() in reserved:
            problems.append(f"tag {key!r} is set by the component; reserved keys: {', '.join(STANDARD_KEYS)}")
        elif key.lower().startswith("aws:"):
            problems.append(f"tag {key!r}: the aws: prefix is reserved for AWS")
        elif not 1 <= len(key) <= TAG_KEY_MAX or not _TAG_TEXT.fullmatch(key):
            problems.append(
                f"tag key {key!r} must be 1-{TAG_KEY_MAX} characters of letters, digits, spaces and . _ : / = + @ -"
            )
        value_problem = tag_value_problem(value)
        if value_problem:
            problems.append(f"tag {key!r} value {value_problem}")
    return problems


def standard_tags(*, environment: str, stack: str, project: str, extra: dict[str, str]) -> dict[str, str]:
    """The tags for every resource; `extra` must already have passed `tag_problems`."""
    return {
        **extra,
        "Environment": environment,
        "Stack": stack,
        "Project": project,
        "ManagedBy": MANAGED_BY,
    }
