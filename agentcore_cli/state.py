"""The remembered session id per runtime endpoint, so the next invoke continues the conversation.

Where: ``$XDG_STATE_HOME/agentcore/sessions.json`` (``~/.local/state/agentcore/sessions.json``
when unset), the XDG base-directory place for state that should survive restarts but is not
configuration. Outside the project so it is never committed, and keyed by runtime ARN and
endpoint (not by stack name), so two projects with a stack called ``dev`` never share a session,
and a replaced runtime (new ARN) starts a new one.

Why a session id of our own: AgentCore runs one microVM per session id and keeps the agent's
conversation there; without an id every call lands in a new microVM (see the agentcore notes).
"""

from __future__ import annotations

import json
import os
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

SESSION_ID_MIN = 33
SESSION_ID_MAX = 256


def state_dir() -> Path:
    """This tool's XDG state directory (created on first write)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "agentcore"


def new_session_id() -> str:
    """A fresh id AgentCore accepts: 36 characters (a UUID), within 33-256 and its echo pattern."""
    return str(uuid.uuid4())


def check_session_id(session_id: str) -> str:
    """The id, or ValueError saying the rule AgentCore enforces."""
    if not SESSION_ID_MIN <= len(session_id) <= SESSION_ID_MAX:
        raise ValueError(
            f"a runtime session id must be {SESSION_ID_MIN}-{SESSION_ID_MAX} characters, got {len(session_id)}"
        )
    return session_id


class SessionStore:
    """A small JSON map ``key -> {"session_id", "updated"}``, written atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or state_dir() / "sessions.json"

    def get(self, key: str) -> str | None:
        entry = self._load().get(key)
        return entry.get("session_id") if isinstance(entry, dict) else None

    def set(self, key: str, session_id: str) -> None:
        entries = self._load()
        entries[key] = {"session_id": session_id, "updated": datetime.now(UTC).isoformat(timespec="seconds")}
        self._save(entries)

    def forget(self, key: str) -> None:
        entries = self._load()
        if entries.pop(key, None) is not None:
            self._save(entries)

    def _load(self) -> dict[str, object]:
        try:
            data = json.loads(self.path.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}  # a damaged file only loses remembered sessions; the next write repairs it
        return data if isinstance(data, dict) else {}

    def _save(self, entries: dict[str, object]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".sessions-", suffix=".json")
        with os.fdopen(fd, "w") as handle:
            json.dump(entries, handle, indent=2, sort_keys=True)
        os.replace(temporary, self.path)


def session_for(store: SessionStore, key: str, *, session_id: str | None, new_session: bool) -> str:
    """The id to use: the one given, a new one when asked or none is remembered, else the remembered one.
    The choice is remembered for the next call."""
    if session_id is not None:
        chosen = check_session_id(session_id)
    else:
        remembered = None if new_session else store.get(key)
        chosen = remembered or new_session_id()
    store.set(key, chosen)
    return chosen
