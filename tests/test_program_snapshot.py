"""Existing stacks see no replacement: every resource's URN, options and inputs, and every stack
output, for both stacks and every program variant, equal the committed snapshot
(tests/data/resource_snapshot.json). A deliberate change regenerates it with
`uv run --frozen python -m tests.testkit.resource_snapshot --write`, and the diff is reviewed."""

import json

import pytest

from tests.testkit.program_runs import ALL_RUNS
from tests.testkit.resource_snapshot import REGENERATE, differences, load, record


@pytest.fixture(scope="module")
def current() -> dict:
    return record()


def test_snapshot_covers_both_stacks_and_every_variant(current: dict) -> None:
    assert set(load()) == set(current) == set(ALL_RUNS)


@pytest.mark.parametrize("run", ALL_RUNS)
def test_urns_options_and_inputs_match_the_snapshot(current: dict, run: str) -> None:
    lines = list(differences(load()[run], current[run]))
    assert not lines, f"{run}: the resources differ from the snapshot (regenerate with `{REGENERATE}` only for a deliberate change):\n" + "\n".join(lines[:80])


def test_differences_name_the_changed_statement() -> None:
    old = {"urn:a": {"inputs": {"policy": json.dumps({"Statement": [{"Sid": "A", "Action": ["s3:GetObject"]}]})}}}
    new = {"urn:a": {"inputs": {"policy": json.dumps({"Statement": [{"Sid": "A", "Action": ["s3:PutObject"]}]})}}, "urn:b": {}}
    assert list(differences(old, new)) == [
        'changed  urn:a/inputs/policy<json>/Statement[0]/Action[0]: "s3:GetObject" -> "s3:PutObject"',
        "added    urn:b = {}",
    ]
