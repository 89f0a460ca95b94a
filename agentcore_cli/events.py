"""The agent's answer as events: decode its SSE frames or JSON body (agent_image's HTTP contract).

The agent (``agent_image/agent.py``) answers a turn either as JSON
``{"completion", "stop_reason", "usage", "session_id"}`` or, when streaming, as SSE frames
``data: {"delta": "..."}`` ... then ``data: {"completion", "stop_reason", "usage"}``; a failure is
``{"error": "<sentence>", "code": "<machine code>"}``, as the JSON body of a 4xx/5xx before the
stream starts or as an in-band frame after it started. Anything else the runtime sends (another
agent behind the same endpoint) is passed through as ``Other`` rather than dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Final:
    completion: str
    stop_reason: str = ""
    usage: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AgentError:
    message: str
    code: str = ""
    status: int | None = None


@dataclass(frozen=True)
class Other:
    """A frame or body that is not this agent's shape, shown as it came."""

    text: str


Event = Delta | Final | AgentError | Other


def event_from_json(value: Any, *, status: int | None = None) -> Event:
    """One event from a decoded frame or body."""
    if isinstance(value, dict):
        if isinstance(value.get("delta"), str):
            return Delta(value["delta"])
        if isinstance(value.get("error"), str):
            return AgentError(value["error"], str(value.get("code", "")), status)
        if isinstance(value.get("completion"), str):
            usage = value.get("usage")
            return Final(value["completion"], str(value.get("stop_reason", "")), usage if isinstance(usage, dict) else {})
    return Other(json.dumps(value, ensure_ascii=False))


def event_from_text(text: str, *, status: int | None = None) -> Event:
    try:
        return event_from_json(json.loads(text), status=status)
    except json.JSONDecodeError:
        return Other(text)


def sse_events(chunks: Iterable[bytes]) -> Iterator[Event]:
    """Decode an SSE byte stream incrementally: each event is yielded as soon as its blank line
    arrives. Multi-line ``data:`` fields are joined with newlines; comments and other fields
    (``event:``, ``id:``, ``retry:``) are ignored, as the SSE standard says."""
    buffer = bytearray()
    data: list[str] = []
    for chunk in chunks:
        buffer.extend(chunk)
        while (newline := buffer.find(b"\n")) >= 0:
            line = bytes(buffer[:newline]).rstrip(b"\r").decode("utf-8", errors="replace")
            del buffer[: newline + 1]
            if line == "":
                if data:
                    yield event_from_text("\n".join(data))
                    data = []
            elif line.startswith("data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(" ") else value)
    if data:  # a stream cut before its final blank line still delivers what it said
        yield event_from_text("\n".join(data))


def body_events(content_type: str, chunks: Iterable[bytes], *, status: int | None = None) -> Iterator[Event]:
    """The events of one response, by its content type."""
    if content_type.split(";", 1)[0].strip().lower() == "text/event-stream":
        yield from sse_events(chunks)
        return
    body = b"".join(chunks).decode("utf-8", errors="replace")
    if body.strip():
        yield event_from_text(body, status=status)
