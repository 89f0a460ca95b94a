"""Observability for one AgentCore runtime, as plain data: names, config validation, alarm specs,
dashboard body, IAM and resource-policy documents, and the container's OpenTelemetry environment.

Why a pure module: every fact here (a log group's exact name, a metric's exact dimensions, an IAM
action's exact spelling) is something AWS accepts or silently ignores, and a silent mismatch is the
typical failure (an alarm stuck in INSUFFICIENT_DATA, a dashboard of empty graphs, a log group
nobody writes to). Keeping the facts in functions without Pulumi objects lets the tests check each
one directly; `observability_component.RuntimeObservability` only wires them into resources.

Sources for the facts are listed beside each constant; /work/notes/readme_observability.md has the
long form.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

# --------------------------------------------------------------------------------------------
# Stack config: `agentcore:observability` (an object in Pulumi.<stack>.yaml)
# --------------------------------------------------------------------------------------------

CONFIG_NAMESPACE = "agentcore"
CONFIG_KEY = "observability"

# CloudWatch Logs accepts only these retention values (AWS::Logs::LogGroup RetentionInDays enum;
# the tests compare this tuple with cfn-lint's copy of the schema). "Never expire" is deliberately
# not offered: the point of managing the groups is that logs stop piling up.
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)

_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_SNS_TOPIC_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


class ObservabilityConfigError(ValueError):
    """Bad `agentcore:observability` config: one `<key>: <rule>` line per problem.

    `problems` keeps the (key, message) pairs so a caller can merge them into a larger report.
    """

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{key}: {message}" for key, message in self.problems))


def config_key(field_alias: str) -> str:
    """The full stack-config key of one field, as users write it in error messages and docs."""
    return f"{CONFIG_NAMESPACE}:{CONFIG_KEY}.{field_alias}"


def _positive_number(value: Any) -> float:
    # bool is an int subclass; `alarmEvaluationPeriods: true` must not quietly become 1.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"must be a positive number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"must be a positive number, got {value!r}")
    return float(value)


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"must be a positive whole number, got {value!r}")
    return value


class ObservabilityConfig(BaseModel):
    """What the stack decides about its runtime's observability (dev short and cheap, prod long).

    Field aliases are the camelCase keys under `agentcore:observability`; Python callers may use
    the snake_case names. Unknown keys are rejected so a typo cannot silently fall back to a default.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    log_retention_days: int = Field(30, alias="logRetentionDays")
    log_kms_key_arn: str | None = Field(None, alias="logKmsKeyArn")
    retain_logs_on_delete: bool = Field(False, alias="retainLogsOnDelete")
    runtime_logs: bool = Field(True, alias="runtimeLogs")
    application_logs: bool = Field(True, alias="applicationLogs")
    usage_logs: bool = Field(False, alias="usageLogs")
    traces: bool = Field(True, alias="traces")
    transaction_search: bool = Field(False, alias="transactionSearch")
    indexing_percentage: float = Field(1.0, alias="indexingPercentage")
    alarms: bool = Field(True, alias="alarms")
    alarm_topic_arn: str | None = Field(None, alias="alarmTopicArn")
    errors_threshold: float = Field(5.0, alias="errorsThreshold")
    throttles_threshold: float = Field(1.0, alias="throttlesThreshold")
    latency_p99_threshold_ms: float = Field(60_000.0, alias="latencyP99ThresholdMs")
    alarm_period_seconds: int = Field(300, alias="alarmPeriodSeconds")
    alarm_evaluation_periods: int = Field(1, alias="alarmEvaluationPeriods")
    dashboard: bool = Field(True, alias="dashboard")

    @field_validator("log_retention_days", mode="before")
    @classmethod
    def _retention_in_allowed_set(cls, value: Any) -> int:
        if isinstance(value, bool) or value not in LOG_RETENTION_DAYS:
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
        if value is None:
            return None
        if not isinstance(value, str) or not _KMS_KEY_ARN.match(value):
            raise ValueError(
                "must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>; "
                f"CloudWatch Logs does not take aliases), got {value!r}"
            )
        return value

    @field_validator("alarm_topic_arn", mode="before")
    @classmethod
    def _topic_arn(cls, value: Any) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str) or not _SNS_TOPIC_ARN.match(value):
            raise ValueError(f"must be an SNS topic ARN (arn:<partition>:sns:<region>:<account>:<name>), got {value!r}")
        return value


def parse_observability_config(raw: Mapping[str, Any] | None) -> ObservabilityConfig:
    """Validate the `agentcore:observability` object from stack config.

    Raises ObservabilityConfigError listing every bad key as `agentcore:observability.<key>: <rule>`,
    so `pulumi preview` stops before any resource is planned.
    """
    try:
        return ObservabilityConfig.model_validate(dict(raw or {}))
    except ValidationError as error:
        problems = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "(root)"
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "is not a known key (check the spelling against the README)"
            problems.append((config_key(key), message))
        raise ObservabilityConfigError(problems) from None


# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

DEFAULT_ENDPOINT = "DEFAULT"
_AGENTCORE_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")

