"""Runs the policy pack in policy/ the way the Pulumi engine does, without the engine: its analyzer
service (pulumi_policy's own servicer, which `PolicyPack` serves over gRPC) gets one AnalyzeRequest
per resource, with the resource's inputs as the engine sends them (a protobuf Struct), and optional
policy config as `pulumi preview --policy-pack-config` would pass it."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

from agentcore_policies import PACK_NAME, POLICIES, RULES
from tests.testkit.pulumi_mocks import Run

LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory"}


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    message: str
    urn: str


def analyzer(config: Mapping[str, Mapping[str, Any]] | None = None) -> _PolicyAnalyzerServicer:
    """The pack's analyzer, configured like `--policy-pack-config` (policy name -> properties,
    `enforcementLevel` included; without it the CLI sends the policy's own level)."""
    servicer = _PolicyAnalyzerServicer(
        PACK_NAME, "0.1.0", POLICIES, EnforcementLevel.MANDATORY, None, None, None, None, None, None, None
    )
    if config:
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, properties in config.items():
            entry = request.policyConfig[name]
            level = properties.get("enforcementLevel") or next(r.level.value for r in RULES if r.name == name)
            entry.enforcementLevel = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY, "disabled": analyzer_pb2.DISABLED}[level]
            json_format.ParseDict({k: v for k, v in properties.items() if k != "enforcementLevel"}, entry.properties)
        servicer.Configure(request, None)
    return servicer


def analyze(servicer: _PolicyAnalyzerServicer, resource_type: str, name: str, inputs: Mapping[str, Any], urn: str = "") -> list[Violation]:
    """The violations the pack reports for one resource."""
    properties = struct_pb2.Struct()
    json_format.ParseDict(json.loads(json.dumps(inputs, default=str)), properties)
    request = analyzer_pb2.AnalyzeRequest(type=resource_type, name=name, urn=urn or f"urn:pulumi:test::test::{resource_type}::{name}", properties=properties)
    response = servicer.Analyze(request, None)
    return [Violation(d.policyName, LEVELS[d.enforcementLevel], d.message, d.urn) for d in response.diagnostics]


def analyze_run(run: Run, servicer: _PolicyAnalyzerServicer | None = None) -> list[Violation]:
    """The violations the pack reports for every resource of a program run."""
    servicer = servicer or analyzer()
    return [v for r in run.registrations for v in analyze(servicer, r.type, r.name, r.inputs, r.urn)]
