"""Every bad-input rule, table-driven: each fails before any AWS call with a message that names the
config key (or component argument) and states the rule."""

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from components.errors import ConfigError
from components.observability.settings import ObservabilityConfig
from components.rules import validate_args
from components.schema import CONFIG_KEYS
from components.stack_config import config_to_args, provider_region_problems, settings_from_config

DIGEST = "sha256:" + "0f" * 32
ECR_URI = f"123456789012.dkr.ecr.us-east-1.amazonaws.com/agent@{DIGEST}"
DISCOVERY = "https://issuer.example.com/.well-known/openid-configuration"
PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


@dataclass(frozen=True)
class Case:
    name: str
    config: dict[str, Any]
    key: str
    says: str
    # The argument path a component caller sees; None derives it from `key`, "" = config-only rule.
    arg: str | None = None


def _headers(n: int) -> list[str]:
    return [f"X-Custom-{i}" for i in range(n)]


CASES = [
    Case("runtime name with hyphen", {"runtimeName": "my-agent"}, "runtimeName", "[a-zA-Z][a-zA-Z0-9_]{0,47}"),
    Case("runtime name too long", {"runtimeName": "a" * 49}, "runtimeName", "[a-zA-Z][a-zA-Z0-9_]{0,47}"),
    Case("runtime name starts with digit", {"runtimeName": "1agent"}, "runtimeName", "start with a letter"),
    Case("endpoint name with hyphen", {"endpointName": "live-1"}, "endpointName", "[a-zA-Z][a-zA-Z0-9_]{0,47}"),
    Case("endpoint named DEFAULT", {"endpointName": "default"}, "endpointName", "built-in endpoint"),
    Case("endpoint version not a number", {"endpointName": "live", "endpointVersion": "v2"}, "endpointVersion", "runtime version number"),
    Case("endpoint version without endpoint", {"endpointVersion": "2"}, "endpointName", "is required"),
    Case("endpoint description too long", {"endpointName": "live", "endpointDescription": "d" * 257}, "endpointDescription", "1-256 characters"),
    Case("check prompt blank", {"postDeployCheckPrompt": "   "}, "postDeployCheckPrompt", "must not be blank"),
    Case("check prompt too long", {"postDeployCheckPrompt": "p" * 10_001}, "postDeployCheckPrompt", "1-10000 characters"),
    Case("check timeout below 5", {"postDeployCheckPrompt": "Hi", "postDeployCheckTimeoutSeconds": 4}, "postDeployCheckTimeoutSeconds", "between 5 and 900 seconds"),
    Case("check timeout above 900", {"postDeployCheckPrompt": "Hi", "postDeployCheckTimeoutSeconds": 901}, "postDeployCheckTimeoutSeconds", "between 5 and 900 seconds"),
    Case("check timeout without prompt", {"postDeployCheckTimeoutSeconds": 60}, "postDeployCheckPrompt", "is required"),
    Case("idle below 60", {"idleTimeoutSeconds": 59}, "idleTimeoutSeconds", "between 60 and 28800 seconds"),
    Case("max lifetime above 28800", {"maxLifetimeSeconds": 28801}, "maxLifetimeSeconds", "between 60 and 28800 seconds"),
    Case("idle above max lifetime", {"idleTimeoutSeconds": 1000, "maxLifetimeSeconds": 900}, "idleTimeoutSeconds", "must not exceed"),
    Case("too many env vars", {"environmentVariables": {f"V{i}": "x" for i in range(40)}}, "environmentVariables", "at most 38 variables"),
    Case("env key pattern", {"environmentVariables": {"1BAD": "x"}}, "environmentVariables", "[a-zA-Z_][a-zA-Z0-9_]*"),
    Case("env key with dash", {"environmentVariables": {"MY-VAR": "x"}}, "environmentVariables", "[a-zA-Z_][a-zA-Z0-9_]*"),
    Case("env value too long", {"environmentVariables": {"BIG": "x" * 2049}}, "environmentVariables", "limited to 2048 characters"),
    Case("env var the component sets", {"environmentVariables": {"AWS_REGION": "x"}}, "environmentVariables", "set by the component"),
    Case("model id in env", {"environmentVariables": {"MODEL_ID": "x"}}, "environmentVariables", "set by the component"),
    Case("region shadowed in env", {"environmentVariables": {"AWS_DEFAULT_REGION": "x"}}, "environmentVariables", "set by the component"),
    Case("otel setup in env", {"environmentVariables": {"OTEL_TRACES_EXPORTER": "none"}}, "environmentVariables", "OpenTelemetry setup"),
    Case("prompt capture in env", {"environmentVariables": {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}}, "environmentVariables", "set by the component"),
    Case("memory id in env", {"environmentVariables": {"BEDROCK_AGENTCORE_MEMORY_ID": "mem-0123456789"}}, "environmentVariables", "set by the component"),
    Case("memory namespaces in env", {"environmentVariables": {"MEMORY_LONG_TERM_NAMESPACES": "[]"}}, "environmentVariables", "memory"),
    Case("credentials in env", {"environmentVariables": {"AWS_SECRET_ACCESS_KEY": "x"}}, "environmentVariables", "credentials must not be environment variables"),
    Case("too many headers", {"requestHeaderAllowlist": _headers(21)}, "requestHeaderAllowlist", "at most 20 headers"),
    Case("header name with space", {"requestHeaderAllowlist": ["Bad Header"]}, "requestHeaderAllowlist", "not a valid header name"),
    Case("restricted header", {"requestHeaderAllowlist": ["Content-Type"]}, "requestHeaderAllowlist", "restricted header"),
    Case("x-amz header", {"requestHeaderAllowlist": ["X-Amz-Date"]}, "requestHeaderAllowlist", "reserved by AWS"),
    Case("x-amzn header", {"requestHeaderAllowlist": ["X-Amzn-Trace-Id"]}, "requestHeaderAllowlist", "reserved by AWS"),
    Case("duplicate header", {"requestHeaderAllowlist": ["X-Team", "x-team"]}, "requestHeaderAllowlist", "listed twice"),
    Case("authorization without jwt", {"requestHeaderAllowlist": ["Authorization"]}, "requestHeaderAllowlist", "only with a JWT authorizer"),
    Case(
        "20 headers plus authorization",
        {"requestHeaderAllowlist": _headers(20), "jwtDiscoveryUrl": DISCOVERY, "jwtAllowedClients": ["c"]},
        "requestHeaderAllowlist",
        "at most 19 headers with a JWT authorizer",
    ),
    Case("discovery url form", {"jwtDiscoveryUrl": "https://issuer.example.com/", "jwtAllowedClients": ["c"]}, "jwtDiscoveryUrl", "ending in /.well-known/openid-configuration"),
    Case("discovery url not https", {"jwtDiscoveryUrl": DISCOVERY.replace("https", "http"), "jwtAllowedClients": ["c"]}, "jwtDiscoveryUrl", "https://"),
    Case("jwt options without discovery url", {"jwtAllowedClients": ["c"]}, "jwtDiscoveryUrl", "is required"),
    Case("jwt accepting every client", {"jwtDiscoveryUrl": DISCOVERY}, "jwtAllowedAudiences", "agentcore:jwtAllowedClients"),
    Case("jwt scope with space", {"jwtDiscoveryUrl": DISCOVERY, "jwtAllowedClients": ["c"], "jwtAllowedScopes": ["a b"]}, "jwtAllowedScopes", "not a valid OAuth scope"),
    Case("vpc without subnets", {"networkMode": "VPC", "securityGroupIds": ["sg-0123456789abcdef0"]}, "subnetIds", "VPC mode"),
    Case("vpc without security groups", {"networkMode": "VPC", "subnetIds": ["subnet-0123456789abcdef0"]}, "securityGroupIds", "VPC mode"),
    Case("subnets in public mode", {"subnetIds": ["subnet-0123456789abcdef0"]}, "subnetIds", "apply only to VPC mode"),
    Case("subnet id form", {"networkMode": "VPC", "subnetIds": ["subnet-1"], "securityGroupIds": ["sg-0123456789abcdef0"]}, "subnetIds", "is not a subnet-"),
    Case("too many subnets", {"networkMode": "VPC", "subnetIds": [f"subnet-{i:017d}" for i in range(17)], "securityGroupIds": ["sg-0123456789abcdef0"]}, "subnetIds", "at most 16 ids"),
    Case("unknown network mode", {"networkMode": "PRIVATE"}, "networkMode", "'PUBLIC' or 'VPC'"),
    Case("model id not a model", {"modelId": "claude"}, "modelId", "neither a foundation model id"),
    Case("model id unknown profile prefix", {"modelId": "usa.anthropic.claude-3-haiku-20240307-v1:0"}, "modelId", "unknown inference profile prefix"),
    Case("model id as arn", {"modelId": "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0"}, "modelId", "is an ARN"),
    Case("additional model id", {"additionalModelIds": ["nope"]}, "additionalModelIds", "neither a foundation model id"),
    Case("image from docker hub", {"imageUri": "docker.io/library/python:3.12"}, "imageUri", "not an ECR image"),
    Case("image tag only", {"imageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:v1"}, "imageUri", "has no digest"),
    Case("image uri and repository settings", {"imageUri": ECR_URI, "keepImages": 5}, "keepImages", "applies only when the component builds", "args.repository"),
    Case("image uri and build setting", {"imageUri": ECR_URI, "buildOnPreview": False}, "buildOnPreview", "applies only when the component builds"),
    Case("unknown agent", {"agent": "go"}, "agent", "'python' or 'rust'"),
    Case("missing build context", {"imageContext": "no_such_dir"}, "imageContext", "is not a directory"),
    Case("context without dockerfile", {"imageContext": "empty_context"}, "imageContext", "no Dockerfile"),
    Case("repository name", {"repositoryName": "Bad_Name"}, "repositoryName", "not a valid ECR repository name"),
    Case("keep zero images", {"keepImages": 0}, "keepImages", "between 1 and 1000 images"),
    Case("keep more images than ECR counts", {"keepImages": 1001}, "keepImages", "between 1 and 1000 images, got 1001"),
    Case("ecr key as alias", {"ecrKmsKeyArn": "alias/ecr"}, "ecrKmsKeyArn", "must be a KMS key ARN"),
    Case("open trust", {"deployerTrustedPrincipalArns": ["*"]}, "deployerTrustedPrincipalArns", "'*' is never allowed"),
    Case("assumed-role session as principal", {"deployerTrustedPrincipalArns": ["arn:aws:sts::123456789012:assumed-role/x/y"]}, "deployerTrustedPrincipalArns", "role, user or account root ARN"),
    Case("github repository form", {"githubRepository": "noslash", "githubOidcProviderArn": PROVIDER}, "githubRepository", "<owner>/<repository>"),
    Case("github without provider", {"githubRepository": "org/repo"}, "githubOidcProviderArn", "agentcore:createGithubOidcProvider"),
    Case("github provider twice", {"githubRepository": "org/repo", "githubOidcProviderArn": PROVIDER, "createGithubOidcProvider": True}, "createGithubOidcProvider", "not both"),
    Case("github provider arn host", {"githubRepository": "org/repo", "githubOidcProviderArn": "arn:aws:iam::123456789012:oidc-provider/example.com"}, "githubOidcProviderArn", "token.actions.githubusercontent.com"),
    Case("github wildcard branch", {"githubRepository": "org/repo", "githubOidcProviderArn": PROVIDER, "githubBranches": ["*"]}, "githubBranches", "wildcards are not allowed"),
    Case("github trusts nothing", {"githubRepository": "org/repo", "githubOidcProviderArn": PROVIDER, "githubBranches": []}, "githubBranches", "trust at least one"),
    Case("state prefix without bucket", {"stateKeyPrefix": "agentcore"}, "stateKeyPrefix", "agentcore:stateBucket"),
    Case("state bucket name", {"stateBucket": "Bad_Bucket"}, "stateBucket", "S3 bucket name"),
    Case("secrets key form", {"secretsKmsKeyArn": "awskms://alias/pulumi"}, "secretsKmsKeyArn", "must be a KMS key ARN"),
    Case("deployer disabled but configured", {"deployerRole": False, "deployerTrustedPrincipalArns": ["arn:aws:iam::123456789012:root"]}, "deployerTrustedPrincipalArns", "has no effect"),
    Case("encryption key neither stack nor arn", {"encryptionKey": "alias/agents"}, "encryptionKey", "must be 'stack' (create this stack's own key) or a KMS key ARN"),
    Case("encryption key typo", {"encryptionKey": "Stack"}, "encryptionKey", "must be 'stack'"),
    Case("deletion window below 7", {"encryptionKey": "stack", "encryptionKeyDeletionWindowDays": 6}, "encryptionKeyDeletionWindowDays", "between 7 and 30 days"),
    Case("deletion window above 30", {"encryptionKey": "stack", "encryptionKeyDeletionWindowDays": 31}, "encryptionKeyDeletionWindowDays", "between 7 and 30 days"),
    Case("deletion window for a brought key", {"encryptionKey": "arn:aws:kms:us-west-2:123456789012:key/abc", "encryptionKeyDeletionWindowDays": 7}, "encryptionKeyDeletionWindowDays", "only to the stack's own key"),
    Case("deletion window without a key", {"encryptionKeyDeletionWindowDays": 7}, "encryptionKeyDeletionWindowDays", "has no effect without agentcore:encryptionKey"),
    Case("repository switch without a key", {"encryptRepository": False}, "encryptRepository", "has no effect without agentcore:encryptionKey"),
    Case("encryption key and ecr key", {"encryptionKey": "stack", "ecrKmsKeyArn": "arn:aws:kms:us-west-2:123456789012:key/abc"}, "ecrKmsKeyArn", "set either this or agentcore:encryptionKey"),
    Case("encryption key and log key", {"encryptionKey": "stack", "observability": {"logKmsKeyArn": "arn:aws:kms:us-west-2:123456789012:key/abc"}}, "observability.logKmsKeyArn", "set either this or agentcore:encryptionKey"),
    Case("memory expiry below 3", {"memory": True, "memoryEventExpiryDays": 2}, "memoryEventExpiryDays", "between 3 and 365 days"),
    Case("memory expiry above 365", {"memory": True, "memoryEventExpiryDays": 366}, "memoryEventExpiryDays", "got 366"),
    Case("memory description too long", {"memory": True, "memoryDescription": "d" * 4097}, "memoryDescription", "1-4096 characters"),
    Case("memory namespace without actor", {"memory": True, "memorySemanticNamespace": "/facts"}, "memorySemanticNamespace", "must contain {actorId}"),
    Case("memory namespace with strategy id", {"memory": True, "memorySummaryNamespace": "/{memoryStrategyId}/{actorId}"}, "memorySummaryNamespace", "not {memoryStrategyId}"),
    Case("memory namespace characters", {"memory": True, "memoryUserPreferenceNamespace": "/users/{actorId}/pref erences"}, "memoryUserPreferenceNamespace", "must be a namespace template"),
    Case("memory namespace too long", {"memory": True, "memorySemanticNamespace": "/{actorId}/" + "n" * 502}, "memorySemanticNamespace", "1-512 characters"),
    Case("memory settings with memory off", {"memoryEventExpiryDays": 7}, "memoryEventExpiryDays", "has no effect while agentcore:memory is false"),
    Case("memory strategy with memory off", {"memorySemanticNamespace": "/users/{actorId}/facts"}, "memorySemanticNamespace", "has no effect while agentcore:memory is false"),
    Case("existing memory not an id", {"memory": True, "existingMemory": "my-memory"}, "existingMemory", "must be a memory id"),
    Case("existing memory arn of another service", {"memory": True, "existingMemory": "arn:aws:bedrock:us-west-2:123456789012:memory/m-0123456789"}, "existingMemory", "must be a memory id"),
    Case("existing memory with expiry", {"memory": True, "existingMemory": "shared-0123456789", "memoryEventExpiryDays": 7}, "memoryEventExpiryDays", "applies only to a memory this stack creates"),
    Case("existing memory with description", {"memory": True, "existingMemory": "shared-0123456789", "memoryDescription": "x"}, "memoryDescription", "remove agentcore:existingMemory"),
    Case("production names nobody", {"production": True}, "deployerTrustedPrincipalArns", "a production stack (agentcore:production) must name who may assume the deployer role"),
    Case("production trusts an account root", {"production": True, "deployerTrustedPrincipalArns": ["arn:aws:iam::123456789012:root"]}, "deployerTrustedPrincipalArns", "never a whole account"),
    Case("role name as arn", {"deployerTrustedRoleNames": ["arn:aws:iam::123456789012:role/x"]}, "deployerTrustedRoleNames", "must be an IAM role name"),
    Case("role name wildcard", {"deployerTrustedRoleNames": ["deployers-*"]}, "deployerTrustedRoleNames", "no wildcard"),
    Case("boundary not a policy", {"permissionsBoundaryArn": "arn:aws:iam::123456789012:role/boundary"}, "permissionsBoundaryArn", "managed policy ARN"),
    Case("reserved tag", {"tags": {"Environment": "other"}}, "tags", "set by the component"),
    Case("tag value characters", {"tags": {"team": "a,b"}}, "tags", "value 'a,b'"),
    Case("description too long", {"description": "d" * 1201}, "description", "1-1200 characters"),
    Case("environment not a tag value", {"environment": "dev,prod"}, "environment", "valid tag value"),
    Case("log level", {"logLevel": "TRACE"}, "logLevel", "'DEBUG', 'INFO', 'WARNING' or 'ERROR'"),
    Case("protocol", {"protocol": "GRPC"}, "protocol", "'HTTP', 'MCP', 'A2A' or 'AGUI'"),
    *(
        Case(f"observability {key}={value!r}", {"observability": {key: value}}, f"observability.{key}", rule)
        for key, value, rule in [
            ("logRetentionDays", 10, "must be one of CloudWatch's retention values"),
            ("logRetentionDays", 0, "must be one of CloudWatch's retention values"),
            ("logRetentionDays", 4000, "must be one of CloudWatch's retention values"),
            ("logRetentionDays", "14", "must be one of CloudWatch's retention values"),
            ("logRetentionDays", True, "must be one of CloudWatch's retention values"),
            ("indexingPercentage", -1, "must be a number from 0 to 100"),
            ("indexingPercentage", 100.5, "must be a number from 0 to 100"),
            ("indexingPercentage", "5", "must be a number from 0 to 100"),
            ("errorsThreshold", 0, "must be a positive number"),
            ("errorsThreshold", -3, "must be a positive number"),
            ("throttlesThreshold", 0, "must be a positive number"),
            ("latencyP99ThresholdMs", "fast", "must be a positive number"),
            ("latencyP99ThresholdMs", False, "must be a positive number"),
            ("alarmEvaluationPeriods", 0, "must be a positive whole number"),
            ("alarmEvaluationPeriods", 1.5, "must be a positive whole number"),
            ("alarmPeriodSeconds", 90, "must be a positive multiple of 60"),
            ("alarmPeriodSeconds", -60, "must be a positive whole number"),
            ("logKmsKeyArn", "alias/aws/logs", "must be a KMS key ARN"),
            ("alarmTopicArn", "agentcore-alarms", "must be an SNS topic ARN"),
            ("traces", "sometimes", "valid boolean"),
        ]
    ),
    Case("observability topic without alarms", {"observability": {"alarms": False, "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops"}}, "observability.alarmTopicArn", "has no effect while agentcore:observability.alarms is false"),
    Case("observability indexing without search", {"observability": {"indexingPercentage": 5}}, "observability.indexingPercentage", "has no effect while agentcore:observability.transactionSearch is false"),
    # Spans reach X-Ray only where Transaction Search is on (per account and region).
    Case("traces without transaction search", {"observability": {"traces": True}}, "observability.traces",
         "set agentcore:observability.transactionSearch (this stack turns it on), or agentcore:observability.transactionSearchEnabledInRegion"),
    Case("traces with search off in this stack", {"observability": {"traces": True, "transactionSearch": False}}, "observability.traces",
         "TRACES reach X-Ray only where CloudWatch Transaction Search is on"),
    Case("search stated on while this stack turns it on", {"observability": {"traces": True, "transactionSearch": True, "transactionSearchEnabledInRegion": True}},
         "observability.transactionSearchEnabledInRegion", "this stack turns Transaction Search on itself (agentcore:observability.transactionSearch)"),
    Case("plain runtime groups without runtime groups", {"observability": {"runtimeLogs": False, "adoptRuntimeLogGroups": False}},
         "observability.adoptRuntimeLogGroups", "has no effect while agentcore:observability.runtimeLogs is false"),
    Case("search stated on without traces", {"observability": {"transactionSearchEnabledInRegion": True}},
         "observability.transactionSearchEnabledInRegion", "has no effect while agentcore:observability.traces is false"),
    # Unknown keys keep their spelling on both paths (they have no setting name to map to).
    Case("observability unknown key", {"observability": {"retentionDays": 14}}, "observability.retentionDays", "is not a known setting", "args.observability.retentionDays"),
    Case("observability not an object", {"observability": ["logRetentionDays"]}, "observability", "must be an object of settings", ""),
    Case("misspelt key", {"idleTimeoutSecond": 900}, "idleTimeoutSecond", "did you mean agentcore:idleTimeoutSeconds", ""),
    Case("integer key given text", {"idleTimeoutSeconds": "soon"}, "idleTimeoutSeconds", "must be an integer", ""),
    Case("boolean key given text", {"buildOnPreview": "yes"}, "buildOnPreview", "must be true or false", ""),
    Case("array key given text", {"subnetIds": "subnet-0123456789abcdef0"}, "subnetIds", "must be a list of strings", ""),
    Case("object values must be scalars", {"environmentVariables": {"A": {"nested": 1}}}, "environmentVariables", "values must be strings", ""),
]


