"""Observability for one AgentCore runtime, as plain data: settings, names, alarm specs, dashboard
body, IAM and resource-policy documents, and the container's OpenTelemetry environment.

Why a pure module: every fact here (a log group's exact name, a metric's exact dimensions, an IAM
action's exact spelling) is something AWS accepts or silently ignores, and a silent mismatch is the
typical failure (an alarm stuck in INSUFFICIENT_DATA, a dashboard of empty graphs, a log group
nobody writes to). Keeping the facts in functions without Pulumi objects lets the tests check each
one directly; `observability_component.RuntimeObservability` only wires them into resources.

Sources for the facts are listed beside each constant; the README's observability section has the
long form.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, field_validator

from .arns import KMS_KEY_ARN, SNS_TOPIC_ARN
from .iam_policies import PolicyDocument, Statement, allow, document, log_group_arn, runtime_arn_pattern
from .names import RUNTIME_LOG_GROUP_PREFIX, runtime_log_group_pattern

# --------------------------------------------------------------------------------------------
# Settings: `observability` in the component's arguments, `agentcore:observability` in stack config
# --------------------------------------------------------------------------------------------

# CloudWatch Logs accepts only these retention values (AWS::Logs::LogGroup RetentionInDays enum;
# the tests compare this tuple with cfn-lint's copy of the schema). "Never expire" is deliberately
# not offered: the point of managing the groups is that logs stop piling up.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)


def _positive_number(value: Any) -> float:
    # bool is an int subclass; `alarmEvaluationPeriods: true` must not quietly become 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    return float(value)


def _positive_int(value: Any) -> int:
    # Other languages' SDKs send every number as a float: 60.0 is a whole number, 1.5 is not.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"must be a positive whole number, got {value!r}")
    return value


class ObservabilityConfig(BaseModel):
    """What a stack decides about its runtime's observability (dev short and cheap, prod long).

    Field names are the component's arguments; the stack config object `agentcore:observability`
    uses their camelCase forms (`logRetentionDays`). Unknown keys are rejected so a typo cannot
    silently fall back to a default. Validators raise ValueError with the rule; `settings` reports
    it under the argument or config key.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_retention_days: int = 30
    log_kms_key_arn: str | None = None
    retain_logs_on_delete: bool = False
    runtime_logs: bool = True
    application_logs: bool = True
    usage_logs: bool = False
    traces: bool = True
    transaction_search: bool = False
    indexing_percentage: float = 1.0
    alarms: bool = True
    alarm_topic_arn: str | None = None
    errors_threshold: float = 5.0
    throttles_threshold: float = 1.0
    latency_p99_threshold_ms: float = 60_000.0
    alarm_period_seconds: int = 300
    alarm_evaluation_periods: int = 1
    dashboard: bool = True

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention_in_allowed_set(cls, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in LOG_RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in LOG_RETENTION_DAYS)
            raise ValueError(f"must be one of CloudWatch's retention values ({allowed}), got {value!r}")
        return int(value)

    @field_validator("indexing_percentage", mode="before")
    @classmethod
    def _percentage(cls, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise ValueError(f"must be a number from 0 to 100, got {value!r}")
        if not 0 <= value <= 100:
            raise ValueError(f"must be a number from 0 to 100, got {value!r}")
        return float(value)

    @field_validator("errors_threshold", "throttles_threshold", "latency_p99_threshold_ms", mode="before")
    @classmethod
    def _thresholds_positive(cls, value: Any) -> float:
        return _positive_number(value)

    @field_validator("alarm_evaluation_periods", mode="before")
    @classmethod
    def _periods_positive(cls, value: Any) -> int:
        return _positive_int(value)

    @field_validator("alarm_period_seconds", mode="before")
    @classmethod
    def _period_whole_minutes(cls, value: Any) -> int:
        # AgentCore batches runtime metrics per minute, so a shorter or ragged period has no data.
        seconds = _positive_int(value)
        if seconds % 60:
            raise ValueError(f"must be a positive multiple of 60 (runtime metrics are per minute), got {value!r}")
        return seconds

    @field_validator("log_kms_key_arn", mode="before")
    @classmethod
    def _kms_key_arn(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or KMS_KEY_ARN.fullmatch(value) is None):
            raise ValueError(
                "must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>; "
                f"CloudWatch Logs does not take aliases), got {value!r}"
            )
        return value

    @field_validator("alarm_topic_arn", mode="before")
    @classmethod
    def _topic_arn(cls, value: Any) -> str | None:
        if value is not None and (not isinstance(value, str) or SNS_TOPIC_ARN.fullmatch(value) is None):
            raise ValueError(f"must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got {value!r}")
        return value

    def inert_settings(self, explicit: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Settings the user gave (`explicit`) that do nothing with the switches as they are, each
        with the switch that would make it count, so a stack file never says more than it does."""
        depends = {
            "alarm_topic_arn": "alarms", "errors_threshold": "alarms", "throttles_threshold": "alarms",
            "latency_p99_threshold_ms": "alarms", "alarm_period_seconds": "alarms",
            "alarm_evaluation_periods": "alarms", "indexing_percentage": "transaction_search",
        }
        return [(name, switch) for name, switch in depends.items() if name in explicit and not getattr(self, switch)]


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

DEFAULT_ENDPOINT = "DEFAULT"

# The service writes container stdout/stderr and the ADOT logs of one endpoint to
# /aws/bedrock-agentcore/runtimes/<runtime-id>-<endpoint-name> (prefix in names.py), in streams
# `<date>/[runtime-logs]<uuid>` and `otel-rt-logs` (AWS docs; CDK `applicationLogGroup`).

# Vended-log groups follow the console's convention so the AgentCore console finds them:
# /aws/vendedlogs/bedrock-agentcore/runtime/<LOG_TYPE>/<runtime-id>.
VENDED_LOG_GROUP_PREFIX = "/aws/vendedlogs/bedrock-agentcore/runtime/"
APPLICATION_LOGS = "APPLICATION_LOGS"
USAGE_LOGS = "USAGE_LOGS"
TRACES = "TRACES"
VENDED_LOG_TYPES = (APPLICATION_LOGS, USAGE_LOGS)

# Each log type gets a delivery source `<runtime>-<suffix>`, a destination `<runtime>-<suffix>-dst`
# and a delivery between them. The suffixes are short enough that the longest runtime name (48)
# still fits AWS::Logs::DeliverySource / DeliveryDestination names (1-60 characters of [\w-]), so
# the names never need shortening and `<runtime>-*` matches this runtime's and no other's
# (runtime names have no hyphen).
DELIVERY_SUFFIXES = {APPLICATION_LOGS: "app", USAGE_LOGS: "usage", TRACES: "traces"}
DESTINATION_SUFFIX = "-dst"

# The account-level logs resource policy Transaction Search needs (shared by every stack: same
# name, same content).
TRANSACTION_SEARCH_POLICY_NAME = "AgentCoreTransactionSearchXRayAccess"
TRANSACTION_SEARCH_DESTINATION = "CloudWatchLogs"


def runtime_log_group_name(runtime_id: str, endpoint_name: str) -> str:
    """The log group the service creates on an endpoint's first invocation."""
    return f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_id}-{endpoint_name}"


def vended_log_group_name(log_type: str, runtime_id: str) -> str:
    if log_type not in VENDED_LOG_TYPES:
        raise ValueError(f"log_type must be {APPLICATION_LOGS} or {USAGE_LOGS}, got {log_type!r}")
    return f"{VENDED_LOG_GROUP_PREFIX}{log_type}/{runtime_id}"


def vended_log_group_pattern(log_type: str, runtime_name: str) -> str:
    """This runtime's vended-log group of one type, whatever its id (see `runtime_log_group_pattern`)."""
    return vended_log_group_name(log_type, f"{runtime_name}-*")


def delivery_source_name(runtime_name: str, log_type: str) -> str:
    """Known at preview (no runtime id needed), unique per account and region as runtime names are."""
    return f"{runtime_name}-{DELIVERY_SUFFIXES[log_type]}"


def delivery_destination_name(runtime_name: str, log_type: str) -> str:
    return f"{delivery_source_name(runtime_name, log_type)}{DESTINATION_SUFFIX}"


def log_delivery_policy_name(runtime_name: str) -> str:
    """The logs resource policy that lets the delivery service write this runtime's vended logs."""
    return f"agentcore-{runtime_name}-log-delivery"


def trace_delivery_policy_name(runtime_name: str) -> str:
    """The X-Ray resource policy that lets the delivery service put this runtime's spans."""
    return f"agentcore-{runtime_name}-traces-delivery"


def alarm_name(runtime_name: str, endpoint_name: str, kind: str) -> str:
    return f"{runtime_name}-{endpoint_name}-{kind}"


def dashboard_name(runtime_name: str, region: str) -> str:
    # Dashboard names are unique per account, not per region, so the region is part of the name.
    return f"agentcore-{runtime_name}-{region}"


_CONSOLE_HOSTS = {
    "aws": "console.aws.amazon.com",
    "aws-cn": "console.amazonaws.cn",
    "aws-us-gov": "console.amazonaws-us-gov.com",
}


def dashboard_console_url(partition: str, region: str, name: str) -> str | None:
    """Console link to the dashboard; None in partitions without a public console (ISO)."""
    host = _CONSOLE_HOSTS.get(partition)
    if host is None:
        return None
    return f"https://{host}/cloudwatch/home?region={region}#dashboards/dashboard/{quote(name, safe='')}"


# --------------------------------------------------------------------------------------------
# Metrics the runtime publishes, and the only ones the alarms and dashboard may use
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Alarms
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Dashboard
# --------------------------------------------------------------------------------------------

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

    def graph(title: str, rows: list[list[Any]], x: int, y: int, w: int, h: int = 6, **extra: Any) -> dict[str, Any]:
        props = {"title": title, "region": region, "view": "timeSeries", "stacked": False, "period": period, "metrics": rows}
        props.update(extra)
        return {"type": "metric", "x": x, "y": y, "width": w, "height": h, "properties": props}

    endpoints_md = ", ".join(f"`{ep}`" for ep in endpoint_names)
    widgets: list[dict[str, Any]] = [{
        "type": "text", "x": 0, "y": 0, "width": 24, "height": 2,
        "properties": {"markdown": (
            f"## AgentCore runtime `{runtime_name}`\n"
            f"Endpoints {endpoints_md}. Metrics: `{RUNTIME_METRICS_NAMESPACE}`, one line per endpoint."
        )},
    }]
    widgets.append(graph("Invocations", [
        _metric_row("Invocations", d, "Sum", ep) for ep, d in per_endpoint.items()
    ], 0, 2, 12))
    widgets.append(graph("Latency p50 / p90 / p99 (ms)", [
        _metric_row("Latency", d, stat, f"{ep} {stat}") for ep, d in per_endpoint.items() for stat in ("p50", "p90", "p99")
    ], 12, 2, 12))
    widgets.append(graph("Errors", [
        _metric_row(metric, d, "Sum", f"{ep} {metric}")
        for ep, d in per_endpoint.items() for metric in ("SystemErrors", "UserErrors")
    ], 0, 8, 8))
    widgets.append(graph("Throttles", [
        _metric_row("Throttles", d, "Sum", ep) for ep, d in per_endpoint.items()
    ], 8, 8, 8))
    widgets.append(graph("New sessions", [
        _metric_row("SessionCount", d, "Sum", ep) for ep, d in per_endpoint.items()
    ], 16, 8, 8))
    y = 14
    if model_id:
        widgets.append(graph(f"Model tokens: {model_id} (every caller in this account and region)", [
            _metric_row(metric, {"ModelId": model_id}, "Sum", metric) for metric in ("InputTokenCount", "OutputTokenCount")
        ], 0, y, 12))
    if alarm_arns:
        widgets.append({
            "type": "alarm", "x": 12 if model_id else 0, "y": y, "width": 12, "height": 6,
            "properties": {"title": "Alarms", "alarms": list(alarm_arns), "sortBy": "stateUpdatedTimestamp"},
        })
    if model_id or alarm_arns:
        y += 6
    if runtime_log_groups:
        sources = " | ".join(f"SOURCE '{name}'" for name in runtime_log_groups)
        widgets.append({
            "type": "log", "x": 0, "y": y, "width": 24, "height": 6,
            "properties": {
                "title": "Recent error lines (runtime logs)", "region": region, "view": "table",
                "query": (
                    f"{sources} | fields @timestamp, @logStream, @message"
                    f" | filter @message like {_ERROR_LINES} | sort @timestamp desc | limit 50"
                ),
            },
        })
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


# --------------------------------------------------------------------------------------------
# IAM: execution role and deployer statements, resource policies
# --------------------------------------------------------------------------------------------


def execution_role_telemetry_statements(
    *,
    partition: str,
    region: str,
    account_id: str,
    runtime_name: str,
    log_groups_precreated: bool = True,
) -> list[Statement]:
    """What the runtime's execution role needs so its logs, spans and metrics land where they
    should: AWS's runtime-permissions list for telemetry, narrowed to this runtime's log groups
    instead of the sample policy's `/aws/bedrock-agentcore/runtimes/*`.

    The vended-log deliveries and Transaction Search need nothing on this role: CloudWatch Logs
    delivers as `delivery.logs.amazonaws.com` under the resource policies below, set up with the
    deployer's permissions.

    With `log_groups_precreated` (the component creates every endpoint's group), the role loses
    `logs:CreateLogGroup`: the service then cannot recreate a group without retention after a
    destroy, which it otherwise could while sessions drain. Without it (runtime logs not managed),
    the service must create the groups itself and the role keeps the action.
    """
    groups = log_group_arn(partition, region, account_id, runtime_log_group_pattern(runtime_name))
    group_actions = ["logs:DescribeLogStreams"] + ([] if log_groups_precreated else ["logs:CreateLogGroup"])
    return [
        allow("RuntimeLogStreams", ["logs:CreateLogStream", "logs:PutLogEvents"], [f"{groups}:log-stream:*"]),
        allow("RuntimeLogGroups", sorted(group_actions), [groups]),
        # Listed on AWS's runtime-permissions page; it takes no resource ARN.
        allow("DescribeLogGroups", ["logs:DescribeLogGroups"], "*"),
        # X-Ray's write and sampling actions have no resource-level permissions.
        allow(
            "TraceSegments",
            ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "*",
        ),
        allow(
            "AgentMetrics",
            ["cloudwatch:PutMetricData"],
            "*",
            {"StringEquals": {"cloudwatch:namespace": AGENT_METRICS_NAMESPACE}},
        ),
    ]


def deployer_telemetry_statements(
    *, partition: str, region: str, account_id: str, runtime_name: str, config: ObservabilityConfig
) -> list[Statement]:
    """What later `pulumi up` / `preview` / `destroy` runs need for this runtime's observability
    resources (the deployer role's share; sources: the CloudFormation handler permissions of
    AWS::Logs::LogGroup / DeliverySource / DeliveryDestination / Delivery / ResourcePolicy,
    AWS::XRay::ResourcePolicy, AWS::CloudWatch::Alarm / Dashboard, and CloudWatch's "traces sent to
    X-Ray" and service-specific vended-log permission pages).

    Everything named after this runtime (log groups, delivery sources and destinations, the X-Ray
    policy, alarms, the dashboard) is granted whatever the switches say: the deployer cannot change
    its own policy, so grants that followed the switches would make switching a resource on or off
    need the bootstrap credentials, and a resource switched off would no longer be deletable.
    Account-wide powers follow the switches: `logs:PutResourcePolicy` (no resource or condition
    narrows it) only with vended logs or Transaction Search, and the Transaction Search actions
    only in the stack that manages that account setting.
    """
    p, r, a = partition, region, account_id
    logs = f"arn:{p}:logs:{r}:{a}"
    sources = f"{logs}:delivery-source:{runtime_name}-*"
    destinations = f"{logs}:delivery-destination:{runtime_name}-*"
    # Delivery ids are generated by the service: there is no name to scope to.
    deliveries = f"{logs}:delivery:*"
    groups = [
        log_group_arn(p, r, a, runtime_log_group_pattern(runtime_name)),
        *(log_group_arn(p, r, a, vended_log_group_pattern(t, runtime_name)) for t in VENDED_LOG_TYPES),
    ]
    tagging = ["logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource"]
    statements = [
        allow(
            "TelemetryLogGroups",
            [
                "logs:AssociateKmsKey",
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:DeleteRetentionPolicy",
                "logs:DisassociateKmsKey",
                "logs:PutRetentionPolicy",
                *tagging,
            ],
            groups,
        ),
        allow(
            "TelemetryRead",
            [
                "logs:DescribeDeliveries",
                "logs:DescribeLogGroups",
                "logs:DescribeResourcePolicies",
                "xray:GetTraceSegmentDestination",
                "xray:ListResourcePolicies",
            ],
            "*",
        ),
        allow("LogDeliverySources", ["logs:DeleteDeliverySource", "logs:GetDeliverySource", *tagging], [sources]),
        # Only for this runtime: the delivery source names the resource whose logs it vends.
        allow(
            "LogDeliverySourceWrite",
            ["logs:PutDeliverySource"],
            [sources],
            {"ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": [runtime_arn_pattern(p, r, a, runtime_name)]}},
        ),
        # AgentCore's own consent to vend this runtime's logs and spans (a permission-only action
        # checked by PutDeliverySource).
        allow(
            "RuntimeVendedLogDelivery",
            ["bedrock-agentcore:AllowVendedLogDeliveryForResource"],
            [runtime_arn_pattern(p, r, a, runtime_name)],
        ),
        allow(
            "LogDeliveryDestinations",
            [
                "logs:DeleteDeliveryDestination",
                "logs:DeleteDeliveryDestinationPolicy",
                "logs:GetDeliveryDestination",
                "logs:GetDeliveryDestinationPolicy",
                "logs:PutDeliveryDestination",
                "logs:PutDeliveryDestinationPolicy",
                *tagging,
            ],
            [destinations],
        ),
        allow("LogDeliveryCreate", ["logs:CreateDelivery"], [deliveries, sources, destinations]),
        allow(
            "LogDeliveries",
            ["logs:DeleteDelivery", "logs:GetDelivery", "logs:UpdateDeliveryConfiguration", *tagging],
            [deliveries],
        ),
        allow(
            "TraceDeliveryPolicy",
            ["xray:DeleteResourcePolicy", "xray:PutResourcePolicy"],
            "*",
            {"StringEquals": {"xray:ResourcePolicyName": [trace_delivery_policy_name(runtime_name)]}},
        ),
        allow(
            "Alarms",
            [
                "cloudwatch:DeleteAlarms",
                "cloudwatch:DescribeAlarms",
                "cloudwatch:ListTagsForResource",
                "cloudwatch:PutMetricAlarm",
                "cloudwatch:TagResource",
                "cloudwatch:UntagResource",
            ],
            # Alarm names start with the runtime name, which has no hyphen (alarm_name).
            [f"arn:{p}:cloudwatch:{r}:{a}:alarm:{runtime_name}-*"],
        ),
        allow(
            "Dashboard",
            ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"],
            [f"arn:{p}:cloudwatch::{a}:dashboard/{dashboard_name(runtime_name, region)}"],
        ),
    ]
    if config.application_logs or config.usage_logs or config.transaction_search:
        statements.append(allow("LogResourcePolicies", ["logs:DeleteResourcePolicy", "logs:PutResourcePolicy"], "*"))
    if config.transaction_search:
        statements.append(
            allow(
                "TransactionSearchDestination",
                ["xray:UpdateTraceSegmentDestination"],
                "*",
                # Spans may be sent to CloudWatch Logs, never switched back off by this role.
                {"StringEquals": {"xray:TraceSegmentDestination": TRANSACTION_SEARCH_DESTINATION}},
            )
        )
        statements.append(allow("TransactionSearchIndexing", ["xray:GetIndexingRules", "xray:UpdateIndexingRule"], "*"))
    return statements


