"""The floor: a bare Starlette app with the agent's routes answering constants.

Why: it is the physical limit of this stack (Python, uvicorn, Starlette, loopback HTTP) with no
agent, no SDK and no model client, so "ours / floor" says how much our code adds on top of the
server itself.

It does not call a model. So that work "in flight" means the same thing for all three servers, an
invocation waits the model time the emulator would have taken for the same prompt: the benchmark
paces the model with ``[[chunks:N]]`` and ``[[delay:S]]`` directives in the prompt (see
tests/testkit/bedrock_emulator.py), and the floor sleeps N x S (awaited, so nothing blocks) before each
constant chunk or the constant JSON answer. With no directives it answers at once.

Streams (``text/event-stream``) when the client's ``Accept`` header asks for it, like the agent.
Served like the other two servers: ``python -m uvicorn floor_app:app --app-dir bench``.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_DIRECTIVE = re.compile(r"\[\[([a-z-]+)(?::([^\]]*))?\]\]")
_STARTED = int(time.time())
_COMPLETION = "You said: hello. Turn 1."


def _pacing(prompt: str) -> tuple[int, float]:
    """(chunks, seconds per chunk) the emulator would use for this prompt (its defaults: 3, 0)."""
    directives = dict(_DIRECTIVE.findall(prompt))
    return int(directives.get("chunks") or 3), float(directives.get("delay") or 0.0)


async def ping(request: Request) -> Response:
    """Constant health answer: the same shape as the AgentCore contract's /ping."""
    return JSONResponse({"status": "Healthy", "time_of_last_update": _STARTED})


async def invocations(request: Request) -> Response:
    """Constant completion after the prompt's model time, as JSON or as an SSE stream."""
    try:
        payload = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return JSONResponse({"error": "body must be JSON"}, status_code=400)
    prompt = payload.get("prompt", "") if isinstance(payload, dict) else ""
    chunks, delay = _pacing(str(prompt))
    if "text/event-stream" in request.headers.get("accept", ""):
        return StreamingResponse(_stream(chunks, delay), media_type="text/event-stream")
    if delay:
        await asyncio.sleep(chunks * delay)
    return JSONResponse({"completion": _COMPLETION})


async def _stream(chunks: int, delay: float) -> AsyncIterator[str]:
    for piece in range(chunks):
        if delay:
            await asyncio.sleep(delay)
        yield f"data: {json.dumps({'text': f'chunk {piece}'})}\n\n"
    yield f"data: {json.dumps({'completion': _COMPLETION})}\n\n"


app = Starlette(routes=[Route("/ping", ping, methods=["GET"]), Route("/invocations", invocations, methods=["POST"])])
