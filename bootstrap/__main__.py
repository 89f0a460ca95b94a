"""The state-backend bootstrap: run once per account and region, before any stack of the main
program exists (its own state stays local: `pulumi login --local`).

    cd bootstrap && pulumi login --local && pulumi stack init <account>-<region>
    pulumi config set aws:region <region> && pulumi up

It creates the S3 bucket and KMS key of the team's Pulumi DIY backend and exports the backend URL,
the secrets provider and the exact commands that log in, create the main program's stacks and
set their state-backend config. Bad config stops the preview with one line per problem.
"""

import pulumi
import pulumi_aws as aws

from state_backend.commands import config_commands, login_command, setup_script, stack_init_command
from state_backend.component import StateBackend
from state_backend.names import AwsContext, backend_url, secrets_provider
from state_backend.settings import CONFIG_KEYS, NAMESPACE, ConfigError, parse_settings


def raw_config() -> dict[str, str]:
    """This namespace's config as Pulumi passes it, including keys Pulumi.yaml does not declare
    (so a misspelt key is reported rather than ignored)."""
    config = pulumi.Config(NAMESPACE)
    raw = {entry.key: config.get(entry.key) for entry in CONFIG_KEYS}
    prefix = f"{NAMESPACE}:"
    for key, value in pulumi.runtime.get_config_env().items():
        if key.startswith(prefix):
            raw.setdefault(key[len(prefix):], value)
    return {key: value for key, value in raw.items() if value is not None}


def main() -> None:
    try:
        settings = parse_settings(raw_config(), pulumi.Config("aws").get("region"))
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None  # the messages alone, no traceback

    partition = aws.get_partition()
    ctx = AwsContext(
        partition=partition.partition,
        dns_suffix=partition.dns_suffix,
        account_id=aws.get_caller_identity().account_id,
        region=aws.get_region().region,
    )
    backend = StateBackend("state", settings, ctx)

    url = backend_url(backend.bucket_name, settings.state_key_prefix, ctx.region)
    provider = secrets_provider(backend.key_alias, ctx.region)
    pulumi.export("bucketName", backend.bucket_name)
    pulumi.export("bucketArn", backend.bucket_arn)
    pulumi.export("stateKeyPrefix", settings.state_key_prefix)
    pulumi.export("kmsKeyArn", backend.key_arn)
    pulumi.export("kmsKeyAlias", backend.key_alias)
    pulumi.export("backendUrl", url)
    pulumi.export("secretsProvider", provider)
    pulumi.export("loginCommand", login_command(url))
    pulumi.export("stackInitCommands", {stack: stack_init_command(stack, provider) for stack in settings.stacks})
    pulumi.export(
        "configCommands",
        backend.key_arn.apply(lambda arn: {s: config_commands(s, backend.bucket_name, settings.state_key_prefix, arn) for s in settings.stacks}),
    )
    pulumi.export(
        "setupScript",
        backend.key_arn.apply(lambda arn: setup_script(url, provider, settings.stacks, backend.bucket_name, settings.state_key_prefix, arn)),
    )


main()
