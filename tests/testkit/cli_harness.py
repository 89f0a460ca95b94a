"""Run the installed ``agentcore`` command as a user would, with AWS and Pulumi at their boundaries.

- The command is the console script this project installs (``.venv/bin/agentcore``), run as a
  subprocess, so the entry point, argument parsing, exit codes and stdout/stderr split are real.
- The Pulumi CLI is replaced on ``PATH`` by a small ``pulumi`` executable that answers
  ``pulumi stack output --json [--stack S]`` and ``pulumi config --json [--show-secrets] --stack S``
  from recorded data, and fails like the real CLI for an unknown stack
  (``error: no stack named 'x' found``, exit 255).
- AWS is reached through the standard ``AWS_ENDPOINT_URL_<SERVICE>`` variables with dummy keys and
  no shared config, so nothing on this machine leaks in.
- The session state file lives under a per-test ``XDG_STATE_HOME``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AGENTCORE = Path(sys.executable).parent / "agentcore"
REGION = "us-east-1"
ACCOUNT = "123456789012"
RUNTIME_ID = "agentcore_dev-AbCdEf1234"
RUNTIME_ARN = f"arn:aws:bedrock-agentcore:{REGION}:{ACCOUNT}:runtime/{RUNTIME_ID}"

_FAKE_PULUMI = textwrap.dedent(
    """\
    #!{python}
    # Stands in for the Pulumi CLI: answers from the recorded data next to this file.
    import json, pathlib, sys

    data = json.loads((pathlib.Path(__file__).parent / "pulumi-data.json").read_text())
    args = sys.argv[1:]
    stack = args[args.index("--stack") + 1] if "--stack" in args else data["selected"]
    if stack not in data["outputs"]:
        sys.stderr.write(f"error: no stack named '{{stack}}' found\\n")
        sys.exit(255)
    with open(pathlib.Path(__file__).parent / "pulumi-calls.log", "a") as log:
        log.write(json.dumps(args) + "\\n")
    if args[:3] == ["stack", "output", "--json"]:
        print(json.dumps(data["outputs"][stack], indent=4))
    elif args[:2] == ["config", "--json"]:
        print(json.dumps(data["config"].get(stack, {{}}), indent=4))
    else:
        sys.stderr.write(f"fake pulumi: unexpected arguments {{args}}\\n")
        sys.exit(2)
    """
)


def stack_outputs(runtime_arn: str = RUNTIME_ARN, *, endpoint: str | None = None, log_group: str | None = None) -> dict[str, Any]:
    """Outputs as the program exports them (``__main__.py``), for one runtime."""
    runtime_id = runtime_arn.rsplit("/", 1)[1]
    endpoints = ["DEFAULT", *([endpoint] if endpoint else [])]
    return {
        "runtimeName": runtime_id.rsplit("-", 1)[0],
        "runtimeArn": runtime_arn,
        "runtimeId": runtime_id,
        "runtimeVersion": "3",
        "endpointArn": f"{runtime_arn}/runtime-endpoint/{endpoint}" if endpoint else None,
        "runtimeLogGroupNames": {
            name: log_group or f"/aws/bedrock-agentcore/runtimes/{runtime_id}-{name}" for name in endpoints
        },
        "vendedLogGroupNames": {"APPLICATION_LOGS": f"/aws/vendedlogs/bedrock-agentcore/APPLICATION_LOGS/{runtime_id}"},
        "invokeCommand": "aws bedrock-agentcore invoke-agent-runtime ...",
    }


@dataclass
class FakePulumi:
    """The ``pulumi`` stand-in: ``outputs[stack]`` and ``config[stack]`` (``{"key": {"value": ...}}``)."""

    directory: Path
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    config: dict[str, dict[str, Any]] = field(default_factory=dict)
    selected: str = "dev"

    def install(self) -> FakePulumi:
        self.directory.mkdir(parents=True, exist_ok=True)
        script = self.directory / "pulumi"
        script.write_text(_FAKE_PULUMI.format(python=sys.executable))
        script.chmod(0o755)
        self.save()
        return self

    def save(self) -> None:
        data = {"selected": self.selected, "outputs": self.outputs, "config": self.config}
        (self.directory / "pulumi-data.json").write_text(json.dumps(data))

    def calls(self) -> list[list[str]]:
        log = self.directory / "pulumi-calls.log"
        return [json.loads(entry) for entry in log.read_text().splitlines()] if log.exists() else []


def cli_environment(
    tmp_path: Path, *, agentcore_url: str | None = None, bin_dir: Path | None = None, extra: dict[str, str | None] | None = None
) -> dict[str, str]:
    """The command's environment: fake ``pulumi`` first on PATH, dummy AWS keys, private state."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "AGENTCORE_"))}
    env.update(
        {
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}" if bin_dir else os.environ.get("PATH", ""),
            "XDG_STATE_HOME": str(tmp_path / "state"),
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "dummy-secret",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "COLUMNS": "200",
            "NO_COLOR": "1",
        }
    )
    if agentcore_url:
        env["AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"] = agentcore_url
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def run_cli(*args: str, env: dict[str, str], stdin: str | None = None, timeout: float = 90, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``agentcore ARGS``; stdin is empty (not a terminal) unless given."""
    return subprocess.run(  # noqa: S603 - the project's own console script
        [str(AGENTCORE), *args],
        env=env,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
        check=False,
    )


def sessions_file(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "state" / "agentcore" / "sessions.json"
    return json.loads(path.read_text()) if path.exists() else {}
