"""The ``agentcore`` command: invoke, chat, dev and logs for this project's AgentCore runtime.

Every command resolves its runtime the same way (``--stack``: the Pulumi stack's outputs, or the
selected stack when neither ``--stack`` nor ``--arn`` is given; ``--arn``: a runtime directly;
``--local``: the ``agentcore dev`` server) and reports failures as one ``error:`` line with the
exit codes listed in ``errors.ExitCode``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import json
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from . import chat as chat_module
from . import dev as dev_module
from . import logs as logs_module
from .client import DEFAULT_READ_TIMEOUT
from .connect import DEFAULT_LOCAL_URL, Target, connect
from .errors import CliError, ExitCode
from .render import receive
from .state import SessionStore, session_for

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 other failure, 2 bad arguments or request, 3 stack/config, 4 credentials "
    "or access, 5 not found, 6 throttled, 7 the agent answered an error, 8 unreachable or timed out."
)

app = typer.Typer(
    help=f"Talk to, run and watch this project's AgentCore agent.\n\n{EXIT_CODES_HELP}",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@dataclass
class _Flags:
    debug: bool = False


_flags = _Flags()

Stack = Annotated[
    str | None,
    typer.Option("--stack", "-s", help="Pulumi stack whose outputs name the runtime (default: the selected stack)."),
]
Arn = Annotated[str | None, typer.Option("--arn", help="Runtime ARN, instead of reading a stack's outputs.")]
Endpoint = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        "--qualifier",
        "-e",
        help="Runtime endpoint (qualifier). Default: the stack's named endpoint if it has one, else DEFAULT.",
    ),
]
SessionId = Annotated[
    str | None, typer.Option("--session-id", help="Use this runtime session id (33-256 characters) and remember it.")
]
NewSession = Annotated[bool, typer.Option("--new-session", help="Start a new session instead of the remembered one.")]
BearerToken = Annotated[
    str | None,
    typer.Option(
        "--bearer-token",
        envvar="AGENTCORE_BEARER_TOKEN",
        show_envvar=True,
        help="OAuth/JWT access token for a runtime behind a JWT authorizer (sent instead of SigV4).",
    ),
]
Local = Annotated[bool, typer.Option("--local", help="Talk to the agent `agentcore dev` runs, not AWS.")]
Url = Annotated[str, typer.Option("--url", help="The local agent's URL (with --local).")]
ReadTimeout = Annotated[
    float, typer.Option("--read-timeout", min=1, help="Seconds to wait for the agent's next bytes before giving up.")
]


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks and AWS details on errors.")] = False,
) -> None:
    _flags.debug = debug


@app.command()
def invoke(
    prompt: Annotated[str | None, typer.Argument(help="The prompt; read from stdin when omitted or '-'.")] = None,
    stack: Stack = None,
    arn: Arn = None,
    endpoint: Endpoint = None,
    session_id: SessionId = None,
    new_session: NewSession = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print one JSON object (completion, usage, session_id or error).")
    ] = False,
    bearer_token: BearerToken = None,
    local: Local = False,
    url: Url = DEFAULT_LOCAL_URL,
    read_timeout: ReadTimeout = DEFAULT_READ_TIMEOUT,
) -> None:
    """Send one prompt and stream the answer; the next invoke continues the same session."""
    text = _read_prompt(prompt)
    target = connect(
        local=local, url=url, stack=stack, arn=arn, endpoint=endpoint, bearer_token=bearer_token, read_timeout=read_timeout
    )
    store = SessionStore()
    session = _session(store, target, session_id, new_session)
    try:
        reply = target.transport.invoke(text, session, stream=not json_output)
        result = receive(reply, _out, _err, json_output=json_output)
    except CliError as error:
        if json_output:  # scripts parse stdout either way; the error line still goes to stderr
            document = {"session_id": session, "error": {"code": error.code.name.lower(), "message": error.message}}
            _out.out(json.dumps(document, ensure_ascii=False), highlight=False)
        raise
    if result.session_id != session:
        store.set(target.session_key, result.session_id)
    if result.error is not None:
        raise typer.Exit(ExitCode.AGENT)


@app.command()
def chat(
    stack: Stack = None,
    arn: Arn = None,
    endpoint: Endpoint = None,
    session_id: SessionId = None,
    new_session: NewSession = False,
    keep_session: Annotated[
        bool, typer.Option("--keep-session", help="Do not stop the session on exit (continue it later).")
    ] = False,
    bearer_token: BearerToken = None,
    local: Local = False,
    url: Url = DEFAULT_LOCAL_URL,
    read_timeout: ReadTimeout = DEFAULT_READ_TIMEOUT,
) -> None:
    """A multi-turn conversation. Ctrl-C cancels an answer; /new, /exit or Ctrl-D; stops the session on exit."""
    target = connect(
        local=local, url=url, stack=stack, arn=arn, endpoint=endpoint, bearer_token=bearer_token, read_timeout=read_timeout
    )
    store = SessionStore()
    resumed = session_id is not None or (not new_session and store.get(target.session_key) is not None)
    session = _session(store, target, session_id, new_session)
    # Piped input (a script feeding prompts) gets no "you> " prompts mixed into the answers.
    read_line = input if sys.stdin.isatty() else (lambda _prompt: input())
    chat_module.chat(
        target, session, store, _out, _err, resumed=resumed, keep_session=keep_session, read_line=read_line
    )


@app.command()
def dev(
    stack: Annotated[
        str | None,
        typer.Option("--stack", "-s", help="Take the model, region, log level and extra variables from this stack's config."),
    ] = None,
    model_id: Annotated[str | None, typer.Option("--model-id", help="Bedrock model id (overrides the stack's).")] = None,
    region: Annotated[str | None, typer.Option("--region", help="AWS region for Bedrock (overrides the stack's).")] = None,
    agent_dir: Annotated[
        Path | None, typer.Option("--agent-dir", help="The agent project (default: the stack's imageContext, else agent_image).")
    ] = None,
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8080,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
) -> None:
    """Run the agent locally from its own locked environment, restarting on code changes.

    It uses your AWS credentials against real Bedrock, with the environment the component gives
    the runtime. Talk to it with `agentcore invoke --local` or `agentcore chat --local`.
    """
    plan = dev_module.plan(stack=stack, model_id=model_id, region=region, agent_dir=agent_dir, host=host, port=port)
    dev_module.run(plan, _err)


@app.command()
def logs(
    stack: Stack = None,
    endpoint: Endpoint = None,
    source: Annotated[
        logs_module.Source, typer.Option("--source", help="runtime: the container's output; application/usage: vended logs.")
    ] = logs_module.Source.RUNTIME,
    since: Annotated[str, typer.Option("--since", help="How far back to start: 30s, 10m, 2h, 1d.")] = "10m",
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events until Ctrl-C.")] = False,
    poll_seconds: Annotated[float, typer.Option("--poll-seconds", min=0.1, hidden=True)] = 2.0,
) -> None:
    """Print the runtime's log events, one line each, from the log groups the stack exports."""
    logs_module.show(
        stack=stack, endpoint=endpoint, source=source, since=since, follow=follow, poll_seconds=poll_seconds, out=_out
    )


def _read_prompt(prompt: str | None) -> str:
    """The argument, or stdin when it is omitted or '-' (a terminal needs an explicit prompt)."""
    if prompt is None or prompt == "-":
        if sys.stdin.isatty():
            raise CliError('give a prompt (agentcore invoke "Hello") or pipe one on stdin', ExitCode.USAGE)
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise CliError("the prompt is empty", ExitCode.USAGE)
    return prompt


def _session(store: SessionStore, target: Target, session_id: str | None, new_session: bool) -> str:
    if session_id is not None and new_session:
        raise CliError("--session-id and --new-session contradict each other: pass one", ExitCode.USAGE)
    try:
        return session_for(store, target.session_key, session_id=session_id, new_session=new_session)
    except ValueError as error:
        raise CliError(f"--session-id: {error}", ExitCode.USAGE) from None


_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def main() -> None:
    """Console-script entry point: run the app, turning ``CliError`` into one line and its exit code."""
    try:
        app()
    except CliError as error:
        if _flags.debug:
            traceback.print_exc()
        _err.print(f"[red]error:[/red] {escape(error.message)}", highlight=False)
        sys.exit(int(error.code))
