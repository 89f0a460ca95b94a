"""AgentCoreRuntime: an AWS Bedrock AgentCore runtime with its image, repository, IAM roles and
observability (log groups, deliveries, alarms, dashboard).

The ComponentResource only wires children together; every name, policy, tag and rule comes from
the pure modules next to it, the image and the deployer from their own modules, the observability
resources from a child component. Partition, account and region are read once from the AWS
provider (invokes parented to this component, so explicit providers apply) and handed to every
builder and child.
"""

import json
from dataclasses import dataclass
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
from pulumi_aws_native import bedrockagentcore as agentcore

from .args import AgentCoreRuntimeArgs, NetworkMode
from .aws_context import AwsContext, read_aws_context
from .container_environment import managed_environment
from .deployer import Deployer, DeployerInputs
from .errors import ConfigError
from .iam.arns import ecr_repository_arn
from .iam.documents import Statement, document
from .iam.kms import ROTATION_PERIOD_DAYS, stack_key_policy
from .iam.memory import execution_memory_statements
from .iam.runtime import execution_core_statements, execution_trust_policy
from .iam.telemetry import execution_role_telemetry_statements
from .image import pinned_image
from .image_ref import parse_image_uri
from .invoke_command import invoke_command
from .memory import Strategy, existing_memory, memory_environment, memory_name
from .names import DEFAULT_ENDPOINT, derive_runtime_name, execution_role_name, resource_slug, stack_key_alias_name
from .observability.resources import RuntimeObservability, RuntimeObservabilityArgs
from .outputs import register_annotated_outputs
from .rules import arg_path, validate_args
from .runtime_check import RuntimeCheck
from .settings import SECURITY_GROUP_ID, SUBNET_ID, check_vpc_ids
from .tagging import standard_tags

TYPE_TOKEN = "agentcore:index:AgentCoreRuntime"


