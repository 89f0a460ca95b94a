"""Guards for the testkit helpers the contract tests rely on (the emulator has its own module)."""

from __future__ import annotations

import httpx
import pytest

from tests.testkit.sse import sse_events


def test_sse_parser_rejects_malformed_bodies() -> None:
    """It must not accept stray lines, a missing blank line or a body that is not ``data:`` events."""
    good = httpx.Response(200, headers={"content-type": "text/event-stream"}, text='data: {"delta":"a"}\n\n')
    assert sse_events(good) == [{"delta": "a"}]
    for text in ('data: {"delta":"a"}\n', 'event: x\ndata: {"a":1}\n\n', '{"delta":"a"}\n\n'):
        with pytest.raises(AssertionError):
            sse_events(httpx.Response(200, headers={"content-type": "text/event-stream"}, text=text))
    with pytest.raises(AssertionError):
        sse_events(httpx.Response(200, headers={"content-type": "application/json"}, text='data: {"a":1}\n\n'))
