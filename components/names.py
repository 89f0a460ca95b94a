"""Names of everything the component creates, derived from the project and stack.

Why explicit names: AgentCore runtime and endpoint names must match `[a-zA-Z][a-zA-Z0-9_]{0,47}`
(no hyphens), so Pulumi's auto-names (`name-1a2b3c`) are invalid; and the IAM policies scope
permissions to exact ARNs, which is only possible when every name is known at preview.
"""

import hashlib
import re

# CloudFormation's pattern for AgentRuntimeName and RuntimeEndpoint Name, anchored (the schema's
# own copy is unanchored, so a jsonschema check alone would accept `my-agent`).
AGENTCORE_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9_]{0,47}")
AGENTCORE_NAME_MAX = 48

# ECR repository names (CreateRepository API pattern), 2-256 characters.
ECR_REPOSITORY_NAME = re.compile(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*")

# IAM role names are at most 64 characters.
IAM_ROLE_NAME_MAX = 64
EXECUTION_ROLE_SUFFIX = "-execution"
DEPLOYER_ROLE_SUFFIX = "-deployer"
TELEMETRY_POLICY_SUFFIX = "-telemetry"

RUNTIME_LOG_GROUP_PREFIX = "/aws/bedrock-agentcore/runtimes/"

# Every runtime has this endpoint; it follows the latest version. A named endpoint may not take
# its name (in any case).
DEFAULT_ENDPOINT = "DEFAULT"


def agentcore_name_problem(value: str) -> str | None:
    """Why `value` is not a valid runtime or endpoint name, or None when it is."""
    if not isinstance(value, str) or not value:
        return "must be a non-empty string"
    if AGENTCORE_NAME.fullmatch(value) is None:
        return (
            f"{value!r} must match [a-zA-Z][a-zA-Z0-9_]{{0,47}}: start with a letter, then up to 47 "
            "letters, digits or underscores (no hyphens)"
        )
    return None


def derive_runtime_name(project: str, stack: str) -> str:
    """A valid runtime name for `project`/`stack`, e.g. `agentcore_dev` for project `agentcore`, stack `dev`.

    Characters outside `[a-zA-Z0-9]` become `_`; a name that does not start with a letter gets an
    `a_` prefix. When the result passes 48 characters it is cut and a hash of the full
    project/stack pair is appended, so two long stack names that share a prefix still differ.
    """
    parts = [_sanitize(project), _sanitize(stack)]
    base = "_".join(p for p in parts if p) or "agent"
    if not base[0].isalpha():
        base = f"a_{base}"
    if len(base) <= AGENTCORE_NAME_MAX:
        return base
    digest = hashlib.sha256(f"{project}/{stack}".encode()).hexdigest()[:8]
    head = base[: AGENTCORE_NAME_MAX - len(digest) - 1].rstrip("_")
    return f"{head}_{digest}"


def _sanitize(text: str) -> str:
    return re.sub(r"_+", "_", re.sub(r"[^a-zA-Z0-9]", "_", text)).strip("_")


def resource_slug(runtime_name: str) -> str:
    """The runtime name in the lowercase, hyphenated form ECR and IAM names use: `agentcore-dev`."""
    slug = "-".join(part for part in runtime_name.lower().split("_") if part)
    if not slug:
        raise ValueError(f"runtime name {runtime_name!r} yields an empty slug")
    return slug


def ecr_repository_name_problem(value: str) -> str | None:
    """Why `value` is not a valid ECR repository name, or None when it is."""
    if not 2 <= len(value) <= 256 or ECR_REPOSITORY_NAME.fullmatch(value) is None:
        return (
            f"{value!r} is not a valid ECR repository name: 2-256 lowercase letters, digits and "
            "single '.', '_', '-' or '/' separators, starting and ending with a letter or digit"
        )
    return None


def execution_role_name(runtime_name: str) -> str:
    """The execution role's IAM name (at most 58 characters for a 48-character runtime name)."""
    return f"{resource_slug(runtime_name)}{EXECUTION_ROLE_SUFFIX}"


def deployer_role_name(runtime_name: str) -> str:
    """The deployer role's IAM name."""
    return f"{resource_slug(runtime_name)}{DEPLOYER_ROLE_SUFFIX}"


def deployer_telemetry_policy_name(runtime_name: str) -> str:
    """The managed policy holding the deployer's observability permissions."""
    return f"{deployer_role_name(runtime_name)}{TELEMETRY_POLICY_SUFFIX}"


def stack_key_alias_name(runtime_name: str) -> str:
    """The stack key's alias, `alias/<slug>` (KMS aliases: `alias/` then [a-zA-Z0-9/_-], never
    `alias/aws/`)."""
    return f"alias/{resource_slug(runtime_name)}"


def runtime_log_group_pattern(runtime_name: str) -> str:
    """Matches the log groups of every endpoint of this runtime and of no other runtime.

    A runtime id is `<name>-<10 chars>` and names cannot contain hyphens, so `<name>-*` cannot
    reach a runtime whose name merely starts with this one.
    """
    return f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_name}-*"
