"""``uv run python -m bench [--smoke]``: run every figure against ours, the reference and the floor.

Order of work, all against one emulator process: cold-start rounds (start and stop each server in
turn); then the light figures (idle /ping, /ping throughput, zero-delay turns) with all servers up
at once, in short interleaved rounds, so a neighbour's burst of load lands on every server alike;
then each heavy figure (ping under load, concurrent turns, memory) on a fresh process of each
server in turn. Every process start is also a cold-start sample. Install weight comes from the locks.
Writes the markdown table to stdout and to ``bench/RESULTS.md`` (full runs; ``--markdown`` to
choose), and everything measured to ``bench/results.json`` (``--json`` to choose).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import math
import shlex
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from tests.testkit.agent_image import sync_agent_environment

from . import install_weight, load, report
from .emulator import EmulatorProcess
from .servers import (
    AGENT_IMAGE,
    AGENT_PYTHON,
    BENCH,
    ServerSpec,
    TimedServer,
    build_rust_release,
    launch,
    rss_bytes,
    specs,
)
from .system import CpuWatch, machine_facts

# Heavy figures, grouped by the fresh server process they share. Ping under load leaves cancelled
# work behind and memory needs a process that has served nothing else, so a full run gives each
# its own process; the smoke run saves process starts (ping under load last, as nothing follows).
FULL_GROUPS = (("loaded",), ("concurrent",), ("memory",))
SMOKE_GROUPS = (("concurrent", "memory", "loaded"),)


@dataclass(frozen=True)
class Config:
    """Counts and time bounds of one run (full or smoke)."""

    smoke: bool
    groups: tuple[tuple[str, ...], ...]
    warmup_spawn: bool
    cold_rounds: int  # start/stop rounds just for cold start, on top of one start per group
    rounds: int  # interleaved rounds of the light figures; the counts below are split over them
    ping_count: int
    ping_seconds: float
    throughput_clients: int
    throughput_seconds: float  # per round
    turns: int
    turn_warmup: int
    turn_seconds: float
    load_streams: int
    stream_chunk_delay: float
    load_window: float
    load_pings: int
    concurrent_turns: int
    turn_model_seconds: float
    sessions: int
    session_turns: int
    session_parallel: int
    sessions_seconds: float


FULL = Config(
    smoke=False,
    groups=FULL_GROUPS,
    warmup_spawn=True,
    cold_rounds=10,
    rounds=5,
    ping_count=2000,
    ping_seconds=10.0,
    throughput_clients=4,
    throughput_seconds=1.0,
    turns=50,
    turn_warmup=3,
    turn_seconds=60.0,
    load_streams=50,
    stream_chunk_delay=0.05,
    load_window=5.0,
    load_pings=1000,
    concurrent_turns=50,
    turn_model_seconds=1.0,
    sessions=100,
    session_turns=10,
    session_parallel=10,
    sessions_seconds=600.0,
)
SMOKE = Config(
    smoke=True,
    groups=SMOKE_GROUPS,
    warmup_spawn=False,
    cold_rounds=0,
    rounds=1,
    ping_count=30,
    ping_seconds=2.0,
    throughput_clients=2,
    throughput_seconds=0.3,
    turns=3,
    turn_warmup=1,
    turn_seconds=10.0,
    load_streams=5,
    stream_chunk_delay=0.05,
    load_window=0.5,
    load_pings=30,
    concurrent_turns=5,
    turn_model_seconds=0.2,
    sessions=3,
    session_turns=2,
    session_parallel=3,
    sessions_seconds=30.0,
)


def _ms(samples: list[float]) -> dict[str, float | int]:
    return report.summary([sample * 1000 for sample in samples])


def _phase(name: str, server: TimedServer, config: Config, failures: load.Failures) -> dict[str, Any]:
    """Run one figure against a running server; returns its entry for results.json."""
    url = server.url
    if name == "warmup":
        asyncio.run(load.turn_latencies(url, 1, 0, 30.0, failures))
        return {}
    if name == "loaded":
        loaded = asyncio.run(
            load.ping_under_load(
                url, config.load_streams, config.stream_chunk_delay, config.load_window, config.load_pings, failures
            )
        )
        return {
            "ping_loaded_ms": {
                **_ms(loaded.latencies),
                "in_flight_at_start": loaded.in_flight_at_start,
                "in_flight_at_end": loaded.in_flight_at_end,
                "streams_sending": loaded.streams_started,
            }
        }
    if name == "concurrent":
        timeout = config.concurrent_turns * config.turn_model_seconds * 2 + 30
        wall = asyncio.run(
            load.concurrent_turns(url, config.concurrent_turns, config.turn_model_seconds, timeout, failures)
        )
        return {"concurrent_turns_s": {"wall": wall, "ideal": config.turn_model_seconds}}
    if name == "memory":
        # Warm up at the fill's parallelism: lazy imports, clients and a model thread pool grown to
        # that many threads are one-off costs of serving that concurrency, not of holding sessions
        # (one serial warm-up turn left ~10 KB per session of pool growth in the figure).
        asyncio.run(
            load.fill_sessions(url, config.session_parallel, 1, config.session_parallel, 30.0, failures, label="warm")
        )
        time.sleep(0.3)
        before = rss_bytes(server.pid)
        completed = asyncio.run(
            load.fill_sessions(
                url, config.sessions, config.session_turns, config.session_parallel, config.sessions_seconds, failures
            )
        )
        time.sleep(0.3)
        after = rss_bytes(server.pid)
        return {
            "sessions_rss": {
                "before_mb": before / 2**20,
                "after_mb": after / 2**20,
                "per_session_kb": (after - before) / config.sessions / 1024,
                "turns_completed": completed,
                "turns_planned": config.sessions * config.session_turns,
            }
        }
    raise ValueError(f"unknown phase {name!r}")


def _launch(spec: ServerSpec, cpu: CpuWatch) -> TimedServer:
    """Start a server (a cold-start sample), watching what else used the CPU meanwhile."""
    with cpu.phase(f"{spec.name}:cold start"):
        server = launch(spec)
        cpu.track(server.pid)
    return server


def _start(
    spec: ServerSpec, cpu: CpuWatch, phases: tuple[str, ...], config: Config, failures: load.Failures
) -> tuple[TimedServer, dict[str, Any]]:
    """A fresh process of ``spec``: run ``phases`` on it, stop it; (the stopped server, its figures)."""
    server = _launch(spec, cpu)
    figures: dict[str, Any] = {}
    try:
        for name in phases:
            with cpu.phase(f"{spec.name}:{name}"):
                figures.update(_phase(name, server, config, failures))
        return server, figures
    finally:
        server.stop(timeout=5)
        server.cleanup()


def _light_figures(
    servers: list[ServerSpec], cpu: CpuWatch, config: Config, failures: dict[str, load.Failures]
) -> tuple[dict[str, dict[str, Any]], list[tuple[str, TimedServer]]]:
    """Idle /ping, /ping throughput and zero-delay turns, all servers up, interleaved in rounds."""
    pings, turns = math.ceil(config.ping_count / config.rounds), math.ceil(config.turns / config.rounds)
    started: list[tuple[str, TimedServer]] = []
    samples = {spec.name: {"idle": [], "throughput": [], "turns": []} for spec in servers}
    try:
        for spec in servers:
            started.append((spec.name, _launch(spec, cpu)))
        for _ in range(config.rounds):
            for name, server in started:
                figures = samples[name]
                with cpu.phase(f"{name}:idle"):
                    figures["idle"] += asyncio.run(
                        load.ping_latencies(server.url, pings, config.ping_seconds / config.rounds)
                    )
                with cpu.phase(f"{name}:throughput"):
                    figures["throughput"].append(
                        asyncio.run(
                            load.ping_throughput(server.url, config.throughput_clients, config.throughput_seconds)
                        )
                    )
                with cpu.phase(f"{name}:turns"):
                    figures["turns"] += asyncio.run(
                        load.turn_latencies(
                            server.url, turns, config.turn_warmup, config.turn_seconds / config.rounds, failures[name]
                        )
                    )
    finally:
        for _, server in started:
            server.stop(timeout=5)
            server.cleanup()
    results = {
        name: {
            "ping_idle_ms": _ms(figures["idle"]),
            "ping_throughput_rps": {"value": statistics.median(figures["throughput"]), "rounds": figures["throughput"]},
            "turn_ms": _ms(figures["turns"]),
        }
        for name, figures in samples.items()
    }
    return results, started


def run(config: Config, emit: Callable[[str], None] = print) -> dict[str, Any]:
    """Every figure for every server; the results document (also written as JSON by main)."""
    # The servers run in the agent image's locked environment, byte-compiled as in the image.
    sync_agent_environment()
    results: dict[str, Any] = {"config": asdict(config), "machine": machine_facts(AGENT_PYTHON)}
    started = time.perf_counter()
    cpu = CpuWatch()
    with EmulatorProcess() as emulator:
        cpu.track(emulator.pid)
        rust = None if config.smoke else build_rust_release()
        servers = specs(emulator.url, config.sessions + config.session_parallel, rust)
        figures: dict[str, dict[str, Any]] = {spec.name: {} for spec in servers}
        cold: dict[str, list[TimedServer]] = {spec.name: [] for spec in servers}
        failures = {spec.name: load.Failures() for spec in servers}
        if config.warmup_spawn:  # bytecode compiled and files in the page cache, as in a built image
            for spec in servers:
                _start(spec, cpu, ("warmup",), config, load.Failures())
        for round_ in range(config.cold_rounds):
            for spec in servers:
                cold[spec.name].append(_start(spec, cpu, (), config, failures[spec.name])[0])
            emit(f"cold start round {round_ + 1}/{config.cold_rounds} done")
        light, starts = _light_figures(servers, cpu, config, failures)
        for name, server in starts:
            cold[name].append(server)
            figures[name].update(light[name])
        emit(f"idle /ping, throughput, turns done ({time.perf_counter() - started:.0f}s)")
        for group in config.groups:
            for spec in servers:
                server, entry = _start(spec, cpu, group, config, failures[spec.name])
                cold[spec.name].append(server)
                figures[spec.name].update(entry)
                emit(f"{spec.name}: {', '.join(group)} done ({time.perf_counter() - started:.0f}s)")
        for spec in servers:
            starts = cold[spec.name]
            figures[spec.name]["cold_start_s"] = report.summary([s.cold_start_seconds for s in starts])
            figures[spec.name]["rss_at_ready_mb"] = report.summary([s.rss_at_ready / 2**20 for s in starts])
            figures[spec.name]["failures"] = asdict(failures[spec.name])
    for names, project in ((("ours", "ours_container"), AGENT_IMAGE), (("reference",), BENCH / "reference")):
        weight = install_weight.measure(project)
        for name in names:
            figures[name]["install_weight"] = {**weight.as_dict(), "wheel_mb": weight.wheel_bytes / 1e6}
    results["servers"] = figures
    results["contention"] = cpu.summary()
    results["elapsed_s"] = time.perf_counter() - started
    results["targets"] = {name: report.targets(results, name) for name in ("ours", "ours_container")}
    results["rust_targets"] = {"ours_rust": report.rust_targets(results)}
    return results


def _command(argv: list[str]) -> str:
    return shlex.join(["uv", "run", "python", "-m", "bench", *argv])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--smoke", action="store_true", help="tiny counts, well under a minute (the test suite runs this)"
    )
    parser.add_argument("--json", type=Path, default=BENCH / "results.json", help="where to write all results as JSON")
    parser.add_argument(
        "--markdown",
        type=Path,
        help="where to write the markdown report (default: bench/RESULTS.md for a full run, none for --smoke)",
    )
    parser.add_argument(
        "--stream-chunk-delay", type=float, help="model seconds per chunk of the slow streams (figure 2)"
    )
    parser.add_argument("--turn-seconds", type=float, help="model seconds per turn in the concurrency figure (3)")
    args = parser.parse_args(argv)
    arguments = sys.argv[1:] if argv is None else argv
    config = SMOKE if args.smoke else FULL
    if args.stream_chunk_delay is not None:
        config = replace(config, stream_chunk_delay=args.stream_chunk_delay)
    if args.turn_seconds is not None:
        config = replace(config, turn_model_seconds=args.turn_seconds)
    results = run(config, emit=lambda line: print(line, file=sys.stderr, flush=True))
    results["command"] = _command(arguments)
    results["date"] = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, default=_jsonable) + "\n")
    text = markdown(results)
    print(text)
    target = args.markdown or (None if args.smoke else BENCH / "RESULTS.md")
    if target is not None:
        write_markdown(target, text)
    return 0


def _jsonable(value: object) -> object:
    raise TypeError(f"not JSON serialisable: {value!r}")


NOTES_START, NOTES_END = "<!-- notes:start -->", "<!-- notes:end -->"


def markdown(results: dict[str, Any]) -> str:
    """The generated part of RESULTS.md: facts of the run, the table, the target verdicts."""
    machine, contention = results["machine"], results["contention"]
    failures = {name: entry["failures"]["count"] for name, entry in results["servers"].items()}
    config = results["config"]
    lines = [
        "# Benchmark results" + (" (smoke run: tiny counts, not meaningful)" if config["smoke"] else ""),
        "",
        f"- Date: {results['date']}; run took {results['elapsed_s']:.0f} s.",
        f"- Command (from the repository root): `{results['command']}`",
        f"- Machine: {machine['cpus']} CPUs ({machine['cpu_model']}), {machine['memory_gb']:.0f} GiB, "
        f"{machine['kernel']}; shared with other jobs. Python {machine['python']}; "
        + ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
        + ".",
        f"- Contention: other processes used on average {contention['mean_other_cpus']:.2f} of "
        f"{machine['cpus']} CPUs during the measured phases (max {contention['max_other_cpus']:.2f} "
        f"in `{contention['max_phase']}`); load average {machine['loadavg']} at start.",
        f"- Failed invocations: {', '.join(f'{name} {count}' for name, count in failures.items())}.",
        "",
        report.table(results),
        "",
        "## Targets",
        "",
        report.targets_table(results["targets"]),
        "",
        "## Rust agent targets (issue 10)",
        "",
        report.targets_table(results["rust_targets"]),
    ]
    return "\n".join(lines) + "\n"


def write_markdown(path: Path, generated: str) -> None:
    """Write the generated report, keeping the hand-written notes block of an existing file."""
    notes = f"{NOTES_START}\n{NOTES_END}"
    if path.exists():
        old = path.read_text()
        if NOTES_START in old and NOTES_END in old:
            notes = old[old.index(NOTES_START) : old.index(NOTES_END) + len(NOTES_END)]
    path.write_text(generated + "\n" + notes + "\n")


if __name__ == "__main__":
    sys.exit(main())
