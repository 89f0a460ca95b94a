"""Run one agent turn and reduce Strands' event stream to what a client may see.

Why reduce: ``stream_async`` yields dicts holding the agent itself, the message history, the
system prompt, tool configuration and Python objects. Forwarding them leaks internals; clients
need only text deltas and the final answer.

Why restore history on failure: a turn that fails (throttling, a broken stream) may leave the
user's message without an answer in the agent's history, and Bedrock rejects a conversation whose
roles do not alternate. Putting the history back as it was makes a retry of the same prompt work.

Why Strands' stream is always read to its end, even when the caller stops early (a client that
left): closing it early leaves the generators nested inside it suspended, and the event loop
closes them later in a task of its own, where OpenTelemetry cannot detach the span contexts they
attached in the request's task ("was created in a different Context") and the agent's span ends
as cancelled. So a turn whose caller stops is cancelled instead (Strands checks the signal every
few tens of milliseconds and ends the turn itself) and its remaining events are dropped.

Why trim after each turn: Strands keeps every turn's cycles and traces in
``agent.event_loop_metrics`` for the agent's lifetime, about 1.7 KB a turn that no client reads;
only the latest invocation (this turn's usage, and the context size the conversation manager
reads) stays. And an idle agent still references its last turn's span (``agent.trace_span``);
under the OpenTelemetry SDK that is a finished span with all its attributes and events, about
6.5 KB per idle session, which Strands replaces at the next turn anyway.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from strands import Agent
from strands.agent import AgentResult
from strands.telemetry.metrics import EventLoopMetrics

from .sessions import Session

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delta:
    """A piece of model text as it arrives (including text said before a tool call)."""

    text: str

    def body(self) -> dict[str, Any]:
        return {"delta": self.text}


@dataclass(frozen=True)
class Final:
    """The end of a turn: the final answer's text, why the model stopped, and token usage."""

    completion: str
    stop_reason: str
    usage: dict[str, int]

    def body(self) -> dict[str, Any]:
        return {"completion": self.completion, "stop_reason": self.stop_reason, "usage": self.usage}


# Called under the session's lock before the turn (restore a conversation, add context); may raise.
BeforeTurn = Callable[[Session[Agent]], Awaitable[None]]
# Called with the turn's new messages once it has answered (store them).
AfterTurn = Callable[[list[dict[str, Any]]], None]


async def run_turn(
    session: Session[Agent],
    prompt: str,
    cancel: threading.Event | None = None,
    before: BeforeTurn | None = None,
    after: AfterTurn | None = None,
) -> AsyncIterator[Delta | Final]:
    """Yield deltas then one Final (none if cancelled); waits for the session's earlier turns first.

    The session lock is held until this generator finishes or is closed, so callers must close
    it (``contextlib.aclosing``) when they stop early; closing cancels the turn and waits for
    Strands to end it. Setting ``cancel`` (e.g. when the client disconnects) makes the model
    call stop at once instead of reading its answer to the end.
    """
    cancel = cancel or threading.Event()
    async with session.lock:
        if cancel.is_set():  # cancelled while waiting for the session's earlier turns
            return
        agent = session.agent
        if before is not None:
            await before(session)
        saved_history = list(agent.messages)
        events = agent.stream_async(prompt, cancel_signal=cancel)
        result: AgentResult | None = None
        try:
            async for event in events:
                text = event.get("data")
                if isinstance(text, str) and text and not cancel.is_set():
                    yield Delta(text)
                if isinstance(event.get("result"), AgentResult):
                    result = event["result"]
        finally:
            if result is None:  # stopped early by the caller, or failed
                cancel.set()
                await _drain(events)
            if result is None or cancel.is_set():
                agent.messages[:] = saved_history
            _trim_metrics(agent.event_loop_metrics)
            agent.trace_span = None  # finished; the next turn starts its own
        if result is not None and not cancel.is_set():  # a cancelled turn ends without a Final
            if after is not None:  # by identity: the conversation manager may have trimmed the front
                known = {id(message) for message in saved_history}
                after([message for message in agent.messages if id(message) not in known])
            yield _final(result)


async def _drain(events: AsyncGenerator[dict[str, Any], None]) -> None:
    """Read a cancelled turn's remaining events so Strands finishes it in this task."""
    try:
        async for _ in events:
            pass
    except Exception:  # noqa: BLE001 - the turn is abandoned; its caller has its own outcome
        logger.debug("abandoned turn ended with an error", exc_info=True)


def _trim_metrics(metrics: EventLoopMetrics) -> None:
    """Keep only the latest invocation's metrics; drop the cycle history Strands accumulates."""
    del metrics.agent_invocations[:-1]
    metrics.traces.clear()
    metrics.cycle_durations.clear()


def _final(result: AgentResult) -> Final:
    text = "".join(block["text"] for block in result.message.get("content", []) if "text" in block)
    invocation = result.metrics.latest_agent_invocation  # this turn only, not the session's total
    usage = invocation.usage if invocation is not None else {}
    return Final(
        completion=text,
        stop_reason=str(result.stop_reason),
        usage={
            "input_tokens": int(usage.get("inputTokens", 0)),
            "output_tokens": int(usage.get("outputTokens", 0)),
            "total_tokens": int(usage.get("totalTokens", 0)),
        },
    )
