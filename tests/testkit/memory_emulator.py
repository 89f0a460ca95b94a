"""A loopback emulator of AgentCore Memory's data plane: CreateEvent, ListEvents,
RetrieveMemoryRecords.

Why: the agent stores and restores conversations through boto3's real ``bedrock-agentcore``
client; pointing ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE`` here exercises the whole client path
(signing, URL building, JSON and timestamp serialisation, pagination, error parsing) offline.

What it checks, read from botocore's own service model so it cannot drift from the client: the
operation's method and URI template, and every request (URI labels and body) against the
operation's input shape: botocore's own ``ParamValidator`` (types, required members, minimums), then
what the client leaves to the service (patterns, maximum lengths and sizes, enums); that the request is SigV4-signed for ``bedrock-agentcore``; that the memory
exists. Errors answer the modelled status with ``x-amzn-ErrorType`` and ``message``.

Tests put long-term records in with ``add_record`` and make the next calls of an operation fail
with ``fail_next`` (throttling, unavailability, any modelled error).
"""

from __future__ import annotations

import datetime
import itertools
import json
import re
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.loaders
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator

from tests.testkit.loopback import LoopbackServer, ServedOnLoopback

SERVICE = "bedrock-agentcore"
OPERATIONS = ("CreateEvent", "ListEvents", "RetrieveMemoryRecords")
_SIGV4 = re.compile(r"^AWS4-HMAC-SHA256 Credential=[^/]+/\d{8}/[^/]+/(?P<service>[^/]+)/aws4_request,")
_STATUS = {"ThrottlingException": 429, "ServiceException": 500, "ValidationException": 400, "ResourceNotFoundException": 404}
_TIMESTAMPS = ("eventTimestamp",)


@dataclass
class Event:
    actor_id: str
    session_id: str
    event_id: str
    timestamp: float
    payload: list[dict[str, Any]]
    metadata: dict[str, Any]

    def body(self, memory_id: str, include_payload: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "memoryId": memory_id,
            "actorId": self.actor_id,
            "sessionId": self.session_id,
            "eventId": self.event_id,
            "eventTimestamp": self.timestamp,
            "payload": self.payload if include_payload else [],
        }
        if self.metadata:
            body["metadata"] = self.metadata
        return body


