"""The agent's HTTP contract, end to end: the container's command, the image's locked environment,
the real Strands ``BedrockModel`` and boto3, and a local Bedrock Runtime emulator.

One server serves the whole module (tests use distinct session ids and prompt nonces, and pick
the emulator's scenario per request). Every response body the shared client receives is scanned
for the agent's internals.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator, turn_number, upstream_error_texts
from tests.testkit.contract import REQUEST_ID, SESSION
from tests.testkit.processes import ServerProcess
from tests.testkit.sse import sse_events

SYSTEM_PROMPT = "Sentinel instructions 7f3a: be brief."
MAX_PROMPT_CHARS = 2000
RETRY_BUDGET_SECONDS = 3.0
# Things that must never reach a client: the system prompt, tool configuration, message history
# and Python reprs of Strands objects, tracebacks.
FORBIDDEN = (
    "system",
    "Sentinel instructions",
    "toolConfig",
    "toolSpec",
    "inputSchema",
    "toolUse",
    "<strands",
    "Message(",
    "{'role'",
    "'role':",
    '"role"',
    "AgentResult",
    "Traceback",
    "botocore",
)


# What Bedrock (here, the emulator) said: the caller gets a fixed sentence per code instead.
UPSTREAM = (*upstream_error_texts(), "emulated-model", "ThrottlingException", "ValidationException", "x-amzn")

# The fixed sentence of every error code (the contract; written out, not taken from the agent).
ERROR_TEXTS = {
    "empty_body": 'The request body is empty; send a JSON object like {"prompt": "..."}.',
    "invalid_json": "The request body is not valid JSON.",
    "invalid_payload": 'The request body must be a JSON object like {"prompt": "..."}.',
    "missing_prompt": 'The field "prompt" is required.',
    "invalid_prompt": 'The field "prompt" must be a string.',
    "empty_prompt": 'The field "prompt" must not be empty.',
    "prompt_too_long": f'The field "prompt" is longer than {MAX_PROMPT_CHARS} characters.',
    "invalid_stream": 'The field "stream" must be true or false.',
    "payload_too_large": "The request body is too large.",
    "invalid_session_id": "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id is longer than 256 characters.",
    "model_throttled": "The model is throttling requests; retry later.",
    "model_access_denied": "The agent's AWS identity is not allowed to invoke the model.",
    "model_not_found": "The configured model does not exist or is not available here.",
    "model_request_rejected": "The model rejected the request.",
    "model_timeout": "The model did not answer in time.",
    "model_unavailable": "The model service is unavailable; retry later.",
    "model_stream_failed": "The model's answer stream broke off.",
    "model_error": "The model failed to answer.",
    "context_window_exceeded": "The conversation no longer fits the model's context window.",
    "model_output_truncated": "The model hit its output token limit.",
    "internal_error": "The agent failed unexpectedly.",
}


def error_body(code: str) -> dict[str, str]:
    return {"error": ERROR_TEXTS[code], "code": code}


def assert_no_internals(text: str) -> None:
    leaked = [marker for marker in (*FORBIDDEN, *UPSTREAM) if marker in text]
    assert not leaked, f"response leaks {leaked}: {text[:500]}"


@pytest.fixture(scope="module")
def agent(agent_implementation: AgentImplementation, bedrock: BedrockEmulator) -> Iterator[ServerProcess]:
    server = agent_implementation.start(
        bedrock.url,
        {
            "SYSTEM_PROMPT": SYSTEM_PROMPT,
            "MAX_PROMPT_CHARS": str(MAX_PROMPT_CHARS),
            "MAX_SESSIONS": "200",
            "MODEL_RETRY_BUDGET_SECONDS": str(RETRY_BUDGET_SECONDS),
            "MODEL_MAX_ATTEMPTS": "2",
            "MODEL_READ_TIMEOUT_SECONDS": "2",
        },
    )
    yield server
    result = server.stop()
    server.cleanup()
    agent_implementation.assert_clean_exit(result)
    # Every scenario above (failures, disconnects, tools) ended its spans in its own task (the
    # text is OpenTelemetry Python's; other implementations never print it).
    assert "Failed to detach context" not in result.output, result.output[-3000:]


@pytest.fixture(scope="module")
def client(agent: ServerProcess) -> Iterator[httpx.Client]:
    """A client whose every response is read and scanned for internals."""

    def scan(response: httpx.Response) -> None:
        response.read()
        assert_no_internals(response.text)

    with httpx.Client(base_url=agent.url, timeout=60, event_hooks={"response": [scan]}) as http:
        yield http


def nonce() -> str:
    return uuid.uuid4().hex[:12]


def session_id() -> str:
    return f"test-session-{uuid.uuid4()}"  # AgentCore ids are at least 33 characters


def invoke(
    client: httpx.Client,
    prompt: str,
    *,
    session: str | None = None,
    stream: bool | None = None,
    accept: str | None = None,
) -> httpx.Response:
    payload: dict[str, Any] = {"prompt": prompt}
    if stream is not None:
        payload["stream"] = stream
    headers = {SESSION: session} if session else {}
    if accept:
        headers["Accept"] = accept
    return client.post("/invocations", json=payload, headers=headers)


# --- /ping -------------------------------------------------------------------------------------


def sleep_past_the_next_second() -> None:
    """Wait until the wall clock's whole second has moved on (so a stamped "now" would differ)."""
    time.sleep(1.05 - time.time() % 1)


