"""The state-backend bootstrap (bootstrap/), run for real under Pulumi's mock engine as
`pulumi up` / a first `pulumi preview` would run it from its own directory: every resource and
hardening setting, the outputs and the commands they print (checked against the main program,
which must accept the values and scope its deployer to them), and the validation table.

The IAM catalogue checks of the two policies are in test_bootstrap_policies.py, the CloudFormation
schema checks in test_bootstrap_cfn.py; the runs are tests/testkit/bootstrap_runs.py's."""

import json
import shlex
from typing import Any

import pytest

from tests.testkit.bootstrap_runs import (
    ALIAS,
    BOOTSTRAP,
    BUCKET,
    BUCKET_ARN,
    BUCKET_TYPE,
    COMPONENT,
    ENCRYPTION,
    KEY,
    LIFECYCLE,
    NAMESPACE,
    OWNERSHIP,
    PARTITIONS,
    POLICY,
    PROJECT,
    PUBLIC_ACCESS,
    REGION,
    ROOT_ARN,
    VERSIONING,
    bootstrap_run,
    policy_of,
    run_bootstrap,
    statement,
)
from tests.testkit.pulumi_mocks import ACCOUNT_ID, ROOT, Run, load_yaml, run_program


@pytest.fixture(scope="module")
def run() -> Run:
    return bootstrap_run("default")


@pytest.fixture(scope="module")
def custom() -> Run:
    return bootstrap_run("custom")


# --- the project -----------------------------------------------------------------------------


def test_project_is_a_separate_python_program_with_typed_documented_settings() -> None:
    assert PROJECT["name"] == NAMESPACE != load_yaml(ROOT / "Pulumi.yaml")["name"]
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "uv"}}
    assert (BOOTSTRAP / "__main__.py").is_file()
    assert not list(BOOTSTRAP.glob("Pulumi.*.yaml")), "stacks are per account: no stack file is checked in"
    for key, declaration in PROJECT["config"].items():
        assert declaration["type"] in ("string", "integer", "boolean", "array"), key
        assert "default" in declaration and declaration.get("description"), key


