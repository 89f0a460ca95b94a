"""The servers under test, started the same way, and what the benchmark reads from their processes.

Each server is ``<agent_image/.venv python> -m uvicorn <module>:app`` on a free loopback port with the
same uvicorn flags, so only the application differs: ours, the reference and the floor. A fourth,
``ours_container``, is ours under the wrapper the image's ``CMD`` puts in front of uvicorn
(``opentelemetry-instrument``, read from agent_image/Dockerfile), because that is what AgentCore
actually starts; its telemetry exporters are set to ``none`` (no collector here, nothing leaves the
machine), so it measures the instrumentation's in-process cost, not the export. Processes are started with the suite's
``tests.agent_server.ServerProcess`` (command/cwd/env, SIGTERM stop, logs to a file); ``TimedServer``
adapts it for cold-start timing, which needs a finer readiness poll than the helper's 50 ms.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.agent_server import ServerProcess, free_port

ROOT = Path(__file__).resolve().parent.parent
AGENT_IMAGE = ROOT / "agent_image"
BENCH = ROOT / "bench"
AGENT_PYTHON = AGENT_IMAGE / ".venv" / "bin" / "python"
MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
REGION = "us-east-1"

# Readiness poll period for cold start: small next to any Python server's start-up (>= 100 ms).
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class ServerSpec:
    """How to run one server: the ASGI module in ``app_dir`` and the extra environment it needs."""

    name: str
    module: str
    app_dir: Path
    env: dict[str, str | None]
    wrapper: tuple[str, ...] = ()

    def command(self, port: int) -> list[str]:
        """The uvicorn command line, identical for every server but the module, directory and wrapper."""
        return [
            *self.wrapper,
            str(AGENT_PYTHON),
            "-m",
            "uvicorn",
            f"{self.module}:app",
            "--app-dir",
            str(self.app_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
        ]


def model_env(emulator_url: str) -> dict[str, str | None]:
    """The environment that points Strands' BedrockModel at the emulator with dummy credentials."""
    return {
        "MODEL_ID": MODEL_ID,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": emulator_url,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_SESSION_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_EC2_METADATA_DISABLED": "true",
        # Nothing may leave the machine: no OpenTelemetry export, no SDK telemetry.
        "OTEL_SDK_DISABLED": "true",
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }


def container_wrapper(dockerfile: Path = AGENT_IMAGE / "Dockerfile") -> tuple[str, ...]:
    """The programs the image's exec-form ``CMD`` runs uvicorn under, as paths in agent_image/.venv."""
    commands = [line for line in dockerfile.read_text().splitlines() if line.startswith("CMD ")]
    if not commands:
        raise ValueError(f"{dockerfile}: no exec-form CMD line")
    argv = json.loads(commands[-1][4:])
    if "uvicorn" not in argv:
        raise ValueError(f"{dockerfile}: CMD {argv} does not run uvicorn")
    wrapper = argv[: argv.index("uvicorn")]
    return tuple(str(AGENT_PYTHON.parent / word) if (AGENT_PYTHON.parent / word).exists() else word for word in wrapper)


def specs(emulator_url: str, sessions: int = 100) -> list[ServerSpec]:
    """ours, ours under the container's CMD wrapper, reference (the seed's pattern), floor.

    Ours keeps at most ``MAX_SESSIONS`` idle sessions (default 100); figure 4 holds ``sessions``
    plus one warm-up session, so the bound is raised just enough to keep all of them live.
    """
    env = model_env(emulator_url)
    ours_env = {**env, "MAX_SESSIONS": str(max(100, sessions + 1))}
    # As the image sets it; the SDK must be on for the instrumentation to do its work.
    container_env = {**ours_env, "OTEL_SDK_DISABLED": None, "PYTHONUNBUFFERED": "1"}
    return [
        ServerSpec("ours", "agent", AGENT_IMAGE, ours_env),
        ServerSpec("ours_container", "agent", AGENT_IMAGE, container_env, container_wrapper()),
        ServerSpec("reference", "reference_app", BENCH, env),
        ServerSpec("floor", "floor_app", BENCH, {}),
    ]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process (Linux /proc; VmRSS is in kB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


class TimedServer(ServerProcess):
    """A ``ServerProcess`` whose start records spawn -> first 200 from /ping, and RSS at that moment."""

    cold_start_seconds: float
    rss_at_ready: int

    def start(self) -> TimedServer:
        environment = dict(os.environ)
        for name, value in self.env.items():
            if value is None:
                environment.pop(name, None)
            else:
                environment[name] = value
        spawned = time.perf_counter()
        self._process = subprocess.Popen(  # noqa: S603 - the command is built by specs() above
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
                    ready = client.get(self.url + self.ready_path).status_code == 200
                except httpx.TransportError:
                    ready = False
                if ready:
                    self.cold_start_seconds = time.perf_counter() - spawned
                    self.rss_at_ready = rss_bytes(self._process.pid)
                    return self
                time.sleep(POLL_SECONDS)
        self.stop(timeout=5)
        raise TimeoutError(f"{self.command} not ready within {self.startup_timeout}s:\n{self.output()}")


def launch(spec: ServerSpec) -> TimedServer:
    """Start one fresh server process on a free port; returns once /ping answered 200."""
    port = free_port()
    return TimedServer(spec.command(port), port=port, cwd=spec.app_dir, env=spec.env).start()