def test_ping_reports_healthy_with_a_timestamp_that_stays_put_across_seconds(client: httpx.Client) -> None:
    first = client.get("/ping")
    first_second = int(time.time())
    sleep_past_the_next_second()
    invoke(client, f"between pings {nonce()}")  # an invocation is not background work
    sleep_past_the_next_second()
    second = client.get("/ping")
    assert int(time.time()) >= first_second + 2  # the pings were really seconds apart
    assert first.status_code == second.status_code == 200
    assert first.headers["content-type"] == "application/json"
    body = first.json()
    assert set(body) == {"status", "time_of_last_update"}
    assert body["status"] == "Healthy"
    assert isinstance(body["time_of_last_update"], int)
    assert body["time_of_last_update"] <= first_second  # the last status change, not "now"
    assert abs(body["time_of_last_update"] - time.time()) < 3600
    assert second.json() == body  # no status change, so the timestamp stays put


# --- answers -------------------------------------------------------------------------------------


def test_json_answer_has_completion_session_stop_reason_and_usage(client: httpx.Client) -> None:
    tag, session = nonce(), session_id()
    response = invoke(client, f"hello {tag}", session=session)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers[SESSION] == session
    body = response.json()
    assert set(body) == {"completion", "session_id", "stop_reason", "usage"}
    assert body["completion"] == f"You said: hello {tag}. Turn 1."
    assert body["session_id"] == session
    assert body["stop_reason"] == "end_turn"
    usage = body["usage"]
    assert set(usage) == {"input_tokens", "output_tokens", "total_tokens"}
    assert usage["output_tokens"] == 3  # the emulator's default: three chunks, one token each
    assert usage["input_tokens"] > 0
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]


def test_usage_counts_each_turns_own_model_calls(client: httpx.Client, bedrock: BedrockEmulator) -> None:
    tag, session = nonce(), session_id()
    prompts = [f"first {tag} [[chunks:3]]", f"second {tag} [[chunks:5]]", f"third {tag} [[tool:current_time]]"]
    usages = [invoke(client, prompt, session=session).json()["usage"] for prompt in prompts]
    # The model calls in arrival order: one per plain turn, two for the tool turn.
    calls = bedrock.requests_mentioning(tag)
    assert len(calls) == 4
    per_turn = [calls[0:1], calls[1:2], calls[2:4]]
    for usage, turn_calls, outputs in zip(usages, per_turn, (3, 5, 1 + 3), strict=True):
        # The emulator counts a call's input as the words of its messages and its output as its
        # chunks (a tool call is one); a turn's usage is the sum over its own calls only.
        inputs = sum(len(json.dumps(call.body["messages"]).split()) for call in turn_calls)
        assert usage == {"input_tokens": inputs, "output_tokens": outputs, "total_tokens": inputs + outputs}


def test_model_receives_the_configured_system_prompt_and_built_in_tools(
    client: httpx.Client, bedrock: BedrockEmulator
) -> None:
    tag = nonce()
    assert invoke(client, f"config check {tag}").status_code == 200
    (request,) = bedrock.requests_containing(tag)
    assert request.operation == "converse-stream"
    assert request.model_id == "emulated-model"
    assert request.body["system"] == [{"text": SYSTEM_PROMPT}]
    tools = {tool["toolSpec"]["name"] for tool in request.body["toolConfig"]["tools"]}
    assert tools == {"calculate", "current_time"}
    assert request.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")


