"""Run one agent turn and reduce Strands' event stream to what a client may see.

Why reduce: ``stream_async`` yields dicts holding the agent itself, the message history, the
system prompt, tool configuration and Python objects. Forwarding them leaks internals; clients
need only text deltas and the final answer.

Why restore history on failure: a turn that fails (throttling, a broken stream) may leave the
user's message without an answer in the agent's history, and Bedrock rejects a conversation whose
roles do not alternate. Putting the history back as it was makes a retry of the same prompt work.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from strands import Agent
from strands.agent import AgentResult

from .sessions import Session


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


async def run_turn(
    session: Session[Agent], prompt: str, cancel: threading.Event | None = None
) -> AsyncIterator[Delta | Final]:
    """Yield deltas then one Final; waits for the session's earlier turns first.

    The session lock is held until this generator finishes or is closed, so callers must close
    it (``contextlib.aclosing``) when they stop early. Setting ``cancel`` first lets the model
    thread drop its stream at the next chunk instead of reading it to the end.
    """
    async with session.lock:
        agent = session.agent
        saved_history = list(agent.messages)
        finished = False
        try:
            async with aclosing(agent.stream_async(prompt, cancel_signal=cancel)) as events:
                async for event in events:
                    text = event.get("data")
                    if isinstance(text, str) and text:
                        yield Delta(text)
                    result = event.get("result")
                    if isinstance(result, AgentResult):
                        finished = True
                        yield _final(result)
        finally:
            if not finished:
                agent.messages[:] = saved_history


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
