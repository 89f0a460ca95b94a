"""Packaging for other languages: PulumiPlugin.yaml, the provider entry point, the schema Pulumi
infers from the component's annotations (offline, in-process), and a construct call the way the
engine makes it for a TypeScript/Go/YAML program."""

import importlib.util
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.analyzer import Analyzer
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from components import AgentCoreRuntime
from components.agentcore_runtime import TYPE_TOKEN
from components.args import AgentCoreRuntimeArgs
from components.observability.settings import ObservabilityConfig
from components.schema import camel_case
from components.settings import RuntimeSettings
from tests.testkit.pulumi_mocks import ROOT, AwsMocks, load_yaml, run_pulumi

DIGEST = "sha256:" + "9c" * 32


def _plugin() -> Any:
    spec = importlib.util.spec_from_file_location("agentcore_plugin", ROOT / "plugin" / "__main__.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # run_name is not __main__: the host does not start
    return module


PLUGIN = _plugin()


@pytest.fixture(scope="module")
def schema() -> Iterator[dict[str, Any]]:
    provider = ComponentProvider(PLUGIN.COMPONENTS, PLUGIN.PACKAGE_NAME, version=PLUGIN.PACKAGE_VERSION)
    yield json.loads(provider.schema)


def test_plugin_manifest_and_entry_point() -> None:
    manifest = load_yaml(ROOT / "PulumiPlugin.yaml")
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert (ROOT / manifest["main"] / "__main__.py").is_file()
    assert PLUGIN.COMPONENTS == [AgentCoreRuntime]
    assert TYPE_TOKEN == f"{PLUGIN.PACKAGE_NAME}:index:AgentCoreRuntime"
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'version = "{PLUGIN.PACKAGE_VERSION}"' in pyproject


def test_schema_inputs(schema: dict[str, Any]) -> None:
    resource = schema["resources"][TYPE_TOKEN]
    assert resource["isComponent"] is True
    assert resource["requiredInputs"] == ["modelId"]
    inputs = resource["inputProperties"]
    assert set(inputs) == {
        "modelId", "additionalModelIds", "runtimeName", "description", "environment", "logLevel", "protocol",
        "lifecycle", "network", "environmentVariables", "requestHeaderAllowlist", "jwtAuthorizer", "endpoint",
        "image", "repository", "deployer", "permissionsBoundaryArn", "tags", "observability", "postDeployCheck",
        "encryption", "memory", "production",
    }
    assert all(prop.get("description") for prop in inputs.values())
    # Settings that shape names and policies are plain (known at construction, validated at preview).
    assert inputs["modelId"]["plain"] is True and inputs["runtimeName"]["plain"] is True
    types = schema["types"]
    network = types["agentcore:index:NetworkArgs"]["properties"]
    # Subnets may be outputs of another resource in the caller's program.
    assert "plain" not in network["subnetIds"] and network["subnetIds"]["type"] == "array"
    assert network["mode"]["$ref"] == "#/types/agentcore:index:NetworkMode"
    assert [e["value"] for e in types["agentcore:index:NetworkMode"]["enum"]] == ["PUBLIC", "VPC"]
    assert [e["value"] for e in types["agentcore:index:ServerProtocol"]["enum"]] == ["HTTP", "MCP", "A2A", "AGUI"]
    assert set(types["agentcore:index:LifecycleArgs"]["properties"]) == {"idleTimeoutSeconds", "maxLifetimeSeconds"}
    assert types["agentcore:index:LifecycleArgs"]["properties"]["idleTimeoutSeconds"]["type"] == "integer"
    assert set(types["agentcore:index:JwtAuthorizerArgs"]["required"]) == {"discoveryUrl"}
    assert set(types["agentcore:index:GithubOidcArgs"]["required"]) == {"repository"}
    assert set(types["agentcore:index:EndpointArgs"]["required"]) == {"name"}
    assert set(types["agentcore:index:PostDeployCheckArgs"]["required"]) == {"prompt"}
    observability = types["agentcore:index:ObservabilityArgs"]
    assert "required" not in observability  # every setting has a default
    kinds = {int: "integer", float: "number", bool: "boolean", str: "string"}
    for field, info in ObservabilityConfig.model_fields.items():
        prop = observability["properties"][camel_case(field)]
        annotation = next(a for a in (*getattr(info.annotation, "__args__", ()), info.annotation) if a in kinds)
        assert prop["type"] == kinds[annotation], field
        assert prop["description"], field
    assert set(observability["properties"]) == {camel_case(f) for f in ObservabilityConfig.model_fields}


def test_schema_outputs(schema: dict[str, Any]) -> None:
    resource = schema["resources"][TYPE_TOKEN]
    assert set(resource["properties"]) == {
        "runtimeArn", "runtimeId", "runtimeVersion", "runtimeName", "endpointArn", "repositoryUrl",
        "imageUri", "executionRoleArn", "deployerRoleArn", "invokeCommand",
        "runtimeLogGroupNames", "vendedLogGroupNames", "alarmArns", "dashboardUrl", "encryptionKeyArn",
        "memoryId", "memoryArn",
    }
    # Outputs that exist only with an endpoint, a built image, a deployer role or a dashboard are optional.
    assert set(resource["required"]) == {
        "runtimeArn", "runtimeId", "runtimeVersion", "runtimeName", "imageUri", "executionRoleArn", "invokeCommand",
        "runtimeLogGroupNames", "vendedLogGroupNames", "alarmArns",
    }
    for name in ("runtimeLogGroupNames", "vendedLogGroupNames", "alarmArns"):
        assert resource["properties"][name]["type"] == "object"
        assert resource["properties"][name]["additionalProperties"]["type"] == "string"


def _snake_fields(typed_dict: Any) -> dict[str, Any]:
    return dict(typed_dict.__annotations__)


def test_typed_args_and_validated_settings_have_the_same_fields() -> None:
    """args.py (the schema) and settings.py (rules and defaults) describe the same settings."""

    def walk(typed: Any, model: Any, path: str) -> None:
        fields = _snake_fields(typed)
        assert set(fields) == set(model.model_fields), path
        for name, annotation in fields.items():
            nested = getattr(annotation, "__args__", (annotation,))[0]
            if hasattr(nested, "__annotations__") and hasattr(nested, "__total__"):
                sub = model.model_fields[name].annotation
                sub = next(a for a in getattr(sub, "__args__", (sub,)) if a is not type(None))
                walk(nested, sub, f"{path}.{name}")

    walk(AgentCoreRuntimeArgs, RuntimeSettings, "args")
    analyzed = Analyzer("agentcore").analyze([AgentCoreRuntime])["component_definitions"]["AgentCoreRuntime"]
    assert set(analyzed.inputs_mapping.values()) == set(RuntimeSettings.model_fields)


def _construct(monkeypatch: pytest.MonkeyPatch, inputs: dict[str, Any], types: set[str] | None = None) -> dict[str, Any]:
    """A construct call as the engine makes it for a program in another language; `types`, when
    given, collects the types of the resources it registered."""
    state: dict[str, Any] = {}

    def body() -> Any:
        provider = ComponentProvider(PLUGIN.COMPONENTS, PLUGIN.PACKAGE_NAME, version=PLUGIN.PACKAGE_VERSION)
        result = provider.construct("agent", TYPE_TOKEN, inputs, None)
        keys = sorted(result.state)
        return pulumi.Output.all(*[result.state[k] for k in keys]).apply(lambda values: state.update(zip(keys, values)))

    monkeypatch.chdir(ROOT)
    run = run_pulumi(body, mocks=AwsMocks(region="eu-west-1"), project="consumer", stack="test", config={}, monkeypatch=monkeypatch)
    if types is not None:
        types.update(r.type for r in run.registrations)
    return state


def test_construct_from_another_language(monkeypatch: pytest.MonkeyPatch) -> None:
    types: set[str] = set()
    state = _construct(
        monkeypatch,
        {
            "modelId": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
            "logLevel": "DEBUG",
            "lifecycle": {"idleTimeoutSeconds": 600.0},  # numbers arrive as floats over the wire
            "endpoint": {"name": "live"},
            "image": {"uri": f"public.ecr.aws/acme/agent@{DIGEST}"},
            "deployer": {"enabled": False},
            # Pulumi cannot run a Python dynamic resource for a program in another language
            # (pulumi/pulumi#5455): such programs keep plain runtime log groups.
            "observability": {
                "logRetentionDays": 7.0, "alarmPeriodSeconds": 120.0, "usageLogs": True, "applicationLogs": True,
                "adoptRuntimeLogGroups": False,
            },
        },
        types,
    )
    assert not any(t.startswith("pulumi-python:dynamic") for t in types)
    assert state["runtimeName"] == "consumer_test"
    assert state["imageUri"] == f"public.ecr.aws/acme/agent@{DIGEST}"
    assert state["runtimeArn"].startswith("arn:aws:bedrock-agentcore:eu-west-1:")
    assert state["endpointArn"].endswith("/runtime-endpoint/live")
    assert "--qualifier live" in state["invokeCommand"]
    assert set(state["runtimeLogGroupNames"]) == {"DEFAULT", "live"}
    assert set(state["vendedLogGroupNames"]) == {"APPLICATION_LOGS", "USAGE_LOGS"}
    assert len(state["alarmArns"]) == 6
    assert state["dashboardUrl"].startswith("https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards/")


def test_bad_input_from_another_language_names_the_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ComponentInitError) as info:
        _construct(
            monkeypatch,
            {
                "modelId": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "lifecycle": {"idleTimeoutSeconds": 30},
                "observability": {"logRetentionDays": 10.0},
            },
        )
    text = str(info.value.__cause__ or info.value)
    assert "args.lifecycle.idle_timeout_seconds: must be between 60 and 28800 seconds" in text
    assert "args.observability.log_retention_days: must be one of CloudWatch's retention values" in text
