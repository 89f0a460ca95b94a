"""The policy pack's entry point: `pulumi preview --policy-pack <path to this folder>` starts it."""

from pulumi_policy import EnforcementLevel, PolicyPack

from agentcore_policies import PACK_NAME, POLICIES

PolicyPack(name=PACK_NAME, policies=POLICIES, enforcement_level=EnforcementLevel.MANDATORY)
