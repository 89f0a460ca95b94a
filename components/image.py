"""The container image: a hardened ECR repository with a lifecycle policy, and an arm64 build
tagged by the build context's content hash and pushed there; the runtime gets the image pinned by
digest. With a pre-built image (`image.uri`) none of this is created.

Children of `AgentCoreRuntime` (the parent passed in), named `<name>-repository`,
`<name>-repository-lifecycle` and `<name>-image` as they always were.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from .context_hash import image_tag, missing_default_ignores
from .ecr_lifecycle import lifecycle_policy_json
from .errors import ConfigError
from .settings import ImageSettings, RepositorySettings

# Where a refused encryption change is reported (component argument and stack config key).
ENCRYPT_REPOSITORY_KEYS = "args.encryption.repository (agentcore:encryptRepository)"


def pinned_image(
    parent: pulumi.Resource,
    name: str,
    *,
    image: ImageSettings,
    repository: RepositorySettings,
    repository_name: str,
    cache_scope: str,
    tags: dict[str, str],
    encryption_key: pulumi.Input[str] | None = None,
) -> tuple[aws.ecr.Repository | None, pulumi.Output[str]]:
    """The repository and the digest-pinned image URI; (None, the given URI) for a pre-built image.

    `encryption_key` (the stack's encryption key, when it covers the repository) is checked
    against a repository of that name that already exists (`guard_repository_encryption`)."""
    if image.uri is not None:
        return None, pulumi.Output.from_input(image.uri)
    kms_key: pulumi.Input[str] | None = repository.kms_key_arn
    if encryption_key is not None:
        kms_key = guard_repository_encryption(parent, repository_name, encryption_key)
    repo = _repository(parent, name, repository, repository_name, tags, kms_key)
    _warn_about_unignored_artefacts(parent, Path(image.build_context))
    built = _build(parent, name, image, repo, cache_scope)
    uri = pulumi.Output.all(url=repo.repository_url, digest=built.digest).apply(lambda v: f"{v['url']}@{v['digest']}")
    return repo, uri


def guard_repository_encryption(parent: pulumi.Resource, repository_name: str, key_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """`key_arn`, once it is certain that encrypting the repository with it replaces nothing.

    ECR fixes a repository's encryption when it creates it: asking for another replaces the
    repository, and with it every image (prod's pinned endpoint version among them). So before
    the repository is declared with the key, the region's repositories are listed; when one of
    this name exists with another encryption, preview (and up) stop here with the one-time step,
    instead of planning a replacement. A new stack, or a repository already under this key, passes.
    """
    opts = pulumi.InvokeOutputOptions(parent=parent)
    names = aws.ecr.get_repositories_output(opts=opts).names
    existing = names.apply(
        lambda found: aws.ecr.get_repository_output(name=repository_name, opts=opts).encryption_configurations
        if repository_name in (found or [])
        else None
    )
    # Checked on the existing side first, so an AES256 repository stops even a preview in which
    # a new key's ARN is not known yet.
    refused = existing.apply(lambda configs: _encryption_change(repository_name, configs, None))
    return pulumi.Output.all(key=key_arn, configs=existing, _=refused).apply(
        lambda v: _encryption_change(repository_name, v["configs"], v["key"]) or v["key"]
    )


def _encryption_change(repository_name: str, configs: Any, key_arn: str | None) -> None:
    """Raise ConfigError when an existing repository's encryption is not `key_arn` (not known
    yet: only an encryption without any KMS key is refused)."""
    if not configs:
        return None
    config = configs[0]
    kind = config["encryption_type"] if isinstance(config, dict) else config.encryption_type
    current = config.get("kms_key") if isinstance(config, dict) else config.kms_key
    if kind == "KMS" and (key_arn is None or current == key_arn):
        return None
    held = f"{kind} encryption" if kind != "KMS" else f"KMS key {current}"
    raise ConfigError.single(
        ENCRYPT_REPOSITORY_KEYS,
        f"the ECR repository {repository_name!r} already exists with {held}, and ECR fixes a repository's "
        "encryption when it creates it: applying the stack's key would replace the repository and delete "
        "its images. Keep it as it is by setting this to false (the log groups and Memory still use the key), "
        "or move to an encrypted repository once: docs/encryption.md#an-existing-repository",
    )


def _repository(
    parent: pulumi.Resource,
    name: str,
    settings: RepositorySettings,
    repository_name: str,
    tags: dict[str, str],
    kms_key: pulumi.Input[str] | None,
) -> aws.ecr.Repository:
    """Immutable tags, scan on push, KMS or AES256 encryption, and a lifecycle policy."""
    encryption = (
        aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=kms_key)
        if kms_key is not None
        else aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256")
    )
    repository = aws.ecr.Repository(
        f"{name}-repository",
        name=repository_name,
        image_tag_mutability="IMMUTABLE",
        image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
        encryption_configurations=[encryption],
        force_delete=settings.force_delete,
        tags=tags,
        opts=pulumi.ResourceOptions(parent=parent, protect=settings.protect),
    )
    aws.ecr.LifecyclePolicy(
        f"{name}-repository-lifecycle",
        repository=repository.name,
        policy=lifecycle_policy_json(settings.keep_images),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return repository


def _warn_about_unignored_artefacts(parent: pulumi.Resource, context: Path) -> None:
    for path in missing_default_ignores(context):
        pulumi.log.warn(
            f"{context / path} is sent to Docker but left out of the image tag; add it to "
            f"{context / '.dockerignore'} so a change there cannot rebuild under an unchanged tag",
            resource=parent,
        )


def _build(
    parent: pulumi.Resource, name: str, settings: ImageSettings, repository: aws.ecr.Repository, cache_scope: str
) -> docker_build.Image:
    """An arm64 build pushed under the content-hash tag, with the registry's short-lived token."""
    tag = image_tag(Path(settings.build_context), settings.dockerfile_path)
    token = aws.ecr.get_authorization_token_output(
        registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    return docker_build.Image(
        f"{name}-image",
        context=docker_build.BuildContextArgs(location=settings.build_context),
        dockerfile=docker_build.DockerfileArgs(location=str(settings.dockerfile_path)),
        platforms=[docker_build.Platform.LINUX_ARM64],
        push=True,
        build_on_preview=settings.build_on_preview,
        tags=[repository.repository_url.apply(lambda url: f"{url}:{tag}")],
        registries=[
            docker_build.RegistryArgs(
                address=repository.repository_url.apply(lambda url: url.split("/", 1)[0]),
                username=token.user_name,
                password=pulumi.Output.secret(token.password),
            )
        ],
        **(_github_actions_cache(cache_scope) if settings.github_actions_cache else {}),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _github_actions_cache(scope: str) -> dict[str, Any]:
    return {
        "cache_from": [docker_build.CacheFromArgs(gha=docker_build.CacheFromGitHubActionsArgs(scope=scope))],
        "cache_to": [
            docker_build.CacheToArgs(gha=docker_build.CacheToGitHubActionsArgs(scope=scope, mode=docker_build.CacheMode.MAX))
        ],
    }
