"""The exact AWS CLI command that invokes a deployed runtime.

`aws bedrock-agentcore invoke-agent-runtime` takes the runtime ARN, a session id of at least 33
characters (without one the service starts a new microVM per call), the payload as raw bytes
(`--cli-binary-format raw-in-base64-out`, otherwise the CLI expects base64) and a required
positional output file. A named endpoint is addressed with `--qualifier`; without it the call goes
to DEFAULT, which always follows the latest version.
"""

import hashlib
import json
import shlex

SESSION_ID_MIN = 33
DEFAULT_PAYLOAD = {"prompt": "Hello"}


def session_id_for(runtime_arn: str) -> str:
    """A stable, valid (36-character) session id for copy-paste use; change it to start a new session."""
    return "cli-" + hashlib.sha256(runtime_arn.encode()).hexdigest()[:32]


def invoke_command(
    *,
    runtime_arn: str,
    region: str,
    qualifier: str | None = None,
    payload: dict[str, object] | None = None,
    session_id: str | None = None,
    output_file: str = "out.json",
) -> str:
    """The shell command, every argument quoted for POSIX shells."""
    session = session_id if session_id is not None else session_id_for(runtime_arn)
    if len(session) < SESSION_ID_MIN:
        raise ValueError(f"runtime session ids must be at least {SESSION_ID_MIN} characters, got {len(session)}")
    body = json.dumps(payload if payload is not None else DEFAULT_PAYLOAD, separators=(",", ":"))
    argv = [
        "aws", "bedrock-agentcore", "invoke-agent-runtime",
        "--agent-runtime-arn", runtime_arn,
        *(["--qualifier", qualifier] if qualifier else []),
        "--runtime-session-id", session,
        "--payload", body,
        "--cli-binary-format", "raw-in-base64-out",
        "--region", region,
        output_file,
    ]
    return shlex.join(argv)
