"""The AgentCore data-plane emulator itself: it must refuse what AgentCore refuses, or the CLI
tests that rely on it could pass against requests the real service would reject.

Requests here are hand-built with httpx (boto3 validates some rules client-side and would never
send them), except where the point is that boto3's own request is accepted and parsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import boto3
import botocore.exceptions
import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.testkit.agentcore_emulator import AgentCoreEmulator

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_dev-AbCdEf1234"
SESSION = "s" * 40
SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"


@pytest.fixture(scope="module")
def emulator() -> Iterator[AgentCoreEmulator]:
    with AgentCoreEmulator() as running:
        running.add_runtime(ARN, "http://127.0.0.1:9")  # never reached by these tests
        yield running


def signed(url: str, headers: dict[str, str], body: bytes, *, region: str = "us-east-1", service: str = "bedrock-agentcore") -> dict[str, str]:
    request = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), service, region).add_auth(request)
    return dict(request.headers.items())


def post(emulator: AgentCoreEmulator, path: str, headers: dict[str, str], body: bytes = b"{}", **sign: str) -> httpx.Response:
    url = f"{emulator.url}{path}"
    return httpx.post(url, headers=signed(url, headers, body, **sign), content=body, timeout=10)


def invocations_path(arn: str = ARN) -> str:
    return f"/runtimes/{quote(arn, safe='')}/invocations"


@pytest.mark.parametrize(
    ("headers", "sign", "status", "code"),
    [
        ({SESSION_HEADER: "s" * 32}, {}, 400, "ValidationException"),  # below the model's 33
        ({SESSION_HEADER: "s" * 257}, {}, 400, "ValidationException"),  # above its 256
        ({SESSION_HEADER: SESSION}, {"region": "eu-west-1"}, 403, "AccessDeniedException"),
        ({SESSION_HEADER: SESSION}, {"service": "bedrock"}, 403, "AccessDeniedException"),
    ],
)
def test_refuses_what_agentcore_refuses(emulator: AgentCoreEmulator, headers: dict[str, str], sign: dict[str, str], status: int, code: str) -> None:
    answer = post(emulator, invocations_path(), headers, **sign)
    assert answer.status_code == status
    assert answer.headers["x-amzn-ErrorType"] == code


def test_unsigned_and_unknown(emulator: AgentCoreEmulator) -> None:
    unsigned = httpx.post(f"{emulator.url}{invocations_path()}", content=b"{}", headers={SESSION_HEADER: SESSION})
    assert unsigned.status_code == 403
    unknown = post(emulator, invocations_path(ARN.replace("AbCdEf1234", "Zz99999999")), {SESSION_HEADER: SESSION})
    assert (unknown.status_code, unknown.headers["x-amzn-ErrorType"]) == (404, "ResourceNotFoundException")
    wrong_endpoint = post(emulator, invocations_path() + "?qualifier=nope", {SESSION_HEADER: SESSION})
    assert wrong_endpoint.status_code == 404
    no_route = post(emulator, f"/runtimes/{quote(ARN, safe='')}/other", {})
    assert no_route.status_code == 404


def test_stop_of_a_session_that_never_ran_is_not_found_through_boto3(emulator: AgentCoreEmulator) -> None:
    client = boto3.client(
        "bedrock-agentcore", region_name="us-east-1", endpoint_url=emulator.url,
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",  # noqa: S106 - dummies
    )
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        client.stop_runtime_session(agentRuntimeArn=ARN, runtimeSessionId=SESSION)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    emulator.sessions.add((ARN, "DEFAULT", SESSION))
    answer = client.stop_runtime_session(agentRuntimeArn=ARN, runtimeSessionId=SESSION)
    assert answer["runtimeSessionId"] == SESSION  # the modelled response header, parsed by boto3
    assert answer["statusCode"] == 200


def test_injected_failures_use_the_models_status(emulator: AgentCoreEmulator) -> None:
    assert emulator.status_of("RuntimeClientError") == 424
    assert emulator.status_of("ServiceQuotaExceededException") == 402
    with pytest.raises(KeyError):
        emulator.fail_next("NoSuchException")
