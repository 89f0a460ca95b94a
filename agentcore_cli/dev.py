"""``agentcore dev``: the agent on this machine, as the runtime would run it, restarted on edits.

What it runs: the agent project's own locked environment (``uv sync --frozen --no-dev``, exactly
what the image installs) and ``uvicorn agent:app`` from it, with the environment the component
gives the runtime (``components.container_environment.managed_environment`` plus the stack's
``agentcore:environmentVariables``) layered over the user's own, so the user's AWS credentials
reach real Bedrock. Without the image's ``opentelemetry-instrument`` wrapper: locally there is no
collector to export to.

Why watchfiles restarts the server instead of ``uvicorn --reload``: the image's lock has no
watchfiles, so uvicorn would fall back to polling every ``*.py`` under the project, its
``.venv`` (thousands of files) included, four times a second. watchfiles (in this tool's
environment) uses the OS's file events and ignores ``.venv`` and caches.

The Rust agent (a project with ``Cargo.toml``, e.g. ``agent_rust/`` or a stack with
``agentcore:agent: rust``) runs as ``cargo run --locked`` with the same environment; an edit to a
``.rs`` file or the manifest restarts it, which recompiles what changed.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import watchfiles
from rich.console import Console
from rich.markup import escape

from .errors import CliError, ExitCode

DEFAULT_AGENT_DIR = Path("agent_image")


@dataclass(frozen=True)
class DevPlan:
    """What ``run`` starts: the project, the server command and the variables set for it."""

    agent_dir: Path
    command: list[str]
    environment: dict[str, str]
    url: str
    rust: bool = False


class RustFilter(watchfiles.DefaultFilter):
    """Sources and manifests of a Cargo project; never its ``target/`` build output."""

    def __init__(self) -> None:
        super().__init__(ignore_dirs=(*self.ignore_dirs, "target"))

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        name = Path(path).name
        return (name.endswith(".rs") or name in ("Cargo.toml", "Cargo.lock")) and super().__call__(change, path)


def stack_config(stack: str) -> dict[str, str]:
    """``pulumi config --json --show-secrets --stack <stack>`` as ``{full key: string value}``
    (Pulumi.yaml's declared defaults included, as the program receives them)."""
    pulumi = shutil.which("pulumi")
    if pulumi is None:
        raise CliError("the Pulumi CLI is not on PATH: pass --model-id and --region instead of --stack", ExitCode.CONFIG)
    completed = subprocess.run(  # noqa: S603 - fixed arguments
        [pulumi, "config", "--json", "--show-secrets", "--stack", stack], capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        reason = (completed.stderr.strip().splitlines() or [f"exit code {completed.returncode}"])[-1]
        raise CliError(f"reading stack {stack!r} config failed: {reason}", ExitCode.CONFIG)
    try:
        entries = json.loads(completed.stdout)
    except json.JSONDecodeError:
        raise CliError(f"`pulumi config --json --stack {stack}` printed no JSON", ExitCode.CONFIG) from None
    return {key: entry["value"] for key, entry in entries.items() if isinstance(entry, dict) and "value" in entry}


def environment_from_stack(stack: str) -> tuple[dict[str, str], Path]:
    """The runtime's container environment for this stack's config, and its image context.

    Parsed and validated by the program's own code, so the local server gets exactly what the
    component would set. Imported here, not at the top: the component library loads the Pulumi
    providers, a cost only ``dev --stack`` should pay."""
    from components.errors import ConfigError  # noqa: PLC0415
    from components.container_environment import managed_environment  # noqa: PLC0415
    from components.stack_config import NAMESPACE, settings_from_config  # noqa: PLC0415

    config = stack_config(stack)
    prefix = f"{NAMESPACE}:"
    raw = {key[len(prefix) :]: value for key, value in config.items() if key.startswith(prefix)}
    try:
        _, settings = settings_from_config(raw)
    except ConfigError as error:
        raise CliError(f"stack {stack!r} config: {error}", ExitCode.CONFIG) from None
    region = config.get("aws:region", "")
    if not region:
        raise CliError(f"stack {stack!r} has no aws:region: set it, or pass --region", ExitCode.CONFIG)
    environment = {
        # traces off: locally there is nothing to export to (no collector, no X-Ray), so the
        # partition that would name X-Ray's endpoint is not needed either.
        **managed_environment(
            region=region,
            partition="",
            model_id=settings.model_id,
            log_level=settings.log_level,
            agent=settings.image.agent,
            traces=False,
        ),
        **settings.environment_variables,
    }
    return environment, Path(settings.image.build_context)


def plan(
    *, stack: str | None, model_id: str | None, region: str | None, agent_dir: Path | None, host: str, port: int
) -> DevPlan:
    """Work out what to run; every missing piece is a one-line error naming the option."""
    environment: dict[str, str] = {}
    context = DEFAULT_AGENT_DIR
    if stack:
        environment, context = environment_from_stack(stack)
    if model_id:
        environment["MODEL_ID"] = model_id
    if region:
        environment["AWS_REGION"] = region
    for name, option in (("MODEL_ID", "--model-id"), ("AWS_REGION", "--region")):
        if not environment.get(name):
            raise CliError(f"{option} is required (or --stack NAME to read it from the stack's config)", ExitCode.USAGE)
    directory = (agent_dir or context).resolve()
    url = f"http://{host}:{port}"
    if (directory / "Cargo.toml").is_file():
        cargo = shutil.which("cargo")
        if cargo is None:
            raise CliError("cargo is not on PATH: install Rust 1.94 or newer (it builds the Rust agent)", ExitCode.CONFIG)
        command = [cargo, "run", "--locked", "--quiet", "--manifest-path", str(directory / "Cargo.toml"), "--"]
        return DevPlan(directory, [*command, "--host", host, "--port", str(port)], environment, url, rust=True)
    if not (directory / "agent.py").is_file() or not (directory / "uv.lock").is_file():
        raise CliError(
            f"--agent-dir: {directory} has no agent.py and uv.lock, nor Cargo.toml (an agent project)", ExitCode.USAGE
        )
    uvicorn = directory / ".venv" / "bin" / "uvicorn"
    command = [str(uvicorn), "agent:app", "--app-dir", str(directory), "--host", host, "--port", str(port)]
    return DevPlan(directory, command, environment, url)


def sync(agent_dir: Path) -> None:
    """Create or update the project's own environment from its lock, as the image build does."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        raise CliError("uv is not on PATH: install it (it builds the agent's environment)", ExitCode.CONFIG)
    env = {key: value for key, value in os.environ.items() if key != "VIRTUAL_ENV"}
    completed = subprocess.run(  # noqa: S603 - fixed command
        [uv, "sync", "--frozen", "--no-dev", "--project", str(agent_dir)], env=env, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise CliError(f"`uv sync` of {agent_dir} failed:\n{completed.stderr.strip()}", ExitCode.CONFIG)


def run(dev_plan: DevPlan, err: Console) -> None:
    """Sync, then serve until Ctrl-C, restarting the server whenever a source file changes."""
    if not dev_plan.rust:  # cargo run builds the Rust agent itself
        sync(dev_plan.agent_dir)
    os.environ.update(dev_plan.environment)  # the server inherits this process's environment
    os.environ.pop("VIRTUAL_ENV", None)
    shown = ", ".join(f"{name}={dev_plan.environment[name]}" for name in ("MODEL_ID", "AWS_REGION"))
    err.print(
        f"[bold]agent[/bold] {escape(str(dev_plan.agent_dir))} at {dev_plan.url} ({escape(shown)})\n"
        "[dim]restarts on changes; talk to it with `agentcore invoke --local` or `agentcore chat --local`; "
        "Ctrl-C stops it[/dim]",
        highlight=False,
    )

    def restarted(changes: set[tuple[watchfiles.Change, str]]) -> None:
        names = sorted({Path(path).name for _, path in changes})
        err.print(f"[yellow]changed[/yellow] {escape(', '.join(names))}: restarting", highlight=False)

    watchfiles.run_process(
        dev_plan.agent_dir,
        target=shlex.join(dev_plan.command),
        target_type="command",
        callback=restarted,
        watch_filter=RustFilter() if dev_plan.rust else watchfiles.PythonFilter(),
    )