def _raw(config: dict[str, Any]) -> dict[str, str]:
    """Config in the form Pulumi hands it to a program: strings, JSON for arrays and objects."""
    out: dict[str, str] = {}
    for key, value in config.items():
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, (list, dict)):
            out[key] = json.dumps(value)
        else:
            out[key] = str(value)
    return out


@pytest.fixture(autouse=True)
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "agent_image").mkdir()
    (tmp_path / "agent_image" / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "empty_context").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _base(overrides: dict[str, Any]) -> dict[str, Any]:
    return {"modelId": "us.anthropic.claude-haiku-4-5-20251001-v1:0", **overrides}


def test_the_base_config_is_valid() -> None:
    _, settings = settings_from_config(_raw(_base({})))
    assert settings.model_id.startswith("us.")


@pytest.mark.parametrize("observability", [
    {"traces": True, "transactionSearch": True},  # this stack turns Transaction Search on
    {"traces": True, "transactionSearchEnabledInRegion": True},  # the user says it is on in the region
    {"transactionSearch": True},  # search without traces (other stacks' spans)
])
def test_traces_are_accepted_where_transaction_search_is_on(observability: dict[str, Any]) -> None:
    _, settings = settings_from_config(_raw(_base({"observability": observability})))
    assert settings.observability.transaction_search or settings.observability.transaction_search_enabled_in_region


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_config_names_the_key_and_the_rule(case: Case) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_config(_raw(_base(case.config)))
    messages = {p.key: p.message for p in info.value.problems}
    key = f"agentcore:{case.key}"
    matching = [k for k in messages if k == key or k.startswith(key + ".") or k.startswith(key + "[")]
    assert matching, f"no problem names {key}: {info.value}"
    assert any(case.says in messages[k] for k in matching), str(info.value)
    assert str(info.value).count("\n") + 1 == len(info.value.problems)


