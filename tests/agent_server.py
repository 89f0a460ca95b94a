"""Start an HTTP server as a subprocess, wait until it answers, stop it with SIGTERM.

Why a subprocess: the agent must be tested exactly as its container runs it (``uvicorn agent:app``
from the image's own environment), including startup, signal handling and graceful shutdown, which
an in-process test client would skip. The helper is generic (any command, cwd, env) so the
benchmarks and the aarch64 proof can start the agent, the emulator or another server the same way.

Output (stdout and stderr together) goes to a temporary file, never a pipe: a chatty server cannot
fill a pipe buffer and hang, and a test can read the log while the server runs.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

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


# --- The agent image's server, started as its container starts it -------------------------------

SESSION = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_ID = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"

REPO_ROOT = Path(__file__).resolve().parents[1]
AGENT_DIR = REPO_ROOT / "agent_image"
AGENT_VENV = AGENT_DIR / ".venv"


def sync_agent_environment(project: Path = AGENT_DIR) -> Path:
    """Create or update the agent image's own venv from its lock (as the image does); return it.

    ``--compile-bytecode`` matches the image's UV_COMPILE_BYTECODE=1 and keeps server startup
    near one second. Runs the ``uv`` that launched the suite when there is one.
    """
    uv = os.environ.get("UV") or shutil.which("uv") or "uv"
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    completed = subprocess.run(  # noqa: S603 - fixed command
        [uv, "sync", "--frozen", "--no-dev", "--compile-bytecode", "--project", str(project)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"uv sync of {project} failed:\n{completed.stdout}{completed.stderr}")
    return project / ".venv"


def dockerfile_instructions(dockerfile: Path = AGENT_DIR / "Dockerfile") -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined and comments dropped."""
    logical, current = [], ""
    for line in dockerfile.read_text().splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    return [(entry.split(None, 1)[0].upper(), entry.split(None, 1)[1]) for entry in logical]


def container_command(dockerfile: Path = AGENT_DIR / "Dockerfile") -> list[str]:
    """The image's CMD (exec form), read from the Dockerfile so tests run what the image runs."""
    for instruction, arguments in dockerfile_instructions(dockerfile):
        if instruction == "CMD":
            command = json.loads(arguments)
            if not (isinstance(command, list) and all(isinstance(part, str) for part in command)):
                raise ValueError(f"{dockerfile}: CMD must be a JSON array of strings")
            return command
    raise ValueError(f"{dockerfile}: no CMD line")


def image_environment(dockerfile: Path = AGENT_DIR / "Dockerfile") -> dict[str, str]:
    """Every ``ENV NAME=value`` the image sets, in order (later ones win), values unquoted."""
    env: dict[str, str] = {}
    for instruction, arguments in dockerfile_instructions(dockerfile):
        if instruction == "ENV":
            for assignment in shlex.split(arguments):
                name, separator, value = assignment.partition("=")
                if not separator:
                    raise ValueError(f"{dockerfile}: write ENV as NAME=value, not {assignment!r}")
                env[name] = value
    return env


def image_otel_environment(dockerfile: Path = AGENT_DIR / "Dockerfile") -> dict[str, str]:
    """The image's own OpenTelemetry settings (its ``OTEL_*`` ENV), which its CMD runs with.

    Only these are taken: the image's other ENV (PATH, HOME, uv's build settings) describe its
    file-system layout, which a local run does not have.
    """
    return {name: value for name, value in image_environment(dockerfile).items() if name.startswith("OTEL_")}


def image_python_minor(dockerfile: Path = AGENT_DIR / "Dockerfile") -> str:
    """The image's Python minor version ("3.11"), read from its uv base image tag."""
    match = re.search(r"^FROM .*uv:python(3\.\d+)-", dockerfile.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"{dockerfile}: FROM is not a ghcr.io/astral-sh/uv:pythonX.Y-* image")
    return match[1]


def agent_command(port: int, *, host: str = "127.0.0.1", venv: Path = AGENT_VENV) -> list[str]:
    """The container's CMD with the locked environment's executables and this host/port."""
    command = container_command()
    command[0] = str(venv / "bin" / command[0])
    for flag, value in (("--host", host), ("--port", str(port))):
        command[command.index(flag) + 1] = value
    return command


