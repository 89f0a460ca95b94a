"""JSON log lines (one object per line) and the per-request access log.

Why JSON: AgentCore ships stdout to CloudWatch Logs, where one object per line can be queried
with Logs Insights. Why our own access log: uvicorn's says nothing of AgentCore's request and
session ids. Prompts and model output are never logged at INFO: the access line carries ids,
status, duration and error code only.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACCESS_LOGGER = "agent.access"
_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON object; ``extra=`` fields become top-level keys."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(level: str) -> None:
    """Send every log record (ours, Strands', uvicorn's) to stdout as JSON at ``level``."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.setLevel(level)  # uvicorn sets its own loggers to INFO; the handler has the last word
    root = logging.getLogger()
    # Replace console handlers (e.g. the plain-text one OpenTelemetry's logging instrumentation
    # adds) so stdout carries JSON only; keep others, such as an OpenTelemetry log exporter's.
    for existing in list(root.handlers):
        if type(existing) is logging.StreamHandler:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn configured its own plain-text handlers before importing the app: route them to ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # replaced by AccessLog below


class AccessLog:
    """ASGI middleware: one JSON line per HTTP request, after the response ends.

    Request and session ids come from AgentCore's headers; the session id a handler assigned
    (no header sent) and the error code are read from the response headers and ``scope["state"]``.
    Successful requests to ``quiet_paths`` (the platform's health checks, every few seconds per
    session) are logged at DEBUG, so they do not fill CloudWatch at INFO; their failures stay INFO.
    """

    def __init__(
        self, app: ASGIApp, *, request_id_header: str, session_id_header: str, quiet_paths: frozenset[str] = frozenset()
    ) -> None:
        self.app = app
        self._quiet_paths = quiet_paths
        self._request_id_header = request_id_header.lower().encode()
        self._session_id_header = session_id_header.lower().encode()
        self._logger = logging.getLogger(ACCESS_LOGGER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        headers = dict(scope["headers"])
        request_id = headers.get(self._request_id_header, b"").decode("latin-1") or None
        session_id = headers.get(self._session_id_header, b"").decode("latin-1") or None
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status, session_id
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == self._session_id_header:
                        session_id = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            state = scope.get("state", {})
            quiet = status < 400 and scope["path"] in self._quiet_paths
            self._logger.log(
                logging.DEBUG if quiet else logging.INFO,
                "request",
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                    "request_id": request_id,
                    "session_id": session_id,
                    "error_code": state.get("error_code"),
                    "stream": state.get("stream", False),
                },
            )
