"""The container environment the component sets on the runtime, and the names it reserves.

Both agents (agent_image/, agent_rust/) read AWS_REGION, MODEL_ID and LOG_LEVEL; the Python one
also the variables of `components.memory` when memory is on, and its image's
`opentelemetry-instrument` (ADOT) wrapper reads the rest, so that it exports what the
observability resources expect. The Rust agent has no collector beside it in the microVM (AgentCore
starts one only for AWS's Python distro), so with traces on it is told X-Ray's OTLP endpoint and
signs its exports itself. A user's own variables may not shadow any of them, whichever agent runs
(the names are reserved either way, so switching agents never collides).
"""

from .args import AgentKind, LogLevel
from .iam.arns import service_endpoint
from .memory import MEMORY_ENV_VARS


def container_otel_environment() -> dict[str, str]:
    """What the image's OpenTelemetry wrapper needs (the component reserves these names).

    Deliberately absent: OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES and
    OTEL_EXPORTER_OTLP_LOGS_HEADERS. AgentCore sets service.name `<runtime>.<endpoint>` and the
    endpoint's log group itself; one static value cannot be right for two endpoints, would need
    the runtime id (a cycle: the runtime cannot reference its own output) and would override the
    platform's values.
    """
    return {
        "AGENT_OBSERVABILITY_ENABLED": "true",
        "OTEL_PYTHON_DISTRO": "aws_distro",
        "OTEL_PYTHON_CONFIGURATOR": "aws_configurator",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_TRACES_EXPORTER": "otlp",
        # Keeps the botocore instrumentor from copying Bedrock request and response bodies into
        # spans. Strands' own tracer is redacted by the image (its OTEL_SEMCONV_STABILITY_OPT_IN),
        # not here: a stack may opt in to content in its traces through environmentVariables.
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",
    }


def rust_trace_environment(*, region: str, partition: str) -> dict[str, str]:
    """The Rust agent's trace export: X-Ray's OTLP endpoint in the stack's region and partition
    (the agent signs for `xray` there; the endpoint needs Transaction Search, which the stack's
    rules already demand of traces)."""
    return {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"https://{service_endpoint('xray', region, partition)}/v1/traces",
    }


# The memory variables are set only with `memory` on, but always reserved (and counted against
# AgentCore's limit), so turning memory on never collides with, or overflows, a user's variables.
MANAGED_ENV_VARS = (
    "AWS_REGION",
    "MODEL_ID",
    "LOG_LEVEL",
    *dict.fromkeys([*container_otel_environment(), *rust_trace_environment(region="", partition="")]),
    *MEMORY_ENV_VARS,
)
# Would contradict AWS_REGION for SDKs that read it first.
SHADOWING_ENV_VARS = ("AWS_DEFAULT_REGION",)
CREDENTIAL_ENV_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def managed_environment(
    *, region: str, partition: str, model_id: str, log_level: LogLevel, agent: AgentKind, traces: bool
) -> dict[str, str]:
    """The variables the component sets (names in MANAGED_ENV_VARS): what the agent reads, then
    its telemetry's: for the Python agent what its OpenTelemetry wrapper needs, for the Rust agent
    where to export spans when traces are on."""
    if agent is AgentKind.PYTHON:
        otel = container_otel_environment()
    else:
        otel = rust_trace_environment(region=region, partition=partition) if traces else {}
    return {"AWS_REGION": region, "MODEL_ID": model_id, "LOG_LEVEL": log_level.value, **otel}
