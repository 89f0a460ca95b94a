"""The real program (`__main__.py`) for both stacks, with the real Pulumi.dev.yaml / Pulumi.prod.yaml,
under Pulumi's mock engine: every child, its name, wiring, pinning, scopes, tags and the outputs,
including the observability child (log groups, deliveries, Transaction Search, alarms, dashboard)."""

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.testkit.observability_facts import DOCUMENTED_DIMENSIONS, metric_rows
from tests.testkit.pulumi_mocks import ACCOUNT_ID, ROOT, Registration, Run, load_yaml, run_program, unwrap_secret

STACKS = ("dev", "prod")
COMPONENT = "agentcore:index:AgentCoreRuntime"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "docker-build:index:Image"
RUNTIME = "aws-native:bedrockagentcore:Runtime"
ENDPOINT = "aws-native:bedrockagentcore:RuntimeEndpoint"
MANAGED_POLICY = "aws:iam/policy:Policy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
OBSERVABILITY = "agentcore:observability:RuntimeObservability"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADOPTABLE = "pulumi-python:dynamic/agentcore:AdoptableLogGroup"
LOG_POLICY = "aws:cloudwatch/logResourcePolicy:LogResourcePolicy"
SOURCE = "aws-native:logs:DeliverySource"
DESTINATION = "aws-native:logs:DeliveryDestination"
DELIVERY = "aws-native:logs:Delivery"
XRAY_POLICY = "aws:xray/resourcePolicy:ResourcePolicy"
SEGMENT_DESTINATION = "aws:xray/traceSegmentDestination:TraceSegmentDestination"
INDEXING_RULE = "aws:xray/indexingRule:IndexingRule"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
OUTPUT_NAMES = {
    "runtimeName", "runtimeArn", "runtimeId", "runtimeVersion", "endpointArn", "repositoryUrl",
    "imageUri", "executionRoleArn", "deployerRoleArn", "invokeCommand",
    "runtimeLogGroupNames", "vendedLogGroupNames", "alarmArns", "dashboardUrl", "encryptionKeyArn",
    "memoryId", "memoryArn",
}
MEMORY_NAMESPACES = {"dev": "[]", "prod": '["/users/{actorId}/facts","/users/{actorId}/preferences"]'}
# The OpenTelemetry setup the image's `opentelemetry-instrument` wrapper needs (tests/test_arm64.py
# runs the image's CMD with these names).
OTEL_ENVIRONMENT = {
    "AGENT_OBSERVABILITY_ENABLED": "true",
    "OTEL_PYTHON_DISTRO": "aws_distro",
    "OTEL_PYTHON_CONFIGURATOR": "aws_configurator",
    "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
    "OTEL_TRACES_EXPORTER": "otlp",
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false",
}


def stack_file(stack: str) -> dict[str, Any]:
    return load_yaml(ROOT / f"Pulumi.{stack}.yaml")["config"]


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    with pytest.MonkeyPatch.context() as mp:
        yield {stack: run_program(stack, mp) for stack in STACKS}


def named(run: Run, typ: str, suffix: str) -> Registration:
    [found] = [r for r in run.of_type(typ) if r.name.endswith(suffix)]
    return found


def policy(registration: Registration, key: str = "policy") -> dict[str, Any]:
    return json.loads(registration.inputs[key])


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in document["Statement"] if s.get("Sid") == sid]
    return found


def observability_children(stack: str) -> list[tuple[str, str]]:
    """What each stack's observability settings create, by type and name."""
    prefix = "agentcore-observability-"
    # Neither stack delivers application logs (they carry prompts and answers).
    children = [
        (ADOPTABLE, f"{prefix}runtime-DEFAULT"),
        (ADOPTABLE, f"{prefix}runtime-live"),
        *((ALARM, f"{prefix}{ep}-{kind}") for ep in ("DEFAULT", "live") for kind in ("errors", "throttles", "latency-p99")),
        (DASHBOARD, f"{prefix}dashboard"),
    ]
    if stack == "prod":  # usage logs, and traces with the account's Transaction Search
        children += [
            (LOG_GROUP, f"{prefix}usage-logs"),
            (LOG_POLICY, f"{prefix}log-delivery-policy"),
            (XRAY_POLICY, f"{prefix}traces-delivery-policy"),
            *((typ, f"{prefix}{kind}{suffix}") for kind in ("usage", "traces")
              for typ, suffix in ((SOURCE, "-source"), (DESTINATION, "-destination"), (DELIVERY, ""))),
            (LOG_POLICY, f"{prefix}transaction-search-policy"),
            (SEGMENT_DESTINATION, f"{prefix}transaction-search"),
            (INDEXING_RULE, f"{prefix}transaction-search-indexing"),
        ]
    return children


