"""Bedrock model ids: what kind of id a stack configured, and exactly which resources it needs.

A model id is one of:
- a foundation model: `anthropic.claude-3-haiku-20240307-v1:0` -> the model in this region;
- a geographic cross-region inference profile: `us.` / `eu.` / `apac.` / `jp.` / `au.` / `ca.` /
  `us-gov.` + foundation model -> the profile in this region, and the foundation model in this
  region and in every region the profile may route to, usable only through that profile;
- a global cross-region inference profile: `global.` + foundation model -> the profile in this
  region, the model in this region, and the region-less `arn:<p>:bedrock:::foundation-model/<id>`
  that stands for "any commercial region" (AWS "Global cross-Region inference", IAM section).

Destination regions per geography follow the Bedrock user guide's "Supported cross-Region inference
profiles" lists (union over the models offered); the source region is always added, because a
profile routes to its source region too. The foundation-model grants carry the condition
`bedrock:InferenceProfileArn` = this profile, so a wide region list never allows calling the model
directly, only through the profile the stack chose.
"""

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .iam.documents import Statement, allow

# One dot, then the model name with optional `:version` parts, e.g. `amazon.nova-pro-v1:0`,
# `anthropic.claude-sonnet-4-6`, `anthropic.claude-3-haiku-20240307-v1:0:48k`.
FOUNDATION_MODEL_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}\.[a-z0-9][a-z0-9-]{0,62}(?::[a-z0-9-]{1,63})*")

GLOBAL_PREFIX = "global"

GEOGRAPHY_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-1", "us-west-2"),
    "us-gov": ("us-gov-east-1", "us-gov-west-1"),
    "eu": (
        "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
        "eu-west-1", "eu-west-2", "eu-west-3",
    ),
    "apac": (
        "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1",
        "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
        "ap-southeast-5", "ap-southeast-7", "me-central-1",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
    "ca": ("ca-central-1", "ca-west-1"),
}

INVOKE_ACTIONS = ("bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream")


class ModelKind(str, Enum):
    FOUNDATION_MODEL = "foundation-model"
    GEOGRAPHIC_PROFILE = "geographic-inference-profile"
    GLOBAL_PROFILE = "global-inference-profile"


@dataclass(frozen=True)
class ModelRef:
    """A classified model id: `foundation_model` is the id without any profile prefix."""

    model_id: str
    kind: ModelKind
    foundation_model: str
    geography: str | None = None


def model_id_problem(model_id: str) -> str | None:
    """Why `model_id` is neither a foundation model nor an inference profile id, or None."""
    try:
        classify_model_id(model_id)
    except ValueError as exc:
        return str(exc)
    return None


def classify_model_id(model_id: str) -> ModelRef:
    """Classify a model id; raise ValueError saying what is wrong with an unusable one."""
    if not isinstance(model_id, str) or not model_id.strip():
        raise ValueError("must be a Bedrock model id or inference profile id, got an empty value")
    if model_id.startswith("arn:"):
        raise ValueError(
            f"{model_id!r} is an ARN; give the model id (anthropic.claude-...) or the system inference "
            "profile id (us.anthropic.claude-..., global.anthropic.claude-...) instead"
        )
    if FOUNDATION_MODEL_ID.fullmatch(model_id):
        return ModelRef(model_id, ModelKind.FOUNDATION_MODEL, model_id)
    prefix, _, rest = model_id.partition(".")
    if rest and FOUNDATION_MODEL_ID.fullmatch(rest):
        if prefix == GLOBAL_PREFIX:
            return ModelRef(model_id, ModelKind.GLOBAL_PROFILE, rest, GLOBAL_PREFIX)
        if prefix in GEOGRAPHY_REGIONS:
            return ModelRef(model_id, ModelKind.GEOGRAPHIC_PROFILE, rest, prefix)
        known = ", ".join(sorted([*GEOGRAPHY_REGIONS, GLOBAL_PREFIX]))
        raise ValueError(
            f"{model_id!r} has an unknown inference profile prefix {prefix!r}; known prefixes: {known}"
        )
    raise ValueError(
        f"{model_id!r} is neither a foundation model id (provider.model-name[:version], lowercase) "
        "nor an inference profile id (<geography or global>.<foundation model id>)"
    )


def foundation_model_arn(partition: str, region: str, model_id: str) -> str:
    """`arn:<p>:bedrock:<region>::foundation-model/<id>`; region "" gives the global form."""
    return f"arn:{partition}:bedrock:{region}::foundation-model/{model_id}"


def inference_profile_arn(partition: str, region: str, account_id: str, profile_id: str) -> str:
    return f"arn:{partition}:bedrock:{region}:{account_id}:inference-profile/{profile_id}"


def model_invoke_statements(
    *, partition: str, region: str, account_id: str, model_ids: tuple[str, ...] | list[str]
) -> list[Statement]:
    """IAM statements that let a role invoke exactly these models from `region`, and nothing else."""
    statements: list[Statement] = []
    for index, model_id in enumerate(dict.fromkeys(model_ids)):
        ref = classify_model_id(model_id)
        sid = f"InvokeModel{index}"
        if ref.kind is ModelKind.FOUNDATION_MODEL:
            statements.append(_allow(sid, [foundation_model_arn(partition, region, ref.foundation_model)]))
            continue
        profile = inference_profile_arn(partition, region, account_id, ref.model_id)
        through_profile = {"StringEquals": {"bedrock:InferenceProfileArn": profile}}
        if ref.kind is ModelKind.GEOGRAPHIC_PROFILE:
            regions = sorted({region, *GEOGRAPHY_REGIONS[ref.geography or ""]})
            statements.append(_allow(f"{sid}Profile", [profile]))
            statements.append(
                _allow(
                    f"{sid}ProfileDestinations",
                    [foundation_model_arn(partition, r, ref.foundation_model) for r in regions],
                    through_profile,
                )
            )
            continue
        # Global: the three statements of AWS's global cross-region inference IAM example.
        in_region = {"StringEquals": {"aws:RequestedRegion": region}}
        statements.append(_allow(f"{sid}Profile", [profile], in_region))
        statements.append(
            _allow(
                f"{sid}ProfileSourceRegion",
                [foundation_model_arn(partition, region, ref.foundation_model)],
                {"StringEquals": {"aws:RequestedRegion": region, "bedrock:InferenceProfileArn": profile}},
            )
        )
        statements.append(
            _allow(
                f"{sid}ProfileAnyRegion",
                [foundation_model_arn(partition, "", ref.foundation_model)],
                {"StringEquals": {"aws:RequestedRegion": "unspecified", "bedrock:InferenceProfileArn": profile}},
            )
        )
    return statements


def _allow(sid: str, resources: list[str], condition: dict[str, Any] | None = None) -> Statement:
    return allow(sid, INVOKE_ACTIONS, resources, condition)
