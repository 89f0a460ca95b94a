"""The real program (`__main__.py`) for both stacks, with the real Pulumi.dev.yaml / Pulumi.prod.yaml,
under Pulumi's mock engine: every child, its name, wiring, pinning, scopes, tags and the outputs."""

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from components.context_hash import image_tag
from tests.pulumi_mocks import ACCOUNT_ID, ROOT, Registration, Run, load_yaml, run_program, unwrap_secret

STACKS = ("dev", "prod")
COMPONENT = "agentcore:index:AgentCoreRuntime"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "docker-build:index:Image"
RUNTIME = "aws-native:bedrockagentcore:Runtime"
ENDPOINT = "aws-native:bedrockagentcore:RuntimeEndpoint"
OUTPUT_NAMES = {
    "runtimeName", "runtimeArn", "runtimeId", "runtimeVersion", "endpointArn", "repositoryUrl",
    "imageUri", "executionRoleArn", "deployerRoleArn", "invokeCommand",
}


def stack_file(stack: str) -> dict[str, Any]:
    return load_yaml(ROOT / f"Pulumi.{stack}.yaml")["config"]


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    with pytest.MonkeyPatch.context() as mp:
        yield {stack: run_program(stack, mp) for stack in STACKS}


def named(run: Run, typ: str, suffix: str) -> Registration:
    [found] = [r for r in run.of_type(typ) if r.name.endswith(suffix)]
    return found


def policy(registration: Registration, key: str = "policy") -> dict[str, Any]:
    return json.loads(registration.inputs[key])


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    [found] = [s for s in document["Statement"] if s.get("Sid") == sid]
    return found


