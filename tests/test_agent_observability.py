"""The agents' OpenTelemetry spans, as AgentCore's observability pages show them.

Both implementations export to a loopback OTLP sink here, configured by the standard ``OTEL_*``
variables, and must produce the same trace shape: the invocation's server span joined to the
caller's trace, the agent turn's span under it and the Bedrock call under that, with the session
id, the usage and no prompt, answer or tool data anywhere in what is exported.

The Python image's CMD wraps uvicorn in ``opentelemetry-instrument``, which loads every installed
instrumentor (about fifty come with AWS's distro) unless ``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS``
names it; loading them all more than doubled cold start and memory, so the Dockerfile disables all
but the few AgentCore needs. The ``python_agent`` tests keep that list in step with its lock.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.testkit.agent_image import image_environment, run_agent_python
from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator, turn_number
from tests.testkit.contract import SESSION
from tests.testkit.otlp_sink import ExportedSpan, OtlpSink
from tests.testkit.processes import ServerProcess

# Instrumentors the image keeps, and why; every other installed one must be disabled.
KEPT = {
    "botocore": "the Bedrock model calls, as client spans with the AWS distro's GenAI attributes",
    "starlette": "a server span per invocation, joining AgentCore's trace and session.id baggage",
    "logging": "trace and span ids on log records",
}
CALLER_SPAN_ID = "b7ad6b7169203331"
SPAN_KIND_SERVER, SPAN_KIND_CLIENT = 2, 3
STATUS_ERROR = 2


def installed_instrumentors(venv: Path) -> set[str]:
    """Names in the agent environment's ``opentelemetry_instrumentor`` entry-point group."""
    code = (
        "import json; from importlib.metadata import entry_points;"
        "print(json.dumps(sorted({ep.name for ep in entry_points(group='opentelemetry_instrumentor')})))"
    )
    return set(json.loads(run_agent_python(code, venv=venv)))


@pytest.mark.python_agent
def test_every_installed_instrumentor_is_either_kept_or_disabled(agent_venv: Path) -> None:
    installed = installed_instrumentors(agent_venv)
    disabled = set(image_environment()["OTEL_PYTHON_DISABLED_INSTRUMENTATIONS"].split(","))
    expected = ",".join(sorted(installed - set(KEPT)))
    assert set(KEPT) <= installed, f"kept but no longer installed: {sorted(set(KEPT) - installed)}"
    assert not disabled & set(KEPT), f"disabled although kept: {sorted(disabled & set(KEPT))}"
    assert disabled == installed - set(KEPT), (
        "agent_image/Dockerfile's OTEL_PYTHON_DISABLED_INSTRUMENTATIONS is out of step with the lock: "
        f"not disabled {sorted(installed - set(KEPT) - disabled)}, not installed {sorted(disabled - installed)}. "
        f"Keep a new one by adding it to KEPT here (and the Dockerfile's comment), or disable it:\n{expected}"
    )


@pytest.fixture(scope="module")
def otlp() -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def agent(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, otlp: OtlpSink
) -> Iterator[ServerProcess]:
    """The implementation configured by the standard OTEL_* variables to export to the loopback sink."""
    server = agent_implementation.start(
        bedrock.url,
        {
            "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export within a fraction of a second
        },
    )
    yield server
    server.stop()
    server.cleanup()


def wait_for_spans(otlp: OtlpSink, ready: Callable[[list[ExportedSpan]], bool]) -> list[ExportedSpan]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        spans = otlp.spans()
        if ready(spans):
            return spans
        time.sleep(0.1)
    pytest.fail(f"spans not exported within 30 s; got {[(span.scope, span.name) for span in otlp.spans()]}")


def test_a_turn_is_traced_from_the_callers_span_down_to_the_bedrock_call(
    agent_implementation: AgentImplementation, agent: ServerProcess, otlp: OtlpSink
) -> None:
    assert httpx.get(agent.url + "/ping").status_code == 200
    session = f"otel-session-{uuid.uuid4()}"
    caller_trace_id = uuid.uuid4().hex  # the sink is shared by the implementations' runs
    response = httpx.post(
        agent.url + "/invocations",
        json={"prompt": f"traced {uuid.uuid4().hex[:8]} [[chunks:4]]"},
        headers={
            SESSION: session,
            "traceparent": f"00-{caller_trace_id}-{CALLER_SPAN_ID}-01",
            "baggage": f"session.id={session}",
        },
        timeout=30,
    )
    assert response.status_code == 200
    usage = response.json()["usage"]

    def complete(spans: list[ExportedSpan]) -> bool:
        names = {span.name for span in spans if span.trace_id == caller_trace_id}
        return {"POST /invocations", agent_implementation.agent_span_name} <= names

    spans = [span for span in wait_for_spans(otlp, complete) if span.trace_id == caller_trace_id]
    by_id = {span.span_id: span for span in spans}

    (bedrock_call,) = [span for span in spans if span.attributes.get("rpc.method") == "ConverseStream"]
    assert bedrock_call.kind == SPAN_KIND_CLIENT
    assert bedrock_call.attributes["rpc.service"] == "Bedrock Runtime"
    assert bedrock_call.attributes["gen_ai.request.model"] == "emulated-model"
    assert bedrock_call.attributes["session.id"] == session  # AgentCore's baggage reached the span

    ancestry = [bedrock_call]
    while ancestry[-1].parent_span_id in by_id:
        ancestry.append(by_id[ancestry[-1].parent_span_id])
    names = [span.name for span in ancestry]
    assert names[-2:] == [agent_implementation.agent_span_name, "POST /invocations"], names
    server_span = ancestry[-1]
    assert server_span.kind == SPAN_KIND_SERVER
    assert server_span.parent_span_id == CALLER_SPAN_ID

    # The agent span ends as a completed turn (not cancelled) and carries the turn's usage.
    agent_span = ancestry[-2]
    assert agent_span.status_code != STATUS_ERROR
    assert agent_span.attributes["gen_ai.usage.output_tokens"] == usage["output_tokens"] == 4


