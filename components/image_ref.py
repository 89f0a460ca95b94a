"""Container image references AgentCore accepts, parsed into the parts IAM and pinning need.

AgentCore takes private ECR (`<account>.dkr.ecr.<region>.<domain>/<repo>`) or ECR Public
(`public.ecr.aws/<alias>/<repo>`) URIs with a `:tag` and/or `@sha256:<digest>` (the
AWS::BedrockAgentCore::Runtime ContainerUri pattern). This module additionally requires a digest:
a tag-only reference is rejected, because re-pushing the same tag changes nothing Pulumi can see,
so new code would never become a new runtime version and a rollback could not be exact.
"""

import re
from dataclasses import dataclass

from .names import ECR_REPOSITORY_NAME

_PRIVATE_HOST = re.compile(r"(?P<account>[0-9]{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.(?P<domain>[a-z0-9-]+(?:\.[a-z0-9-]+)+)")
_PUBLIC_HOST = "public.ecr.aws"
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[a-f0-9]{64}")

# Partition of each ECR DNS domain: the execution role's ECR grant must use the partition the
# registry lives in.
_DOMAIN_PARTITIONS = {
    "amazonaws.com": "aws",
    "amazonaws.com.cn": "aws-cn",
}


@dataclass(frozen=True)
class ImageRef:
    """A parsed, digest-pinned image reference."""

    uri: str
    registry: str
    repository: str
    digest: str
    tag: str | None = None
    account_id: str | None = None
    region: str | None = None
    domain: str | None = None

    @property
    def is_public(self) -> bool:
        return self.registry == _PUBLIC_HOST

    def repository_arn(self, partition: str) -> str | None:
        """The private repository's ARN (what the execution role must be allowed to pull), or None
        for ECR Public, which needs no IAM permission to pull."""
        if self.is_public:
            return None
        return f"arn:{partition}:ecr:{self.region}:{self.account_id}:repository/{self.repository}"

    def partition(self, default: str) -> str:
        """The partition of a private registry's DNS domain; `default` when the domain is not one
        of the well-known ones (GovCloud shares `amazonaws.com` with the commercial partition)."""
        if self.domain is None or self.region is None:
            return default
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return _DOMAIN_PARTITIONS.get(self.domain, default)


def parse_image_uri(uri: str) -> ImageRef:
    """Parse a bring-your-own image URI; raise ValueError naming the rule it breaks."""
    if not isinstance(uri, str) or not uri:
        raise ValueError("must be a non-empty ECR image URI")
    host, slash, path = uri.partition("/")
    if not slash or not path:
        raise ValueError(f"{uri!r} is not an image URI: expected <registry>/<repository>@sha256:<digest>")
    private = _PRIVATE_HOST.fullmatch(host)
    if private is None and host != _PUBLIC_HOST:
        raise ValueError(
            f"{uri!r} is not an ECR image: AgentCore pulls only from private ECR "
            "(<account>.dkr.ecr.<region>.amazonaws.com/...) or ECR Public (public.ecr.aws/...)"
        )
    path, at, digest = path.partition("@")
    repository, colon, tag = path.partition(":")
    if ECR_REPOSITORY_NAME.fullmatch(repository) is None:
        raise ValueError(f"{uri!r}: repository {repository!r} is not a valid ECR repository name")
    if colon and _TAG.fullmatch(tag) is None:
        raise ValueError(f"{uri!r}: tag {tag!r} is not a valid image tag")
    if not at:
        raise ValueError(
            f"{uri!r} has no digest: pin the image as <repository>[:tag]@sha256:<64 hex>, because a "
            "re-pushed tag would never reach the runtime as a new version (find the digest with "
            "`aws ecr describe-images`)"
        )
    if _DIGEST.fullmatch(digest) is None:
        raise ValueError(f"{uri!r}: digest {digest!r} must be sha256:<64 lowercase hex characters>")
    if host == _PUBLIC_HOST and "/" not in repository:
        raise ValueError(f"{uri!r}: ECR Public references are public.ecr.aws/<alias>/<repository>")
    return ImageRef(
        uri=uri,
        registry=host,
        repository=repository,
        digest=digest,
        tag=tag or None,
        account_id=private.group("account") if private else None,
        region=private.group("region") if private else None,
        domain=private.group("domain") if private else None,
    )
