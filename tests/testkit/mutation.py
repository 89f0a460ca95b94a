"""Mutation testing of the Python agent and the component's pure builders with cosmic-ray, on demand.

    uv run python -m tests.testkit.mutation                   # every target (hours on two cores)
    uv run python -m tests.testkit.mutation sessions retry    # some targets
    uv run python -m tests.testkit.mutation --report          # summarise the last run again
    uv run python -m tests.testkit.mutation --retest-survivors errors   # after adding tests

Why cosmic-ray rather than mutmut 3: mutmut 3 runs pytest in its own process and picks the tests
for a mutant by which tests called the mutated function there. The agent's code runs in a server
subprocess, as its container runs it, so mutmut would find no test covering any of it. cosmic-ray
writes one mutant to the file, runs a test command, and restores the file.

Why a scratch copy: mutants are written to disk; in the shared work tree every other test run on
the machine would see them. WORKDIR/repo holds the work tree's tracked and new (not ignored)
files; the suite's own fixture syncs its agent_image/.venv from the lock on the first run.

Why mutants inside annotations are skipped: the agent's modules use ``from __future__ import
annotations``, so ``str | None`` is never evaluated and every mutant of it is equivalent.

Not in CI: a full run takes hours on two cores.

Why a test selection per target: every agent test run starts agent servers (about two seconds each on
two cores), so each module is checked with the tests that pin it, stopping at the first failure.
A timeout counts as killed (the mutant hung the server).

Results: WORKDIR/<target>.sqlite is cosmic-ray's session (``cr-report``, ``cr-html``);
WORKDIR/report.md has each target's score and every surviving mutant as a diff.
"""

from __future__ import annotations

import argparse
import ast
import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cosmic_ray.work_db import WorkDB, use_db
from cosmic_ray.work_item import WorkerOutcome, WorkResult

from tests.testkit.agent_image import REPO_ROOT

BIN = Path(sys.executable).parent
DEFAULT_WORKDIR = Path("/tmp/agent-mutation")
# Random (non-reproducible) operators; a rerun must mutate the same way.
EXCLUDED_OPERATORS = ["core/VariableReplacer", "core/VariableInserter"]
TEST_TIMEOUT_SECONDS = 240.0


@dataclass(frozen=True)
class Target:
    """One module and the pytest arguments that select the tests pinning it."""

    module: str
    tests: tuple[str, ...]


API, LIFECYCLE, PYTHON_ONLY = "tests/test_agent_api.py", "tests/test_agent_lifecycle.py", "tests/test_agent_python.py"
TARGETS: dict[str, Target] = {
    "sessions": Target(
        "agent_image/agentcore_agent/sessions.py",
        (LIFECYCLE, API, "-k", "evicted or forgotten or one_after_another or second_turn or fresh_session or leaving"),
    ),
    "health": Target("agent_image/agentcore_agent/health.py", (PYTHON_ONLY, API, "-k", "ping")),
    "retry": Target(
        "agent_image/agentcore_agent/retry.py",
        (PYTHON_ONLY, "-k", "backoff or budget or throttl or success_or_a_new_turn"),
    ),
    "errors": Target(
        "agent_image/agentcore_agent/errors.py",
        (PYTHON_ONLY, API, LIFECYCLE, "-k", "failure or classif or token_limit or throttl or credentials or unreach"),
    ),
    "payload": Target(
        "agent_image/agentcore_agent/payload.py",
        (API, "-k", "bad or body or content_type or sse or answer_is_json or prompt_at"),
    ),
    "agent": Target("agent_image/agent.py", (API, LIFECYCLE, "tests/test_agent_identity.py")),
    "turns": Target(
        "agent_image/agentcore_agent/turns.py",
        (API, "-k", "answer or usage or sse or stream or session or failed_turn or tool"),
    ),
    "settings": Target(
        "agent_image/agentcore_agent/settings.py", (LIFECYCLE, PYTHON_ONLY, "-k", "configuration or default_limits")
    ),
    "logs": Target("agent_image/agentcore_agent/logs.py", (API, "-k", "access_log")),
    "tools": Target("agent_image/agentcore_agent/tools.py", (API, "-k", "tool or calculator")),
    "identity": Target("agent_image/agentcore_agent/identity.py", ("tests/test_agent_identity.py",)),
    # The component's pure builders: names and IAM documents, pinned by their own tests and by the
    # committed resource snapshot of every program variant.
    **{
        f"iam_{name}": Target(
            f"components/iam/{name}.py", ("tests/test_iam_policies.py", "tests/test_program_snapshot.py")
        )
        for name in ("documents", "arns", "runtime", "deployer", "telemetry")
    },
    "names": Target(
        "components/names.py",
        ("tests/test_component_names.py", "tests/test_validation.py", "tests/test_program_snapshot.py"),
    ),
}


