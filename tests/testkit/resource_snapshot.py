"""A committed record of every resource the program registers, so a refactor can prove that an
existing stack would see no replacement and no update.

For both stacks and every variant of `program_runs.VARIANTS`, the snapshot keeps each resource's
URN (type, name and parent chain), options (protect, retainOnDelete, explicit and per-property
dependencies) and inputs, and the stack's outputs. Two values depend on the agent's source rather
than on the component, and are replaced by placeholders so that editing `agent_image/` does not
move the snapshot: the content-hash image tag (`ctx-<32 hex>`) and the digest the mocks derive
from it.

Regenerate only for a deliberate change to what the program deploys, and review the diff:

    uv run --frozen python -m tests.testkit.resource_snapshot --write
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tests.testkit.program_runs import all_runs
from tests.testkit.pulumi_mocks import ROOT, Run

SNAPSHOT = ROOT / "tests" / "data" / "resource_snapshot.json"
REGENERATE = "uv run --frozen python -m tests.testkit.resource_snapshot --write"
IMAGE = "docker-build:index:Image"
_TAG = re.compile(r"ctx-[0-9a-f]{32}")
TAG_PLACEHOLDER = "ctx-<content hash of agent_image>"
DIGEST_PLACEHOLDER = "sha256:<digest of the built image>"


def _normalise(value: Any, digests: frozenset[str]) -> Any:
    if isinstance(value, str):
        text = _TAG.sub(TAG_PLACEHOLDER, value)
        for digest in digests:
            text = text.replace(digest, DIGEST_PLACEHOLDER)
        return text
    if isinstance(value, Mapping):
        return {key: _normalise(item, digests) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalise(item, digests) for item in value]
    return value


def record_run(run: Run) -> dict[str, Any]:
    """One run as plain, sorted data: resources keyed by URN, then the stack outputs."""
    digests = frozenset(r.outputs["digest"] for r in run.of_type(IMAGE) if r.outputs.get("digest"))
    resources = {
        r.urn: {
            "type": r.type,
            "name": r.name,
            "parent": r.parent,
            "custom": r.custom,
            "protect": r.protect,
            "retainOnDelete": r.retain_on_delete,
            "dependencies": sorted(r.dependencies),
            "propertyDependencies": {k: sorted(v) for k, v in sorted(r.property_dependencies.items()) if v},
            "inputs": r.inputs,
        }
        for r in run.registrations
    }
    return _normalise({"resources": resources, "outputs": run.outputs}, digests)


def record() -> dict[str, Any]:
    """Every stack and variant, in `program_runs.ALL_RUNS` order."""
    return {name: record_run(run) for name, run in all_runs().items()}


def dumps(snapshot: Mapping[str, Any]) -> str:
    return json.dumps(snapshot, indent=1, sort_keys=True) + "\n"


def load(path: Path = SNAPSHOT) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def differences(expected: Any, actual: Any, path: str = "") -> Iterator[str]:
    """Readable differences, one line per changed leaf, with its path. JSON documents held in
    strings (IAM policies, dashboard bodies) are compared as documents, so a changed statement is
    named rather than shown as two long lines."""
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        parsed = _json_documents(expected, actual)
        if parsed is not None:
            yield from differences(*parsed, f"{path}<json>")
            return
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        for key in sorted(set(expected) | set(actual)):
            where = f"{path}/{key}" if path else str(key)
            if key not in actual:
                yield f"removed  {where}"
            elif key not in expected:
                yield f"added    {where} = {json.dumps(actual[key], sort_keys=True)[:300]}"
            else:
                yield from differences(expected[key], actual[key], where)
        return
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (old, new) in enumerate(zip(expected, actual, strict=True)):
            yield from differences(old, new, f"{path}[{index}]")
        return
    if expected != actual:
        old, new = (json.dumps(v, sort_keys=True)[:300] for v in (expected, actual))
        yield f"changed  {path}: {old} -> {new}"


def _json_documents(expected: str, actual: str) -> tuple[Any, Any] | None:
    try:
        old, new = json.loads(expected), json.loads(actual)
    except ValueError:
        return None
    return (old, new) if isinstance(old, (dict, list)) and isinstance(new, (dict, list)) else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"rewrite {SNAPSHOT.relative_to(ROOT)}")
    args = parser.parse_args()
    current = record()
    if args.write:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(dumps(current), encoding="utf-8")
        print(f"wrote {SNAPSHOT.relative_to(ROOT)} ({sum(len(r['resources']) for r in current.values())} resources)")
        return
    lines = list(differences(load(), current))
    print("\n".join(lines) if lines else "no differences")


if __name__ == "__main__":
    main()
