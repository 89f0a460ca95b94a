"""Read the agent's server-sent events strictly, so a stray line or a missing separator fails a test."""

from __future__ import annotations

import json
from typing import Any

import httpx


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    """Parse an SSE body strictly: only ``data: <json>`` events separated by blank lines."""
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.text
    assert text.endswith("\n\n"), text[-200:]
    events = []
    for block in text[:-2].split("\n\n"):
        assert block.startswith("data: ") and "\n" not in block, block
        events.append(json.loads(block.removeprefix("data: ")))
    return events
