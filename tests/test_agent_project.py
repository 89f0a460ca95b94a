"""agent_image's own uv project: the lock is current and resolves for linux/aarch64 with the
image's Python, using wheels only (the image has no compiler).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from tests.testkit.agent_image import AGENT_DIR, image_python_minor

UV = os.environ.get("UV") or shutil.which("uv") or "uv"
ENV = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)")


def uv(*args: str, stdin: str | None = None) -> str:
    completed = subprocess.run(  # noqa: S603 - fixed command
        [UV, *args], cwd=AGENT_DIR, env=ENV, input=stdin, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return completed.stdout


def pins(requirements: str) -> dict[str, str]:
    found = {}
    for line in requirements.splitlines():
        match = PIN.match(line.strip())
        if match:
            found[match[1].lower().replace("_", "-")] = match[2]
    return found


def test_lock_matches_pyproject() -> None:
    uv("lock", "--check")


def test_every_locked_dependency_resolves_for_linux_aarch64_from_wheels() -> None:
    exported = uv("export", "--frozen", "--no-dev", "--no-emit-project", "--no-hashes")  # pins with markers
    locked = pins(exported)
    compiled = pins(
        uv(
            "pip",
            "compile",
            "-",
            "--python-platform",
            "aarch64-unknown-linux-gnu",
            "--python-version",
            image_python_minor(),
            "--only-binary",
            ":all:",
            "--no-header",
            "--quiet",
            stdin=exported,
        )
    )
    # Markers are evaluated for the target (pywin32 drops out); the rest keep the lock's versions.
    assert set(compiled) <= set(locked)
    assert all(locked[name] == version for name, version in compiled.items())
    for direct in ("strands-agents", "bedrock-agentcore", "starlette", "uvicorn", "aws-opentelemetry-distro"):
        assert direct in compiled
    assert "pydantic-core" in compiled  # a native extension: an aarch64 wheel had to exist
