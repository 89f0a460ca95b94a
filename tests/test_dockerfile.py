"""agent_image/Dockerfile: lint-clean, pinned, locked, small, non-root, and in step with the
image project's Python version. No Docker engine here, so the file itself is checked.
"""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.testkit.agent_image import AGENT_DIR, container_command, dockerfile_instructions, hadolint, image_python_minor

DOCKERFILE = AGENT_DIR / "Dockerfile"


def only(name: str) -> str:
    (value,) = [arguments for instruction, arguments in dockerfile_instructions() if instruction == name]
    return value


def test_hadolint_passes() -> None:
    completed = hadolint("agent_image/Dockerfile")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_base_image_is_uv_python_slim_bookworm_pinned_by_digest_for_arm64() -> None:
    base = only("FROM")
    assert re.fullmatch(
        r"--platform=linux/arm64 ghcr\.io/astral-sh/uv:python3\.\d+-bookworm-slim@sha256:[0-9a-f]{64}", base
    ), base


def test_python_minor_matches_the_image_project_and_its_lock() -> None:
    minor = image_python_minor()
    project = tomllib.loads((AGENT_DIR / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] in (f"=={minor}.*", f">={minor},<3.{int(minor.split('.')[1]) + 1}")
    lock = tomllib.loads((AGENT_DIR / "uv.lock").read_text())
    assert lock["requires-python"] == project["requires-python"]


def test_dependencies_come_from_the_lock_with_bytecode_and_no_dev_group() -> None:
    runs = [arguments for instruction, arguments in dockerfile_instructions() if instruction == "RUN"]
    sync = [run for run in runs if "uv sync" in run]
    assert len(sync) == 1
    assert "--frozen" in sync[0] and "--no-dev" in sync[0]
    assert "source=uv.lock" in sync[0] and "source=pyproject.toml" in sync[0]
    env = " ".join(arguments for instruction, arguments in dockerfile_instructions() if instruction == "ENV")
    assert "UV_COMPILE_BYTECODE=1" in env
    assert "UV_PYTHON_DOWNLOADS=never" in env


def test_runs_as_a_numeric_non_root_user_and_exposes_8080() -> None:
    user = only("USER")
    assert re.fullmatch(r"\d+(:\d+)?", user), "AgentCore needs a numeric USER"
    assert all(int(part) != 0 for part in user.split(":"))
    assert only("EXPOSE") == "8080"
    names = [instruction for instruction, _ in dockerfile_instructions()]
    assert names.index("USER") > max(index for index, name in enumerate(names) if name in ("RUN", "COPY"))


def test_command_serves_agent_app_on_8080_under_opentelemetry_with_graceful_shutdown() -> None:
    command = container_command()
    assert command[:3] == ["opentelemetry-instrument", "uvicorn", "agent:app"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert command[command.index("--port") + 1] == "8080"
    assert int(command[command.index("--timeout-graceful-shutdown") + 1]) > 0


def test_few_layers() -> None:
    layers = [instruction for instruction, _ in dockerfile_instructions() if instruction in ("RUN", "COPY", "ADD")]
    assert len(layers) <= 5  # the base image brings its own; AgentCore fails images over 53


@pytest.mark.parametrize("needed", ["pyproject.toml", "uv.lock", "agent.py", "agentcore_agent"])
def test_build_context_holds_what_the_image_uses(needed: str) -> None:
    assert (AGENT_DIR / needed).exists()
    lines = (AGENT_DIR / ".dockerignore").read_text().splitlines()
    allowed = [line[1:].rstrip("/") for line in lines if line.startswith("!")]
    assert needed in allowed


def test_dockerignore_excludes_everything_else() -> None:
    lines = [line.strip() for line in (AGENT_DIR / ".dockerignore").read_text().splitlines()]
    patterns = [line for line in lines if line and not line.startswith("#")]
    assert patterns[0] == "*"  # deny by default: no .venv, caches or stray secrets in the context
    assert "**/__pycache__" in patterns
    copied = {arguments.split()[0] for instruction, arguments in dockerfile_instructions() if instruction == "COPY"}
    assert copied == {"agent.py", "agentcore_agent"}