def _service_grant(
    sid: str, service: str, actions: Sequence[str], resources: Sequence[str] | str, condition: dict[str, Any]
) -> PolicyDocument:
    """A resource policy with one statement granting an AWS service principal, always conditioned
    on this account (confused-deputy guard)."""
    return document([{**allow(sid, actions, resources, condition), "Principal": {"Service": service}}])


def log_delivery_resource_policy(
    *, partition: str, region: str, account_id: str, log_group_names: Sequence[str]
) -> PolicyDocument:
    """Lets CloudWatch Logs' delivery service write vended logs into exactly these groups
    (AWS-logs-infrastructure-V2-CloudWatchLogs; the CDK construct grants the same)."""
    return _service_grant(
        "AWSLogDeliveryWrite",
        "delivery.logs.amazonaws.com",
        ["logs:CreateLogStream", "logs:PutLogEvents"],
        [f"{log_group_arn(partition, region, account_id, n)}:log-stream:*" for n in log_group_names],
        {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:*"},
        },
    )


def xray_trace_delivery_policy(*, partition: str, region: str, account_id: str, runtime_arn: str) -> PolicyDocument:
    """X-Ray resource policy for the TRACES delivery: only this runtime's spans, only from this
    account's delivery sources (AWS-logs-infrastructure-V2-XRayTraces). PutTraceSegments has no
    resource-level permissions, hence `*` narrowed by the conditions."""
    return _service_grant(
        "AWSLogDeliveryXRayWrite",
        "delivery.logs.amazonaws.com",
        ["xray:PutTraceSegments"],
        "*",
        {
            "ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": [runtime_arn]},
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:delivery-source:*"},
        },
    )


