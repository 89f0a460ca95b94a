"""The Rust agent delivers its spans to X-Ray's OTLP endpoint itself, SigV4-signed.

Inside AgentCore only agents started by AWS's Python distro get the platform's collector; the
Rust agent posts OTLP to ``https://xray.<region>.amazonaws.com/v1/traces`` with the execution
role's credentials, signed for the ``xray`` service (the component sets that endpoint when traces
are on). Here the exports go to the loopback sink with ``TRACES_SIGV4_SERVICE=xray`` (the agent
signs for X-Ray's own hosts without it; its unit tests cover that choice), and botocore's SigV4
signer, AWS's own Python implementation, recomputes each signature from what arrived.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.testkit.agents import RUST, emulated_aws_environment
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.otlp_sink import OtlpSink

AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request, "
    r"SignedHeaders=(?P<signed>[a-z0-9;-]+), Signature=(?P<signature>[0-9a-f]{64})"
)


@pytest.fixture(scope="module")
def signed_exports(bedrock: BedrockEmulator) -> Iterator[OtlpSink]:
    """A turn by the Rust agent whose spans went to the sink, signed; the sink after shutdown."""
    RUST.build()
    with OtlpSink() as sink:
        server = RUST.start(
            bedrock.url,
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{sink.url}/v1/traces",
                "OTEL_BSP_SCHEDULE_DELAY": "200",
                "TRACES_SIGV4_SERVICE": "xray",
                "AWS_SESSION_TOKEN": "session-token-for-xray",
            },
        )
        try:
            answer = httpx.post(server.url + "/invocations", json={"prompt": f"signed {uuid.uuid4().hex[:8]}"}, timeout=30)
            assert answer.status_code == 200, answer.text
        finally:
            RUST.assert_clean_exit(server.stop())  # shutdown flushes what is still queued
        yield sink


def test_every_export_is_signed_for_xray_with_the_agents_credentials(signed_exports: OtlpSink) -> None:
    exports = signed_exports.request_headers()
    assert exports, "nothing was exported"
    environment = emulated_aws_environment("unused")
    for headers in exports:
        match = AUTHORIZATION.fullmatch(headers["authorization"])
        assert match, headers["authorization"]
        assert (match["key"], match["region"], match["service"]) == (environment["AWS_ACCESS_KEY_ID"], "us-east-1", "xray")
        assert match["date"] == headers["x-amz-date"][:8]
        assert headers["x-amz-security-token"] == "session-token-for-xray"
        assert {"host", "x-amz-date", "content-type"} <= set(match["signed"].split(";"))


def test_botocore_computes_the_same_signature_over_what_arrived(signed_exports: OtlpSink) -> None:
    environment = emulated_aws_environment("unused")
    credentials = Credentials(environment["AWS_ACCESS_KEY_ID"], environment["AWS_SECRET_ACCESS_KEY"], "session-token-for-xray")
    for headers, body in zip(signed_exports.request_headers(), signed_exports.request_bodies(), strict=True):
        match = AUTHORIZATION.fullmatch(headers["authorization"])
        assert match
        signed = match["signed"].split(";")
        request = AWSRequest(
            method="POST",
            url=f"http://{headers['host']}/v1/traces",
            data=body,
            headers={name: headers[name] for name in signed if name != "host"},
        )
        request.context["timestamp"] = headers["x-amz-date"]
        signer = SigV4Auth(credentials, "xray", "us-east-1")
        canonical = signer.canonical_request(request)
        assert signer.signature(signer.string_to_sign(request, canonical), request) == match["signature"], canonical


def test_the_signed_exports_carry_the_turns_spans(signed_exports: OtlpSink) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and len({span.name for span in signed_exports.spans()}) < 3:
        time.sleep(0.1)
    names = {span.name for span in signed_exports.spans()}
    assert {"POST /invocations", RUST.agent_span_name, "chat emulated-model"} <= names, names


def test_refused_exports_are_logged_once_and_never_fail_a_turn(bedrock: BedrockEmulator) -> None:
    """Spans an endpoint refuses (a missing permission, Transaction Search off) are dropped, but
    not silently: one warning when exports start failing, not one per batch."""
    with OtlpSink(status=403) as sink:
        server = RUST.start(
            bedrock.url,
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{sink.url}/v1/traces",
                "OTEL_BSP_SCHEDULE_DELAY": "100",
            },
        )
        try:
            for _ in range(3):
                answer = httpx.post(server.url + "/invocations", json={"prompt": "refused spans"}, timeout=30)
                assert answer.status_code == 200, answer.text
                time.sleep(0.3)  # a batch is exported (and refused) between turns
        finally:
            result = server.stop()
        assert len(sink.request_bodies()) >= 2, "the exporter stopped trying"
    warnings = [line for line in result.output.splitlines() if "span export failed" in line]
    assert len(warnings) == 1, result.output[-3000:]
    assert '"status":403' in warnings[0] and '"level":"WARNING"' in warnings[0]