class AgentCoreRuntime(pulumi.ComponentResource):
    """A Strands (or any HTTP/MCP/A2A) agent on Bedrock AgentCore Runtime: arm64 image pinned by
    digest in a hardened ECR repository, least-privilege execution and deployer roles, an optional
    named endpoint, and its logs, traces, alarms and dashboard."""

    runtime_arn: pulumi.Output[str]
    """ARN of the runtime."""
    runtime_id: pulumi.Output[str]
    """Id of the runtime (<name>-<10 characters>)."""
    runtime_version: pulumi.Output[str]
    """The runtime's current version; every update creates a new one."""
    runtime_name: pulumi.Output[str]
    """Name of the runtime."""
    endpoint_arn: pulumi.Output[Optional[str]]
    """ARN of the named endpoint, when one is configured."""
    repository_url: pulumi.Output[Optional[str]]
    """URL of the ECR repository, when the component builds the image."""
    image_uri: pulumi.Output[str]
    """The image the runtime runs, pinned by digest (<repository>@sha256:...)."""
    execution_role_arn: pulumi.Output[str]
    """ARN of the role the runtime runs as."""
    deployer_role_arn: pulumi.Output[Optional[str]]
    """ARN of the deployer role, when it is enabled."""
    invoke_command: pulumi.Output[str]
    """An AWS CLI command that invokes the runtime."""
    runtime_log_group_names: pulumi.Output[dict[str, str]]
    """Endpoint name -> the runtime's log group for it (stdout/stderr and OpenTelemetry logs)."""
    vended_log_group_names: pulumi.Output[dict[str, str]]
    """Log type (APPLICATION_LOGS, USAGE_LOGS) -> the log group its delivery writes to."""
    alarm_arns: pulumi.Output[dict[str, str]]
    """Alarm key (<endpoint>-errors, -throttles, -latency-p99) -> alarm ARN."""
    dashboard_url: pulumi.Output[Optional[str]]
    """Console link to the CloudWatch dashboard, when one is created."""
    encryption_key_arn: pulumi.Output[Optional[str]]
    """The KMS key the repository, the log groups and Memory are encrypted with (the stack's own or
    the brought one), when `encryption.kms_key` is set."""
    memory_id: pulumi.Output[Optional[str]]
    """Id of the agent's AgentCore Memory (created or brought), when `memory.enabled` is set."""
    memory_arn: pulumi.Output[Optional[str]]
    """ARN of the agent's AgentCore Memory, when `memory.enabled` is set."""

    def __init__(self, name: str, args: AgentCoreRuntimeArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = validate_args(dict(args))
        self._name = name
        self._settings = settings
        self._runtime_name = settings.runtime_name or derive_runtime_name(pulumi.get_project(), pulumi.get_stack())
        self._repository_name = settings.repository.name or resource_slug(self._runtime_name)
        self._tags = standard_tags(
            environment=settings.environment or pulumi.get_stack(),
            stack=pulumi.get_stack(),
            project=pulumi.get_project(),
            extra=settings.tags,
        )
        self._subnet_ids = _resolved_ids(settings.network.subnet_ids, ("network", "subnet_ids"))
        self._security_group_ids = _resolved_ids(settings.network.security_group_ids, ("network", "security_group_ids"))
        self._aws = read_aws_context(self)
        self._build()
        register_annotated_outputs(self)

    def _opts(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)

    def _build(self) -> None:
        """Create the children and set every output."""
        s = self._settings
        self._encryption_key_arn = self._encryption_key()
        self.encryption_key_arn = (
            self._encryption_key_arn if self._encryption_key_arn is not None else pulumi.Output.from_input(None)
        )
        memory = self._memory()
        self.memory_id = memory.id if memory else pulumi.Output.from_input(None)
        self.memory_arn = memory.arn if memory else pulumi.Output.from_input(None)
        execution_role = self._execution_role()
        repository, self.image_uri = pinned_image(
            self,
            self._name,
            image=s.image,
            repository=s.repository,
            repository_name=self._repository_name,
            cache_scope=self._runtime_name,
            tags=self._tags,
            encryption_key=self._encryption_key_arn if s.encryption.repository else None,
        )
        execution_policy = aws.iam.RolePolicy(
            f"{self._name}-execution-policy",
            role=execution_role.name,
            name="agentcore-runtime",
            policy=self._execution_policy(memory),
            opts=self._opts(),
        )
        runtime = self._runtime(execution_role, execution_policy, memory)
        endpoint = self._endpoint(runtime)
        self._observability(runtime)
        self._post_deploy_check(runtime, endpoint)
        self.runtime_arn = runtime.agent_runtime_arn
        self.runtime_id = runtime.agent_runtime_id
        self.runtime_version = runtime.agent_runtime_version
        self.runtime_name = pulumi.Output.from_input(self._runtime_name)
        self.endpoint_arn = endpoint.agent_runtime_endpoint_arn if endpoint else pulumi.Output.from_input(None)
        self.repository_url = repository.repository_url if repository else pulumi.Output.from_input(None)
        self.execution_role_arn = execution_role.arn
        self.deployer_role_arn = self._deployer(execution_role) if s.deployer.enabled else pulumi.Output.from_input(None)
        qualifier = s.endpoint.name if s.endpoint else None
        self.invoke_command = pulumi.Output.all(arn=runtime.agent_runtime_arn, ctx=self._aws).apply(
            lambda v: invoke_command(runtime_arn=v["arn"], region=v["ctx"].region, qualifier=qualifier)
        )

    # -- encryption ------------------------------------------------------------------------------

    def _encryption_key(self) -> pulumi.Output[str] | None:
        """The key `encryption.kms_key` names: the stack's own (created here, with its alias), a
        brought one (checked to be in the stack's partition and region: ECR and CloudWatch Logs
        take only keys of their own region), or None."""
        e = self._settings.encryption
        if e.kms_key is None:
            return None
        if not e.creates_key:
            brought = e.kms_key
            return self._aws.apply(lambda ctx: _key_in_region(brought, ctx))
        runtime_name = self._runtime_name
        memory_encrypted = self._settings.memory.creates
        key = aws.kms.Key(
            f"{self._name}-key",
            description=f"Encrypts the {runtime_name} runtime's image repository, log groups and memory",
            enable_key_rotation=True,
            rotation_period_in_days=ROTATION_PERIOD_DAYS,
            deletion_window_in_days=e.deletion_window_days,
            policy=self._aws.apply(
                lambda ctx: json.dumps(stack_key_policy(**ctx.scope(runtime_name), memory=memory_encrypted))
            ),
            tags=self._tags,
            # Log groups kept after destroy stay readable only while their key exists.
            opts=self._opts(retain_on_delete=self._settings.observability.retain_logs_on_delete),
        )
        aws.kms.Alias(
            f"{self._name}-key-alias",
            name=stack_key_alias_name(runtime_name),
            target_key_id=key.key_id,
            opts=self._opts(),
        )
        return key.arn

    # -- memory ----------------------------------------------------------------------------------

    def _memory(self) -> "_Memory | None":
        """The agent's memory: created here (named after the runtime, encrypted with the stack's
        key when there is one, with the built-in strategies configured), or the one
        `memory.existing` names, checked to be in the stack's partition, region and account."""
        m = self._settings.memory
        if not m.enabled:
            return None
        if m.existing is not None:
            existing = m.existing
            ref = self._aws.apply(lambda ctx: _existing_memory(existing, ctx))
            return _Memory(id=ref.apply(lambda r: r[0]), arn=ref.apply(lambda r: r[1]), key_arn=None)
        created = agentcore.Memory(
            f"{self._name}-memory",
            name=memory_name(self._runtime_name),
            description=m.description or f"Conversations of the {self._runtime_name} runtime's agent",
            event_expiry_duration=m.event_expiry_days,
            encryption_key_arn=self._encryption_key_arn,
            memory_strategies=[_strategy(s) for s in m.strategies] or None,
            tags=self._tags,
            opts=self._opts(),
        )
        return _Memory(id=created.memory_id, arn=created.memory_arn, key_arn=self._encryption_key_arn)

    # -- execution role ------------------------------------------------------------------------

    def _execution_role(self) -> aws.iam.Role:
        runtime_name = self._runtime_name
        return aws.iam.Role(
            f"{self._name}-execution-role",
            name=execution_role_name(runtime_name),
            description=f"Assumed by Bedrock AgentCore to run the {runtime_name} runtime",
            assume_role_policy=self._aws.apply(lambda ctx: json.dumps(execution_trust_policy(**ctx.scope(runtime_name)))),
            permissions_boundary=self._settings.permissions_boundary_arn,
            tags=self._tags,
            opts=self._opts(),
        )

    def _execution_policy(self, memory: "_Memory | None") -> pulumi.Output[str]:
        return pulumi.Output.all(
            ctx=self._aws, memory_arn=memory.arn if memory else None, key_arn=memory.key_arn if memory else None
        ).apply(lambda v: json.dumps(document(self._execution_statements(v["ctx"], v["memory_arn"], v["key_arn"]))))

    def _execution_statements(self, ctx: AwsContext, memory_arn: str | None = None, memory_key_arn: str | None = None) -> list[Statement]:
        """The execution role's permissions: image pull, identity and models, then telemetry (without
        `logs:CreateLogGroup` when the observability child creates the runtime's log groups), then
        the memory's events and records, on that memory only."""
        s = self._settings
        memory_statements = (
            execution_memory_statements(
                **ctx.where(), memory_arn=memory_arn, long_term=bool(s.memory.strategies), key_arn=memory_key_arn
            )
            if memory_arn is not None
            else []
        )
        return [
            *execution_core_statements(
                **ctx.scope(self._runtime_name),
                model_ids=s.model_ids,
                repository_arn=self._pull_repository_arn(ctx),
                jwt_authorizer=s.jwt_authorizer is not None,
            ),
            *execution_role_telemetry_statements(
                **ctx.scope(self._runtime_name), log_groups_precreated=s.observability.runtime_logs
            ),
            *memory_statements,
        ]

    def _pull_repository_arn(self, ctx: AwsContext) -> str | None:
        if self._settings.image.uri is None:
            return ecr_repository_arn(ctx.partition, ctx.region, ctx.account_id, self._repository_name)
        ref = parse_image_uri(self._settings.image.uri)
        return ref.repository_arn(ref.partition(ctx.partition))

    # -- runtime and endpoint --------------------------------------------------------------------

    def _runtime(
        self, execution_role: aws.iam.Role, execution_policy: aws.iam.RolePolicy, memory: "_Memory | None"
    ) -> agentcore.Runtime:
        s = self._settings
        strategies = s.memory.strategies
        environment = pulumi.Output.all(ctx=self._aws, memory_id=memory.id if memory else None).apply(
            lambda v: {
                **managed_environment(
                    region=v["ctx"].region,
                    partition=v["ctx"].partition,
                    model_id=s.model_id,
                    log_level=s.log_level,
                    agent=s.image.agent,
                    traces=s.observability.traces,
                ),
                **(memory_environment(v["memory_id"], strategies) if memory else {}),
                **s.environment_variables,
            }
        )
        headers = list(s.header_allowlist)
        return agentcore.Runtime(
            f"{self._name}-runtime",
            agent_runtime_name=self._runtime_name,
            description=s.description,
            agent_runtime_artifact=agentcore.RuntimeAgentRuntimeArtifactArgs(
                container_configuration=agentcore.RuntimeContainerConfigurationArgs(container_uri=self.image_uri)
            ),
            role_arn=execution_role.arn,
            network_configuration=self._network(),
            protocol_configuration=agentcore.RuntimeProtocolConfiguration(s.protocol.value),
            environment_variables=environment,
            lifecycle_configuration=agentcore.RuntimeLifecycleConfigurationArgs(
                idle_runtime_session_timeout=s.lifecycle.idle_timeout_seconds,
                max_lifetime=s.lifecycle.max_lifetime_seconds,
            ),
            authorizer_configuration=self._authorizer(),
            request_header_configuration=(
                agentcore.RuntimeRequestHeaderConfigurationArgs(request_header_allowlist=headers) if headers else None
            ),
            tags=self._tags,
            # AgentCore checks the role's ECR permissions when it creates the runtime: the policy,
            # not only the role, has to exist first.
            opts=self._opts(depends_on=[execution_policy]),
        )

    def _network(self) -> agentcore.RuntimeNetworkConfigurationArgs:
        mode = self._settings.network.mode
        if mode is not NetworkMode.VPC:
            return agentcore.RuntimeNetworkConfigurationArgs(network_mode=agentcore.RuntimeNetworkMode(mode.value))
        return agentcore.RuntimeNetworkConfigurationArgs(
            network_mode=agentcore.RuntimeNetworkMode.VPC,
            network_mode_config=agentcore.RuntimeVpcConfigArgs(subnets=self._subnet_ids, security_groups=self._security_group_ids),
        )

    def _authorizer(self) -> agentcore.RuntimeAuthorizerConfigurationArgs | None:
        jwt = self._settings.jwt_authorizer
        if jwt is None:
            return None
        return agentcore.RuntimeAuthorizerConfigurationArgs(
            custom_jwt_authorizer=agentcore.RuntimeCustomJwtAuthorizerConfigurationArgs(
                discovery_url=jwt.discovery_url,
                allowed_audience=list(jwt.allowed_audiences) or None,
                allowed_clients=list(jwt.allowed_clients) or None,
                allowed_scopes=list(jwt.allowed_scopes) or None,
            )
        )

    def _endpoint(self, runtime: agentcore.Runtime) -> agentcore.RuntimeEndpoint | None:
        """A named endpoint. Without a pinned version it follows the runtime's version output,
        because AgentCore leaves a named endpoint on the version it was created with."""
        endpoint = self._settings.endpoint
        if endpoint is None:
            return None
        return agentcore.RuntimeEndpoint(
            f"{self._name}-endpoint",
            agent_runtime_id=runtime.agent_runtime_id,
            name=endpoint.name,
            agent_runtime_version=endpoint.pinned_version or runtime.agent_runtime_version,
            description=endpoint.description,
            tags=self._tags,
            opts=self._opts(),
        )

    def _post_deploy_check(self, runtime: agentcore.Runtime, endpoint: agentcore.RuntimeEndpoint | None) -> None:
        """Invoke each new version once (components.runtime_check), after the endpoint it goes
        through has moved to it."""
        check = self._settings.post_deploy_check
        qualifier = self._settings.post_deploy_check_qualifier
        if check is None or qualifier is None:
            return
        RuntimeCheck(
            f"{self._name}-post-deploy-check",
            runtime_arn=runtime.agent_runtime_arn,
            runtime_version=runtime.agent_runtime_version,
            prompt=check.prompt,
            qualifier=qualifier,
            timeout_seconds=check.timeout_seconds,
            opts=self._opts(depends_on=[endpoint] if endpoint is not None else [runtime]),
        )

    # -- observability and deployer ----------------------------------------------------------------

    def _observability(self, runtime: agentcore.Runtime) -> None:
        s = self._settings
        child = RuntimeObservability(
            f"{self._name}-observability",
            RuntimeObservabilityArgs(
                runtime_name=self._runtime_name,
                runtime_arn=runtime.agent_runtime_arn,
                runtime_id=runtime.agent_runtime_id,
                aws=self._aws,
                config=s.observability,
                endpoint_names=(DEFAULT_ENDPOINT, *([s.endpoint.name] if s.endpoint else [])),
                model_id=s.model_id,
                tags=self._tags,
                kms_key_id=self._encryption_key_arn,
            ),
            opts=self._opts(),
        )
        self.runtime_log_group_names = child.runtime_log_group_names
        self.vended_log_group_names = child.vended_log_group_names
        self.alarm_arns = child.alarm_arns
        self.dashboard_url = child.dashboard_url

    def _deployer(self, execution_role: aws.iam.Role) -> pulumi.Output[Optional[str]]:
        deployer = Deployer(
            self,
            DeployerInputs(
                name=self._name,
                runtime_name=self._runtime_name,
                settings=self._settings,
                tags=self._tags,
                aws=self._aws,
                execution_role_arn=execution_role.arn,
                repository_name=self._repository_name,
                subnet_ids=self._subnet_ids,
                security_group_ids=self._security_group_ids,
                encryption_key_arn=self._encryption_key_arn,
                creates_key=self._settings.encryption.creates_key,
            ),
        )
        return deployer.role.arn


@dataclass(frozen=True)
class _Memory:
    """The agent's memory as the rest of the component uses it; `key_arn`: the key a memory
    created here is encrypted with (None for a brought memory, whose key the stack does not know)."""

    id: pulumi.Output[str]
    arn: pulumi.Output[str]
    key_arn: pulumi.Output[str] | None


_STRATEGY_ARGS: dict[str, Any] = {
    "semantic_memory_strategy": agentcore.MemorySemanticMemoryStrategyArgs,
    "summary_memory_strategy": agentcore.MemorySummaryMemoryStrategyArgs,
    "user_preference_memory_strategy": agentcore.MemoryUserPreferenceMemoryStrategyArgs,
}


def _strategy(strategy: Strategy) -> agentcore.MemoryStrategyArgs:
    """One built-in strategy writing to its namespace template (`namespaceTemplates`: the API's
    `namespaces` is its legacy name)."""
    member = _STRATEGY_ARGS[strategy.kind](name=strategy.name, namespace_templates=[strategy.namespace])
    return agentcore.MemoryStrategyArgs(**{strategy.kind: member})


def _existing_memory(value: str, ctx: AwsContext) -> tuple[str, str]:
    try:
        return existing_memory(value, **ctx.where())
    except ValueError as exc:
        raise ConfigError.single(f"{arg_path(('memory', 'existing'))} (agentcore:existingMemory)", str(exc)) from None


def _key_in_region(key_arn: str, ctx: AwsContext) -> str:
    """A brought key in the stack's own partition and region (its ARN's 2nd and 4th fields)."""
    _, partition, _, region, *_ = key_arn.split(":")
    if (partition, region) != (ctx.partition, ctx.region):
        raise ConfigError.single(
            f"{arg_path(('encryption', 'kms_key'))} (agentcore:encryptionKey)",
            f"the key must be in the stack's region {ctx.region} (partition {ctx.partition}): ECR and CloudWatch Logs "
            f"use keys of their own region only, got {key_arn!r}",
        )
    return key_arn


def _resolved_ids(value: Any, loc: tuple[str, ...]) -> pulumi.Output[list[str]]:
    """VPC ids as an Output, checked once they are known (outputs of other resources only then)."""
    pattern, kind = (SUBNET_ID, "subnet-") if loc[-1] == "subnet_ids" else (SECURITY_GROUP_ID, "sg-")

    def check(ids: Any) -> list[str]:
        ids = list(ids or [])
        try:
            check_vpc_ids(ids, pattern, kind)
        except ValueError as exc:  # PydanticCustomError is a ValueError
            raise ConfigError.single(arg_path(loc), str(exc)) from None
        return ids

    return pulumi.Output.from_input(value).apply(check)
