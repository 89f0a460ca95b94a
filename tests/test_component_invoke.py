"""The invoke command output: the real AWS CLI form, valid session id, safe quoting."""

import json
import shlex

import pytest

from components.invoke_command import invoke_command, session_id_for

ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/agentcore_dev-AbCdEf1234"


def _parse(command: str) -> tuple[list[str], dict[str, str]]:
    argv = shlex.split(command)
    options: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i].startswith("--"):
            options[argv[i]] = argv[i + 1]
            i += 2
        else:
            positional.append(argv[i])
            i += 1
    return positional, options


def test_command_shape() -> None:
    positional, options = _parse(invoke_command(runtime_arn=ARN, region="us-east-1", qualifier="live"))
    assert positional == ["aws", "bedrock-agentcore", "invoke-agent-runtime", "out.json"]
    assert options["--agent-runtime-arn"] == ARN
    assert options["--qualifier"] == "live"
    assert options["--cli-binary-format"] == "raw-in-base64-out"
    assert options["--region"] == "us-east-1"
    assert json.loads(options["--payload"]) == {"prompt": "Hello"}
    assert len(options["--runtime-session-id"]) >= 33


def test_default_endpoint_has_no_qualifier_and_session_is_stable() -> None:
    _, options = _parse(invoke_command(runtime_arn=ARN, region="us-east-1"))
    assert "--qualifier" not in options
    # A known answer: the same runtime always gets the same 36-character session id.
    assert options["--runtime-session-id"] == "cli-f413f3819cbdf67beb625b304193705d"
    assert session_id_for(ARN.replace("AbCdEf1234", "ZyXwVu9876")) != options["--runtime-session-id"]


def test_payload_with_quotes_survives_the_shell() -> None:
    payload = {"prompt": "it's \"quoted\" $HOME"}
    _, options = _parse(invoke_command(runtime_arn=ARN, region="us-east-1", payload=payload))
    assert json.loads(options["--payload"]) == payload


def test_short_session_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 33"):
        invoke_command(runtime_arn=ARN, region="us-east-1", session_id="short")
