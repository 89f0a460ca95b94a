"""The workloads: async httpx clients (HTTP/1.1, keep-alive) against one server over loopback.

Every loop here is bounded both in count and in time, and every invocation's answer is checked
(HTTP 200 and a completion in it), so a server that fails fast cannot look fast: failures are
counted and reported next to the figures.

``/ping`` is timed with ``PingProbe`` (see probe.py for why not httpx).

The model's time is set per request by directives in the prompt that the emulator (and the floor)
understand: ``[[chunks:N]]`` and ``[[delay:S]]`` make the model answer in N chunks, S seconds apart.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field

import httpx

from .probe import PingProbe

SESSION_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id"
REQUEST_HEADER = "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id"
# Enough connections for every concurrent stream plus headroom; loopback only.
LIMITS = httpx.Limits(max_connections=256, max_keepalive_connections=256)


def session_id(label: str, index: int) -> str:
    """A distinct AgentCore session id (the platform requires 33-256 characters)."""
    return f"bench-{label}-{index:05d}-{uuid.uuid4().hex}"


def prompt(chunks: int, delay: float, words: str = "hello") -> str:
    """A prompt whose answer takes ``chunks`` x ``delay`` seconds of model time.

    The emulator splits its answer ("You said: <prompt>. Turn k.") into at most one chunk per
    character, so the prompt is padded to make the answer long enough for ``chunks`` pieces.
    """
    padding = " ".join(["lorem"] * max(0, chunks // 6))
    return f"{words} {padding} [[chunks:{chunks}]] [[delay:{delay}]]".replace("  ", " ")


@dataclass
class Failures:
    """Invocations that did not end in HTTP 200 with a completion, with a few examples."""

    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, what: str) -> None:
        self.count += 1
        if len(self.examples) < 3:
            self.examples.append(what[:300])


class BadAnswer(Exception):
    """The server answered, but not with a completed turn."""


async def invoke(client: httpx.AsyncClient, url: str, session: str, text: str, *, stream: bool = False) -> float:
    """One full turn (request sent -> last byte read); returns its duration, raises BadAnswer."""
    headers = {SESSION_HEADER: session, REQUEST_HEADER: uuid.uuid4().hex, "Content-Type": "application/json"}
    headers["Accept"] = "text/event-stream" if stream else "application/json"
    started = time.perf_counter()
    async with client.stream(
        "POST", url + "/invocations", content=json.dumps({"prompt": text}), headers=headers
    ) as answer:
        body = b"".join([chunk async for chunk in answer.aiter_bytes()])
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise BadAnswer(f"HTTP {answer.status_code}: {body[:200]!r}")
    if b'"completion"' not in body or b"You said" not in body:  # the emulator's answer reached the client
        raise BadAnswer(f"no completion in {body[-300:]!r}")
    return elapsed


async def _checked(call: Awaitable[float], failures: Failures) -> float | None:
    try:
        return await call
    except (BadAnswer, httpx.HTTPError) as error:
        failures.add(f"{type(error).__name__}: {error}")
        return None


async def ping_latencies(url: str, count: int, max_seconds: float, warmup: int = 10) -> list[float]:
    """Sequential GET /ping on one keep-alive connection; seconds per request."""
    latencies: list[float] = []
    async with PingProbe(url) as probe:
        for _ in range(warmup):
            await probe.ping()
        deadline = time.perf_counter() + max_seconds
        while len(latencies) < count and time.perf_counter() < deadline:
            latencies.append(await probe.ping())
    return latencies


async def ping_throughput(url: str, clients: int, seconds: float) -> float:
    """Completed GET /ping per second with ``clients`` connections looping for ``seconds``."""

    async def loop(deadline: float) -> int:
        done = 0
        async with PingProbe(url) as probe:
            while time.perf_counter() < deadline:
                await probe.ping()
                done += 1
        return done

    started = time.perf_counter()
    counts = await asyncio.gather(*(loop(started + seconds) for _ in range(clients)))
    return sum(counts) / (time.perf_counter() - started)


async def turn_latencies(url: str, turns: int, warmup: int, max_seconds: float, failures: Failures) -> list[float]:
    """Sequential zero-model-time turns in one session: what the stack adds around the model."""
    session = session_id("turn", 0)
    latencies: list[float] = []
    async with httpx.AsyncClient(timeout=60.0, limits=LIMITS) as client:
        for _ in range(warmup):
            await _checked(invoke(client, url, session, prompt(1, 0)), failures)
        deadline = time.perf_counter() + max_seconds
        while len(latencies) < turns and time.perf_counter() < deadline:
            elapsed = await _checked(invoke(client, url, session, prompt(1, 0)), failures)
            if elapsed is not None:
                latencies.append(elapsed)
    return latencies


async def concurrent_turns(url: str, turns: int, model_seconds: float, timeout: float, failures: Failures) -> float:
    """Wall time for ``turns`` simultaneous turns (one session each) of ``model_seconds`` model time."""
    chunks = 4
    text = prompt(chunks, model_seconds / chunks)
    async with httpx.AsyncClient(timeout=timeout, limits=LIMITS) as client:
        await _checked(invoke(client, url, session_id("warm", 0), prompt(1, 0)), failures)
        started = time.perf_counter()
        calls = [_checked(invoke(client, url, session_id("conc", i), text), failures) for i in range(turns)]
        try:
            await asyncio.wait_for(asyncio.gather(*calls), timeout)
        except TimeoutError:
            failures.add(f"not all {turns} turns done within {timeout:.0f}s")
            return float("inf")
        return time.perf_counter() - started


@dataclass
class LoadedPing:
    """/ping latencies measured while slow invocations were in flight, and how many still were."""

    latencies: list[float]
    in_flight_at_start: int
    in_flight_at_end: int
    streams_started: int


async def ping_under_load(
    url: str, streams: int, chunk_delay: float, window: float, pings: int, failures: Failures
) -> LoadedPing:
    """Open ``streams`` slow streaming invocations (one session each), then time /ping.

    Each invocation's model time outlasts the measuring window, so all of them are in flight
    (running or queued) the whole time; they are cancelled afterwards. Servers that answer JSON
    instead of a stream (the reference) hold the request open just the same.
    """
    settle = 1.0
    chunks = max(2, int((settle + window + 2.0) / chunk_delay))
    text = prompt(chunks, chunk_delay, "stream")
    first_bytes = 0

    async def one(client: httpx.AsyncClient, index: int) -> None:
        nonlocal first_bytes
        headers = {
            SESSION_HEADER: session_id("load", index),
            "Accept": "text/event-stream",
            "Content-Type": "application/json",
        }
        async with client.stream(
            "POST", url + "/invocations", content=json.dumps({"prompt": text}), headers=headers
        ) as answer:
            counted = False
            async for _ in answer.aiter_bytes():
                if not counted:
                    first_bytes += 1
                    counted = True

    async with httpx.AsyncClient(timeout=window + 60.0, limits=LIMITS) as client:
        tasks = [asyncio.create_task(one(client, index)) for index in range(streams)]
        # Let the requests reach the server; streaming servers show it by sending a first event.
        deadline = time.perf_counter() + settle
        while time.perf_counter() < deadline and first_bytes < streams:
            await asyncio.sleep(0.02)
        at_start = sum(not task.done() for task in tasks)
        latencies = await ping_latencies(url, pings, window, warmup=0)
        at_end = sum(not task.done() for task in tasks)
        for task in tasks:
            if task.done() and task.exception() is not None:
                failures.add(f"stream: {task.exception()!r}")
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return LoadedPing(latencies, at_start, at_end, first_bytes)


async def fill_sessions(
    url: str, sessions: int, turns: int, parallel: int, max_seconds: float, failures: Failures, *, label: str = "mem"
) -> int:
    """``sessions`` sessions of ``turns`` sequential zero-model-time turns, ``parallel`` at a time.

    Session ids start with ``bench-<label>-`` so a warm-up's sessions differ from the measured ones.

    Returns how many turns completed (all of them unless the time bound cut the run short).
    """
    completed = 0
    deadline = time.perf_counter() + max_seconds
    gate = asyncio.Semaphore(parallel)

    async def one_session(client: httpx.AsyncClient, index: int) -> None:
        nonlocal completed
        session = session_id(label, index)
        async with gate:
            for turn in range(turns):
                if time.perf_counter() > deadline:
                    return
                if await _checked(invoke(client, url, session, prompt(1, 0, f"turn {turn}")), failures) is not None:
                    completed += 1

    async with httpx.AsyncClient(timeout=60.0, limits=LIMITS) as client:
        await asyncio.gather(*(one_session(client, index) for index in range(sessions)))
    return completed
