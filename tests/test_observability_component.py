"""RuntimeObservability under Pulumi's mock engine, for a dev-like and a prod-like stack.

The component used on its own (AgentCoreRuntime wires it the same way; tests/test_program.py
checks that for both real stacks). Only the engine and AWS are mocked, by the shared
`tests.testkit.pulumi_mocks.AwsMocks`: it answers the invokes the component makes (partition, caller
identity, region) and returns the ids and ARNs AWS would assign. The runtime itself is an
aws-native Runtime resource whose ARN and id come back from the mock, so every assertion about
wiring checks values that could only have arrived through Outputs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws_native as aws_native
import pytest

from components.aws_context import read_aws_context
from components.observability.resources import RuntimeObservability, RuntimeObservabilityArgs
from components.observability.settings import ObservabilityConfig
from tests.testkit.cfn_schemas import cfn_errors
from tests.testkit.observability_facts import DEV, DOCUMENTED_DIMENSIONS, PROD, metric_rows
from tests.testkit.pulumi_mocks import AwsMocks, Registration, Run, run_pulumi

COMPONENT = "agentcore:observability:RuntimeObservability"
RUNTIME = "aws-native:bedrockagentcore:Runtime"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADOPTABLE = "pulumi-python:dynamic/agentcore:AdoptableLogGroup"
SEGMENT_DESTINATION = "aws:xray/traceSegmentDestination:TraceSegmentDestination"


@dataclass
class Deployment:
    """One mocked `pulumi up` (or preview) of a runtime and its RuntimeObservability."""

    run: Run
    outputs: dict[str, Any]

    @property
    def registrations(self) -> list[Registration]:
        return [r for r in self.run.registrations if r.type != "pulumi:pulumi:Stack"]

    @property
    def runtime_urn(self) -> str:
        return self.run.one(RUNTIME).urn

    @property
    def runtime_arn(self) -> str:
        return self.outputs.get("runtime_arn", "")

    @property
    def runtime_id(self) -> str:
        return self.outputs.get("runtime_id", "")

    def of_type(self, typ: str) -> list[Registration]:
        return self.run.of_type(typ)

    def one(self, typ: str, name: str) -> Registration:
        found = [r for r in self.of_type(typ) if r.name == name]
        assert len(found) == 1, f"expected one {typ} named {name}, found {[r.name for r in self.of_type(typ)]}"
        return found[0]


def deploy(
    config: ObservabilityConfig,
    monkeypatch: pytest.MonkeyPatch,
    *,
    runtime_name: str,
    endpoints: tuple[str, ...] = ("DEFAULT",),
    model_id: str | None = None,
    tags: dict[str, str] | None = None,
    partition: str = "aws",
    region: str = "eu-west-1",
    account_id: str = "111122223333",
    preview: bool = False,
) -> Deployment:
    captured: dict[str, Any] = {}

    def program() -> None:
        runtime = aws_native.bedrockagentcore.Runtime(
            "agent",
            agent_runtime_name=runtime_name,
            agent_runtime_artifact={"container_configuration": {
                "container_uri": f"{account_id}.dkr.ecr.{region}.amazonaws.com/agent@sha256:{'a' * 64}",
            }},
            role_arn=f"arn:{partition}:iam::{account_id}:role/agent",
            network_configuration={"network_mode": "PUBLIC"},
        )
        component = RuntimeObservability("obs", RuntimeObservabilityArgs(
            runtime_name=runtime_name,
            runtime_arn=runtime.agent_runtime_arn,
            runtime_id=runtime.agent_runtime_id,
            aws=read_aws_context(runtime),
            config=config,
            endpoint_names=endpoints,
            model_id=model_id,
            tags=tags or {},
        ))
        pulumi.Output.all(
            runtime.agent_runtime_arn, runtime.agent_runtime_id,
            component.runtime_log_group_names, component.vended_log_group_names, component.alarm_arns,
            component.dashboard_name, component.dashboard_url,
        ).apply(lambda v: captured.update(  # runs only when every value is known
            runtime_arn=v[0], runtime_id=v[1], runtime_log_group_names=v[2],
            vended_log_group_names=v[3], alarm_arns=v[4], dashboard_name=v[5], dashboard_url=v[6],
        ))

    run = run_pulumi(
        program,
        mocks=AwsMocks(region=region, partition=partition, account_id=account_id, preview=preview),
        project="agentcore",
        stack="test",
        config={},
        monkeypatch=monkeypatch,
    )
    return Deployment(run, captured)


# ---------------------------------------------------------------------------------------------


def test_dev_stack_creates_log_groups_named_from_the_runtime_outputs_with_dev_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(DEV, monkeypatch, runtime_name="support_agent_dev", tags={"stack": "dev"})
    expected_runtime_group = f"/aws/bedrock-agentcore/runtimes/{d.runtime_id}-DEFAULT"
    # The service may create its runtime groups before or after us: created or adopted, never a plain create.
    (runtime_group,) = d.of_type(ADOPTABLE)
    assert runtime_group.name == "obs-runtime-DEFAULT"
    assert runtime_group.inputs["log_group_name"] == expected_runtime_group
    assert (runtime_group.inputs["retention_in_days"], runtime_group.inputs.get("kms_key_id")) == (14, None)
    assert runtime_group.inputs["tags"] == {"stack": "dev"}
    assert runtime_group.inputs["retain_on_delete"] is False  # dev logs go with the stack
    assert runtime_group.inputs["region"] == "eu-west-1"  # the parent's region, not the provider host's guess
    assert runtime_group.retain_on_delete is False  # the provider itself keeps or deletes the group
    groups = {r.name: r for r in d.of_type(LOG_GROUP)}
    assert set(groups) == {"obs-application-logs"}  # dev keeps usage logs off; we alone name the vended groups
    assert groups["obs-application-logs"].inputs["name"] == (
        f"/aws/vendedlogs/bedrock-agentcore/runtime/APPLICATION_LOGS/{d.runtime_id}"
    )
    assert groups["obs-application-logs"].inputs["retentionInDays"] == 14
    assert "kmsKeyId" not in groups["obs-application-logs"].inputs
    assert groups["obs-application-logs"].retain_on_delete is False
    for group in (runtime_group, *groups.values()):
        # The names came from the runtime's id output, so the engine records the dependency.
        assert d.runtime_urn in group.dependencies
    assert d.outputs["runtime_log_group_names"] == {"DEFAULT": expected_runtime_group}
    assert d.outputs["vended_log_group_names"] == {"APPLICATION_LOGS": groups["obs-application-logs"].inputs["name"]}


def test_prod_stack_covers_every_endpoint_with_long_retention_kms_and_kept_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(PROD, monkeypatch, runtime_name="support_agent_prod", endpoints=("DEFAULT", "live"))
    runtime_groups = {r.name: r for r in d.of_type(ADOPTABLE)}
    assert set(runtime_groups) == {"obs-runtime-DEFAULT", "obs-runtime-live"}
    assert runtime_groups["obs-runtime-live"].inputs["log_group_name"] == f"/aws/bedrock-agentcore/runtimes/{d.runtime_id}-live"
    for group in runtime_groups.values():
        assert (group.inputs["retention_in_days"], group.inputs["kms_key_id"]) == (365, PROD.log_kms_key_arn)
        assert group.inputs["retain_on_delete"] is True
    groups = {r.name: r for r in d.of_type(LOG_GROUP)}
    assert set(groups) == {"obs-application-logs", "obs-usage-logs"}
    assert groups["obs-usage-logs"].inputs["name"].endswith(f"/runtime/USAGE_LOGS/{d.runtime_id}")
    for group in groups.values():
        assert group.inputs["retentionInDays"] == 365
        assert group.inputs["kmsKeyId"] == PROD.log_kms_key_arn
        assert group.retain_on_delete is True
    assert set(d.outputs["runtime_log_group_names"]) == {"DEFAULT", "live"}
    # The dashboard's log widget reads those groups: it waits for them.
    board = d.one("aws:cloudwatch/dashboard:Dashboard", "obs-dashboard")
    assert {r.urn for r in runtime_groups.values()} <= set(board.dependencies)


@pytest.mark.parametrize("config, runtime_name, log_types", [
    (DEV, "support_agent_dev", ["APPLICATION_LOGS"]),
    (PROD, "support_agent_prod", ["APPLICATION_LOGS", "USAGE_LOGS"]),
])
def test_deliveries_wire_the_runtime_arn_to_our_log_groups_and_to_xray(
    monkeypatch: pytest.MonkeyPatch, config: ObservabilityConfig, runtime_name: str, log_types: list[str]
) -> None:
    d = deploy(config, monkeypatch, runtime_name=runtime_name, tags={"stack": "test"})
    sources = {r.inputs["logType"]: r for r in d.of_type("aws-native:logs:DeliverySource")}
    assert sorted(sources) == sorted([*log_types, "TRACES"])
    for source in sources.values():
        assert source.inputs["resourceArn"] == d.runtime_arn
        assert d.runtime_urn in source.dependencies
        assert source.inputs["tags"] == [{"key": "stack", "value": "test"}]

    destinations = {r.name: r for r in d.of_type("aws-native:logs:DeliveryDestination")}
    groups = {r.name: r for r in d.of_type("aws:cloudwatch/logGroup:LogGroup")}
    app_dst = destinations["obs-app-destination"]
    assert app_dst.inputs["deliveryDestinationType"] == "CWL"
    assert app_dst.inputs["destinationResourceArn"] == groups["obs-application-logs"].outputs["arn"]
    trace_dst = destinations["obs-traces-destination"]
    assert trace_dst.inputs["deliveryDestinationType"] == "XRAY"
    assert "destinationResourceArn" not in trace_dst.inputs

    deliveries = {r.name: r for r in d.of_type("aws-native:logs:Delivery")}
    suffixes = ["app", *(["usage"] if "USAGE_LOGS" in log_types else []), "traces"]
    for suffix in suffixes:
        delivery = deliveries[f"obs-{suffix}"]
        source = d.one("aws-native:logs:DeliverySource", f"obs-{suffix}-source")
        target = d.one("aws-native:logs:DeliveryDestination", f"obs-{suffix}-destination")
        assert delivery.inputs["deliverySourceName"] == source.inputs["name"]
        assert delivery.inputs["deliveryDestinationArn"] == target.outputs["arn"]
    # Deliveries are created one after another.
    ordered = [deliveries[f"obs-{s}"] for s in suffixes]
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        assert any(dep.endswith(f"::{earlier.name}") for dep in later.dependencies)


def test_delivery_resource_policies_are_scoped_to_our_groups_and_this_runtime(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(PROD, monkeypatch, runtime_name="support_agent_prod")
    delivery_policy = d.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "obs-log-delivery-policy")
    policy = json.loads(delivery_policy.inputs["policyDocument"])
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    vended = d.outputs["vended_log_group_names"].values()
    assert sorted(statement["Resource"]) == sorted(
        f"arn:aws:logs:eu-west-1:111122223333:log-group:{name}:log-stream:*" for name in vended
    )
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}

    xray = json.loads(d.one("aws:xray/resourcePolicy:ResourcePolicy", "obs-traces-delivery-policy").inputs["policyDocument"])
    (statement,) = xray["Statement"]
    assert statement["Action"] == ["xray:PutTraceSegments"]
    assert statement["Condition"]["ForAllValues:ArnLike"] == {"logs:LogGeneratingResourceArns": [d.runtime_arn]}

    # Destinations are created only once their policy exists.
    app_dst = d.one("aws-native:logs:DeliveryDestination", "obs-app-destination")
    assert any(dep.endswith("::obs-log-delivery-policy") for dep in app_dst.dependencies)
    trace_dst = d.one("aws-native:logs:DeliveryDestination", "obs-traces-destination")
    assert any(dep.endswith("::obs-traces-delivery-policy") for dep in trace_dst.dependencies)


@pytest.mark.parametrize("config, runtime_name, resources", [
    (DEV, "support_agent_dev", 6),
    (PROD, "A" * 48, 9),  # the longest runtime name AgentCore allows: delivery names must still fit
])
def test_aws_native_inputs_validate_against_the_cloudformation_schemas(
    monkeypatch: pytest.MonkeyPatch, config: ObservabilityConfig, runtime_name: str, resources: int
) -> None:
    d = deploy(config, monkeypatch, runtime_name=runtime_name, tags={"project": "agentcore", "stack": "test"})
    checked = 0
    for typ, cfn_type in [
        ("aws-native:logs:DeliverySource", "AWS::Logs::DeliverySource"),
        ("aws-native:logs:DeliveryDestination", "AWS::Logs::DeliveryDestination"),
        ("aws-native:logs:Delivery", "AWS::Logs::Delivery"),
    ]:
        for registration in d.of_type(typ):
            assert cfn_errors(cfn_type, "eu-west-1", registration.inputs) == [], registration.name
            for name_key in ("name", "deliverySourceName"):
                value = registration.inputs.get(name_key)
                if value is not None:  # the schema's pattern is unanchored; check it in full
                    assert re.fullmatch(r"[\w-]{1,60}", value), value
            checked += 1
    assert checked == resources


def test_transaction_search_is_adopted_and_kept_when_the_stack_is_destroyed(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(PROD, monkeypatch, runtime_name="support_agent_prod")
    destination = d.one("aws:xray/traceSegmentDestination:TraceSegmentDestination", "obs-transaction-search")
    rule = d.one("aws:xray/indexingRule:IndexingRule", "obs-transaction-search-indexing")
    policy = d.one("aws:cloudwatch/logResourcePolicy:LogResourcePolicy", "obs-transaction-search-policy")
    assert destination.inputs["destination"] == "CloudWatchLogs"
    assert rule.inputs["name"] == "Default"
    assert rule.inputs["rule"] == {"probabilistic": {"desiredSamplingPercentage": 5.0}}
    for account_level in (destination, rule, policy):
        assert account_level.retain_on_delete is True
        # Protect would block `pulumi destroy` of the whole stack; retain lets it go and keeps the setting.
        assert account_level.protect is False
    document = json.loads(policy.inputs["policyDocument"])
    (statement,) = document["Statement"]
    assert statement["Principal"] == {"Service": "xray.amazonaws.com"}
    assert statement["Resource"] == [
        "arn:aws:logs:eu-west-1:111122223333:log-group:aws/spans:*",
        "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/application-signals/data:*",
    ]
    assert any(dep.endswith("::obs-transaction-search-policy") for dep in destination.dependencies)
    assert any(dep.endswith("::obs-transaction-search") for dep in rule.dependencies)


def test_dev_stack_leaves_the_account_level_transaction_search_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(DEV, monkeypatch, runtime_name="support_agent_dev")
    assert d.of_type(SEGMENT_DESTINATION) == []
    assert d.of_type("aws:xray/indexingRule:IndexingRule") == []


def test_plain_runtime_groups_keep_the_resources_an_older_stack_has(monkeypatch: pytest.MonkeyPatch) -> None:
    # adopt_runtime_log_groups=False: the log-group resources of every stack deployed before
    # adoption, URN for URN, so such a stack (or a program in another language) sees no change.
    d = deploy(ObservabilityConfig(adopt_runtime_log_groups=False, log_retention_days=14), monkeypatch,
               runtime_name="support_agent", endpoints=("DEFAULT", "live"))
    assert d.of_type(ADOPTABLE) == []
    groups = {r.name: r for r in d.of_type(LOG_GROUP)}
    assert set(groups) == {"obs-runtime-DEFAULT", "obs-runtime-live"}
    component = d.run.one(COMPONENT).urn
    assert groups["obs-runtime-DEFAULT"].urn == (
        "urn:pulumi:test::agentcore::agentcore:observability:RuntimeObservability"
        "$aws:cloudwatch/logGroup:LogGroup::obs-runtime-DEFAULT"
    )
    assert groups["obs-runtime-DEFAULT"].parent == component
    assert groups["obs-runtime-live"].inputs["name"] == f"/aws/bedrock-agentcore/runtimes/{d.runtime_id}-live"
    assert {g.inputs["retentionInDays"] for g in groups.values()} == {14}


def test_traces_wait_for_transaction_search_where_the_stack_turns_it_on(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(PROD, monkeypatch, runtime_name="support_agent_prod")
    (search,) = d.of_type(SEGMENT_DESTINATION)
    for name in ("obs-traces-destination", "obs-traces"):
        (trace_resource,) = [r for r in d.registrations if r.name == name]
        assert search.urn in trace_resource.dependencies, name
    # The other deliveries do not wait for an account setting they do not use.
    app = d.one("aws-native:logs:DeliveryDestination", "obs-app-destination")
    assert search.urn not in app.dependencies


def test_traces_into_a_region_where_search_is_already_on_depend_on_no_search_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ObservabilityConfig(traces=True, transaction_search_enabled_in_region=True)
    d = deploy(config, monkeypatch, runtime_name="support_agent")
    assert d.of_type(SEGMENT_DESTINATION) == []
    delivery = d.one("aws-native:logs:Delivery", "obs-traces")
    assert any(dep.endswith("::obs-traces-delivery-policy") for dep in delivery.dependencies)


@pytest.mark.parametrize("config, runtime_name, period, periods, thresholds, actions", [
    (DEV, "support_agent_dev", 300, 1, {"errors": 10, "throttles": 5, "latency-p99": 120000}, []),
    (PROD, "support_agent_prod", 60, 3, {"errors": 1, "throttles": 1, "latency-p99": 60000},
     ["arn:aws:sns:eu-west-1:111122223333:agentcore-alarms"]),
])
def test_alarms_per_endpoint_use_stack_thresholds_and_the_runtime_dimensions(
    monkeypatch: pytest.MonkeyPatch, config: ObservabilityConfig, runtime_name: str, period: int, periods: int,
    thresholds: dict[str, float], actions: list[str],
) -> None:
    d = deploy(config, monkeypatch, runtime_name=runtime_name, endpoints=("DEFAULT", "live"))
    alarms = {r.inputs["name"]: r for r in d.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")}
    assert set(alarms) == {f"{runtime_name}-{ep}-{kind}" for ep in ("DEFAULT", "live") for kind in thresholds}
    for alarm_name, alarm in alarms.items():
        endpoint, kind = alarm_name.removeprefix(f"{runtime_name}-").split("-", 1)
        assert alarm.inputs["threshold"] == thresholds[kind]
        assert alarm.inputs["evaluationPeriods"] == periods
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        assert alarm.inputs.get("alarmActions", []) == actions
        assert alarm.inputs.get("okActions", []) == actions
        for query in alarm.inputs["metricQueries"]:
            metric = query.get("metric")
            if metric is None:
                continue
            assert metric["period"] == period
            assert metric["dimensions"] == {
                "Operation": "InvokeAgentRuntime", "Name": f"{runtime_name}::{endpoint}", "Resource": d.runtime_arn,
            }
            assert (metric["namespace"], metric["metricName"]) in DOCUMENTED_DIMENSIONS
        assert d.runtime_urn in alarm.dependencies
    latency = alarms[f"{runtime_name}-live-latency-p99"].inputs["metricQueries"]
    assert [q["metric"]["stat"] for q in latency] == ["p99"]
    assert d.outputs["alarm_arns"]["live-errors"] == f"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:{runtime_name}-live-errors"


@pytest.mark.parametrize("config, runtime_name", [(DEV, "support_agent_dev"), (PROD, "support_agent_prod")])
def test_dashboard_is_valid_json_referencing_only_this_runtimes_documented_metrics(
    monkeypatch: pytest.MonkeyPatch, config: ObservabilityConfig, runtime_name: str
) -> None:
    model_id = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0"
    d = deploy(config, monkeypatch, runtime_name=runtime_name, endpoints=("DEFAULT", "live"), model_id=model_id)
    board = d.one("aws:cloudwatch/dashboard:Dashboard", "obs-dashboard")
    assert board.inputs["dashboardName"] == f"agentcore-{runtime_name}-eu-west-1"
    body = json.loads(board.inputs["dashboardBody"])
    rows = metric_rows(body)
    assert rows, "the dashboard graphs no metric"
    names_seen = set()
    for namespace, metric, dims in rows:
        assert DOCUMENTED_DIMENSIONS[(namespace, metric)] == frozenset(dims)
        if namespace == "AWS/Bedrock-AgentCore":
            assert dims["Resource"] == d.runtime_arn
            assert dims["Operation"] == "InvokeAgentRuntime"
            names_seen.add(dims["Name"])
        else:
            assert dims == {"ModelId": model_id}
    assert names_seen == {f"{runtime_name}::DEFAULT", f"{runtime_name}::live"}
    (alarm_widget,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(d.outputs["alarm_arns"].values())
    assert len(alarm_widget["properties"]["alarms"]) == 6
    (log_widget,) = [w for w in body["widgets"] if w["type"] == "log"]
    for group in d.outputs["runtime_log_group_names"].values():
        assert f"SOURCE '{group}'" in log_widget["properties"]["query"]
    assert d.outputs["dashboard_url"] == (
        f"https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/dashboard/agentcore-{runtime_name}-eu-west-1"
    )


@pytest.mark.parametrize("partition, region, console", [
    ("aws-cn", "cn-north-1", "https://console.amazonaws.cn/cloudwatch/home?region=cn-north-1"),
    ("aws-us-gov", "us-gov-west-1", "https://console.amazonaws-us-gov.com/cloudwatch/home?region=us-gov-west-1"),
])
def test_other_partitions_get_their_own_arns_and_console(
    monkeypatch: pytest.MonkeyPatch, partition: str, region: str, console: str
) -> None:
    config = ObservabilityConfig(application_logs=True, traces=True, transaction_search=True)
    d = deploy(config, monkeypatch, runtime_name="support_agent", partition=partition, region=region)
    assert d.runtime_arn.startswith(f"arn:{partition}:bedrock-agentcore:{region}:")
    assert d.outputs["dashboard_url"].startswith(console + "#dashboards/dashboard/")
    documents = [json.loads(r.inputs["policyDocument"]) for r in d.registrations if "policyDocument" in r.inputs]
    assert len(documents) == 3
    for document in documents:
        text = json.dumps(document)
        assert "arn:aws:" not in text
        assert f"arn:{partition}:" in text


def test_preview_of_a_fresh_stack_plans_every_resource_before_the_runtime_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    planned = deploy(PROD, monkeypatch, runtime_name="support_agent_prod", endpoints=("DEFAULT", "live"), preview=True)
    assert planned.outputs == {}, "runtime outputs must be unknown in this preview"
    created = deploy(PROD, monkeypatch, runtime_name="support_agent_prod", endpoints=("DEFAULT", "live"))
    assert sorted((r.type, r.name) for r in planned.registrations) == sorted(
        (r.type, r.name) for r in created.registrations
    )
    # Names known without the runtime (delivery sources, alarms) are already final in the plan.
    source = planned.one("aws-native:logs:DeliverySource", "obs-app-source")
    assert source.inputs["name"] == "support_agent_prod-app"
    alarm = planned.one("aws:cloudwatch/metricAlarm:MetricAlarm", "obs-live-errors")
    assert alarm.inputs["name"] == "support_agent_prod-live-errors"


def test_switches_turn_resources_off(monkeypatch: pytest.MonkeyPatch) -> None:
    config = ObservabilityConfig(runtime_logs=False, application_logs=False, traces=False, alarms=False, dashboard=False)
    d = deploy(config, monkeypatch, runtime_name="quiet_agent")
    created = {r.type for r in d.registrations} - {"aws-native:bedrockagentcore:Runtime"}
    assert created == {"agentcore:observability:RuntimeObservability"}
    # The names are still reported: the service creates these groups on first invocation regardless.
    assert d.outputs["runtime_log_group_names"] == {
        "DEFAULT": f"/aws/bedrock-agentcore/runtimes/{d.runtime_id}-DEFAULT",
    }
    assert d.outputs["alarm_arns"] == {}
    assert d.outputs["dashboard_url"] is None


def test_the_deliveries_need_no_iam_change_on_the_execution_role(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(PROD, monkeypatch, runtime_name="support_agent_prod")
    assert not [r.type for r in d.registrations if r.type.startswith("aws:iam/")]


def test_every_child_hangs_off_the_component(monkeypatch: pytest.MonkeyPatch) -> None:
    d = deploy(PROD, monkeypatch, runtime_name="support_agent_prod", endpoints=("DEFAULT", "live"))
    (component_urn,) = [r.urn for r in d.registrations if r.type == COMPONENT]
    for registration in d.registrations:
        if registration.type in ("agentcore:observability:RuntimeObservability", "aws-native:bedrockagentcore:Runtime"):
            continue
        assert registration.parent == component_urn, registration.name


@pytest.mark.parametrize("field, value, message", [
    ("runtime_name", "support-agent", "runtime_name: 'support-agent' must match"),
    ("endpoint_names", ("DEFAULT", "blue-green"), "endpoint_names: 'blue-green' must match"),
    ("endpoint_names", ("DEFAULT", "DEFAULT"), "lists an endpoint twice"),
    ("endpoint_names", (), "give at least one endpoint"),
])
def test_bad_component_args_fail_before_any_resource(field: str, value: Any, message: str) -> None:
    args: dict[str, Any] = {"runtime_name": "support_agent", "runtime_arn": "arn", "runtime_id": "id", "aws": None, field: value}
    with pytest.raises(ValueError, match=re.escape(message)):
        RuntimeObservabilityArgs(**args)
