"""A local emulator of Bedrock Runtime's Converse and ConverseStream APIs, standard library only.

Why: the agent talks to Bedrock through Strands' real ``BedrockModel`` and boto3. moto does not
implement Converse/ConverseStream, and mocking boto3 would skip the very code that fails in
production (signing, retries, event-stream decoding, error parsing). botocore honours
``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, so pointing it here with dummy credentials exercises that
whole path offline.

What it speaks:
- ``POST /model/{modelId}/converse-stream``: HTTP 200, ``application/vnd.amazon.eventstream``,
  chunked; each event is a binary frame (prelude with total/headers length and CRC32, string
  headers ``:event-type``/``:content-type``/``:message-type``, JSON payload, message CRC32).
- ``POST /model/{modelId}/converse``: the same answer as one JSON document.
- Errors as Bedrock sends them: the status of the modelled exception, an ``x-amzn-ErrorType``
  header (botocore reads the error code from it) and a ``{"message": ...}`` body; in-stream
  failures as an ``exception`` frame or a connection cut mid-frame.

Scenarios are chosen per request, deterministically, by directives written ``[[name]]`` or
``[[name:value]]`` inside the text of the last user message (or inside the model id, which then
applies to every request to that model). Concurrent sessions can therefore use different
scenarios against one emulator. Directives:

- ``[[chunks:N]]``: answer in N text chunks (default: the emulator's ``chunks``).
- ``[[delay:S]]``: sleep S seconds before each chunk (default: the emulator's ``chunk_delay``).
- ``[[tool:current_time]]`` / ``[[tool:calculate:EXPR]]``: ask for that tool (it must be in the
  request's ``toolConfig``); the follow-up request carrying the tool result is answered with
  ``Tool result: <text>``.
- ``[[stop:REASON]]``: end the answer with that stop reason (e.g. ``max_tokens``) instead of
  ``end_turn``.
- ``[[throttle-first:N]]``: answer 429 ThrottlingException to the first N requests with this exact
  body (a retry resends the same body), then answer normally.
- ``[[fail:KIND]]`` with KIND one of: ``throttle`` (429), ``access-denied`` (403),
  ``invalid-model`` (400 ValidationException "The provided model identifier is invalid."),
  ``context-overflow`` (400 ValidationException "Input is too long for requested model."),
  ``not-found`` (404 ResourceNotFoundException), ``validation`` (400), ``model-timeout`` (408),
  ``unavailable`` (503), ``internal`` (500), ``stream-exception`` (some chunks, then a
  modelStreamErrorException frame), ``cut`` (some chunks, then the connection is closed
  mid-frame), ``garbled`` (some chunks, then a well-framed contentBlockDelta event whose payload
  is not JSON: the client library's own parsing fails), ``stall`` (headers sent, then silence for
  ``[[stall:S]]`` seconds, default 30), ``stall-mid`` (some chunks, then that silence).

The default answer is ``You said: <text without directives>. Turn <k>.`` where k counts the user
text messages in the conversation, so a client can see that history was carried.

Like Bedrock, it rejects (400 ValidationException) a conversation that does not start with a user
message or does not alternate roles, so history corruption after an error is caught.

Every request is recorded (``.requests``) so tests can check what the model received.

Run standalone for benchmarks: ``python -m tests.testkit.bedrock_emulator --port 9999 --chunk-delay 0.05``
(prints its URL on the first line; ``GET /ping`` answers 200 once it serves).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import signal
import socket
import struct
import threading
import time
import uuid
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote

EVENTSTREAM_CONTENT_TYPE = "application/vnd.amazon.eventstream"
_ERROR_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.bedrock/"
_DIRECTIVE = re.compile(r"\[\[([a-z-]+)(?::([^\]]*))?\]\]")
_PATH = re.compile(r"^/model/(?P<model>[^/]+)/(?P<op>converse-stream|converse)$")
_HEADER_TYPE_STRING = 7

# (HTTP status, error code, message) for each failure Bedrock answers before any event.
_HTTP_FAILURES: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
    "access-denied": (
        403,
        "AccessDeniedException",
        "You don't have access to the model with the specified model ID.",
    ),
    "invalid-model": (400, "ValidationException", "The provided model identifier is invalid."),
    "context-overflow": (400, "ValidationException", "Input is too long for requested model."),
    "not-found": (404, "ResourceNotFoundException", "Model not found."),
    "validation": (400, "ValidationException", "Malformed input request, please reformat your input and try again."),
    "model-timeout": (408, "ModelTimeoutException", "Model has timed out in processing the request."),
    "unavailable": (503, "ServiceUnavailableException", "Service unavailable. Try again later."),
    "internal": (500, "InternalServerException", "An internal server error occurred."),
}
STREAM_EXCEPTION_MESSAGE = "The model stream failed."
_ALTERNATION_MESSAGE = (
    "A conversation must alternate between user and assistant roles. "
    "Make sure the conversation alternates between user and assistant roles and try again."
)


def upstream_error_texts() -> list[str]:
    """Every error message the emulator itself sends, which an agent must never pass on to a client."""
    return [message for _, _, message in _HTTP_FAILURES.values()] + [STREAM_EXCEPTION_MESSAGE, _ALTERNATION_MESSAGE]


def encode_header(name: str, value: str) -> bytes:
    """One event-stream header of type string: name length, name, type 7, value length, value."""
    raw_name = name.encode()
    raw_value = value.encode()
    return (
        struct.pack("!B", len(raw_name))
        + raw_name
        + struct.pack("!BH", _HEADER_TYPE_STRING, len(raw_value))
        + raw_value
    )


def encode_frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event-stream message: prelude (total length, headers length, CRC32), headers, payload, CRC32."""
    raw_headers = b"".join(encode_header(name, value) for name, value in headers.items())
    total_length = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total_length, len(raw_headers))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack("!I", zlib.crc32(message))