@pytest.mark.parametrize(
    ("stream", "accept"),
    [(None, "text/event-stream"), (True, None), (None, "application/json, text/event-stream;q=0.9")],
    ids=["accept-header", "stream-field", "accept-list"],
)
def test_sse_answer_streams_deltas_then_one_final_event(
    client: httpx.Client, stream: bool | None, accept: str | None
) -> None:
    tag, session = nonce(), session_id()
    response = invoke(client, f"stream me {tag} ünïcødé ✓ [[chunks:5]]", session=session, stream=stream, accept=accept)
    assert response.status_code == 200
    assert response.headers[SESSION] == session
    assert "ünïcødé ✓" in response.text  # the final event: UTF-8 JSON, not ASCII-escaped
    events = sse_events(response)
    *deltas, final = events
    assert len(deltas) == 5
    assert all(set(event) == {"delta"} and event["delta"] for event in deltas)
    assert set(final) == {"completion", "stop_reason", "usage"}
    assert final["completion"] == f"You said: stream me {tag} ünïcødé ✓. Turn 1."
    assert "".join(event["delta"] for event in deltas) == final["completion"]
    assert final["stop_reason"] == "end_turn"
    assert final["usage"]["output_tokens"] == 5


@pytest.mark.parametrize(
    ("stream", "accept"),
    [
        (False, "application/json"),
        (None, "text/plain"),
        (None, "text/html, application/xhtml+xml;q=0.9"),
        (None, "*/*"),
        (False, None),
    ],
)
def test_without_stream_true_or_an_sse_accept_the_answer_is_json(
    client: httpx.Client, stream: bool | None, accept: str | None
) -> None:
    response = invoke(client, f"plain {nonce()}", stream=stream, accept=accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "completion" in response.json()


def test_tool_call_runs_the_calculator_and_answers_with_its_result(
    client: httpx.Client, bedrock: BedrockEmulator
) -> None:
    tag = nonce()
    response = invoke(client, f"what is it {tag} [[tool:calculate:(17 + 4) * 2 ** 3 / 7]]")
    assert response.status_code == 200
    assert response.json()["completion"] == "Tool result: 24.0"
    _, second = bedrock.requests_mentioning(tag)
    assert second.body["messages"][-1]["content"][0]["toolResult"]["content"] == [{"text": "24.0"}]
    assert second.body["messages"][-2]["content"][0]["toolUse"]["name"] == "calculate"


def test_tool_call_streams_its_final_answer(client: httpx.Client) -> None:
    events = sse_events(invoke(client, f"time {nonce()} [[tool:current_time]]", stream=True))
    final = events[-1]
    assert re.fullmatch(r"Tool result: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", final["completion"])
    assert "".join(event["delta"] for event in events[:-1]) == final["completion"]


@pytest.mark.parametrize(
    ("expression", "refusal"),
    [
        ("().__class__", "only numbers"),
        ("__import__('os')", "only numbers"),
        ("9 ** 9 ** 9", "exponent larger"),
        ("1 / 0", "division by zero"),
    ],
)
def test_calculator_refuses_anything_but_bounded_arithmetic(
    client: httpx.Client, bedrock: BedrockEmulator, expression: str, refusal: str
) -> None:
    tag = nonce()
    response = invoke(client, f"calc {tag} [[tool:calculate:{expression}]]")
    assert response.status_code == 200
    assert refusal in response.json()["completion"]
    result = bedrock.requests_mentioning(tag)[-1].body["messages"][-1]["content"][0]["toolResult"]
    assert result["content"][0]["text"].startswith("Error: ")


# --- sessions ------------------------------------------------------------------------------------


def test_second_turn_in_a_session_carries_the_first(client: httpx.Client, bedrock: BedrockEmulator) -> None:
    tag, session = nonce(), session_id()
    first = invoke(client, f"first {tag}", session=session).json()
    second = invoke(client, f"second {tag}", session=session).json()
    assert turn_number(first["completion"]) == 1
    assert turn_number(second["completion"]) == 2
    last = bedrock.requests_containing(f"second {tag}")[-1]
    messages = last.body["messages"]
    assert [message["role"] for message in messages] == ["user", "assistant", "user"]
    assert messages[0]["content"][0]["text"] == f"first {tag}"
    assert messages[1]["content"][0]["text"] == first["completion"]


def test_sessions_do_not_see_each_other(client: httpx.Client, bedrock: BedrockEmulator) -> None:
    tag = nonce()
    invoke(client, f"alpha {tag}", session=session_id())
    other = invoke(client, f"beta {tag}", session=session_id()).json()
    assert turn_number(other["completion"]) == 1
    (request,) = bedrock.requests_containing(f"beta {tag}")
    assert f"alpha {tag}" not in json.dumps(request.body)


def test_request_without_session_header_gets_a_fresh_session_it_can_continue(client: httpx.Client) -> None:
    tag = nonce()
    one = invoke(client, f"anonymous {tag}")
    two = invoke(client, f"anonymous {tag}")
    assert turn_number(one.json()["completion"]) == turn_number(two.json()["completion"]) == 1
    assigned = one.json()["session_id"]
    assert assigned != two.json()["session_id"]
    assert one.headers[SESSION] == assigned
    assert len(assigned) >= 33  # usable as an AgentCore runtimeSessionId
    again = invoke(client, f"continued {tag}", session=assigned).json()
    assert turn_number(again["completion"]) == 2


def test_concurrent_requests_in_one_session_run_one_after_another(
    client: httpx.Client, bedrock: BedrockEmulator
) -> None:
    tag, session = nonce(), session_id()
    prompts = [f"queued {tag} {index} [[delay:0.2]]" for index in range(3)]
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(lambda prompt: invoke(client, prompt, session=session), prompts))
    assert [response.status_code for response in responses] == [200, 200, 200]
    assert sorted(turn_number(response.json()["completion"]) for response in responses) == [1, 2, 3]
    # Each model call saw every earlier turn complete: 1, then 3, then 5 messages.
    sizes = sorted(len(request.body["messages"]) for request in bedrock.requests_containing(f"queued {tag}"))
    assert sizes == [1, 3, 5]


