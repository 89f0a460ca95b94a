"""The servers under test, started the same way, and what the benchmark reads from their processes.

Each server is ``<agent_image/.venv python> -m uvicorn <module>:app`` on a free loopback port with the
same uvicorn flags, so only the application differs: ours, the reference and the floor. A fourth,
``ours_container``, is ours started by the image's own ``CMD`` (read from agent_image/Dockerfile by
``tests.testkit.agent_image.image_command``: ``opentelemetry-instrument uvicorn agent:app ...``), because
that is what AgentCore actually starts, with the image's own ``OTEL_*`` ENV (which instrumentors load);
its exporters are ``none`` (no collector here, nothing leaves the machine), so it measures the
instrumentation's in-process cost, not the export. A fifth, ``ours_rust``, is the Rust agent
(agent_rust/): its release binary with the Dockerfile's CMD (the unoptimised suite build in smoke
runs, which only check that the benchmark works).

Processes are started with the suite's ``tests.testkit.processes.ServerProcess`` (command/cwd/env,
SIGTERM stop, logs to a file, spawn -> ready time); ``TimedServer`` polls readiness every
``POLL_SECONDS`` instead of the helper's 50 ms and reads the RSS once ready, for the cold-start figure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tests.testkit.agent_image import image_command
from tests.testkit.agents import PYTHON, RUST, RUST_DIR, cargo_build, rust_command
from tests.testkit.processes import ServerProcess, free_port

ROOT = Path(__file__).resolve().parent.parent
AGENT_IMAGE = ROOT / "agent_image"
BENCH = ROOT / "bench"
AGENT_PYTHON = AGENT_IMAGE / ".venv" / "bin" / "python"

# Readiness poll period for cold start: small next to any Python server's start-up (>= 100 ms).
POLL_SECONDS = 0.002


@dataclass(frozen=True)
class ServerSpec:
    """How to run one server: its command line for a port, working directory and extra environment."""

    name: str
    argv: Callable[[int], list[str]]
    cwd: Path
    env: dict[str, str | None]


def uvicorn_argv(module: str, app_dir: Path) -> Callable[[int], list[str]]:
    """``python -m uvicorn module:app`` with the same flags for every server; only the app differs."""

    def argv(port: int) -> list[str]:
        return [
            str(AGENT_PYTHON), "-m", "uvicorn", f"{module}:app", "--app-dir", str(app_dir),
            "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip

    return argv


def rust_argv(binary: Path) -> Callable[[int], list[str]]:
    """The Rust agent's command line (the Dockerfile's CMD) with ``binary`` in place of the suite's build."""
    return lambda port: [str(binary), *rust_command(port)[1:]]


def specs(emulator_url: str, live_sessions: int = 100, rust_binary: Path | None = None) -> list[ServerSpec]:
    """ours, ours as the image's CMD starts it, the Rust agent, reference (the seed's pattern), floor.

    The model-backed servers get the suite's agent environment (emulator endpoint, dummy
    credentials, no other AWS config; the OpenTelemetry wrapper configured as AgentCore configures
    it but exporting nothing and probing no metadata endpoint). Ours keeps at most ``MAX_SESSIONS``
    idle sessions (default 100); figure 4 holds ``live_sessions`` (its sessions plus its warm-up
    sessions), so the bound is raised just enough to keep all of them live.
    """
    env = PYTHON.environment(emulator_url)
    sessions = {"MAX_SESSIONS": str(max(100, live_sessions))}
    ours_env = {**env, **sessions}
    rust_env = {**RUST.environment(emulator_url), **sessions}
    return [
        ServerSpec("ours", uvicorn_argv("agent", AGENT_IMAGE), AGENT_IMAGE, ours_env),
        ServerSpec("ours_container", image_command, AGENT_IMAGE, ours_env),
        ServerSpec("ours_rust", rust_argv(rust_binary or RUST.build()), RUST_DIR, rust_env),
        ServerSpec("reference", uvicorn_argv("reference_app", BENCH), BENCH, env),
        ServerSpec("floor", uvicorn_argv("floor_app", BENCH), BENCH, {}),
    ]


def build_rust_release() -> Path:
    """agent_rust/'s optimised binary, as the image builds it (``--release --locked``)."""
    cargo_build("--release")
    return RUST_DIR / "target" / "release" / "agentcore-agent"


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
        super().start()
        assert self.ready_after is not None
        self.cold_start_seconds = self.ready_after
        self.rss_at_ready = rss_bytes(self.pid)
        return self


def launch(spec: ServerSpec) -> TimedServer:
    """Start one fresh server process on a free port; returns once /ping answered 200."""
    port = free_port()
    return TimedServer(spec.argv(port), port=port, cwd=spec.cwd, env=spec.env, poll_interval=POLL_SECONDS).start()
