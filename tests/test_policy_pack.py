"""The policy pack (policy/), run through pulumi_policy's own analyzer service as the engine would
call it: our own stacks pass every mandatory rule; weakened resources, in aws-native and classic
provider shapes, fail with a message naming the resource and the property; config exempts a
resource and overrides an enforcement level."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agentcore_policies import RULES
from tests.testkit.policy_pack import Violation, analyze, analyze_run, analyzer
from tests.testkit.program_runs import ALL_RUNS, all_runs
from tests.testkit.pulumi_mocks import Run

NATIVE_RUNTIME = "aws-native:bedrockagentcore:Runtime"
CLASSIC_RUNTIME = "aws:bedrock/agentcoreAgentRuntime:AgentcoreAgentRuntime"
DIGEST_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/agent@sha256:" + "ab" * 32
TAG_URI = "123456789012.dkr.ecr.us-west-2.amazonaws.com/agent:latest"


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


def one(run: Run, typ: str, suffix: str) -> Any:
    [registration] = [r for r in run.of_type(typ) if r.name.endswith(suffix)]
    return registration


def policies(violations: list[Violation]) -> set[tuple[str, str]]:
    return {(v.policy, v.level) for v in violations}


@pytest.mark.parametrize("variant", ALL_RUNS)
def test_our_stacks_pass_every_mandatory_rule(runs: dict[str, Run], variant: str) -> None:
    violations = analyze_run(runs[variant])
    assert [v.message for v in violations if v.level == "mandatory"] == []


def test_prod_passes_every_rule_and_dev_is_told_about_aws_owned_keys(runs: dict[str, Run]) -> None:
    assert analyze_run(runs["prod"]) == []
    dev = analyze_run(runs["dev"])
    assert policies(dev) == {("agentcore-customer-managed-keys", "advisory")}
    assert sorted(v.message.splitlines()[-1].split(" (")[0] for v in dev) == ["agentcore-memory", "agentcore-repository"]


def test_a_tagged_image_is_refused_in_either_provider(runs: dict[str, Run]) -> None:
    runtime = dict(runs["dev"].one(NATIVE_RUNTIME).inputs)
    tagged = {**runtime, "agentRuntimeArtifact": {"containerConfiguration": {"containerUri": TAG_URI}}}
    [violation] = analyze(analyzer(), NATIVE_RUNTIME, "agent", tagged)
    assert violation.policy == "agentcore-runtime-image-pinned-by-digest" and violation.level == "mandatory"
    assert "agent (aws-native:bedrockagentcore:Runtime): agentRuntimeArtifact.containerConfiguration.containerUri" in violation.message
    assert TAG_URI in violation.message and "@sha256:" in violation.message
    # The classic provider nests the artifact as one-element lists.
    classic = {"agentRuntimeName": "agent", "agentRuntimeArtifact": [{"containerConfiguration": [{"containerUri": TAG_URI}]}]}
    assert policies(analyze(analyzer(), CLASSIC_RUNTIME, "agent", classic)) == {("agentcore-runtime-image-pinned-by-digest", "mandatory")}
    pinned = {**classic, "agentRuntimeArtifact": [{"containerConfiguration": [{"containerUri": DIGEST_URI}]}]}
    assert analyze(analyzer(), CLASSIC_RUNTIME, "agent", pinned) == []


def test_a_mutable_unscanned_repository_is_refused(runs: dict[str, Run]) -> None:
    repository = one(runs["prod"], "aws:ecr/repository:Repository", "repository")
    weakened = {**repository.inputs, "imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": False}}
    violations = analyze(analyzer(), repository.type, repository.name, weakened)
    assert policies(violations) == {("agentcore-ecr-immutable-and-scanned", "mandatory")}
    last_lines = sorted(v.message.splitlines()[-1] for v in violations)
    assert last_lines == [
        "agentcore-repository (aws:ecr/repository:Repository): imageScanningConfiguration.scanOnPush must be true: every pushed image is scanned",
        "agentcore-repository (aws:ecr/repository:Repository): imageTagMutability must be IMMUTABLE: a mutable tag lets a push change a deployed image",
    ]


def test_an_agentcore_trust_without_confused_deputy_conditions_is_refused(runs: dict[str, Run]) -> None:
    role = one(runs["dev"], "aws:iam/role:Role", "execution-role")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    for statement in trust["Statement"]:
        statement["Condition"] = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    [violation] = analyze(analyzer(), role.type, role.name, {**role.inputs, "assumeRolePolicy": json.dumps(trust)})
    assert violation.policy == "agentcore-trust-scoped"
    detail = violation.message.splitlines()[-1]
    assert "without aws:SourceArn:" in detail and "aws:SourceAccount" not in detail
    # A role some other service assumes is not this rule's business.
    other = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    assert analyze(analyzer(), role.type, role.name, {"assumeRolePolicy": json.dumps(other)}) == []


@pytest.mark.parametrize(
    "resource",
    ["*", "arn:aws:bedrock:us-west-2::foundation-model/*", "arn:aws:bedrock:us-west-2:123456789012:inference-profile/*"],
)
def test_model_invocation_on_every_model_is_refused(runs: dict[str, Run], resource: str) -> None:
    policy = one(runs["dev"], "aws:iam/rolePolicy:RolePolicy", "execution-policy")
    document = json.loads(policy.inputs["policy"])
    document["Statement"].append({"Sid": "AnyModel", "Effect": "Allow", "Action": ["bedrock:InvokeModel"], "Resource": resource})
    [violation] = analyze(analyzer(), policy.type, policy.name, {**policy.inputs, "policy": json.dumps(document)})
    assert violation.policy == "agentcore-no-wildcard-model-invoke"
    assert f"AnyModel allows bedrock:InvokeModel on {resource}" in violation.message
    # aws-native takes the document as an object.
    native = analyze(analyzer(), "aws-native:iam:RolePolicy", "p", {"policyDocument": document})
    assert policies(native) == {("agentcore-no-wildcard-model-invoke", "mandatory")}


def test_a_memory_namespace_without_the_actor_is_refused(runs: dict[str, Run]) -> None:
    memory = runs["prod"].one("aws-native:bedrockagentcore:Memory")
    shared = {"semanticMemoryStrategy": {"name": "semantic", "namespaceTemplates": ["/facts"]}}
    weakened = {**memory.inputs, "memoryStrategies": [*memory.inputs["memoryStrategies"], shared]}
    [violation] = analyze(analyzer(), memory.type, memory.name, weakened)
    assert violation.policy == "agentcore-memory-namespaces-per-actor" and "'/facts' has no {actorId}" in violation.message
    classic = {"memoryId": "m-0123456789", "name": "s", "type": "SEMANTIC", "namespaces": ["/users/all"]}
    assert policies(analyze(analyzer(), "aws:bedrock/agentcoreMemoryStrategy:AgentcoreMemoryStrategy", "s", classic)) == {
        ("agentcore-memory-namespaces-per-actor", "mandatory")
    }


def test_an_agentcore_log_group_without_retention_is_reported(runs: dict[str, Run]) -> None:
    [group] = [r for r in runs["prod"].of_type("aws:cloudwatch/logGroup:LogGroup") if r.inputs["name"].startswith("/aws/vendedlogs/bedrock-agentcore/")][:1]
    weakened = {k: v for k, v in group.inputs.items() if k != "retentionInDays"}
    [violation] = analyze(analyzer(), group.type, group.name, weakened)
    assert (violation.policy, violation.level) == ("agentcore-log-retention", "advisory")
    # Other log groups are not AgentCore's.
    assert analyze(analyzer(), group.type, "app", {"name": "/app/web"}) == []


def test_config_exempts_a_resource_and_raises_a_level(runs: dict[str, Run]) -> None:
    run = runs["dev"]
    exempt = analyzer({"agentcore-customer-managed-keys": {"exemptResources": ["agentcore-repository"]}})
    assert [v.message.splitlines()[-1].split(" (")[0] for v in analyze_run(run, exempt)] == ["agentcore-memory"]
    strict = analyzer({"agentcore-customer-managed-keys": {"enforcementLevel": "mandatory"}})
    assert policies(analyze_run(run, strict)) == {("agentcore-customer-managed-keys", "mandatory")}


def test_every_rule_has_a_unique_name_and_a_description() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names) == 7
    assert all(rule.name.startswith("agentcore-") and rule.description.endswith(".") for rule in RULES)
