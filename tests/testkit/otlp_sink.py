"""A loopback OTLP/HTTP (protobuf) receiver that keeps and decodes the spans a server exports.

Why a real receiver: the agent's telemetry is configured by the standard ``OTEL_*`` variables, so
pointing ``OTEL_EXPORTER_OTLP_ENDPOINT`` here shows which spans a real run produces, with their
parentage and attributes, without any collector or AWS endpoint.
"""

from __future__ import annotations

import gzip
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.testkit.loopback import LoopbackServer, ServedOnLoopback


@dataclass(frozen=True)
class ExportedSpan:
    """One span as the server exported it over OTLP (ids as hex, attributes as plain values)."""

    scope: str
    name: str
    kind: int  # OTLP SpanKind: 1 internal, 2 server, 3 client
    trace_id: str
    span_id: str
    parent_span_id: str
    status_code: int  # OTLP status: 0 unset, 1 ok, 2 error
    attributes: dict[str, Any]


class OtlpSink(ServedOnLoopback):
    """A loopback OTLP/HTTP (protobuf) receiver: keeps what the instrumented server exports.

    Point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at ``.url``; the image's CMD then exports its spans
    here instead of to AWS, so a test can see which spans the kept instrumentation produces.
    """

    def __init__(self, status: int = 200) -> None:
        """``status``: what every export is answered (e.g. 403, as X-Ray refuses a bad signature)."""
        self._lock = threading.Lock()
        self._posts: list[tuple[str, dict[str, str], bytes]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink._posts.append((self.path, {key.lower(): value for key, value in self.headers.items()}, body))
                self.send_response(status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read the spans."""

        self._http = LoopbackServer(Handler, "otlp-sink")
        self.url = self._http.url

    def request_headers(self, path: str = "/v1/traces") -> list[dict[str, str]]:
        """The headers (lower-cased names) of every export to ``path``, e.g. to check a SigV4 signature."""
        with self._lock:
            return [headers for posted, headers, _ in self._posts if posted == path]

    def request_bodies(self, path: str = "/v1/traces") -> list[bytes]:
        """The body of every export to ``path``, decompressed if the exporter gzipped it.

        Why raw bytes: a check that something (a prompt, say) was never exported must look at
        everything sent, not only at the fields the span decoding knows about.
        """
        with self._lock:
            posts = [(headers, body) for posted, headers, body in self._posts if posted == path]
        return [gzip.decompress(body) if headers.get("content-encoding") == "gzip" else body for headers, body in posts]

    def spans(self) -> list[ExportedSpan]:
        """Every span received so far, decoded from the OTLP trace export requests."""
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: PLC0415
            ExportTraceServiceRequest,
        )

        with self._lock:
            bodies = [body for path, _, body in self._posts if path == "/v1/traces"]
        spans = []
        for body in bodies:
            for resource_spans in ExportTraceServiceRequest.FromString(body).resource_spans:
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        attributes = {
                            item.key: getattr(item.value, item.value.WhichOneof("value") or "string_value")
                            for item in span.attributes
                        }
                        spans.append(
                            ExportedSpan(
                                scope=scope_spans.scope.name,
                                name=span.name,
                                kind=span.kind,
                                trace_id=span.trace_id.hex(),
                                span_id=span.span_id.hex(),
                                parent_span_id=span.parent_span_id.hex(),
                                status_code=span.status.code,
                                attributes=attributes,
                            )
                        )
        return spans