def test_different_sessions_are_answered_in_parallel(client: httpx.Client, bedrock: BedrockEmulator) -> None:
    tag = nonce()
    prompts = [f"parallel {tag} {index} [[chunks:4]] [[delay:0.5]]" for index in range(4)]
    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(lambda prompt: invoke(client, prompt, session=session_id()), prompts))
    assert all(response.status_code == 200 for response in responses)
    arrivals = sorted(request.received_at for request in bedrock.requests_containing(f"parallel {tag}"))
    assert len(arrivals) == 4
    # Each answer takes 2 s; served one after another, the model calls would start 2 s apart.
    assert arrivals[-1] - arrivals[0] < 1.5


def test_client_leaving_a_stream_frees_its_session_at_once(client: httpx.Client, agent: ServerProcess) -> None:
    tag, session = nonce(), session_id()
    assert turn_number(invoke(client, f"before {tag}", session=session).json()["completion"]) == 1
    # A 20 s answer, abandoned after its first piece of text.
    payload = {"prompt": f"long {tag} [[chunks:40]] [[delay:0.5]]", "stream": True}
    with (
        httpx.Client(base_url=agent.url, timeout=30) as leaving,
        leaving.stream("POST", "/invocations", json=payload, headers={SESSION: session}) as response,
    ):
        assert next(response.iter_lines()).startswith("data: ")
    # Were the session still locked by the abandoned turn, this would wait ~20 s and time out.
    after = client.post("/invocations", json={"prompt": f"after {tag}"}, headers={SESSION: session}, timeout=10)
    assert after.status_code == 200
    assert turn_number(after.json()["completion"]) == 2  # the abandoned turn left no history