@pytest.mark.parametrize("case", [c for c in CASES if c.arg != ""], ids=[c.name for c in CASES if c.arg != ""])
def test_bad_arguments_name_the_argument_and_the_rule(case: Case) -> None:
    args = config_to_args(_raw(_base(case.config)))
    with pytest.raises(ConfigError) as info:
        validate_args(args)
    expected = case.arg or _arg_form(f"agentcore:{case.key}")
    messages = {p.key: p.message for p in info.value.problems}
    matching = [k for k in messages if k == expected or k.startswith(expected + ".") or k.startswith(expected + "[")]
    assert matching, f"no problem names {expected}: {info.value}"
    says = _arg_form(case.says)
    assert any(says in messages[k] for k in matching), str(info.value)


# The argument path a component caller sees for each config key, written out (not derived with
# the code under test), so a wrong mapping fails here.
ARG_PATHS = {
    "modelId": "args.model_id",
    "additionalModelIds": "args.additional_model_ids",
    "runtimeName": "args.runtime_name",
    "description": "args.description",
    "environment": "args.environment",
    "logLevel": "args.log_level",
    "protocol": "args.protocol",
    "idleTimeoutSeconds": "args.lifecycle.idle_timeout_seconds",
    "maxLifetimeSeconds": "args.lifecycle.max_lifetime_seconds",
    "networkMode": "args.network.mode",
    "subnetIds": "args.network.subnet_ids",
    "securityGroupIds": "args.network.security_group_ids",
    "environmentVariables": "args.environment_variables",
    "requestHeaderAllowlist": "args.request_header_allowlist",
    "jwtDiscoveryUrl": "args.jwt_authorizer.discovery_url",
    "jwtAllowedAudiences": "args.jwt_authorizer.allowed_audiences",
    "jwtAllowedClients": "args.jwt_authorizer.allowed_clients",
    "jwtAllowedScopes": "args.jwt_authorizer.allowed_scopes",
    "endpointName": "args.endpoint.name",
    "endpointVersion": "args.endpoint.pinned_version",
    "endpointDescription": "args.endpoint.description",
    "postDeployCheckPrompt": "args.post_deploy_check.prompt",
    "postDeployCheckTimeoutSeconds": "args.post_deploy_check.timeout_seconds",
    "imageUri": "args.image.uri",
    "agent": "args.image.agent",
    "imageContext": "args.image.context",
    "imageDockerfile": "args.image.dockerfile",
    "buildOnPreview": "args.image.build_on_preview",
    "githubActionsCache": "args.image.github_actions_cache",
    "repositoryName": "args.repository.name",
    "keepImages": "args.repository.keep_images",
    "ecrKmsKeyArn": "args.repository.kms_key_arn",
    "forceDeleteRepository": "args.repository.force_delete",
    "protectRepository": "args.repository.protect",
    "encryptionKey": "args.encryption.kms_key",
    "encryptionKeyDeletionWindowDays": "args.encryption.deletion_window_days",
    "encryptRepository": "args.encryption.repository",
    "memory": "args.memory.enabled",
    "memoryEventExpiryDays": "args.memory.event_expiry_days",
    "memoryDescription": "args.memory.description",
    "memorySemanticNamespace": "args.memory.semantic_namespace",
    "memorySummaryNamespace": "args.memory.summary_namespace",
    "memoryUserPreferenceNamespace": "args.memory.user_preference_namespace",
    "existingMemory": "args.memory.existing",
    "production": "args.production",
    "deployerTrustedRoleNames": "args.deployer.trusted_role_names",
    "deployerRole": "args.deployer.enabled",
    "deployerTrustedPrincipalArns": "args.deployer.trusted_principal_arns",
    "githubRepository": "args.deployer.github.repository",
    "githubBranches": "args.deployer.github.branches",
    "githubEnvironments": "args.deployer.github.environments",
    "githubPullRequests": "args.deployer.github.pull_requests",
    "githubOidcProviderArn": "args.deployer.github.provider_arn",
    "createGithubOidcProvider": "args.deployer.github.create_provider",
    "stateBucket": "args.deployer.state_bucket",
    "stateKeyPrefix": "args.deployer.state_prefix",
    "secretsKmsKeyArn": "args.deployer.secrets_kms_key_arn",
    "permissionsBoundaryArn": "args.permissions_boundary_arn",
    "tags": "args.tags",
    "observability": "args.observability",
}


