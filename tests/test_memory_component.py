"""AgentCore Memory in the component, under Pulumi's mocks: the memory dev and prod create, a brought
memory, memory off; the variables the agent reads (the contract with agent_image/, docs/memory.md);
the execution role's and the deployer's grants, on that memory only. The inputs are checked against
CloudFormation's schema in test_cfn_schema.py and every statement against the IAM catalogue in
test_iam_policies.py, for every run."""

import fnmatch
import json
from collections.abc import Iterator
from typing import Any

import pytest

from components.memory import MEMORY_NAME, memory_name
from tests.testkit.iam_catalogue import as_list
from tests.testkit.program_runs import BYO_MEMORY_ARN, all_runs
from tests.testkit.pulumi_mocks import ACCOUNT_ID, Run, run_program

MEMORY = "aws-native:bedrockagentcore:Memory"
RUNTIME = "aws-native:bedrockagentcore:Runtime"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
KEY = "aws:kms/key:Key"
# The contract with the agent (docs/memory.md): written out, not imported from the code under test.
MEMORY_ID_VAR = "BEDROCK_AGENTCORE_MEMORY_ID"
NAMESPACES_VAR = "MEMORY_LONG_TERM_NAMESPACES"
EVENTS = ["bedrock-agentcore:CreateEvent", "bedrock-agentcore:ListEvents"]
RECORDS = "bedrock-agentcore:RetrieveMemoryRecords"


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


def policy(run: Run, suffix: str) -> dict[str, dict[str, Any]]:
    [registration] = [r for r in run.of_type(ROLE_POLICY) if r.name.endswith(suffix)]
    return {s["Sid"]: s for s in json.loads(registration.inputs["policy"])["Statement"]}


def environment(run: Run) -> dict[str, str]:
    return run.one(RUNTIME).inputs["environmentVariables"]


