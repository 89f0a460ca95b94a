"""`agentcore chat` in a pseudo-terminal and with piped input, against the data-plane emulator and
a real agent: answers stream, the conversation carries over turns, Ctrl-C cancels only the
answer (the agent restores its history, so the next turn follows the last completed one), and
leaving stops the session with StopRuntimeSession and forgets it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from tests.testkit.agentcore_emulator import AgentCoreEmulator
from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.cli_harness import AGENTCORE, RUNTIME_ARN, FakePulumi, cli_environment, run_cli, sessions_file, stack_outputs
from tests.testkit.processes import ServerProcess

SESSION_KEY = f"{RUNTIME_ARN}#DEFAULT"
JWT_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_jwt-ZyXwVu9876"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"  # noqa: S105 - a dummy token for the emulator


@pytest.fixture(scope="module")
def agent(agent_implementation: AgentImplementation, bedrock: BedrockEmulator) -> Iterator[ServerProcess]:
    with agent_implementation.server(bedrock.url) as server:
        yield server


@pytest.fixture(scope="module")
def agentcore(agent: ServerProcess) -> Iterator[AgentCoreEmulator]:
    with AgentCoreEmulator() as emulator:
        emulator.add_runtime(RUNTIME_ARN, agent.url)
        emulator.add_runtime(JWT_ARN, agent.url, bearer_token=TOKEN)
        yield emulator


@pytest.fixture
def env(tmp_path: Path, agentcore: AgentCoreEmulator) -> dict[str, str]:
    pulumi = FakePulumi(tmp_path / "bin", outputs={"dev": stack_outputs()}).install()
    return cli_environment(tmp_path, agentcore_url=agentcore.url, bin_dir=pulumi.directory)


def test_chat_in_a_terminal_streams_cancels_and_stops_the_session(env: dict[str, str], agentcore: AgentCoreEmulator, tmp_path: Path) -> None:
    before = len(agentcore.requests)
    child = pexpect.spawn(str(AGENTCORE), ["chat", "--stack", "dev"], env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))
    try:
        child.expect_exact("you> ")
        child.sendline("hello")
        child.expect_exact("You said: hello. Turn 1.")
        child.expect_exact("you> ")
        child.sendline("[[chunks:30]] [[delay:0.3]] a long one")
        child.expect_exact("You said")  # the answer has started
        child.sendintr()  # Ctrl-C
        child.expect_exact("answer cancelled")
        child.expect_exact("you> ")
        child.sendline("after")
        child.expect_exact("You said: after. Turn 2.")  # the cancelled turn left no trace
        child.expect_exact("you> ")
        child.sendintr()  # at the prompt: only the line is dropped
        child.expect_exact("Ctrl-D or /exit to quit")
        child.sendeof()
        child.expect_exact("stopped")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    invoked = [r for r in agentcore.requests[before:] if r.operation == "InvokeAgentRuntime"]
    session = invoked[0].headers["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert {r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for r in invoked} == {session}
    stops = [r for r in agentcore.stops if r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] == session]
    assert len(stops) == 1 and stops[0].qualifier == "DEFAULT"
    assert SESSION_KEY not in sessions_file(tmp_path)
    history = (tmp_path / "state" / "agentcore" / "chat_history").read_text()
    assert "hello" in history and "after" in history  # arrow-up recalls them next time


def test_chat_with_piped_input_and_new_session(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    result = run_cli("chat", "--stack", "dev", env=env, stdin="first\nsecond\n/new\nthird\n/exit\n")
    assert result.returncode == 0, result.stderr
    assert "You said: first. Turn 1." in result.stdout
    assert "You said: second. Turn 2." in result.stdout
    assert "You said: third. Turn 1." in result.stdout  # /new: a fresh conversation
    assert "you> " not in result.stdout  # no prompts when the input is not a terminal
    requests = agentcore.requests[before:]
    sessions = [r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for r in requests if r.operation == "InvokeAgentRuntime"]
    stopped = [r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for r in requests if r.operation == "StopRuntimeSession"]
    assert sessions[0] == sessions[1] != sessions[2]
    assert stopped == [sessions[0], sessions[2]]  # the old one at /new, the new one at exit


def test_chat_keeps_going_after_an_error_and_keep_session(env: dict[str, str], agentcore: AgentCoreEmulator, tmp_path: Path) -> None:
    before = len(agentcore.stops)
    result = run_cli(
        "chat", "--stack", "dev", "--keep-session", env=env, stdin="[[fail:stream-exception]] boom\nfine\n"
    )
    assert result.returncode == 0, result.stderr
    assert "agent error [model_stream_failed]" in result.stderr
    assert "You said: fine. Turn 1." in result.stdout
    assert len(agentcore.stops) == before  # --keep-session: not stopped, still remembered
    assert SESSION_KEY in sessions_file(tmp_path)


def test_chat_with_a_bearer_token_stops_its_session_with_the_token(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    result = run_cli("chat", "--arn", JWT_ARN, env={**env, "AGENTCORE_BEARER_TOKEN": TOKEN}, stdin="hi\n")
    assert result.returncode == 0, result.stderr
    assert "You said: hi. Turn 1." in result.stdout
    invoke, stop = agentcore.requests[before:]
    assert (invoke.operation, stop.operation, stop.error) == ("InvokeAgentRuntime", "StopRuntimeSession", None)
    assert stop.headers["authorization"] == f"Bearer {TOKEN}"
    session = invoke.headers["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert stop.headers["x-amzn-bedrock-agentcore-runtime-session-id"] == session


def test_chat_with_the_local_agent(env: dict[str, str], agent: ServerProcess) -> None:
    result = run_cli("chat", "--local", "--url", agent.url, "--new-session", env=env, stdin="hi\nagain\n")
    assert result.returncode == 0, result.stderr
    assert "You said: hi. Turn 1." in result.stdout and "You said: again. Turn 2." in result.stdout
    assert "stopped" not in result.stderr  # a local agent has no AgentCore session to stop