@pytest.mark.parametrize("key", sorted(PROJECT["config"]))
def test_every_declared_setting_is_read(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """Without a declared key (which the CLI always fills in) the program says so by name."""
    with pytest.raises(Exception, match=f"(?m)^{NAMESPACE}:{key}: missing"):
        run_bootstrap(monkeypatch, {f"{NAMESPACE}:{key}": None})


# --- resources -------------------------------------------------------------------------------


def test_the_component_holds_the_key_alias_bucket_and_each_bucket_setting(run: Run) -> None:
    [component] = run.of_type(COMPONENT)
    custom = [r for r in run.registrations if r.custom]
    assert sorted(r.type for r in custom) == sorted([KEY, ALIAS, BUCKET_TYPE, OWNERSHIP, PUBLIC_ACCESS, VERSIONING, ENCRYPTION, LIFECYCLE, POLICY])
    assert all(r.parent == component.urn for r in custom)
    assert {r.name for r in custom} == {
        "state-key", "state-key-alias", "state-bucket", "state-ownership", "state-public-access",
        "state-versioning", "state-encryption", "state-lifecycle", "state-policy",
    }
    for typ in (OWNERSHIP, PUBLIC_ACCESS, VERSIONING, ENCRYPTION, LIFECYCLE, POLICY):
        assert run.one(typ).inputs["bucket"] == BUCKET, typ


def test_bucket_is_named_per_account_and_region_and_guarded_against_deletion(run: Run) -> None:
    bucket = run.one(BUCKET_TYPE)
    assert bucket.inputs["bucket"] == BUCKET
    assert bucket.inputs["forceDestroy"] is False  # never emptied to be deleted
    assert bucket.protect and run.one(KEY).protect
    assert bucket.inputs["tags"] == {"ManagedBy": "pulumi", "Purpose": "pulumi-state-backend"}


def test_acls_are_disabled_and_all_public_access_is_blocked(run: Run) -> None:
    assert run.one(OWNERSHIP).inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    block = run.one(PUBLIC_ACCESS).inputs
    assert {k: block[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")} == dict.fromkeys(
        ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True
    )


def test_versioning_is_on(run: Run) -> None:
    assert run.one(VERSIONING).inputs["versioningConfiguration"] == {"status": "Enabled"}


def test_default_encryption_is_sse_kms_with_the_customer_managed_key_and_a_bucket_key(run: Run) -> None:
    key_arn = run.one(KEY).outputs["arn"]
    assert run.one(ENCRYPTION).inputs["rules"] == [
        {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key_arn}, "bucketKeyEnabled": True}
    ]


def test_old_versions_expire_after_the_configured_days_keeping_the_newest(run: Run, custom: Run) -> None:
    [rule] = run.one(LIFECYCLE).inputs["rules"]
    assert rule == {
        "id": "expire-old-state-versions",
        "status": "Enabled",
        "filter": {},  # the whole bucket
        "noncurrentVersionExpiration": {"noncurrentDays": 90, "newerNoncurrentVersions": 10},
        "expiration": {"expiredObjectDeleteMarker": True},
        "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
    }
    [custom_rule] = custom.one(LIFECYCLE).inputs["rules"]
    assert custom_rule["noncurrentVersionExpiration"] == {"noncurrentDays": 30}  # 0 kept: no count
    # Lifecycle rules on versions need versioning first.
    assert run.one(VERSIONING).urn in run.one(LIFECYCLE).dependencies


def test_the_key_rotates_and_waits_before_deletion(run: Run, custom: Run) -> None:
    key = run.one(KEY).inputs
    assert key["enableKeyRotation"] is True
    assert key["rotationPeriodInDays"] == 365
    assert key["deletionWindowInDays"] == 30
    assert key["keyUsage"] == "ENCRYPT_DECRYPT" and key["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert key["bypassPolicyLockoutSafetyCheck"] is False
    assert (custom.one(KEY).inputs["rotationPeriodInDays"], custom.one(KEY).inputs["deletionWindowInDays"]) == (90, 7)


def test_the_alias_names_the_key(run: Run, custom: Run) -> None:
    alias = run.one(ALIAS).inputs
    assert alias == {"name": f"alias/{BUCKET}", "targetKeyId": run.one(KEY).outputs["keyId"]}
    assert custom.one(ALIAS).inputs["name"] == "alias/acme/pulumi"


def test_without_protection_nothing_is_protected_and_the_policies_allow_deletion(custom: Run) -> None:
    assert not any(r.protect for r in custom.registrations)
    sids = {s["Sid"] for s in policy_of(custom, POLICY)["Statement"]}
    assert not sids & {"DenyBucketDeletion", "DenyHistoryDeletion"}
    assert all(s["Effect"] == "Allow" for s in policy_of(custom, KEY)["Statement"])
    assert custom.one(BUCKET_TYPE).inputs["bucket"] == "acme-pulumi-state"


# --- bucket policy ---------------------------------------------------------------------------


def test_bucket_policy_denies_every_request_without_tls(run: Run) -> None:
    assert statement(policy_of(run, POLICY), "DenyInsecureTransport") == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [BUCKET_ARN, f"{BUCKET_ARN}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    tls = statement(policy_of(run, POLICY), "DenyOutdatedTls")
    assert (tls["Effect"], tls["Principal"], tls["Action"]) == ("Deny", "*", "s3:*")
    assert tls["Resource"] == [BUCKET_ARN, f"{BUCKET_ARN}/*"]
    assert tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


def test_bucket_policy_only_denies_and_admits_uploads_under_this_key_alone(run: Run) -> None:
    document = policy_of(run, POLICY)
    assert document["Version"] == "2012-10-17"
    assert {s["Effect"] for s in document["Statement"]} == {"Deny"}  # grants nothing to anyone
    key_arn = run.one(KEY).outputs["arn"]
    objects = f"{BUCKET_ARN}/*"
    assert statement(document, "DenyOtherEncryption")["Condition"] == {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}
    assert statement(document, "DenyOtherKmsKeys")["Condition"] == {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}}
    assert statement(document, "DenyAwsManagedKey")["Condition"] == {
        "StringEquals": {"s3:x-amz-server-side-encryption": "aws:kms"},
        "Null": {"s3:x-amz-server-side-encryption-aws-kms-key-id": "true"},
    }
    for sid in ("DenyOtherEncryption", "DenyOtherKmsKeys", "DenyAwsManagedKey"):
        assert (statement(document, sid)["Action"], statement(document, sid)["Resource"]) == ("s3:PutObject", objects)
    assert statement(document, "DenyBucketDeletion")["Action"] == "s3:DeleteBucket"
    assert statement(document, "DenyBucketDeletion")["Resource"] == BUCKET_ARN
    assert (statement(document, "DenyHistoryDeletion")["Action"], statement(document, "DenyHistoryDeletion")["Resource"]) == ("s3:DeleteObjectVersion", objects)
    assert "Condition" not in statement(document, "DenyHistoryDeletion")


def test_bucket_policy_waits_for_the_public_access_block_and_ownership(run: Run) -> None:
    policy = run.one(POLICY)
    assert {run.one(PUBLIC_ACCESS).urn, run.one(OWNERSHIP).urn} <= set(policy.dependencies)


# --- key policy ------------------------------------------------------------------------------


def test_key_policy_lets_the_account_administer_the_key_without_lockout(run: Run) -> None:
    document = policy_of(run, KEY)
    admin = statement(document, "AccountAdministersKey")
    assert admin["Effect"] == "Allow" and admin["Principal"] == {"AWS": ROOT_ARN} and admin["Resource"] == "*"
    assert "Condition" not in admin
    # The account can always repair the policy, schedule or cancel deletion and re-enable the key.
    assert {"kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:EnableKey"} <= set(admin["Action"])
    # ... and nothing takes that away again: the only deny is the deletion guard.
    denies = [s for s in document["Statement"] if s["Effect"] == "Deny"]
    assert denies == [{"Sid": "DenyKeyDeletion", "Effect": "Deny", "Principal": "*", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"}]
    # Administration is not use: no cryptographic operation in the administrators' statement.
    assert not {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"} & set(admin["Action"])


def test_key_use_is_granted_only_to_this_account_and_data_keys_only_through_s3_for_this_bucket(run: Run) -> None:
    document = policy_of(run, KEY)
    allows = [s for s in document["Statement"] if s["Effect"] == "Allow"]
    assert all(s["Principal"] == {"AWS": ROOT_ARN} for s in allows)  # never "*" or another account
    via_s3 = statement(document, "StateBucketEncryptionViaS3")
    assert via_s3["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert via_s3["Condition"] == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [BUCKET_ARN, f"{BUCKET_ARN}/*"]},
    }
    secrets = statement(document, "StackSecretsProvider")
    assert secrets["Action"] == ["kms:Decrypt", "kms:Encrypt"]
    assert secrets["Condition"] == {"StringEquals": {"kms:CallerAccount": ACCOUNT_ID}}
    granted = {a for s in allows for a in s["Action"]}
    assert "kms:GenerateDataKey" not in set(secrets["Action"]) and granted.isdisjoint({"kms:CreateGrant", "kms:ReEncryptFrom", "kms:ReEncryptTo"})


@pytest.mark.parametrize("partition", ["aws-us-gov", "aws-cn"])
def test_every_arn_and_endpoint_follows_the_partition(partition: str) -> None:
    run = bootstrap_run(partition)
    region, suffix = PARTITIONS[partition]
    bucket = f"pulumi-state-{ACCOUNT_ID}-{region}"
    key = policy_of(run, KEY)
    bucket_policy = policy_of(run, POLICY)
    for document in (key, bucket_policy):
        assert "arn:aws:" not in json.dumps(document)
    assert statement(key, "AccountAdministersKey")["Principal"] == {"AWS": f"arn:{partition}:iam::{ACCOUNT_ID}:root"}
    via_s3 = statement(key, "StateBucketEncryptionViaS3")["Condition"]
    assert via_s3["StringEquals"]["kms:ViaService"] == f"s3.{region}.{suffix}"
    assert via_s3["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"]
    assert statement(bucket_policy, "DenyInsecureTransport")["Resource"] == [f"arn:{partition}:s3:::{bucket}", f"arn:{partition}:s3:::{bucket}/*"]
    assert run.outputs["backendUrl"] == f"s3://{bucket}/agentcore?region={region}"


# --- outputs and the commands they print -----------------------------------------------------


def test_outputs_name_the_backend_and_the_secrets_provider(run: Run) -> None:
    key_arn = run.one(KEY).outputs["arn"]
    assert run.outputs["bucketName"] == BUCKET
    assert run.outputs["bucketArn"] == BUCKET_ARN
    assert run.outputs["stateKeyPrefix"] == "agentcore"
    assert run.outputs["kmsKeyArn"] == key_arn
    assert run.outputs["kmsKeyAlias"] == f"alias/{BUCKET}"
    assert run.outputs["backendUrl"] == f"s3://{BUCKET}/agentcore?region={REGION}"
    assert run.outputs["secretsProvider"] == f"awskms://alias/{BUCKET}?region={REGION}"


def _declared_main_keys() -> set[str]:
    project = load_yaml(ROOT / "Pulumi.yaml")
    return {f"{project['name']}:{key}" for key in project["config"]}


def test_printed_commands_use_the_outputs_exactly(run: Run) -> None:
    out = run.outputs
    assert shlex.split(out["loginCommand"]) == ["pulumi", "login", out["backendUrl"]]
    assert set(out["stackInitCommands"]) == set(out["configCommands"]) == {"dev", "prod"}
    for stack in ("dev", "prod"):
        assert shlex.split(out["stackInitCommands"][stack]) == ["pulumi", "stack", "init", stack, "--secrets-provider", out["secretsProvider"]]
        settings = {}
        for line in out["configCommands"][stack]:
            words = shlex.split(line)
            # --plaintext: the CLI refuses a value it takes for a secret (the key ARN) without it.
            assert words[:6] == ["pulumi", "config", "set", "--stack", stack, "--plaintext"], line
            settings[words[6]] = words[7]
        assert settings == {"agentcore:stateBucket": out["bucketName"], "agentcore:stateKeyPrefix": "agentcore", "agentcore:secretsKmsKeyArn": out["kmsKeyArn"]}
        assert set(settings) <= _declared_main_keys()
    script = out["setupScript"].splitlines()
    assert script[0].startswith("#")
    assert script[1:] == [
        out["loginCommand"],
        out["stackInitCommands"]["dev"], *out["configCommands"]["dev"],
        out["stackInitCommands"]["prod"], *out["configCommands"]["prod"],
    ]


def test_custom_settings_reach_the_urls_and_commands(custom: Run) -> None:
    out = custom.outputs
    assert out["backendUrl"] == f"s3://acme-pulumi-state/teams/agents?region={REGION}"
    assert out["secretsProvider"] == f"awskms://alias/acme/pulumi?region={REGION}"
    assert set(out["stackInitCommands"]) == {"staging"}
    assert shlex.split(out["configCommands"]["staging"][1]) == ["pulumi", "config", "set", "--stack", "staging", "--plaintext", "agentcore:stateKeyPrefix", "teams/agents"]


def test_main_program_accepts_the_printed_settings_and_scopes_its_deployer_to_them(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The dev stack with exactly the values the commands set: its deployer may list the bucket
    under the backend's prefix, read and write state objects there and use the key."""
    out = run.outputs
    settings = {words[6]: words[7] for words in map(shlex.split, out["configCommands"]["dev"])}
    main = run_program("dev", monkeypatch, overrides=settings)
    [deployer_policy] = [r for r in main.of_type("aws:iam/rolePolicy:RolePolicy") if r.name.endswith("deployer-policy")]
    statements = {s["Sid"]: s for s in json.loads(deployer_policy.inputs["policy"])["Statement"]}
    assert statements["StateBucketList"]["Resource"] == [out["bucketArn"]]
    assert statements["StateBucketList"]["Condition"] == {"StringLike": {"s3:prefix": ["agentcore", "agentcore/*"]}}
    assert statements["StateObjects"]["Resource"] == [f"{out['bucketArn']}/agentcore/*"]
    assert statements["StateSecretsKey"]["Resource"] == [out["kmsKeyArn"]]
    # S3 makes a data key with the writer's credentials for every SSE-KMS state object it stores;
    # the secrets provider encrypts and decrypts directly.
    assert statements["StateSecretsKey"]["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]


def test_first_preview_plans_every_resource_and_knows_the_urls() -> None:
    preview = bootstrap_run("preview")
    assert sorted(r.type for r in preview.registrations) == sorted(r.type for r in bootstrap_run("default").registrations)
    assert preview.outputs["backendUrl"] == f"s3://{BUCKET}/agentcore?region={REGION}"
    assert preview.outputs["secretsProvider"] == f"awskms://alias/{BUCKET}?region={REGION}"
    assert preview.outputs["loginCommand"] == f"pulumi login 's3://{BUCKET}/agentcore?region={REGION}'"


# --- validation ------------------------------------------------------------------------------

K = f"{NAMESPACE}:"
BAD_INPUTS: list[tuple[dict[str, Any], str]] = [
    ({"aws:region": None}, "aws:region: required"),
    ({K + "bucketName": "My_Bucket"}, K + "bucketName: must be 3-63 lowercase letters"),
    ({K + "bucketName": "pulumi.state.acme"}, K + "bucketName: must be 3-63 lowercase letters, digits and '-'"),
    ({K + "bucketName": "ab"}, K + "bucketName: must be 3-63"),
    ({K + "bucketName": "a" * 64}, K + "bucketName: must be 3-63"),
    ({K + "bucketName": "-state"}, K + "bucketName: must be 3-63"),
    ({K + "bucketName": "xn--state"}, K + "bucketName: must not start with 'xn--'"),
    ({K + "bucketName": "state-s3alias"}, K + "bucketName: must not end with '-s3alias'"),
    ({K + "stateKeyPrefix": "/agentcore"}, K + "stateKeyPrefix: must be '/'-separated segments"),
    ({K + "stateKeyPrefix": "agentcore/"}, K + "stateKeyPrefix: must be '/'-separated segments"),
    ({K + "stateKeyPrefix": "a//b"}, K + "stateKeyPrefix: must be '/'-separated segments"),
    ({K + "stateKeyPrefix": "state?x=1"}, K + "stateKeyPrefix: must be '/'-separated segments"),
    ({K + "stateKeyPrefix": "a" * 257}, K + "stateKeyPrefix: must be '/'-separated segments"),
    ({K + "keyAlias": "pulumi-state"}, K + "keyAlias: must be alias/<name>"),
    ({K + "keyAlias": "alias/state key"}, K + "keyAlias: must be alias/<name>"),
    ({K + "keyAlias": "alias/aws/s3"}, K + "keyAlias: must not start with 'alias/aws/'"),
    ({K + "noncurrentVersionDays": 0}, K + "noncurrentVersionDays: must be 1-36500 days, got 0"),
    ({K + "noncurrentVersionDays": "ninety"}, K + "noncurrentVersionDays: must be an integer, got 'ninety'"),
    ({K + "noncurrentVersionsToKeep": 101}, K + "noncurrentVersionsToKeep: must be 0-100 versions, got 101"),
    ({K + "noncurrentVersionsToKeep": -1}, K + "noncurrentVersionsToKeep: must be 0-100 versions, got -1"),
    ({K + "keyDeletionWindowDays": 6}, K + "keyDeletionWindowDays: must be 7-30 days, got 6"),
    ({K + "keyDeletionWindowDays": 31}, K + "keyDeletionWindowDays: must be 7-30 days, got 31"),
    ({K + "keyRotationDays": 89}, K + "keyRotationDays: must be 90-2560 days, got 89"),
    ({K + "keyRotationDays": 2561}, K + "keyRotationDays: must be 90-2560 days, got 2561"),
    ({K + "protect": "yes"}, K + "protect: must be true or false, got 'yes'"),
    ({K + "stacks": []}, K + "stacks: must name at least one stack"),
    ({K + "stacks": ["dev", "dev"]}, K + "stacks: must not repeat a stack"),
    ({K + "stacks": ["dev prod"]}, K + "stacks: stack names are 1-100 letters"),
    ({K + "stacks": "dev"}, K + "stacks: must be a list of strings, got 'dev'"),
    ({K + "bucketNmae": "x"}, K + "bucketNmae: unknown setting; did you mean state-backend:bucketName?"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS, ids=[m.split(":")[1] + "-" + str(i) for i, (_, m) in enumerate(BAD_INPUTS)])
def test_bad_input_stops_the_preview_naming_the_key_and_the_rule(monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(Exception) as info:
        run_bootstrap(monkeypatch, overrides, preview=True)
    lines = str(info.value).splitlines()
    assert any(line.startswith(message) for line in lines), lines


def test_every_problem_is_reported_at_once_before_any_resource(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception) as info:
        run_bootstrap(monkeypatch, {K + "keyRotationDays": 1, K + "bucketName": "A", K + "protect": "maybe"}, preview=True)
    assert [line.split(":")[1] for line in str(info.value).splitlines()] == ["bucketName", "keyRotationDays", "protect"]


@pytest.mark.parametrize(
    "overrides",
    [
        {K + "bucketName": "abc"},
        {K + "bucketName": "a" * 63},
        {K + "stateKeyPrefix": ""},
        {K + "stateKeyPrefix": "Team_1/agent.core-x"},
        {K + "keyAlias": "alias/a"},
        {K + "noncurrentVersionsToKeep": 100, K + "noncurrentVersionDays": 1},
        {K + "keyDeletionWindowDays": 30, K + "keyRotationDays": 2560},
    ],
)
def test_boundary_values_are_accepted(monkeypatch: pytest.MonkeyPatch, overrides: dict[str, Any]) -> None:
    run = run_bootstrap(monkeypatch, overrides, preview=True)
    assert run.one(BUCKET_TYPE)


def test_an_empty_prefix_puts_the_backend_at_the_bucket_root(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_bootstrap(monkeypatch, {K + "stateKeyPrefix": ""})
    assert run.outputs["backendUrl"] == f"s3://{BUCKET}?region={REGION}"
    # The main program's prefix key already defaults to the root: no command sets it.
    assert [shlex.split(c)[6] for c in run.outputs["configCommands"]["dev"]] == ["agentcore:stateBucket", "agentcore:secretsKmsKeyArn"]


def test_bootstrap_modules_are_small_and_pure() -> None:
    """Policies, names, settings and commands import neither pulumi nor pulumi_aws: documents and
    rules are plain data; only the component and the program create resources."""
    for module in ("policies", "names", "settings", "commands"):
        source = (BOOTSTRAP / "state_backend" / f"{module}.py").read_text()
        assert "import pulumi" not in source, module