@pytest.mark.python_agent
def test_the_bedrock_call_is_traced_by_the_kept_botocore_instrumentor(agent: ServerProcess, otlp: OtlpSink) -> None:
    response = httpx.post(agent.url + "/invocations", json={"prompt": f"scoped {uuid.uuid4().hex[:8]}"}, timeout=30)
    assert response.status_code == 200

    def has_bedrock_call(spans: list[ExportedSpan]) -> bool:
        return any(span.attributes.get("rpc.method") == "ConverseStream" for span in spans)

    spans = wait_for_spans(otlp, has_bedrock_call)
    calls = [span for span in spans if span.attributes.get("rpc.method") == "ConverseStream"]
    assert all(span.scope.startswith("opentelemetry.instrumentation.botocore") for span in calls), calls


def test_health_checks_are_not_traced(agent: ServerProcess, otlp: OtlpSink) -> None:
    for _ in range(3):
        assert httpx.get(agent.url + "/ping").status_code == 200
    marker = f"after-pings-{uuid.uuid4().hex[:8]}"
    assert httpx.post(agent.url + "/invocations", json={"prompt": marker}, timeout=30).status_code == 200
    spans = wait_for_spans(otlp, lambda spans: any(span.name == "POST /invocations" for span in spans))
    server_spans = [span for span in spans if span.kind == SPAN_KIND_SERVER]
    assert server_spans
    assert all(span.attributes.get("http.target") != "/ping" for span in server_spans)
    assert not [span for span in spans if "/ping" in span.name]


def test_a_client_leaving_a_stream_leaves_no_context_error_in_the_log(agent: ServerProcess) -> None:
    session = f"otel-leaver-{uuid.uuid4()}"
    payload = {"prompt": "long [[chunks:40]] [[delay:0.2]]", "stream": True}
    with (
        httpx.Client(base_url=agent.url, timeout=30) as leaving,
        leaving.stream("POST", "/invocations", json=payload, headers={SESSION: session}) as response,
    ):
        assert next(response.iter_lines()).startswith("data: ")
    after = httpx.post(agent.url + "/invocations", json={"prompt": "after"}, headers={SESSION: session}, timeout=10)
    assert turn_number(after.json()["completion"]) == 1  # the abandoned turn was cancelled and left nothing
    time.sleep(0.5)  # an abandoned generator would be closed by the event loop about now
    output = agent.output()
    assert "Failed to detach context" not in output, output[-3000:]
    assert "was created in a different Context" not in output, output[-3000:]


def test_prompts_answers_and_tool_data_never_reach_the_exported_spans(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator
) -> None:
    """Traces go to X-Ray and CloudWatch, readable by anyone with telemetry access: the turn's
    words must not be in them. Strands' tracer records messages, tool arguments and results, and
    the system prompt unless told to redact (the image's OTEL_SEMCONV_STABILITY_OPT_IN)."""
    secret = uuid.uuid4().hex
    system_prompt = f"You are the {uuid.uuid4().hex} assistant."
    with OtlpSink() as sink:
        server = agent_implementation.start(
            bedrock.url,
            {
                "OTEL_TRACES_EXPORTER": "otlp",
                "OTEL_EXPORTER_OTLP_ENDPOINT": sink.url,
                "OTEL_BSP_SCHEDULE_DELAY": "200",
                "SYSTEM_PROMPT": system_prompt,
            },
        )
        try:
            plain = httpx.post(server.url + "/invocations", json={"prompt": f"plain {secret}"}, timeout=30)
            tool = httpx.post(
                server.url + "/invocations", json={"prompt": "[[tool:calculate:7919*104729]]"}, timeout=30
            )
            assert plain.status_code == tool.status_code == 200, (plain.text, tool.text)
            assert "829348951" in tool.json()["completion"]  # the tool ran: 7919 * 104729

            def both_turns(spans: list[ExportedSpan]) -> bool:
                return sum(span.name == "POST /invocations" for span in spans) >= 2 and any(
                    span.name.startswith("execute_tool") for span in spans
                )

            wait_for_spans(sink, both_turns)
        finally:
            server.stop()
        exported = b"".join(sink.request_bodies())
    for word in (secret, "7919*104729", "829348951", system_prompt, "You said"):
        assert word.encode() not in exported, f"{word!r} was exported in a span"
