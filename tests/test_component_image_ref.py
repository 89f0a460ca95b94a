"""Bring-your-own images: only digest-pinned ECR references, parsed into what IAM needs."""

import pytest

from components.image_ref import parse_image_uri

DIGEST = "sha256:" + "ab" * 32


def test_private_ecr_with_tag_and_digest() -> None:
    ref = parse_image_uri(f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/agent:v1.2@{DIGEST}")
    assert (ref.account_id, ref.region, ref.repository, ref.tag, ref.digest) == (
        "123456789012", "eu-west-1", "team/agent", "v1.2", DIGEST,
    )
    assert not ref.is_public
    assert ref.repository_arn("aws") == "arn:aws:ecr:eu-west-1:123456789012:repository/team/agent"


def test_partitions_of_private_registries() -> None:
    china = parse_image_uri(f"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/agent@{DIGEST}")
    gov = parse_image_uri(f"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/agent@{DIGEST}")
    assert china.partition("aws") == "aws-cn"
    assert gov.partition("aws") == "aws-us-gov"
    assert china.repository_arn(china.partition("aws")) == "arn:aws-cn:ecr:cn-north-1:123456789012:repository/agent"


def test_public_ecr_needs_no_iam() -> None:
    ref = parse_image_uri(f"public.ecr.aws/myalias/agent@{DIGEST}")
    assert ref.is_public and ref.repository_arn("aws") is None


@pytest.mark.parametrize(
    ("uri", "says"),
    [
        ("docker.io/library/python@" + DIGEST, "not an ECR image"),
        ("ghcr.io/org/agent:1.0", "not an ECR image"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent:latest", "has no digest"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent", "has no digest"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/agent@sha256:abc", "must be sha256:<64"),
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/Agent@" + DIGEST, "not a valid ECR repository name"),
        ("public.ecr.aws/agent@" + DIGEST, "public.ecr.aws/<alias>/<repository>"),
        ("agent@" + DIGEST, "not an image URI"),
        ("", "non-empty"),
    ],
)
def test_rejected_references(uri: str, says: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_image_uri(uri)
    assert says in str(info.value)
