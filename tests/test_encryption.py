"""Customer-managed encryption (`agentcore:encryptionKey`), under Pulumi's mocks: the stack's own
key (rotation, deletion window, alias, key policy checked against the IAM catalogue and the
CloudFormation schema), every encrypted resource using the key (repository, runtime and vended
log groups), the roles' KMS grants, a brought key, no key at all, and an existing stack whose
repository predates the key (stopped at preview, never replaced)."""

import fnmatch
import json
from typing import Any

import pytest

from components.iam.kms import stack_key_policy
from tests.testkit.cfn_schemas import cfn_property_errors
from tests.testkit.iam_catalogue import action_rows, as_list, document_problems, resource_statement_problems
from tests.testkit.program_runs import BYO_KEY, all_runs
from tests.testkit.pulumi_mocks import ACCOUNT_ID, Run, run_program

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"
REPOSITORY = "aws:ecr/repository:Repository"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ADOPTABLE = "pulumi-python:dynamic/agentcore:AdoptableLogGroup"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"

# Runs with the stack's own key, with a brought key, and without any.
STACK_KEY_RUNS = ["prod", "stack-key"]
BYO_KEY_RUNS = ["byo-key-production"]
NO_KEY_RUNS = ["dev", "vpc-jwt", "govcloud"]
KMS_ADMIN_ONLY = {"kms:CreateKey", "kms:PutKeyPolicy", "kms:DisableKey", "kms:DisableKeyRotation"}


@pytest.fixture(scope="module")
def runs() -> dict[str, Run]:
    return all_runs()


def key_arn(run: Run) -> str:
    return run.one(KEY).outputs["arn"]


def key_policy(run: Run) -> dict[str, Any]:
    return json.loads(run.one(KEY).inputs["policy"])


