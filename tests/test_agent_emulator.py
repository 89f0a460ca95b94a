"""The Bedrock Runtime emulator the agent tests rely on: its frames decode with botocore's own
event-stream parser (CRCs included), its errors look like Bedrock's, and it runs standalone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from tests.testkit.agent_image import REPO_ROOT, run_agent_python
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.processes import ServerProcess, free_port

DECODE = """
import json, sys
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer
from tests.testkit.bedrock_emulator import event_frame, exception_frame

frames = event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "h\\u00e9llo"}})
frames += exception_frame("modelStreamErrorException", "broken")
buffer = EventStreamBuffer()
for start in range(0, len(frames), 7):  # arrive in small pieces, as over a socket
    buffer.add_data(frames[start:start + 7])
decoded = [{"headers": m.headers, "payload": json.loads(m.payload)} for m in buffer]

def rejects(position):
    corrupt = bytearray(event_frame("messageStop", {"stopReason": "end_turn"}))
    corrupt[position] ^= 0x01
    bad = EventStreamBuffer()
    bad.add_data(bytes(corrupt))
    try:
        list(bad)
    except ChecksumMismatch:
        return True
    return False

print(json.dumps({"decoded": decoded, "prelude_crc_checked": rejects(9), "message_crc_checked": rejects(-1),
                  "payload_crc_checked": rejects(-6)}))
"""


def test_frames_decode_with_botocores_event_stream_parser(agent_venv: Path) -> None:
    result = json.loads(run_agent_python(DECODE, cwd=REPO_ROOT, venv=agent_venv))  # the agent env has botocore
    delta, exception = result["decoded"]
    assert delta["headers"] == {
        ":event-type": "contentBlockDelta",
        ":content-type": "application/json",
        ":message-type": "event",
    }
    assert delta["payload"] == {"contentBlockIndex": 0, "delta": {"text": "héllo"}}
    assert exception["headers"][":message-type"] == "exception"
    assert exception["headers"][":exception-type"] == "modelStreamErrorException"
    assert exception["payload"] == {"message": "broken"}
    assert result["prelude_crc_checked"] and result["message_crc_checked"] and result["payload_crc_checked"]


def test_errors_carry_bedrocks_status_error_type_header_and_message() -> None:
    with BedrockEmulator() as emulator, httpx.Client(base_url=emulator.url) as http:
        body = {"messages": [{"role": "user", "content": [{"text": "hi [[fail:throttle]]"}]}]}
        throttled = http.post("/model/m/converse-stream", json=body)
        assert throttled.status_code == 429
        assert throttled.headers["x-amzn-ErrorType"].split(":")[0] == "ThrottlingException"
        assert throttled.json() == {"message": "Too many requests, please wait before trying again."}

        twice_user = {"messages": [{"role": "user", "content": [{"text": "a"}]}] * 2}
        rejected = http.post("/model/m/converse", json=twice_user)
        assert rejected.status_code == 400
        assert rejected.headers["x-amzn-ErrorType"].startswith("ValidationException:")
        assert "alternate" in rejected.json()["message"]

        assert http.post("/model/m/invoke", json=body).status_code == 404
        assert [request.operation for request in emulator.requests] == ["converse-stream", "converse"]


def test_converse_answers_one_document_and_records_the_request() -> None:
    with BedrockEmulator() as emulator, httpx.Client(base_url=emulator.url) as http:
        body = {"messages": [{"role": "user", "content": [{"text": "ping [[chunks:2]]"}]}]}
        answer = http.post("/model/my.model%3A0/converse", json=body).json()
    assert answer["output"]["message"] == {"role": "assistant", "content": [{"text": "You said: ping. Turn 1."}]}
    assert answer["stopReason"] == "end_turn"
    assert answer["usage"]["outputTokens"] == 2
    (request,) = emulator.requests
    assert request.model_id == "my.model:0"
    assert request.last_user_text == "ping [[chunks:2]]"


def test_runs_standalone_for_benchmarks() -> None:
    port = free_port()
    command = [sys.executable, "-m", "tests.testkit.bedrock_emulator", "--port", str(port), "--chunk-delay", "0.01"]
    server = ServerProcess(command, port=port, cwd=REPO_ROOT).start()
    try:
        body = {"messages": [{"role": "user", "content": [{"text": "standalone"}]}]}
        response = httpx.post(server.url + "/model/m/converse-stream", json=body)
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/vnd.amazon.eventstream"
        assert b"You said" in response.content
    finally:
        result = server.stop()
        server.cleanup()
    assert result.output.startswith(f"http://127.0.0.1:{port}")
    assert result.returncode == 0  # SIGTERM is its normal way to stop


def test_directives_in_the_model_id_apply_to_every_request_to_that_model() -> None:
    with BedrockEmulator() as emulator, httpx.Client(base_url=emulator.url) as http:
        body = {"messages": [{"role": "user", "content": [{"text": "plain"}]}]}
        failing = http.post("/model/m[[fail:access-denied]]/converse", json=body)
        chunked = http.post("/model/m[[chunks:1]]/converse-stream", json=body)
    assert failing.status_code == 403
    assert failing.headers["x-amzn-ErrorType"].startswith("AccessDeniedException:")
    assert chunked.content.count(b"contentBlockDelta") == 1