@pytest.mark.parametrize("stack", STACKS)
def test_children_and_parents(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    component = run.one(COMPONENT)
    children = [r for r in run.registrations if r.type not in ("pulumi:pulumi:Stack", COMPONENT)]
    assert sorted((r.type, r.name) for r in children) == sorted(
        [
            (ROLE, "agentcore-execution-role"),
            (ROLE_POLICY, "agentcore-execution-policy"),
            (ROLE, "agentcore-deployer-role"),
            (ROLE_POLICY, "agentcore-deployer-policy"),
            (REPOSITORY, "agentcore-repository"),
            (LIFECYCLE, "agentcore-repository-lifecycle"),
            (IMAGE, "agentcore-image"),
            (RUNTIME, "agentcore-runtime"),
            (ENDPOINT, "agentcore-endpoint"),
        ]
    )
    assert all(child.parent == component.urn for child in children)
    # Invokes are parented too, so a caller's explicit providers apply to them.
    tokens = {token for token, _ in run.mocks.calls}
    assert tokens == {
        "aws:index/getPartition:getPartition",
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getRegion:getRegion",
        "aws:ecr/getAuthorizationToken:getAuthorizationToken",
    }


@pytest.mark.parametrize("stack", STACKS)
def test_names(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    assert run.one(RUNTIME).inputs["agentRuntimeName"] == f"agentcore_{stack}"
    assert named(run, ROLE, "execution-role").inputs["name"] == f"agentcore-{stack}-execution"
    assert named(run, ROLE, "deployer-role").inputs["name"] == f"agentcore-{stack}-deployer"
    assert run.one(REPOSITORY).inputs["name"] == f"agentcore-{stack}"
    assert run.one(ENDPOINT).inputs["name"] == "live"


@pytest.mark.parametrize("stack", STACKS)
def test_image_is_arm64_tagged_by_content_and_pinned_by_digest(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    image = run.one(IMAGE).inputs
    repo_url = run.one(REPOSITORY).outputs["repositoryUrl"]
    assert image["platforms"] == ["linux/arm64"]
    assert image["push"] is True
    assert image["context"] == {"location": "agent_image"}
    assert image["dockerfile"] == {"location": "agent_image/Dockerfile"}
    assert image["tags"] == [f"{repo_url}:{image_tag(ROOT / 'agent_image', ROOT / 'agent_image' / 'Dockerfile')}"]
    assert image["buildOnPreview"] is stack_file(stack).get("agentcore:buildOnPreview", True)
    secret, registries = unwrap_secret(image["registries"])
    assert secret, "the registry password must reach the engine as a secret"
    [registry] = registries
    assert registry["address"] == repo_url.split("/")[0]
    assert registry["username"] == "AWS" and registry["password"] == "mock-ecr-password"
    digest = run.one(IMAGE).outputs["digest"]
    uri = run.one(RUNTIME).inputs["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"]
    assert uri == f"{repo_url}@{digest}"
    assert re.fullmatch(r".+@sha256:[0-9a-f]{64}", uri) and ":ctx-" not in uri
    assert run.outputs["imageUri"] == uri


@pytest.mark.parametrize("stack", STACKS)
def test_repository_is_hardened(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    repo = run.one(REPOSITORY)
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repo.inputs["forceDelete"] is config.get("agentcore:forceDeleteRepository", False)
    assert repo.protect is config.get("agentcore:protectRepository", False)
    rules = json.loads(run.one(LIFECYCLE).inputs["policy"])["rules"]
    assert {r["selection"]["tagStatus"] for r in rules} == {"untagged", "any"}
    [keep] = [r for r in rules if r["selection"]["tagStatus"] == "any"]
    assert keep["selection"]["countNumber"] == config["agentcore:keepImages"]


@pytest.mark.parametrize("stack", STACKS)
def test_runtime_settings_follow_the_stack(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    runtime = run.one(RUNTIME).inputs
    assert runtime["roleArn"] == named(run, ROLE, "execution-role").outputs["arn"]
    assert runtime["networkConfiguration"] == {"networkMode": "PUBLIC"}
    assert runtime["protocolConfiguration"] == "HTTP"
    assert runtime["description"] == config["agentcore:description"]
    assert runtime["lifecycleConfiguration"] == {
        "idleRuntimeSessionTimeout": config["agentcore:idleTimeoutSeconds"],
        "maxLifetime": config["agentcore:maxLifetimeSeconds"],
    }
    assert runtime["environmentVariables"] == {
        "AWS_REGION": config["aws:region"],
        "MODEL_ID": config["agentcore:modelId"],
        "LOG_LEVEL": config["agentcore:logLevel"],
        **config["agentcore:environmentVariables"],
    }
    assert "authorizerConfiguration" not in runtime and "requestHeaderConfiguration" not in runtime


@pytest.mark.parametrize("stack", STACKS)
def test_runtime_waits_for_the_role_policy_not_only_the_role(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    runtime = run.one(RUNTIME)
    execution_policy = named(run, ROLE_POLICY, "execution-policy")
    assert execution_policy.urn in runtime.dependencies
    # An explicit dependency: no input of the runtime comes from the policy.
    assert all(execution_policy.urn not in urns for urns in runtime.property_dependencies.values())


@pytest.mark.parametrize("stack", STACKS)
def test_tags_on_every_taggable_resource(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    expected = {
        **config["agentcore:tags"],
        "Environment": stack,
        "Stack": stack,
        "Project": "agentcore",
        "ManagedBy": "pulumi",
    }
    for typ in (ROLE, REPOSITORY, RUNTIME, ENDPOINT):
        for registration in run.of_type(typ):
            assert registration.inputs["tags"] == expected, registration.name


@pytest.mark.parametrize("stack", STACKS)
def test_execution_role_trust_is_scoped_to_this_runtime(runs: dict[str, Run], stack: str) -> None:
    run, region = runs[stack], stack_file(stack)["aws:region"]
    trust = policy(named(run, ROLE, "execution-role"), "assumeRolePolicy")
    [only] = trust["Statement"]
    assert only["Principal"] == {"Service": "bedrock-agentcore.amazonaws.com"}
    assert only["Action"] == "sts:AssumeRole"
    assert only["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
        "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:runtime/agentcore_{stack}-*"},
    }
    # And the runtime the mocks created matches that pattern.
    runtime_arn = run.outputs["runtimeArn"]
    assert re.fullmatch(only["Condition"]["ArnLike"]["aws:SourceArn"].replace("*", ".*"), runtime_arn)


@pytest.mark.parametrize("stack", STACKS)
def test_execution_policy_scopes(runs: dict[str, Run], stack: str) -> None:
    run, config = runs[stack], stack_file(stack)
    region = config["aws:region"]
    doc = policy(named(run, ROLE_POLICY, "execution-policy"))
    assert statement(doc, "EcrImagePull")["Resource"] == [run.one(REPOSITORY).outputs["arn"]]
    identity = statement(doc, "WorkloadAccessToken")
    assert identity["Resource"] == [
        f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:workload-identity-directory/default",
        f"arn:aws:bedrock-agentcore:{region}:{ACCOUNT_ID}:workload-identity-directory/default/workload-identity/agentcore_{stack}-*",
    ]
    logs = statement(doc, "RuntimeLogEvents")
    assert logs["Resource"] == [
        f"arn:aws:logs:{region}:{ACCOUNT_ID}:log-group:/aws/bedrock-agentcore/runtimes/agentcore_{stack}-*:log-stream:*"
    ]
    model_id = config["agentcore:modelId"]
    invoke = [s for s in doc["Statement"] if s["Sid"].startswith("InvokeModel")]
    profile = f"arn:aws:bedrock:{region}:{ACCOUNT_ID}:inference-profile/{model_id}"
    assert invoke[0]["Resource"] == [profile]
    foundation = model_id.split(".", 1)[1]
    model_arns = {arn for s in invoke[1:] for arn in s["Resource"]}
    assert all(s["Condition"]["StringEquals"]["bedrock:InferenceProfileArn"] == profile for s in invoke[1:])
    if model_id.startswith("global."):
        assert model_arns == {
            f"arn:aws:bedrock:{region}::foundation-model/{foundation}",
            f"arn:aws:bedrock:::foundation-model/{foundation}",
        }
    else:
        assert f"arn:aws:bedrock:{region}::foundation-model/{foundation}" in model_arns
        assert all(arn.startswith("arn:aws:bedrock:us-") for arn in model_arns)


@pytest.mark.parametrize("stack", STACKS)
def test_deployer_role_is_bootstrapped_with_account_trust_and_stack_scope(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    deployer = named(run, ROLE, "deployer-role")
    [trust] = policy(deployer, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"AWS": [f"arn:aws:iam::{ACCOUNT_ID}:root"]}
    doc = policy(named(run, ROLE_POLICY, "deployer-policy"))
    execution_arn = named(run, ROLE, "execution-role").outputs["arn"]
    pass_role = statement(doc, "PassExecutionRole")
    assert pass_role["Resource"] == [execution_arn]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "bedrock-agentcore.amazonaws.com"}}
    # The deployer may write the execution role, never itself.
    assert statement(doc, "ExecutionRoleWrite")["Resource"] == [execution_arn]
    assert statement(doc, "StackRolesRead")["Resource"] == [execution_arn, deployer.outputs["arn"]]
    assert statement(doc, "EcrRepository")["Resource"] == [run.one(REPOSITORY).outputs["arn"]]
    assert not any(s["Sid"].startswith(("State", "Vpc", "GithubOidc")) for s in doc["Statement"])


@pytest.mark.parametrize("stack", STACKS)
def test_outputs(runs: dict[str, Run], stack: str) -> None:
    run = runs[stack]
    out = run.outputs
    assert set(out) == OUTPUT_NAMES
    runtime, endpoint = run.one(RUNTIME).outputs, run.one(ENDPOINT).outputs
    assert out["runtimeArn"] == runtime["agentRuntimeArn"]
    assert out["runtimeId"] == runtime["agentRuntimeId"]
    assert out["runtimeVersion"] == runtime["agentRuntimeVersion"]
    assert out["runtimeName"] == f"agentcore_{stack}"
    assert out["endpointArn"] == endpoint["agentRuntimeEndpointArn"]
    assert out["repositoryUrl"] == run.one(REPOSITORY).outputs["repositoryUrl"]
    assert out["executionRoleArn"] == named(run, ROLE, "execution-role").outputs["arn"]
    assert out["deployerRoleArn"] == named(run, ROLE, "deployer-role").outputs["arn"]
    command = out["invokeCommand"]
    assert command.startswith("aws bedrock-agentcore invoke-agent-runtime --agent-runtime-arn ")
    assert f"--agent-runtime-arn {runtime['agentRuntimeArn']} --qualifier live " in command
    assert f"--region {stack_file(stack)['aws:region']} " in command
    assert command.endswith(" out.json")


def test_dev_endpoint_follows_the_runtime_version(runs: dict[str, Run]) -> None:
    run = runs["dev"]
    endpoint, runtime = run.one(ENDPOINT), run.one(RUNTIME)
    assert endpoint.inputs["agentRuntimeVersion"] == runtime.outputs["agentRuntimeVersion"]
    assert runtime.urn in endpoint.property_dependencies["agentRuntimeVersion"]


def test_prod_endpoint_is_pinned(runs: dict[str, Run]) -> None:
    run = runs["prod"]
    endpoint, runtime = run.one(ENDPOINT), run.one(RUNTIME)
    assert endpoint.inputs["agentRuntimeVersion"] == stack_file("prod")["agentcore:endpointVersion"] == "1"
    assert runtime.urn not in endpoint.property_dependencies.get("agentRuntimeVersion", [])
    assert endpoint.inputs["description"] == stack_file("prod")["agentcore:endpointDescription"]


def test_dev_and_prod_differ_where_environments_should(runs: dict[str, Run]) -> None:
    dev, prod = runs["dev"], runs["prod"]
    assert dev.one(REPOSITORY).inputs["forceDelete"] is True and prod.one(REPOSITORY).inputs["forceDelete"] is False
    assert dev.one(REPOSITORY).protect is False and prod.one(REPOSITORY).protect is True
    life = {s: json.loads(r.one(LIFECYCLE).inputs["policy"])["rules"][1]["selection"]["countNumber"] for s, r in runs.items()}
    assert life["dev"] < life["prod"]
    lc = {s: r.one(RUNTIME).inputs["lifecycleConfiguration"] for s, r in runs.items()}
    assert lc["dev"]["maxLifetime"] < lc["prod"]["maxLifetime"]
    env = {s: r.one(RUNTIME).inputs["environmentVariables"] for s, r in runs.items()}
    assert (env["dev"]["LOG_LEVEL"], env["prod"]["LOG_LEVEL"]) == ("DEBUG", "INFO")
    assert env["dev"]["AWS_REGION"] != env["prod"]["AWS_REGION"]
    assert dev.one(ENDPOINT).property_dependencies.get("agentRuntimeVersion") and not prod.one(ENDPOINT).property_dependencies.get("agentRuntimeVersion")
    assert dev.outputs["runtimeArn"] != prod.outputs["runtimeArn"]


def test_bad_stack_config_stops_the_program_naming_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    with pytest.raises(pulumi.RunError) as info:
        run_program("dev", monkeypatch, overrides={"agentcore:idleTimeoutSeconds": 4000, "aws-native:region": "eu-west-1"})
    text = str(info.value)
    assert "agentcore:idleTimeoutSeconds: must not exceed agentcore:maxLifetimeSeconds (3600 s), got 4000" in text
    assert "aws-native:region: must equal aws:region ('us-west-2')" in text


def test_misspelt_key_in_a_stack_file_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulumi

    with pytest.raises(pulumi.RunError, match="agentcore:keepImage: is not a known config key; did you mean agentcore:keepImages"):
        run_program("dev", monkeypatch, overrides={"agentcore:keepImage": 3})


def test_stack_files_set_both_provider_regions() -> None:
    for stack in STACKS:
        config = stack_file(stack)
        assert config["aws:region"] == config["aws-native:region"]


def _copy_project(tmp_path: Path) -> Path:
    import shutil

    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(
        ROOT / "agent_image", tmp_path / "agent_image", ignore=shutil.ignore_patterns(".venv", "__pycache__")
    )
    return tmp_path


def test_unchanged_agent_is_a_no_op_and_a_change_is_a_new_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_project(tmp_path)
    first = run_program("dev", monkeypatch, root=root)
    again = run_program("dev", monkeypatch, root=root)
    for typ in (IMAGE, RUNTIME, ENDPOINT):
        assert again.one(typ).inputs == first.one(typ).inputs, typ
    assert again.outputs["runtimeVersion"] == first.outputs["runtimeVersion"]

    (root / "agent_image" / "agent.py").write_text((root / "agent_image" / "agent.py").read_text() + "\n# changed\n")
    changed = run_program("dev", monkeypatch, root=root)
    assert changed.one(IMAGE).inputs["tags"] != first.one(IMAGE).inputs["tags"]
    assert changed.outputs["imageUri"] != first.outputs["imageUri"]
    assert changed.outputs["runtimeVersion"] != first.outputs["runtimeVersion"]
    # The dev endpoint moves with it.
    assert changed.one(ENDPOINT).inputs["agentRuntimeVersion"] == changed.outputs["runtimeVersion"]


def test_artefacts_docker_would_send_are_warned_about(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _copy_project(tmp_path)
    (root / "agent_image" / ".dockerignore").write_text("tests\n")
    (root / "agent_image" / ".venv").mkdir()
    run = run_program("dev", monkeypatch, root=root)
    assert any("agent_image/.venv is sent to Docker but left out of the image tag" in w for w in run.warnings)
