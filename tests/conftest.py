"""Shared fixtures: the agent implementation under test, its build, and a Bedrock Runtime emulator.

CI runs only ``uv run --frozen pytest`` from the repository root on a fresh clone, so each agent
implementation is built here, once per session, the way its image builds it (for Python: the
image's separate environment, agent_image/.venv, synced from its own lock).

The shared agent API tests ask for ``agent_implementation`` and run once per entry of
``tests.testkit.agents.IMPLEMENTATIONS`` (``--agent NAME`` picks one). Tests of one
implementation's internals carry the ``python_agent`` marker instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.testkit.agent_image import sync_agent_environment
from tests.testkit.agents import IMPLEMENTATIONS, PYTHON, AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--agent",
        action="append",
        choices=sorted(IMPLEMENTATIONS),
        help="run the shared agent API tests against this implementation only (repeatable; default: all)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "python_agent: tests the Python implementation's own internals (its imports, garbage collector, "
        "OpenTelemetry distro, in-process extension API), not the API every implementation shares",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "agent_implementation" in metafunc.fixturenames:
        names = metafunc.config.getoption("agent") or list(IMPLEMENTATIONS)
        if metafunc.definition.get_closest_marker("python_agent"):
            names = [name for name in names if name == PYTHON.name]  # a Python detail, via shared fixtures
        metafunc.parametrize("agent_implementation", names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def agent_implementation(request: pytest.FixtureRequest) -> AgentImplementation:
    """The implementation this test runs against, built (its build is idempotent and cached)."""
    implementation = IMPLEMENTATIONS[request.param]
    implementation.build()
    return implementation


@pytest.fixture(scope="session")
def agent_venv() -> Path:
    """agent_image/.venv, synced from agent_image/uv.lock (no dev dependencies)."""
    return sync_agent_environment()


@pytest.fixture(scope="session")
def bedrock() -> Iterator[BedrockEmulator]:
    """One emulator for the whole run; tests pick scenarios per request, so they can share it."""
    with BedrockEmulator() as emulator:
        yield emulator
