"""The aws-native inputs of every program run (Runtime, RuntimeEndpoint and the log-delivery
resources), checked against the CloudFormation resource schemas cfn-lint ships, so a wrong field
name, enum value or pattern fails here instead of at deploy time. `cfn_schema` and `cfn_errors`
are shared with the observability tests."""

import importlib.util
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from components.names import agentcore_name_problem
from tests.testkit.program_runs import ALL_RUNS, all_runs
from tests.testkit.pulumi_mocks import Run

# Located without importing cfn-lint (its import alone takes seconds).
_CFNLINT = importlib.util.find_spec("cfnlint")
assert _CFNLINT is not None and _CFNLINT.submodule_search_locations, "cfn-lint is a dev dependency"
SCHEMAS = Path(next(iter(_CFNLINT.submodule_search_locations))) / "data" / "schemas"
TYPES = {
    "aws-native:bedrockagentcore:Runtime": "AWS::BedrockAgentCore::Runtime",
    "aws-native:bedrockagentcore:RuntimeEndpoint": "AWS::BedrockAgentCore::RuntimeEndpoint",
    "aws-native:logs:DeliverySource": "AWS::Logs::DeliverySource",
    "aws-native:logs:DeliveryDestination": "AWS::Logs::DeliveryDestination",
    "aws-native:logs:Delivery": "AWS::Logs::Delivery",
}
# The schemas' name patterns are unanchored ([\w-]*): checked in full here.
DELIVERY_NAME = re.compile(r"[\w-]{1,60}")


@cache
def cfn_schema(type_name: str, region: str) -> dict[str, Any]:
    """The resource schema cfn-lint uses for `type_name` in `region`, found by its typeName."""
    by_type = json.loads((SCHEMAS / "providers" / f"{region}.json").read_text())
    assert type_name in by_type, f"{type_name} is not available in {region}"
    schema = json.loads((SCHEMAS / "resources" / f"{by_type[type_name]}.json").read_text())
    assert schema["typeName"] == type_name
    return schema


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def to_cfn(value: Any, schema: dict[str, Any], root: dict[str, Any]) -> Any:
    """Pulumi property names -> CloudFormation names, guided by the schema (aws-native maps them
    1:1 up to case, e.g. customJwtAuthorizer -> CustomJWTAuthorizer). Map keys (environment
    variables, tags) are kept; an input with no matching property keeps its name, so the schema's
    additionalProperties: false reports it."""
    schema = _resolve(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties")
        if properties:
            out = {}
            for key, item in value.items():
                name = next((p for p in properties if p.lower() == key.lower()), key)
                out[name] = to_cfn(item, properties.get(name, {}), root)
            return out
        patterns = list(schema.get("patternProperties", {}).values())
        item_schema = patterns[0] if patterns else {}
        return {key: to_cfn(item, item_schema, root) for key, item in value.items()}
    if isinstance(value, list):
        return [to_cfn(item, schema.get("items", {}), root) for item in value]
    return value


def cfn_errors(type_name: str, region: str, inputs: dict[str, Any]) -> list[str]:
    schema = cfn_schema(type_name, region)
    properties = to_cfn(inputs, schema, schema)
    validator = jsonschema.Draft7Validator(schema)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(properties)]
    read_only = {p.removeprefix("/properties/") for p in schema.get("readOnlyProperties", [])}
    errors += [f"{name}: read-only property set as input" for name in read_only & set(properties)]
    return errors


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


def test_every_run_has_a_runtime_and_its_deliveries(runs: dict[str, Run]) -> None:
    assert all(run.of_type("aws-native:bedrockagentcore:Runtime") for run in runs.values())
    assert sum(len(run.of_type("aws-native:bedrockagentcore:RuntimeEndpoint")) for run in runs.values()) >= len(runs) - 1
    assert all(len(run.of_type("aws-native:logs:Delivery")) >= 2 for name, run in runs.items() if name != "observability-off")


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
    [source] = [r for r in runs["dev"].of_type("aws-native:logs:DeliverySource") if r.inputs["logType"] == "TRACES"]
    assert cfn_errors("AWS::Logs::DeliverySource", "us-west-2", {**source.inputs, "tags": {"a": "b"}})
    assert cfn_errors("AWS::Logs::DeliverySource", "us-west-2", {**source.inputs, "name": "x" * 61})
    destination = runs["dev"].of_type("aws-native:logs:DeliveryDestination")[0]
    assert cfn_errors("AWS::Logs::DeliveryDestination", "us-west-2", {**destination.inputs, "destinationArn": "x"})


def test_the_schema_name_pattern_is_unanchored_so_names_are_checked_separately() -> None:
    # The CloudFormation copy of AgentRuntimeName's pattern has no anchors: a hyphenated name
    # passes the schema check and would fail at deploy time. names.py anchors it.
    schema = cfn_schema("AWS::BedrockAgentCore::Runtime", "us-east-1")
    name_schema = _resolve({"$ref": "#/definitions/AgentRuntimeName"}, schema)
    assert list(jsonschema.Draft7Validator(name_schema).iter_errors("my-agent")) == []
    assert agentcore_name_problem("my-agent") is not None