@dataclass
class MemoryEmulator(ServedOnLoopback):
    """One memory (``memory_id``); ``url`` once started."""

    memory_id: str = "agent_memory-a1B2c3D4e5"
    page_size: int = 3  # ListEvents answers at most this many per page (tests paginate for real)
    events: list[Event] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    _records: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.model = ServiceModel(botocore.loaders.Loader().load_service_model(SERVICE, "service-2"), SERVICE)
        self._routes = [(self._route(name), name) for name in OPERATIONS]
        self._http = LoopbackServer(_handler(self), "memory-emulator")
        self.url = self._http.url

    def add_record(self, namespace: str, text: str) -> None:
        """A long-term record in ``namespace`` (as a strategy would have extracted it)."""
        with self._lock:
            self._records[namespace].append(text)

    def fail_next(self, operation: str, code: str, count: int = 1) -> None:
        """The next ``count`` calls of ``operation`` answer the modelled error ``code``."""
        with self._lock:
            self._failures[operation].extend([code] * count)

    def session_events(self, actor_id: str, session_id: str) -> list[Event]:
        with self._lock:
            return [e for e in self.events if (e.actor_id, e.session_id) == (actor_id, session_id)]

    def calls_of(self, operation: str) -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == operation]

    # -- request handling --------------------------------------------------------------------------

    def _route(self, name: str) -> re.Pattern[str]:
        uri = self.model.operation_model(name).http["requestUri"]
        return re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", uri) + "$")

    def handle(self, path: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        match = signed = None
        for pattern, name in self._routes:
            match = pattern.match(urlsplit(path).path)
            if match:
                break
        if match is None:
            return 404, _error("UnknownOperationException", f"no operation at {path}")
        signed = _SIGV4.match(headers.get("Authorization", ""))
        if signed is None or signed.group("service") != SERVICE:
            return 403, _error("AccessDeniedException", "request not SigV4-signed for bedrock-agentcore")
        params = {**json.loads(body or b"{}"), **{k: unquote(v) for k, v in match.groupdict().items()}}
        for key in _TIMESTAMPS:
            if isinstance(params.get(key), int | float):
                params[key] = datetime.datetime.fromtimestamp(params[key], datetime.UTC)
        shape = self.model.operation_model(name).input_shape
        report = ParamValidator().validate(params, shape)
        problems = [report.generate_report()] if report.has_errors() else list(_constraint_problems(params, shape, "input"))
        if problems:
            return 400, _error("ValidationException", "; ".join(problems))
        with self._lock:
            self.calls.append((name, params))
            failure = self._failures[name].pop(0) if self._failures[name] else None
        if failure:
            return _STATUS.get(failure, 500), _error(failure, "emulated failure")
        if params["memoryId"] != self.memory_id:
            return 404, _error("ResourceNotFoundException", "memory not found")
        return getattr(self, f"_{name}")(params)

    def _CreateEvent(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802 - operation name
        event = Event(
            actor_id=params["actorId"],
            session_id=params.get("sessionId", ""),
            event_id=f"0000000{next(self._ids):010d}",
            timestamp=params["eventTimestamp"].timestamp(),
            payload=params["payload"],
            metadata=params.get("metadata", {}),
        )
        with self._lock:
            self.events.append(event)
        return 201, {"event": event.body(self.memory_id, True)}

    def _ListEvents(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        found = self.session_events(params["actorId"], params["sessionId"])
        start = int(params.get("nextToken") or 0)
        size = min(params.get("maxResults") or 20, self.page_size)
        page = found[start : start + size]
        body: dict[str, Any] = {"events": [e.body(self.memory_id, bool(params.get("includePayloads"))) for e in page]}
        if start + size < len(found):
            body["nextToken"] = str(start + size)
        return 200, body

    def _RetrieveMemoryRecords(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        namespace = params.get("namespace", "")
        with self._lock:
            texts = list(self._records.get(namespace, []))
        top = params["searchCriteria"].get("topK") or 10
        summaries = [
            {
                "memoryRecordId": f"mem-{i:010d}",
                "content": {"text": text},
                "memoryStrategyId": "semantic-a1B2c3D4e5",
                "namespaces": [namespace],
                "createdAt": 1_700_000_000,
                "score": 1.0 - i / 100,
            }
            for i, text in enumerate(texts[:top])
        ]
        return 200, {"memoryRecordSummaries": summaries}


def _constraint_problems(value: Any, shape: Shape, path: str) -> Iterator[str]:
    """The model's constraints botocore's client does not check: pattern, max, enum, sizes."""
    meta = shape.metadata
    if shape.type_name == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: longer than {meta['max']}"
        if "pattern" in meta and re.fullmatch(meta["pattern"], value) is None:
            yield f"{path}: does not match {meta['pattern']}"
        if shape.enum and value not in shape.enum:
            yield f"{path}: not one of {shape.enum}"
    elif shape.type_name in ("integer", "long") and isinstance(value, int) and "max" in meta and value > meta["max"]:
        yield f"{path}: above {meta['max']}"
    elif isinstance(shape, ListShape) and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: more than {meta['max']} items"
        for i, item in enumerate(value):
            yield from _constraint_problems(item, shape.member, f"{path}[{i}]")
    elif isinstance(shape, StructureShape) and isinstance(value, dict) and not shape.is_document_type:
        for key, item in value.items():
            if key in shape.members:
                yield from _constraint_problems(item, shape.members[key], f"{path}.{key}")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: more than {meta['max']} entries"
        for key, item in value.items():
            yield from _constraint_problems(key, shape.key, f"{path} key")
            yield from _constraint_problems(item, shape.value, f"{path}.{key}")


def _error(code: str, message: str) -> dict[str, Any]:
    return {"__type": code, "message": message}


def _handler(emulator: MemoryEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = emulator.handle(self.path, self.headers, body)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if "__type" in answer:
                self.send_header("x-amzn-ErrorType", answer["__type"])
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