def event_frame(event_type: str, body: dict[str, Any]) -> bytes:
    """A ConverseStream event (messageStart, contentBlockDelta, ...) as Bedrock frames it."""
    headers = {":event-type": event_type, ":content-type": "application/json", ":message-type": "event"}
    return encode_frame(headers, json.dumps(body).encode())


def exception_frame(exception_type: str, message: str) -> bytes:
    """An in-stream exception (e.g. ``modelStreamErrorException``) as Bedrock frames it."""
    headers = {
        ":exception-type": exception_type,
        ":content-type": "application/json",
        ":message-type": "exception",
    }
    return encode_frame(headers, json.dumps({"message": message}).encode())


@dataclass(frozen=True)
class RecordedRequest:
    """What the emulator received: tests assert on the conversation the model was sent."""

    model_id: str
    operation: str
    body: dict[str, Any]
    headers: dict[str, str]
    received_at: float = field(default_factory=time.monotonic)  # this process's monotonic clock

    @property
    def last_user_text(self) -> str:
        """The text of the newest user message (empty when it holds only tool results)."""
        return _last_user_text(self.body.get("messages", []))


@dataclass
class Answer:
    """What the model says back: text chunks or one tool call, plus the stop reason."""

    chunks: list[str] = field(default_factory=list)
    tool_use: dict[str, Any] | None = None
    stop: str | None = None  # a ``[[stop:REASON]]`` directive

    @property
    def stop_reason(self) -> str:
        return "tool_use" if self.tool_use else self.stop or "end_turn"

    def content(self) -> list[dict[str, Any]]:
        """The assistant message content, as the non-streaming Converse returns it."""
        if self.tool_use:
            return [{"toolUse": self.tool_use}]
        return [{"text": "".join(self.chunks)}]


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return " ".join(block["text"] for block in message.get("content", []) if "text" in block)
    return ""


def _tool_results(message: dict[str, Any]) -> list[str]:
    texts = []
    for block in message.get("content", []):
        result = block.get("toolResult")
        if result:
            texts.extend(item["text"] for item in result.get("content", []) if "text" in item)
    return texts


def _split(text: str, count: int) -> list[str]:
    """Split text into ``count`` non-empty pieces (fewer if the text is shorter)."""
    count = max(1, min(count, len(text)))
    size, extra = divmod(len(text), count)
    pieces, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < extra else 0)
        pieces.append(text[start:end])
        start = end
    return pieces


def turn_number(completion: str) -> int:
    """k in the default answer ``You said: .... Turn k.``: how many user turns the model was sent."""
    match = re.search(r"Turn (\d+)\.$", completion)
    assert match, completion
    return int(match[1])


