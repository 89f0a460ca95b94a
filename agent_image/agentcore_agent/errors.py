"""Map a failed agent turn to an HTTP status, a machine code and a fixed, safe message.

Why fixed messages: Bedrock and botocore error texts carry account ids, ARNs, model ids and
request details; the caller gets a stable code and a sentence, the log gets the detail.

Why these statuses: AgentCore turns any container 4xx/5xx into a 424 at the caller, so the status
mostly serves local callers and logs, while ``code`` is the contract. Problems with the agent's
own identity or configuration (access denied, unknown model) are the deployment's fault, not the
caller's, so they are 5xx: a 403 would tell the caller that *its* credentials were refused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import botocore.exceptions
import urllib3.exceptions
from strands.types.exceptions import (
    ContextWindowOverflowException,
    MaxTokensReachedException,
    ModelThrottledException,
)

from .memory import MemoryUnavailable


@dataclass(frozen=True)
class ApiError:
    """An error answer: HTTP status plus the ``{"error", "code"}`` body."""

    status: int
    code: str
    message: str

    def body(self) -> dict[str, str]:
        return {"error": self.message, "code": self.code}


THROTTLED = ApiError(429, "model_throttled", "The model is throttling requests; retry later.")
CREDENTIALS_MISSING = ApiError(503, "model_credentials_missing", "The agent has no AWS credentials to call the model.")
ACCESS_DENIED = ApiError(502, "model_access_denied", "The agent's AWS identity is not allowed to invoke the model.")
MODEL_NOT_FOUND = ApiError(502, "model_not_found", "The configured model does not exist or is not available here.")
REQUEST_REJECTED = ApiError(502, "model_request_rejected", "The model rejected the request.")
TIMEOUT = ApiError(504, "model_timeout", "The model did not answer in time.")
UNAVAILABLE = ApiError(503, "model_unavailable", "The model service is unavailable; retry later.")
UNREACHABLE = ApiError(502, "model_unreachable", "The model endpoint could not be reached.")
STREAM_FAILED = ApiError(502, "model_stream_failed", "The model's answer stream broke off.")
MODEL_ERROR = ApiError(502, "model_error", "The model failed to answer.")
CONTEXT_TOO_LONG = ApiError(
    413, "context_window_exceeded", "The conversation no longer fits the model's context window."
)
OUTPUT_TRUNCATED = ApiError(502, "model_output_truncated", "The model hit its output token limit.")
INTERNAL = ApiError(500, "internal_error", "The agent failed unexpectedly.")
MEMORY_UNAVAILABLE = ApiError(
    503, "memory_unavailable", "The conversation could not be restored from memory; retry later."
)

_CLIENT_ERROR_CODES: dict[str, ApiError] = {
    "ThrottlingException": THROTTLED,
    "throttlingException": THROTTLED,
    "ModelNotReadyException": THROTTLED,
    "ServiceQuotaExceededException": THROTTLED,
    "AccessDeniedException": ACCESS_DENIED,
    "UnrecognizedClientException": ACCESS_DENIED,
    "InvalidSignatureException": ACCESS_DENIED,
    "ExpiredTokenException": ACCESS_DENIED,
    "ResourceNotFoundException": MODEL_NOT_FOUND,
    "ModelTimeoutException": TIMEOUT,
    "ServiceUnavailableException": UNAVAILABLE,
    "serviceUnavailableException": UNAVAILABLE,
    "modelStreamErrorException": STREAM_FAILED,
    "internalServerException": STREAM_FAILED,
}
_INVALID_MODEL_MESSAGE = "model identifier is invalid"


def classify(error: BaseException) -> ApiError:
    """The answer for a failed turn: the first recognised exception along its cause chain."""
    for exc in _chain(error):
        mapped = _classify_one(exc)
        if mapped is not None:
            return mapped
    return INTERNAL


def _classify_one(exc: BaseException) -> ApiError | None:
    if isinstance(exc, MemoryUnavailable):
        return MEMORY_UNAVAILABLE
    if isinstance(exc, ModelThrottledException):
        return THROTTLED
    if isinstance(exc, ContextWindowOverflowException):
        return CONTEXT_TOO_LONG
    if isinstance(exc, MaxTokensReachedException):
        return OUTPUT_TRUNCATED
    if isinstance(exc, botocore.exceptions.ClientError):
        details = exc.response.get("Error", {})
        code = str(details.get("Code", ""))
        if code == "ValidationException":
            return MODEL_NOT_FOUND if _INVALID_MODEL_MESSAGE in str(details.get("Message", "")) else REQUEST_REJECTED
        return _CLIENT_ERROR_CODES.get(code, MODEL_ERROR)
    if isinstance(exc, botocore.exceptions.NoCredentialsError | botocore.exceptions.PartialCredentialsError):
        return CREDENTIALS_MISSING
    if isinstance(exc, botocore.exceptions.CredentialRetrievalError):
        return CREDENTIALS_MISSING
    if isinstance(exc, botocore.exceptions.ReadTimeoutError | botocore.exceptions.ConnectTimeoutError):
        return TIMEOUT
    if isinstance(exc, urllib3.exceptions.TimeoutError | TimeoutError):
        return TIMEOUT
    if isinstance(exc, botocore.exceptions.EndpointConnectionError):
        return UNREACHABLE
    if isinstance(exc, urllib3.exceptions.ProtocolError | botocore.exceptions.ResponseStreamingError):
        return STREAM_FAILED
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