@pytest.mark.parametrize("stack", STACKS)
def test_children_and_parents(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    component = run.one(COMPONENT)
    observability = run.one(OBSERVABILITY)
    children = [r for r in run.registrations if r.parent == component.urn]
    assert sorted((r.type, r.name) for r in children) == sorted(
        [
            (ROLE, "agentcore-execution-role"),
            (ROLE_POLICY, "agentcore-execution-policy"),
            (ROLE, "agentcore-deployer-role"),
            (ROLE_POLICY, "agentcore-deployer-policy"),
            (MANAGED_POLICY, "agentcore-deployer-telemetry-policy"),
            (ATTACHMENT, "agentcore-deployer-telemetry"),
            (REPOSITORY, "agentcore-repository"),
            (LIFECYCLE, "agentcore-repository-lifecycle"),
            (IMAGE, "agentcore-image"),
            (RUNTIME, "agentcore-runtime"),
            (ENDPOINT, "agentcore-endpoint"),
            (OBSERVABILITY, "agentcore-observability"),
            ("pulumi-python:dynamic/agentcore:RuntimeCheck", "agentcore-post-deploy-check"),
            # Both stack files turn on AgentCore Memory.
            ("aws-native:bedrockagentcore:Memory", "agentcore-memory"),
            # prod's own KMS key (agentcore:encryptionKey: stack) and its alias; dev has none.
            *([("aws:kms/key:Key", "agentcore-key"), ("aws:kms/alias:Alias", "agentcore-key-alias")] if stack == "prod" else []),
        ]
    )
    grandchildren = [r for r in run.registrations if r.parent == observability.urn]
    assert sorted((r.type, r.name) for r in grandchildren) == sorted(observability_children(stack))
    # Nothing hangs anywhere else.
    assert len(run.registrations) == 2 + len(children) + len(grandchildren)
    # Invokes are parented too, so a caller's explicit providers apply to them.
    tokens = {token for token, _ in run.mocks.calls}
    assert tokens == {
        "aws:index/getPartition:getPartition",
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
        "aws:ecr/getAuthorizationToken:getAuthorizationToken",
        # prod looks for an existing repository before encrypting its repository with its key.
        *(["aws:ecr/getRepositories:getRepositories"] if stack == "prod" else []),
    }


@pytest.mark.parametrize("stack", STACKS)
def test_names(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    assert run.one(RUNTIME).inputs["agentRuntimeName"] == f"agentcore_{stack}"
    assert named(run, ROLE, "execution-role").inputs["name"] == f"agentcore-{stack}-execution"
    assert named(run, ROLE, "deployer-role").inputs["name"] == f"agentcore-{stack}-deployer"
    assert run.one(REPOSITORY).inputs["name"] == f"agentcore-{stack}"
    assert run.one(ENDPOINT).inputs["name"] == "live"


@pytest.mark.parametrize("stack", STACKS)
def test_image_is_arm64_tagged_by_content_and_pinned_by_digest(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    image = run.one(IMAGE).inputs
    repo_url = run.one(REPOSITORY).outputs["repositoryUrl"]
    assert image["platforms"] == ["linux/arm64"]
    assert image["push"] is True
    assert image["context"] == {"location": "agent_image"}
    assert image["dockerfile"] == {"location": "agent_image/Dockerfile"}
    # Tagged by the context's content hash (its known answers are in test_component_context_hash).
    [tag] = image["tags"]
    assert re.fullmatch(re.escape(repo_url) + r":ctx-[0-9a-f]{32}", tag), tag
    assert image["buildOnPreview"] is stack_file(stack).get("agentcore:buildOnPreview", True)
    secret, registries = unwrap_secret(image["registries"])
    assert secret, "the registry password must reach the engine as a secret"
    [registry] = registries
    assert registry["address"] == repo_url.split("/")[0]
    assert registry["username"] == "AWS" and registry["password"] == "mock-ecr-password"
    digest = run.one(IMAGE).outputs["digest"]
    uri = run.one(RUNTIME).inputs["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"]
    assert uri == f"{repo_url}@{digest}"
    assert re.fullmatch(r".+@sha256:[0-9a-f]{64}", uri) and ":ctx-" not in uri
    assert run.outputs["imageUri"] == uri


@pytest.mark.parametrize("stack", STACKS)
def test_repository_is_hardened(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    repo = run.one(REPOSITORY)
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    # prod encrypts with its own KMS key (agentcore:encryptionKey: stack); dev keeps AES256.
    if stack == "prod":
        key = run.one("aws:kms/key:Key")
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}]
    else:
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repo.inputs["forceDelete"] is config.get("agentcore:forceDeleteRepository", False)
    assert repo.protect is config.get("agentcore:protectRepository", False)
    rules = json.loads(run.one(LIFECYCLE).inputs["policy"])["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} == {"untagged", "any"}
    [keep] = [r for r in rules if r["selection"]["tagStatus"] == "any"]
    assert keep["selection"]["countNumber"] == config["agentcore:keepImages"]


@pytest.mark.parametrize("stack", STACKS)
def test_runtime_settings_follow_the_stack(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    runtime = run.one(RUNTIME).inputs
    assert runtime["roleArn"] == named(run, ROLE, "execution-role").outputs["arn"]
    assert runtime["networkConfiguration"] == {"networkMode": "PUBLIC"}
    assert runtime["protocolConfiguration"] == "HTTP"
    assert runtime["description"] == config["agentcore:description"]
    assert runtime["lifecycleConfiguration"] == {
        "idleRuntimeSessionTimeout": config["agentcore:idleTimeoutSeconds"],
        "maxLifetime": config["agentcore:maxLifetimeSeconds"],
    }
    assert runtime["environmentVariables"] == {
        "AWS_REGION": config["aws:region"],
        "MODEL_ID": config["agentcore:modelId"],
        "LOG_LEVEL": config["agentcore:logLevel"],
        **OTEL_ENVIRONMENT,
        # The memory both stack files turn on; prod's long-term strategies' namespaces.
        "BEDROCK_AGENTCORE_MEMORY_ID": run.one("aws-native:bedrockagentcore:Memory").outputs["memoryId"],
        "MEMORY_LONG_TERM_NAMESPACES": MEMORY_NAMESPACES[stack],
        **config["agentcore:environmentVariables"],
    }
    assert "authorizerConfiguration" not in runtime and "requestHeaderConfiguration" not in runtime


@pytest.mark.parametrize("stack", STACKS)
def test_runtime_waits_for_the_role_policy_not_only_the_role(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    runtime = run.one(RUNTIME)
    execution_policy = named(run, ROLE_POLICY, "execution-policy")
    assert execution_policy.urn in runtime.dependencies
    # An explicit dependency: no input of the runtime comes from the policy.
    assert all(execution_policy.urn not in urns for urns in runtime.property_dependencies.values())


@pytest.mark.parametrize("stack", STACKS)
def test_tags_on_every_taggable_resource(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    expected = {
        **config["agentcore:tags"],
        "Environment": stack,
        "Stack": stack,
        "Project": "agentcore",
        "ManagedBy": "pulumi",
    }
    for typ in (ROLE, MANAGED_POLICY, REPOSITORY, RUNTIME, ENDPOINT, ADOPTABLE, ALARM, *((LOG_GROUP,) if stack == "prod" else ())):
        assert run.of_type(typ)
        for registration in run.of_type(typ):
            assert registration.inputs["tags"] == expected, registration.name
    # aws-native's logs resources take CloudFormation's list form.
    as_list = sorted(({"key": k, "value": v} for k, v in expected.items()), key=lambda t: t["key"])
    for typ in (SOURCE, DESTINATION, DELIVERY):
        for registration in run.of_type(typ):
            assert registration.inputs["tags"] == as_list, registration.name


@pytest.mark.parametrize("stack", STACKS)
def test_execution_role_trust_is_scoped_to_this_runtime(runs: dict[str, Run], stack: str) -> None:
    run, region = runs[stack], stack_file(stack)["aws:region"]
    trust = policy(named(run, ROLE, "execution-role"), "assumeRolePolicy")
    [only] = trust["Statement"]
    assert only["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert only["Action"] == "sts:AssumeRole"
    assert only["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:runtime/agentcore_{stack}-*"},
    }
    # And the runtime the mocks created matches that pattern.
    runtime_arn = run.outputs["runtimeArn"]
    assert re.fullmatch(only["Condition"]["ArnLike"]["aws:SourceArn"].replace("*", ".*"), runtime_arn)


@pytest.mark.parametrize("stack", STACKS)
def test_execution_policy_scopes(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    region = config["aws:region"]
    doc = policy(named(run, ROLE_POLICY, "execution-policy"))
    assert statement(doc, "EcrImagePull")["Resource"] == [run.one(REPOSITORY).outputs["arn"]]
    identity = statement(doc, "WorkloadAccessToken")
    assert identity["Resource"] == [
        f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:workload-identity-directory/default",
        f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:workload-identity-directory/default/workload-identity/agentcore_{stack}-*",
    ]
    # Telemetry exactly as AWS lists it for a runtime, scoped to this runtime's log groups, without
    # logs:CreateLogGroup: the observability child creates the groups (with retention) itself.
    groups = f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:/aws/bedrock-agentcore/runtimes/agentcore_{stack}-*"
    telemetry = [s for s in doc["Statement"] if s["Sid"] in {
        "RuntimeLogStreams", "RuntimeLogGroups", "DescribeLogGroups", "TraceSegments", "AgentMetrics",
    }]
    assert telemetry == [
        {"Sid": "RuntimeLogStreams", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
         "Resource": [f"{groups}:log-stream:*"]},
        {"Sid": "RuntimeLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogStreams"], "Resource": [groups]},
        {"Sid": "DescribeLogGroups", "Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
        {"Sid": "TraceSegments", "Effect": "Allow",
         "Action": ["xray:GetSamplingRules", "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
         "Resource": "*"},
        {"Sid": "AgentMetrics", "Effect": "Allow", "Action": ["cloudwatch:PutMetricData"], "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "bedrock-agentcore"}}},
    ]
    assert not any("logs:CreateLogGroup" in s["Action"] for s in doc["Statement"])
    # Every runtime log group the stack creates is one the role may write to.
    for group in run.of_type(LOG_GROUP):
        if "/runtimes/" in group.inputs["name"]:
            assert fnmatch.fnmatchcase(group.outputs["arn"], groups)
    model_id = config["agentcore:modelId"]
    invoke = [s for s in doc["Statement"] if s["Sid"].startswith("InvokeModel")]
    profile = f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{model_id}"
    assert invoke[0]["Resource"] == [profile]
    foundation = model_id.split(".", 1)[1]
    model_arns = {arn for s in invoke[1:] for arn in s["Resource"]}
    assert all(s["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"] == profile for s in invoke[1:])
    if model_id.startswith("global."):
        assert model_arns == {
            f"arn:aws:bedrock:{region}::foundation-model/{foundation}",
            f"arn:aws:bedrock:::foundation-model/{foundation}",
        }
    else:
        assert f"arn:aws:bedrock:{region}::foundation-model/{foundation}" in model_arns
        assert all(arn.startswith("arn:aws:bedrock:us-") for arn in model_arns)


@pytest.mark.parametrize("stack", STACKS)
def test_deployer_role_is_bootstrapped_with_a_narrow_trust_and_stack_scope(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    deployer = named(run, ROLE, "deployer-role")
    [trust] = policy(deployer, "assumeRolePolicy")["Statement"]
    if stack == "prod":  # a production stack: only the role its file names
        assert trust["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:role/agentcore-prod-deployers"]}
        assert "Condition" not in trust
    else:  # dev names nobody: identities of the account tagged as deployers, never the bare account
        assert trust["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
        assert trust["Condition"] == {"StringEquals": {"aws:PrincipalTag/AgentCoreDeployer": "true"}}
    doc = policy(named(run, ROLE_POLICY, "deployer-policy"))
    execution_arn = named(run, ROLE, "execution-role").outputs["arn"]
    pass_role = statement(doc, "PassExecutionRole")
    assert pass_role["Resource"] == [execution_arn]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}}
    # The deployer may write the execution role, never itself.
    assert statement(doc, "ExecutionRoleWrite")["Resource"] == [execution_arn]
    assert statement(doc, "StackRolesRead")["Resource"] == [execution_arn, deployer.outputs["arn"]]
    assert statement(doc, "EcrRepository")["Resource"] == [run.one(REPOSITORY).outputs["arn"]]
    assert not any(s["Sid"].startswith(("State", "Vpc", "GithubOidc")) for s in doc["Statement"])
    # Its observability share is a managed policy attached to it, which it may only read.
    telemetry = run.one(MANAGED_POLICY)
    attachment = run.one(ATTACHMENT)
    assert telemetry.inputs["name"] == f"agentcore-{stack}-deployer-telemetry"
    assert (attachment.inputs["role"], attachment.inputs["policyArn"]) == (deployer.outputs["name"], telemetry.outputs["arn"])
    assert statement(doc, "TelemetryPolicyRead") == {
        "Sid": "TelemetryPolicyRead", "Effect": "Allow",
        "Action": ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions"],
        "Resource": [telemetry.outputs["arn"]],
    }


@pytest.mark.parametrize("stack", STACKS)
def test_deployer_may_manage_exactly_this_stacks_observability_resources(runs: dict[str, Run], stack: str) -> None:
    run, region = runs[stack], stack_file(stack)["aws:region"]
    doc = policy(run.one(MANAGED_POLICY))
    logs = f"arn:aws:logs:{region}:{ACCOUNT_ID}"
    runtime = f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:runtime/agentcore_{stack}-*"
    tagging = ["logs:ListTagsForResource", "logs:TagResource", "logs:UntagResource"]
    expected = [
        ("TelemetryLogGroups",
         ["logs:AssociateKmsKey", "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:DeleteRetentionPolicy",
          "logs:DisassociateKmsKey", "logs:PutRetentionPolicy", *tagging],
         [f"{logs}:log-group:/aws/bedrock-agentcore/runtimes/agentcore_{stack}-*",
          f"{logs}:log-group:/aws/vendedlogs/bedrock-agentcore/runtime/APPLICATION_LOGS/agentcore_{stack}-*",
          f"{logs}:log-group:/aws/vendedlogs/bedrock-agentcore/runtime/USAGE_LOGS/agentcore_{stack}-*"]),
        ("TelemetryRead",
         ["logs:DescribeDeliveries", "logs:DescribeLogGroups", "logs:DescribeResourcePolicies",
          "xray:GetTraceSegmentDestination", "xray:ListResourcePolicies"], "*"),
        ("LogDeliverySources", ["logs:GetDeliverySource", *tagging], [f"{logs}:delivery-source:agentcore_{stack}-*"]),
        ("LogDeliverySourceDelete", ["logs:DeleteDeliverySource"],
         [f"{logs}:delivery-source:agentcore_{stack}-*", f"{logs}:delivery-destination:agentcore_{stack}-*"]),
        ("LogDeliverySourceWrite", ["logs:PutDeliverySource"], [f"{logs}:delivery-source:agentcore_{stack}-*"]),
        ("RuntimeVendedLogDelivery", ["bedrock-agentcore:AllowVendedLogDeliveryForResource"], [runtime]),
        ("LogDeliveryDestinations",
         ["logs:DeleteDeliveryDestination", "logs:DeleteDeliveryDestinationPolicy", "logs:GetDeliveryDestination",
          "logs:GetDeliveryDestinationPolicy", "logs:PutDeliveryDestination", "logs:PutDeliveryDestinationPolicy", *tagging],
         [f"{logs}:delivery-destination:agentcore_{stack}-*"]),
        ("LogDeliveryCreate", ["logs:CreateDelivery"],
         [f"{logs}:delivery:*", f"{logs}:delivery-source:agentcore_{stack}-*", f"{logs}:delivery-destination:agentcore_{stack}-*"]),
        ("LogDeliveries", ["logs:DeleteDelivery", "logs:GetDelivery", "logs:UpdateDeliveryConfiguration", *tagging],
         [f"{logs}:delivery:*"]),
        ("TraceDeliveryPolicy", ["xray:DeleteResourcePolicy", "xray:PutResourcePolicy"], "*"),
        ("Alarms",
         ["cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms", "cloudwatch:ListTagsForResource",
          "cloudwatch:PutMetricAlarm", "cloudwatch:TagResource", "cloudwatch:UntagResource"],
         [f"arn:aws:cloudwatch:{region}:{ACCOUNT_ID}:alarm:agentcore_{stack}-*"]),
        ("Dashboard", ["cloudwatch:DeleteDashboards", "cloudwatch:GetDashboard", "cloudwatch:PutDashboard"],
         [f"arn:aws:cloudwatch::{ACCOUNT_ID}:dashboard/agentcore-agentcore_{stack}-{region}"]),
    ]
    if stack == "prod":  # vended (usage) logs, and the stack that manages the account's Transaction Search
        spans = [f"{logs}:log-group:aws/spans", f"{logs}:log-group:/aws/application-signals/data"]
        expected += [
            ("LogResourcePolicies", ["logs:DeleteResourcePolicy", "logs:PutResourcePolicy"], "*"),
            ("TransactionSearchDestination", ["xray:UpdateTraceSegmentDestination"], "*"),
            ("TransactionSearchIndexing", ["xray:GetIndexingRules", "xray:UpdateIndexingRule"], "*"),
            ("TransactionSearchLogGroups", ["logs:CreateLogGroup", "logs:PutRetentionPolicy"], spans),
            ("TransactionSearchLogStreams", ["logs:CreateLogStream"], [f"{g}:log-stream:*" for g in spans]),
            ("ApplicationSignalsDiscovery", ["application-signals:StartDiscovery"], "*"),
            ("ApplicationSignalsServiceRole", ["iam:CreateServiceLinkedRole"],
             [f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/application-signals.cloudwatch.amazonaws.com/"
              "AWSServiceRoleForCloudWatchApplicationSignals"]),
        ]
    assert [(s["Sid"], s["Action"], s["Resource"]) for s in doc["Statement"]] == expected
    conditions = {s["Sid"]: s["Condition"] for s in doc["Statement"] if "Condition" in s}
    assert conditions.pop("LogDeliverySourceWrite") == {"ForAllValues:ArnLike": {"logs:LogGeneratingResourceArns": [runtime]}}
    assert conditions.pop("TraceDeliveryPolicy") == {
        "StringEquals": {"xray:ResourcePolicyName": [f"agentcore-agentcore_{stack}-traces-delivery"]}
    }
    if stack == "prod":
        assert conditions.pop("TransactionSearchDestination") == {"StringEquals": {"xray:TraceSegmentDestination": "CloudWatchLogs"}}
        assert conditions.pop("ApplicationSignalsServiceRole") == {
            "StringEquals": {"iam:AWSServiceName": "application-signals.cloudwatch.amazonaws.com"}
        }
    assert conditions == {}
    # Every observability resource the stack creates falls under those grants.
    grants = {s["Sid"]: s["Resource"] for s in doc["Statement"]}
    created = [
        (run.of_type(LOG_GROUP) + run.of_type(ADOPTABLE), "TelemetryLogGroups"), (run.of_type(SOURCE), "LogDeliverySources"),
        (run.of_type(DESTINATION), "LogDeliveryDestinations"), (run.of_type(DELIVERY), "LogDeliveries"),
        (run.of_type(ALARM), "Alarms"),
    ]
    for registrations, sid in created:
        for registration in registrations:
            assert any(fnmatch.fnmatchcase(registration.outputs["arn"], g) for g in grants[sid]), registration.name
    assert fnmatch.fnmatchcase(run.one(DASHBOARD).outputs["dashboardArn"], grants["Dashboard"][0])
    assert all(fnmatch.fnmatchcase(s.inputs["resourceArn"], runtime) for s in run.of_type(SOURCE))
    for xray_policy in run.of_type(XRAY_POLICY):  # prod only: dev has no traces
        assert xray_policy.inputs["policyName"] == f"agentcore-agentcore_{stack}-traces-delivery"


@pytest.mark.parametrize("stack", STACKS)
def test_outputs(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    out = run.outputs
    # An output without a value is not exported: dev has no encryption key.
    assert set(out) == OUTPUT_NAMES - ({"encryptionKeyArn"} if stack == "dev" else set())
    if stack == "prod":
        assert out["encryptionKeyArn"] == run.one("aws:kms/key:Key").outputs["arn"]
    runtime, endpoint = run.one(RUNTIME).outputs, run.one(ENDPOINT).outputs
    memory = run.one("aws-native:bedrockagentcore:Memory").outputs
    assert (out["memoryId"], out["memoryArn"]) == (memory["memoryId"], memory["memoryArn"])
    assert out["runtimeArn"] == runtime["agentRuntimeArn"]
    assert out["runtimeId"] == runtime["agentRuntimeId"]
    assert out["runtimeVersion"] == runtime["agentRuntimeVersion"]
    assert out["runtimeName"] == f"agentcore_{stack}"
    assert out["endpointArn"] == endpoint["agentRuntimeEndpointArn"]
    assert out["repositoryUrl"] == run.one(REPOSITORY).outputs["repositoryUrl"]
    assert out["executionRoleArn"] == named(run, ROLE, "execution-role").outputs["arn"]
    assert out["deployerRoleArn"] == named(run, ROLE, "deployer-role").outputs["arn"]
    groups = {r.name.removeprefix("agentcore-observability-runtime-"): r.outputs["log_group_name"]
              for r in run.of_type(ADOPTABLE)}
    assert out["runtimeLogGroupNames"] == groups and set(groups) == {"DEFAULT", "live"}
    vended = {r.outputs["name"].split("/")[-2]: r.outputs["name"] for r in run.of_type(LOG_GROUP) if "/vendedlogs/" in r.outputs["name"]}
    assert out["vendedLogGroupNames"] == vended
    alarms = {r.name.removeprefix("agentcore-observability-"): r.outputs["arn"] for r in run.of_type(ALARM)}
    assert out["alarmArns"] == alarms and len(alarms) == 6
    assert out["dashboardUrl"] == (
        f"https://console.aws.amazon.com/cloudwatch/home?region={stack_file(stack)['aws:region']}"
        f"#dashboards/dashboard/{run.one(DASHBOARD).outputs['dashboardName']}"
    )
    command = out["invokeCommand"]
    assert command.startswith("aws bedrock-agentcore invoke-agent-runtime --agent-runtime-arn ")
    assert f"--agent-runtime-arn {runtime['agentRuntimeArn']} --qualifier live " in command
    assert f"--region {stack_file(stack)['aws:region']} " in command
    assert command.endswith(" out.json")


def observability_config(stack: str) -> dict[str, Any]:
    return stack_file(stack)["agentcore:observability"]


@pytest.mark.parametrize("stack", STACKS)
def test_log_groups_are_named_from_the_runtime_id_output_with_the_stacks_retention(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], observability_config(stack)
    runtime = run.one(RUNTIME)
    runtime_id = runtime.outputs["agentRuntimeId"]
    runtime_groups = {r.inputs["log_group_name"]: r for r in run.of_type(ADOPTABLE)}
    assert sorted(runtime_groups) == [
        f"/aws/bedrock-agentcore/runtimes/{runtime_id}-DEFAULT", f"/aws/bedrock-agentcore/runtimes/{runtime_id}-live",
    ]
    for group in runtime_groups.values():
        # Created or adopted (the service may have made it), kept or deleted by the provider itself.
        assert runtime.urn in group.property_dependencies["log_group_name"], group.name
        assert group.inputs["retention_in_days"] == config["logRetentionDays"]
        if stack == "prod":  # every log group under prod's own key
            assert group.inputs["kms_key_id"] == run.one("aws:kms/key:Key").outputs["arn"]
        else:
            assert "kms_key_id" not in group.inputs
        assert group.inputs["retain_on_delete"] is config["retainLogsOnDelete"]
        assert group.inputs["region"] == stack_file(stack)["aws:region"]
        assert group.retain_on_delete is False and group.protect is False
    names = sorted(r.inputs["name"] for r in run.of_type(LOG_GROUP))
    # No APPLICATION_LOGS group in either stack: they carry prompts and answers.
    assert names == ([f"/aws/vendedlogs/bedrock-agentcore/runtime/USAGE_LOGS/{runtime_id}"] if config["usageLogs"] else [])
    for group in run.of_type(LOG_GROUP):
        # The name came from the runtime's id output (not guessed): the engine records the dependency.
        assert runtime.urn in group.property_dependencies["name"], group.name
        assert group.inputs["retentionInDays"] == config["logRetentionDays"]
        if stack == "prod":
            assert group.inputs["kmsKeyId"] == run.one("aws:kms/key:Key").outputs["arn"]
        else:
            assert "kmsKeyId" not in group.inputs
        assert group.retain_on_delete is config["retainLogsOnDelete"]
        assert group.protect is False


@pytest.mark.parametrize("stack", STACKS)
def test_deliveries_take_the_runtime_arn_output_and_chain(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    runtime = run.one(RUNTIME)
    types = {r.inputs["logType"]: r for r in run.of_type(SOURCE)}
    config = observability_config(stack)
    assert set(types) == {*(["TRACES"] if config["traces"] else []), *(["USAGE_LOGS"] if config["usageLogs"] else [])}
    for source in types.values():
        assert source.inputs["resourceArn"] == runtime.outputs["agentRuntimeArn"]
        assert runtime.urn in source.property_dependencies["resourceArn"]
    groups = {r.outputs["name"]: r for r in run.of_type(LOG_GROUP)}
    destinations = {r.inputs["name"]: r for r in run.of_type(DESTINATION)}
    for delivery in run.of_type(DELIVERY):
        source = next(r for r in run.of_type(SOURCE) if r.inputs["name"] == delivery.inputs["deliverySourceName"])
        destination = next(r for r in destinations.values() if r.outputs["arn"] == delivery.inputs["deliveryDestinationArn"])
        assert destination.inputs["name"] == f"{source.inputs['name']}-dst"
        if source.inputs["logType"] == "TRACES":
            assert destination.inputs["deliveryDestinationType"] == "XRAY"
        else:
            assert destination.inputs["deliveryDestinationType"] == "CWL"
            group = groups[f"/aws/vendedlogs/bedrock-agentcore/runtime/{source.inputs['logType']}/{runtime.outputs['agentRuntimeId']}"]
            assert destination.inputs["destinationResourceArn"] == group.outputs["arn"]
    if not types:  # dev: nothing delivered
        assert run.of_type(LOG_POLICY) == run.of_type(XRAY_POLICY) == run.of_type(DELIVERY) == []
        return
    # The vended groups are writable by the delivery service, and only they.
    [delivery_policy] = [r for r in run.of_type(LOG_POLICY) if r.name.endswith("log-delivery-policy")]
    [grant] = policy(delivery_policy, "policyDocument")["Statement"]
    assert grant["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert sorted(grant["Resource"]) == sorted(
        f"{g.outputs['arn']}:log-stream:*" for g in groups.values() if "/vendedlogs/" in g.outputs["name"]
    )
    [xray] = policy(run.one(XRAY_POLICY), "policyDocument")["Statement"]
    assert xray["Condition"]["ForAllValues:ArnLike"] == {"logs:LogGeneratingResourceArns": [runtime.outputs["agentRuntimeArn"]]}
    # Traces start only once Transaction Search, which keeps them, is on (prod turns it on).
    search = run.one(SEGMENT_DESTINATION)
    for trace_resource in (named(run, DESTINATION, "traces-destination"), named(run, DELIVERY, "-traces")):
        assert search.urn in trace_resource.dependencies, trace_resource.name


def test_transaction_search_only_in_prod_and_kept_when_the_stack_goes(runs: dict[str, Run]) -> None:
    dev, prod = runs["dev"], runs["prod"]
    for typ in (SEGMENT_DESTINATION, INDEXING_RULE):
        assert dev.of_type(typ) == []
    assert dev.of_type(LOG_POLICY) == []  # dev delivers no vended logs
    destination, rule = prod.one(SEGMENT_DESTINATION), prod.one(INDEXING_RULE)
    [spans_policy] = [r for r in prod.of_type(LOG_POLICY) if r.name.endswith("transaction-search-policy")]
    assert destination.inputs["destination"] == "CloudWatchLogs"
    assert rule.inputs == {"name": "Default", "rule": {"probabilistic": {"desiredSamplingPercentage": 1.0}}}
    for account_level in (destination, rule, spans_policy):
        # Retained, not protected: `pulumi destroy` of prod works and leaves the setting on.
        assert account_level.retain_on_delete is True and account_level.protect is False, account_level.name
    assert spans_policy.inputs["policyName"] == "AgentCoreTransactionSearchXRayAccess"
    assert spans_policy.urn in destination.dependencies and destination.urn in rule.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_alarms_use_the_stacks_thresholds_on_this_runtimes_metrics(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], observability_config(stack)
    runtime = run.one(RUNTIME)
    thresholds = {"errors": config["errorsThreshold"], "throttles": config["throttlesThreshold"],
                  "latency-p99": config["latencyP99ThresholdMs"]}
    alarms = {r.inputs["name"]: r for r in run.of_type(ALARM)}
    assert set(alarms) == {f"agentcore_{stack}-{ep}-{kind}" for ep in ("DEFAULT", "live") for kind in thresholds}
    for name, alarm in alarms.items():
        endpoint, kind = name.removeprefix(f"agentcore_{stack}-").split("-", 1)
        assert alarm.inputs["threshold"] == thresholds[kind]
        assert alarm.inputs["evaluationPeriods"] == alarm.inputs["datapointsToAlarm"] == config["alarmEvaluationPeriods"]
        assert alarm.inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert alarm.inputs["treatMissingData"] == "notBreaching"
        assert "alarmActions" not in alarm.inputs or alarm.inputs["alarmActions"] == []  # no topic configured
        metrics = [q["metric"] for q in alarm.inputs["metricQueries"] if "metric" in q]
        assert metrics and all(m["period"] == config["alarmPeriodSeconds"] for m in metrics)
        for metric in metrics:
            assert (metric["namespace"], metric["metricName"]) in DOCUMENTED_DIMENSIONS
            assert metric["dimensions"] == {
                "Operation": "InvokeAgentRuntime",
                "Name": f"agentcore_{stack}::{endpoint}",
                "Resource": runtime.outputs["agentRuntimeArn"],
            }
        assert runtime.urn in alarm.property_dependencies["metricQueries"]


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_graphs_only_metrics_that_exist_for_this_runtime(runs: dict[str, Run], stack: str) -> None:
    run, region = runs[stack], stack_file(stack)["aws:region"]
    board = run.one(DASHBOARD)
    assert board.inputs["dashboardName"] == f"agentcore-agentcore_{stack}-{region}"
    body = json.loads(board.inputs["dashboardBody"])
    runtime_arn = run.one(RUNTIME).outputs["agentRuntimeArn"]
    rows = metric_rows(body)
    assert {(ns, m) for ns, m, _ in rows} == set(DOCUMENTED_DIMENSIONS)
    for namespace, metric, dims in rows:
        assert frozenset(dims) == DOCUMENTED_DIMENSIONS[(namespace, metric)]
        if namespace == "AWS/Bedrock-AgentCore":
            assert dims["Resource"] == runtime_arn
            assert dims["Name"] in {f"agentcore_{stack}::DEFAULT", f"agentcore_{stack}::live"}
        else:
            assert dims == {"ModelId": stack_file(stack)["agentcore:modelId"]}
    [alarm_widget] = [w for w in body["widgets"] if w["type"] == "alarm"]
    assert sorted(alarm_widget["properties"]["alarms"]) == sorted(r.outputs["arn"] for r in run.of_type(ALARM))
    [log_widget] = [w for w in body["widgets"] if w["type"] == "log"]
    for group in run.outputs["runtimeLogGroupNames"].values():
        assert f"SOURCE '{group}'" in log_widget["properties"]["query"]
    assert all(w["properties"].get("region", region) == region for w in body["widgets"])


@pytest.mark.parametrize("stack", STACKS)
def test_first_preview_plans_every_resource_before_anything_exists(
    runs: dict[str, Run], stack: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    planned = run_program(stack, monkeypatch, preview=True)
    created = runs[stack]
    assert sorted((r.type, r.name) for r in planned.registrations) == sorted((r.type, r.name) for r in created.registrations)
    # Names that need no runtime id are final already in the plan.
    for typ in (SOURCE, DESTINATION, ALARM):
        assert sorted(r.inputs["name"] for r in planned.of_type(typ)) == sorted(r.inputs["name"] for r in created.of_type(typ))
    assert planned.one(MANAGED_POLICY).inputs["name"] == f"agentcore-{stack}-deployer-telemetry"


def test_dev_endpoint_follows_the_runtime_version(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program("dev", monkeypatch, runtime_version="17")
    endpoint, runtime = run.one(ENDPOINT), run.one(RUNTIME)
    assert endpoint.inputs["agentRuntimeVersion"] == "17"
    assert runtime.urn in endpoint.property_dependencies["agentRuntimeVersion"]


def test_prod_endpoint_is_pinned(runs: dict[str, Run]) -> None:
    run = runs["prod"]
    endpoint, runtime = run.one(ENDPOINT), run.one(RUNTIME)
    assert endpoint.inputs["agentRuntimeVersion"] == stack_file("prod")["agentcore:endpointVersion"] == "1"
    assert runtime.urn not in endpoint.property_dependencies.get("agentRuntimeVersion", [])
    assert endpoint.inputs["description"] == stack_file("prod")["agentcore:endpointDescription"]


def test_dev_and_prod_differ_where_environments_should(runs: dict[str, Run]) -> None:
    dev, prod = runs["dev"], runs["prod"]
    assert dev.one(REPOSITORY).inputs["forceDelete"] is True and prod.one(REPOSITORY).inputs["forceDelete"] is False
    assert dev.one(REPOSITORY).protect is False and prod.one(REPOSITORY).protect is True
    life = {s: json.loads(r.one(LIFECYCLE).inputs["policy"])["rules"][1]["selection"]["countNumber"] for s, r in runs.items()}
    assert life["dev"] < life["prod"]
    lc = {s: r.one(RUNTIME).inputs["lifecycleConfiguration"] for s, r in runs.items()}
    assert lc["dev"]["maxLifetime"] < lc["prod"]["maxLifetime"]
    env = {s: r.one(RUNTIME).inputs["environmentVariables"] for s, r in runs.items()}
    assert (env["dev"]["LOG_LEVEL"], env["prod"]["LOG_LEVEL"]) == ("DEBUG", "INFO")
    assert env["dev"]["AWS_REGION"] != env["prod"]["AWS_REGION"]
    assert dev.one(ENDPOINT).property_dependencies.get("agentRuntimeVersion") and not prod.one(ENDPOINT).property_dependencies.get("agentRuntimeVersion")
    assert dev.outputs["runtimeArn"] != prod.outputs["runtimeArn"]
    retention = {st: {g.inputs["retention_in_days"] for g in r.of_type(ADOPTABLE)} for st, r in runs.items()}
    assert retention == {"dev": {14}, "prod": {365}}
    kept = {st: {g.inputs["retain_on_delete"] for g in r.of_type(ADOPTABLE)} for st, r in runs.items()}
    assert kept == {"dev": {False}, "prod": {True}}
    assert all(g.retain_on_delete for g in prod.of_type(LOG_GROUP))
    # Usage logs and traces (with Transaction Search in its region) in prod only.
    assert (len(dev.of_type(DELIVERY)), len(prod.of_type(DELIVERY))) == (0, 2)


def test_traces_only_where_the_stack_file_has_transaction_search(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    # dev deploys to us-west-2, where prod's Transaction Search (us-east-1) does not reach.
    with pytest.raises(pulumi.RunError, match=r"agentcore:observability\.traces: TRACES reach X-Ray only where"):
        run_program("dev", monkeypatch, overrides={"agentcore:observability": {**observability_config("dev"), "traces": True}})
    stated = run_program("dev", monkeypatch, overrides={"agentcore:observability": {
        **observability_config("dev"), "traces": True, "transactionSearchEnabledInRegion": True,
    }})
    assert [r.inputs["logType"] for r in stated.of_type(SOURCE)] == ["TRACES"]
    assert stated.of_type(SEGMENT_DESTINATION) == []  # stated on elsewhere: not this stack's to manage


def test_bad_stack_config_stops_the_program_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    with pytest.raises(pulumi.RunError) as info:
        run_program("dev", monkeypatch, overrides={"agentcore:idleTimeoutSeconds": 4000, "aws-native:region": "eu-west-1"})
    text = str(info.value)
    assert "agentcore:idleTimeoutSeconds: must not exceed agentcore:maxLifetimeSeconds (3600 s), got 4000" in text
    assert "aws-native:region: must equal aws:region ('us-west-2')" in text


def test_misspelt_key_in_a_stack_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    with pytest.raises(pulumi.RunError, match="agentcore:keepImage: is not a known config key; did you mean agentcore:keepImages"):
        run_program("dev", monkeypatch, overrides={"agentcore:keepImage": 3})


def test_stack_files_set_both_provider_regions() -> None:
    for stack in STACKS:
        config = stack_file(stack)
        assert config["aws:region"] == config["aws-native:region"]


def _copy_project(tmp_path: Path) -> Path:
    import shutil

    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(
        ROOT / "agent_image", tmp_path / "agent_image", ignore=shutil.ignore_patterns(".venv", "__pycache__")
    )
    return tmp_path


def test_unchanged_agent_is_a_no_op_and_a_change_updates_the_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_project(tmp_path)
    first = run_program("dev", monkeypatch, root=root)
    again = run_program("dev", monkeypatch, root=root)
    for typ in (IMAGE, RUNTIME, ENDPOINT):
        assert again.one(typ).inputs == first.one(typ).inputs, typ

    (root / "agent_image" / "agent.py").write_text((root / "agent_image" / "agent.py").read_text() + "\n# changed\n")
    # AgentCore counts a new version for every runtime update; the mocked service reports it.
    changed = run_program("dev", monkeypatch, root=root, runtime_version="2")
    assert changed.one(IMAGE).inputs["tags"] != first.one(IMAGE).inputs["tags"]
    assert changed.outputs["imageUri"] != first.outputs["imageUri"]
    # The runtime is updated with the new image and nothing else.
    before, after = first.one(RUNTIME).inputs, changed.one(RUNTIME).inputs
    assert {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)} == {"agentRuntimeArtifact"}
    assert after["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"] == changed.outputs["imageUri"]
    # The dev endpoint moves to the version the service reports.
    assert changed.one(ENDPOINT).inputs["agentRuntimeVersion"] == "2"
    assert changed.outputs["runtimeVersion"] == "2"


def test_artefacts_docker_would_send_are_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_project(tmp_path)
    (root / "agent_image" / ".dockerignore").write_text("tests\n")
    (root / "agent_image" / ".venv").mkdir()
    run = run_program("dev", monkeypatch, root=root)
    assert any("agent_image/.venv is sent to Docker but left out of the image tag" in w for w in run.warnings)
