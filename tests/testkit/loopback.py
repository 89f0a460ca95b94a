"""The suite's loopback HTTP servers (the AWS emulators, the OTLP sink, the metadata service) start
and stop the same way: a ``ThreadingHTTPServer`` on a free 127.0.0.1 port, served from a daemon
thread while a ``with`` block runs. One place for that, so each server holds only its behaviour."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackServer:
    """``handler`` served on 127.0.0.1 at ``url`` between ``start`` and ``stop``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class ServedOnLoopback:
    """Mixin: ``with`` serves ``self._http`` (a ``LoopbackServer``) for the block's duration."""

    _http: LoopbackServer

    def __enter__(self) -> Self:
        self._http.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._http.stop()
