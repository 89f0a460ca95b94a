"""The program: one AgentCoreRuntime per stack, configured by Pulumi.<stack>.yaml.

`pulumi preview` / `pulumi up --stack dev` run this file. Every setting is an `agentcore:*` config
key declared once in components/schema.py (Pulumi.yaml's declarations are generated from it); bad
values stop the run with one line per problem, naming the key, before any AWS call.
"""

import pulumi

from components import AgentCoreRuntime
from components.errors import ConfigError
from components.schema import CONFIG_KEYS, NAMESPACE
from components.stack_config import provider_region_problems, settings_from_config


def raw_config() -> dict[str, str]:
    """This namespace's config as Pulumi passes it: declared keys plus any others set in the stack
    file (so a misspelt key is reported instead of silently ignored)."""
    config = pulumi.Config(NAMESPACE)
    raw = {key: config.get(key) for key in CONFIG_KEYS}
    prefix = f"{NAMESPACE}:"
    for key, value in pulumi.runtime.get_config_env().items():
        if key.startswith(prefix):
            raw.setdefault(key[len(prefix):], value)
    return {key: value for key, value in raw.items() if value is not None}


def main() -> None:
    problems = provider_region_problems(pulumi.Config("aws").get("region"), pulumi.Config("aws-native").get("region"))
    try:
        args, _ = settings_from_config(raw_config())
    except ConfigError as error:
        problems.extend(error.problems)
    if problems:
        # RunError: the messages alone, without a Python traceback.
        raise pulumi.RunError(str(ConfigError(problems)))

    runtime = AgentCoreRuntime("agentcore", args)
    pulumi.export("runtimeName", runtime.runtime_name)
    pulumi.export("runtimeArn", runtime.runtime_arn)
    pulumi.export("runtimeId", runtime.runtime_id)
    pulumi.export("runtimeVersion", runtime.runtime_version)
    pulumi.export("endpointArn", runtime.endpoint_arn)
    pulumi.export("repositoryUrl", runtime.repository_url)
    pulumi.export("imageUri", runtime.image_uri)
    pulumi.export("executionRoleArn", runtime.execution_role_arn)
    pulumi.export("deployerRoleArn", runtime.deployer_role_arn)
    pulumi.export("invokeCommand", runtime.invoke_command)
    pulumi.export("runtimeLogGroupNames", runtime.runtime_log_group_names)
    pulumi.export("vendedLogGroupNames", runtime.vended_log_group_names)
    pulumi.export("alarmArns", runtime.alarm_arns)
    pulumi.export("dashboardUrl", runtime.dashboard_url)
    pulumi.export("encryptionKeyArn", runtime.encryption_key_arn)
    pulumi.export("memoryId", runtime.memory_id)
    pulumi.export("memoryArn", runtime.memory_arn)


main()
