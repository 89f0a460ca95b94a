"""AgentCoreRuntime: an AWS Bedrock AgentCore runtime with its image, repository, IAM roles and
observability (log groups, deliveries, alarms, dashboard).

The ComponentResource only wires children together; every name, policy, tag and rule comes from
the pure modules next to it. Partition, account and region are read from the AWS provider
(invokes parented to this component, so explicit providers apply) and handed to those modules as
plain strings inside `apply`.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build
from pulumi_aws_native import bedrockagentcore as agentcore

from .args import AgentCoreRuntimeArgs, NetworkMode
from .context_hash import image_tag, missing_default_ignores
from .ecr_lifecycle import lifecycle_policy_json
from .errors import ConfigError
from .iam_policies import (
    DeployerScope,
    GithubTrust,
    Statement,
    deployer_statements,
    deployer_trust_policy,
    document,
    ecr_repository_arn,
    execution_core_statements,
    execution_trust_policy,
    policy_arn,
    role_arn,
)
from .image_ref import parse_image_uri
from .invoke_command import invoke_command
from .names import (
    deployer_role_name,
    deployer_telemetry_policy_name,
    derive_runtime_name,
    execution_role_name,
    resource_slug,
)
from .observability import DEFAULT_ENDPOINT, deployer_telemetry_statements, execution_role_telemetry_statements
from .observability_component import RuntimeObservability, RuntimeObservabilityArgs
from .settings import (
    SECURITY_GROUP_ID,
    SUBNET_ID,
    arg_path,
    check_vpc_ids,
    managed_environment,
    validate_args,
)
from .tagging import standard_tags

TYPE_TOKEN = "agentcore:index:AgentCoreRuntime"
GITHUB_OIDC_URL = "https://token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"


@dataclass(frozen=True)
class AwsContext:
    """Where the stack deploys, as the AWS provider reports it."""

    partition: str
    account_id: str
    region: str

    def scope(self, runtime_name: str) -> dict[str, str]:
        """The keyword arguments every policy builder takes: where, and for which runtime."""
        return {"partition": self.partition, "region": self.region, "account_id": self.account_id, "runtime_name": runtime_name}


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

    def __init__(self, name: str, args: AgentCoreRuntimeArgs, opts: Optional[pulumi.ResourceOptions] = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        settings = validate_args(dict(args))
        self._name = name
        self._settings = settings
        self._runtime_name = settings.runtime_name or derive_runtime_name(pulumi.get_project(), pulumi.get_stack())
        self._tags = standard_tags(
            environment=settings.environment or pulumi.get_stack(),
            stack=pulumi.get_stack(),
            project=pulumi.get_project(),
            extra=settings.tags,
        )
        self._subnet_ids = _resolved_ids(settings.network.subnet_ids, ("network", "subnet_ids"))
        self._security_group_ids = _resolved_ids(settings.network.security_group_ids, ("network", "security_group_ids"))

        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        self._aws: pulumi.Output[AwsContext] = pulumi.Output.all(
            aws.get_partition_output(opts=invoke_opts).partition,
            aws.get_caller_identity_output(opts=invoke_opts).account_id,
            aws.get_region_output(opts=invoke_opts).region,
        ).apply(lambda v: AwsContext(partition=v[0], account_id=v[1], region=v[2]))

        execution_role = self._execution_role()
        repository, image_uri = self._image()
        execution_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=execution_role.name,
            name="agentcore-runtime",
            policy=self._aws.apply(lambda ctx: json.dumps(document(self._execution_statements(ctx)))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        runtime = self._runtime(execution_role, execution_policy, image_uri)
        endpoint = self._endpoint(runtime)
        observability = RuntimeObservability(
            f"{name}-observability",
            RuntimeObservabilityArgs(
                runtime_name=self._runtime_name,
                runtime_arn=runtime.agent_runtime_arn,
                runtime_id=runtime.agent_runtime_id,
                config=settings.observability,
                endpoint_names=(DEFAULT_ENDPOINT, *([settings.endpoint.name] if settings.endpoint else [])),
                model_id=settings.model_id,
                tags=self._tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        deployer = self._deployer(execution_role) if settings.deployer.enabled else None

        self.runtime_arn = runtime.agent_runtime_arn
        self.runtime_id = runtime.agent_runtime_id
        self.runtime_version = runtime.agent_runtime_version
        self.runtime_name = pulumi.Output.from_input(self._runtime_name)
        self.endpoint_arn = endpoint.agent_runtime_endpoint_arn if endpoint else pulumi.Output.from_input(None)
        self.repository_url = repository.repository_url if repository else pulumi.Output.from_input(None)
        self.image_uri = image_uri
        self.execution_role_arn = execution_role.arn
        self.deployer_role_arn = deployer.arn if deployer else pulumi.Output.from_input(None)
        qualifier = settings.endpoint.name if settings.endpoint else None
        self.invoke_command = pulumi.Output.all(runtime.agent_runtime_arn, self._aws).apply(
            lambda v: invoke_command(runtime_arn=v[0], region=v[1].region, qualifier=qualifier)
        )
        self.runtime_log_group_names = observability.runtime_log_group_names
        self.vended_log_group_names = observability.vended_log_group_names
        self.alarm_arns = observability.alarm_arns
        self.dashboard_url = observability.dashboard_url
        self.register_outputs(
            {
                "runtime_arn": self.runtime_arn,
                "runtime_id": self.runtime_id,
                "runtime_version": self.runtime_version,
                "runtime_name": self.runtime_name,
                "endpoint_arn": self.endpoint_arn,
                "repository_url": self.repository_url,
                "image_uri": self.image_uri,
                "execution_role_arn": self.execution_role_arn,
                "deployer_role_arn": self.deployer_role_arn,
                "invoke_command": self.invoke_command,
                "runtime_log_group_names": self.runtime_log_group_names,
                "vended_log_group_names": self.vended_log_group_names,
                "alarm_arns": self.alarm_arns,
                "dashboard_url": self.dashboard_url,
            }
        )

    # -- execution role ------------------------------------------------------------------------

    def _execution_role(self) -> aws.iam.Role:
        runtime_name = self._runtime_name
        return aws.iam.Role(
            f"{self._name}-execution-role",
            name=execution_role_name(runtime_name),
            description=f"Assumed by Bedrock AgentCore to run the {runtime_name} runtime",
            assume_role_policy=self._aws.apply(
                lambda ctx: json.dumps(execution_trust_policy(**ctx.scope(runtime_name)))
            ),
            permissions_boundary=self._settings.permissions_boundary_arn,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _execution_statements(self, ctx: AwsContext) -> list[Statement]:
        """The execution role's permissions: image pull, identity and models, then telemetry (without
        `logs:CreateLogGroup` when the observability child creates the runtime's log groups)."""
        s = self._settings
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
        ]

    def _pull_repository_arn(self, ctx: AwsContext) -> str | None:
        if self._settings.image.uri is None:
            return ecr_repository_arn(ctx.partition, ctx.region, ctx.account_id, self._repository_name)
        ref = parse_image_uri(self._settings.image.uri)
        return ref.repository_arn(ref.partition(ctx.partition))

    # -- image -----------------------------------------------------------------------------------

    @property
    def _repository_name(self) -> str:
        return self._settings.repository.name or resource_slug(self._runtime_name)

    def _image(self) -> tuple[aws.ecr.Repository | None, pulumi.Output[str]]:
        """The repository and the digest-pinned image URI; (None, the given URI) for a pre-built image."""
        s = self._settings
        if s.image.uri is not None:
            return None, pulumi.Output.from_input(s.image.uri)
        repo_settings = s.repository
        encryption = (
            aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=repo_settings.kms_key_arn)
            if repo_settings.kms_key_arn
            else aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
        )
        repository = aws.ecr.Repository(
            f"{self._name}-repository",
            name=self._repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[encryption],
            force_delete=repo_settings.force_delete,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self, protect=repo_settings.protect),
        )
        aws.ecr.LifecyclePolicy(
            f"{self._name}-repository-lifecycle",
            repository=repository.name,
            policy=lifecycle_policy_json(repo_settings.keep_images),
            opts=pulumi.ResourceOptions(parent=self),
        )

        context = Path(s.image.context)
        for path in missing_default_ignores(context):
            pulumi.log.warn(
                f"{context / path} is sent to Docker but left out of the image tag; add it to "
                f"{context / '.dockerignore'} so a change there cannot rebuild under an unchanged tag",
                resource=self,
            )
        tag = image_tag(context, s.image.dockerfile_path)
        token = aws.ecr.get_authorization_token_output(
            registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=self)
        )
        cache: dict[str, Any] = {}
        if s.image.github_actions_cache:
            scope = self._runtime_name
            cache = {
                "cache_from": [docker_build.CacheFromArgs(gha=docker_build.CacheFromGitHubActionsArgs(scope=scope))],
                "cache_to": [
                    docker_build.CacheToArgs(
                        gha=docker_build.CacheToGitHubActionsArgs(scope=scope, mode=docker_build.CacheMode.MAX)
                    )
                ],
            }
        image = docker_build.Image(
            f"{self._name}-image",
            context=docker_build.BuildContextArgs(location=s.image.context),
            dockerfile=docker_build.DockerfileArgs(location=str(s.image.dockerfile_path)),
            platforms=[docker_build.Platform.LINUX_ARM64],
            push=True,
            build_on_preview=s.image.build_on_preview,
            tags=[repository.repository_url.apply(lambda url: f"{url}:{tag}")],
            registries=[
                docker_build.RegistryArgs(
                    address=repository.repository_url.apply(lambda url: url.split("/", 1)[0]),
                    username=token.user_name,
                    password=pulumi.Output.secret(token.password),
                )
            ],
            **cache,
            opts=pulumi.ResourceOptions(parent=self),
        )
        uri = pulumi.Output.all(repository.repository_url, image.digest).apply(lambda v: f"{v[0]}@{v[1]}")
        return repository, uri

    # -- runtime and endpoint --------------------------------------------------------------------

    def _runtime(
        self, execution_role: aws.iam.Role, execution_policy: aws.iam.RolePolicy, image_uri: pulumi.Output[str]
    ) -> agentcore.Runtime:
        s = self._settings
        environment = self._aws.apply(
            lambda ctx: {
                **managed_environment(region=ctx.region, model_id=s.model_id, log_level=s.log_level),
                **s.environment_variables,
            }
        )
        network = agentcore.RuntimeNetworkConfigurationArgs(network_mode=agentcore.RuntimeNetworkMode(s.network.mode.value))
        if s.network.mode is NetworkMode.VPC:
            network = agentcore.RuntimeNetworkConfigurationArgs(
                network_mode=agentcore.RuntimeNetworkMode.VPC,
                network_mode_config=agentcore.RuntimeVpcConfigArgs(
                    subnets=self._subnet_ids, security_groups=self._security_group_ids
                ),
            )
        authorizer = None
        if s.jwt_authorizer is not None:
            jwt = s.jwt_authorizer
            authorizer = agentcore.RuntimeAuthorizerConfigurationArgs(
                custom_jwt_authorizer=agentcore.RuntimeCustomJwtAuthorizerConfigurationArgs(
                    discovery_url=jwt.discovery_url,
                    allowed_audience=list(jwt.allowed_audiences) or None,
                    allowed_clients=list(jwt.allowed_clients) or None,
                    allowed_scopes=list(jwt.allowed_scopes) or None,
                )
            )
        headers = list(s.header_allowlist)
        return agentcore.Runtime(
            f"{self._name}-runtime",
            agent_runtime_name=self._runtime_name,
            description=s.description,
            agent_runtime_artifact=agentcore.RuntimeAgentRuntimeArtifactArgs(
                container_configuration=agentcore.RuntimeContainerConfigurationArgs(container_uri=image_uri)
            ),
            role_arn=execution_role.arn,
            network_configuration=network,
            protocol_configuration=agentcore.RuntimeProtocolConfiguration(s.protocol.value),
            environment_variables=environment,
            lifecycle_configuration=agentcore.RuntimeLifecycleConfigurationArgs(
                idle_runtime_session_timeout=s.lifecycle.idle_timeout_seconds,
                max_lifetime=s.lifecycle.max_lifetime_seconds,
            ),
            authorizer_configuration=authorizer,
            request_header_configuration=(
                agentcore.RuntimeRequestHeaderConfigurationArgs(request_header_allowlist=headers) if headers else None
            ),
            tags=self._tags,
            # AgentCore checks the role's ECR permissions when it creates the runtime: the policy,
            # not only the role, has to exist first.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[execution_policy]),
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
            opts=pulumi.ResourceOptions(parent=self),
        )

    # -- deployer --------------------------------------------------------------------------------

    def _deployer(self, execution_role: aws.iam.Role) -> aws.iam.Role:
        d = self._settings.deployer
        github = None
        provider_arn: pulumi.Input[Optional[str]] = None
        managed_provider_arn: pulumi.Input[Optional[str]] = None
        if d.github is not None:
            github = GithubTrust(
                repository=d.github.repository,
                branches=d.github.branches,
                environments=d.github.environments,
                pull_requests=d.github.pull_requests,
            )
            if d.github.create_provider:
                provider = aws.iam.OpenIdConnectProvider(
                    f"{self._name}-github-oidc",
                    url=GITHUB_OIDC_URL,
                    client_id_lists=[GITHUB_OIDC_AUDIENCE],
                    tags=self._tags,
                    opts=pulumi.ResourceOptions(parent=self),
                )
                provider_arn = managed_provider_arn = provider.arn
            else:
                provider_arn = d.github.provider_arn

        principals = d.trusted_principal_arns
        trust = pulumi.Output.all(self._aws, provider_arn).apply(
            lambda v: json.dumps(
                deployer_trust_policy(
                    partition=v[0].partition,
                    account_id=v[0].account_id,
                    principal_arns=principals,
                    github=github,
                    github_provider_arn=v[1],
                )
            )
        )
        role_name = deployer_role_name(self._runtime_name)
        role = aws.iam.Role(
            f"{self._name}-deployer-role",
            name=role_name,
            description=f"Deploys the {pulumi.get_project()}/{pulumi.get_stack()} stack (pulumi up / preview)",
            assume_role_policy=trust,
            permissions_boundary=self._settings.permissions_boundary_arn,
            max_session_duration=3600,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        policy = pulumi.Output.all(
            self._aws, execution_role.arn, managed_provider_arn, self._subnet_ids, self._security_group_ids
        ).apply(
            lambda v: json.dumps(
                document(
                    self._deployer_statements(
                        v[0],
                        role_name=role_name,
                        execution_role_arn=v[1],
                        github_provider_arn=v[2],
                        subnet_ids=tuple(v[3]),
                        security_group_ids=tuple(v[4]),
                    )
                )
            )
        )
        aws.iam.RolePolicy(
            f"{self._name}-deployer-policy",
            role=role.name,
            name="pulumi-deployer",
            policy=policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        telemetry = aws.iam.Policy(
            f"{self._name}-deployer-telemetry-policy",
            name=deployer_telemetry_policy_name(self._runtime_name),
            description=f"Manages the observability resources of the {self._runtime_name} runtime",
            policy=self._aws.apply(
                lambda ctx: json.dumps(
                    document(deployer_telemetry_statements(**ctx.scope(self._runtime_name), config=self._settings.observability))
                )
            ),
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicyAttachment(
            f"{self._name}-deployer-telemetry",
            role=role.name,
            policy_arn=telemetry.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )
        return role


    def _deployer_statements(
        self,
        ctx: AwsContext,
        *,
        role_name: str,
        execution_role_arn: str,
        github_provider_arn: str | None,
        subnet_ids: tuple[str, ...],
        security_group_ids: tuple[str, ...],
    ) -> list[Statement]:
        """The deployer's inline permissions: the runtime, its roles, image and state."""
        s = self._settings
        builds = s.image.builds
        return deployer_statements(
            DeployerScope(
                **ctx.scope(self._runtime_name),
                execution_role_arn=execution_role_arn,
                deployer_role_arn=role_arn(ctx.partition, ctx.account_id, role_name),
                telemetry_policy_arn=policy_arn(
                    ctx.partition, ctx.account_id, deployer_telemetry_policy_name(self._runtime_name)
                ),
                repository_name=self._repository_name if builds else None,
                ecr_kms_key_arn=s.repository.kms_key_arn if builds else None,
                permissions_boundary_arn=s.permissions_boundary_arn,
                github_provider_arn=github_provider_arn,
                state_bucket=s.deployer.state_bucket,
                state_prefix=s.deployer.state_prefix,
                secrets_kms_key_arn=s.deployer.secrets_kms_key_arn,
                subnet_ids=subnet_ids,
                security_group_ids=security_group_ids,
            )
        )


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

