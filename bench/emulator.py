"""The Bedrock emulator (tests/testkit/bedrock_emulator.py) as a separate process, adapted for load.

Why an adapter: the suite's emulator records every request body so tests can assert on them. A
benchmark sends thousands of turns, and the reference's single global agent resends its whole,
ever-growing history on each one, so the record would grow quadratically inside the emulator. This
subclass drops the record (the ``[[throttle-first]]`` directive, which needs it, is not used here).
Running it in its own process keeps its threads off the load generator's GIL.

``python -m bench.emulator --port N --chunk-delay S`` prints its URL on the first line.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from types import TracebackType

from tests.testkit.bedrock_emulator import BedrockEmulator, RecordedRequest

from .servers import ROOT


class LeanEmulator(BedrockEmulator):
    """The suite's emulator without its request log."""

    def record(self, request: RecordedRequest) -> int:
        return 0


class EmulatorProcess:
    """Run ``python -m bench.emulator`` as a child process; ``.url`` once it listens."""

    def __init__(self, chunk_delay: float = 0.0) -> None:
        self.chunk_delay = chunk_delay
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def __enter__(self) -> EmulatorProcess:
        self._process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "bench.emulator", "--chunk-delay", str(self.chunk_delay)],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self._process.kill()
            raise RuntimeError(f"emulator did not start (first line: {self.url!r})")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._process is not None
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def main() -> None:
    """Serve until SIGTERM/SIGINT; print the URL first so the parent can wait for it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--chunk-delay", type=float, default=0.0)
    args = parser.parse_args()
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    with LeanEmulator(port=args.port, chunk_delay=args.chunk_delay) as emulator:
        print(emulator.url, flush=True)
        stopped.wait()


if __name__ == "__main__":
    main()
