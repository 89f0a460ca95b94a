"""The agent container's ASGI app (``uvicorn agent:app``): AgentCore's HTTP contract over Strands.

Routes: ``GET /ping`` and ``POST /invocations`` (JSON answer, or SSE with ``Accept:
text/event-stream`` / ``"stream": true``). Everything else answers a JSON 404/405.

Why a plain Starlette app rather than ``BedrockAgentCoreApp``: its ``/ping`` is a sync route run
in the thread pool, so slow invocations and streams delay health checks; here every route is
async and model I/O runs in threads owned by the model client, so ``/ping`` answers at once.
One ``BedrockModel`` (one boto3 client) serves every session; each session has its own
``Agent`` and lock (see ``agentcore_agent.sessions``).

Configuration comes from the environment (``agentcore_agent.settings``); a bad value stops the
process at import with a message naming the variable.

Why the garbage collector is off while this module loads, then frozen: loading Strands, boto3 and
Starlette creates about 100,000 objects that live as long as the process. Collecting while they
load took ~10% of the import time, and afterwards every full collection walked all of them, a
~90 ms stall inside whichever request triggered it. ``gc.freeze()`` moves them out of the
collector's sight for good; later allocations are collected as usual.
"""

# ruff: noqa: E402 - the imports follow gc.disable() on purpose (see above)
from __future__ import annotations

import gc

gc.disable()

import asyncio
import json
import logging
import sys
import threading
import uuid
from collections.abc import AsyncIterator
from typing import Any
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing, asynccontextmanager

import boto3
from botocore.config import Config
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strands import Agent
from strands.models import BedrockModel

from agentcore_agent import errors, identity, logs
from agentcore_agent.contract import ACCESS_TOKEN_HEADER, IDENTITY_WAT_HEADER, REQUEST_ID_HEADER, SESSION_HEADER
from agentcore_agent.errors import ApiError
from agentcore_agent.health import background
from agentcore_agent.memory import ConversationMemory, InvalidActor, actor_id
from agentcore_agent.payload import Invocation, parse_invocation
from agentcore_agent.retry import ThrottleRetryBudget
from agentcore_agent.sessions import SessionStore
from agentcore_agent.settings import ConfigError, Settings
from agentcore_agent.tools import BUILTIN_TOOLS
from agentcore_agent.turns import AfterTurn, BeforeTurn, Delta, Final, run_turn

MAX_SESSION_ID_CHARS = 256
ACTOR_SEPARATOR = "|"
logger = logging.getLogger("agent")

try:
    settings = Settings.from_env()
except ConfigError as config_error:
    sys.exit(f"agent: configuration error: {config_error}")

logs.configure(settings.log_level)

# Each streaming model call holds one thread for its whole answer (Strands runs boto3 in
# asyncio's default executor), so size that pool, and boto3's connection pool, for every session.
MODEL_THREADS = max(32, settings.max_sessions)

model = BedrockModel(
    boto_session=boto3.Session(region_name=settings.region),
    boto_client_config=Config(
        retries={"mode": "standard", "total_max_attempts": settings.model_max_attempts},
        connect_timeout=settings.model_connect_timeout_seconds,
        read_timeout=settings.model_read_timeout_seconds,
        max_pool_connections=MODEL_THREADS,
    ),
    model_id=settings.model_id,
)


def new_agent(session_key: str) -> Agent:
    """A fresh conversation sharing the one model client; quiet (no stdout printing)."""
    session_id = session_key.rpartition(ACTOR_SEPARATOR)[2]
    return Agent(
        model=model,
        tools=list(BUILTIN_TOOLS),
        system_prompt=settings.system_prompt,
        callback_handler=None,
        retry_strategy=None,  # replaced by the time-budgeted hook below
        hooks=[ThrottleRetryBudget(settings.model_retry_budget_seconds)],
        trace_attributes={"session.id": session_id},
    )


sessions: SessionStore[Agent] = SessionStore(new_agent, settings.max_sessions)

# AgentCore Memory, when the component gave the runtime one (agentcore_agent.memory).
memory = (
    ConversationMemory(
        boto3.Session(region_name=settings.region).client(
            "bedrock-agentcore",
            config=Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=5, read_timeout=10),
        ),
        settings.memory_id,
        settings.memory_namespaces,
    )
    if settings.memory_id
    else None
)


async def ping(request: Request) -> Response:
    return JSONResponse(background.ping())


