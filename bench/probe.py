"""A minimal HTTP/1.1 keep-alive client for ``GET /ping``, to time the server rather than the client.

Why not httpx here: on this machine an httpx request costs about 1.4 ms of client-side Python,
while a bare Starlette ``/ping`` answers in about 0.25 ms, so httpx-timed pings would mostly measure
httpx and squeeze every ratio towards 1. This client writes the request bytes and reads the status
line, headers and a Content-Length body, nothing more. The load itself (the invocations) still
goes through httpx.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from types import TracebackType
from urllib.parse import urlsplit


class PingProbe:
    """One keep-alive connection; ``await probe.ping()`` returns seconds, raises unless HTTP 200."""

    def __init__(self, url: str, path: str = "/ping") -> None:
        parts = urlsplit(url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80
        self._request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: application/json\r\n\r\n".encode()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def __aenter__(self) -> PingProbe:
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(ConnectionError):
                await self._writer.wait_closed()

    async def ping(self) -> float:
        """Send one request and read the whole answer; the time from write to last byte."""
        assert self._reader is not None and self._writer is not None, "use PingProbe as 'async with'"
        started = time.perf_counter()
        self._writer.write(self._request)
        head = await self._reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = lines[0].split(" ", 2)
        headers = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
        length = next((int(value) for name, value in headers.items() if name.strip().lower() == "content-length"), None)
        if length is None:
            raise RuntimeError(f"/ping answer without Content-Length: {head!r}")
        await self._reader.readexactly(length)
        elapsed = time.perf_counter() - started
        if len(status) < 2 or status[1] != "200":
            raise RuntimeError(f"/ping answered {lines[0]!r}")
        return elapsed
