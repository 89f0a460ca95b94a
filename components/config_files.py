"""Files generated from the settings schema: Pulumi.yaml (its `config:` declarations) and the
configuration reference table in docs/configuration.md (between its generated-region markers).

    uv run --frozen python -m components.config_files --write   # regenerate after editing schema.py
    uv run --frozen python -m components.config_files           # exit 1 and name stale files

A test runs the check, so a schema change without regenerating fails the suite.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from .schema import NAMESPACE, OBSERVABILITY, SETTINGS, Kind, Setting, observability_settings

ROOT = Path(__file__).resolve().parent.parent
PULUMI_YAML = ROOT / "Pulumi.yaml"
CONFIG_DOC = ROOT / "docs" / "configuration.md"
TABLE_BEGIN = "<!-- generated:config-table:begin -->"
TABLE_END = "<!-- generated:config-table:end -->"
REGENERATE = "uv run --frozen python -m components.config_files --write"

PROJECT_HEAD = """\
name: agentcore
description: A Strands agent on AWS Bedrock AgentCore Runtime, deployed with the AgentCoreRuntime component.
runtime:
  name: python
  options:
    toolchain: uv
"""


def _describe(s: Setting) -> str:
    """The description with the allowed values or range the schema declares."""
    text = s.description
    if s.required:
        text += " Required."
    if s.choices is not None:
        text += " One of " + ", ".join(str(s.config_value(c)) for c in s.choices) + "."
    if s.bounds is not None:
        low, high = s.bounds
        unit = {Kind.STRING: " characters", Kind.ARRAY: " items"}.get(s.kind, "")
        if low is None:
            text += f" At most {high}{unit}."
        else:
            text += f" {low}-{high}{unit}."
    return text


def _declaration(s: Setting) -> dict[str, Any]:
    out: dict[str, Any] = {"type": s.kind.value}
    if s.kind is Kind.ARRAY:
        out["items"] = {"type": "string"}
    if not s.required:
        out["default"] = s.config_default
    out["description"] = _describe(s)
    return out


def pulumi_yaml() -> str:
    """Pulumi.yaml: the project, then every setting project config can declare (not objects)."""
    declared = {s.key: _declaration(s) for s in SETTINGS if s.path[0] != OBSERVABILITY and s.kind is not Kind.OBJECT}
    objects = [s.key for s in SETTINGS if s.kind is Kind.OBJECT]
    observability_keys = ", ".join(s.key.split(".", 1)[1] for s in observability_settings())
    comment = (
        "Generated from components/schema.py: edit the schema, then run "
        "`python -m components.config_files --write`. "
        'Every setting of the program, typed, with its default; an empty string or list means "unset". '
        "Settings that are objects cannot be declared here (project config has no object type); set them per stack "
        "as YAML maps: " + ", ".join(f"{NAMESPACE}:{k}" for k in objects) + f" and {NAMESPACE}:{OBSERVABILITY} "
        f"(keys {observability_keys}; every key is optional). docs/configuration.md lists every key."
    )
    body = yaml.safe_dump({"config": declared}, sort_keys=False, allow_unicode=True, width=10_000)
    return PROJECT_HEAD + "\n" + _comment(comment) + body


def _comment(text: str, width: int = 100) -> str:
    lines, line = [], "#"
    for word in text.split():
        if len(line) + 1 + len(word) > width:
            lines.append(line)
            line = "#"
        line += " " + word
    return "\n".join([*lines, line]) + "\n"


def _cell(value: str) -> str:
    """Markdown table text: pipes escaped, and <placeholders> kept from reading as HTML tags."""
    return value.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _default_cell(s: Setting) -> str:
    if s.required:
        return "required"
    value = s.config_default
    if value in ("", [], {}, None):
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, list):
        return "`[" + ", ".join(value) + "]`"
    return f"`{value}`"


def config_table() -> str:
    """The reference table: every key (observability's as `observability.<key>`)."""
    rows = ["| Key (`agentcore:`) | Type | Default | Description |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        kind = "map" if s.kind is Kind.OBJECT else s.kind.value
        rows.append(f"| `{s.key}` | {kind} | {_default_cell(s)} | {_cell(_describe(s))} |")
    return "\n".join(rows) + "\n"


def configuration_doc(current: str) -> str:
    """`current` with the region between the markers replaced by the table."""
    head, begin, rest = current.partition(TABLE_BEGIN)
    _, end, tail = rest.partition(TABLE_END)
    if not begin or not end:
        raise ValueError(f"{CONFIG_DOC} lacks the lines {TABLE_BEGIN} and {TABLE_END}")
    return f"{head}{TABLE_BEGIN}\n{config_table()}{TABLE_END}{tail}"


GENERATED: dict[Path, Callable[[str], str]] = {
    PULUMI_YAML: lambda _current: pulumi_yaml(),
    CONFIG_DOC: configuration_doc,
}


def stale() -> list[Path]:
    """The generated files whose content differs from what the schema generates."""
    return [path for path, render in GENERATED.items() if path.read_text(encoding="utf-8") != render(path.read_text(encoding="utf-8"))]


def write() -> list[Path]:
    """Regenerate every stale file; returns those rewritten."""
    changed = stale()
    for path in changed:
        path.write_text(GENERATED[path](path.read_text(encoding="utf-8")), encoding="utf-8")
    return changed


def main() -> None:
    parser = argparse.ArgumentParser(description="Generate Pulumi.yaml's config block and the config reference table.")
    parser.add_argument("--write", action="store_true", help="rewrite stale files instead of listing them")
    args = parser.parse_args()
    files = write() if args.write else stale()
    for path in files:
        print(f"{'wrote' if args.write else 'stale'}: {path.relative_to(ROOT)}")
    if files and not args.write:
        print(f"regenerate with: {REGENERATE}")
        sys.exit(1)


if __name__ == "__main__":
    main()