def _arg_form(text: str) -> str:
    """Config keys named in a rule read as argument paths for component callers (the camelCase
    keys of a settings block, `agentcore:observability.transactionSearch`, as their field names)."""
    text = re.sub(r"(agentcore:observability\.)(\w+)", lambda m: m.group(1) + _snake(m.group(2)), text)
    for key in sorted(ARG_PATHS, key=len, reverse=True):
        text = re.sub(rf"agentcore:{key}(?!\w)", ARG_PATHS[key], text)
    return text


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def test_every_problem_is_reported_at_once() -> None:
    observability = {"logRetentionDays": 10, "indexingPercentage": 101, "errorsThreshold": 0}
    with pytest.raises(ConfigError) as info:
        settings_from_config(
            _raw(_base({"idleTimeoutSeconds": 10, "runtimeName": "bad-name", "keepImages": 0, "observability": observability}))
        )
    keys = [p.key for p in info.value.problems]
    assert {"agentcore:idleTimeoutSeconds", "agentcore:runtimeName", "agentcore:keepImages"} <= set(keys)
    assert [k for k in keys if k.startswith("agentcore:observability")] == [
        "agentcore:observability.logRetentionDays",
        "agentcore:observability.indexingPercentage",
        "agentcore:observability.errorsThreshold",
    ]
    assert str(info.value).splitlines() == [f"{p.key}: {p.message}" for p in info.value.problems]


