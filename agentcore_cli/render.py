"""Show one turn: text deltas on stdout as they arrive, the turn's summary and errors on stderr.

Why stdout holds only the answer: ``agentcore invoke "..." > answer.txt`` and pipes get the text
alone. With ``--json`` stdout holds one JSON document per turn instead, for scripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape

from .client import Reply
from .events import AgentError, Delta, Final, Other


@dataclass
class TurnResult:
    """What a turn produced; ``error`` is set when the agent answered an error."""

    session_id: str
    text: str = ""
    stop_reason: str = ""
    usage: dict[str, Any] = field(default_factory=dict)
    error: AgentError | None = None

    def as_json(self) -> dict[str, Any]:
        if self.error is not None:
            error: dict[str, Any] = {"code": self.error.code, "message": self.error.message}
            if self.error.status is not None:
                error["status"] = self.error.status
            return {"session_id": self.session_id, "error": error}
        return {
            "session_id": self.session_id,
            "completion": self.text,
            "stop_reason": self.stop_reason,
            "usage": self.usage,
        }


def receive(reply: Reply, out: Console, err: Console, *, json_output: bool = False) -> TurnResult:
    """Consume the reply, printing as it goes (nothing until the end with ``json_output``)."""
    result = TurnResult(session_id=reply.session_id)
    streamed: list[str] = []
    for event in reply.events:
        if isinstance(event, Delta):
            streamed.append(event.text)
            if not json_output:
                out.out(event.text, end="", highlight=False)
        elif isinstance(event, Final):
            result.text = "".join(streamed) or event.completion
            result.stop_reason, result.usage = event.stop_reason, event.usage
            if not json_output and not streamed:
                out.out(event.completion, end="", highlight=False)
        elif isinstance(event, AgentError):
            result.error = event
        elif isinstance(event, Other) and not json_output:
            out.out(event.text, highlight=False)
    if not result.text:
        result.text = "".join(streamed)
    if json_output:
        out.out(json.dumps(result.as_json(), ensure_ascii=False), highlight=False)
        return result
    if streamed or result.text:
        out.print()  # end the answer's line
    if result.error is not None:
        err.print(f"[red]agent error[/red] {escape(describe(result.error))}", highlight=False)
    else:
        err.print(f"[dim]{escape(summary(result))}[/dim]", highlight=False)
    return result


def describe(error: AgentError) -> str:
    """``[code] message (HTTP status)``, the agent's own words and machine code."""
    code = f"[{error.code}] " if error.code else ""
    status = f" (HTTP {error.status})" if error.status is not None else ""
    return f"{code}{error.message}{status}"


def summary(result: TurnResult) -> str:
    """The line after an answer: session, why it stopped, tokens."""
    parts = [f"session {result.session_id}"]
    if result.stop_reason:
        parts.append(result.stop_reason)
    if result.usage:
        parts.append(f"{result.usage.get('input_tokens', '?')} in / {result.usage.get('output_tokens', '?')} out tokens")
    return " · ".join(parts)