def test_a_stream_abandoned_while_queued_never_reaches_the_model(
    client: httpx.Client, agent: ServerProcess, bedrock: BedrockEmulator
) -> None:
    tag, session = nonce(), session_id()
    with ThreadPoolExecutor(1) as pool:
        busy = pool.submit(invoke, client, f"busy {tag} [[chunks:4]] [[delay:0.5]]", session=session)
        time.sleep(0.5)  # the first turn holds the session now
        payload = {"prompt": f"queued then gone {tag}", "stream": True}
        with httpx.Client(base_url=agent.url, timeout=30) as leaving:
            with pytest.raises(httpx.ReadTimeout):  # it waits behind the busy turn; the client gives up
                leaving.post("/invocations", json=payload, headers={SESSION: session}, timeout=0.5)
        assert turn_number(busy.result().json()["completion"]) == 1
    after = invoke(client, f"after {tag}", session=session)
    assert turn_number(after.json()["completion"]) == 2
    assert bedrock.requests_containing(f"queued then gone {tag}") == []


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"", 400, "empty_body"),
        (b"   \n", 400, "empty_body"),
        (b"{not json", 400, "invalid_json"),
        (b"\xff\xfe\x00", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_payload"),
        (b'"just a string"', 400, "invalid_payload"),
        (b"null", 400, "invalid_payload"),
        (b"{}", 400, "missing_prompt"),
        (b'{"message": "hi"}', 400, "missing_prompt"),
        (b'{"prompt": 5}', 400, "invalid_prompt"),
        (b'{"prompt": null}', 400, "invalid_prompt"),
        (b'{"prompt": ["hi"]}', 400, "invalid_prompt"),
        (b'{"prompt": ""}', 400, "empty_prompt"),
        (b'{"prompt": " \\n\\t "}', 400, "empty_prompt"),
        (json.dumps({"prompt": "x" * (MAX_PROMPT_CHARS + 1)}).encode(), 413, "prompt_too_long"),
        (b'{"prompt": "hi", "stream": "yes"}', 400, "invalid_stream"),
        (b"x" * (MAX_PROMPT_CHARS * 6 + 64 * 1024 + 1), 413, "payload_too_large"),
    ],
)
def test_bad_invocation_body_gets_a_4xx_json_error_carrying_the_session(
    client: httpx.Client, body: bytes, status: int, code: str
) -> None:
    session = session_id()
    response = client.post("/invocations", content=body, headers={"Content-Type": "application/json", SESSION: session})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body(code)
    assert response.headers[SESSION] == session  # every answer that knows a valid session id carries it


def test_bad_body_without_a_session_header_gets_no_session(client: httpx.Client) -> None:
    """No session was started for a refused request, so there is no id to give back."""
    for body in (b"{oops", b'{"prompt": ""}', b"x" * (MAX_PROMPT_CHARS * 6 + 64 * 1024 + 1)):
        response = client.post("/invocations", content=body)
        assert response.status_code in (400, 413)
        assert SESSION not in response.headers


def chunked(body: bytes, piece: int = 65536) -> Iterator[bytes]:
    """A request body httpx sends with Transfer-Encoding: chunked (no Content-Length)."""
    for start in range(0, len(body), piece):
        yield body[start : start + piece]


def test_body_limit_holds_for_a_chunked_body_without_content_length(client: httpx.Client) -> None:
    limit = MAX_PROMPT_CHARS * 6 + 64 * 1024
    over = json.dumps({"prompt": "hi", "pad": "p" * limit}).encode()
    request = client.build_request("POST", "/invocations", content=chunked(over))
    assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
    response = client.send(request)
    assert response.status_code == 413
    assert response.json() == error_body("payload_too_large")
    # Exactly at the limit, still chunked, the body is read and answered.
    tag = nonce()
    prompt = json.dumps({"prompt": f"chunked {tag}", "pad": ""}).encode()
    at_limit = prompt[:-2] + b"p" * (limit - len(prompt)) + b'"}'
    assert len(at_limit) == limit
    response = client.send(client.build_request("POST", "/invocations", content=chunked(at_limit)))
    assert response.status_code == 200
    assert response.json()["completion"] == f"You said: chunked {tag}. Turn 1."
    # The same body with its Content-Length declared is accepted too, one byte more is not.
    declared = client.post("/invocations", content=at_limit)
    assert declared.request.headers["content-length"] == str(limit)
    assert declared.status_code == 200
    over_by_one = at_limit[:-2] + b'p"}'
    assert client.post("/invocations", content=over_by_one).status_code == 413
    assert client.send(client.build_request("POST", "/invocations", content=chunked(over_by_one))).status_code == 413


