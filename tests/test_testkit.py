"""Guards for the testkit helpers the contract tests rely on (the emulator has its own module)."""

from __future__ import annotations

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

from tests.testkit.iam_catalogue import applies, resource_statement_problems
from tests.testkit.otlp_sink import OtlpSink
from tests.testkit.sse import sse_events


def test_sse_parser_rejects_malformed_bodies() -> None:
    """It must not accept stray lines, a missing blank line or a body that is not ``data:`` events."""
    good = httpx.Response(200, headers={"content-type": "text/event-stream"}, text='data: {"delta":"a"}\n\n')
    assert sse_events(good) == [{"delta": "a"}]
    for text in ('data: {"delta":"a"}\n', 'event: x\ndata: {"a":1}\n\n', '{"delta":"a"}\n\n'):
        with pytest.raises(AssertionError):
            sse_events(httpx.Response(200, headers={"content-type": "text/event-stream"}, text=text))
    with pytest.raises(AssertionError):
        sse_events(httpx.Response(200, headers={"content-type": "application/json"}, text='data: {"a":1}\n\n'))


def test_otlp_sink_decodes_exported_spans_and_keeps_request_headers() -> None:
    span = Span(trace_id=bytes(range(16)), span_id=bytes(range(8)), name="turn", kind=Span.SPAN_KIND_SERVER)
    export = ExportTraceServiceRequest(
        resource_spans=[ResourceSpans(scope_spans=[ScopeSpans(spans=[span])])]
    ).SerializeToString()
    with OtlpSink() as sink:
        response = httpx.post(
            sink.url + "/v1/traces",
            content=export,
            headers={"Content-Type": "application/x-protobuf", "Authorization": "AWS4-HMAC-SHA256 Credential=x"},
        )
        assert response.status_code == 200
        (decoded,) = sink.spans()
        (headers,) = sink.request_headers()
    assert (decoded.name, decoded.kind, decoded.trace_id, decoded.span_id) == (
        "turn",
        2,
        "000102030405060708090a0b0c0d0e0f",
        "0001020304050607",
    )
    assert headers["authorization"] == "AWS4-HMAC-SHA256 Credential=x"


def test_the_resource_policy_check_catches_what_it_is_for() -> None:
    """The resource-policy catalogue check itself: a misspelt action, a bucket ARN on an object action, a
    condition key of another action and a wrong partition are each reported."""
    good = {"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
    assert resource_statement_problems(good, "aws", ["arn:aws:s3:::b/*"]) == []
    assert resource_statement_problems({**good, "Action": "s3:PutObjects"}, "aws", []) == ["X: s3:PutObjects is not in the IAM catalogue"]
    assert resource_statement_problems(good, "aws", ["arn:aws:s3:::b"]) == ["X: arn:aws:s3:::b is not a resource of s3:PutObject"]
    assert resource_statement_problems({**good, "Condition": {"StringEquals": {"kms:ViaService": "s3"}}}, "aws", []) == [
        "X: condition key kms:ViaService does not apply to s3:PutObject"
    ]
    assert resource_statement_problems(good, "aws-cn", ["arn:aws:s3:::b/*"]) == ["X: arn:aws:s3:::b/* is not in partition aws-cn"]
    assert applies("kms:EncryptionContext:aws:s3:arn", "kms:GenerateDataKey")
    assert not applies("kms:EncryptionContext:aws:s3:arn", "kms:PutKeyPolicy")
