"""The post-deploy check's provider (components/runtime_check.py) against the AgentCore emulator
and a real agent: a runtime that answers passes and its check session is stopped; an agent error,
an AWS error and an agent that does not answer in time each fail with a message saying so; input
rules; a new version (any changed input) re-runs the check, an unchanged one does not.

Its wiring into AgentCoreRuntime (stack config, the endpoint it goes through, the deployer's
grants) is tested under Pulumi's mocks in test_program_variants.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from components.runtime_check import PROVIDER_REFERENCE, CheckSpec, RuntimeCheckError, RuntimeCheckProvider, run_check, spec_problems
from tests.testkit.agentcore_emulator import AgentCoreEmulator
from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.cli_harness import RUNTIME_ARN
from tests.testkit.processes import ServerProcess


@pytest.fixture(scope="module")
def agent(agent_implementation: AgentImplementation, bedrock: BedrockEmulator) -> Iterator[ServerProcess]:
    with agent_implementation.server(bedrock.url) as server:
        yield server


@pytest.fixture(scope="module")
def agentcore(agent: ServerProcess) -> Iterator[AgentCoreEmulator]:
    with AgentCoreEmulator() as emulator:
        emulator.add_runtime(RUNTIME_ARN, agent.url, qualifiers=("DEFAULT", "live"))
        yield emulator


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch, agentcore: AgentCoreEmulator) -> None:
    for name in [key for key in os.environ if key.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "dummy-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", agentcore.url)


def props(**overrides: object) -> dict[str, object]:
    return {"runtime_arn": RUNTIME_ARN, "runtime_version": "4", "qualifier": "DEFAULT", "prompt": "ping", "timeout_seconds": 60, **overrides}


def test_an_answering_runtime_passes_and_its_session_is_stopped(agentcore: AgentCoreEmulator) -> None:
    before = len(agentcore.requests)
    result = RuntimeCheckProvider().create(props(qualifier="live"))
    assert result.outs["checked_version"] == "4"
    assert result.outs["answer_excerpt"] == "You said: ping. Turn 1."
    invoke, stop = agentcore.requests[before:]
    assert (invoke.operation, invoke.qualifier, invoke.error) == ("InvokeAgentRuntime", "live", None)
    session = invoke.headers["x-amzn-bedrock-agentcore-runtime-session-id"]
    assert session.startswith("pulumi-check-") and len(session) >= 33
    assert (stop.operation, stop.error) == ("StopRuntimeSession", None)
    assert stop.headers["x-amzn-bedrock-agentcore-runtime-session-id"] == session


def test_an_agent_error_fails_the_check() -> None:
    with pytest.raises(RuntimeCheckError) as raised:
        run_check(CheckSpec.from_props(props(prompt="[[fail:access-denied]] ping")))
    message = str(raised.value)
    assert "RuntimeClientError" in message and "Received error (502) from runtime" in message
    assert RUNTIME_ARN in message and "version 4" in message and "agentcore logs" in message


def test_an_aws_error_fails_the_check(agentcore: AgentCoreEmulator) -> None:
    agentcore.fail_next("AccessDeniedException", "not allowed to invoke")
    with pytest.raises(RuntimeCheckError, match="AccessDeniedException: not allowed to invoke"):
        run_check(CheckSpec.from_props(props()))
    with pytest.raises(RuntimeCheckError, match="ResourceNotFoundException"):
        run_check(CheckSpec.from_props(props(qualifier="nosuch")))


def test_no_answer_within_the_bound_fails_the_check() -> None:
    spec = CheckSpec.from_props(props(prompt="[[chunks:1]] [[delay:9]] slow", timeout_seconds=5))
    with pytest.raises(RuntimeCheckError, match="did not answer within 5 s"):
        run_check(spec)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"runtime_arn": "arn:aws:lambda:us-east-1:123456789012:function:f"}, "runtime_arn"),
        ({"qualifier": "has-hyphen"}, "qualifier"),
        ({"prompt": "  "}, "prompt"),
        ({"timeout_seconds": 4}, "timeout_seconds"),
        ({"timeout_seconds": 901}, "timeout_seconds"),
        ({"timeout_seconds": True}, "timeout_seconds"),
    ],
)
def test_bad_inputs_are_named(overrides: dict[str, object], field: str) -> None:
    assert [problem for problem, _ in spec_problems(props(**overrides))] == [field]
    assert spec_problems(props()) == []


def test_values_unknown_at_preview_are_not_judged() -> None:
    from pulumi.runtime import rpc

    assert spec_problems(props(runtime_arn=rpc.UNKNOWN, qualifier=rpc.UNKNOWN)) == []


def test_a_new_version_reruns_the_check_and_nothing_else_does() -> None:
    provider = RuntimeCheckProvider()
    assert provider.diff("id", props(), props(runtime_version="5")).changes
    assert provider.diff("id", props(), props(prompt="other")).changes
    assert not provider.diff("id", {**props(), "checked_version": "4", "answer_excerpt": "x"}, props()).changes


def test_the_provider_path_stored_in_state_is_stable() -> None:
    assert f"{RuntimeCheckProvider.__module__}.{RuntimeCheckProvider.__qualname__}" == PROVIDER_REFERENCE