def agent_environment(
    bedrock_url: str, overrides: Mapping[str, str | None] | None = None, *, venv: Path = AGENT_VENV
) -> dict[str, str | None]:
    """Env for the agent against a Bedrock emulator: dummy credentials, no other AWS config."""
    env: dict[str, str | None] = {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",  # the CMD's wrapper execs uvicorn by name
        "VIRTUAL_ENV": None,
        "MODEL_ID": "emulated-model",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "dummy-secret",
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock_url,
        # The CMD's OpenTelemetry wrapper stays on, with the image's own OTEL_* settings,
        # configured as AgentCore configures it, but exports nothing. Without
        # AGENT_OBSERVABILITY_ENABLED the AWS distro probes the EC2/ECS/EKS metadata endpoints
        # (off-machine addresses) to describe its host.
        **image_otel_environment(),
        "AGENT_OBSERVABILITY_ENABLED": "true",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }
    env.update(overrides or {})
    return env


def start_agent(
    bedrock_url: str,
    overrides: Mapping[str, str | None] | None = None,
    *,
    port: int | None = None,
    startup_timeout: float = 60.0,
) -> ServerProcess:
    """Start the agent (container CMD, locked env, loopback) and wait for ``/ping``."""
    port = port or free_port()
    server = ServerProcess(
        agent_command(port),
        port=port,
        cwd=AGENT_DIR,
        env=agent_environment(bedrock_url, overrides),
        startup_timeout=startup_timeout,
    )
    return server.start()


def run_agent_python(
    code: str,
    *args: str,
    bedrock_url: str | None = None,
    cwd: Path = AGENT_DIR,
    venv: Path = AGENT_VENV,
) -> str:
    """Run a Python snippet with the image's own interpreter and return what it printed.

    From ``agent_image/`` by default, so ``import agent`` loads the app as the container does; with
    ``bedrock_url`` the environment is the agent's (``agent_environment``), otherwise the caller's.
    A non-zero exit raises ``CalledProcessError`` carrying the snippet's stderr.
    """
    env = layered_environment(agent_environment(bedrock_url, venv=venv) if bedrock_url is not None else {})
    completed = subprocess.run(  # noqa: S603 - the image's own interpreter, the test's own snippet
        [str(venv / "bin" / "python"), "-c", code, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return completed.stdout


# --- Receiving the agent's telemetry ------------------------------------------------------------


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


class OtlpSink:
    """A loopback OTLP/HTTP (protobuf) receiver: keeps what the instrumented server exports.

    Point ``OTEL_EXPORTER_OTLP_ENDPOINT`` at ``.url``; the image's CMD then exports its spans
    here instead of to AWS, so a test can see which spans the kept instrumentation produces.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: list[tuple[str, bytes]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink._posts.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet: tests read the spans."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="otlp-sink", daemon=True)

    def spans(self) -> list[ExportedSpan]:
        """Every span received so far, decoded from the OTLP trace export requests."""
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (  # noqa: PLC0415
            ExportTraceServiceRequest,
        )

        with self._lock:
            bodies = [body for path, body in self._posts if path == "/v1/traces"]
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

    def __enter__(self) -> OtlpSink:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


# --- Reading the agent's answers --------------------------------------------------------------


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    """Parse an SSE body strictly: only ``data: <json>`` events separated by blank lines."""
    assert response.headers["content-type"].startswith("text/event-stream")
    text = response.text
    assert text.endswith("\n\n"), text[-200:]
    events = []
    for block in text[:-2].split("\n\n"):
        assert block.startswith("data: ") and "\n" not in block, block
        events.append(json.loads(block.removeprefix("data: ")))
    return events


def turn_number(completion: str) -> int:
    match = re.search(r"Turn (\d+)\.$", completion)
    assert match, completion
    return int(match[1])


def assert_clean_exit(returncode: int, output: str) -> None:
    """uvicorn finishes its graceful shutdown, then re-raises SIGTERM so the exit reflects it."""
    assert returncode in (0, -signal.SIGTERM), output[-3000:]
    assert "Finished server process" in output, output[-3000:]
