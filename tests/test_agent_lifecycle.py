"""The agent's process behaviour, each case on its own server: startup configuration errors,
missing credentials, the session LRU, background work on /ping, and graceful shutdown.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.agent_server import (
    AGENT_DIR,
    SESSION,
    ServerProcess,
    agent_command,
    agent_environment,
    assert_clean_exit,
    free_port,
    layered_environment,
    run_agent_python,
    sse_events,
    start_agent,
    turn_number,
)
from tests.bedrock_emulator import BedrockEmulator


@pytest.fixture
def server_factory(agent_venv: Path) -> Iterator[list[ServerProcess]]:
    """Collects servers a test starts and stops them afterwards."""
    servers: list[ServerProcess] = []
    yield servers
    for server in servers:
        server.stop(timeout=10)
        server.cleanup()


def run_to_exit(env_overrides: dict[str, str | None], bedrock_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the container's own command
        agent_command(free_port()),
        cwd=AGENT_DIR,
        env=layered_environment(agent_environment(bedrock_url, env_overrides)),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"MODEL_ID": None}, "MODEL_ID is required"),
        ({"MAX_SESSIONS": "0"}, "MAX_SESSIONS must be a positive integer; got '0'"),
    ],
    ids=["no-model", "sessions-zero"],
)
def test_bad_configuration_stops_the_container_command_with_a_clear_message(
    agent_venv: Path, bedrock: BedrockEmulator, overrides: dict[str, str | None], message: str
) -> None:
    completed = run_to_exit(overrides, bedrock.url)
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert f"agent: configuration error: {message}" in output
    assert "Traceback" not in output


CONFIG_RULES: list[tuple[dict[str, str], str]] = [
    ({"MODEL_ID": "  "}, "MODEL_ID is required"),
    ({"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}, "AWS_REGION is required"),
    ({"MAX_PROMPT_CHARS": "lots"}, "MAX_PROMPT_CHARS must be a positive integer; got 'lots'"),
    ({"MAX_PROMPT_CHARS": "-5"}, "MAX_PROMPT_CHARS must be a positive integer; got '-5'"),
    ({"MODEL_MAX_ATTEMPTS": "1.5"}, "MODEL_MAX_ATTEMPTS must be a positive integer; got '1.5'"),
    ({"MODEL_RETRY_BUDGET_SECONDS": "-1"}, "MODEL_RETRY_BUDGET_SECONDS must be a positive number of seconds"),
    ({"MODEL_READ_TIMEOUT_SECONDS": "inf"}, "MODEL_READ_TIMEOUT_SECONDS must be a positive number of seconds"),
    ({"MODEL_CONNECT_TIMEOUT_SECONDS": "nan"}, "MODEL_CONNECT_TIMEOUT_SECONDS must be a positive number"),
    ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL must be one of"),
]
CHECK_RULES = """
import json, sys
from agentcore_agent.settings import ConfigError, Settings
base = {"MODEL_ID": "m", "AWS_REGION": "us-east-1"}
for overrides in json.loads(sys.argv[1]):
    try:
        Settings.from_env({**base, **overrides})
        print("accepted")
    except ConfigError as error:
        print(error)