def test_observability_keys_are_the_camel_case_of_the_component_arguments() -> None:
    args, settings = settings_from_config(
        _raw(_base({"observability": {"logRetentionDays": 7, "latencyP99ThresholdMs": 30000, "usageLogs": True}}))
    )
    assert args["observability"] == {"log_retention_days": 7, "latency_p99_threshold_ms": 30000, "usage_logs": True}
    assert (settings.observability.log_retention_days, settings.observability.usage_logs) == (7, True)
    # An empty block is no block: every default applies.
    args, settings = settings_from_config(_raw(_base({"observability": {}})))
    assert "observability" not in args and settings.observability == ObservabilityConfig()


def test_values_equal_to_their_default_count_as_unset() -> None:
    # Pulumi fills in Pulumi.yaml's defaults; they must not create blocks or trip rules.
    args, settings = settings_from_config(
        _raw(_base({"imageUri": ECR_URI, "keepImages": 10, "githubBranches": ["main"], "endpointVersion": "", "jwtAllowedScopes": []}))
    )
    assert "repository" not in args and "endpoint" not in args and "jwt_authorizer" not in args
    assert settings.deployer.github is None


def test_values_equal_to_their_default_count_as_unset_for_component_callers_too() -> None:
    # The same rule on the argument path: defaults given explicitly neither trip "applies only
    # when the component builds the image" nor create a GitHub trust block.
    settings = validate_args(
        {
            "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
            "image": {"uri": ECR_URI, "build_on_preview": True},
            "repository": {"keep_images": 10},
            "deployer": {"github": {"branches": ["main"]}},
            "observability": {"alarms": False, "errors_threshold": 5},
        }
    )
    assert settings.image.uri == ECR_URI and settings.deployer.github is None
    # A non-default value is a setting the user made, and the rules apply to it.
    with pytest.raises(ConfigError, match=r"args\.repository: applies only when the component builds the image"):
        validate_args({"model_id": "anthropic.claude-3-haiku-20240307-v1:0", "image": {"uri": ECR_URI}, "repository": {"keep_images": 11}})
    with pytest.raises(ConfigError, match=r"args\.observability\.errors_threshold: has no effect"):
        validate_args({"model_id": "anthropic.claude-3-haiku-20240307-v1:0", "observability": {"alarms": False, "errors_threshold": 6}})


