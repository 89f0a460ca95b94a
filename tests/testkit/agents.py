"""The agent implementations the shared API suite runs against, declared in one place.

Why: the agent's HTTP contract (``/ping``, ``/invocations``, error bodies, limits, session header,
start-up validation, logs, graceful shutdown) is a specification that more than one implementation
must meet: the Python container in agent_image/ and its Rust twin in agent_rust/. The API, lifecycle and
observability tests take "an agent" from the ``agent_implementation`` fixture (tests/conftest.py),
which is parametrised over ``IMPLEMENTATIONS``; adding an implementation is one entry here: how to
build it, the command that serves it on a loopback port, and its environment against the suite's
Bedrock emulator. ``pytest --agent NAME`` runs the shared tests against one of them only.

Every implementation gets the same AWS set-up (``emulated_aws_environment``): dummy credentials,
no shared config, no metadata service, and the standard ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``
pointing the real AWS SDK at the emulator; telemetry is configured by the standard ``OTEL_*``
variables and exports nothing unless a test says where.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.testkit.agent_image import (
    AGENT_DIR,
    AGENT_VENV,
    container_command,
    image_command,
    image_otel_environment,
    sync_agent_environment,
)
from tests.testkit.arm64_env import ensure_debian_command
from tests.testkit.processes import ServerProcess, StopResult, free_port

Environment = dict[str, str | None]


@dataclass(frozen=True)
class AgentImplementation:
    """How to build, start and judge the shutdown of one implementation of the agent's API."""

    name: str
    cwd: Path
    build: Callable[[], object]
    """Make the implementation runnable (sync its environment, compile it); idempotent."""
    command: Callable[[int], list[str]]
    """The command line that serves the API on 127.0.0.1 and the given port."""
    environment: Callable[[str], Environment]
    """Its variables against a Bedrock emulator at the given URL (``None`` unsets a variable)."""
    shutdown_complete_log: str
    """Text its log holds once a graceful shutdown ran to the end."""
    agent_span_name: str
    """The name of its span for one agent turn (GenAI ``invoke_agent <agent name>``)."""

    def server(
        self,
        bedrock_url: str,
        overrides: Mapping[str, str | None] | None = None,
        *,
        port: int | None = None,
        startup_timeout: float = 60.0,
    ) -> ServerProcess:
        """A not-yet-started server of this implementation (``overrides`` on top of its environment)."""
        port = port or free_port()
        return ServerProcess(
            self.command(port),
            port=port,
            cwd=self.cwd,
            env={**self.environment(bedrock_url), **(overrides or {})},
            startup_timeout=startup_timeout,
        )

    def start(
        self, bedrock_url: str, overrides: Mapping[str, str | None] | None = None, *, startup_timeout: float = 60.0
    ) -> ServerProcess:
        """Start a server and wait for ``/ping``."""
        return self.server(bedrock_url, overrides, startup_timeout=startup_timeout).start()

    def assert_clean_exit(self, result: StopResult) -> None:
        """It finished its graceful shutdown; exit 0, or re-raised SIGTERM so the exit reflects it."""
        assert result.returncode in (0, -signal.SIGTERM), result.output[-3000:]
        assert self.shutdown_complete_log in result.output, result.output[-3000:]


def emulated_aws_environment(bedrock_url: str) -> Environment:
    """What every implementation runs with: the emulator as Bedrock, dummy keys, no other AWS config."""
    return {
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
        "OTEL_TRACES_EXPORTER": "none",
        "OTEL_METRICS_EXPORTER": "none",
        "OTEL_LOGS_EXPORTER": "none",
    }


def python_environment(bedrock_url: str, *, venv: Path = AGENT_VENV) -> Environment:
    """The Python container's variables: its locked venv first on PATH and the image's ``OTEL_*``.

    The CMD's OpenTelemetry wrapper stays on, configured as AgentCore configures it, but exports
    nothing. Without AGENT_OBSERVABILITY_ENABLED the AWS distro probes the EC2/ECS/EKS metadata
    endpoints (off-machine addresses) to describe its host.
    """
    return {
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",  # the CMD's wrapper execs uvicorn by name
        "VIRTUAL_ENV": None,
        **image_otel_environment(),
        "AGENT_OBSERVABILITY_ENABLED": "true",
        **emulated_aws_environment(bedrock_url),
    }


RUST_DIR = Path(__file__).resolve().parents[2] / "agent_rust"
RUST_BINARY = RUST_DIR / "target" / "debug" / "agentcore-agent"


def cargo_build(*options: str) -> None:
    """``cargo build --locked`` in agent_rust/ (its committed Cargo.lock; Cargo skips unchanged work).

    Cargo is rustup's where the machine has it, else Debian's ``cargo-web`` (Rust 1.96; the AWS
    SDK needs 1.94 or newer), installed when missing.
    """
    cargo = ensure_debian_command("cargo", ["cargo-web", "rustc-web"])
    subprocess.run([str(cargo), "build", "--locked", "--quiet", *options], cwd=RUST_DIR, check=True)  # noqa: S603 - our own build


def build_rust_agent() -> Path:
    """The unoptimised build the suite serves: it judges behaviour, not speed."""
    cargo_build()
    return RUST_BINARY


def rust_command(port: int) -> list[str]:
    """The image's ENTRYPOINT binary (built here for this machine) with its CMD, host and port changed."""
    arguments = container_command(RUST_DIR / "Dockerfile")
    flags = dict(zip(arguments[::2], arguments[1::2], strict=True))
    if set(flags) != {"--host", "--port"}:
        raise ValueError(f"agent_rust/Dockerfile: CMD must be --host H --port P; got {arguments}")
    return [str(RUST_BINARY), "--host", "127.0.0.1", "--port", str(port)]


RUST = AgentImplementation(
    name="rust",
    cwd=RUST_DIR,
    build=build_rust_agent,
    command=lambda port: rust_command(port),
    environment=emulated_aws_environment,
    shutdown_complete_log='"agent stopped"',
    agent_span_name="invoke_agent agentcore-agent",  # not Strands: it names itself
)

PYTHON = AgentImplementation(
    name="python",
    cwd=AGENT_DIR,
    build=sync_agent_environment,
    command=image_command,  # the Dockerfile's CMD, host and port changed
    environment=python_environment,
    shutdown_complete_log="Finished server process",  # uvicorn's last line
    agent_span_name="invoke_agent Strands Agents",  # Strands' default agent name
)

IMPLEMENTATIONS: dict[str, AgentImplementation] = {implementation.name: implementation for implementation in (PYTHON, RUST)}
