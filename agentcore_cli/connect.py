"""Pick the transport for a command's options and the key its session is remembered under."""

from __future__ import annotations

from dataclasses import dataclass

from .client import SigV4Transport, Transport
from .errors import CliError, ExitCode
from .stack import resolve_runtime

DEFAULT_LOCAL_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Target:
    """Where to send turns and the state-file key of its remembered session."""

    transport: Transport
    session_key: str


def connect(
    *,
    local: bool,
    url: str,
    stack: str | None,
    arn: str | None,
    endpoint: str | None,
    bearer_token: str | None,
    read_timeout: float,
) -> Target:
    """``--local`` -> the dev server; otherwise the runtime from ``--arn`` or the stack's outputs,
    signed with AWS credentials or sent with ``--bearer-token``."""
    from .http_client import BearerTransport, LocalTransport  # noqa: PLC0415 - httpx only when needed

    if local:
        if stack or arn or endpoint or bearer_token:
            raise CliError(
                "--local talks to `agentcore dev`; drop --stack/--arn/--endpoint/--bearer-token", ExitCode.USAGE
            )
        return Target(LocalTransport(url, read_timeout), f"local {url.rstrip('/')}")
    runtime = resolve_runtime(stack=stack, arn=arn, endpoint=endpoint)
    transport: Transport = (
        BearerTransport(runtime, bearer_token, read_timeout) if bearer_token else SigV4Transport(runtime, read_timeout)
    )
    return Target(transport, f"{runtime.arn}#{runtime.qualifier}")