def test_a_declared_content_length_over_the_limit_is_refused_before_the_body_arrives(agent: ServerProcess) -> None:
    """The agent answers 413 from the headers alone: it does not wait for (or read) a huge body."""
    host, port = agent.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(
            b"POST /invocations HTTP/1.1\r\nHost: agent\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )  # and no body at all: a server waiting for it would never answer
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413 ")


@pytest.mark.parametrize(
    "content_type",
    [
        None,
        "text/plain",
        "application/octet-stream",
        "application/x-www-form-urlencoded",
        "application/json; charset=utf-8",
    ],
)
def test_any_content_type_is_accepted(client: httpx.Client, content_type: str | None) -> None:
    tag = nonce()
    headers = {"Content-Type": content_type} if content_type else {}
    response = client.post("/invocations", content=json.dumps({"prompt": f"typed {tag}"}).encode(), headers=headers)
    assert response.status_code == 200
    assert response.json()["completion"] == f"You said: typed {tag}. Turn 1."


def test_prompt_at_the_limit_is_accepted(client: httpx.Client) -> None:
    response = invoke(client, "y" * (MAX_PROMPT_CHARS - 13) + f" {nonce()}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/invocations", 405, "method_not_allowed"),
        ("PUT", "/invocations", 405, "method_not_allowed"),
        ("POST", "/ping", 405, "method_not_allowed"),
        ("GET", "/", 404, "not_found"),
        ("POST", "/invoke", 404, "not_found"),
        ("GET", "/ping/extra", 404, "not_found"),
    ],
)
def test_unknown_paths_and_methods_get_json_errors(
    client: httpx.Client, method: str, path: str, status: int, code: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == status
    message = {
        "not_found": f"No route {path}; use POST /invocations or GET /ping.",
        "method_not_allowed": f"{method} is not allowed on {path}.",
    }[code]
    assert response.json() == {"error": message, "code": code}


def test_overlong_session_id_is_rejected_without_echoing_it(client: httpx.Client) -> None:
    response = invoke(client, "hi", session="s" * 257)
    assert response.status_code == 400
    assert response.json() == error_body("invalid_session_id")
    assert SESSION not in response.headers  # not a valid id, so not given back


def test_session_id_at_the_limit_is_accepted(client: httpx.Client) -> None:
    session = "s" * 224 + uuid.uuid4().hex
    response = invoke(client, f"long id {nonce()}", session=session)
    assert response.status_code == 200
    assert response.headers[SESSION] == session


def test_server_keeps_serving_after_bad_input(client: httpx.Client) -> None:
    for body in (b"", b"{oops", b"[]", b'{"prompt": 1}'):
        assert client.post("/invocations", content=body).status_code == 400
    assert client.get("/ping").status_code == 200
    assert invoke(client, f"still here {nonce()}").status_code == 200


# --- model failures ------------------------------------------------------------------------------

MODEL_FAILURES = [
    ("throttle", 429, "model_throttled"),
    ("access-denied", 502, "model_access_denied"),
    ("invalid-model", 502, "model_not_found"),
    ("not-found", 502, "model_not_found"),
    ("validation", 502, "model_request_rejected"),
    ("model-timeout", 504, "model_timeout"),
    ("stall", 504, "model_timeout"),
    ("unavailable", 503, "model_unavailable"),
    ("internal", 502, "model_error"),
    ("context-overflow", 413, "context_window_exceeded"),
    ("cut", 502, "model_stream_failed"),
    ("stream-exception", 502, "model_stream_failed"),
    ("garbled", 500, "internal_error"),
]
MID_STREAM = ("cut", "stream-exception", "garbled")


@pytest.mark.parametrize(("failure", "status", "code"), MODEL_FAILURES)
def test_model_failure_maps_to_a_json_error(client: httpx.Client, failure: str, status: int, code: str) -> None:
    session = session_id()
    response = invoke(client, f"fail {nonce()} [[fail:{failure}]] [[stall:5]]", session=session)
    assert response.status_code == status
    assert response.json() == error_body(code)
    assert response.headers[SESSION] == session


def test_output_cut_by_the_token_limit_is_an_error_not_a_partial_answer(client: httpx.Client) -> None:
    """Strands raises when the model stops at max_tokens; the agent answers model_output_truncated."""
    response = invoke(client, f"long answer {nonce()} [[stop:max_tokens]]")
    assert response.status_code == 502
    assert response.json() == error_body("model_output_truncated")
    streamed = invoke(client, f"long answer {nonce()} [[chunks:3]] [[stop:max_tokens]]", stream=True)
    assert streamed.status_code == 200  # the text was already on its way
    *deltas, last = sse_events(streamed)
    assert len(deltas) == 3 and all(set(event) == {"delta"} for event in deltas)
    assert last == error_body("model_output_truncated")


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [entry for entry in MODEL_FAILURES if entry[0] not in MID_STREAM],
)
def test_model_failure_before_any_text_keeps_its_status_when_streaming(
    client: httpx.Client, failure: str, status: int, code: str
) -> None:
    response = invoke(client, f"fail {nonce()} [[fail:{failure}]] [[stall:5]]", stream=True)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json() == error_body(code)


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        ("cut", "model_stream_failed"),
        ("stream-exception", "model_stream_failed"),
        ("stall-mid", "model_timeout"),
        ("garbled", "internal_error"),
    ],
)
def test_model_failure_mid_stream_ends_with_an_error_event(client: httpx.Client, failure: str, code: str) -> None:
    response = invoke(client, f"break {nonce()} [[chunks:6]] [[fail:{failure}]] [[stall:5]]", stream=True)
    assert response.status_code == 200
    *deltas, last = sse_events(response)
    assert len(deltas) == 2  # the emulator breaks after two chunks
    assert all(set(event) == {"delta"} for event in deltas)
    assert last == error_body(code)


