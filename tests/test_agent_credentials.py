"""Both agents take the execution role's credentials from the metadata service, in either protocol.

Inside AgentCore nothing but the microVM's metadata service holds the role's credentials. AWS now
requires its token protocol (MMDSv2); field reports say it once answered only plain GETs, and the
AWS SDK for Rust's provider speaks only the token protocol. Each agent here runs with no keys in
its environment and ``AWS_EC2_METADATA_SERVICE_ENDPOINT`` pointing at a loopback metadata service
in one behaviour or the other; the Bedrock emulator then shows which credentials signed the call.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.testkit.agents import AgentImplementation, Environment
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.metadata_service import ROLES_PATH, MetadataService


def metadata_environment(service: MetadataService) -> Environment:
    """No keys, no shared files (the suite's default), the metadata service at ``service``."""
    return {
        "AWS_ACCESS_KEY_ID": None,
        "AWS_SECRET_ACCESS_KEY": None,
        "AWS_SESSION_TOKEN": None,
        "AWS_EC2_METADATA_DISABLED": None,
        "AWS_EC2_METADATA_SERVICE_ENDPOINT": service.url,
    }


def turn(agent_implementation: AgentImplementation, bedrock: BedrockEmulator, service: MetadataService) -> tuple[httpx.Response, str]:
    marker = f"credentials {uuid.uuid4().hex[:8]}"
    server = agent_implementation.start(bedrock.url, metadata_environment(service))
    try:
        return httpx.post(server.url + "/invocations", json={"prompt": marker}, timeout=60), marker
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("token_required", "token_status"),
    [(True, 200), (False, 403), (False, 404), (False, 405)],
    ids=["token-required", "plain-403", "plain-404", "plain-405"],
)
def test_the_model_call_is_signed_with_the_role_credentials_the_metadata_service_hands_out(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, token_required: bool, token_status: int
) -> None:
    with MetadataService(token_required=token_required, token_status=token_status) as service:
        answer, marker = turn(agent_implementation, bedrock, service)
    assert answer.status_code == 200, answer.text
    (call,) = bedrock.requests_containing(marker)
    headers = {name.lower(): value for name, value in call.headers.items()}
    assert f"Credential={service.access_key_id}/" in headers["authorization"]
    assert headers["x-amz-security-token"] == service.session_token
    gets = [request for request in service.requests if request.method == "GET"]
    assert {request.path for request in gets} >= {ROLES_PATH, ROLES_PATH + service.role}
    if token_required:
        assert all(request.token == service.token for request in gets), gets
    else:
        assert any(request.method == "PUT" for request in service.requests)  # the token was tried first
        assert all(request.token is None for request in gets), gets


def test_a_role_the_metadata_service_does_not_have_is_a_credentials_error_not_a_crash(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    with MetadataService(token_required=False) as service:
        service.role = ""  # the roles listing is empty: no role attached
        answer, _ = turn(agent_implementation, bedrock, service)
    assert answer.status_code == 503, answer.text
    assert answer.json()["code"] == "model_credentials_missing"
