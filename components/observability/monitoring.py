"""The metrics an AgentCore runtime publishes, the alarms on them and the dashboard body, as plain
data (the ARN may be a deferred value: `alarm_specs` is generic over it).

Why plain data: a metric's exact namespace and dimension set is something CloudWatch matches
silently; an alarm on a wrong set stays in INSUFFICIENT_DATA, a graph stays empty. The tests check
every query against AWS's documented dimensions.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .names import alarm_name
from .settings import ObservabilityConfig

# Metrics the runtime publishes, and the only ones the alarms and dashboard may use

# Service-vended runtime metrics. Namespace and the full dimension set per aws/aws-cdk#38486 (the
# CDK helpers alarmed on {Resource} alone and never got data; CloudWatch matches the exact set).
# `bedrock-agentcore` (no AWS/ prefix) is a different namespace: the one the container's own EMF
# metrics go to.
RUNTIME_METRICS_NAMESPACE = "AWS/Bedrock-AgentCore"
AGENT_METRICS_NAMESPACE = "bedrock-agentcore"
INVOKE_OPERATION = "InvokeAgentRuntime"
RUNTIME_DIMENSIONS = ("Operation", "Name", "Resource")

# The runtime publishes no token metrics; the model calls the agent makes are counted by Bedrock
# per model id (all callers of that model in the account and region, not only this runtime).
BEDROCK_NAMESPACE = "AWS/Bedrock"
BEDROCK_DIMENSIONS = ("ModelId",)


@dataclass(frozen=True)
class MetricDef:
    namespace: str
    name: str
    unit: str
    dimensions: tuple[str, ...]


METRICS: dict[str, MetricDef] = {
    d.name: d
    for d in (
        MetricDef(RUNTIME_METRICS_NAMESPACE, "Invocations", "Count", RUNTIME_DIMENSIONS),
        MetricDef(RUNTIME_METRICS_NAMESPACE, "Throttles", "Count", RUNTIME_DIMENSIONS),
        MetricDef(RUNTIME_METRICS_NAMESPACE, "SystemErrors", "Count", RUNTIME_DIMENSIONS),
        MetricDef(RUNTIME_METRICS_NAMESPACE, "UserErrors", "Count", RUNTIME_DIMENSIONS),
        MetricDef(RUNTIME_METRICS_NAMESPACE, "Latency", "Milliseconds", RUNTIME_DIMENSIONS),
        MetricDef(RUNTIME_METRICS_NAMESPACE, "SessionCount", "Count", RUNTIME_DIMENSIONS),
        MetricDef(BEDROCK_NAMESPACE, "InputTokenCount", "Count", BEDROCK_DIMENSIONS),
        MetricDef(BEDROCK_NAMESPACE, "OutputTokenCount", "Count", BEDROCK_DIMENSIONS),
    )
}

ArnT = TypeVar("ArnT")


def runtime_metric_dimensions(runtime_name: str, runtime_arn: ArnT, endpoint_name: str) -> dict[str, str | ArnT]:
    """Dimensions of one endpoint's invocation metrics. The ARN may be a plain str or a deferred value."""
    return {"Operation": INVOKE_OPERATION, "Name": f"{runtime_name}::{endpoint_name}", "Resource": runtime_arn}


# Alarms


@dataclass(frozen=True)
class MetricQuery(Generic[ArnT]):
    """One entry of an alarm's metric math: a metric (with stat and period) or an expression."""

    id: str
    return_data: bool
    label: str
    metric_name: str | None = None
    namespace: str | None = None
    dimensions: Mapping[str, str | ArnT] | None = None
    stat: str | None = None
    period: int | None = None
    expression: str | None = None


@dataclass(frozen=True)
class AlarmSpec(Generic[ArnT]):
    key: str
    name: str
    description: str
    threshold: float
    evaluation_periods: int
    queries: tuple[MetricQuery[ArnT], ...]
    comparison_operator: str = "GreaterThanOrEqualToThreshold"
    # No traffic is not an outage: an idle dev runtime must not page anyone.
    treat_missing_data: str = "notBreaching"




def alarm_specs(
    config: ObservabilityConfig,
    runtime_name: str,
    runtime_arn: ArnT,
    endpoint_names: Sequence[str],
) -> list[AlarmSpec[ArnT]]:
    """Errors, throttles and p99 latency alarms for every endpoint, thresholds from the stack.

    Errors are SystemErrors + UserErrors: a failing container reaches callers as a 4xx
    (424 RuntimeClientError), so server-side errors alone would miss the agent's own crashes.
    """
    if not config.alarms:
        return []
    period = config.alarm_period_seconds
    specs: list[AlarmSpec[ArnT]] = []
    for endpoint in endpoint_names:
        dims = runtime_metric_dimensions(runtime_name, runtime_arn, endpoint)

        def metric(query_id: str, metric_name: str, stat: str, return_data: bool,
                   dims: Mapping[str, str | ArnT] = dims) -> MetricQuery[ArnT]:
            return MetricQuery(
                id=query_id, return_data=return_data, label=f"{metric_name} ({stat})",
                metric_name=metric_name, namespace=METRICS[metric_name].namespace,
                dimensions=dims, stat=stat, period=period,
            )

        # (kind, what reached the threshold, threshold, its unit, the metric math)
        kinds: list[tuple[str, str, float, str, tuple[MetricQuery[ArnT], ...]]] = [
            ("errors", "system + user errors", config.errors_threshold, "", (
                metric("system", "SystemErrors", "Sum", False),
                metric("user", "UserErrors", "Sum", False),
                MetricQuery(id="errors", return_data=True, label="Errors", expression="system + user"),
            )),
            ("throttles", "throttled requests", config.throttles_threshold, "",
             (metric("throttles", "Throttles", "Sum", True),)),
            ("latency-p99", "p99 latency", config.latency_p99_threshold_ms, " ms",
             (metric("latency", "Latency", "p99", True),)),
        ]
        for kind, what, threshold, unit, queries in kinds:
            specs.append(AlarmSpec(
                key=f"{endpoint}-{kind}",
                name=alarm_name(runtime_name, endpoint, kind),
                description=(
                    f"AgentCore runtime {runtime_name} endpoint {endpoint}: {what} reached "
                    f"{threshold:g}{unit} in {period}s"
                ),
                threshold=threshold,
                evaluation_periods=config.alarm_evaluation_periods,
                queries=queries,
            ))
    return specs


