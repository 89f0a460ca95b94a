"""Which runtime to talk to: a stack's outputs (through the Pulumi CLI) or an ARN given directly.

Why the Pulumi CLI: it is the one thing that can read any backend's state (Pulumi Cloud, S3, local
files) with the user's login, so ``pulumi stack output --json`` is the supported way to read
outputs. The output names read here (``runtimeArn``, ``endpointArn``, ``runtimeLogGroupNames``,
``vendedLogGroupNames``) are the program's exported API (``__main__.py``).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from .errors import CliError, ExitCode

DEFAULT_ENDPOINT = "DEFAULT"
# arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<id>
_RUNTIME_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):bedrock-agentcore:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):runtime/(?P<id>[A-Za-z][A-Za-z0-9_]*-[A-Za-z0-9]+)$"
)
# A named endpoint's ARN ends in runtime/<id>/runtime-endpoint/<name>.
_ENDPOINT_SUFFIX = re.compile(r"/runtime-endpoint/(?P<name>[A-Za-z][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class Runtime:
    """A deployed runtime and the endpoint to call: ``qualifier`` is sent as-is to AgentCore."""

    arn: str
    region: str
    qualifier: str
    stack: str | None = None

    @property
    def label(self) -> str:
        """How messages name it: the stack when known, else the ARN; and the endpoint."""
        return f"{f'stack {self.stack}' if self.stack else self.arn} (endpoint {self.qualifier})"


def parse_runtime_arn(arn: str, *, source: str = "--arn") -> re.Match[str]:
    """The ARN's parts; a clear error naming ``source`` when it is not a runtime ARN."""
    match = _RUNTIME_ARN.match(arn.strip())
    if match is None:
        raise CliError(
            f"{source}: {arn!r} is not an AgentCore runtime ARN "
            "(arn:<partition>:bedrock-agentcore:<region>:<account>:runtime/<id>)",
            ExitCode.USAGE,
        )
    return match


def stack_outputs(stack: str | None) -> dict[str, Any]:
    """``pulumi stack output --json [--stack <stack>]`` in the current directory, as a dict
    (None: the stack selected with ``pulumi stack select``)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise CliError(
            "the Pulumi CLI is not on PATH: install it to read stack outputs, or pass --arn", ExitCode.CONFIG
        )
    completed = subprocess.run(  # noqa: S603 - fixed arguments; the stack name is one argv item
        [pulumi, "stack", "output", "--json", *(["--stack", stack] if stack else [])],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"])[-1]
        raise CliError(f"reading stack {stack or '(selected)'} outputs failed: {reason}", ExitCode.CONFIG)
    try:
        outputs = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise CliError("`pulumi stack output --json` printed no JSON", ExitCode.CONFIG) from None
    if not isinstance(outputs, dict):
        raise CliError("`pulumi stack output --json` printed no JSON object", ExitCode.CONFIG)
    return outputs


def require_output(outputs: dict[str, Any], name: str, stack: str) -> Any:
    """An output that must exist; a missing one usually means the stack was never deployed."""
    value = outputs.get(name)
    if value in (None, "", {}):
        raise CliError(f"stack {stack} has no {name!r} output: deploy it first (pulumi up)", ExitCode.CONFIG)
    return value


def endpoint_name(endpoint_arn: str | None) -> str | None:
    """The named endpoint in an endpoint ARN (None for no ARN)."""
    if not endpoint_arn:
        return None
    match = _ENDPOINT_SUFFIX.search(endpoint_arn)
    return match["name"] if match else None


def resolve_runtime(*, stack: str | None, arn: str | None, endpoint: str | None) -> Runtime:
    """The runtime from ``--arn`` or the stack's outputs; the endpoint from ``--endpoint``, else
    the stack's named endpoint (as its ``invokeCommand`` uses), else DEFAULT."""
    if arn:
        match = parse_runtime_arn(arn)
        return Runtime(arn=arn.strip(), region=match["region"], qualifier=endpoint or DEFAULT_ENDPOINT)
    outputs = stack_outputs(stack)
    label = stack or "(selected)"
    runtime_arn = require_output(outputs, "runtimeArn", label)
    match = parse_runtime_arn(str(runtime_arn), source=f"stack {label} output runtimeArn")
    qualifier = endpoint or endpoint_name(outputs.get("endpointArn")) or DEFAULT_ENDPOINT
    return Runtime(arn=str(runtime_arn), region=match["region"], qualifier=qualifier, stack=stack)