async def invocations(request: Request) -> Response:
    """Validate the request, then answer one turn of its session as JSON or SSE.

    Every answer that knows a valid session id carries it in the session header: the caller's own
    id on every answer, validation errors included (so a client can match any answer to its
    conversation); an id assigned here (no header sent) on the answers of the turn it started.
    An over-long id is not valid, so its error carries none.
    """
    requested = request.headers.get(SESSION_HEADER)
    if requested is not None and len(requested) > MAX_SESSION_ID_CHARS:
        return _error(
            request,
            ApiError(400, "invalid_session_id", f"{SESSION_HEADER} is longer than {MAX_SESSION_ID_CHARS} characters."),
        )
    known = {SESSION_HEADER: requested} if requested else None
    body = await _read_body(request, settings.max_body_bytes)
    if body is None:
        return _error(request, ApiError(413, "payload_too_large", "The request body is too large."), known)
    parsed = parse_invocation(
        body, accept=request.headers.get("accept", ""), max_prompt_chars=settings.max_prompt_chars
    )
    if isinstance(parsed, ApiError):
        return _error(request, parsed, known)

    try:
        actor = actor_id(request.headers) if memory is not None else None
    except InvalidActor as invalid:
        return _error(request, ApiError(400, "invalid_actor_id", str(invalid)), known)

    session_id = requested or str(uuid.uuid4())
    identity.publish(
        request.headers.get(REQUEST_ID_HEADER) or "",
        session_id,
        request.headers.get(IDENTITY_WAT_HEADER) or request.headers.get(ACCESS_TOKEN_HEADER),
    )
    request.state.stream = parsed.stream
    request.state.actor = actor
    headers = {SESSION_HEADER: session_id}
    if parsed.stream:
        return TurnEventStream(request, session_id, parsed.prompt, headers)
    return await _json_answer(request, session_id, parsed, headers)


async def _json_answer(request: Request, session_id: str, invocation: Invocation, headers: dict[str, str]) -> Response:
    try:
        async with _turn(session_id, invocation.prompt, actor=request.state.actor) as events:
            async for event in events:
                if isinstance(event, Final):
                    return JSONResponse({**event.body(), "session_id": session_id}, headers=headers)
    except Exception as failure:  # noqa: BLE001 - every failure becomes a mapped JSON error
        return _error(request, _model_failure(failure), headers)
    return _error(request, errors.INTERNAL, headers)  # the stream ended without a result


class TurnEventStream(Response):
    """Answer a turn as SSE, or as a JSON error if it fails before its first event.

    Why not Starlette's StreamingResponse: it iterates the body in a separate task, so the turn
    would begin in one context and end in another (OpenTelemetry, which Strands uses, refuses
    to detach a context across tasks), and it never closes the body when the client leaves,
    which would keep the session locked. Here the whole turn runs in the request's own task; a
    watcher task only reads the request's messages and cancels the turn on a disconnect.
    """

    media_type = "text/event-stream"

    def __init__(self, request: Request, session_id: str, prompt: str, headers: dict[str, str]) -> None:
        # Like StreamingResponse: no body attribute, so no Content-Length header.
        self.status_code = 200
        self.background = None
        self.init_headers({**headers, "Cache-Control": "no-cache"})
        self._request = request
        self._session_id = session_id
        self._prompt = prompt
        self._headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cancel = threading.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, cancel))
        try:
            async with _turn(self._session_id, self._prompt, cancel, actor=self._request.state.actor) as events:
                try:
                    first = await anext(events, None)
                except Exception as failure:  # noqa: BLE001 - nothing sent yet: answer with a status
                    first = _model_failure(failure)
                if first is None and cancel.is_set():
                    return  # the client left before the first event: nobody to answer
                if not isinstance(first, Delta | Final):
                    error = _error(self._request, first or errors.INTERNAL, self._headers)
                    await error(scope, receive, send)
                    return
                await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
                await self._send_event(send, first)
                try:
                    async for event in events:
                        if cancel.is_set():
                            break  # the client left; closing the turn lets Strands end it (see turns)
                        await self._send_event(send, event)
                except Exception as failure:  # noqa: BLE001 - status 200 is out: report in-band
                    api_error = _model_failure(failure)
                    self._request.state.error_code = api_error.code
                    await self._send_event(send, api_error)
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            watcher.cancel()

    @staticmethod
    async def _send_event(send: Send, event: Delta | Final | ApiError) -> None:
        data = "data: " + json.dumps(event.body(), ensure_ascii=False, separators=(",", ":")) + "\n\n"
        await send({"type": "http.response.body", "body": data.encode(), "more_body": True})