def test_throttled_call_is_retried_within_the_budget(client: httpx.Client, bedrock: BedrockEmulator) -> None:
    tag = nonce()
    # botocore makes two attempts (MODEL_MAX_ATTEMPTS=2); the third succeeds only if Strands'
    # model call is retried by the agent's budgeted hook.
    response = invoke(client, f"busy model {tag} [[throttle-first:2]]")
    assert response.status_code == 200
    assert turn_number(response.json()["completion"]) == 1
    assert len(bedrock.requests_containing(tag)) == 3


def test_persistent_throttling_fails_within_the_retry_budget(client: httpx.Client, bedrock: BedrockEmulator) -> None:
    tag = nonce()
    started = time.monotonic()
    response = invoke(client, f"always busy {tag} [[fail:throttle]]")
    elapsed = time.monotonic() - started
    assert response.status_code == 429
    assert response.json() == error_body("model_throttled")
    arrivals = [request.received_at for request in bedrock.requests_containing(tag)]
    assert len(arrivals) > 2  # botocore's two attempts, then at least one retry of the model call
    # No retry starts later than the budget after the first call; the last call's own botocore
    # backoff (under a second for its second attempt) comes on top. Strands' default policy alone
    # would wait 4+8+16+32+64 s.
    assert arrivals[-1] - arrivals[0] <= RETRY_BUDGET_SECONDS + 1.5
    assert elapsed < RETRY_BUDGET_SECONDS + 6


def test_failed_turn_leaves_the_session_usable_and_its_history_clean(
    client: httpx.Client, bedrock: BedrockEmulator
) -> None:
    tag, session = nonce(), session_id()
    assert invoke(client, f"one {tag}", session=session).status_code == 200
    assert invoke(client, f"two {tag} [[fail:access-denied]]", session=session).status_code == 502
    broken = invoke(client, f"three {tag} [[chunks:6]] [[fail:cut]]", session=session, stream=True)
    assert sse_events(broken)[-1]["code"] == "model_stream_failed"
    four = invoke(client, f"four {tag}", session=session)
    assert four.status_code == 200
    assert turn_number(four.json()["completion"]) == 2
    (request,) = bedrock.requests_containing(f"four {tag}")
    sent = json.dumps(request.body["messages"])
    assert f"two {tag}" not in sent and f"three {tag}" not in sent


# --- logs ----------------------------------------------------------------------------------------


