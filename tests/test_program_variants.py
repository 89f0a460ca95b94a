"""The program with every optional path switched on: what each setting changes in the resources."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.testkit.program_runs import BOUNDARY, DIGEST, VARIANTS, all_runs
from tests.testkit.pulumi_mocks import ACCOUNT_ID, Registration, Run

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
RUNTIME = "aws-native:bedrockagentcore:Runtime"


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    yield all_runs()


def named(run: Run, typ: str, suffix: str) -> Registration:
    [found] = [r for r in run.of_type(typ) if r.name.endswith(suffix)]
    return found


def doc(registration: Registration, key: str = "policy") -> dict[str, Any]:
    return json.loads(registration.inputs[key])


def sids(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in document["Statement"]}


def test_github_oidc_trust_boundary_state_and_keys(runs: dict[str, Run]) -> None:
    run = runs["github-oidc"]
    provider = run.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    assert provider.inputs["url"] == "https://token.actions.githubusercontent.com"
    assert provider.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    deployer = named(run, ROLE, "deployer-role")
    trust = sids(doc(deployer, "assumeRolePolicy"))
    assert trust["TrustedPrincipals"]["Principal"] == {"AWS": ["arn:aws:iam::123456789012:role/platform-admins"]}
    oidc = trust["GithubActionsOidc"]
    assert oidc["Principal"] == {"Federated": provider.outputs["arn"]}
    assert oidc["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert oidc["Condition"] == {
        "StringEquals": {
            "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
            "token.actions.githubusercontent.com:sub": [
                "repo:acme/agents:ref:refs/heads/main",
                "repo:acme/agents:environment:production",
                "repo:acme/agents:pull_request",
            ],
        }
    }
    for role in run.of_type(ROLE):
        assert role.inputs["permissionsBoundary"] == BOUNDARY, role.name
    policy = sids(doc(named(run, ROLE_POLICY, "deployer-policy")))
    write = policy["ExecutionRoleWrite"]
    assert write["Condition"] == {"StringEquals": {"iam:PermissionsBoundary": BOUNDARY}}
    assert "iam:PutRolePermissionsBoundary" in write["Action"]
    assert all("iam:DeleteRolePermissionsBoundary" not in s["Action"] for s in policy.values())
    assert policy["StateBucketList"]["Resource"] == ["arn:aws:s3:::acme-pulumi-state"]
    assert policy["StateBucketList"]["Condition"] == {"StringLike": {"s3:prefix": ["agentcore", "agentcore/*"]}}
    assert policy["StateObjects"]["Resource"] == ["arn:aws:s3:::acme-pulumi-state/agentcore/*"]
    assert policy["StateSecretsKey"]["Resource"] == [VARIANTS["github-oidc"]["agentcore:secretsKmsKeyArn"]]
    assert policy["StateSecretsKey"]["Action"] == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    assert policy["GithubOidcProviderRead"]["Resource"] == [provider.outputs["arn"]]
    ecr_key = VARIANTS["github-oidc"]["agentcore:ecrKmsKeyArn"]
    assert policy["EcrKmsKeyGrant"]["Resource"] == [ecr_key]
    repo = run.one("aws:ecr/repository:Repository")
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": ecr_key}]
    image = run.one("docker-build:index:Image").inputs
    assert image["cacheFrom"] == [{"gha": {"scope": "agentcore_dev"}}]
    [cache_to] = image["cacheTo"]
    assert (cache_to["gha"]["scope"], cache_to["gha"]["mode"]) == ("agentcore_dev", "max")


def test_existing_oidc_provider_is_referenced_not_created(runs: dict[str, Run]) -> None:
    run = runs["existing-oidc-provider"]
    assert run.of_type("aws:iam/openIdConnectProvider:OpenIdConnectProvider") == []
    trust = sids(doc(named(run, ROLE, "deployer-role"), "assumeRolePolicy"))
    assert set(trust) == {"GithubActionsOidc"}  # GitHub alone: no account-root fallback
    assert trust["GithubActionsOidc"]["Principal"]["Federated"] == VARIANTS["existing-oidc-provider"]["agentcore:githubOidcProviderArn"]
    assert trust["GithubActionsOidc"]["Condition"]["StringEquals"]["token.actions.githubusercontent.com:sub"] == [
        "repo:acme/agents:ref:refs/heads/main",
        "repo:acme/agents:ref:refs/heads/release/v1",
    ]
    assert "GithubOidcProviderRead" not in sids(doc(named(run, ROLE_POLICY, "deployer-policy")))


def test_private_bring_your_own_image_builds_nothing_and_pulls_from_its_repository(runs: dict[str, Run]) -> None:
    run = runs["byo-private-image"]
    uri = VARIANTS["byo-private-image"]["agentcore:imageUri"]
    for typ in ("aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy", "docker-build:index:Image"):
        assert run.of_type(typ) == []
    assert not any(token.startswith("aws:ecr/") for token, _ in run.mocks.calls)
    assert run.one(RUNTIME).inputs["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"] == uri
    assert run.outputs["imageUri"] == uri and run.outputs.get("repositoryUrl") is None
    execution = sids(doc(named(run, ROLE_POLICY, "execution-policy")))
    assert execution["EcrImagePull"]["Resource"] == ["arn:aws:ecr:eu-central-1:210987654321:repository/shared/agent"]
    deployer = sids(doc(named(run, ROLE_POLICY, "deployer-policy")))
    assert not any(sid.startswith("Ecr") for sid in deployer)


def test_public_image_needs_no_ecr_permissions(runs: dict[str, Run]) -> None:
    run = runs["byo-public-image"]
    execution = sids(doc(named(run, ROLE_POLICY, "execution-policy")))
    assert not any(sid.startswith("Ecr") for sid in execution)
    assert run.outputs["imageUri"] == f"public.ecr.aws/acme/agent@{DIGEST}"


def test_vpc_and_jwt(runs: dict[str, Run]) -> None:
    run = runs["vpc-jwt"]
    config = VARIANTS["vpc-jwt"]
    runtime = run.one(RUNTIME).inputs
    assert runtime["networkConfiguration"] == {
        "networkMode": "VPC",
        "networkModeConfig": {"subnets": config["agentcore:subnetIds"], "securityGroups": config["agentcore:securityGroupIds"]},
    }
    assert runtime["authorizerConfiguration"] == {
        "customJwtAuthorizer": {
            "discoveryUrl": config["agentcore:jwtDiscoveryUrl"],
            "allowedAudience": ["agents"],
            "allowedClients": config["agentcore:jwtAllowedClients"],
            "allowedScopes": ["agents/invoke"],
        }
    }
    # The JWT authorizer allow-lists Authorization so the container sees the token.
    assert runtime["requestHeaderConfiguration"] == {
        "requestHeaderAllowlist": [*config["agentcore:requestHeaderAllowlist"], "Authorization"]
    }
    identity = sids(doc(named(run, ROLE_POLICY, "execution-policy")))["WorkloadAccessToken"]
    assert "bedrock-agentcore:GetWorkloadAccessTokenForJWT" in identity["Action"]
    assert "bedrock-agentcore:GetWorkloadAccessTokenForUserId" not in identity["Action"]
    deployer = sids(doc(named(run, ROLE_POLICY, "deployer-policy")))
    assert deployer["VpcNetworkInterfaces"]["Resource"] == [
        f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:network-interface/*",
        f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:subnet/subnet-0123456789abcdef0",
        f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:subnet/subnet-0fedcba9876543210",
        f"arn:aws:ec2:us-west-2:{ACCOUNT_ID}:security-group/sg-0123456789abcdef0",
    ]


def test_govcloud_arns_use_the_partition(runs: dict[str, Run]) -> None:
    run = runs["govcloud"]
    documents = [doc(r) for r in run.of_type(ROLE_POLICY)] + [doc(r, "assumeRolePolicy") for r in run.of_type(ROLE)]
    arns: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, str) and node.startswith("arn:"):
            arns.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for document in documents:
        collect(document)
    assert arns and all(arn.startswith("arn:aws-us-gov:") for arn in arns), [a for a in arns if not a.startswith("arn:aws-us-gov:")]
    execution = doc(named(run, ROLE_POLICY, "execution-policy"))
    regions = {arn.split(":")[3] for s in execution["Statement"] if s["Sid"].startswith("InvokeModel") for arn in s["Resource"]}
    assert regions == {"us-gov-west-1", "us-gov-east-1"}
    assert run.outputs["runtimeArn"].startswith("arn:aws-us-gov:bedrock-agentcore:us-gov-west-1:")


def test_minimal_variant(runs: dict[str, Run]) -> None:
    run = runs["minimal"]
    assert [r.name for r in run.of_type(ROLE)] == ["agentcore-execution-role"]
    assert run.of_type("aws-native:bedrockagentcore:RuntimeEndpoint") == []
    assert run.outputs.get("deployerRoleArn") is None and run.outputs.get("endpointArn") is None
    runtime = run.one(RUNTIME).inputs
    assert runtime["agentRuntimeName"] == "support_agent"
    assert runtime["protocolConfiguration"] == "MCP"
    assert runtime["environmentVariables"]["LOG_LEVEL"] == "WARNING"
    assert run.one("aws:ecr/repository:Repository").inputs["name"] == "agents/support"
    assert named(run, ROLE, "execution-role").inputs["name"] == "support-agent-execution"
    assert "--qualifier" not in run.outputs["invokeCommand"]
    resources = {arn for s in doc(named(run, ROLE_POLICY, "execution-policy"))["Statement"] for arn in s["Resource"] if s["Sid"].startswith("InvokeModel")}
    assert "arn:aws:bedrock:us-west-2::foundation-model/amazon.nova-pro-v1:0" in resources
    assert "arn:aws:bedrock:eu-west-3::foundation-model/amazon.nova-lite-v1:0" in resources


def test_observability_switched_off(runs: dict[str, Run]) -> None:
    run = runs["observability-off"]
    observability = run.one("agentcore:observability:RuntimeObservability")
    assert [r for r in run.registrations if r.parent == observability.urn] == []
    # The service creates the runtime's log groups itself now, so the role may.
    execution = sids(doc(named(run, ROLE_POLICY, "execution-policy")))
    assert execution["RuntimeLogGroups"]["Action"] == ["logs:CreateLogGroup", "logs:DescribeLogStreams"]
    # The names are still reported (the service creates these groups on first invocation).
    runtime_id = run.outputs["runtimeId"]
    assert run.outputs["runtimeLogGroupNames"] == {
        "DEFAULT": f"/aws/bedrock-agentcore/runtimes/{runtime_id}-DEFAULT",
        "live": f"/aws/bedrock-agentcore/runtimes/{runtime_id}-live",
    }
    assert run.outputs["vendedLogGroupNames"] == {} and run.outputs["alarmArns"] == {}
    assert run.outputs.get("dashboardUrl") is None
    # No vended logs, no Transaction Search: no account-wide logs resource-policy power.
    telemetry = sids(doc(run.one("aws:iam/policy:Policy")))
    assert "LogResourcePolicies" not in telemetry and "TelemetryLogGroups" in telemetry


def test_observability_with_a_kms_key_and_an_alarm_topic(runs: dict[str, Run]) -> None:
    run = runs["observability-kms-topic"]
    settings = VARIANTS["observability-kms-topic"]["agentcore:observability"]
    groups = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) == 2  # application and usage logs
    for group in groups:
        assert group.inputs["kmsKeyId"] == settings["logKmsKeyArn"]
        assert group.inputs["retentionInDays"] == 90
        assert group.retain_on_delete is True
    runtime_groups = run.of_type("pulumi-python:dynamic/agentcore:AdoptableLogGroup")
    assert len(runtime_groups) == 2  # DEFAULT and live, created or adopted
    for group in runtime_groups:
        assert (group.inputs["kms_key_id"], group.inputs["retention_in_days"]) == (settings["logKmsKeyArn"], 90)
        assert group.inputs["retain_on_delete"] is True
    alarms = run.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    assert len(alarms) == 6
    for alarm in alarms:
        assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [settings["alarmTopicArn"]]
    # The deployer may associate the key with its own log groups (and only those).
    telemetry = sids(doc(run.one("aws:iam/policy:Policy")))["TelemetryLogGroups"]
    assert {"logs:AssociateKmsKey", "logs:DisassociateKmsKey"} <= set(telemetry["Action"])


CHECK = "pulumi-python:dynamic/agentcore:RuntimeCheck"


@pytest.mark.parametrize(
    ("stack", "qualifier", "timeout"),
    [("dev", "live", 120), ("prod", "DEFAULT", 180)],  # prod's `live` is pinned to an older version
)
def test_post_deploy_check_invokes_the_endpoint_that_serves_the_new_version(
    runs: dict[str, Run], stack: str, qualifier: str, timeout: int
) -> None:
    run = runs[stack]
    check = run.one(CHECK)
    runtime = run.one(RUNTIME)
    assert check.name.endswith("-post-deploy-check")
    assert check.inputs["runtime_arn"] == runtime.outputs["agentRuntimeArn"]
    assert check.inputs["runtime_version"] == runtime.outputs["agentRuntimeVersion"]
    assert check.inputs["qualifier"] == qualifier
    assert check.inputs["prompt"] == "Reply with the single word OK."
    assert check.inputs["timeout_seconds"] == timeout
    # It runs once the endpoint has moved to the new version.
    endpoint = run.one("aws-native:bedrockagentcore:RuntimeEndpoint")
    assert endpoint.urn in check.dependencies
    # The deployer may invoke this runtime through that endpoint, and nothing else.
    statement = sids(doc(named(run, ROLE_POLICY, "deployer-policy")))["PostDeployCheck"]
    runtime_pattern = f"arn:aws:bedrock-agentcore:{run.mocks.region}:{ACCOUNT_ID}:runtime/agentcore_{stack}-*"
    assert statement["Action"] == ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:StopRuntimeSession"]
    assert statement["Resource"] == [runtime_pattern, f"{runtime_pattern}/runtime-endpoint/{qualifier}"]


def test_without_a_check_prompt_nothing_is_invoked_nor_granted(runs: dict[str, Run]) -> None:
    run = runs["github-oidc"]  # dev with the check prompt removed
    assert run.of_type(CHECK) == []
    assert "PostDeployCheck" not in sids(doc(named(run, ROLE_POLICY, "deployer-policy")))


def test_without_a_named_endpoint_the_check_goes_through_default_after_the_runtime(runs: dict[str, Run]) -> None:
    run = runs["minimal"]  # no endpoint, no deployer: the stack's own credentials invoke
    check = run.one(CHECK)
    assert check.inputs["qualifier"] == "DEFAULT"
    assert run.one(RUNTIME).urn in check.dependencies


def test_the_rust_agent_is_one_key_away(runs: dict[str, Run]) -> None:
    """`agent: rust` builds agent_rust/ and gives the container only what the Rust agent reads."""
    dev, rust = runs["dev"], runs["rust-agent"]
    image = rust.one("docker-build:index:Image").inputs
    assert image["context"] == {"location": "agent_rust"}
    assert image["dockerfile"] == {"location": "agent_rust/Dockerfile"}
    assert image["platforms"] == ["linux/arm64"]
    assert image["tags"] != dev.one("docker-build:index:Image").inputs["tags"]  # its own content hash
    env = rust.one(RUNTIME).inputs["environmentVariables"]
    assert {"AWS_REGION": "us-west-2", "MODEL_ID": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}.items() <= env.items()
    assert env["LOG_LEVEL"] == "DEBUG" and env["MAX_SESSIONS"] == "20"
    assert not any(name.startswith(("OTEL_", "AGENT_OBSERVABILITY")) for name in env), env
    assert "OTEL_PYTHON_DISTRO" in dev.one(RUNTIME).inputs["environmentVariables"]
    assert not rust.of_type("aws-native:bedrockagentcore:Memory")
    # Same roles, repository and runtime names: switching agents replaces the image, not the stack.
    assert {r.name for r in rust.of_type(ROLE)} == {r.name for r in dev.of_type(ROLE)}
    assert rust.one(RUNTIME).name == dev.one(RUNTIME).name


def test_the_rust_agent_with_traces_is_told_the_partitions_xray_otlp_endpoint(runs: dict[str, Run]) -> None:
    """No collector runs beside the Rust agent: with traces on it exports to X-Ray's OTLP endpoint
    of the stack's own region and partition (and signs for it), never a commercial-partition host."""
    env = runs["rust-agent-traces-govcloud"].one(RUNTIME).inputs["environmentVariables"]
    assert env["OTEL_TRACES_EXPORTER"] == "otlp"
    assert env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] == "https://xray.us-gov-west-1.amazonaws.com/v1/traces"
    assert not any(name.startswith(("OTEL_PYTHON", "AGENT_OBSERVABILITY")) for name in env), env
