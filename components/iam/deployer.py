"""The deployer role: assumed by later `pulumi up` / `pulumi preview` runs, locally or in CI. Who
may assume it (listed principals, GitHub Actions runs through OIDC) and what it may do (this
stack's resources and nothing else); the observability share is in `telemetry`, in a managed
policy of its own.

Sources: the AWS::BedrockAgentCore::Runtime / RuntimeEndpoint handler permissions in the
CloudFormation schema (what creating and updating the resources calls; aws-native drives them
through Cloud Control, which calls them with the deployer's credentials), and GitHub's OIDC guide
for AWS.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from ..github_oidc import GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST
from .arns import ecr_repository_arn, runtime_arn_pattern, workload_identity_arn_pattern, workload_identity_directory_arn
from .documents import PolicyDocument, Statement, allow, document
from .kms import deployer_stack_key_statements
from .memory import deployer_memory_statements
from .runtime import AGENTCORE_SERVICE


@dataclass(frozen=True)
class GithubTrust:
    """Which GitHub Actions runs may assume the deployer role (OIDC `sub` claims)."""

    repository: str
    branches: tuple[str, ...] = ("main",)
    environments: tuple[str, ...] = ()
    pull_requests: bool = False

    def subjects(self) -> list[str]:
        base = f"repo:{self.repository}"
        return [
            *(f"{base}:ref:refs/heads/{b}" for b in self.branches),
            *(f"{base}:environment:{e}" for e in self.environments),
            *([f"{base}:pull_request"] if self.pull_requests else []),
        ]


# The principal tag every assumer must carry when no principal is named (outside production).
DEPLOYER_PRINCIPAL_TAG = "AgentCoreDeployer"
DEPLOYER_PRINCIPAL_TAG_VALUE = "true"


def deployer_trust_policy(
    *,
    partition: str,
    account_id: str,
    principal_arns: Sequence[str],
    github: GithubTrust | None,
    github_provider_arn: str | None,
    role_names: Sequence[str] = (),
) -> PolicyDocument:
    """Who may assume the deployer: the listed principals, this account's roles named in
    `role_names`, and/or the GitHub subjects. The trust is never open to `*`.

    With none of them, identities of this account that carry the principal tag
    `AgentCoreDeployer=true` (and whose own IAM policies allow `sts:AssumeRole` on this role):
    trusting the bare account would let anyone whose policy allows `sts:AssumeRole` on `*` (an
    administrator, but also PowerUserAccess) deploy, and so rewrite the execution role. Tagging an
    identity takes IAM permissions, so the tag is the account administrator's decision. Production
    stacks never get this default (`rules` refuses it at preview).
    """
    statements: list[Statement] = []
    principals = list(
        dict.fromkeys([*principal_arns, *(f"arn:{partition}:iam::{account_id}:role/{name}" for name in role_names)])
    )
    if principals:
        statements.append(
            {
                "Sid": "TrustedPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": "sts:AssumeRole",
            }
        )
    elif github is None:
        statements.append(
            {
                "Sid": "TaggedAccountPrincipals",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {f"aws:PrincipalTag/{DEPLOYER_PRINCIPAL_TAG}": DEPLOYER_PRINCIPAL_TAG_VALUE}},
            }
        )
    if github is not None:
        if not github_provider_arn:
            raise ValueError("GitHub trust needs the OIDC provider's ARN")
        statements.append(
            {
                "Sid": "GithubActionsOidc",
                "Effect": "Allow",
                "Principal": {"Federated": github_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": github.subjects(),
                    }
                },
            }
        )
    return document(statements)


@dataclass(frozen=True)
class DeployerScope:
    """Everything the deployer may touch, as plain strings."""

    partition: str
    region: str
    account_id: str
    runtime_name: str
    execution_role_arn: str
    deployer_role_arn: str
    # The managed policy with the deployer's observability share (read-only for the deployer).
    telemetry_policy_arn: str | None = None
    repository_name: str | None = None
    ecr_kms_key_arn: str | None = None
    permissions_boundary_arn: str | None = None
    github_provider_arn: str | None = None
    state_bucket: str | None = None
    state_prefix: str = ""
    secrets_kms_key_arn: str | None = None
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    # The endpoint the post-deploy check invokes (DEFAULT or a named one); None: no check.
    post_deploy_check_qualifier: str | None = None
    # The stack's own KMS key and its alias, when the stack creates one.
    stack_key_arn: str | None = None
    stack_key_alias: str | None = None
    # The repository check before encrypting it (`components.image`) lists the region's repositories.
    lists_repositories: bool = False
    # The memory the stack creates (its ARN pattern) and the key it is encrypted with; None: none.
    memory_arn_pattern: str | None = None
    memory_key_arn: str | None = None

    def where(self) -> dict[str, str]:
        """The keyword arguments of builders that need only the place: partition, region, account."""
        return {"partition": self.partition, "region": self.region, "account_id": self.account_id}


# IAM write actions on the execution role that accept the `iam:PermissionsBoundary` condition.
_BOUNDED_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
)


def deployer_statements(scope: DeployerScope) -> list[Statement]:
    """What later deployments of this stack need, and nothing beyond this stack's resources (the
    observability resources' share is `telemetry.deployer_telemetry_statements`, in a managed
    policy of its own: together they can pass IAM's 10,240-character limit on a role's inline
    policies).

    The deployer may change the execution role but not itself (nor the GitHub OIDC provider):
    widening its own permissions or trust takes the credentials that bootstrapped the stack. With
    a permissions boundary configured, it can only write the execution role while that role keeps
    the boundary, and can never remove it.
    """
    return [
        *_runtime_statements(scope),
        *_role_statements(scope),
        *_ecr_statements(scope),
        *_vpc_statements(scope),
        *_state_statements(scope),
        *_post_deploy_check_statements(scope),
        *_stack_key_statements(scope),
        *_memory_statements(scope),
    ]


def _memory_statements(scope: DeployerScope) -> list[Statement]:
    """The stack's memory (`memory.deployer_memory_statements`), when it creates one."""
    if scope.memory_arn_pattern is None:
        return []
    return deployer_memory_statements(
        **scope.where(), memory_arn_pattern=scope.memory_arn_pattern, key_arn=scope.memory_key_arn
    )


