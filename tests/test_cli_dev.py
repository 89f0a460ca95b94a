"""`agentcore dev`: the agent served from its own locked environment with the component's
environment, answering `invoke --local`, restarted when its code changes, stopped by Ctrl-C.

The agent project is copied to a temporary directory (its `.venv` linked to the suite's synced
one) so the test can edit a source file without touching the shared tree. Bedrock is the suite's
emulator, reached through AWS_ENDPOINT_URL_BEDROCK_RUNTIME as a user's real Bedrock would be.
"""

from __future__ import annotations

import json
import shutil
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.testkit.agent_image import AGENT_DIR, REPO_ROOT
from tests.testkit.agents import RUST
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.cli_harness import AGENTCORE, FakePulumi, cli_environment, run_cli
from tests.testkit.processes import ServerProcess, free_port

STACK_MODEL = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture
def project(tmp_path: Path, agent_venv: Path) -> Path:
    """A copy of the agent project that the test may edit."""
    copy = tmp_path / "agent"
    copy.mkdir()
    for name in ("agent.py", "pyproject.toml", "uv.lock", "Dockerfile"):
        shutil.copy2(AGENT_DIR / name, copy / name)
    shutil.copytree(AGENT_DIR / "agentcore_agent", copy / "agentcore_agent", ignore=shutil.ignore_patterns("__pycache__"))
    (copy / ".venv").symlink_to(agent_venv)
    return copy


@pytest.fixture
def env(tmp_path: Path, bedrock: BedrockEmulator) -> dict[str, str]:
    return cli_environment(tmp_path, extra={"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock.url})


def requests_for(bedrock: BedrockEmulator, text: str) -> list[dict]:
    return [r for r in bedrock.requests if text in r.last_user_text]


def system_prompt(bedrock: BedrockEmulator, text: str) -> str:
    [request] = requests_for(bedrock, text)
    return request.body["system"][0]["text"]


def dev_stack(tmp_path: Path, env: dict[str, str], config: dict[str, dict]) -> tuple[FakePulumi, dict[str, str]]:
    """A `dev` stack (the stack model in us-east-1, plus ``config``) behind a fake Pulumi CLI on PATH."""
    entries = {
        "agentcore:modelId": {"value": STACK_MODEL, "secret": False},
        "aws:region": {"value": "us-east-1", "secret": False},
        **config,
    }
    pulumi = FakePulumi(tmp_path / "bin", outputs={"dev": {}}, config={"dev": entries}).install()
    return pulumi, {**env, "PATH": f"{pulumi.directory}:{env['PATH']}"}


def test_dev_serves_the_agent_and_restarts_on_edits(project: Path, env: dict[str, str], bedrock: BedrockEmulator) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [str(AGENTCORE), "dev", "--agent-dir", str(project), "--port", str(port), "--model-id", "emulated-model", "--region", "us-east-1"]
    with ServerProcess(command, port=port, env=env) as server:
        first = run_cli("invoke", "dev one", "--local", "--url", url, env=env)
        assert first.returncode == 0, first.stderr + server.output()
        assert first.stdout == "You said: dev one. Turn 1.\n"
        [request] = requests_for(bedrock, "dev one")
        assert request.model_id == "emulated-model"

        settings = project / "agentcore_agent" / "settings.py"
        source = settings.read_text()
        assert "You are a helpful assistant." in source
        settings.write_text(source.replace("You are a helpful assistant.", "You are the edited assistant."))
        deadline = time.monotonic() + 60
        answered = None
        while time.monotonic() < deadline:
            probe = f"after edit {time.monotonic()}"
            answered = run_cli("invoke", probe, "--local", "--url", url, "--new-session", env=env)
            if answered.returncode == 0 and system_prompt(bedrock, probe).startswith("You are the edited assistant."):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"no answer with the edited prompt within 60 s:\n{answered}\n{server.output()}")
        assert "changed settings.py: restarting" in server.output()
        server.signal(signal.SIGINT)  # Ctrl-C
        result = server.wait(timeout=30)
    assert "Traceback" not in result.output, result.output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/ping", timeout=2)  # the agent went down with it


def test_dev_takes_the_environment_from_the_stack_config(project: Path, tmp_path: Path, env: dict[str, str], bedrock: BedrockEmulator) -> None:
    extra = {"SYSTEM_PROMPT": "Prompt from the stack."}
    pulumi, env = dev_stack(
        tmp_path,
        env,
        {
            "agentcore:imageContext": {"value": str(project), "secret": False},
            "agentcore:environmentVariables": {"value": json.dumps(extra), "objectValue": extra, "secret": False},
        },
    )
    port = free_port()
    with ServerProcess([str(AGENTCORE), "dev", "--stack", "dev", "--port", str(port)], port=port, env=env) as server:
        answered = run_cli("invoke", "from stack config", "--local", "--url", server.url, env=env)
        assert answered.returncode == 0, answered.stderr + server.output()
    [request] = requests_for(bedrock, "from stack config")
    assert request.model_id == STACK_MODEL
    assert system_prompt(bedrock, "from stack config") == "Prompt from the stack."
    assert ["config", "--json", "--show-secrets", "--stack", "dev"] in pulumi.calls()


def test_dev_runs_the_rust_agent_for_a_stack_that_picks_it(tmp_path: Path, env: dict[str, str], bedrock: BedrockEmulator) -> None:
    """`agentcore:agent: rust` and no imageContext: dev serves agent_rust/ with `cargo run`."""
    RUST.build()  # compiled once for the suite; `cargo run` then starts it without rebuilding
    _, env = dev_stack(tmp_path, env, {"agentcore:agent": {"value": "rust", "secret": False}})
    port = free_port()
    command = [str(AGENTCORE), "dev", "--stack", "dev", "--port", str(port)]
    with ServerProcess(command, port=port, env=env, cwd=REPO_ROOT) as server:
        answered = run_cli("invoke", "rust from stack", "--local", "--url", server.url, env=env)
        assert answered.returncode == 0, answered.stderr + server.output()
        assert answered.stdout == "You said: rust from stack. Turn 1.\n"
        assert '"logger":"agent.access"' in server.output()  # the Rust agent's own log line
    [request] = requests_for(bedrock, "rust from stack")
    assert request.model_id == STACK_MODEL


def test_dev_needs_a_model_and_region(env: dict[str, str], project: Path) -> None:
    result = run_cli("dev", "--agent-dir", str(project), "--region", "us-east-1", env=env)
    assert result.returncode == 2
    assert "--model-id is required" in result.stderr
    elsewhere = run_cli("dev", "--agent-dir", str(project.parent), "--model-id", "m", "--region", "us-east-1", env=env)
    assert elsewhere.returncode == 2
    assert "has no agent.py and uv.lock, nor Cargo.toml" in elsewhere.stderr