def copy_work_tree(destination: Path) -> None:
    """The work tree's tracked and untracked, not ignored, files (no venvs, caches or results)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
        cwd=REPO_ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, (entry.decode() for entry in listed)):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    # A mutant written within the same second as an earlier compile, at the same size, would
    # otherwise be shadowed by the stale bytecode (cosmic-ray's runs write none themselves).
    for cache in (destination / "agent_image").rglob("__pycache__"):
        if ".venv" not in cache.parts:
            shutil.rmtree(cache)


def config_text(target: Target) -> str:
    """cosmic-ray's TOML config: the module, the selected tests on the python agent, the local distributor."""
    command = [str(BIN / "python"), "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "--agent", "python"]
    return "\n".join(
        [
            "[cosmic-ray]",
            f"module-path = {json.dumps(target.module)}",
            f"timeout = {TEST_TIMEOUT_SECONDS}",
            "excluded-modules = []",
            f"test-command = {json.dumps(shlex.join([*command, *target.tests]))}",
            "",
            "[cosmic-ray.distributor]",
            'name = "local"',
            "",
            "[cosmic-ray.filters.operators-filter]",
            f"exclude-operators = {json.dumps(EXCLUDED_OPERATORS)}",
            "",
        ]
    )


def annotation_spans(source: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """(start, end) of every annotation, as (line, column) with lines from 1 like cosmic-ray's."""
    spans = []
    for node in ast.walk(ast.parse(source)):
        annotations = []
        if isinstance(node, ast.arg | ast.AnnAssign) and node.annotation is not None:
            annotations.append(node.annotation)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
            annotations.append(node.returns)
        for annotation in annotations:
            end = (annotation.end_lineno or annotation.lineno, annotation.end_col_offset or 0)
            spans.append(((annotation.lineno, annotation.col_offset), end))
    return spans


def dumped(session: Path) -> list[tuple[dict[str, Any], dict[str, Any] | None]]:
    """cosmic-ray's session as (work item, result or None) pairs."""
    lines = subprocess.run(  # noqa: S603
        [BIN / "cosmic-ray", "dump", session], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [tuple(json.loads(line)) for line in lines if line]  # type: ignore[misc]


def skip_annotation_mutants(session: Path, repo: Path) -> None:
    """Mark mutants inside annotations as skipped: never evaluated, so equivalent by construction."""
    spans: dict[str, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
    skipped = []
    for item, result in dumped(session):
        (mutation,) = item["mutations"]
        path = mutation["module_path"]
        if path not in spans:
            spans[path] = annotation_spans((repo / path).read_text())
        start = tuple(mutation["start_pos"])
        if result is None and any(low <= start < high for low, high in spans[path]):
            skipped.append(item["job_id"])
    with use_db(str(session), WorkDB.Mode.open) as db:
        for job_id in skipped:
            skip = WorkResult(output="annotation: never evaluated", worker_outcome=WorkerOutcome.SKIPPED)
            db.set_result(job_id, skip)


def forget_survivors(session: Path) -> None:
    """Drop the results of surviving mutants so the next run tests them again (after new tests)."""
    survivors = [item["job_id"] for item, result in dumped(session) if result and result["test_outcome"] == "survived"]
    with sqlite3.connect(session) as db:
        db.executemany("DELETE FROM work_results WHERE job_id = ?", [(job_id,) for job_id in survivors])


def run_target(name: str, workdir: Path) -> None:
    """Initialise (once), filter and execute one target's session; resumable after an interruption."""
    repo = workdir / "repo"
    config = workdir / f"{name}.toml"
    session = workdir / f"{name}.sqlite"
    config.write_text(config_text(TARGETS[name]))
    if not session.exists():
        subprocess.run([BIN / "cosmic-ray", "init", config, session], cwd=repo, check=True)  # noqa: S603
        subprocess.run([BIN / "cr-filter-operators", session, config], cwd=repo, check=True)  # noqa: S603
        skip_annotation_mutants(session, repo)
    subprocess.run([BIN / "cosmic-ray", "exec", config, session], cwd=repo, check=True)  # noqa: S603


def summary(name: str, workdir: Path) -> str:
    """The target's score and its surviving mutants (diffs), from cosmic-ray's session dump."""
    counts = Counter({"killed": 0, "survived": 0})
    survivors = []
    for _, result in dumped(workdir / f"{name}.sqlite"):
        if result is None:
            counts["pending"] += 1
        elif result["worker_outcome"] == "skipped":
            counts["skipped"] += 1
        else:  # killed, survived, or incompetent (the mutant could not even be run)
            counts[result["test_outcome"] or result["worker_outcome"]] += 1
            if result["test_outcome"] == "survived":
                survivors.append(f"```diff\n{result['diff'].strip()}\n```")
    tested = counts["killed"] + counts["survived"]
    score = f"{100 * counts['killed'] / tested:.1f}%" if tested else "n/a"
    head = f"## {name} ({TARGETS[name].module}): {score} killed of {tested} run; " + ", ".join(
        f"{key} {value}" for key, value in counts.items()
    )
    return "\n\n".join([head, *survivors])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"some of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR)
    parser.add_argument("--fresh", action="store_true", help="discard earlier sessions and copy the tree anew")
    parser.add_argument("--report", action="store_true", help="only write the report of the sessions so far")
    parser.add_argument("--retest-survivors", action="store_true", help="test the surviving mutants again")
    args = parser.parse_args()
    names = args.targets or list(TARGETS)
    unknown = sorted(set(names) - set(TARGETS))
    if unknown:
        parser.error(f"unknown targets {unknown}; choose from {', '.join(TARGETS)}")
    if args.fresh and args.workdir.exists():
        shutil.rmtree(args.workdir)
    if not args.report:
        copy_work_tree(args.workdir / "repo")  # the current tests (and code) every time
        for name in names:
            if args.retest_survivors and (args.workdir / f"{name}.sqlite").exists():
                forget_survivors(args.workdir / f"{name}.sqlite")
            run_target(name, args.workdir)
    done = [name for name in TARGETS if (args.workdir / f"{name}.sqlite").exists()]
    report = "\n\n".join(summary(name, args.workdir) for name in done) + "\n"
    (args.workdir / "report.md").write_text(report)
    print(report)


if __name__ == "__main__":
    main()