def memory_statements(statements: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {sid: s for sid, s in statements.items() if sid.startswith("Memory")}


def test_dev_creates_a_short_term_memory_the_agent_is_told_about(runs: dict[str, Run]) -> None:
    run = runs["dev"]
    memory = run.one(MEMORY)
    assert memory.inputs["name"] == "agentcore_dev_memory"
    assert memory.inputs["eventExpiryDuration"] == 7
    assert memory.inputs["description"] == "Conversations of the agentcore_dev runtime's agent"
    assert "memoryStrategies" not in memory.inputs and "encryptionKeyArn" not in memory.inputs
    assert memory.inputs["tags"]["CostCenter"] == "agents-dev"
    env = environment(run)
    assert env[MEMORY_ID_VAR] == memory.outputs["memoryId"] and env[NAMESPACES_VAR] == "[]"
    # The runtime is created after its memory: the id is one of its inputs.
    assert memory.urn in run.one(RUNTIME).property_dependencies["environmentVariables"]


def test_dev_execution_role_stores_and_restores_events_of_that_memory_only(runs: dict[str, Run]) -> None:
    run = runs["dev"]
    granted = memory_statements(policy(run, "execution-policy"))
    assert set(granted) == {"MemoryData"}
    assert sorted(as_list(granted["MemoryData"]["Action"])) == EVENTS
    assert granted["MemoryData"]["Resource"] == [run.one(MEMORY).outputs["memoryArn"]]


def test_the_deployer_manages_this_stacks_memory_and_no_other(runs: dict[str, Run]) -> None:
    run = runs["dev"]
    granted = memory_statements(policy(run, "deployer-policy"))
    assert set(granted) == {"MemoryCreate", "MemoryManage"}
    # CreateMemory has no resource type in IAM: it cannot be scoped to an ARN.
    assert as_list(granted["MemoryCreate"]["Action"]) == ["bedrock-agentcore:CreateMemory"]
    [pattern] = granted["MemoryManage"]["Resource"]
    assert pattern == f"arn:aws:bedrock-agentcore:us-west-2:{ACCOUNT_ID}:memory/agentcore_dev_memory-*"
    assert fnmatch.fnmatchcase(run.one(MEMORY).outputs["memoryArn"], pattern)
    arn = f"arn:aws:bedrock-agentcore:us-west-2:{ACCOUNT_ID}:memory/"
    for other in ("agentcore_prod_memory-a1B2c3D4e5", "agentcore_dev_memory_x-a1B2c3D4e5", "other-a1B2c3D4e5"):
        assert not fnmatch.fnmatchcase(arn + other, pattern), other
    actions = set(as_list(granted["MemoryManage"]["Action"]))
    assert {"bedrock-agentcore:GetMemory", "bedrock-agentcore:UpdateMemory", "bedrock-agentcore:DeleteMemory"} <= actions
    # Data-plane reads and writes are the agent's, not the deployer's.
    assert not actions & {*EVENTS, RECORDS}


def test_prod_has_long_term_strategies_encrypted_with_the_stack_key(runs: dict[str, Run]) -> None:
    run = runs["prod"]
    memory = run.one(MEMORY)
    key_arn = run.one(KEY).outputs["arn"]
    assert memory.inputs["name"] == "agentcore_prod_memory" and memory.inputs["eventExpiryDuration"] == 90
    assert memory.inputs["encryptionKeyArn"] == key_arn
    assert memory.inputs["memoryStrategies"] == [
        {"semanticMemoryStrategy": {"name": "semantic", "namespaceTemplates": ["/users/{actorId}/facts"]}},
        {"userPreferenceMemoryStrategy": {"name": "user_preference", "namespaceTemplates": ["/users/{actorId}/preferences"]}},
    ]
    # Built-in strategies run on models AWS manages: no memory execution role to pass.
    assert "memoryExecutionRoleArn" not in memory.inputs
    assert json.loads(environment(run)[NAMESPACES_VAR]) == ["/users/{actorId}/facts", "/users/{actorId}/preferences"]
    execution = memory_statements(policy(run, "execution-policy"))
    assert sorted(as_list(execution["MemoryData"]["Action"])) == sorted([*EVENTS, RECORDS])
    assert execution["MemoryKey"]["Resource"] == [key_arn]
    deployer = memory_statements(policy(run, "deployer-policy"))
    assert deployer["MemoryKeyViaAgentCore"]["Resource"] == [key_arn]
    via = deployer["MemoryKeyViaAgentCore"]["Condition"]["StringEquals"]
    assert via == {"kms:ViaService": "bedrock-agentcore.us-east-1.amazonaws.com", "kms:CallerAccount": ACCOUNT_ID}


def test_a_brought_memory_is_used_not_managed(runs: dict[str, Run]) -> None:
    run = runs["byo-memory"]
    assert run.of_type(MEMORY) == []
    env = environment(run)
    assert env[MEMORY_ID_VAR] == "shared_memory-a1B2c3D4e5"
    assert env[NAMESPACES_VAR] == '["/tenants/{actorId}/facts"]'
    execution = memory_statements(policy(run, "execution-policy"))
    assert set(execution) == {"MemoryData"}  # its key, if any, is not the stack's to grant
    assert execution["MemoryData"]["Resource"] == [BYO_MEMORY_ARN]
    assert sorted(as_list(execution["MemoryData"]["Action"])) == sorted([*EVENTS, RECORDS])
    assert memory_statements(policy(run, "deployer-policy")) == {}
    assert (run.outputs["memoryId"], run.outputs["memoryArn"]) == ("shared_memory-a1B2c3D4e5", BYO_MEMORY_ARN)


def test_a_brought_memory_id_gets_the_stacks_arn(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program("dev", monkeypatch, overrides={"agentcore:existingMemory": "team_memory-Z9y8X7w6V5", "agentcore:memoryEventExpiryDays": None})
    assert run.outputs["memoryArn"] == f"arn:aws:bedrock-agentcore:us-west-2:{ACCOUNT_ID}:memory/team_memory-Z9y8X7w6V5"
    assert memory_statements(policy(run, "execution-policy"))["MemoryData"]["Resource"] == [run.outputs["memoryArn"]]


def test_a_brought_memory_in_another_region_is_refused_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = BYO_MEMORY_ARN.replace("us-west-2", "eu-west-1")
    with pytest.raises(Exception, match=r"agentcore:existingMemory.*stack's partition, region and account"):
        run_program("dev", monkeypatch, overrides={"agentcore:existingMemory": elsewhere, "agentcore:memoryEventExpiryDays": None})


def test_memory_off_creates_grants_and_sets_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    run = run_program("dev", monkeypatch, overrides={"agentcore:memory": False, "agentcore:memoryEventExpiryDays": None})
    assert run.of_type(MEMORY) == []
    assert not {MEMORY_ID_VAR, NAMESPACES_VAR} & set(environment(run))
    assert memory_statements(policy(run, "execution-policy")) == {}
    assert memory_statements(policy(run, "deployer-policy")) == {}
    assert "memoryId" not in run.outputs and "memoryArn" not in run.outputs


@pytest.mark.parametrize(
    ("runtime_name", "expected"),
    [("agentcore_dev", "agentcore_dev_memory"), ("a" * 41, "a" * 41 + "_memory")],
)
def test_memory_names_follow_the_runtime(runtime_name: str, expected: str) -> None:
    assert memory_name(runtime_name) == expected


def test_long_runtime_names_give_distinct_valid_memory_names() -> None:
    first, second = memory_name("support_agent_" + "x" * 34), memory_name("support_agent_" + "x" * 33 + "y")
    assert first != second
    for name in (first, second):
        assert len(name) <= 48 and MEMORY_NAME.fullmatch(name) and name.endswith("_memory"), name
