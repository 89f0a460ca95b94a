"""`agentcore invoke` end to end: the installed command, boto3's real bedrock-agentcore client, the
data-plane emulator (checked against botocore's model) and a real agent server behind it.

What a user relies on: the answer streams as it is produced; the runtime is found from the
stack's outputs; the next invoke continues the conversation (and --new-session / --session-id
change that); stdin and --json work for scripts; --endpoint picks the qualifier; a JWT runtime
takes --bearer-token; every error the user can cause is one line with its exit code.
"""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.testkit.agentcore_emulator import AgentCoreEmulator
from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.cli_harness import (
    AGENTCORE,
    RUNTIME_ARN,
    FakePulumi,
    cli_environment,
    run_cli,
    sessions_file,
    stack_outputs,
)
from tests.testkit.processes import ServerProcess, free_port

JWT_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_jwt-ZyXwVu9876"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"  # noqa: S105 - a dummy token for the emulator
EXIT = {"ok": 0, "failure": 1, "usage": 2, "config": 3, "auth": 4, "not_found": 5, "throttled": 6, "agent": 7, "unreachable": 8}


@pytest.fixture(scope="module")
def agent(agent_implementation: AgentImplementation, bedrock: BedrockEmulator) -> Iterator[ServerProcess]:
    with agent_implementation.server(bedrock.url) as server:
        yield server


@pytest.fixture(scope="module")
def agentcore(agent: ServerProcess) -> Iterator[AgentCoreEmulator]:
    with AgentCoreEmulator() as emulator:
        emulator.add_runtime(RUNTIME_ARN, agent.url, qualifiers=("DEFAULT", "live"))
        emulator.add_runtime(JWT_ARN, agent.url, bearer_token=TOKEN)
        yield emulator


@pytest.fixture
def pulumi(tmp_path: Path) -> FakePulumi:
    return FakePulumi(
        tmp_path / "bin",
        outputs={"dev": stack_outputs(), "live": stack_outputs(endpoint="live"), "fresh": {}},
    ).install()


@pytest.fixture
def env(tmp_path: Path, agentcore: AgentCoreEmulator, pulumi: FakePulumi) -> dict[str, str]:
    return cli_environment(tmp_path, agentcore_url=agentcore.url, bin_dir=pulumi.directory)


def new_requests(emulator: AgentCoreEmulator, since: int) -> list[Any]:
    return emulator.requests[since:]