def test_access_log_has_one_json_line_per_request_without_prompt_text(
    client: httpx.Client, agent: ServerProcess
) -> None:
    tag, session, request_id = nonce(), session_id(), f"req-{uuid.uuid4()}"
    client.post("/invocations", json={"prompt": f"secret {tag}"}, headers={SESSION: session, REQUEST_ID: request_id})
    client.post("/invocations", content=b"{oops", headers={REQUEST_ID: request_id + "-bad"})
    client.get("/ping", headers={REQUEST_ID: request_id + "-ping"})
    client.post(
        "/invocations",
        json={"prompt": f"denied {tag} [[fail:access-denied]]"},
        headers={REQUEST_ID: request_id + "-denied"},
    )
    client.post(
        "/invocations",
        json={"prompt": f"broken {tag} [[chunks:6]] [[fail:cut]]", "stream": True},
        headers={REQUEST_ID: request_id + "-cut"},
    )
    client.post("/invocations", json={"prompt": f"garbled {tag} [[chunks:6]] [[fail:garbled]]"})
    time.sleep(0.2)
    output = agent.output()
    after_startup = output[output.index('"agent ready"') :].splitlines()[1:]
    lines = [json.loads(line) for line in after_startup]  # once configured, every line is JSON
    access = {line.get("request_id"): line for line in lines if line["logger"] == "agent.access"}
    ok = access[request_id]
    assert {key: ok[key] for key in ("level", "message", "method", "path", "status", "session_id")} == {
        "level": "INFO",
        "message": "request",
        "method": "POST",
        "path": "/invocations",
        "status": 200,
        "session_id": session,
    }
    assert ok["error_code"] is None and ok["stream"] is False
    assert isinstance(ok["duration_ms"], int | float)
    bad = access[request_id + "-bad"]
    assert bad["status"] == 400 and bad["error_code"] == "invalid_json"
    assert bad["session_id"] is None  # none sent, none assigned to a refused request
    denied = access[request_id + "-denied"]
    assert denied["status"] == 502 and denied["error_code"] == "model_access_denied"
    assert len(denied["session_id"]) >= 33  # the session assigned to the turn
    cut = access[request_id + "-cut"]
    assert (cut["status"], cut["error_code"], cut["stream"]) == (200, "model_stream_failed", True)
    # A mapped model failure is a WARNING naming its code and exception; an unmapped one an ERROR
    # with the whole failure.
    failures = [line for line in lines if line["logger"] == "agent" and "turn failed" in line["message"]]
    warned = {line["error_code"]: line for line in failures if line["level"] == "WARNING"}
    assert {"model_access_denied", "model_stream_failed"} <= set(warned)
    assert all(line["exception"] and line["cause"] for line in warned.values())
    errors = [line for line in failures if line["level"] == "ERROR"]
    assert [line["message"] for line in errors][-1:] == ["agent turn failed unexpectedly"]
    assert errors[-1]["exception"]  # the whole failure, for the log reader only
    # Health checks come every few seconds per session: at INFO they are not logged at all.
    assert request_id + "-ping" not in access
    assert tag not in output  # neither the prompt nor the answer echoing it is logged


@pytest.mark.python_agent
@pytest.mark.parametrize(
    ("prompt", "exception", "cause"),
    [
        ("[[fail:throttle]]", "ModelThrottledException", "ThrottlingException"),
        ("[[chunks:6]] [[fail:cut]]", "ProtocolError", "IncompleteRead"),
    ],
)
def test_failure_log_names_the_exception_and_its_root_cause(
    client: httpx.Client, agent: ServerProcess, prompt: str, exception: str, cause: str
) -> None:
    """The log reader gets what the caller does not: which Python exception, and what caused it."""
    assert invoke(client, f"logged {nonce()} {prompt}").status_code >= 400
    time.sleep(0.2)
    lines = [json.loads(line) for line in agent.output().splitlines() if '"agent turn failed"' in line]
    assert (lines[-1]["exception"], lines[-1]["cause"]) == (exception, cause)


# --- load ----------------------------------------------------------------------------------------


def test_ping_answers_while_many_slow_streams_are_open(agent: ServerProcess) -> None:
    """/ping is answered while 40 slow streams are all still open (how fast is bench/'s figure)."""
    streams = 40
    finished = 0

    async def scenario() -> tuple[list[dict[str, Any]], httpx.Response, int, list[list[dict[str, Any]]]]:
        limits = httpx.Limits(max_connections=streams + 5)
        async with httpx.AsyncClient(base_url=agent.url, timeout=60, limits=limits) as http:
            before = (await http.get("/ping")).json()
            opened = asyncio.Event()
            started = 0

            async def one_stream(index: int) -> list[dict[str, Any]]:
                nonlocal started, finished
                prompt = f"load {index} [[chunks:10]] [[delay:0.4]]"  # 4 s per stream
                events = []
                async with http.stream("POST", "/invocations", json={"prompt": prompt, "stream": True}) as response:
                    assert response.status_code == 200
                    async for line in response.aiter_lines():
                        if line.startswith("data: "):
                            events.append(json.loads(line[6:]))
                            if len(events) == 1:
                                started += 1
                                if started == streams:
                                    opened.set()
                finished += 1
                return events

            tasks = [asyncio.create_task(one_stream(index)) for index in range(streams)]
            await asyncio.wait_for(opened.wait(), timeout=30)  # every stream has sent text
            during = await http.get("/ping")
            finished_at_ping = finished
            results = await asyncio.gather(*tasks)
            return [before], during, finished_at_ping, results

    (before,), during, finished_at_ping, results = asyncio.run(scenario())
    assert during.status_code == 200
    assert finished_at_ping == 0  # answered while every stream was open, not queued behind them
    assert during.json() == before  # open invocations are the platform's business, not HealthyBusy
    for events in results:
        assert "completion" in events[-1], events[-1]
        assert len(events) == 11
