"""The CLI reads the outputs the real program exports: `__main__.py` run under Pulumi's mock engine
(tests/testkit/program_runs.py) gives the stack outputs the fake `pulumi` prints, so a renamed or
reshaped output (runtimeArn, endpointArn, runtimeLogGroupNames, vendedLogGroupNames) fails here.
Invocations go to the runtime ARN those outputs name, with the stack's named endpoint as
qualifier, signed for the ARN's region and partition.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore_cli.errors import CliError
from agentcore_cli.logs import Source, log_group
from agentcore_cli.stack import endpoint_name
from tests.testkit.agentcore_emulator import AgentCoreEmulator
from tests.testkit.agents import AgentImplementation
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.cli_harness import FakePulumi, cli_environment, run_cli
from tests.testkit.program_runs import all_runs

STACKS = ("dev", "prod", "govcloud")


@pytest.fixture(scope="module")
def outputs() -> dict[str, dict[str, Any]]:
    runs = all_runs()
    return {name: json.loads(json.dumps(runs[name].outputs, default=str)) for name in STACKS}


@pytest.fixture(scope="module")
def agentcore(
    agent_implementation: AgentImplementation, bedrock: BedrockEmulator, outputs: dict[str, dict[str, Any]]
) -> Iterator[AgentCoreEmulator]:
    with agent_implementation.server(bedrock.url) as agent, AgentCoreEmulator() as emulator:
        for stack_outputs in outputs.values():
            named = endpoint_name(stack_outputs.get("endpointArn"))
            emulator.add_runtime(stack_outputs["runtimeArn"], agent.url, qualifiers=("DEFAULT", *([named] if named else [])))
        yield emulator


@pytest.mark.parametrize("stack", STACKS)
def test_invoke_reaches_the_runtime_the_program_exports(
    stack: str, tmp_path: Path, outputs: dict[str, dict[str, Any]], agentcore: AgentCoreEmulator
) -> None:
    pulumi = FakePulumi(tmp_path / "bin", outputs=outputs).install()
    env = cli_environment(tmp_path, agentcore_url=agentcore.url, bin_dir=pulumi.directory)
    before = len(agentcore.requests)
    result = run_cli("invoke", f"hello {stack}", "--stack", stack, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"You said: hello {stack}. Turn 1.\n"
    [request] = agentcore.requests[before:]
    exported = outputs[stack]
    assert request.arn == exported["runtimeArn"]
    assert request.qualifier == exported["endpointArn"].rsplit("/", 1)[1]  # the stack's named endpoint
    region = exported["runtimeArn"].split(":")[3]
    assert f"/{region}/bedrock-agentcore/aws4_request" in request.headers["authorization"]


def test_logs_finds_the_exported_groups(outputs: dict[str, dict[str, Any]]) -> None:
    prod = outputs["prod"]
    assert log_group(prod, "prod", Source.RUNTIME, None) == prod["runtimeLogGroupNames"]["live"]
    assert log_group(prod, "prod", Source.RUNTIME, "DEFAULT") == prod["runtimeLogGroupNames"]["DEFAULT"]
    assert log_group(prod, "prod", Source.USAGE, None) == prod["vendedLogGroupNames"]["USAGE_LOGS"]
    with pytest.raises(CliError, match="no APPLICATION_LOGS group"):
        log_group(prod, "prod", Source.APPLICATION, None)