def test_invoke_streams_the_answer_from_the_stacks_runtime(env: dict[str, str], agentcore: AgentCoreEmulator, pulumi: FakePulumi) -> None:
    before = len(agentcore.requests)
    result = run_cli("invoke", "hello there", "--stack", "dev", env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: hello there. Turn 1.\n"
    [request] = new_requests(agentcore, before)
    assert request.error is None
    assert (request.operation, request.arn, request.qualifier) == ("InvokeAgentRuntime", RUNTIME_ARN, "DEFAULT")
    assert request.headers["accept"] == "text/event-stream"
    assert json.loads(request.body) == {"prompt": "hello there", "stream": True}
    session = request.headers["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert len(session) >= 33
    assert f"session {session}" in result.stderr
    assert ["stack", "output", "--json", "--stack", "dev"] in pulumi.calls()


def test_deltas_are_printed_as_they_arrive(env: dict[str, str]) -> None:
    """The first words are on the terminal while the agent is still producing the rest."""
    process = subprocess.Popen(  # noqa: S603 - the project's console script
        [str(AGENTCORE), "invoke", "[[chunks:4]] [[delay:0.6]] slow one", "--stack", "dev"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        first = b""
        deadline = time.monotonic() + 30
        while not first and time.monotonic() < deadline:
            if selector.select(timeout=1):
                first = process.stdout.read() or b""
        assert first, "no output within 30 s"
        assert process.poll() is None, "the command had already finished: nothing was streamed"
        rest = b""
        process.wait(timeout=30)
        os.set_blocking(process.stdout.fileno(), True)
        rest = process.stdout.read()
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0
    assert (first + rest).decode() == "You said: slow one. Turn 1.\n"
    assert len(first) < len(first + rest)


def test_the_next_invoke_continues_the_session_and_new_session_starts_over(env: dict[str, str], tmp_path: Path, agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    assert run_cli("invoke", "one", "--stack", "dev", env=env).stdout == "You said: one. Turn 1.\n"
    assert run_cli("invoke", "two", "--stack", "dev", env=env).stdout == "You said: two. Turn 2.\n"
    assert run_cli("invoke", "three", "--stack", "dev", "--new-session", env=env).stdout == "You said: three. Turn 1.\n"
    assert run_cli("invoke", "four", "--stack", "dev", env=env).stdout == "You said: four. Turn 2.\n"
    sessions = [r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for r in new_requests(agentcore, before)]
    assert sessions[0] == sessions[1] != sessions[2] == sessions[3]
    remembered = sessions_file(tmp_path)
    assert remembered[f"{RUNTIME_ARN}#DEFAULT"]["session_id"] == sessions[3]


def test_session_id_option_is_used_and_remembered(env: dict[str, str], tmp_path: Path, agentcore: AgentCoreEmulator) -> None:
    chosen = "my-own-session-0123456789-abcdefghijkl"
    before = len(agentcore.requests)
    assert run_cli("invoke", "hi", "--stack", "dev", "--session-id", chosen, env=env).returncode == 0
    assert run_cli("invoke", "again", "--stack", "dev", env=env).stdout == "You said: again. Turn 2.\n"
    sessions = {r.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for r in new_requests(agentcore, before)}
    assert sessions == {chosen}


def test_prompt_from_stdin(env: dict[str, str]) -> None:
    result = run_cli("invoke", "--stack", "dev", env=env, stdin="piped prompt\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: piped prompt. Turn 1.\n"


def test_json_output_for_scripts(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    result = run_cli("invoke", "as json", "--stack", "dev", "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    [request] = new_requests(agentcore, before)
    assert request.headers["accept"] == "application/json"
    assert document["completion"] == "You said: as json. Turn 1."
    assert document["session_id"] == request.headers["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert document["stop_reason"] == "end_turn"
    assert set(document["usage"]) == {"input_tokens", "output_tokens", "total_tokens"}


def test_the_stacks_named_endpoint_is_the_default_qualifier(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    assert run_cli("invoke", "hi", "--stack", "live", env=env).returncode == 0
    assert run_cli("invoke", "hi", "--stack", "live", "--endpoint", "DEFAULT", env=env).returncode == 0
    assert [r.qualifier for r in new_requests(agentcore, before)] == ["live", "DEFAULT"]


def test_arn_instead_of_a_stack_and_the_selected_stack(env: dict[str, str], pulumi: FakePulumi) -> None:
    assert run_cli("invoke", "hi", "--arn", RUNTIME_ARN, env=env).stdout == "You said: hi. Turn 1.\n"
    assert run_cli("invoke", "hi", env=env).returncode == 0  # the selected stack (dev)
    assert ["stack", "output", "--json"] in pulumi.calls()


def test_bearer_token_for_a_jwt_runtime(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    result = run_cli("invoke", "with a token", "--arn", JWT_ARN, env={**env, "AGENTCORE_BEARER_TOKEN": TOKEN})
    assert result.returncode == 0, result.stderr
    assert result.stdout == "You said: with a token. Turn 1.\n"
    [request] = new_requests(agentcore, before)
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    signed = run_cli("invoke", "signed", "--arn", JWT_ARN, env=env)
    assert signed.returncode == EXIT["auth"]
    assert "access denied" in signed.stderr and "--bearer-token" in signed.stderr
    wrong = run_cli("invoke", "hi", "--arn", JWT_ARN, "--bearer-token", "not-the-token", env=env)
    assert wrong.returncode == EXIT["auth"]


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("code", "times", "exit_code", "words"),
    [
        ("AccessDeniedException", 1, "auth", "access denied"),
        ("ThrottlingException", 3, "throttled", "throttling"),  # botocore retries twice first
        ("ServiceQuotaExceededException", 1, "throttled", "quota"),
        ("ValidationException", 1, "usage", "rejected the request"),
        ("InternalServerException", 3, "failure", "internal error"),
    ],
)
def test_service_errors_are_one_line_with_their_exit_code(
    env: dict[str, str], agentcore: AgentCoreEmulator, code: str, times: int, exit_code: str, words: str
) -> None:
    for _ in range(times):
        agentcore.fail_next(code, f"emulated {code}")
    result = run_cli("invoke", "hi", "--stack", "dev", env=env)
    assert result.returncode == EXIT[exit_code]
    line = one_error_line(result)
    assert words in line.lower() and f"emulated {code}" in line
    assert not agentcore.failures


def test_throttling_once_is_retried(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    agentcore.fail_next("ThrottlingException")
    result = run_cli("invoke", "hi", "--stack", "dev", env=env)
    assert result.returncode == 0 and result.stdout == "You said: hi. Turn 1.\n"


def test_runtime_or_endpoint_not_found(env: dict[str, str]) -> None:
    other_region = RUNTIME_ARN.replace("us-east-1", "eu-west-1")
    for args in (["--arn", other_region], ["--stack", "dev", "--endpoint", "nosuch"]):
        result = run_cli("invoke", "hi", *args, env=env)
        assert result.returncode == EXIT["not_found"], result.stderr
        assert "not found" in one_error_line(result)


def test_missing_credentials(env: dict[str, str]) -> None:
    bare = {k: v for k, v in env.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    result = run_cli("invoke", "hi", "--stack", "dev", env=bare)
    assert result.returncode == EXIT["auth"]
    assert "no usable AWS credentials" in one_error_line(result)


def test_bad_input_is_refused_before_any_request(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    short = run_cli("invoke", "hi", "--stack", "dev", "--session-id", "too-short", env=env)
    assert short.returncode == EXIT["usage"]
    assert "33-256 characters" in one_error_line(short)
    empty = run_cli("invoke", "--stack", "dev", env=env, stdin="  \n")
    assert empty.returncode == EXIT["usage"]
    assert "prompt is empty" in one_error_line(empty)
    bad_arn = run_cli("invoke", "hi", "--arn", "arn:aws:lambda:us-east-1:123456789012:function:x", env=env)
    assert bad_arn.returncode == EXIT["usage"]
    assert "--arn" in one_error_line(bad_arn)
    assert len(agentcore.requests) == before


def test_stack_problems(env: dict[str, str], tmp_path: Path) -> None:
    unknown = run_cli("invoke", "hi", "--stack", "nosuch", env=env)
    assert unknown.returncode == EXIT["config"]
    assert "no stack named 'nosuch' found" in one_error_line(unknown)
    undeployed = run_cli("invoke", "hi", "--stack", "fresh", env=env)
    assert undeployed.returncode == EXIT["config"]
    assert "no 'runtimeArn' output" in one_error_line(undeployed)
    no_pulumi = run_cli("invoke", "hi", "--stack", "dev", env={**env, "PATH": str(tmp_path / "empty")})
    assert no_pulumi.returncode == EXIT["config"]
    assert "Pulumi CLI is not on PATH" in one_error_line(no_pulumi)


def test_agent_errors_are_shown_with_their_code(env: dict[str, str]) -> None:
    # Before the stream starts: the container answers 502, which AgentCore turns into a 424.
    early = run_cli("invoke", "[[fail:access-denied]] hi", "--stack", "dev", env=env)
    assert early.returncode == EXIT["agent"]
    assert "the agent answered an error" in one_error_line(early)
    assert "Received error (502) from runtime" in early.stderr
    # After it started: an in-band error frame, with the agent's code and sentence.
    late = run_cli("invoke", "[[fail:stream-exception]] hi", "--stack", "dev", env=env)
    assert late.returncode == EXIT["agent"]
    assert "agent error [model_stream_failed] The model's answer stream broke off." in late.stderr
    as_json = run_cli("invoke", "[[fail:stream-exception]] hi", "--stack", "dev", "--json", env=env)
    assert as_json.returncode == EXIT["agent"]
    # Not streamed: the agent answers a JSON error status, which AgentCore reports as a 424.
    assert "the agent answered an error" in one_error_line(as_json)
    document = json.loads(as_json.stdout)
    assert document["error"]["code"] == "agent" and "RuntimeClientError" not in document["error"]["message"]
    assert "Received error (502) from runtime" in document["error"]["message"]


def test_unreachable_endpoint(env: dict[str, str]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    result = run_cli("invoke", "hi", "--stack", "dev", env={**env, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": closed})
    assert result.returncode == EXIT["unreachable"]
    assert "cannot reach AgentCore" in one_error_line(result)


def test_debug_shows_the_traceback(env: dict[str, str], agentcore: AgentCoreEmulator) -> None:
    agentcore.fail_next("AccessDeniedException")
    result = run_cli("--debug", "invoke", "hi", "--stack", "dev", env=env)
    assert result.returncode == EXIT["auth"]
    assert "Traceback" in result.stderr
    assert "An error occurred (AccessDeniedException) when calling the InvokeAgentRuntime operation" in result.stderr


def test_local_agent(env: dict[str, str], agent: ServerProcess, tmp_path: Path) -> None:
    first = run_cli("invoke", "local one", "--local", "--url", agent.url, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == "You said: local one. Turn 1.\n"
    assert run_cli("invoke", "local two", "--local", "--url", agent.url, env=env).stdout == "You said: local two. Turn 2.\n"
    assert f"local {agent.url}" in sessions_file(tmp_path)
    # Not throttling: the agent retries that for its whole retry budget before answering.
    failed = run_cli("invoke", "[[fail:access-denied]] hi", "--local", "--url", agent.url, "--json", env=env)
    assert failed.returncode == EXIT["agent"]
    error = json.loads(failed.stdout)["error"]
    assert error == {
        "code": "model_access_denied",
        "message": "The agent's AWS identity is not allowed to invoke the model.",
        "status": 502,
    }
    nobody = run_cli("invoke", "hi", "--local", "--url", f"http://127.0.0.1:{free_port()}", env=env)
    assert nobody.returncode == EXIT["unreachable"]
    assert "agentcore dev" in one_error_line(nobody)
    mixed = run_cli("invoke", "hi", "--local", "--stack", "dev", env=env)
    assert mixed.returncode == EXIT["usage"]


def test_help_documents_every_command() -> None:
    for command in ("invoke", "chat", "dev", "logs"):
        result = subprocess.run([str(AGENTCORE), command, "--help"], capture_output=True, text=True, check=False)  # noqa: S603
        assert result.returncode == 0
        assert re.search(r"^Usage: agentcore " + command, result.stdout, re.MULTILINE)
        assert "--help" in result.stdout