def _stack_key_statements(scope: DeployerScope) -> list[Statement]:
    """The stack's own key (`kms.deployer_stack_key_statements`), when it has one."""
    if not (scope.stack_key_arn and scope.stack_key_alias):
        return []
    return deployer_stack_key_statements(**scope.where(), key_arn=scope.stack_key_arn, alias_name=scope.stack_key_alias)


def _post_deploy_check_statements(scope: DeployerScope) -> list[Statement]:
    """The post-deploy check invokes the new version once through one endpoint and stops the
    session it opened; only when the check is on, only this runtime and that endpoint."""
    if scope.post_deploy_check_qualifier is None:
        return []
    runtime = runtime_arn_pattern(scope.partition, scope.region, scope.account_id, scope.runtime_name)
    return [
        allow(
            "PostDeployCheck",
            ["bedrock-agentcore:InvokeAgentRuntime", "bedrock-agentcore:StopRuntimeSession"],
            [runtime, f"{runtime}/runtime-endpoint/{scope.post_deploy_check_qualifier}"],
        )
    ]


def _runtime_statements(scope: DeployerScope) -> list[Statement]:
    """Cloud Control and the runtime, its endpoints and its workload identity."""
    p, r, a = scope.partition, scope.region, scope.account_id
    runtime = runtime_arn_pattern(p, r, a, scope.runtime_name)
    return [
        allow(
            "CloudControl",
            [
                "cloudformation:CreateResource",
                "cloudformation:DeleteResource",
                "cloudformation:GetResource",
                "cloudformation:GetResourceRequestStatus",
                "cloudformation:UpdateResource",
            ],
            "*",
        ),
        # CreateAgentRuntime has no resource-level permissions; PassExecutionRole below limits
        # what it can create to runtimes running as this stack's execution role.
        allow("AgentRuntimeCreate", ["bedrock-agentcore:CreateAgentRuntime"], "*"),
        allow(
            "AgentRuntimeManage",
            [
                "bedrock-agentcore:CreateAgentRuntimeEndpoint",
                "bedrock-agentcore:DeleteAgentRuntime",
                "bedrock-agentcore:DeleteAgentRuntimeEndpoint",
                "bedrock-agentcore:GetAgentRuntime",
                "bedrock-agentcore:GetAgentRuntimeEndpoint",
                "bedrock-agentcore:ListTagsForResource",
                "bedrock-agentcore:TagResource",
                "bedrock-agentcore:UntagResource",
                "bedrock-agentcore:UpdateAgentRuntime",
                "bedrock-agentcore:UpdateAgentRuntimeEndpoint",
            ],
            [runtime, f"{runtime}/runtime-endpoint/*"],
        ),
        allow(
            "AgentRuntimeWorkloadIdentity",
            [
                "bedrock-agentcore:CreateWorkloadIdentity",
                "bedrock-agentcore:DeleteWorkloadIdentity",
                "bedrock-agentcore:TagResource",
            ],
            [workload_identity_directory_arn(p, r, a), workload_identity_arn_pattern(p, r, a, scope.runtime_name)],
        ),
        allow(
            "PassExecutionRole",
            ["iam:PassRole"],
            [scope.execution_role_arn],
            {"StringEquals": {"iam:PassedToService": AGENTCORE_SERVICE}},
        ),
        allow(
            "AgentCoreServiceLinkedRoles",
            ["iam:CreateServiceLinkedRole"],
            [f"arn:{p}:iam::{a}:role/aws-service-role/*.{AGENTCORE_SERVICE}/AWSServiceRoleForBedrockAgentCore*"],
            {"StringLike": {"iam:AWSServiceName": f"*.{AGENTCORE_SERVICE}"}},
        ),
    ]