def test_a_boolean_is_not_a_default_number() -> None:
    # True == 1 in Python; `alarmEvaluationPeriods: true` must still be refused, not taken as 1.
    with pytest.raises(ConfigError, match="must be a positive whole number"):
        validate_args({"model_id": "anthropic.claude-3-haiku-20240307-v1:0", "observability": {"alarm_evaluation_periods": True}})


def test_config_keys_land_at_their_argument_paths() -> None:
    raw = {
        "modelId": "anthropic.claude-3-haiku-20240307-v1:0",
        "keepImages": "5",
        "idleTimeoutSeconds": "300",
        "githubRepository": "acme/agents",
        "githubPullRequests": "true",
        "subnetIds": '["subnet-0123456789abcdef0"]',
        "runtimeName": "",
        "githubBranches": '["main"]',
        "tags": '{"Team": "ml", "Tier": 2}',
        "observability": '{"logRetentionDays": 14, "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops"}',
    }
    assert config_to_args(raw) == {
        "model_id": "anthropic.claude-3-haiku-20240307-v1:0",
        "repository": {"keep_images": 5},
        "lifecycle": {"idle_timeout_seconds": 300},
        "deployer": {"github": {"repository": "acme/agents", "pull_requests": True}},
        "network": {"subnet_ids": ["subnet-0123456789abcdef0"]},
        "tags": {"Team": "ml", "Tier": "2"},
        "observability": {"log_retention_days": 14, "alarm_topic_arn": "arn:aws:sns:us-east-1:123456789012:ops"},
    }


def test_every_config_key_has_an_argument_path() -> None:
    assert set(ARG_PATHS) == set(CONFIG_KEYS)


def test_provider_regions_must_be_set_and_equal() -> None:
    assert [p.key for p in provider_region_problems(None, "us-east-1")] == ["aws:region"]
    assert [p.key for p in provider_region_problems("us-east-1", None)] == ["aws-native:region"]
    [mismatch] = provider_region_problems("us-east-1", "us-west-2")
    assert mismatch.key == "aws-native:region" and "must equal aws:region" in mismatch.message
    assert provider_region_problems("eu-west-1", "eu-west-1") == []
