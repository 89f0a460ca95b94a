"""The bootstrap's bucket, key and alias checked against the CloudFormation resource schemas
cfn-lint ships (AWS::S3::Bucket, AWS::KMS::Key, AWS::KMS::Alias, AWS::S3::BucketPolicy) in each
partition's region: pulumi-aws splits the bucket into one resource per setting, and each maps
one-to-one onto a property of AWS::S3::Bucket, so an enum value, a range or a required field AWS
would refuse fails here. The key's two ranges are AWS's: the schema's bounds are accepted and one
past them is refused by the bootstrap's own validation, naming the config key."""

import json
from typing import Any

import pytest

from tests.testkit.bootstrap_runs import (
    ALIAS,
    BUCKET_TYPE,
    ENCRYPTION,
    KEY,
    LIFECYCLE,
    OWNERSHIP,
    POLICY,
    PUBLIC_ACCESS,
    VERSIONING,
    bootstrap_run,
    run_bootstrap,
)
from tests.testkit.cfn_schemas import cfn_property_errors, cfn_schema
from tests.testkit.pulumi_mocks import Run

RUNS = ["default", "custom", "aws-us-gov", "aws-cn"]


def tags(inputs: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in inputs.get("tags", {}).items()]


def lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """One pulumi-aws lifecycle rule as an AWS::S3::Bucket Rule; every field the bootstrap sets
    is mapped (an unmapped one fails, so a new setting cannot skip the check)."""
    assert set(rule) == {"id", "status", "filter", "noncurrentVersionExpiration", "expiration", "abortIncompleteMultipartUpload"}, rule
    assert rule["filter"] == {}  # the whole bucket: no Prefix / TagFilters in the CFN form
    noncurrent = {"NoncurrentDays": rule["noncurrentVersionExpiration"]["noncurrentDays"]}
    if "newerNoncurrentVersions" in rule["noncurrentVersionExpiration"]:
        noncurrent["NewerNoncurrentVersions"] = rule["noncurrentVersionExpiration"]["newerNoncurrentVersions"]
    return {
        "Id": rule["id"],
        "Status": rule["status"],
        "NoncurrentVersionExpiration": noncurrent,
        "ExpiredObjectDeleteMarker": rule["expiration"]["expiredObjectDeleteMarker"],
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"]},
    }


def cfn_bucket(run: Run) -> dict[str, Any]:
    bucket = run.one(BUCKET_TYPE).inputs
    block = run.one(PUBLIC_ACCESS).inputs
    return {
        "BucketName": bucket["bucket"],
        "VersioningConfiguration": {"Status": run.one(VERSIONING).inputs["versioningConfiguration"]["status"]},
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
                        "KMSMasterKeyID": rule["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"],
                    },
                    "BucketKeyEnabled": rule["bucketKeyEnabled"],
                }
                for rule in run.one(ENCRYPTION).inputs["rules"]
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": block["blockPublicAcls"],
            "BlockPublicPolicy": block["blockPublicPolicy"],
            "IgnorePublicAcls": block["ignorePublicAcls"],
            "RestrictPublicBuckets": block["restrictPublicBuckets"],
        },
        "OwnershipControls": {"Rules": [{"ObjectOwnership": run.one(OWNERSHIP).inputs["rule"]["objectOwnership"]}]},
        "LifecycleConfiguration": {"Rules": [lifecycle_rule(r) for r in run.one(LIFECYCLE).inputs["rules"]]},
        "Tags": tags(bucket),
    }


def cfn_key(run: Run) -> dict[str, Any]:
    key = run.one(KEY).inputs
    return {
        "Description": key["description"],
        "EnableKeyRotation": key["enableKeyRotation"],
        "RotationPeriodInDays": key["rotationPeriodInDays"],
        "PendingWindowInDays": key["deletionWindowInDays"],
        "KeySpec": key["customerMasterKeySpec"],
        "KeyUsage": key["keyUsage"],
        "KeyPolicy": json.loads(key["policy"]),
        "BypassPolicyLockoutSafetyCheck": key["bypassPolicyLockoutSafetyCheck"],
        "Tags": tags(key),
    }


@pytest.mark.parametrize("variant", RUNS)
def test_resources_fit_the_cloudformation_schemas(variant: str) -> None:
    run = bootstrap_run(variant)
    region = run.mocks.region
    alias = run.one(ALIAS).inputs
    policy = run.one(POLICY).inputs
    assert cfn_property_errors("AWS::S3::Bucket", region, cfn_bucket(run)) == []
    assert cfn_property_errors("AWS::KMS::Key", region, cfn_key(run)) == []
    assert cfn_property_errors("AWS::KMS::Alias", region, {"AliasName": alias["name"], "TargetKeyId": alias["targetKeyId"]}) == []
    assert cfn_property_errors("AWS::S3::BucketPolicy", region, {"Bucket": policy["bucket"], "PolicyDocument": json.loads(policy["policy"])}) == []


def test_the_schema_check_catches_a_wrong_value() -> None:
    bucket = cfn_bucket(bootstrap_run("default"))
    bucket["OwnershipControls"]["Rules"][0]["ObjectOwnership"] = "BucketOwnerEnforcedd"
    assert cfn_property_errors("AWS::S3::Bucket", "us-west-2", bucket) != []


@pytest.mark.parametrize(("config_key", "schema_property"), [("keyDeletionWindowDays", "PendingWindowInDays"), ("keyRotationDays", "RotationPeriodInDays")])
def test_key_ranges_are_the_ones_aws_accepts(monkeypatch: pytest.MonkeyPatch, config_key: str, schema_property: str) -> None:
    bounds = cfn_schema("AWS::KMS::Key", "us-west-2")["properties"][schema_property]
    low, high = bounds["minimum"], bounds["maximum"]
    for value in (low, high):
        run = run_bootstrap(monkeypatch, {f"state-backend:{config_key}": value})
        assert cfn_property_errors("AWS::KMS::Key", "us-west-2", cfn_key(run)) == []
    for value in (low - 1, high + 1):
        with pytest.raises(Exception, match=f"state-backend:{config_key}: must be {low}-{high} days, got {value}"):
            run_bootstrap(monkeypatch, {f"state-backend:{config_key}": value}, preview=True)
