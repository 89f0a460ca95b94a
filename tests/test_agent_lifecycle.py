"""The agent's process behaviour, each case on its own server: start-up configuration errors,
missing credentials, the session LRU and graceful shutdown. Shared by every implementation.
"""

from __future__ import annotations

import json
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator, turn_number
from tests.testkit.contract import SESSION
from tests.testkit.processes import ServerProcess, free_port, layered_environment


@pytest.fixture
def server_factory(agent_implementation: AgentImplementation) -> Iterator[list[ServerProcess]]:
    """Collects servers a test starts and stops them afterwards."""
    servers: list[ServerProcess] = []
    yield servers
    for server in servers:
        server.stop(timeout=10)
        server.cleanup()


def start(
    implementation: AgentImplementation,
    servers: list[ServerProcess],
    bedrock: BedrockEmulator,
    overrides: dict[str, str | None] | None = None,
) -> ServerProcess:
    server = implementation.start(bedrock.url, overrides)
    servers.append(server)
    return server


# Every start-up rule, with the message that names the variable and the rule (hard-coded: the
# messages are part of the contract every implementation shares).
CONFIG_RULES: list[tuple[dict[str, str | None], str]] = [
    ({"MODEL_ID": None}, "MODEL_ID is required"),
    ({"MODEL_ID": "  "}, "MODEL_ID is required"),
    ({"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, "AWS_REGION is required"),
    ({"MAX_SESSIONS": "0"}, "MAX_SESSIONS must be a positive integer; got '0'"),
    ({"MAX_PROMPT_CHARS": "lots"}, "MAX_PROMPT_CHARS must be a positive integer; got 'lots'"),
    ({"MAX_PROMPT_CHARS": "-5"}, "MAX_PROMPT_CHARS must be a positive integer; got '-5'"),
    ({"MODEL_MAX_ATTEMPTS": "1.5"}, "MODEL_MAX_ATTEMPTS must be a positive integer; got '1.5'"),
    ({"MODEL_RETRY_BUDGET_SECONDS": "-1"}, "MODEL_RETRY_BUDGET_SECONDS must be a positive number of seconds; got '-1'"),
    (
        {"MODEL_READ_TIMEOUT_SECONDS": "inf"},
        "MODEL_READ_TIMEOUT_SECONDS must be a positive number of seconds; got 'inf'",
    ),
    ({"MODEL_CONNECT_TIMEOUT_SECONDS": "nan"}, "MODEL_CONNECT_TIMEOUT_SECONDS must be a positive number of seconds"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL; got 'LOUD'"),
]


def run_to_exit(
    implementation: AgentImplementation, bedrock_url: str, overrides: dict[str, str | None]
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the implementation's own command
        implementation.command(free_port()),
        cwd=implementation.cwd,
        env=layered_environment({**implementation.environment(bedrock_url), **overrides}),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_every_bad_configuration_stops_the_server_with_a_message_naming_its_variable(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    with ThreadPoolExecutor(3) as pool:  # each run loads the whole app before it checks
        runs = list(pool.map(lambda rule: run_to_exit(agent_implementation, bedrock.url, rule[0]), CONFIG_RULES))
    for (overrides, message), completed in zip(CONFIG_RULES, runs, strict=True):
        output = completed.stdout + completed.stderr
        assert completed.returncode != 0, (overrides, output[-2000:])
        assert f"agent: configuration error: {message}" in output, (overrides, output[-2000:])
        assert "Traceback" not in output


def test_missing_credentials_answer_503_and_the_server_keeps_serving(
    server_factory: list[ServerProcess], agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    no_credentials: dict[str, str | None] = {
        name: None
        for name in (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
        )
    }
    server = start(agent_implementation, server_factory, bedrock, no_credentials)
    tag = uuid.uuid4().hex
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for stream in (False, True):
            response = http.post("/invocations", json={"prompt": f"hi {tag}", "stream": stream})
            assert response.status_code == 503
            assert response.json() == {
                "error": "The agent has no AWS credentials to call the model.",
                "code": "model_credentials_missing",
            }
        assert http.get("/ping").json()["status"] == "Healthy"
    assert bedrock.requests_mentioning(tag) == []  # nothing unsigned was sent


def test_an_unreachable_model_endpoint_answers_502_and_the_server_keeps_serving(
    server_factory: list[ServerProcess], agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there: connection refused
    server = start(
        agent_implementation,
        server_factory,
        bedrock,
        {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME": nobody, "MODEL_MAX_ATTEMPTS": "1"},
    )
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for stream in (False, True):
            response = http.post("/invocations", json={"prompt": "anyone there?", "stream": stream})
            assert response.status_code == 502
            assert response.json() == {"error": "The model endpoint could not be reached.", "code": "model_unreachable"}
        assert http.get("/ping").json()["status"] == "Healthy"


def test_least_recently_used_idle_session_is_forgotten_beyond_max_sessions(
    server_factory: list[ServerProcess], agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    server = start(agent_implementation, server_factory, bedrock, {"MAX_SESSIONS": "3"})
    tag = uuid.uuid4().hex[:8]
    a, b, c, d = (f"lru-{name}-{uuid.uuid4()}" for name in "abcd")

    def turn(session: str) -> int:
        response = http.post("/invocations", json={"prompt": f"lru {tag}"}, headers={SESSION: session})
        assert response.status_code == 200
        return turn_number(response.json()["completion"])

    with httpx.Client(base_url=server.url, timeout=30) as http:
        # Below the limit nothing is forgotten; a is now more recently used than b.
        assert [turn(a), turn(b), turn(a), turn(c)] == [1, 1, 2, 1]
        assert turn(d) == 1  # a fourth session: b, the least recently used, is dropped
        assert [turn(a), turn(c)] == [3, 2]  # recency order now d, a, c
        assert turn(b) == 1  # b starts over, and d, now the least recently used, is dropped
        assert [turn(a), turn(c), turn(d)] == [4, 3, 1]


def test_a_session_with_a_running_turn_is_never_evicted_and_the_limit_is_restored_once_idle(
    server_factory: list[ServerProcess], agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    """MAX_SESSIONS bounds the sessions kept, not the sessions served: a new session is served
    even when every kept one is busy (the store is briefly over the limit), a session is never
    dropped while a turn runs in it, and the excess goes as soon as its turns end."""
    server = start(agent_implementation, server_factory, bedrock, {"MAX_SESSIONS": "1"})
    tag = uuid.uuid4().hex[:8]
    a, b = (f"busy-lru-{name}-{uuid.uuid4()}" for name in "ab")

    def turn(session: str, directives: str = "") -> int:
        response = httpx.post(
            server.url + "/invocations",
            json={"prompt": f"busy lru {tag} {directives}"},
            headers={SESSION: session},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return turn_number(response.json()["completion"])

    with ThreadPoolExecutor(1) as pool:
        long_turn = pool.submit(turn, a, "[[chunks:8]] [[delay:0.5]]")  # a is busy for about 4 s
        deadline = time.monotonic() + 30
        while not bedrock.requests_containing(f"busy lru {tag} [[chunks:8]]") and time.monotonic() < deadline:
            time.sleep(0.02)
        assert turn(b) == 1  # served although the one kept session is busy
        assert turn(b) == 1  # b, idle and over the limit while a is busy, was dropped
        assert long_turn.result() == 1
    assert turn(a) == 2  # a kept its conversation through b's arrival


def test_sigterm_lets_an_in_flight_stream_finish_before_exit(
    server_factory: list[ServerProcess], agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    server = start(agent_implementation, server_factory, bedrock)
    received: list[str] = []
    first_delta = threading.Event()
    outcome: dict[str, Any] = {}

    def read_stream() -> None:
        payload = {"prompt": "shutdown [[chunks:6]] [[delay:0.4]]", "stream": True}
        with (
            httpx.Client(timeout=30) as http,
            http.stream("POST", server.url + "/invocations", json=payload) as response,
        ):
            outcome["status"] = response.status_code
            for line in response.iter_lines():
                received.append(line)
                if line.startswith("data: "):
                    first_delta.set()

    reader = threading.Thread(target=read_stream)
    reader.start()
    assert first_delta.wait(timeout=30)
    server.signal()  # SIGTERM with about two seconds of the answer still to come
    reader.join(timeout=30)
    result = server.wait(timeout=30)
    assert outcome["status"] == 200
    events = [json.loads(line[6:]) for line in received if line.startswith("data: ")]
    assert len(events) == 7
    assert events[-1]["completion"] == "You said: shutdown. Turn 1."
    agent_implementation.assert_clean_exit(result)
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/ping", timeout=2)  # and it is really gone
