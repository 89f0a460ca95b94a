"""The settings schema and the files generated from it: Pulumi.yaml declares every setting with its
type and the component's own default, the reference table in docs/configuration.md lists every
key, both are current, and the stack files satisfy the declarations the way the Pulumi CLI checks
them."""

import typing
from pathlib import Path
from typing import Any

import pytest

from components import config_files
from components.args import AgentCoreRuntimeArgs
from components.schema import NAMESPACE, SETTINGS, Kind, camel_case, observability_settings
from components.settings import RuntimeSettings
from tests.testkit.pulumi_mocks import ROOT, load_yaml

PROJECT = load_yaml(ROOT / "Pulumi.yaml")
DECLARED: dict[str, dict[str, Any]] = PROJECT["config"]
SIMPLE_TYPES = {"string", "integer", "boolean", "array"}
# Written out here, not taken from the schema: a few defaults users rely on.
KNOWN_DEFAULTS = {
    "keepImages": 10,
    "idleTimeoutSeconds": 900,
    "maxLifetimeSeconds": 28800,
    "logLevel": "INFO",
    "protocol": "HTTP",
    "networkMode": "PUBLIC",
    "agent": "python",
    "imageContext": "",
    "buildOnPreview": True,
    "deployerRole": True,
    "githubBranches": ["main"],
    "runtimeName": "",
    "additionalModelIds": [],
}


def test_generated_files_are_current() -> None:
    assert config_files.stale() == [], f"regenerate with `{config_files.REGENERATE}`"


def test_stale_files_are_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "Pulumi.yaml"
    copy.write_text((ROOT / "Pulumi.yaml").read_text().replace("default: 10\n", "default: 11\n"))
    monkeypatch.setitem(config_files.GENERATED, copy, config_files.GENERATED[config_files.PULUMI_YAML])
    assert copy in config_files.stale()


def test_project_identity_and_toolchain() -> None:
    assert PROJECT["name"] == NAMESPACE == "agentcore"
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert (ROOT / "__main__.py").is_file()


def test_every_setting_is_declared_except_objects() -> None:
    assert set(DECLARED) == {s.key for s in SETTINGS if "." not in s.key and s.kind is not Kind.OBJECT}
    assert {s.key for s in SETTINGS if s.kind is Kind.OBJECT} == {"environmentVariables", "tags"}
    # Pulumi.yaml's comment names every key of the observability object, so a user reading only
    # the project file still finds them.
    comment = (ROOT / "Pulumi.yaml").read_text().split("config:")[0]
    for setting in observability_settings():
        assert setting.key.split(".")[1] in comment, setting.key


def test_known_defaults() -> None:
    for key, value in KNOWN_DEFAULTS.items():
        assert DECLARED[key]["default"] == value, key
    assert "default" not in DECLARED["modelId"]


@pytest.mark.parametrize("key", sorted(DECLARED))
def test_declarations_are_valid_pulumi_config(key: str) -> None:
    declaration = DECLARED[key]
    assert declaration["type"] in SIMPLE_TYPES
    assert declaration.get("description")
    if declaration["type"] == "array":
        assert declaration["items"] == {"type": "string"}
    if "default" in declaration:
        assert _valid(declaration["type"], declaration["default"])


def test_the_table_lists_every_key() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text()
    table = text.split(config_files.TABLE_BEGIN)[1].split(config_files.TABLE_END)[0]
    for setting in SETTINGS:
        assert f"| `{setting.key}` |" in table, setting.key
    assert "| `keepImages` | integer | `10` |" in table
    assert "| `observability.logRetentionDays` | integer | `30` |" in table


def _leaves(model: Any, prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every setting path of a pydantic model or TypedDict, nested blocks expanded."""
    fields = getattr(model, "model_fields", None)
    hints = {name: f.annotation for name, f in fields.items()} if fields is not None else dict(model.__annotations__)
    out: set[tuple[str, ...]] = set()
    for name, hint in hints.items():
        if typing.get_origin(hint) in (typing.NotRequired, typing.Required):
            hint = typing.get_args(hint)[0]
        nested = [a for a in (hint, *typing.get_args(hint)) if isinstance(a, type) and (hasattr(a, "model_fields") or typing.is_typeddict(a))]
        out |= _leaves(nested[0], (*prefix, name)) if nested else {(*prefix, name)}
    return out


def test_schema_typed_arguments_and_validated_settings_have_the_same_settings() -> None:
    schema = {s.path for s in SETTINGS}
    assert schema == _leaves(RuntimeSettings)
    assert schema == _leaves(AgentCoreRuntimeArgs)


def test_observability_keys_are_the_camel_case_of_their_fields() -> None:
    for setting in observability_settings():
        assert setting.key == f"observability.{camel_case(setting.path[1])}"


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
    objects = {s.key for s in SETTINGS if s.kind is Kind.OBJECT} | {"observability"}
    for full, value in config.items():
        namespace, _, key = full.partition(":")
        assert namespace in (NAMESPACE, "aws", "aws-native"), full
        if namespace != NAMESPACE:
            continue
        assert key in DECLARED or key in objects, full
        if key in DECLARED:
            assert _valid(DECLARED[key]["type"], value), full
        else:
            assert isinstance(value, dict) and all(isinstance(v, (str, int, float, bool)) for v in value.values()), full
    # Both stacks set the observability object, and only with keys it knows.
    assert set(config[f"{NAMESPACE}:observability"]) <= {s.key.split(".")[1] for s in observability_settings()}


def test_no_secret_looking_values_in_stack_files() -> None:
    for stack in ("dev", "prod"):
        text = Path(ROOT / f"Pulumi.{stack}.yaml").read_text().lower()
        for word in ("secret_access_key", "password", "aws_session_token"):
            assert word not in text