def _role_statements(scope: DeployerScope) -> list[Statement]:
    """The execution role (writable, within the boundary), and read access to the stack's roles,
    its telemetry policy and the GitHub OIDC provider."""
    statements: list[Statement] = []
    bounded = list(_BOUNDED_ROLE_ACTIONS)
    boundary_condition = None
    if scope.permissions_boundary_arn:
        bounded.append("iam:PutRolePermissionsBoundary")
        boundary_condition = {"StringEquals": {"iam:PermissionsBoundary": scope.permissions_boundary_arn}}
    statements.append(allow("ExecutionRoleWrite", sorted(bounded), [scope.execution_role_arn], boundary_condition))
    statements.append(allow("ExecutionRoleTagging", ["iam:TagRole", "iam:UntagRole"], [scope.execution_role_arn]))
    statements.append(
        allow(
            "StackRolesRead",
            [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
                "iam:ListRolePolicies",
                "iam:ListRoleTags",
            ],
            [scope.execution_role_arn, scope.deployer_role_arn],
        )
    )
    if scope.telemetry_policy_arn:
        statements.append(
            allow(
                "TelemetryPolicyRead",
                ["iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyTags", "iam:ListPolicyVersions"],
                [scope.telemetry_policy_arn],
            )
        )
    if scope.github_provider_arn:
        statements.append(
            allow(
                "GithubOidcProviderRead",
                ["iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags"],
                [scope.github_provider_arn],
            )
        )
    return statements


