"""A multi-turn conversation in the terminal: one session, streamed answers, clean Ctrl-C.

Ctrl-C while an answer streams closes that request (AgentCore, or the local agent, sees the
client leave and the agent cancels the turn, restoring its history), then the prompt returns.
Ctrl-C at the prompt clears the line; Ctrl-D or ``/exit`` ends the chat. On the way out the
session is stopped with ``StopRuntimeSession`` (an idle session is otherwise billed until its
idle timeout) and forgotten, since its conversation no longer exists.

Input lines go through ``readline`` when available, so arrow keys edit and recall earlier prompts;
that history is kept in the state directory across chats.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress

from rich.console import Console
from rich.markup import escape

from .connect import Target
from .errors import CliError
from .render import receive
from .state import SessionStore, new_session_id, state_dir

PROMPT = "you> "
HELP = "Ctrl-C cancels an answer · /new starts a new session · /exit or Ctrl-D quits"


def chat(
    target: Target,
    session_id: str,
    store: SessionStore,
    out: Console,
    err: Console,
    *,
    resumed: bool = False,
    keep_session: bool = False,
    read_line: Callable[[str], str] = input,
) -> None:
    """Run turns until the user leaves; then stop (unless ``keep_session``) and forget the session.
    ``resumed`` says the session may already exist (it was remembered or given), so it is stopped
    even if this chat sends nothing; a fresh one that never ran has nothing to stop."""
    err.print(f"[dim]{escape(target.transport.label)} · session {session_id}\n{HELP}[/dim]", highlight=False)
    history = _load_history()
    started = resumed
    try:
        while (line := _prompt(read_line, err)) is not None:
            command = line.strip()
            if not command:
                continue
            if command in {"/exit", "/quit"}:
                break
            if command == "/new":
                _end(target, session_id, store, err, keep=keep_session, started=started)
                session_id, started = new_session_id(), False
                store.set(target.session_key, session_id)
                err.print(f"[dim]new session {session_id}[/dim]", highlight=False)
                continue
            started = True
            session_id = _turn(target, line, session_id, store, out, err)
    finally:
        _end(target, session_id, store, err, keep=keep_session, started=started)
        _save_history(history)


def _prompt(read_line: Callable[[str], str], err: Console) -> str | None:
    """The next line; None at end of input. Ctrl-C here only abandons the line being typed."""
    while True:
        try:
            return read_line(PROMPT)
        except EOFError:
            err.print()
            return None
        except KeyboardInterrupt:
            err.print("\n[dim](Ctrl-D or /exit to quit)[/dim]", highlight=False)


def _turn(target: Target, prompt: str, session_id: str, store: SessionStore, out: Console, err: Console) -> str:
    """Send one prompt and stream its answer; errors are shown and the chat goes on."""
    reply = None
    try:
        reply = target.transport.invoke(prompt, session_id, stream=True)
        result = receive(reply, out, err)
        if result.session_id != session_id:
            store.set(target.session_key, result.session_id)
        return result.session_id
    except KeyboardInterrupt:
        if reply is not None:
            reply.close()
        out.print()
        err.print("[yellow]answer cancelled[/yellow]", highlight=False)
    except CliError as error:
        err.print(f"[red]error:[/red] {escape(error.message)}", highlight=False)
    return session_id


def _end(target: Target, session_id: str, store: SessionStore, err: Console, *, keep: bool, started: bool) -> None:
    """Stop the AgentCore session and forget it; a failure to stop is reported, not raised."""
    if keep:
        return
    store.forget(target.session_key)
    if not (target.transport.stoppable and started):
        return
    try:
        target.transport.stop(session_id)
        err.print(f"[dim]session {session_id} stopped[/dim]", highlight=False)
    except CliError as error:
        err.print(f"[yellow]could not stop session {session_id}:[/yellow] {escape(error.message)}", highlight=False)


def _load_history() -> object | None:
    """readline's module with this tool's history loaded, or None where readline is missing."""
    try:
        import readline  # noqa: PLC0415 - optional: absent on some platforms
    except ImportError:
        return None
    with suppress(OSError):
        readline.read_history_file(state_dir() / "chat_history")
    readline.set_history_length(1000)
    return readline


def _save_history(readline: object | None) -> None:
    if readline is None:
        return
    with suppress(OSError):
        (state_dir()).mkdir(parents=True, exist_ok=True)
        readline.write_history_file(state_dir() / "chat_history")  # type: ignore[attr-defined]