# Dashboard

_ERROR_LINES = r"/(?i)(error|exception|traceback)/"


def _metric_row(metric: str, dims: Mapping[str, str], stat: str, label: str) -> list[Any]:
    row: list[Any] = [METRICS[metric].namespace, metric]
    for dim in METRICS[metric].dimensions:
        row += [dim, dims[dim]]
    row.append({"stat": stat, "label": label})
    return row


def dashboard_body(
    *,
    region: str,
    runtime_name: str,
    runtime_arn: str,
    endpoint_names: Sequence[str],
    runtime_log_groups: Sequence[str] = (),
    alarm_arns: Sequence[str] = (),
    model_id: str | None = None,
    period: int = 60,
) -> str:
    """CloudWatch dashboard JSON: traffic, latency percentiles, errors, throttles, sessions, model
    tokens, alarm states and recent error lines. Uses only the metrics in METRICS, each with its
    full dimension set, so every graph can actually receive data."""
    per_endpoint = {ep: runtime_metric_dimensions(runtime_name, runtime_arn, ep) for ep in endpoint_names}
    endpoints_md = ", ".join(f"`{ep}`" for ep in endpoint_names)
    widgets: list[dict[str, Any]] = [{
        "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
        "properties": {"markdown": (
            f"## AgentCore runtime `{runtime_name}`\n"
            f"Endpoints {endpoints_md}. Metrics: `{RUNTIME_METRICS_NAMESPACE}`, one line per endpoint."
        )},
    }]
    widgets += _runtime_graphs(_Graphs(region, period), per_endpoint)
    y = 14
    widgets += _tokens_and_alarms(_Graphs(region, period), y, model_id, alarm_arns)
    if model_id or alarm_arns:
        y += 6
    if runtime_log_groups:
        widgets.append(_error_lines(region, y, runtime_log_groups))
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


@dataclass(frozen=True)
class _Graphs:
    """Builds the dashboard's time-series widgets (one region, one period)."""

    region: str
    period: int

    def __call__(self, title: str, rows: list[list[Any]], x: int, y: int, w: int, h: int = 6) -> dict[str, Any]:
        props = {"title": title, "region": self.region, "view": "timeSeries", "stacked": False, "period": self.period, "metrics": rows}
        return {"type": "metric", "x": x, "y": y, "width": w, "height": h, "properties": props}


def _runtime_graphs(graph: _Graphs, per_endpoint: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """Invocations, latency, errors, throttles and sessions, one line per endpoint."""
    return [
        graph("Invocations", [_metric_row("Invocations", d, "Sum", ep) for ep, d in per_endpoint.items()], 0, 2, 12),
        graph("Latency p50 / p90 / p99 (ms)", [
            _metric_row("Latency", d, stat, f"{ep} {stat}") for ep, d in per_endpoint.items() for stat in ("p50", "p90", "p99")
        ], 12, 2, 12),
        graph("Errors", [
            _metric_row(metric, d, "Sum", f"{ep} {metric}")
            for ep, d in per_endpoint.items() for metric in ("SystemErrors", "UserErrors")
        ], 0, 8, 8),
        graph("Throttles", [_metric_row("Throttles", d, "Sum", ep) for ep, d in per_endpoint.items()], 8, 8, 8),
        graph("New sessions", [_metric_row("SessionCount", d, "Sum", ep) for ep, d in per_endpoint.items()], 16, 8, 8),
    ]


def _tokens_and_alarms(graph: _Graphs, y: int, model_id: str | None, alarm_arns: Sequence[str]) -> list[dict[str, Any]]:
    widgets: list[dict[str, Any]] = []
    if model_id:
        widgets.append(graph(f"Model tokens: {model_id} (every caller in this account and region)", [
            _metric_row(metric, {"ModelId": model_id}, "Sum", metric) for metric in ("InputTokenCount", "OutputTokenCount")
        ], 0, y, 12))
    if alarm_arns:
        widgets.append({
            "type": "alarm", "x": 12 if model_id else 0, "y": y, "width": 12, "height": 6,
            "properties": {"title": "Alarms", "alarms": list(alarm_arns), "sortBy": "stateUpdatedTimestamp"},
        })
    return widgets


def _error_lines(region: str, y: int, runtime_log_groups: Sequence[str]) -> dict[str, Any]:
    sources = " | ".join(f"SOURCE '{name}'" for name in runtime_log_groups)
    return {
        "type": "log", "x": 0, "y": y, "width": 24, "height": 6,
        "properties": {
            "title": "Recent error lines (runtime logs)", "region": region, "view": "table",
            "query": (
                f"{sources} | fields @timestamp, @logStream, @message"
                f" | filter @message like {_ERROR_LINES} | sort @timestamp desc | limit 50"
            ),
        },
    }
