"""CloudFormation resource schemas as cfn-lint ships them (read as data, without importing
cfn-lint, whose import alone takes seconds), and a check of Pulumi inputs against them."""

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

# Located without importing cfn-lint (its import alone takes seconds).
_CFNLINT = importlib.util.find_spec("cfnlint")
assert _CFNLINT is not None and _CFNLINT.submodule_search_locations, "cfn-lint is a dev dependency"
SCHEMAS = Path(next(iter(_CFNLINT.submodule_search_locations))) / "data" / "schemas"
@cache
def cfn_schema(type_name: str, region: str) -> dict[str, Any]:
    """The resource schema cfn-lint uses for `type_name` in `region`, found by its typeName."""
    by_type = json.loads((SCHEMAS / "providers" / f"{region}.json").read_text())
    assert type_name in by_type, f"{type_name} is not available in {region}"
    schema = json.loads((SCHEMAS / "resources" / f"{by_type[type_name]}.json").read_text())
    assert schema["typeName"] == type_name
    return schema


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
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
    schema = resolve(schema, root)
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


def cfn_property_errors(type_name: str, region: str, properties: dict[str, Any]) -> list[str]:
    """What the schema says is wrong with properties already in CloudFormation's form (for
    resources such as pulumi-aws's S3 bucket pieces, which a test maps onto one CFN type itself)."""
    validator = jsonschema.Draft7Validator(cfn_schema(type_name, region))
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(properties)]


def cfn_errors(type_name: str, region: str, inputs: dict[str, Any]) -> list[str]:
    """What the schema says is wrong with a Pulumi resource's inputs (aws-native naming)."""
    schema = cfn_schema(type_name, region)
    properties = to_cfn(inputs, schema, schema)
    errors = cfn_property_errors(type_name, region, properties)
    read_only = {p.removeprefix("/properties/") for p in schema.get("readOnlyProperties", [])}
    errors += [f"{name}: read-only property set as input" for name in read_only & set(properties)]
    return errors
