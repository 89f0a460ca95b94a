"""Observability facts the tests share: the metric dimensions AWS documents (written down
independently of the component, so the two can disagree), a reader for a dashboard body's metric
rows, and a dev-like and a prod-like observability configuration."""

from typing import Any

from components.observability.settings import ObservabilityConfig

# What AWS publishes, written down independently of components/observability so the two can
# disagree: AgentCore runtime metrics carry the full {Operation, Name, Resource} set
# (aws/aws-cdk#38486, Elastic's AgentCore integration), Bedrock's token counts carry ModelId.
DOCUMENTED_DIMENSIONS: dict[tuple[str, str], frozenset[str]] = {
    **{("AWS/Bedrock-AgentCore", m): frozenset({"Operation", "Name", "Resource"})
       for m in ("Invocations", "Throttles", "SystemErrors", "UserErrors", "Latency", "SessionCount")},
    **{("AWS/Bedrock", m): frozenset({"ModelId"}) for m in ("InputTokenCount", "OutputTokenCount")},
}


def metric_rows(body: dict[str, Any]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric, dimensions) of every graphed metric in a dashboard body."""
    rows = []
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        for row in widget["properties"]["metrics"]:
            assert row[0] != "...", "shorthand rows hide their dimensions"
            namespace, metric, *rest = row
            if rest and isinstance(rest[-1], dict):
                rest = rest[:-1]
            assert len(rest) % 2 == 0
            rows.append((namespace, metric, dict(zip(rest[::2], rest[1::2], strict=True))))
    return rows


# A dev-like and a prod-like stack (shared with the component tests): short retention and loose
# alarms; long retention, KMS, kept logs, usage logs, Transaction Search, a topic, tight alarms.
# Both switch application logs and traces on (off by default) so every delivery is wired; the rule
# that traces need Transaction Search is the stack config's (components.rules), not the component's.
DEV = ObservabilityConfig(
    log_retention_days=14, application_logs=True, traces=True,
    errors_threshold=10, throttles_threshold=5, latency_p99_threshold_ms=120000,
)
PROD = ObservabilityConfig(
    application_logs=True,
    traces=True,
    log_retention_days=365,
    log_kms_key_arn="arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    retain_logs_on_delete=True,
    usage_logs=True,
    transaction_search=True,
    indexing_percentage=5,
    alarm_topic_arn="arn:aws:sns:eu-west-1:111122223333:agentcore-alarms",
    errors_threshold=1,
    throttles_threshold=1,
    latency_p99_threshold_ms=60000,
    alarm_period_seconds=60,
    alarm_evaluation_periods=3,
)
