"""Every failure a user can cause, as one line naming the fix and a documented exit code.

Why one exception type: commands raise ``CliError`` and ``app.main`` prints ``error: <message>``
to stderr and exits with its code; the traceback appears only with ``--debug``. Scripts can branch
on the exit code (see ``ExitCode``); people read the line.
"""

from __future__ import annotations

from enum import IntEnum

import botocore.exceptions


class ExitCode(IntEnum):
    """The command's exit status, by kind of failure (2 is Click's own for bad arguments)."""

    OK = 0
    FAILURE = 1  # anything not classified below (AgentCore internal errors included)
    USAGE = 2  # bad arguments or input: also validation errors the service reports
    CONFIG = 3  # the stack, its outputs, the Pulumi CLI or the region
    AUTH = 4  # no credentials, rejected credentials, access denied, bad bearer token
    NOT_FOUND = 5  # runtime, endpoint or session not found
    THROTTLED = 6  # throttling or quota: retry later
    AGENT = 7  # the agent itself answered an error
    UNREACHABLE = 8  # connection failed or timed out


class CliError(Exception):
    """A failure with the line to show and the exit code to return."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# Service error code -> (exit code, what it means and how to fix it). {target} names the runtime.
_SERVICE_ERRORS: dict[str, tuple[ExitCode, str]] = {
    "AccessDeniedException": (
        ExitCode.AUTH,
        "access denied calling {operation} on {target}: use credentials allowed "
        "bedrock-agentcore:{operation} on this runtime (e.g. the stack's deployer role), or "
        "--bearer-token if the runtime uses a JWT authorizer",
    ),
    "UnauthorizedException": (ExitCode.AUTH, "the request's credentials were refused for {target}"),
    "UnrecognizedClientException": (
        ExitCode.AUTH,
        "your AWS credentials are not valid: refresh them (aws sso login, or check AWS_PROFILE)",
    ),
    "InvalidSignatureException": (
        ExitCode.AUTH,
        "AWS rejected the request signature: check the secret key and the system clock",
    ),
    "ExpiredTokenException": (ExitCode.AUTH, "your AWS session token has expired: refresh your credentials"),
    "ResourceNotFoundException": (
        ExitCode.NOT_FOUND,
        "not found: {target}; check --stack/--arn, the endpoint (--endpoint) and that the stack is "
        "deployed in this account and region",
    ),
    "ValidationException": (ExitCode.USAGE, "AgentCore rejected the request"),
    "ThrottlingException": (ExitCode.THROTTLED, "AgentCore is throttling requests: retry in a few seconds"),
    "ServiceQuotaExceededException": (
        ExitCode.THROTTLED,
        "a service quota is exhausted (e.g. concurrent sessions): stop idle sessions or retry later",
    ),
    "ConflictException": (ExitCode.FAILURE, "the session is busy with another request: retry when it ends"),
    "RetryableConflictException": (ExitCode.THROTTLED, "the session is busy: retry in a few seconds"),
    "RuntimeClientError": (
        ExitCode.AGENT,
        "the agent answered an error; see its logs with `agentcore logs`",
    ),
    "InternalServerException": (ExitCode.FAILURE, "AgentCore had an internal error: retry"),
}

_CREDENTIAL_ERRORS = (
    botocore.exceptions.NoCredentialsError,
    botocore.exceptions.PartialCredentialsError,
    botocore.exceptions.CredentialRetrievalError,
    botocore.exceptions.TokenRetrievalError,
    botocore.exceptions.SSOTokenLoadError,
    botocore.exceptions.ProfileNotFound,
)


def service_error(code: str, message: str, *, operation: str, target: str) -> CliError:
    """The line for an error AgentCore answered (a botocore ClientError or a bearer-token HTTP error)."""
    exit_code, text = _SERVICE_ERRORS.get(code, (ExitCode.FAILURE, f"AgentCore answered {code or 'an error'}"))
    line = text.format(operation=operation, target=target)
    return CliError(f"{line} (AWS: {message})" if message else line, exit_code)


def from_botocore(error: Exception, *, operation: str, target: str, read_timeout: float) -> CliError | None:
    """The line for a botocore failure, or None when ``error`` is not one."""
    if isinstance(error, botocore.exceptions.ClientError):
        details = error.response.get("Error", {})
        return service_error(
            str(details.get("Code", "")), str(details.get("Message", "")), operation=operation, target=target
        )
    if isinstance(error, _CREDENTIAL_ERRORS):
        return CliError(
            f"no usable AWS credentials ({error}): set AWS_PROFILE, run `aws configure` or `aws sso login`",
            ExitCode.AUTH,
        )
    if isinstance(error, botocore.exceptions.ParamValidationError):
        return CliError(f"invalid request: {error}", ExitCode.USAGE)
    if isinstance(error, botocore.exceptions.ReadTimeoutError):
        return CliError(
            f"no answer from {target} for {read_timeout:g} s: raise --read-timeout for long turns",
            ExitCode.UNREACHABLE,
        )
    if isinstance(
        error,
        botocore.exceptions.EndpointConnectionError
        | botocore.exceptions.ConnectTimeoutError
        | botocore.exceptions.ConnectionClosedError,
    ):
        return CliError(f"cannot reach AgentCore ({error}): check the region and your network", ExitCode.UNREACHABLE)
    if isinstance(error, botocore.exceptions.ResponseStreamingError):
        return CliError(f"the answer stream from {target} broke off ({error})", ExitCode.UNREACHABLE)
    return None