class BedrockEmulator:
    """Threaded HTTP server emulating Bedrock Runtime; use as a context manager, read ``.url``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        chunks: int = 3,
        chunk_delay: float = 0.0,
    ) -> None:
        self.chunks = chunks
        self.chunk_delay = chunk_delay
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._seen_bodies: Counter[str] = Counter()
        self._server = _Server((host, port), _Handler)
        self._server.emulator = self
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._requests)

    def requests_containing(self, text: str) -> list[RecordedRequest]:
        """Requests whose newest user text contains ``text`` (e.g. a per-test nonce)."""
        return [request for request in self.requests if text in request.last_user_text]

    def requests_mentioning(self, text: str) -> list[RecordedRequest]:
        """Requests whose conversation contains ``text`` anywhere (e.g. every call of a tool turn)."""
        return [request for request in self.requests if text in json.dumps(request.body.get("messages", []))]

    def start(self) -> BedrockEmulator:
        self._thread = threading.Thread(target=self._server.serve_forever, name="bedrock-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> BedrockEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def record(self, request: RecordedRequest) -> int:
        """Store a request; return how many times this exact body was seen before."""
        key = hashlib.sha256(json.dumps(request.body, sort_keys=True).encode()).hexdigest()
        with self._lock:
            self._requests.append(request)
            seen = self._seen_bodies[key]
            self._seen_bodies[key] += 1
            return seen

    def answer(self, body: dict[str, Any], directives: dict[str, str]) -> Answer:
        """Decide what the model says: a tool call, a tool-result acknowledgement, or an echo."""
        messages = body.get("messages", [])
        results = _tool_results(messages[-1]) if messages else []
        chunk_count = int(directives.get("chunks", self.chunks))
        if results:
            return Answer(chunks=_split("Tool result: " + " ".join(results), chunk_count))
        tool = directives.get("tool")
        if tool is not None:
            name, _, argument = tool.partition(":")
            tool_input = {"expression": argument} if name == "calculate" else {}
            return Answer(tool_use={"toolUseId": f"tooluse_{uuid.uuid4().hex[:20]}", "name": name, "input": tool_input})
        text = _DIRECTIVE.sub("", _last_user_text(messages)).strip()
        turn = sum(1 for message in messages if message.get("role") == "user" and _last_user_text([message]))
        return Answer(chunks=_split(f"You said: {text}. Turn {turn}.", chunk_count), stop=directives.get("stop"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many slow streams connect at once in the load tests
    emulator: BedrockEmulator


class _Handler(BaseHTTPRequestHandler):
    """One connection's requests.

    Nagle's algorithm is off (TCP_NODELAY): an event stream is many small writes, and with Nagle
    each small write after the first waits for the client's delayed ACK (about 40 ms on Linux
    loopback), a stall Bedrock does not have that would add fake model time to every answer.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request stderr lines: tests read the agent's logs, not these."""

    def do_GET(self) -> None:
        """``GET /ping`` answers 200 so a harness can wait for readiness; nothing else is served."""
        if self.path == "/ping":
            self._json(200, {"status": "Healthy"})
        else:
            self._error(404, "UnknownOperationException", "Unknown operation.")

    def do_POST(self) -> None:
        emulator = self.server.emulator
        match = _PATH.match(self.path.split("?", 1)[0])
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if match is None:
            self._error(404, "UnknownOperationException", "Unknown operation.")
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._error(400, "SerializationException", "Request body is not valid JSON.")
            return
        model_id = unquote(match["model"])
        headers = {key.lower(): value for key, value in self.headers.items()}
        request = RecordedRequest(model_id, match["op"], body, headers)
        seen_before = emulator.record(request)
        directives = {name: value or "" for name, value in _DIRECTIVE.findall(model_id + " " + request.last_user_text)}

        problem = _conversation_problem(body, directives)
        if problem:
            self._error(400, "ValidationException", problem)
            return
        failure = directives.get("fail", "")
        if "throttle-first" in directives and seen_before < int(directives["throttle-first"]):
            failure = "throttle"
        if failure in _HTTP_FAILURES:
            self._error(*_HTTP_FAILURES[failure])
            return

        answer = emulator.answer(body, directives)
        delay = float(directives.get("delay", emulator.chunk_delay))
        if match["op"] == "converse":
            time.sleep(delay * max(1, len(answer.chunks)))
            self._json(200, _converse_document(answer, body))
        else:
            self._stream(answer, body, delay, failure, float(directives.get("stall", 30)))

    def _stream(self, answer: Answer, body: dict[str, Any], delay: float, failure: str, stall: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", EVENTSTREAM_CONTENT_TYPE)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.end_headers()
        try:
            if failure == "stall":
                time.sleep(stall)  # headers are out (end_headers flushes them); now say nothing
                self.close_connection = True
                return
            self._write_chunk(event_frame("messageStart", {"role": "assistant"}))
            fail_at = min(2, len(answer.chunks) - 1)  # break after a couple of chunks went out
            for index, (is_text, frame) in enumerate(_content_frames(answer)):
                if is_text and delay:
                    time.sleep(delay)
                if failure == "stall-mid" and is_text and index == fail_at:
                    time.sleep(stall)
                    self.close_connection = True
                    return
                if failure == "garbled" and is_text and index == fail_at:
                    headers = {":event-type": "contentBlockDelta", ":content-type": "application/json"}
                    self._write_chunk(encode_frame({**headers, ":message-type": "event"}, b"{not json"))
                    self._write_chunk(b"")
                    return
                if failure in ("stream-exception", "cut") and is_text and index == fail_at:
                    if failure == "cut":
                        self.wfile.write(f"{len(frame):x}\r\n".encode() + frame[: len(frame) // 2])
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                        return
                    self._write_chunk(exception_frame("modelStreamErrorException", STREAM_EXCEPTION_MESSAGE))
                    self._write_chunk(b"")
                    return
                self._write_chunk(frame)
            self._write_chunk(event_frame("messageStop", {"stopReason": answer.stop_reason}))
            self._write_chunk(event_frame("metadata", _metadata(answer, body)))
            self._write_chunk(b"")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away; nothing left to say

    def _write_chunk(self, data: bytes) -> None:
        """HTTP/1.1 chunked transfer: an empty chunk ends the body."""
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, document: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"message": message}, {"x-amzn-ErrorType": f"{code}:{_ERROR_NAMESPACE}"})


def _conversation_problem(body: dict[str, Any], directives: dict[str, str]) -> str | None:
    """The ValidationException message Bedrock would give for this conversation, if any."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "The messages field is required and must not be empty."
    roles = [message.get("role") for message in messages]
    if roles[0] != "user" or any(a == b for a, b in itertools.pairwise(roles)):
        return _ALTERNATION_MESSAGE
    tool = directives.get("tool")
    if tool is not None and not _tool_results(messages[-1]):
        tools = body.get("toolConfig", {}).get("tools", [])
        offered = {spec["toolSpec"]["name"] for spec in tools if "toolSpec" in spec}
        if tool.partition(":")[0] not in offered:
            return f"The tool {tool.partition(':')[0]} is not in toolConfig."
    return None


def _content_frames(answer: Answer) -> list[tuple[bool, bytes]]:
    """The content block events, each flagged True when it carries text (a chunk to pace)."""
    if answer.tool_use:
        tool = answer.tool_use
        return [
            (
                False,
                event_frame(
                    "contentBlockStart",
                    {
                        "contentBlockIndex": 0,
                        "start": {"toolUse": {"toolUseId": tool["toolUseId"], "name": tool["name"]}},
                    },
                ),
            ),
            (
                False,
                event_frame(
                    "contentBlockDelta",
                    {"contentBlockIndex": 0, "delta": {"toolUse": {"input": json.dumps(tool["input"])}}},
                ),
            ),
            (False, event_frame("contentBlockStop", {"contentBlockIndex": 0})),
        ]
    frames = [
        (True, event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": chunk}}))
        for chunk in answer.chunks
    ]
    return [*frames, (False, event_frame("contentBlockStop", {"contentBlockIndex": 0}))]


def _usage(answer: Answer, body: dict[str, Any]) -> dict[str, int]:
    input_tokens = len(json.dumps(body.get("messages", [])).split())
    output_tokens = max(1, len(answer.chunks))
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": input_tokens + output_tokens}


def _metadata(answer: Answer, body: dict[str, Any]) -> dict[str, Any]:
    return {"usage": _usage(answer, body), "metrics": {"latencyMs": 1}}


def _converse_document(answer: Answer, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "output": {"message": {"role": "assistant", "content": answer.content()}},
        "stopReason": answer.stop_reason,
        "usage": _usage(answer, body),
        "metrics": {"latencyMs": 1},
    }


def main() -> None:
    """Serve until SIGTERM/SIGINT; prints the URL on the first line so a caller can wait for it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunks", type=int, default=3, help="text chunks per answer")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds before each text chunk")
    args = parser.parse_args()
    emulator = BedrockEmulator(host=args.host, port=args.port, chunks=args.chunks, chunk_delay=args.chunk_delay)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with emulator:
        print(emulator.url, flush=True)
        stopped.wait()


if __name__ == "__main__":
    main()