# The service writes container stdout/stderr and the ADOT logs of one endpoint to
# /aws/bedrock-agentcore/runtimes/<runtime-id>-<endpoint-name>, in streams
# `<date>/[runtime-logs]<uuid>` and `otel-rt-logs` (AWS docs; CDK `applicationLogGroup`).
RUNTIME_LOG_GROUP_PREFIX = "/aws/bedrock-agentcore/runtimes/"
RUNTIME_LOG_STREAMS = ("runtime-logs", "otel-rt-logs")

# Vended-log groups follow the console's convention so the AgentCore console finds them:
# /aws/vendedlogs/bedrock-agentcore/runtime/<LOG_TYPE>/<runtime-id>.
VENDED_LOG_GROUP_PREFIX = "/aws/vendedlogs/bedrock-agentcore/runtime/"
APPLICATION_LOGS = "APPLICATION_LOGS"
USAGE_LOGS = "USAGE_LOGS"
TRACES = "TRACES"

# AWS::Logs::DeliverySource / DeliveryDestination names: 1-60 chars of [\w-].
DELIVERY_NAME_MAX = 60


def validate_agentcore_name(value: str, field: str) -> str:
    """Runtime and endpoint names: `[a-zA-Z][a-zA-Z0-9_]{0,47}` (no hyphens), per the CFN schema."""
    if not isinstance(value, str) or not _AGENTCORE_NAME.match(value):
        raise ValueError(f"{field}: {value!r} must match [a-zA-Z][a-zA-Z0-9_]{{0,47}} (AgentCore names take no hyphens)")
    return value


def runtime_log_group_name(runtime_id: str, endpoint_name: str) -> str:
    """The log group the service creates on an endpoint's first invocation."""
    return f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_id}-{endpoint_name}"


def runtime_log_group_pattern(runtime_name: str) -> str:
    """Matches the log groups of every endpoint of this runtime and of no other runtime.

    A runtime id is `<name>-<10 chars>` and names cannot contain hyphens, so `<name>-*` cannot
    reach a runtime whose name merely starts with this one.
    """
    return f"{RUNTIME_LOG_GROUP_PREFIX}{runtime_name}-*"


def vended_log_group_name(log_type: str, runtime_id: str) -> str:
    if log_type not in (APPLICATION_LOGS, USAGE_LOGS):
        raise ValueError(f"log_type must be {APPLICATION_LOGS} or {USAGE_LOGS}, got {log_type!r}")
    return f"{VENDED_LOG_GROUP_PREFIX}{log_type}/{runtime_id}"


