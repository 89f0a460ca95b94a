"""The program runs the schema and IAM checks cover: both real stacks, and variants of dev that
switch on every optional path (GitHub OIDC, boundary, state backend, KMS keys per resource, the
stack's own key, a brought key in a production stack, bring-your-own images, a brought memory,
VPC, JWT, other protocols, GovCloud, no deployer, observability off or with a KMS key and an alarm
topic)."""

from functools import cache
from typing import Any

import pytest

from tests.testkit.pulumi_mocks import Run, run_program

DIGEST = "sha256:" + "5e" * 32
BOUNDARY = "arn:aws:iam::123456789012:policy/DeveloperBoundary"
BYO_KEY = "arn:aws:kms:us-west-2:123456789012:key/7c1f0e2d-3b4a-5968-8776-a5b4c3d2e1f0"
BYO_MEMORY_ARN = "arn:aws:bedrock-agentcore:us-west-2:123456789012:memory/shared_memory-a1B2c3D4e5"

VARIANTS: dict[str, dict[str, Any]] = {
    "github-oidc": {
        "agentcore:githubRepository": "acme/agents",
        "agentcore:githubEnvironments": ["production"],
        "agentcore:githubPullRequests": True,
        "agentcore:createGithubOidcProvider": True,
        "agentcore:deployerTrustedPrincipalArns": ["arn:aws:iam::123456789012:role/platform-admins"],
        "agentcore:stateBucket": "acme-pulumi-state",
        "agentcore:stateKeyPrefix": "agentcore",
        "agentcore:secretsKmsKeyArn": "arn:aws:kms:us-west-2:123456789012:key/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "agentcore:ecrKmsKeyArn": "arn:aws:kms:us-west-2:123456789012:key/11111111-2222-3333-4444-555555555555",
        "agentcore:permissionsBoundaryArn": BOUNDARY,
        "agentcore:githubActionsCache": True,
        "agentcore:postDeployCheckPrompt": "",
    },
    # The Rust agent without Memory (dev's memory settings reset): the smallest Rust stack.
    "rust-agent": {
        "agentcore:agent": "rust",
        "agentcore:memory": False,
        "agentcore:memoryEventExpiryDays": 30,
    },
    # The Rust agent with traces, in GovCloud: it is told X-Ray's OTLP endpoint of that partition.
    "rust-agent-traces-govcloud": {
        "agentcore:agent": "rust",
        "agentcore:memory": False,
        "agentcore:memoryEventExpiryDays": 30,
        "aws:region": "us-gov-west-1",
        "aws-native:region": "us-gov-west-1",
        "agentcore:modelId": "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
        "agentcore:observability": {"traces": True, "transactionSearchEnabledInRegion": True},
    },
    "existing-oidc-provider": {
        "agentcore:githubRepository": "acme/agents",
        "agentcore:githubBranches": ["main", "release/v1"],
        "agentcore:githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    },
    # dev's repository settings do not apply without a build: reset them to their defaults.
    "byo-private-image": {
        "agentcore:imageUri": f"210987654321.dkr.ecr.eu-central-1.amazonaws.com/shared/agent:v7@{DIGEST}",
        "agentcore:keepImages": 10,
        "agentcore:forceDeleteRepository": False,
    },
    "byo-public-image": {
        "agentcore:imageUri": f"public.ecr.aws/acme/agent@{DIGEST}",
        "agentcore:keepImages": 10,
        "agentcore:forceDeleteRepository": False,
    },
    "vpc-jwt": {
        "agentcore:networkMode": "VPC",
        "agentcore:subnetIds": ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        "agentcore:securityGroupIds": ["sg-0123456789abcdef0"],
        "agentcore:jwtDiscoveryUrl": "https://cognito-idp.us-west-2.amazonaws.com/us-west-2_Example/.well-known/openid-configuration",
        "agentcore:jwtAllowedClients": ["3n4b5urk1ft4fl3mg5e62d9ado"],
        "agentcore:jwtAllowedAudiences": ["agents"],
        "agentcore:jwtAllowedScopes": ["agents/invoke"],
        "agentcore:requestHeaderAllowlist": ["X-Request-Source", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"],
    },
    "govcloud": {
        "aws:region": "us-gov-west-1",
        "aws-native:region": "us-gov-west-1",
        "agentcore:modelId": "us-gov.anthropic.claude-3-haiku-20240307-v1:0",
        "agentcore:additionalModelIds": ["anthropic.claude-3-haiku-20240307-v1:0"],
    },
    # Every observability switch off: no observability resources, and the service creates (and
    # so the execution role may create) the runtime's log groups itself.
    "observability-off": {
        "agentcore:observability": {
            "runtimeLogs": False, "applicationLogs": False, "usageLogs": False, "traces": False,
            "alarms": False, "dashboard": False,
        },
    },
    "observability-kms-topic": {
        "agentcore:observability": {
            "logKmsKeyArn": "arn:aws:kms:us-west-2:123456789012:key/22222222-3333-4444-5555-666666666666",
            "alarmTopicArn": "arn:aws:sns:us-west-2:123456789012:agent-alarms",
            "applicationLogs": True,
            "usageLogs": True,
            "retainLogsOnDelete": True,
            "logRetentionDays": 90,
        },
    },
    # dev with its own KMS key (shortest deletion window) over every log group kind.
    "stack-key": {
        "agentcore:encryptionKey": "stack",
        "agentcore:encryptionKeyDeletionWindowDays": 7,
        "agentcore:observability": {"applicationLogs": True, "usageLogs": True},
    },
    # A production stack bringing its own key, its deployer trusting one named role.
    "byo-key-production": {
        "agentcore:encryptionKey": BYO_KEY,
        "agentcore:production": True,
        "agentcore:deployerTrustedPrincipalArns": ["arn:aws:iam::123456789012:role/platform/deployers"],
        "agentcore:observability": {"usageLogs": True},
    },
    # A memory that exists already (by ARN), with the namespace its semantic strategy writes;
    # dev's expiry applies only to a memory the stack creates: reset to its default.
    "byo-memory": {
        "agentcore:existingMemory": BYO_MEMORY_ARN,
        "agentcore:memoryEventExpiryDays": 30,
        "agentcore:memorySemanticNamespace": "/tenants/{actorId}/facts",
    },
    "minimal": {
        "agentcore:deployerRole": False,
        "agentcore:endpointName": "",
        "agentcore:runtimeName": "support_agent",
        "agentcore:repositoryName": "agents/support",
        "agentcore:protocol": "MCP",
        "agentcore:logLevel": "WARNING",
        "agentcore:additionalModelIds": ["amazon.nova-pro-v1:0", "eu.amazon.nova-lite-v1:0"],
    },
}

PARTITIONS = {"govcloud": "aws-us-gov", "rust-agent-traces-govcloud": "aws-us-gov"}
ALL_RUNS = ["dev", "prod", *VARIANTS]


@cache
def all_runs() -> dict[str, Run]:
    """Every stack and variant, run once per test session (the results are plain data)."""
    runs: dict[str, Run] = {}
    with pytest.MonkeyPatch.context() as mp:
        for stack in ("dev", "prod"):
            runs[stack] = run_program(stack, mp)
        for name, overrides in VARIANTS.items():
            runs[name] = run_program("dev", mp, overrides=overrides, partition=PARTITIONS.get(name, "aws"))
    return runs
