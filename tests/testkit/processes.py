"""Start an HTTP server as a subprocess, wait until it answers, stop it with SIGTERM.

Why a subprocess: the agent must be tested exactly as its container runs it (``uvicorn agent:app``
from the image's own environment), including startup, signal handling and graceful shutdown, which
an in-process test client would skip. The helper is generic (any command, cwd, env) so the
benchmarks and the aarch64 proof can start any agent implementation, the emulator or another server
the same way.

Output (stdout and stderr together) goes to a temporary file, never a pipe: a chatty server cannot
fill a pipe buffer and hang, and a test can read the log while the server runs.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def layered_environment(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with ``overrides`` on top; a ``None`` value removes that variable."""
    environment = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


@dataclass(frozen=True)
class StopResult:
    """How the server ended: its exit code and everything it printed."""

    returncode: int
    output: str


class ServerProcess:
    """A server subprocess; ``start()`` returns once ``GET {url}{ready_path}`` answers 200.

    ``env`` is layered over the current environment; a ``None`` value removes that variable (e.g.
    to run without AWS credentials).
    """

    def __init__(
        self,
        command: Sequence[str],
        *,
        port: int,
        host: str = "127.0.0.1",
        cwd: str | Path | None = None,
        env: Mapping[str, str | None] | None = None,
        ready_path: str = "/ping",
        startup_timeout: float = 60.0,
        poll_interval: float = 0.05,
    ) -> None:
        self.command = list(command)
        self.url = f"http://{host}:{port}"
        self.cwd = cwd
        self.env = dict(env or {})
        self.ready_path = ready_path
        self.startup_timeout = startup_timeout
        self.poll_interval = poll_interval
        self.ready_after: float | None = None
        """Seconds from spawn to the first 200 on ``ready_path`` (set by ``start``)."""
        self._log = tempfile.NamedTemporaryFile(prefix="server-", suffix=".log", delete=False)  # noqa: SIM115
        self._process: subprocess.Popen[bytes] | None = None
        self._result: StopResult | None = None

    @property
    def pid(self) -> int:
        return self._require_process().pid

    def start(self) -> ServerProcess:
        """Launch the command and wait for readiness; raise with the server's output if it dies first."""
        environment = layered_environment(self.env)
        spawned = time.perf_counter()
        self._process = subprocess.Popen(  # noqa: S603 - the command comes from the caller itself
            self.command,
            cwd=self.cwd,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._process.poll() is not None:
                    raise RuntimeError(
                        f"{self.command} exited with {self._process.returncode} before it was ready:\n{self.output()}"
                    )
                try:
                    if client.get(self.url + self.ready_path).status_code == 200:
                        self.ready_after = time.perf_counter() - spawned
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(self.poll_interval)
        self.stop(timeout=5)
        raise TimeoutError(f"server not ready within {self.startup_timeout}s:\n{self.output()}")

    def output(self) -> str:
        """Everything the server printed so far."""
        return Path(self._log.name).read_text(errors="replace")

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def signal(self, signum: int = signal.SIGTERM) -> None:
        """Send a signal without waiting (e.g. SIGTERM while a request is in flight)."""
        self._require_process().send_signal(signum)

    def wait(self, timeout: float = 30.0) -> StopResult:
        """Wait for the process to exit on its own (e.g. after ``signal``); SIGKILL after ``timeout``."""
        process = self._require_process()
        if self._result is None:
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            self._log.close()
            self._result = StopResult(process.returncode, self.output())
        return self._result

    def stop(self, timeout: float = 30.0) -> StopResult:
        """SIGTERM, then wait up to ``timeout`` (SIGKILL after that); return exit code and output."""
        if self.running():
            self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def cleanup(self) -> None:
        """Delete the log file (call after ``stop`` once the output is no longer needed)."""
        Path(self._log.name).unlink(missing_ok=True)

    def _require_process(self) -> subprocess.Popen[bytes]:
        if self._process is None:
            raise RuntimeError("server not started")
        return self._process

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self.cleanup()