"""


def test_every_configuration_rule_names_its_variable(agent_venv: Path) -> None:
    printed = run_agent_python(CHECK_RULES, json.dumps([rule for rule, _ in CONFIG_RULES]), venv=agent_venv)
    for line, (_, message) in zip(printed.splitlines(), CONFIG_RULES, strict=True):
        assert line.startswith(message), line


def test_garbage_collection_runs_once_the_app_is_loaded(agent_venv: Path, bedrock: BedrockEmulator) -> None:
    """The app loads with the collector off and freezes what it loaded; it must switch it back on,
    or every reference cycle a turn creates would be kept for the life of the process."""
    printed = run_agent_python(
        "import gc, agent; print(gc.isenabled(), gc.get_freeze_count())", bedrock_url=bedrock.url, venv=agent_venv
    )
    enabled, frozen = printed.split()[-2:]
    assert enabled == "True"
    assert int(frozen) > 10_000  # the loaded modules' objects are out of every later collection


def test_missing_credentials_answer_503_and_the_server_keeps_serving(
    server_factory: list[ServerProcess], bedrock: BedrockEmulator
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
    server = start_agent(bedrock.url, no_credentials)
    server_factory.append(server)
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


def test_least_recently_used_idle_session_is_forgotten_beyond_max_sessions(
    server_factory: list[ServerProcess], bedrock: BedrockEmulator
) -> None:
    server = start_agent(bedrock.url, {"MAX_SESSIONS": "2"})
    server_factory.append(server)
    tag = uuid.uuid4().hex[:8]
    a, b, c = (f"lru-{name}-{uuid.uuid4()}" for name in "abc")

    def turn(session: str) -> int:
        response = http.post("/invocations", json={"prompt": f"lru {tag}"}, headers={SESSION: session})
        assert response.status_code == 200
        return turn_number(response.json()["completion"])

    with httpx.Client(base_url=server.url, timeout=30) as http:
        assert [turn(a), turn(b), turn(a)] == [1, 1, 2]  # a is now the most recently used
        assert turn(c) == 1  # third session: b, the least recently used, is dropped
        assert turn(a) == 3
        assert turn(b) == 1  # b starts over


BACKGROUND_APP = '''
"""A developer's extension of the agent: an endpoint that starts background work."""
import asyncio

from starlette.responses import JSONResponse
from starlette.routing import Route

from agent import app
from agentcore_agent.health import background


async def hold(seconds: float) -> None:
    async with background.work():  # nested inside spawn(): still one busy period
        await asyncio.sleep(seconds)


async def start(request):
    background.spawn(hold(float(request.query_params["seconds"])))
    return JSONResponse({"started": True})


app.router.routes.append(Route("/background", start, methods=["POST"]))
'''


def test_ping_is_busy_exactly_while_background_work_runs(
    server_factory: list[ServerProcess], bedrock: BedrockEmulator, tmp_path: Path
) -> None:
    (tmp_path / "background_app.py").write_text(textwrap.dedent(BACKGROUND_APP))
    port = free_port()
    command = [part if part != "agent:app" else "background_app:app" for part in agent_command(port)]
    env = agent_environment(bedrock.url, {"PYTHONPATH": str(tmp_path)})
    server = ServerProcess(command, port=port, cwd=AGENT_DIR, env=env).start()
    server_factory.append(server)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        idle = http.get("/ping").json()
        assert idle["status"] == "Healthy"
        time.sleep(1.1)  # so a status change must move the whole-second timestamp
        assert http.post("/background", params={"seconds": 2}).status_code == 200
        busy = [http.get("/ping").json() for _ in range(3)]
        assert {entry["status"] for entry in busy} == {"HealthyBusy"}
        assert busy[0]["time_of_last_update"] > idle["time_of_last_update"]
        assert all(entry == busy[0] for entry in busy)  # unchanged while the status holds
        deadline = time.monotonic() + 10
        while (after := http.get("/ping").json())["status"] != "Healthy" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert after["status"] == "Healthy"
        assert after["time_of_last_update"] > busy[0]["time_of_last_update"]
        time.sleep(1.1)
        assert http.get("/ping").json() == after  # idle again: the timestamp stays put


def test_sigterm_lets_an_in_flight_stream_finish_before_exit(
    server_factory: list[ServerProcess], bedrock: BedrockEmulator
) -> None:
    server = start_agent(bedrock.url)
    server_factory.append(server)
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
    assert_clean_exit(result.returncode, result.output)
    with pytest.raises(httpx.TransportError):
        httpx.get(server.url + "/ping", timeout=2)  # and it is really gone


def test_sse_parser_used_by_these_tests_rejects_malformed_bodies() -> None:
    """Guard for the helper the contract tests rely on: it must not accept stray lines."""
    good = httpx.Response(200, headers={"content-type": "text/event-stream"}, text='data: {"delta":"a"}\n\n')
    assert sse_events(good) == [{"delta": "a"}]
    for text in ('data: {"delta":"a"}\n', 'event: x\ndata: {"a":1}\n\n', '{"delta":"a"}\n\n'):
        with pytest.raises(AssertionError):
            sse_events(httpx.Response(200, headers={"content-type": "text/event-stream"}, text=text))
