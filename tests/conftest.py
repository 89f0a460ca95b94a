"""Shared fixtures: the agent image's locked environment and a Bedrock Runtime emulator.

CI runs only ``uv run --frozen pytest`` from the repository root on a fresh clone, so the agent
image's separate environment (agent_image/.venv) is created here, once per session, from its
own lock, exactly as the image installs it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agent_server import sync_agent_environment
from tests.bedrock_emulator import BedrockEmulator


@pytest.fixture(scope="session")
def agent_venv() -> Path:
    """agent_image/.venv, synced from agent_image/uv.lock (no dev dependencies)."""
    return sync_agent_environment()


@pytest.fixture(scope="session")
def bedrock() -> Iterator[BedrockEmulator]:
    """One emulator for the whole run; tests pick scenarios per request, so they can share it."""
    with BedrockEmulator() as emulator:
        yield emulator
