"""The exact commands a team runs after the bootstrap, built from its outputs.

They are run from the main program's directory (the one whose Pulumi.yaml is `name: agentcore`):
log in to the new backend, create each stack with the KMS secrets provider, and set the main
program's state-backend keys so its deployer role may use the bucket, the prefix and the key.
Every argument is shell-quoted, so the lines can be pasted as they are.
"""

import shlex

# The main program's config keys for its state backend (declared in ../Pulumi.yaml).
MAIN_STATE_BUCKET_KEY = "agentcore:stateBucket"
MAIN_STATE_PREFIX_KEY = "agentcore:stateKeyPrefix"
MAIN_SECRETS_KEY_KEY = "agentcore:secretsKmsKeyArn"


def _line(*words: str) -> str:
    return " ".join(shlex.quote(w) for w in words)


def login_command(backend_url: str) -> str:
    return _line("pulumi", "login", backend_url)


def stack_init_command(stack: str, secrets_provider: str) -> str:
    return _line("pulumi", "stack", "init", stack, "--secrets-provider", secrets_provider)


def config_commands(stack: str, bucket: str, prefix: str, key_arn: str) -> list[str]:
    """`pulumi config set` for the main program's state keys (the prefix only when there is one:
    its default, empty, already means the bucket's root). `--plaintext` because none of them is
    secret, and the CLI refuses values it guesses are secrets (a key ARN is one) without
    `--secret` or `--plaintext`."""
    pairs = [(MAIN_STATE_BUCKET_KEY, bucket), *([(MAIN_STATE_PREFIX_KEY, prefix)] if prefix else []), (MAIN_SECRETS_KEY_KEY, key_arn)]
    return [_line("pulumi", "config", "set", "--stack", stack, "--plaintext", key, value) for key, value in pairs]


def setup_script(backend_url: str, secrets_provider: str, stacks: tuple[str, ...], bucket: str, prefix: str, key_arn: str) -> str:
    """Every command in order, one per line, for the main program's directory."""
    lines = ["# Run from the main program's directory (Pulumi.yaml name: agentcore).", login_command(backend_url)]
    for stack in stacks:
        lines.append(stack_init_command(stack, secrets_provider))
        lines.extend(config_commands(stack, bucket, prefix, key_arn))
    return "\n".join(lines)