TRANSACTION_SEARCH_LOG_GROUPS = ("aws/spans", "/aws/application-signals/data")


def transaction_search_resource_policy(*, partition: str, region: str, account_id: str) -> PolicyDocument:
    """Lets X-Ray write spans into the Transaction Search log groups (CloudWatch's CloudFormation
    recipe for Transaction Search, with its SourceArn/SourceAccount conditions)."""
    return _service_grant(
        "TransactionSearchXRayAccess",
        "xray.amazonaws.com",
        ["logs:PutLogEvents"],
        [f"{log_group_arn(partition, region, account_id, n)}:*" for n in TRANSACTION_SEARCH_LOG_GROUPS],
        {
            "ArnLike": {"aws:SourceArn": f"arn:{partition}:xray:{region}:{account_id}:*"},
            "StringEquals": {"aws:SourceAccount": account_id},
        },
    )


# --------------------------------------------------------------------------------------------
# Container side
# --------------------------------------------------------------------------------------------


def container_otel_environment() -> dict[str, str]:
    """Environment the runtime carries so the image's `opentelemetry-instrument` (ADOT) wrapper
    exports what the resources above expect (the component reserves these names).

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
        # Prompts and completions stay out of spans: they may hold personal data, and spans are
        # readable by everyone with access to the account's traces.
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",
    }
