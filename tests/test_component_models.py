"""Model ids: classification, and grants that are exactly right per kind of id and partition."""

import pytest

from components.bedrock_models import (
    GEOGRAPHY_REGIONS,
    ModelKind,
    classify_model_id,
    model_id_problem,
    model_invoke_statements,
)

ACCOUNT = "123456789012"


@pytest.mark.parametrize(
    ("model_id", "kind", "foundation"),
    [
        ("anthropic.claude-3-haiku-20240307-v1:0", ModelKind.FOUNDATION_MODEL, "anthropic.claude-3-haiku-20240307-v1:0"),
        ("amazon.nova-pro-v1:0", ModelKind.FOUNDATION_MODEL, "amazon.nova-pro-v1:0"),
        ("anthropic.claude-3-haiku-20240307-v1:0:48k", ModelKind.FOUNDATION_MODEL, "anthropic.claude-3-haiku-20240307-v1:0:48k"),
        ("us.anthropic.claude-sonnet-4-6", ModelKind.GEOGRAPHIC_PROFILE, "anthropic.claude-sonnet-4-6"),
        ("eu.amazon.nova-lite-v1:0", ModelKind.GEOGRAPHIC_PROFILE, "amazon.nova-lite-v1:0"),
        ("apac.anthropic.claude-3-5-sonnet-20241022-v2:0", ModelKind.GEOGRAPHIC_PROFILE, "anthropic.claude-3-5-sonnet-20241022-v2:0"),
        ("jp.anthropic.claude-sonnet-4-5-20250929-v1:0", ModelKind.GEOGRAPHIC_PROFILE, "anthropic.claude-sonnet-4-5-20250929-v1:0"),
        ("us-gov.anthropic.claude-3-haiku-20240307-v1:0", ModelKind.GEOGRAPHIC_PROFILE, "anthropic.claude-3-haiku-20240307-v1:0"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", ModelKind.GLOBAL_PROFILE, "anthropic.claude-sonnet-4-5-20250929-v1:0"),
    ],
)
def test_classification(model_id: str, kind: ModelKind, foundation: str) -> None:
    ref = classify_model_id(model_id)
    assert ref.kind is kind
    assert ref.foundation_model == foundation
    assert model_id_problem(model_id) is None


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("", "empty"),
        ("claude", "neither a foundation model"),
        ("Anthropic.Claude-3", "neither a foundation model"),
        ("usa.anthropic.claude-3-haiku-20240307-v1:0", "unknown inference profile prefix 'usa'"),
        ("arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-v2", "is an ARN"),
        ("anthropic claude", "neither a foundation model"),
    ],
)
def test_unusable_ids_are_explained(bad: str, says: str) -> None:
    problem = model_id_problem(bad)
    assert problem is not None and says in problem


def test_foundation_model_grant_is_the_model_in_this_region_only() -> None:
    [statement] = model_invoke_statements(
        partition="aws", region="eu-west-1", account_id=ACCOUNT, model_ids=["amazon.nova-pro-v1:0"]
    )
    assert statement["Action"] == ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"]
    assert statement["Resource"] == ["arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-pro-v1:0"]
    assert "Condition" not in statement


def test_geographic_profile_grants_profile_and_every_destination_through_the_profile_only() -> None:
    profile_stmt, model_stmt = model_invoke_statements(
        partition="aws", region="ca-central-1", account_id=ACCOUNT, model_ids=["us.anthropic.claude-sonnet-4-6"]
    )
    profile = f"arn:aws:bedrock:ca-central-1:{ACCOUNT}:inference-profile/us.anthropic.claude-sonnet-4-6"
    assert profile_stmt["Resource"] == [profile]
    regions = {arn.split(":")[3] for arn in model_stmt["Resource"]}
    # Source region (Canada calling a US profile) plus every US destination.
    assert regions == {"ca-central-1", *GEOGRAPHY_REGIONS["us"]}
    assert all(arn.endswith("::foundation-model/anthropic.claude-sonnet-4-6") for arn in model_stmt["Resource"])
    assert model_stmt["Condition"] == {"StringEquals": {"bedrock:InferenceProfileArn": profile}}


def test_global_profile_uses_the_region_less_model_arn_under_unspecified_region() -> None:
    statements = model_invoke_statements(
        partition="aws", region="us-east-1", account_id=ACCOUNT, model_ids=["global.anthropic.claude-sonnet-4-5-20250929-v1:0"]
    )
    profile = f"arn:aws:bedrock:us-east-1:{ACCOUNT}:inference-profile/global.anthropic.claude-sonnet-4-5-20250929-v1:0"
    by_resource = {s["Resource"][0]: s for s in statements}
    assert set(by_resource) == {
        profile,
        "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
        "arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0",
    }
    anywhere = by_resource["arn:aws:bedrock:::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0"]
    assert anywhere["Condition"]["StringEquals"] == {
        "aws:RequestedRegion": "unspecified",
        "bedrock:InferenceProfileArn": profile,
    }


def test_grants_follow_the_partition() -> None:
    statements = model_invoke_statements(
        partition="aws-us-gov",
        region="us-gov-west-1",
        account_id=ACCOUNT,
        model_ids=["us-gov.anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0"],
    )
    resources = [arn for s in statements for arn in s["Resource"]]
    assert resources and all(arn.startswith("arn:aws-us-gov:bedrock:") for arn in resources)
    regions = {arn.split(":")[3] for s in statements[1:2] for arn in s["Resource"]}
    assert regions == {"us-gov-east-1", "us-gov-west-1"}


def test_duplicate_models_are_granted_once_with_unique_sids() -> None:
    statements = model_invoke_statements(
        partition="aws",
        region="us-east-1",
        account_id=ACCOUNT,
        model_ids=["amazon.nova-pro-v1:0", "amazon.nova-pro-v1:0", "us.amazon.nova-lite-v1:0"],
    )
    assert len(statements) == 3
    sids = [s["Sid"] for s in statements]
    assert len(set(sids)) == len(sids) and all(sid.isalnum() for sid in sids)
