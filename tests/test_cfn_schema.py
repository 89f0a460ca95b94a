"""The aws-native inputs of every program run (Runtime, RuntimeEndpoint, Memory and the log-delivery
resources), checked against the CloudFormation resource schemas cfn-lint ships, so a wrong field
name, enum value or pattern fails here instead of at deploy time (the schema lookup and the check
are in `tests.testkit.cfn_schemas`)."""

import re
from collections.abc import Iterator

import jsonschema
import pytest

from components.names import agentcore_name_problem
from tests.testkit.cfn_schemas import cfn_errors, cfn_schema, resolve
from tests.testkit.program_runs import ALL_RUNS, all_runs
from tests.testkit.pulumi_mocks import Run

TYPES = {
    "aws-native:bedrockagentcore:Runtime": "AWS::BedrockAgentCore::Runtime",
    "aws-native:bedrockagentcore:RuntimeEndpoint": "AWS::BedrockAgentCore::RuntimeEndpoint",
    "aws-native:bedrockagentcore:Memory": "AWS::BedrockAgentCore::Memory",
    "aws-native:logs:DeliverySource": "AWS::Logs::DeliverySource",
    "aws-native:logs:DeliveryDestination": "AWS::Logs::DeliveryDestination",
    "aws-native:logs:Delivery": "AWS::Logs::Delivery",
}
# The schemas' name patterns are unanchored ([\w-]*): checked in full here.
DELIVERY_NAME = re.compile(r"[\w-]{1,60}")


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


def test_every_run_has_a_runtime_and_its_deliveries(runs: dict[str, Run]) -> None:
    assert all(run.of_type("aws-native:bedrockagentcore:Runtime") for run in runs.values())
    assert sum(len(run.of_type("aws-native:bedrockagentcore:RuntimeEndpoint")) for run in runs.values()) >= len(runs) - 1
    # prod delivers usage logs and traces, the KMS variant application and usage logs: every
    # delivery kind meets the schema check below.
    kinds = {r.inputs["logType"] for run in runs.values() for r in run.of_type("aws-native:logs:DeliverySource")}
    assert kinds == {"APPLICATION_LOGS", "USAGE_LOGS", "TRACES"}
    assert all(len(runs[name].of_type("aws-native:logs:Delivery")) >= 2 for name in ("prod", "observability-kms-topic"))


@pytest.mark.parametrize("variant", ALL_RUNS)
def test_inputs_match_the_cloudformation_schema(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    for pulumi_type, type_name in TYPES.items():
        for registration in run.of_type(pulumi_type):
            assert cfn_errors(type_name, run.mocks.region, registration.inputs) == [], registration.name
            for key in ("name", "deliverySourceName"):
                if pulumi_type.startswith("aws-native:logs:") and key in registration.inputs:
                    assert DELIVERY_NAME.fullmatch(registration.inputs[key]), registration.inputs[key]


def test_the_check_catches_wrong_names_enums_and_patterns(runs: dict[str, Run]) -> None:
    inputs = dict(runs["dev"].one("aws-native:bedrockagentcore:Runtime").inputs)
    assert cfn_errors("AWS::BedrockAgentCore::Runtime", "us-west-2", {**inputs, "agentRuntimeNam": "x"})
    assert cfn_errors("AWS::BedrockAgentCore::Runtime", "us-west-2", {**inputs, "protocolConfiguration": "GRPC"})
    bad_uri = {"containerConfiguration": {"containerUri": "docker.io/library/python:3.12"}}
    assert cfn_errors("AWS::BedrockAgentCore::Runtime", "us-west-2", {**inputs, "agentRuntimeArtifact": bad_uri})
    too_long = {"idleRuntimeSessionTimeout": 30, "maxLifetime": 900}
    assert cfn_errors("AWS::BedrockAgentCore::Runtime", "us-west-2", {**inputs, "lifecycleConfiguration": too_long})
    endpoint = dict(runs["dev"].one("aws-native:bedrockagentcore:RuntimeEndpoint").inputs)
    assert cfn_errors("AWS::BedrockAgentCore::RuntimeEndpoint", "us-west-2", {**endpoint, "name": "live-1"})
    assert cfn_errors("AWS::BedrockAgentCore::RuntimeEndpoint", "us-west-2", {**endpoint, "agentRuntimeVersion": "v1"})
    [source] = [r for r in runs["prod"].of_type("aws-native:logs:DeliverySource") if r.inputs["logType"] == "TRACES"]
    assert cfn_errors("AWS::Logs::DeliverySource", "us-east-1", {**source.inputs, "tags": {"a": "b"}})
    assert cfn_errors("AWS::Logs::DeliverySource", "us-east-1", {**source.inputs, "name": "x" * 61})
    memory = dict(runs["prod"].one("aws-native:bedrockagentcore:Memory").inputs)
    assert cfn_errors("AWS::BedrockAgentCore::Memory", "us-east-1", {**memory, "eventExpiryDuration": 400})
    assert cfn_errors("AWS::BedrockAgentCore::Memory", "us-east-1", {**memory, "name": "agent-memory"})
    destination = runs["prod"].of_type("aws-native:logs:DeliveryDestination")[0]
    assert cfn_errors("AWS::Logs::DeliveryDestination", "us-east-1", {**destination.inputs, "destinationArn": "x"})


def test_the_schema_name_pattern_is_unanchored_so_names_are_checked_separately() -> None:
    # The CloudFormation copy of AgentRuntimeName's pattern has no anchors: a hyphenated name
    # passes the schema check and would fail at deploy time. names.py anchors it.
    schema = cfn_schema("AWS::BedrockAgentCore::Runtime", "us-east-1")
    name_schema = resolve({"$ref": "#/definitions/AgentRuntimeName"}, schema)
    assert list(jsonschema.Draft7Validator(name_schema).iter_errors("my-agent")) == []
    assert agentcore_name_problem("my-agent") is not None
