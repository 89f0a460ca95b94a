"""The deployer: the least-privilege role later `pulumi up` / `pulumi preview` runs assume, its
trust (listed principals and/or GitHub Actions through OIDC, with the OIDC provider when the stack
creates it), its inline policy and the managed policy with its observability share.

Children of `AgentCoreRuntime` (the parent passed in), named `<name>-deployer-role` and so on as
they always were: moving this code out of the component changed no URN.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from .aws_context import AwsContext
from .github_oidc import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_URL
from .iam.arns import memory_arn_pattern, policy_arn, role_arn
from .iam.deployer import DeployerScope, GithubTrust, deployer_statements, deployer_trust_policy
from .iam.documents import document
from .iam.telemetry import deployer_telemetry_statements
from .memory import memory_name
from .names import deployer_role_name, deployer_telemetry_policy_name, stack_key_alias_name
from .settings import RuntimeSettings

MAX_SESSION_SECONDS = 3600


@dataclass(frozen=True)
class DeployerInputs:
    """What the deployer is built from, all owned by the parent component."""

    name: str
    runtime_name: str
    settings: RuntimeSettings
    tags: dict[str, str]
    aws: pulumi.Output[AwsContext]
    execution_role_arn: pulumi.Output[str]
    repository_name: str | None
    subnet_ids: pulumi.Output[list[str]]
    security_group_ids: pulumi.Output[list[str]]
    # The stack's encryption key (`encryption.kms_key`: its own or a brought one), and whether the
    # stack created it; None without one.
    encryption_key_arn: pulumi.Output[str] | None = None
    creates_key: bool = False


class Deployer:
    """Creates the deployer's resources under `parent`; `role` is the deployer role."""

    def __init__(self, parent: pulumi.Resource, inputs: DeployerInputs) -> None:
        self._parent = parent
        self._in = inputs
        self._role_name = deployer_role_name(inputs.runtime_name)
        provider_arn, managed_provider_arn = self._github_provider()
        self.role = self._role(provider_arn)
        self._inline_policy(managed_provider_arn)
        self._telemetry_policy()

    def _opts(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self._parent)

    def _github_provider(self) -> tuple[pulumi.Input[Optional[str]], pulumi.Input[Optional[str]]]:
        """(the OIDC provider's ARN for the trust, the same ARN when this stack manages it)."""
        github = self._in.settings.deployer.github
        if github is None:
            return None, None
        if not github.create_provider:
            return github.provider_arn, None
        provider = aws.iam.OpenIdConnectProvider(
            f"{self._in.name}-github-oidc",
            url=GITHUB_OIDC_URL,
            client_id_lists=[GITHUB_OIDC_AUDIENCE],
            tags=self._in.tags,
            opts=self._opts(),
        )
        return provider.arn, provider.arn

    def _role(self, provider_arn: pulumi.Input[Optional[str]]) -> aws.iam.Role:
        d = self._in.settings.deployer
        github = (
            GithubTrust(
                repository=d.github.repository,
                branches=d.github.branches,
                environments=d.github.environments,
                pull_requests=d.github.pull_requests,
            )
            if d.github is not None
            else None
        )
        trust = pulumi.Output.all(ctx=self._in.aws, provider_arn=provider_arn).apply(
            lambda v: json.dumps(
                deployer_trust_policy(
                    partition=v["ctx"].partition,
                    account_id=v["ctx"].account_id,
                    principal_arns=d.trusted_principal_arns,
                    role_names=d.trusted_role_names,
                    github=github,
                    github_provider_arn=v["provider_arn"],
                )
            )
        )
        return aws.iam.Role(
            f"{self._in.name}-deployer-role",
            name=self._role_name,
            description=f"Deploys the {pulumi.get_project()}/{pulumi.get_stack()} stack (pulumi up / preview)",
            assume_role_policy=trust,
            permissions_boundary=self._in.settings.permissions_boundary_arn,
            max_session_duration=MAX_SESSION_SECONDS,
            tags=self._in.tags,
            opts=self._opts(),
        )

    def _inline_policy(self, managed_provider_arn: pulumi.Input[Optional[str]]) -> None:
        """The runtime, its roles, image and state (`iam.deployer.deployer_statements`)."""
        policy = pulumi.Output.all(
            ctx=self._in.aws,
            execution_role_arn=self._in.execution_role_arn,
            github_provider_arn=managed_provider_arn,
            subnet_ids=self._in.subnet_ids,
            security_group_ids=self._in.security_group_ids,
            encryption_key_arn=self._in.encryption_key_arn,
        ).apply(lambda v: json.dumps(document(deployer_statements(self._scope(**v)))))
        aws.iam.RolePolicy(
            f"{self._in.name}-deployer-policy",
            role=self.role.name,
            name="pulumi-deployer",
            policy=policy,
            opts=self._opts(),
        )

    def _scope(
        self,
        *,
        ctx: AwsContext,
        execution_role_arn: str,
        github_provider_arn: str | None,
        subnet_ids: list[str],
        security_group_ids: list[str],
        encryption_key_arn: str | None,
    ) -> DeployerScope:
        s = self._in.settings
        builds = s.image.builds
        repository_key = encryption_key_arn if s.encryption.repository else None
        return DeployerScope(
            **ctx.scope(self._in.runtime_name),
            execution_role_arn=execution_role_arn,
            deployer_role_arn=role_arn(ctx.partition, ctx.account_id, self._role_name),
            telemetry_policy_arn=policy_arn(ctx.partition, ctx.account_id, deployer_telemetry_policy_name(self._in.runtime_name)),
            repository_name=self._in.repository_name if builds else None,
            ecr_kms_key_arn=(repository_key or s.repository.kms_key_arn) if builds else None,
            lists_repositories=builds and repository_key is not None,
            stack_key_arn=encryption_key_arn if self._in.creates_key else None,
            stack_key_alias=stack_key_alias_name(self._in.runtime_name) if self._in.creates_key else None,
            permissions_boundary_arn=s.permissions_boundary_arn,
            github_provider_arn=github_provider_arn,
            state_bucket=s.deployer.state_bucket,
            state_prefix=s.deployer.state_prefix,
            secrets_kms_key_arn=s.deployer.secrets_kms_key_arn,
            subnet_ids=tuple(subnet_ids),
            security_group_ids=tuple(security_group_ids),
            post_deploy_check_qualifier=s.post_deploy_check_qualifier,
            memory_arn_pattern=(
                memory_arn_pattern(ctx.partition, ctx.region, ctx.account_id, memory_name(self._in.runtime_name))
                if s.memory.creates
                else None
            ),
            memory_key_arn=encryption_key_arn if s.memory.creates else None,
        )

    def _telemetry_policy(self) -> None:
        """The observability share, in a managed policy: with the inline policy it could pass
        IAM's 10,240-character limit on a role's inline policies."""
        runtime_name = self._in.runtime_name
        observability = self._in.settings.observability
        telemetry = aws.iam.Policy(
            f"{self._in.name}-deployer-telemetry-policy",
            name=deployer_telemetry_policy_name(runtime_name),
            description=f"Manages the observability resources of the {runtime_name} runtime",
            policy=self._in.aws.apply(
                lambda ctx: json.dumps(document(deployer_telemetry_statements(**ctx.scope(runtime_name), config=observability)))
            ),
            tags=self._in.tags,
            opts=self._opts(),
        )
        aws.iam.RolePolicyAttachment(
            f"{self._in.name}-deployer-telemetry",
            role=self.role.name,
            policy_arn=telemetry.arn,
            opts=self._opts(),
        )
