"""Conversations kept in AgentCore Memory, so a session outlives its microVM (and this process).

A thin layer on boto3's ``bedrock-agentcore`` client rather than the SDK's Strands session manager:
that manager calls Memory synchronously from Strands' hooks, inside the turn, on the event loop's
thread, so a slow Memory call would stall ``/ping`` and every other session; and it gives no say
over what happens when a write fails. Here every call runs in a worker thread, restores happen
once per session before its first turn in this process, and writes happen after the answer, in
order, in the background.

Each message of a turn (user, assistant, tool use, tool results) is one event: a ``blob`` with the
message exactly as Strands holds it (restored as is), plus a ``conversational`` payload with its
text for the long-term strategies to read. Events carry a sequence number in their metadata so
the order survives Memory's timestamps (the client sends them to the millisecond).

Memory's session ids are narrower than AgentCore's (``[a-zA-Z0-9][a-zA-Z0-9-_]*``, at most 100
characters, against 33-256 of any characters): an id that does not fit is stored under
``h-`` + its SHA-256.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

ACTOR_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"
DEFAULT_ACTOR = "default"
# botocore's ActorId and SessionId shapes.
ACTOR_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-_/]*(?::[a-zA-Z0-9-_/]+)*[a-zA-Z0-9-_/]*")
ACTOR_ID_MAX = 255
SESSION_ID = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9-_]*")
SESSION_ID_MAX = 100
SEQUENCE_KEY = "seq"
ROLES = {"user": "USER", "assistant": "ASSISTANT"}
RECALL_TOP_K = 5


class MemoryUnavailable(Exception):
    """Memory could not be read while restoring a conversation; the turn must not run without it."""


class InvalidActor(ValueError):
    """The request names an actor Memory cannot store; the message names the header."""


def actor_id(headers: Mapping[str, str]) -> str:
    """The actor a conversation belongs to: AgentCore's user-id header, else the subject of the
    bearer token (the runtime's JWT authorizer already validated it), else ``default``."""
    user = headers.get(ACTOR_HEADER)
    if user is not None:
        return _checked_actor(user, ACTOR_HEADER)
    subject = _bearer_subject(headers.get("authorization", ""))
    return _checked_actor(subject, "Authorization (the token's sub)") if subject is not None else DEFAULT_ACTOR


def _checked_actor(value: str, source: str) -> str:
    if not 1 <= len(value) <= ACTOR_ID_MAX or ACTOR_ID.fullmatch(value) is None:
        raise InvalidActor(
            f"{source} must be 1-{ACTOR_ID_MAX} characters of letters, digits, - _ / and : between them."
        )
    return value


def _bearer_subject(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or token.count(".") != 2:
        return None
    claims = token.split(".")[1]
    try:
        subject = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))).get("sub")
    except (ValueError, AttributeError):
        return None
    return subject if isinstance(subject, str) else None


def memory_session_id(session_id: str) -> str:
    """The id Memory stores the session under (see the module docstring)."""
    if len(session_id) <= SESSION_ID_MAX and SESSION_ID.fullmatch(session_id):
        return session_id
    return "h-" + hashlib.sha256(session_id.encode()).hexdigest()