def delivery_resource_name(runtime_name: str, suffix: str) -> str:
    """`<runtime>-<suffix>`, shortened with a stable hash when it would pass 60 characters.

    Known at preview (no runtime id needed) and unique per account and region because runtime
    names are.
    """
    full = f"{runtime_name}-{suffix}"
    if len(full) <= DELIVERY_NAME_MAX:
        return full
    digest = hashlib.sha256(runtime_name.encode()).hexdigest()[:8]
    keep = DELIVERY_NAME_MAX - len(suffix) - len(digest) - 2
    return f"{runtime_name[:keep]}-{digest}-{suffix}"


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


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


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

        specs.append(AlarmSpec(
            key=f"{endpoint}-errors",
            name=alarm_name(runtime_name, endpoint, "errors"),
            description=(
                f"AgentCore runtime {runtime_name} endpoint {endpoint}: system + user errors reached "
                f"{config.errors_threshold:g} in {period}s"
            ),
            threshold=config.errors_threshold,
            evaluation_periods=config.alarm_evaluation_periods,
            queries=(
                metric("system", "SystemErrors", "Sum", False),
                metric("user", "UserErrors", "Sum", False),
                MetricQuery(id="errors", return_data=True, label="Errors", expression="system + user"),
            ),
        ))
        specs.append(AlarmSpec(
            key=f"{endpoint}-throttles",
            name=alarm_name(runtime_name, endpoint, "throttles"),
            description=(
                f"AgentCore runtime {runtime_name} endpoint {endpoint}: throttled requests reached "
                f"{config.throttles_threshold:g} in {period}s"
            ),
            threshold=config.throttles_threshold,
            evaluation_periods=config.alarm_evaluation_periods,
            queries=(metric("throttles", "Throttles", "Sum", True),),
        ))
        specs.append(AlarmSpec(
            key=f"{endpoint}-latency-p99",
            name=alarm_name(runtime_name, endpoint, "latency-p99"),
            description=(
                f"AgentCore runtime {runtime_name} endpoint {endpoint}: p99 latency reached "
                f"{config.latency_p99_threshold_ms:g} ms over {period}s"
            ),
            threshold=config.latency_p99_threshold_ms,
            evaluation_periods=config.alarm_evaluation_periods,
            queries=(metric("latency", "Latency", "p99", True),),
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
# IAM: execution role statements and resource policies
# --------------------------------------------------------------------------------------------

Statement = dict[str, Any]


def execution_role_telemetry_statements(
    *,
    partition: str,
    region: str,
    account_id: str,
    runtime_name: str,
    log_groups_precreated: bool = True,
) -> list[Statement]:
    """What the runtime's execution role needs so its logs, spans and metrics land in the resources
    this package manages. Use these in place of the broader `/aws/bedrock-agentcore/runtimes/*`
    grants of AWS's sample policy.

    The vended-log deliveries and Transaction Search need nothing on this role: CloudWatch Logs
    delivers as `delivery.logs.amazonaws.com` under the resource policies below, with the
    deployer's permissions.

    With `log_groups_precreated` (the component creates every endpoint's group), the role loses
    `logs:CreateLogGroup`: the service then cannot recreate a group without retention after a
    destroy, which it otherwise could while sessions drain.
    """
    groups = log_group_arn(partition, region, account_id, runtime_log_group_pattern(runtime_name))
    statements: list[Statement] = [
        {
            "Sid": "RuntimeLogStreams",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{groups}:log-stream:*"],
        },
        {
            "Sid": "RuntimeLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogStreams"] + ([] if log_groups_precreated else ["logs:CreateLogGroup"]),
            "Resource": [groups],
        },
        {
            # Listed on AWS's runtime-permissions page; it takes no resource ARN.
            "Sid": "DescribeLogGroups",
            "Effect": "Allow",
            "Action": ["logs:DescribeLogGroups"],
            "Resource": "*",
        },
        {
            # X-Ray's write and sampling actions have no resource-level permissions.
            "Sid": "TraceSegments",
            "Effect": "Allow",
            "Action": ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
            "Resource": "*",
        },
        {
            "Sid": "AgentMetrics",
            "Effect": "Allow",
            "Action": ["cloudwatch:PutMetricData"],
            "Resource": "*",
            "Condition": {"StringEquals": {"cloudwatch:namespace": AGENT_METRICS_NAMESPACE}},
        },
    ]
    return statements


def log_delivery_resource_policy(
    *, partition: str, region: str, account_id: str, log_group_names: Sequence[str]
) -> dict[str, Any]:
    """Lets CloudWatch Logs' delivery service write vended logs into exactly these groups
    (AWS-logs-infrastructure-V2-CloudWatchLogs; the CDK construct grants the same)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AWSLogDeliveryWrite",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [f"{log_group_arn(partition, region, account_id, n)}:log-stream:*" for n in log_group_names],
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:*"},
            },
        }],
    }


def xray_trace_delivery_policy(*, partition: str, region: str, account_id: str, runtime_arn: str) -> dict[str, Any]:
    """X-Ray resource policy for the TRACES delivery: only this runtime's spans, only from this
    account's delivery sources (AWS-logs-infrastructure-V2-XRayTraces). PutTraceSegments has no
    resource-level permissions, hence `*` narrowed by the conditions."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AWSLogDeliveryXRayWrite",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "xray:PutTraceSegments",
            "Resource": "*",
            "Condition": {
                "ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": [runtime_arn]},
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:logs:{region}:{account_id}:delivery-source:*"},
            },
        }],
    }


TRANSACTION_SEARCH_LOG_GROUPS = ("aws/spans", "/aws/application-signals/data")


def transaction_search_resource_policy(*, partition: str, region: str, account_id: str) -> dict[str, Any]:
    """Lets X-Ray write spans into the Transaction Search log groups (CloudWatch's CloudFormation
    recipe for Transaction Search, with its SourceArn/SourceAccount conditions)."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "TransactionSearchXRayAccess",
            "Effect": "Allow",
            "Principal": {"Service": "xray.amazonaws.com"},
            "Action": "logs:PutLogEvents",
            "Resource": [f"{log_group_arn(partition, region, account_id, n)}:*" for n in TRANSACTION_SEARCH_LOG_GROUPS],
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:xray:{region}:{account_id}:*"},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }],
    }


def log_kms_key_policy_statement(
    *, partition: str, region: str, account_id: str, dns_suffix: str, log_group_names: Sequence[str]
) -> Statement:
    """The statement the customer-managed key's policy needs before CloudWatch Logs can encrypt
    these groups with it. The key is not ours, so this is handed to whoever owns its policy."""
    return {
        "Sid": "CloudWatchLogsEncryptAgentCoreRuntimeLogs",
        "Effect": "Allow",
        "Principal": {"Service": f"logs.{region}.{dns_suffix}"},
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": [
            log_group_arn(partition, region, account_id, n) for n in log_group_names
        ]}},
    }


# --------------------------------------------------------------------------------------------
# Container side
# --------------------------------------------------------------------------------------------


def service_name(runtime_name: str, endpoint_name: str) -> str:
    """The OTel `service.name` AgentCore stamps on a runtime's telemetry: `<runtime>.<endpoint>`."""
    return f"{runtime_name}.{endpoint_name}"


def container_otel_environment(*, capture_message_content: bool = False) -> dict[str, str]:
    """Environment the runtime should carry so `opentelemetry-instrument` (ADOT) exports what the
    resources above expect.

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
        # Prompts and completions stay out of spans unless the stack opts in.
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true" if capture_message_content else "false",
    }
