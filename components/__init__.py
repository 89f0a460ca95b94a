"""AgentCoreRuntime: deploy an agent container to AWS Bedrock AgentCore Runtime with Pulumi.

Use from Python:

    from components import AgentCoreRuntime
    runtime = AgentCoreRuntime("agent", {"model_id": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"})

Other languages get an SDK with `pulumi package add` (see PulumiPlugin.yaml).
"""

from .agentcore_runtime import AgentCoreRuntime
from .args import (
    AgentCoreRuntimeArgs,
    DeployerArgs,
    EncryptionArgs,
    EndpointArgs,
    PostDeployCheckArgs,
    GithubOidcArgs,
    ImageArgs,
    JwtAuthorizerArgs,
    LifecycleArgs,
    LogLevel,
    MemoryArgs,
    NetworkArgs,
    NetworkMode,
    ObservabilityArgs,
    RepositoryArgs,
    ServerProtocol,
)
from .errors import ConfigError, Problem

__all__ = [
    "AgentCoreRuntime",
    "AgentCoreRuntimeArgs",
    "ConfigError",
    "DeployerArgs",
    "EncryptionArgs",
    "EndpointArgs",
    "PostDeployCheckArgs",
    "GithubOidcArgs",
    "ImageArgs",
    "JwtAuthorizerArgs",
    "LifecycleArgs",
    "LogLevel",
    "MemoryArgs",
    "NetworkArgs",
    "NetworkMode",
    "ObservabilityArgs",
    "Problem",
    "RepositoryArgs",
    "ServerProtocol",
]