def _ecr_statements(scope: DeployerScope) -> list[Statement]:
    """Push to and manage this stack's repository (only when the component builds the image)."""
    if not scope.repository_name:
        return []
    repository = ecr_repository_arn(scope.partition, scope.region, scope.account_id, scope.repository_name)
    statements = [
        allow(
            "EcrRepository",
            [
                "ecr:BatchCheckLayerAvailability",
                "ecr:BatchGetImage",
                "ecr:CompleteLayerUpload",
                "ecr:CreateRepository",
                "ecr:DeleteLifecyclePolicy",
                "ecr:DeleteRepository",
                "ecr:DescribeRepositories",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetLifecyclePolicy",
                "ecr:InitiateLayerUpload",
                "ecr:ListTagsForResource",
                "ecr:PutImage",
                "ecr:PutImageScanningConfiguration",
                "ecr:PutImageTagMutability",
                "ecr:PutLifecyclePolicy",
                "ecr:TagResource",
                "ecr:UntagResource",
                "ecr:UploadLayerPart",
            ],
            [repository],
        ),
        allow("EcrAuthorizationToken", ["ecr:GetAuthorizationToken"], "*"),
    ]
    if scope.ecr_kms_key_arn:
        # ECR validates the key and adds its own grants with the caller's credentials (and retires
        # them when the repository goes: AWS::ECR::Repository's handler permissions).
        statements.append(allow("EcrKmsKeyDescribe", ["kms:DescribeKey", "kms:RetireGrant"], [scope.ecr_kms_key_arn]))
        statements.append(
            allow("EcrKmsKeyGrant", ["kms:CreateGrant"], [scope.ecr_kms_key_arn], {"Bool": {"kms:GrantIsForAWSResource": "true"}})
        )
    if scope.lists_repositories:
        # Whether the repository exists already, and how it is encrypted, before the component
        # asks for an encryption ECR cannot change: DescribeRepositories without names lists the
        # region's repositories; reading this one (pulumi-aws's ecr.get_repository) also lists its
        # newest image tags (DescribeImages).
        p, r, a = scope.partition, scope.region, scope.account_id
        statements.append(allow("EcrRepositoriesRead", ["ecr:DescribeRepositories"], [f"arn:{p}:ecr:{r}:{a}:repository/*"]))
        statements.append(allow("EcrRepositoryImagesRead", ["ecr:DescribeImages"], [repository]))
    return statements


def _vpc_statements(scope: DeployerScope) -> list[Statement]:
    """Network interfaces in the configured subnets and security groups (VPC mode)."""
    if not (scope.subnet_ids or scope.security_group_ids):
        return []
    p, r, a = scope.partition, scope.region, scope.account_id
    return [
        allow("VpcDescribe", ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"], "*"),
        allow(
            "VpcNetworkInterfaces",
            ["ec2:CreateNetworkInterface"],
            [
                f"arn:{p}:ec2:{r}:{a}:network-interface/*",
                *(f"arn:{p}:ec2:{r}:{a}:subnet/{s}" for s in scope.subnet_ids),
                *(f"arn:{p}:ec2:{r}:{a}:security-group/{g}" for g in scope.security_group_ids),
            ],
        ),
    ]


def _state_statements(scope: DeployerScope) -> list[Statement]:
    """The state backend's objects under this project's prefix, and the secrets provider's key."""
    p = scope.partition
    statements: list[Statement] = []
    if scope.state_bucket:
        prefix = scope.state_prefix.strip("/")
        objects = f"arn:{p}:s3:::{scope.state_bucket}/{prefix + '/' if prefix else ''}*"
        list_condition = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}} if prefix else None
        statements.append(allow("StateBucketList", ["s3:ListBucket"], [f"arn:{p}:s3:::{scope.state_bucket}"], list_condition))
        statements.append(allow("StateObjects", ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"], [objects]))
    if scope.secrets_kms_key_arn:
        # Encrypt/Decrypt: Pulumi's awskms:// secrets provider. GenerateDataKey/Decrypt: S3 writes
        # and reads the SSE-KMS state objects with the caller's credentials (the bootstrap's key
        # policy lets data keys be made only through S3 for the state bucket).
        statements.append(
            allow("StateSecretsKey", ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"], [scope.secrets_kms_key_arn])
        )
    return statements