def sids(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def deployer_policy(run: Run) -> dict[str, dict[str, Any]]:
    [policy] = [r for r in run.of_type(ROLE_POLICY) if r.name.endswith("deployer-policy")]
    return sids(json.loads(policy.inputs["policy"]))


def log_group_arns(run: Run) -> list[str]:
    """The ARN of every log group the run creates (CloudWatch Logs' encryption context)."""
    return [r.outputs["arn"] for r in run.of_type(LOG_GROUP) + run.of_type(ADOPTABLE)]


def encrypted_with(run: Run) -> dict[str, Any]:
    """Resource name -> the key it is encrypted with (None: AWS-owned encryption)."""
    out: dict[str, Any] = {}
    for repo in run.of_type(REPOSITORY):
        [config] = repo.inputs["encryptionConfigurations"]
        out[repo.name] = config.get("kmsKey") if config["encryptionType"] == "KMS" else None
    for group in run.of_type(LOG_GROUP):
        out[group.name] = group.inputs.get("kmsKeyId")
    for group in run.of_type(ADOPTABLE):
        out[group.name] = group.inputs.get("kms_key_id")
    return out


# --- the key --------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", STACK_KEY_RUNS)
def test_the_stack_key_rotates_has_a_deletion_window_an_alias_and_follows_log_retention(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    key = run.one(KEY)
    assert key.inputs["enableKeyRotation"] is True and key.inputs["rotationPeriodInDays"] == 365
    assert key.inputs["deletionWindowInDays"] == {"prod": 30, "stack-key": 7}[variant]
    assert key.inputs["tags"]["ManagedBy"] == "pulumi"
    # Log groups kept after destroy (prod) stay readable only while their key exists.
    assert key.retain_on_delete is {"prod": True, "stack-key": False}[variant]
    alias = run.one(ALIAS)
    assert alias.inputs == {"name": f"alias/agentcore-{'prod' if variant == 'prod' else 'dev'}", "targetKeyId": key.outputs["keyId"]}
    region = run.mocks.region
    assert cfn_property_errors("AWS::KMS::Key", region, {
        "Description": key.inputs["description"],
        "EnableKeyRotation": key.inputs["enableKeyRotation"],
        "RotationPeriodInDays": key.inputs["rotationPeriodInDays"],
        "PendingWindowInDays": key.inputs["deletionWindowInDays"],
        "KeyPolicy": key_policy(run),
        "Tags": [{"Key": k, "Value": v} for k, v in key.inputs["tags"].items()],
    }) == []
    assert cfn_property_errors("AWS::KMS::Alias", region, {"AliasName": alias.inputs["name"], "TargetKeyId": alias.inputs["targetKeyId"]}) == []


@pytest.mark.parametrize("variant", NO_KEY_RUNS + BYO_KEY_RUNS)
def test_no_key_is_created_without_encryption_key_stack(runs: dict[str, Run], variant: str) -> None:
    assert runs[variant].of_type(KEY) == [] and runs[variant].of_type(ALIAS) == []


@pytest.mark.parametrize("variant", STACK_KEY_RUNS)
def test_the_key_policy_passes_the_iam_catalogue(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    document = key_policy(run)
    assert document_problems(document) == []
    for statement in document["Statement"]:
        assert statement["Resource"] == "*"  # in a key policy: this key
        assert resource_statement_problems(statement, run.mocks.partition, []) == [], statement["Sid"]
        for action in as_list(statement["Action"]):
            assert any(":key/${KeyId}" in row["resource_arn_format"] for row in action_rows(action)), action


@pytest.mark.parametrize("partition", ["aws", "aws-cn", "aws-us-gov"])
def test_the_key_policy_builder_passes_the_catalogue_in_every_partition(partition: str) -> None:
    region = {"aws": "eu-west-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}[partition]
    for memory in (False, True):
        document = stack_key_policy(partition=partition, region=region, account_id=ACCOUNT_ID, runtime_name="support_agent", memory=memory)
        assert document_problems(document) == []
        assert "arn:aws:" not in json.dumps(document) or partition == "aws"
        for statement in document["Statement"]:
            assert resource_statement_problems(statement, partition, []) == [], statement["Sid"]
    suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
    granted = sids(document)
    assert granted["StackLogGroupsViaCloudWatchLogs"]["Principal"] == {"Service": f"logs.{region}.{suffix}"}
    assert granted["MemoryViaAgentCore"]["Condition"]["StringEquals"]["kms:ViaService"] == f"bedrock-agentcore.{region}.{suffix}"


@pytest.mark.parametrize("variant", STACK_KEY_RUNS)
def test_the_key_policy_grants_exactly_the_services_that_use_it_in_this_account_and_region(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    partition, region = run.mocks.partition, run.mocks.region
    root = {"AWS": f"arn:{partition}:iam::{ACCOUNT_ID}:root"}
    policy = sids(key_policy(run))
    # Both runs create a memory (dev's and prod's stack files turn it on), encrypted with the key.
    assert set(policy) == {"AccountAdministersKey", "EcrRepositoryViaEcr", "StackLogGroupsViaCloudWatchLogs", "MemoryViaAgentCore"}
    memory = policy["MemoryViaAgentCore"]
    assert memory["Principal"] == root
    assert memory["Condition"]["StringEquals"]["kms:ViaService"] == f"bedrock-agentcore.{region}.amazonaws.com"
    # The account administers the key (no lockout) and never uses it directly.
    admin = policy["AccountAdministersKey"]
    assert admin["Principal"] == root and "Condition" not in admin and "kms:PutKeyPolicy" in admin["Action"]
    assert not {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:ReEncryptFrom"} & set(admin["Action"])
    # ECR: only through ECR in this region, for callers of this account.
    ecr = policy["EcrRepositoryViaEcr"]
    assert ecr["Principal"] == root
    assert ecr["Condition"] == {"StringEquals": {"kms:ViaService": f"ecr.{region}.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID}}
    # CloudWatch Logs of this region, for this stack's log groups only.
    logs = policy["StackLogGroupsViaCloudWatchLogs"]
    assert logs["Principal"] == {"Service": f"logs.{region}.amazonaws.com"}
    [(operator, context)] = logs["Condition"].items()
    assert operator == "ArnLike" and list(context) == ["kms:EncryptionContext:aws:logs:arn"]
    patterns = context["kms:EncryptionContext:aws:logs:arn"]
    assert all(p.startswith(f"arn:{partition}:logs:{region}:{ACCOUNT_ID}:log-group:/aws/") for p in patterns)
    # Every log group the stack creates is covered, and another runtime's is not.
    groups = log_group_arns(run)
    assert groups and all(any(fnmatch.fnmatchcase(arn, p) for p in patterns) for arn in groups), (groups, patterns)
    runtime_name = run.one("aws-native:bedrockagentcore:Runtime").inputs["agentRuntimeName"]
    other = f"arn:{partition}:logs:{region}:{ACCOUNT_ID}:log-group:/aws/bedrock-agentcore/runtimes/{runtime_name}x-abcdefghij-DEFAULT"
    assert not any(fnmatch.fnmatchcase(other, p) for p in patterns)


# --- every encrypted resource uses it -------------------------------------------------------------


@pytest.mark.parametrize("variant", STACK_KEY_RUNS + BYO_KEY_RUNS)
def test_the_repository_and_every_log_group_use_the_key(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    expected = key_arn(run) if variant in STACK_KEY_RUNS else BYO_KEY
    used = encrypted_with(run)
    # The repository, the runtime's groups per endpoint, and the vended-log groups.
    assert "agentcore-repository" in used and sum(1 for n in used if "runtime-" in n) == 2
    assert any(n.endswith("usage-logs") for n in used)
    assert used == {name: expected for name in used}
    if variant in STACK_KEY_RUNS:  # each waits for the key: the engine records the dependency
        key_urn = run.one(KEY).urn
        for resource in run.of_type(REPOSITORY) + run.of_type(LOG_GROUP) + run.of_type(ADOPTABLE):
            assert key_urn in resource.dependencies, resource.name


@pytest.mark.parametrize("variant", STACK_KEY_RUNS + BYO_KEY_RUNS + NO_KEY_RUNS)
def test_the_key_is_a_stack_output(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    expected = key_arn(run) if variant in STACK_KEY_RUNS else BYO_KEY if variant in BYO_KEY_RUNS else None
    assert run.outputs.get("encryptionKeyArn") == expected


@pytest.mark.parametrize("variant", NO_KEY_RUNS)
def test_without_a_key_everything_keeps_aws_owned_encryption(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    assert set(encrypted_with(run).values()) <= {None}
    assert not any(s.startswith(("StackKey", "EcrKmsKey", "EcrRepositoriesRead", "EcrRepositoryImagesRead")) for s in deployer_policy(run))


# --- the roles' KMS grants ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", STACK_KEY_RUNS)
def test_the_deployer_gets_exactly_what_later_runs_need_on_the_stack_key(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    arn = key_arn(run)
    region = run.mocks.region
    policy = deployer_policy(run)
    assert policy["StackKeyManage"]["Resource"] == [arn]
    assert set(policy["StackKeyManage"]["Action"]) == {
        "kms:DescribeKey", "kms:GetKeyPolicy", "kms:GetKeyRotationStatus", "kms:ListResourceTags",
        "kms:ScheduleKeyDeletion", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription",
    }
    assert policy["StackKeyAlias"]["Resource"] == [f"arn:aws:kms:{region}:{ACCOUNT_ID}:{run.one(ALIAS).inputs['name']}", arn]
    assert policy["KmsAliasesRead"] == {"Sid": "KmsAliasesRead", "Effect": "Allow", "Action": ["kms:ListAliases"], "Resource": "*"}
    # The repository's grants, on this key only.
    assert policy["EcrKmsKeyDescribe"]["Resource"] == [arn] and policy["EcrKmsKeyGrant"]["Resource"] == [arn]
    assert policy["EcrKmsKeyGrant"]["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert policy["EcrRepositoriesRead"]["Resource"] == [f"arn:aws:ecr:{region}:{ACCOUNT_ID}:repository/*"]
    assert policy["EcrRepositoryImagesRead"]["Resource"] == [run.one(REPOSITORY).outputs["arn"]]
    # Creating keys and rewriting this one's policy stay with the bootstrap credentials.
    granted = {a for s in policy.values() for a in as_list(s["Action"])}
    assert not granted & KMS_ADMIN_ONLY


@pytest.mark.parametrize("variant", BYO_KEY_RUNS)
def test_a_brought_key_is_used_not_managed(runs: dict[str, Run], variant: str) -> None:
    policy = deployer_policy(runs[variant])
    assert not any(s.startswith(("StackKey", "KmsAliases")) for s in policy)
    assert policy["EcrKmsKeyDescribe"]["Resource"] == [BYO_KEY] and policy["EcrKmsKeyGrant"]["Resource"] == [BYO_KEY]


@pytest.mark.parametrize("variant", STACK_KEY_RUNS + BYO_KEY_RUNS + NO_KEY_RUNS)
def test_the_execution_role_uses_the_key_only_for_its_memory_through_agentcore(runs: dict[str, Run], variant: str) -> None:
    """ECR decrypts layers for a pull under its own grants; CloudWatch Logs encrypts what the
    runtime writes as its own service principal. Memory encrypts and decrypts events with the
    caller's credentials, so the runtime's role may use the key, but only through AgentCore."""
    run = runs[variant]
    [execution] = [r for r in run.of_type(ROLE_POLICY) if r.name.endswith("execution-policy")]
    statements = json.loads(execution.inputs["policy"])["Statement"]
    kms = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    if variant in NO_KEY_RUNS:
        assert statements and kms == []
        return
    [memory_key] = kms
    assert memory_key["Sid"] == "MemoryKey"
    assert sorted(as_list(memory_key["Action"])) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert memory_key["Resource"] == [run.outputs["encryptionKeyArn"]]
    assert memory_key["Resource"] == ([BYO_KEY] if variant in BYO_KEY_RUNS else [key_arn(run)])
    assert memory_key["Condition"]["StringEquals"]["kms:ViaService"] == f"bedrock-agentcore.{run.mocks.region}.amazonaws.com"


# --- a brought key and bad values ------------------------------------------------------------------


def test_a_brought_key_in_another_region_is_refused_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = BYO_KEY.replace("us-west-2", "eu-west-1")
    with pytest.raises(Exception, match=r"agentcore:encryptionKey.*stack's region us-west-2"):
        run_program("dev", monkeypatch, overrides={"agentcore:encryptionKey": elsewhere})


def test_a_bad_key_value_stops_the_program_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Exception, match=r"agentcore:encryptionKey: must be 'stack'"):
        run_program("dev", monkeypatch, overrides={"agentcore:encryptionKey": "alias/agents"})


# --- an existing stack's repository ----------------------------------------------------------------

AES256 = {"encryptionType": "AES256"}


@pytest.mark.parametrize("preview", [True, False])
def test_an_existing_aes256_repository_stops_preview_instead_of_being_replaced(monkeypatch: pytest.MonkeyPatch, preview: bool) -> None:
    """prod before this change: its repository (holding the image its pinned endpoint serves) is
    AES256. With encryptionKey: stack, the run stops at the repository with the one-time step
    (the new key's ARN is not even known at preview: the existing side decides)."""
    with pytest.raises(Exception) as info:
        run_program("prod", monkeypatch, preview=preview, repositories={"agentcore-prod": AES256})
    message = str(info.value)
    assert "agentcore:encryptRepository" in message and "'agentcore-prod' already exists with AES256 encryption" in message
    assert "replace the repository and delete its images" in message and "docs/encryption.md#an-existing-repository" in message


def test_keeping_the_existing_repository_still_encrypts_the_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program("prod", monkeypatch, overrides={"agentcore:encryptRepository": False}, repositories={"agentcore-prod": AES256})
    used = encrypted_with(run)
    assert used.pop("agentcore-repository") is None  # unchanged: no replacement planned
    assert used and set(used.values()) == {key_arn(run)}
    assert not any(s.startswith(("EcrKmsKey", "EcrRepositoriesRead", "EcrRepositoryImagesRead")) for s in deployer_policy(run))
    assert "StackKeyManage" in deployer_policy(run)


def test_a_repository_already_under_the_key_passes_and_another_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    overrides = {"agentcore:encryptionKey": BYO_KEY}
    run = run_program("dev", monkeypatch, overrides=overrides, repositories={"agentcore-dev": {"encryptionType": "KMS", "kmsKey": BYO_KEY}})
    assert encrypted_with(run)["agentcore-repository"] == BYO_KEY
    other = BYO_KEY.replace("7c1f", "0000")
    with pytest.raises(Exception, match=rf"already exists with KMS key {other}"):
        run_program("dev", monkeypatch, overrides=overrides, repositories={"agentcore-dev": {"encryptionType": "KMS", "kmsKey": other}})


def test_other_repositories_in_the_region_do_not_matter(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program("prod", monkeypatch, repositories={"someone-else": AES256, "agentcore-prod-old": AES256})
    assert encrypted_with(run)["agentcore-repository"] == key_arn(run)
