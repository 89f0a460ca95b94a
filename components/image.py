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
from .settings import ImageSettings, RepositorySettings


def pinned_image(
    parent: pulumi.Resource,
    name: str,
    *,
    image: ImageSettings,
    repository: RepositorySettings,
    repository_name: str,
    cache_scope: str,
    tags: dict[str, str],
) -> tuple[aws.ecr.Repository | None, pulumi.Output[str]]:
    """The repository and the digest-pinned image URI; (None, the given URI) for a pre-built image."""
    if image.uri is not None:
        return None, pulumi.Output.from_input(image.uri)
    repo = _repository(parent, name, repository, repository_name, tags)
    _warn_about_unignored_artefacts(parent, Path(image.context))
    built = _build(parent, name, image, repo, cache_scope)
    uri = pulumi.Output.all(url=repo.repository_url, digest=built.digest).apply(lambda v: f"{v['url']}@{v['digest']}")
    return repo, uri


def _repository(
    parent: pulumi.Resource, name: str, settings: RepositorySettings, repository_name: str, tags: dict[str, str]
) -> aws.ecr.Repository:
    """Immutable tags, scan on push, KMS or AES256 encryption, and a lifecycle policy."""
    encryption = (
        aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=settings.kms_key_arn)
        if settings.kms_key_arn
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
    tag = image_tag(Path(settings.context), settings.dockerfile_path)
    token = aws.ecr.get_authorization_token_output(
        registry_id=repository.registry_id, opts=pulumi.InvokeOutputOptions(parent=parent)
    )
    return docker_build.Image(
        f"{name}-image",
        context=docker_build.BuildContextArgs(location=settings.context),
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
