"""Who may assume the deployer role, under Pulumi's mocks: never the bare account. A stack that
names nobody trusts only this account's identities tagged `AgentCoreDeployer=true`; a production
stack (`agentcore:production`) must name roles, users or GitHub Actions and fails at preview,
naming the keys to set, until it does; named principals and GitHub trust replace the default."""

import json
from typing import Any

import pulumi
import pytest

from tests.testkit.iam_catalogue import as_list, catalogue
from tests.testkit.program_runs import all_runs
from tests.testkit.pulumi_mocks import ACCOUNT_ID, Run, run_program

ROLE = "aws:iam/role:Role"
PROVIDER = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com"
TAGGED = {
    "Sid": "TaggedAccountPrincipals",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
    "Action": "sts:AssumeRole",
    "Condition": {"StringEquals": {"aws:PrincipalTag/AgentCoreDeployer": "true"}},
}


def trust(run: Run) -> list[dict[str, Any]]:
    [role] = [r for r in run.of_type(ROLE) if r.name.endswith("deployer-role")]
    return json.loads(role.inputs["assumeRolePolicy"])["Statement"]


def account_wide(statement: dict[str, Any]) -> bool:
    return any(arn.endswith(":root") for arn in as_list(statement["Principal"].get("AWS", [])))


@pytest.mark.parametrize("variant", ["dev", "byo-private-image", "stack-key"])
def test_naming_nobody_trusts_only_tagged_identities_of_the_account(variant: str) -> None:
    assert trust(all_runs()[variant]) == [TAGGED]


def test_every_run_trusts_the_bare_account_nowhere() -> None:
    for name, run in all_runs().items():
        if not [r for r in run.of_type(ROLE) if r.name.endswith("deployer-role")]:
            continue  # no deployer
        for statement in trust(run):
            assert statement["Action"] in catalogue()
            if account_wide(statement):
                assert statement["Condition"] == TAGGED["Condition"], name


def test_the_prod_file_is_a_production_stack_trusting_the_role_it_names() -> None:
    [statement] = trust(all_runs()["prod"])
    assert statement == {
        "Sid": "TrustedPrincipals",
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:role/agentcore-prod-deployers"]},
        "Action": "sts:AssumeRole",
    }


def test_a_production_stack_trusts_exactly_the_principals_it_names() -> None:
    [statement] = trust(all_runs()["byo-key-production"])
    assert statement["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:role/platform/deployers"]}
    assert "Condition" not in statement


def test_role_names_join_principal_arns_in_the_stacks_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program(
        "dev",
        monkeypatch,
        partition="aws-us-gov",
        overrides={
            "aws:region": "us-gov-west-1",
            "aws-native:region": "us-gov-west-1",
            "agentcore:modelId": "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
            "agentcore:deployerTrustedRoleNames": ["ci/deployer", "ops"],
            "agentcore:deployerTrustedPrincipalArns": ["arn:aws-us-gov:iam::210987654321:role/ci/deployer"],
        },
    )
    [statement] = trust(run)
    assert statement["Principal"] == {
        "AWS": [
            "arn:aws-us-gov:iam::210987654321:role/ci/deployer",
            f"arn:aws-us-gov:iam::{ACCOUNT_ID}:role/ci/deployer",
            f"arn:aws-us-gov:iam::{ACCOUNT_ID}:role/ops",
        ]
    }


def test_github_trust_alone_replaces_the_tagged_default(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program(
        "dev",
        monkeypatch,
        overrides={"agentcore:production": True, "agentcore:githubRepository": "acme/agents", "agentcore:githubOidcProviderArn": PROVIDER},
    )
    [statement] = trust(run)
    assert statement["Sid"] == "GithubActionsOidc" and statement["Principal"] == {"Federated": PROVIDER}


@pytest.mark.parametrize("preview", [True, False])
def test_a_production_stack_naming_nobody_fails_at_preview_saying_how_to_fix_it(monkeypatch: pytest.MonkeyPatch, preview: bool) -> None:
    with pytest.raises(pulumi.RunError) as info:
        run_program("prod", monkeypatch, preview=preview, overrides={"agentcore:deployerTrustedRoleNames": []})
    text = str(info.value)
    assert text.startswith("agentcore:deployerTrustedPrincipalArns: a production stack (agentcore:production) must name")
    for key in ("agentcore:deployerTrustedRoleNames", "agentcore:githubRepository", "agentcore:deployerRole"):
        assert key in text


def test_a_production_stack_never_trusts_an_account_root(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(pulumi.RunError, match="trusts named roles or users, never a whole account"):
        run_program("prod", monkeypatch, overrides={"agentcore:deployerTrustedPrincipalArns": [f"arn:aws:iam::{ACCOUNT_ID}:root"]})


def test_a_production_stack_without_a_deployer_needs_no_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program("prod", monkeypatch, overrides={"agentcore:deployerTrustedRoleNames": [], "agentcore:deployerRole": False})
    assert [r for r in run.of_type(ROLE) if r.name.endswith("deployer-role")] == []
