"""AgentCore Memory in both agents, end to end with real processes: each agent's real AWS SDK
``bedrock-agentcore`` client (boto3, or the AWS SDK for Rust) talks to the Memory emulator (requests
checked against botocore's model) through ``AWS_ENDPOINT_URL_BEDROCK_AGENTCORE``, and its model to
the Bedrock emulator.

A conversation survives its process, and either agent resumes what the other stored; actors are
kept apart; long-term records reach the model; a Memory that cannot be read answers 503
``memory_unavailable`` (never an answer that forgot); a store that keeps failing is retried, then
logged ``memory_store_failed``."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.testkit.agents import IMPLEMENTATIONS, AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.contract import SESSION
from tests.testkit.memory_emulator import MemoryEmulator
from tests.testkit.processes import ServerProcess

ACTOR_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-User-Id"


@pytest.fixture
def memory() -> Iterator[MemoryEmulator]:
    with MemoryEmulator() as emulator:
        yield emulator


def start(agent: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator, **extra: str) -> ServerProcess:
    return agent.start(
        bedrock.url,
        {"BEDROCK_AGENTCORE_MEMORY_ID": memory.memory_id, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": memory.url, **extra},
    )


def invoke(server: ServerProcess, prompt: str, session: str, actor: str | None = None) -> httpx.Response:
    headers = {SESSION: session, **({ACTOR_HEADER: actor} if actor else {})}
    return httpx.post(f"{server.url}/invocations", json={"prompt": prompt}, headers=headers, timeout=30)


@contextmanager
def serving(
    agent: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator, **extra: str
) -> Iterator[ServerProcess]:
    """A server with the memory, stopped gracefully at the end (which flushes pending stores)."""
    server = start(agent, bedrock, memory, **extra)
    try:
        yield server
    finally:
        stop(server)


def stop(server: ServerProcess) -> str:
    server.signal(signal.SIGTERM)
    return server.wait().output


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def sent_texts(bedrock: BedrockEmulator, marker: str) -> str:
    """Everything the model was sent (messages and system prompt) on the request for ``marker``."""
    [request] = bedrock.requests_containing(marker)
    return json.dumps({"messages": request.body.get("messages"), "system": request.body.get("system")})


def test_a_conversation_resumes_in_a_new_process(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator
) -> None:
    session = f"resume-{uuid.uuid4()}"
    with serving(agent_implementation, bedrock, memory) as first:
        assert invoke(first, "my dog is called Biscuit", session, "alice").status_code == 200
        assert invoke(first, "[[tool:calculate:6*7]] and six times seven?", session, "alice").status_code == 200
    stored = memory.session_events("alice", session)
    roles = [json.dumps(e.payload) for e in stored]
    assert len(stored) >= 6 and "toolUse" in "".join(roles) and "toolResult" in "".join(roles)
    with serving(agent_implementation, bedrock, memory) as second:
        answer = invoke(second, f"what is my dog called? ({session})", session, "alice")
        assert answer.status_code == 200, answer.text
    sent = sent_texts(bedrock, f"what is my dog called? ({session})")
    assert "my dog is called Biscuit" in sent and "six times seven" in sent and "toolResult" in sent
    # Restored once, paginated (the emulator answers 3 events a page), with the client's own session id.
    lists = memory.calls_of("ListEvents")
    assert all(call["sessionId"] == session and call["actorId"] == "alice" for call in lists)
    assert len(lists) >= 1 + (len(stored) + 2) // 3


def test_actors_do_not_see_each_others_conversations(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator
) -> None:
    session = f"shared-{uuid.uuid4()}"
    with serving(agent_implementation, bedrock, memory) as server:
        assert invoke(server, "alice's secret is tangerine", session, "alice").status_code == 200
        assert invoke(server, f"bob asks: what is the secret? ({session})", session, "bob").status_code == 200
        assert invoke(server, f"default asks too ({session})", session).status_code == 200
        refused = invoke(server, "hi", session, "bad actor!")
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_actor_id"
        assert ACTOR_HEADER in refused.json()["error"]
    assert "tangerine" not in sent_texts(bedrock, f"bob asks: what is the secret? ({session})")
    assert "tangerine" not in sent_texts(bedrock, f"default asks too ({session})")
    assert {e.actor_id for e in memory.events if e.session_id == session} == {"alice", "bob", "default"}


def test_long_term_records_reach_the_model(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator
) -> None:
    memory.add_record("/users/carol/facts", "Carol prefers answers in French.")
    memory.add_record("/users/dave/facts", "Dave is allergic to peanuts.")
    prompt = f"recommend a snack for carol ({uuid.uuid4().hex[:8]})"
    with serving(agent_implementation, bedrock, memory, MEMORY_LONG_TERM_NAMESPACES='["/users/{actorId}/facts"]') as server:
        assert invoke(server, prompt, f"lt-{uuid.uuid4()}", "carol").status_code == 200
    sent = sent_texts(bedrock, prompt)
    assert "Carol prefers answers in French." in sent and "peanuts" not in sent
    [call] = memory.calls_of("RetrieveMemoryRecords")
    assert call["namespace"] == "/users/carol/facts" and call["searchCriteria"]["searchQuery"] == prompt


def test_memory_that_cannot_be_read_refuses_the_turn_and_the_server_keeps_serving(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator
) -> None:
    with serving(agent_implementation, bedrock, memory) as server:
        # Every attempt the client makes (3: its standard retries) is throttled.
        memory.fail_next("ListEvents", "ThrottlingException", count=3)
        session = f"down-{uuid.uuid4()}"
        refused = invoke(server, f"are you there? ({session})", session, "erin")
        assert refused.status_code == 503 and refused.json()["code"] == "memory_unavailable"
        assert refused.headers[SESSION] == session
        assert bedrock.requests_containing(f"are you there? ({session})") == []  # the model never ran
        assert len(memory.calls_of("ListEvents")) == 3
        retried = invoke(server, "retry after memory is back", session, "erin")
        assert retried.status_code == 200, retried.text


def test_a_store_that_keeps_failing_is_retried_then_logged(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator
) -> None:
    server = start(agent_implementation, bedrock, memory)
    session = f"store-{uuid.uuid4()}"
    try:
        memory.fail_next("CreateEvent", "ThrottlingException", count=60)
        assert invoke(server, "remember this please", session, "frank").status_code == 200  # answered anyway
        wait_for(lambda: len(memory.calls_of("CreateEvent")) >= 3 * 5, timeout=30)
    finally:
        output = stop(server)
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert any(r.get("error_code") == "memory_store_failed" for r in records), output[-2000:]
    assert "remember this please" not in output  # no prompt in any log line


def test_without_a_memory_nothing_is_called(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, memory: MemoryEmulator
) -> None:
    server = agent_implementation.start(bedrock.url, {"AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": memory.url})
    try:
        assert invoke(server, "no memory here", f"none-{uuid.uuid4()}", "bad actor!").status_code == 200
    finally:
        stop(server)
    assert memory.calls == []


@pytest.mark.parametrize(
    ("namespaces", "says"),
    [("/users/facts", "JSON array"), ('["/users/facts"]', "contain {actorId}"), ('["/u/{actorId}"]', "needs BEDROCK_AGENTCORE_MEMORY_ID")],
)
def test_bad_memory_settings_stop_the_agent_at_startup_naming_the_variable(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, namespaces: str, says: str
) -> None:
    server = agent_implementation.server(bedrock.url, {"MEMORY_LONG_TERM_NAMESPACES": namespaces}, startup_timeout=30)
    with pytest.raises(Exception, match="MEMORY_LONG_TERM_NAMESPACES") as failure:
        server.start()
    assert says in str(failure.value)


def test_the_emulator_refuses_what_the_service_model_refuses(memory: MemoryEmulator) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "bedrock-agentcore", region_name="us-east-1", endpoint_url=memory.url, aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="dummy", config=Config(parameter_validation=False, retries={"total_max_attempts": 1}),
    )
    with pytest.raises(client.exceptions.ValidationException, match="actorId"):
        client.list_events(memoryId=memory.memory_id, actorId="bad actor!", sessionId="s1")
    with pytest.raises(client.exceptions.ValidationException, match="payload"):
        client.create_event(memoryId=memory.memory_id, actorId="a", sessionId="s1", eventTimestamp=time.time())
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_events(memoryId="other_memory-a1B2c3D4e5", actorId="a", sessionId="s1")
    assert client.list_events(memoryId=memory.memory_id, actorId="a", sessionId="s1")["events"] == []


@pytest.mark.parametrize(("first", "second"), [("python", "rust"), ("rust", "python")])
def test_either_agent_resumes_a_conversation_the_other_stored(
    bedrock: BedrockEmulator, memory: MemoryEmulator, first: str, second: str
) -> None:
    """Both store the message as Strands holds it, so a stack can switch agents (one config key)
    without its users' conversations being forgotten."""
    for name in (first, second):
        IMPLEMENTATIONS[name].build()
    session = f"switch-{uuid.uuid4()}"
    with serving(IMPLEMENTATIONS[first], bedrock, memory) as server:
        assert invoke(server, f"the {first} agent heard: my cat is Miso", session, "gina").status_code == 200
        assert invoke(server, "[[tool:calculate:3*4]] three fours?", session, "gina").status_code == 200
    marker = f"asked the {second} agent: my cat's name?"
    with serving(IMPLEMENTATIONS[second], bedrock, memory) as server:
        answer = invoke(server, marker, session, "gina")
        assert answer.status_code == 200, answer.text
    sent = sent_texts(bedrock, marker)
    assert f"the {first} agent heard: my cat is Miso" in sent and "three fours" in sent and "toolResult" in sent
