"""The state-backend bootstrap (bootstrap/) run under Pulumi's mock engine, as `pulumi up` or a
first `pulumi preview` would run it from its own directory, with what S3 and KMS report for its
resources; one cached run per variant, shared by the bootstrap's resource, policy and schema tests."""

import json
import runpy
import uuid
from functools import cache
from typing import Any

import pytest

from tests.testkit.pulumi_mocks import ACCOUNT_ID, ROOT, AwsMocks, Run, load_yaml, pulumi_string, run_pulumi

BOOTSTRAP = ROOT / "bootstrap"
PROJECT = load_yaml(BOOTSTRAP / "Pulumi.yaml")
NAMESPACE = "state-backend"
REGION = "us-west-2"
BUCKET = f"pulumi-state-{ACCOUNT_ID}-{REGION}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT_ID}:root"

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
BUCKET_TYPE = "aws:s3/bucket:Bucket"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
LIFECYCLE = "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
COMPONENT = "state-backend:index:StateBackend"

# Partitions the program must name correctly: (partition, region, DNS suffix).
PARTITIONS = {"aws": ("us-west-2", "amazonaws.com"), "aws-us-gov": ("us-gov-west-1", "amazonaws.com"), "aws-cn": ("cn-north-1", "amazonaws.com.cn")}


class StateBackendMocks(AwsMocks):
    """The suite's AWS mocks plus what S3 and KMS report for the bootstrap's resources."""

    def new_resource(self, args: Any) -> tuple[str, dict[str, Any]]:
        if not args.custom or self.preview or args.typ.startswith("pulumi:providers:"):
            return super().new_resource(args)
        p, a, r = self.partition, self.account_id, self.region
        inputs = dict(args.inputs)
        if args.typ == KEY:
            key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, inputs["description"]))
            return key_id, {**inputs, "keyId": key_id, "arn": f"arn:{p}:kms:{r}:{a}:key/{key_id}", "tagsAll": inputs.get("tags", {})}
        if args.typ == ALIAS:
            return inputs["name"], {**inputs, "arn": f"arn:{p}:kms:{r}:{a}:{inputs['name']}"}
        if args.typ == BUCKET_TYPE:
            name = inputs["bucket"]
            return name, {**inputs, "arn": f"arn:{p}:s3:::{name}", "region": r, "tagsAll": inputs.get("tags", {})}
        if args.typ in (OWNERSHIP, PUBLIC_ACCESS, VERSIONING, ENCRYPTION, LIFECYCLE, POLICY):
            return inputs["bucket"], inputs
        return super().new_resource(args)


def bootstrap_config(overrides: dict[str, Any], region: str) -> dict[str, str]:
    """Config as the Pulumi CLI hands it to the program: bootstrap/Pulumi.yaml's defaults, the
    stack's aws:region, then `overrides` (full keys; None removes a key)."""
    values: dict[str, Any] = {f"{NAMESPACE}:{key}": d["default"] for key, d in PROJECT["config"].items()}
    values["aws:region"] = region
    values.update(overrides)
    return {key: pulumi_string(value) for key, value in values.items() if value is not None}


def run_bootstrap(monkeypatch: Any, overrides: dict[str, Any] | None = None, *, partition: str = "aws", preview: bool = False) -> Run:
    """Run bootstrap/ as the Python language host does (`runpy.run_path` of the program's
    directory, from that directory) against the mocks."""
    region = PARTITIONS[partition][0]
    monkeypatch.chdir(BOOTSTRAP)
    return run_pulumi(
        lambda: runpy.run_path(str(BOOTSTRAP), run_name="__main__"),
        mocks=StateBackendMocks(region=region, partition=partition, preview=preview),
        project=PROJECT["name"],
        stack="platform",
        config=bootstrap_config(overrides or {}, region),
        monkeypatch=monkeypatch,
    )


# Settings other than the defaults, each visible in the resources or outputs.
CUSTOM = {
    f"{NAMESPACE}:bucketName": "acme-pulumi-state",
    f"{NAMESPACE}:stateKeyPrefix": "teams/agents",
    f"{NAMESPACE}:keyAlias": "alias/acme/pulumi",
    f"{NAMESPACE}:noncurrentVersionDays": 30,
    f"{NAMESPACE}:noncurrentVersionsToKeep": 0,
    f"{NAMESPACE}:keyDeletionWindowDays": 7,
    f"{NAMESPACE}:keyRotationDays": 90,
    f"{NAMESPACE}:protect": False,
    f"{NAMESPACE}:stacks": ["staging"],
}


@cache
def bootstrap_run(variant: str) -> Run:
    """One run per variant and test session: "default", "custom", "preview", or a partition."""
    with pytest.MonkeyPatch.context() as mp:
        if variant == "custom":
            return run_bootstrap(mp, CUSTOM)
        if variant == "preview":
            return run_bootstrap(mp, preview=True)
        return run_bootstrap(mp, partition="aws" if variant == "default" else variant)


def policy_of(run: Run, typ: str) -> dict[str, Any]:
    return json.loads(run.one(typ).inputs["policy"])


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in document["Statement"] if s["Sid"] == sid]
    return found
