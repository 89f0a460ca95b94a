"""Pulumi.yaml declares every setting with its type and the component's own default; the stack
files satisfy those declarations the way the Pulumi CLI checks them."""

from pathlib import Path
from typing import Any

import pytest

from components.observability import ObservabilityConfig
from components.stack_config import CONFIG_KEYS, NAMESPACE, REQUIRED_KEYS, UNDECLARED_KEYS, Kind, camel_case, config_default
from tests.testkit.pulumi_mocks import ROOT, load_yaml

PROJECT = load_yaml(ROOT / "Pulumi.yaml")
DECLARED: dict[str, dict[str, Any]] = PROJECT["config"]
SIMPLE_TYPES = {"string", "integer", "boolean", "array"}


def test_project_identity_and_toolchain() -> None:
    assert PROJECT["name"] == NAMESPACE
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert (ROOT / "__main__.py").is_file()


def test_every_setting_is_declared_except_objects() -> None:
    assert set(DECLARED) == {e.key for e in CONFIG_KEYS} - UNDECLARED_KEYS
    assert UNDECLARED_KEYS == {"environmentVariables", "tags", "observability"}
    # Pulumi.yaml's comment names every key of the observability block, so a user reading only
    # the project file still finds them.
    comment = (ROOT / "Pulumi.yaml").read_text().split("config:")[0]
    for field in ObservabilityConfig.model_fields:
        assert camel_case(field) in comment, field


@pytest.mark.parametrize("entry", [e for e in CONFIG_KEYS if e.key not in UNDECLARED_KEYS], ids=lambda e: e.key)
def test_declaration_matches_the_component(entry) -> None:
    declaration = DECLARED[entry.key]
    assert declaration["type"] == entry.kind.value
    assert declaration["type"] in SIMPLE_TYPES
    assert declaration.get("description")
    if entry.kind is Kind.ARRAY:
        assert declaration["items"] == {"type": "string"}
    if entry.key in REQUIRED_KEYS:
        assert "default" not in declaration
    else:
        assert declaration["default"] == config_default(entry)
        assert _valid(declaration["type"], declaration["default"])


def _valid(kind: str, value: Any) -> bool:
    """Pulumi's ValidateConfigValue for one value (sdk/go/common/workspace/project.go)."""
    if kind == "string":
        return isinstance(value, str)
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and value.lstrip("-").isdigit())
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_file_values_satisfy_the_declarations(stack: str) -> None:
    config = load_yaml(ROOT / f"Pulumi.{stack}.yaml")["config"]
    assert set(config) >= {"aws:region", "aws-native:region", f"{NAMESPACE}:modelId"}
    known = {e.key for e in CONFIG_KEYS}
    for full, value in config.items():
        namespace, _, key = full.partition(":")
        assert namespace in (NAMESPACE, "aws", "aws-native"), full
        if namespace != NAMESPACE:
            continue
        assert key in known, full
        if key in DECLARED:
            assert _valid(DECLARED[key]["type"], value), full
        elif key in UNDECLARED_KEYS:
            assert isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) for v in value.values()), full
    # Both stacks set the observability block, and only with keys it knows.
    assert set(config[f"{NAMESPACE}:observability"]) <= {camel_case(f) for f in ObservabilityConfig.model_fields}


def test_no_secret_looking_values_in_stack_files() -> None:
    for stack in ("dev", "prod"):
        text = Path(ROOT / f"Pulumi.{stack}.yaml").read_text().lower()
        for word in ("secret_access_key", "password", "aws_session_token"):
            assert word not in text
