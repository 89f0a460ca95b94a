"""Validate an ``/invocations`` request body: pure functions, no I/O.

The payload is opaque to AgentCore; this agent's contract is a JSON object with a non-empty
string ``prompt`` and an optional boolean ``stream``. Other keys are ignored, so clients may send
extra metadata. Each rule broken has its own machine code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from .errors import ApiError


@dataclass(frozen=True)
class Invocation:
    """A valid request: the prompt and whether the caller asked for SSE."""

    prompt: str
    stream: bool


def parse_invocation(body: bytes, *, accept: str, max_prompt_chars: int) -> Invocation | ApiError:
    """Return the invocation, or the 4xx error naming the field and the rule it breaks."""
    if not body.strip():
        return ApiError(400, "empty_body", 'The request body is empty; send a JSON object like {"prompt": "..."}.')
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return ApiError(400, "invalid_json", "The request body is not valid JSON.")
    if not isinstance(payload, dict):
        return ApiError(400, "invalid_payload", 'The request body must be a JSON object like {"prompt": "..."}.')
    if "prompt" not in payload:
        return ApiError(400, "missing_prompt", 'The field "prompt" is required.')
    prompt = payload["prompt"]
    if not isinstance(prompt, str):
        return ApiError(400, "invalid_prompt", 'The field "prompt" must be a string.')
    if not prompt.strip():
        return ApiError(400, "empty_prompt", 'The field "prompt" must not be empty.')
    if len(prompt) > max_prompt_chars:
        return ApiError(413, "prompt_too_long", f'The field "prompt" is longer than {max_prompt_chars} characters.')
    stream = payload.get("stream", False)
    if not isinstance(stream, bool):
        return ApiError(400, "invalid_stream", 'The field "stream" must be true or false.')
    return Invocation(prompt=prompt, stream=stream or wants_event_stream(accept))


def wants_event_stream(accept: str) -> bool:
    """True when the Accept header lists ``text/event-stream`` (any parameters, any position)."""
    return any(part.split(";", 1)[0].strip().lower() == "text/event-stream" for part in accept.split(","))
