"""What AgentCore Memory costs each agent: ``uv run python -m bench.memory [--smoke]``.

Three figures for the Python and the Rust agent, each with Memory on (the agent's real AWS SDK
client against the testkit's Memory emulator on loopback) and off, against the zero-delay Bedrock
emulator (the Rust agent is its release build, as the image builds it; in smoke runs the suite's):

1. a full JSON turn in a session that already exists in the process (median, p99): the restore is
   paid once, so this is the store in the background plus the long-term recall's absence;
2. resuming a 20-turn session in a new process: time to the first answer, against a new session;
3. ``/ping`` latency (p99) while 20 new sessions start at once (issue 11's target: <= 10 ms),
   timed from a separate process so the emulators and clients here do not add to it.

Loopback Memory answers in well under a millisecond; real Memory adds its network round trips to
figure 2 (one ListEvents page per 100 events) and to nothing else (stores are after the answer).
Results go to stdout and bench/MEMORY.md (``--markdown``).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import multiprocessing
import multiprocessing.queues
import statistics
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from .servers import build_rust_release, rust_argv
from tests.testkit.agents import PYTHON, RUST, RUST_DIR
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.contract import SESSION
from tests.testkit.memory_emulator import MemoryEmulator
from tests.testkit.processes import ServerProcess, free_port

RESULTS = Path(__file__).resolve().parent / "MEMORY.md"
ACTOR = {"X-Amzn-Bedrock-AgentCore-Runtime-User-Id": "bench"}


Starter = Callable[[str, dict[str, str]], ServerProcess]


def starters(smoke: bool) -> dict[str, Starter]:
    """How to start each agent against a Bedrock URL with extra variables (Python, then Rust)."""
    binary = RUST.build() if smoke else build_rust_release()

    def rust(bedrock_url: str, extra: dict[str, str]) -> ServerProcess:
        port = free_port()
        env = {**RUST.environment(bedrock_url), **extra}
        return ServerProcess(rust_argv(binary)(port), port=port, cwd=RUST_DIR, env=env).start()

    return {"Python": PYTHON.start, "Rust": rust}


def _server(start: Starter, bedrock: BedrockEmulator, memory: MemoryEmulator | None) -> ServerProcess:
    extra = {"MAX_SESSIONS": "200"}
    if memory is not None:
        extra |= {"BEDROCK_AGENTCORE_MEMORY_ID": memory.memory_id, "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": memory.url}
    return start(bedrock.url, extra)


def _turn(client: httpx.Client, url: str, session: str) -> float:
    start = time.perf_counter()
    answer = client.post(f"{url}/invocations", json={"prompt": "hello"}, headers={SESSION: session, **ACTOR})
    answer.raise_for_status()
    return time.perf_counter() - start


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def turn_latency(server: ServerProcess, turns: int) -> tuple[float, float]:
    session = f"bench-{uuid.uuid4()}"
    with httpx.Client(timeout=30) as client:
        _turn(client, server.url, session)  # the session's first turn (and restore) is not counted
        samples = [_turn(client, server.url, session) for _ in range(turns)]
    return statistics.median(samples) * 1000, _percentile(samples, 0.99) * 1000


def resume(start: Starter, bedrock: BedrockEmulator, memory: MemoryEmulator | None, history: int) -> float:
    """Time to the first answer of a session with ``history`` turns, in a process that never saw it."""
    session = f"bench-{uuid.uuid4()}"
    if memory is not None:
        first = _server(start, bedrock, memory)
        with httpx.Client(timeout=30) as client:
            for _ in range(history):
                _turn(client, first.url, session)
        first.stop()  # graceful: pending stores are flushed
    second = _server(start, bedrock, memory)
    try:
        with httpx.Client(timeout=30) as client:
            return _turn(client, second.url, session) * 1000
    finally:
        second.stop()


async def ping_during_session_starts(url: str, sessions: int) -> float:
    """/ping p99 (ms) while ``sessions`` new sessions each send their first turn at once.

    The pings come from a process of their own: this one also runs the emulators and the 20
    clients, and sharing its interpreter lock with them would add their work to every ping.
    """
    context = multiprocessing.get_context("spawn")
    stop, ready = context.Event(), context.Event()
    results: multiprocessing.queues.Queue[list[float]] = context.Queue()
    pinger = context.Process(target=_ping_until, args=(url, stop, ready, results), daemon=True)
    pinger.start()
    try:
        ready.wait(timeout=30)
        await asyncio.sleep(0.05)
        async with httpx.AsyncClient(timeout=30) as client:

            async def first_turn() -> None:
                headers = {SESSION: f"bench-{uuid.uuid4()}", **ACTOR}
                (await client.post(f"{url}/invocations", json={"prompt": "hello"}, headers=headers)).raise_for_status()

            await asyncio.gather(*(first_turn() for _ in range(sessions)))
        stop.set()
        latencies = results.get(timeout=30)
    finally:
        stop.set()
        pinger.join(timeout=30)
    return _percentile(latencies, 0.99) * 1000


def _ping_until(url: str, stop: Any, ready: Any, results: Any) -> None:
    """Ping every 2 ms over one kept-alive connection until ``stop``; send the latencies back."""
    target = urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=30)
    latencies: list[float] = []
    ready.set()
    while not stop.is_set():
        start = time.perf_counter()
        connection.request("GET", "/ping")
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"/ping answered {answer.status}")
        latencies.append(time.perf_counter() - start)
        time.sleep(0.002)
    connection.close()
    results.put(latencies)


Row = tuple[str, str, list[float]]
COLUMNS = [(agent, label) for agent in ("Python", "Rust") for label in ("off", "on")]


def run(turns: int, history: int, sessions: int, smoke: bool) -> list[Row]:
    """Every figure for every (agent, Memory off/on) column, in ``COLUMNS`` order."""
    figures: dict[tuple[str, str], dict[str, float]] = {}
    agents = starters(smoke)
    with BedrockEmulator(chunks=1) as bedrock, MemoryEmulator(page_size=100) as memory:
        for agent, label in COLUMNS:
            start, mem = agents[agent], (memory if label == "on" else None)
            column = figures[(agent, label)] = {}
            server = _server(start, bedrock, mem)
            try:
                column["turn_median"], column["turn_p99"] = turn_latency(server, turns)
                column["ping_p99"] = asyncio.run(ping_during_session_starts(server.url, sessions))
            finally:
                server.stop()
            column["resume"] = resume(start, bedrock, mem, history)
    return [
        (title, unit, [figures[column][key] for column in COLUMNS])
        for key, title, unit in (
            ("turn_median", "turn in an existing session, median", "ms"),
            ("turn_p99", "turn in an existing session, p99", "ms"),
            ("resume", f"first answer of a {history}-turn session in a new process (off: a new session)", "ms"),
            ("ping_p99", f"/ping p99 while {sessions} sessions start at once", "ms"),
        )
    ]


def markdown(rows: list[Row], command: str) -> str:
    header = " | ".join(f"{agent}, Memory {label}" for agent, label in COLUMNS)
    lines = [
        "# Memory benchmark",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; command: `{command}`",
        "- Memory is the testkit's loopback emulator: real Memory adds network time to the resume row.",
        "- The Rust agent is its release build (`cargo build --release --locked`), as the image builds it.",
        "",
        f"| figure | unit | {header} |",
        "|---|---|" + "---:|" * len(COLUMNS),
        *(f"| {title} | {unit} | " + " | ".join(f"{value:.1f}" for value in values) + " |" for title, unit, values in rows),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny counts: checks the benchmark runs")
    parser.add_argument("--markdown", type=Path, default=None, help=f"write the table here (default {RESULTS} unless --smoke)")
    args = parser.parse_args(argv)
    turns, history, sessions = (3, 2, 3) if args.smoke else (100, 20, 20)
    rows = run(turns, history, sessions, args.smoke)
    text = markdown(rows, "uv run python -m bench.memory" + (" --smoke" if args.smoke else ""))
    print(text)
    target = args.markdown or (None if args.smoke else RESULTS)
    if target is not None:
        target.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