class ConversationMemory:
    """One memory's events for this process's sessions (``client``: boto3 ``bedrock-agentcore``)."""

    def __init__(
        self,
        client: Any,
        memory_id: str,
        namespaces: tuple[str, ...] = (),
        *,
        store_attempts: int = 5,
        store_backoff_seconds: float = 0.2,
    ) -> None:
        self._client = client
        self._memory_id = memory_id
        self._namespaces = namespaces
        self._attempts = store_attempts
        self._backoff = store_backoff_seconds
        self._sequence: dict[tuple[str, str], int] = {}
        self._writers: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._broken: set[tuple[str, str]] = set()
        self._clock = threading.Lock()
        self._last_timestamp = 0.0

    # -- restore -------------------------------------------------------------------------------

    async def restore(self, actor: str, session_id: str) -> list[dict[str, Any]]:
        """The session's stored messages, oldest first; ``MemoryUnavailable`` if Memory fails."""
        try:
            events = await asyncio.to_thread(self._list_events, actor, memory_session_id(session_id))
        except Exception as failure:  # noqa: BLE001 - any failure: the conversation is unknown
            raise MemoryUnavailable("listing the session's events failed") from failure
        events.sort(key=lambda e: (e["eventTimestamp"], int(e.get("metadata", {}).get(SEQUENCE_KEY, {}).get("stringValue", 0))))
        self._sequence[(actor, session_id)] = len(events)
        return [item["blob"]["message"] for event in events for item in event["payload"] if "blob" in item]

    def _list_events(self, actor: str, session: str) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        request: dict[str, Any] = {"memoryId": self._memory_id, "actorId": actor, "sessionId": session, "includePayloads": True, "maxResults": 100}
        while True:
            page = self._client.list_events(**request)
            events.extend(page["events"])
            if not page.get("nextToken"):
                return events
            request["nextToken"] = page["nextToken"]

    # -- long-term records -----------------------------------------------------------------------

    async def recall(self, actor: str, session_id: str, query: str) -> list[str]:
        """Long-term records about the actor relevant to ``query`` (none without namespaces, or
        when Memory fails: the turn goes on without them and a warning says so)."""
        if not self._namespaces:
            return []
        try:
            return await asyncio.to_thread(self._retrieve, actor, memory_session_id(session_id), query[:10000])
        except Exception as failure:  # noqa: BLE001 - recall is best effort; the log names it
            logger.warning("memory recall failed", extra={"error_code": "memory_recall_failed", "exception": type(failure).__name__})
            return []

    def _retrieve(self, actor: str, session: str, query: str) -> list[str]:
        texts: list[str] = []
        for template in self._namespaces:
            namespace = template.replace("{actorId}", actor).replace("{sessionId}", session)
            answer = self._client.retrieve_memory_records(
                memoryId=self._memory_id, namespace=namespace, searchCriteria={"searchQuery": query, "topK": RECALL_TOP_K}
            )
            texts.extend(s["content"]["text"] for s in answer["memoryRecordSummaries"] if "text" in s.get("content", {}))
        return texts

    # -- store -----------------------------------------------------------------------------------

    def save(self, actor: str, session_id: str, messages: list[dict[str, Any]]) -> None:
        """Store a turn's messages after the answer, in order behind the session's earlier turns."""
        key = (actor, session_id)
        previous = self._writers.get(key)
        task = asyncio.get_running_loop().create_task(self._write(key, previous, list(messages)))
        self._writers[key] = task
        task.add_done_callback(lambda done: self._writers.get(key) is done and self._writers.pop(key))

    async def flush(self, timeout: float) -> None:
        """Wait (at most ``timeout``) for every pending write: a stopping process loses nothing it
        could still store."""
        pending = list(self._writers.values())
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    async def _write(self, key: tuple[str, str], previous: asyncio.Task[None] | None, messages: list[dict[str, Any]]) -> None:
        if previous is not None:
            await asyncio.wait([previous])
        for message in messages:
            if key in self._broken:
                break
            sequence = self._sequence.get(key, 0)
            if await self._store_one(key, sequence, message):
                self._sequence[key] = sequence + 1
            else:
                # Later messages would leave a gap the model cannot read back: stop this session's writes.
                self._broken.add(key)
        if key in self._broken:
            logger.error("memory store failed", extra={"error_code": "memory_store_failed", "session_id": key[1]})

    async def _store_one(self, key: tuple[str, str], sequence: int, message: dict[str, Any]) -> bool:
        actor, session_id = key
        request = {
            "memoryId": self._memory_id,
            "actorId": actor,
            "sessionId": memory_session_id(session_id),
            "eventTimestamp": self._timestamp(),
            "payload": _payload(message),
            "metadata": {SEQUENCE_KEY: {"stringValue": str(sequence)}},
        }
        for attempt in range(self._attempts):
            try:
                await asyncio.to_thread(self._client.create_event, **request)
                return True
            except Exception as failure:  # noqa: BLE001 - retried, then reported by the caller
                logger.warning("memory store retry", extra={"error_code": "memory_store_retry", "exception": type(failure).__name__})
                await asyncio.sleep(self._backoff * 2**attempt)
        return False

    def _timestamp(self) -> datetime.datetime:
        """Now, strictly after the previous event's time at the millisecond the client sends."""
        with self._clock:
            self._last_timestamp = max(round(time.time(), 3), self._last_timestamp + 0.001)
            return datetime.datetime.fromtimestamp(self._last_timestamp, datetime.UTC)


def _payload(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The message as Strands holds it, plus its text for the long-term strategies."""
    payload: list[dict[str, Any]] = [{"blob": {"message": message}}]
    text = "\n".join(block["text"] for block in message.get("content", []) if isinstance(block.get("text"), str) and block["text"])
    results = [r for block in message.get("content", []) if "toolResult" in block for r in block["toolResult"].get("content", [])]
    if text:
        payload.insert(0, {"conversational": {"content": {"text": text[:100_000]}, "role": ROLES.get(message.get("role", ""), "OTHER")}})
    elif results:
        joined = "\n".join(r["text"] for r in results if isinstance(r.get("text"), str) and r["text"])
        if joined:
            payload.insert(0, {"conversational": {"content": {"text": joined[:100_000]}, "role": "TOOL"}})
    return payload
