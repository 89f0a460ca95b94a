"""AgentCore Identity: the workload access token AgentCore sends reaches the agent's tools.

Tools that call AgentCore Identity read the token (and the request's session id) from
``bedrock_agentcore``'s request context. The app loads that SDK only when a request brings a token
(it costs startup time otherwise), so these tests check both halves: the SDK is not loaded at
startup, and a tool sees each request's own token and session id.

The server is the real app under uvicorn, from the image's locked environment, with one extra tool
appended to ``agentcore_agent.tools.BUILTIN_TOOLS`` the way a user adds tools; like a typical
Identity tool it imports the SDK itself, here inside its body so the lazy path is what is tested.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.testkit.agent_image import AGENT_DIR, run_agent_python
from tests.testkit.agents import PYTHON
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.contract import REQUEST_ID, SESSION
from tests.testkit.processes import ServerProcess, free_port

# AgentCore Identity here is the Python SDK's request context, reached through a Python tool.
pytestmark = pytest.mark.python_agent

WHOAMI_SERVER = '''
import sys

import uvicorn
from strands import tool

from agentcore_agent import tools


@tool
def whoami() -> str:
    """Report the workload access token and session id an AgentCore Identity call would use."""
    from bedrock_agentcore.runtime.context import BedrockAgentCoreContext

    token = BedrockAgentCoreContext.get_workload_access_token()
    request = BedrockAgentCoreContext.get_request_id()
    return f"token={token} session={BedrockAgentCoreContext.get_session_id()} request={request}"


tools.BUILTIN_TOOLS.append(whoami)
import agent

uvicorn.run(agent.app, host="127.0.0.1", port=int(sys.argv[1]), log_config=None)
'''


def test_the_sdk_is_not_loaded_at_startup(agent_venv: Path, bedrock: BedrockEmulator) -> None:
    printed = run_agent_python(
        "import sys, agent; print(sorted(sys.modules))", env=PYTHON.environment(bedrock.url), venv=agent_venv
    )
    modules = printed.splitlines()[-1]
    assert "'strands'" in modules  # the app really was imported
    assert "bedrock_agentcore" not in modules


@pytest.fixture(scope="module")
def server(agent_venv: Path, bedrock: BedrockEmulator) -> Iterator[ServerProcess]:
    port = free_port()
    process = ServerProcess(
        [str(agent_venv / "bin" / "python"), "-c", WHOAMI_SERVER, str(port)],
        port=port,
        cwd=AGENT_DIR,
        env=PYTHON.environment(bedrock.url),
    )
    with process:
        yield process


def ask_whoami(server: ServerProcess, headers: dict[str, str]) -> str:
    session = f"identity-session-{uuid.uuid4()}"
    request_id = f"identity-request-{uuid.uuid4()}"
    response = httpx.post(
        server.url + "/invocations",
        json={"prompt": f"who am I {uuid.uuid4().hex[:8]} [[tool:whoami]]"},
        headers={SESSION: session, REQUEST_ID: request_id, **headers},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    completion = response.json()["completion"]
    return completion.replace(session, "<session>").replace(request_id, "<request>")


def test_a_tool_sees_the_requests_workload_token_and_session(server: ServerProcess) -> None:
    token = f"wat-{uuid.uuid4().hex}"
    answer = ask_whoami(server, {"X-Amz-Bedrock-AgentCore-Identity-WAT": token})
    assert answer == f"Tool result: token={token} session=<session> request=<request>"


def test_the_older_token_header_name_works_too(server: ServerProcess) -> None:
    token = f"legacy-{uuid.uuid4().hex}"
    answer = ask_whoami(server, {"WorkloadAccessToken": token})
    assert answer == f"Tool result: token={token} session=<session> request=<request>"


def test_a_request_without_a_token_sees_none_not_an_earlier_requests(server: ServerProcess) -> None:
    ask_whoami(server, {"X-Amz-Bedrock-AgentCore-Identity-WAT": f"earlier-{uuid.uuid4().hex}"})
    assert ask_whoami(server, {}) == "Tool result: token=None session=<session> request=<request>"