async def _watch_disconnect(receive: Receive, cancel: threading.Event) -> None:
    """Cancel the turn when the client disconnects (Strands checks the signal every 50 ms)."""
    while (await receive())["type"] != "http.disconnect":
        pass
    cancel.set()


@asynccontextmanager
async def _turn(
    session_id: str, prompt: str, cancel: threading.Event | None = None, *, actor: str | None = None
) -> AsyncIterator[AsyncIterator[Delta | Final]]:
    """Check the session out for one turn and make sure its generator (and lock) is closed."""
    # With memory, a conversation is the actor's: another actor sending the same session id gets
    # its own (the separator cannot occur in an actor id).
    session = sessions.checkout(session_id if actor is None else f"{actor}{ACTOR_SEPARATOR}{session_id}")
    before, after = _memory_hooks(actor, session_id, prompt) if memory is not None and actor is not None else (None, None)
    try:
        async with aclosing(run_turn(session, prompt, cancel, before, after)) as events:
            yield events
    finally:
        sessions.release(session)


def _memory_hooks(actor: str, session_id: str, prompt: str) -> tuple[BeforeTurn, AfterTurn]:
    """Restore the conversation before the session's first turn in this process, give the model
    the actor's long-term records, and store the turn's messages once it has answered."""
    assert memory is not None

    async def before(session: Any) -> None:
        agent = session.agent
        if not session.loaded:
            agent.messages[:] = await memory.restore(actor, session_id)
            session.loaded = True
        records = await memory.recall(actor, session_id, prompt)
        agent.system_prompt = settings.system_prompt + (
            "\n\nWhat you remember about this user from earlier conversations:\n" + "\n".join(f"- {r}" for r in records)
            if records
            else ""
        )

    def after(messages: list[dict[str, Any]]) -> None:
        memory.save(actor, session_id, messages)

    return before, after


def _model_failure(failure: BaseException) -> ApiError:
    api_error = errors.classify(failure)
    if api_error is errors.INTERNAL:
        logger.error("agent turn failed unexpectedly", exc_info=failure)
    else:
        logger.warning(
            "agent turn failed",
            extra={"error_code": api_error.code, "exception": type(failure).__name__, "cause": _root_cause(failure)},
        )
    return api_error


def _root_cause(failure: BaseException) -> str:
    while failure.__cause__ is not None:
        failure = failure.__cause__
    return type(failure).__name__


def _error(request: Request, api_error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    request.state.error_code = api_error.code
    return JSONResponse(api_error.body(), status_code=api_error.status, headers=headers)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it exceeds ``limit`` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                return None
            chunks.append(chunk)
    except ClientDisconnect:
        return b""
    return b"".join(chunks)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "bad_request")
    message = {
        404: f"No route {request.url.path}; use POST /invocations or GET /ping.",
        405: f"{request.method} is not allowed on {request.url.path}.",
    }.get(exc.status_code, str(exc.detail))
    return _error(request, ApiError(exc.status_code, code, message), dict(exc.headers or {}))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    logger.error("unhandled error", exc_info=exc)
    return _error(request, errors.INTERNAL)


@asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Give the model threads a pool sized for every session; drain it on shutdown."""
    executor = ThreadPoolExecutor(max_workers=MODEL_THREADS, thread_name_prefix="model")
    asyncio.get_running_loop().set_default_executor(executor)
    logger.info(
        "agent ready",
        extra={"model_id": settings.model_id, "region": settings.region, "max_sessions": settings.max_sessions},
    )
    yield
    if memory is not None:
        await memory.flush(timeout=10.0)  # turns answered but not yet stored
    executor.shutdown(wait=False, cancel_futures=True)


app = Starlette(
    routes=[
        Route("/ping", ping, methods=["GET"]),
        Route("/invocations", invocations, methods=["POST"]),
    ],
    middleware=[
        Middleware(
            logs.AccessLog,
            request_id_header=REQUEST_ID_HEADER,
            session_id_header=SESSION_HEADER,
            quiet_paths=frozenset({"/ping"}),
        )
    ],
    exception_handlers={HTTPException: http_error, Exception: unexpected_error},
    lifespan=lifespan,
)

# Everything loaded so far lives as long as the process (see the module docstring).
gc.freeze()
gc.enable()
