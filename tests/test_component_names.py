"""Names: derived runtime names are always valid, slugs fit ECR and IAM, invalid names are refused."""

import re

import pytest

from components.names import (
    AGENTCORE_NAME_MAX,
    agentcore_name_problem,
    deployer_role_name,
    derive_runtime_name,
    ecr_repository_name_problem,
    execution_role_name,
    resource_slug,
    runtime_log_group_pattern,
)

CFN_NAME = re.compile(r"^[a-zA-Z][a-zA-Z0-9_]{0,47}$")


@pytest.mark.parametrize(
    ("project", "stack", "expected"),
    [
        ("agentcore", "dev", "agentcore_dev"),
        ("my-project", "prod", "my_project_prod"),
        ("my.project", "feature/x-1", "my_project_feature_x_1"),
        ("1st", "dev", "a_1st_dev"),
        ("--", "--", "agent"),
    ],
)
def test_derived_names(project: str, stack: str, expected: str) -> None:
    assert derive_runtime_name(project, stack) == expected


def test_long_names_are_cut_and_stay_distinct() -> None:
    a = derive_runtime_name("p" * 40, "stack-with-a-long-name-one")
    b = derive_runtime_name("p" * 40, "stack-with-a-long-name-two")
    assert a != b
    for name in (a, b):
        assert len(name) <= AGENTCORE_NAME_MAX
        assert CFN_NAME.match(name)
        assert agentcore_name_problem(name) is None


@pytest.mark.parametrize("bad", ["my-agent", "1agent", "", "a" * 49, "agent name", "_agent"])
def test_invalid_agentcore_names_are_explained(bad: str) -> None:
    problem = agentcore_name_problem(bad)
    assert problem is not None
    assert "[a-zA-Z][a-zA-Z0-9_]{0,47}" in problem or "non-empty" in problem


def test_valid_agentcore_name() -> None:
    assert agentcore_name_problem("Agent_01") is None
    assert agentcore_name_problem("a" * 48) is None


def test_slug_and_role_names() -> None:
    assert resource_slug("My__Agent_Dev_") == "my-agent-dev"
    assert ecr_repository_name_problem(resource_slug("My__Agent_Dev_")) is None
    long = "a" * 48
    assert len(execution_role_name(long)) <= 64
    assert len(deployer_role_name(long)) <= 64
    assert execution_role_name("agentcore_dev") == "agentcore-dev-execution"
    assert deployer_role_name("agentcore_dev") == "agentcore-dev-deployer"


@pytest.mark.parametrize("bad", ["A", "Upper", "a--b", "-a", "a_", "x" * 257])
def test_bad_repository_names(bad: str) -> None:
    assert ecr_repository_name_problem(bad) is not None


def test_log_group_pattern_cannot_reach_other_runtimes() -> None:
    pattern = runtime_log_group_pattern("agent")
    regex = re.compile("^" + re.escape(pattern).replace(r"\*", ".*") + "$")
    assert regex.match("/aws/bedrock-agentcore/runtimes/agent-AbCdEf1234-DEFAULT")
    # `agent_two` shares the prefix `agent` but its ids start with `agent_two-`.
    assert not regex.match("/aws/bedrock-agentcore/runtimes/agent_two-AbCdEf1234-DEFAULT")
