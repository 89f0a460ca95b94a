"""One conversation per AgentCore session id, bounded by an LRU of idle sessions.

Why: a Strands ``Agent`` holds its conversation and refuses a second concurrent invocation
(``ConcurrencyException``). Each session gets its own agent and an ``asyncio.Lock``, so requests
in one session queue up in arrival order while different sessions run in parallel. In AgentCore
each session has its own microVM, but locally (and behind any other front end) one process serves
many sessions, so the number kept is bounded.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

AgentT = TypeVar("AgentT")


@dataclass
class Session(Generic[AgentT]):
    """A conversation: its agent and the lock that serialises turns."""

    agent: AgentT
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0  # requests holding or waiting for the lock; such a session is never evicted
    loaded: bool = False  # its history was read from the conversation store (when there is one)


class SessionStore(Generic[AgentT]):
    """LRU map of session id -> Session; ``factory(session_id)`` builds each session's agent.

    The least recently used idle sessions are evicted past ``capacity``.

    Sessions in use are never evicted (their caller would lose its history mid-turn, and a
    follow-up request would get a second agent for the same id), so the store may briefly hold
    more than ``capacity`` sessions when more than that many are busy at once.
    """

    def __init__(self, factory: Callable[[str], AgentT], capacity: int) -> None:
        self._factory = factory
        self._capacity = capacity
        self._sessions: OrderedDict[str, Session[AgentT]] = OrderedDict()

    def checkout(self, session_id: str) -> Session[AgentT]:
        """Get or create the session and mark it in use; pair with ``release``.

        Synchronous on purpose: with no await inside, two requests for a new id cannot both
        create an agent.
        """
        session = self._sessions.get(session_id)
        if session is None:
            session = Session(self._factory(session_id))
            self._sessions[session_id] = session
        self._sessions.move_to_end(session_id)
        session.users += 1
        self._evict()
        return session

    def release(self, session: Session[AgentT]) -> None:
        """Mark one use of the session finished and evict if the store is over capacity."""
        session.users -= 1
        self._evict()

    def _evict(self) -> None:
        """Drop the least recently used idle sessions beyond capacity; busy ones always stay."""
        excess = max(0, len(self._sessions) - self._capacity)
        idle = [key for key, session in self._sessions.items() if not session.users]
        for key in idle[:excess]:
            del self._sessions[key]
