"""The Python implementation's own internals, which the shared API suite cannot reach over HTTP:
the garbage collector set-up, the background-work extension point behind ``HealthyBusy``, failure
classification along exception chains, and the throttle-retry budget's schedule under an injected
clock, sleep and jitter.

Each unit check runs in agent_image's locked environment (its interpreter and Strands), as a
snippet that prints JSON; the expected values are written out here, never computed with the code.
"""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.testkit.agent_image import AGENT_DIR, image_command, run_agent_python
from tests.testkit.agents import PYTHON
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.processes import ServerProcess, free_port

pytestmark = pytest.mark.python_agent


def run_json(code: str, agent_venv: Path, env: dict[str, str | None] | None = None, args: tuple[str, ...] = ()) -> Any:
    """Run a snippet in the agent's environment and decode the JSON on its last line."""
    return json.loads(run_agent_python(textwrap.dedent(code), *args, env=env, venv=agent_venv).splitlines()[-1])


def test_garbage_collection_runs_once_the_app_is_loaded(agent_venv: Path, bedrock: BedrockEmulator) -> None:
    """The app loads with the collector off and freezes what it loaded; it must switch it back on,
    or every reference cycle a turn creates would be kept for the life of the process."""
    printed = run_agent_python(
        "import gc, agent; print(gc.isenabled(), gc.get_freeze_count())",
        env=PYTHON.environment(bedrock.url),
        venv=agent_venv,
    )
    enabled, frozen = printed.split()[-2:]
    assert enabled == "True"
    assert int(frozen) > 10_000  # the loaded modules' objects are out of every later collection


# --- background work and HealthyBusy -------------------------------------------------------------

HEALTH_TIMELINE = """
import asyncio, json, logging
from agentcore_agent.health import BackgroundWork

logged = []
class Keep(logging.Handler):
    def emit(self, record):
        logged.append([record.getMessage(), type(record.exc_info[1]).__name__ if record.exc_info else None])
logging.getLogger("agentcore_agent.health").addHandler(Keep())

now = [1000.4]
work = BackgroundWork(clock=lambda: now[0])
seen = {"start": work.ping()}

async def main():
    now[0] = 1003.9
    async with work.work():                       # exactly one piece of work
        seen["one"] = work.ping()
        now[0] = 1005.2                           # a second boundary passes while busy
        seen["one_later"] = work.ping()
    seen["after_one"] = work.ping()
    now[0] = 1009.7                               # and one while idle
    seen["idle_later"] = work.ping()
    async with work.work():                       # nested: one busy period
        now[0] = 1012.0
        async with work.work():
            now[0] = 1013.0
        seen["inner_ended"] = work.ping()
        now[0] = 1014.5
    seen["after_nested"] = work.ping()
    now[0] = 1020.0
    release = asyncio.Event()
    async def job():
        await release.wait()
    async def broken():
        raise RuntimeError("upload failed")
    task = work.spawn(job(), name="job")          # one spawned task
    seen["spawned"] = work.ping()
    now[0] = 1021.0
    release.set()
    await task
    await asyncio.sleep(0)                        # its done-callback runs
    seen["spawn_done"] = work.ping()
    now[0] = 1030.0
    failing = work.spawn(broken(), name="broken")
    await asyncio.gather(failing, return_exceptions=True)
    await asyncio.sleep(0)
    seen["failed_done"] = work.ping()
    now[0] = 1040.0
    stuck = work.spawn(asyncio.Event().wait(), name="stuck")
    seen["stuck"] = work.ping()
    stuck.cancel()                                # cancelled: not a failure, nothing logged
    await asyncio.gather(stuck, return_exceptions=True)
    await asyncio.sleep(0)
    seen["cancelled_done"] = work.ping()

asyncio.run(main())
seen["logged"] = logged
print(json.dumps(seen))
"""


def test_ping_status_and_timestamp_follow_background_work_on_a_controlled_clock(agent_venv: Path) -> None:
    seen = run_json(HEALTH_TIMELINE, agent_venv)
    healthy, busy = "Healthy", "HealthyBusy"
    assert seen == {
        "start": {"status": healthy, "time_of_last_update": 1000},
        "one": {"status": busy, "time_of_last_update": 1003},
        "one_later": {"status": busy, "time_of_last_update": 1003},
        "after_one": {"status": healthy, "time_of_last_update": 1005},
        "idle_later": {"status": healthy, "time_of_last_update": 1005},
        "inner_ended": {"status": busy, "time_of_last_update": 1009},
        "after_nested": {"status": healthy, "time_of_last_update": 1014},
        "spawned": {"status": busy, "time_of_last_update": 1020},
        "spawn_done": {"status": healthy, "time_of_last_update": 1021},
        "failed_done": {"status": healthy, "time_of_last_update": 1030},
        "stuck": {"status": busy, "time_of_last_update": 1040},
        "cancelled_done": {"status": healthy, "time_of_last_update": 1040},
        "logged": [["background task broken failed", "RuntimeError"]],
    }


BACKGROUND_APP = '''
"""A developer's extension of the agent: endpoints that start one piece of background work."""
import asyncio

from starlette.responses import JSONResponse
from starlette.routing import Route

from agent import app
from agentcore_agent.health import background


async def spawn(request):
    background.spawn(asyncio.sleep(float(request.query_params["seconds"])))
    return JSONResponse({"started": True})


async def hold(request):
    async with background.work():
        await asyncio.sleep(float(request.query_params["seconds"]))
    return JSONResponse({"held": True})


app.router.routes.append(Route("/spawn", spawn, methods=["POST"]))
app.router.routes.append(Route("/hold", hold, methods=["POST"]))
'''


@pytest.fixture
def background_server(agent_venv: Path, bedrock: BedrockEmulator, tmp_path: Path) -> Iterator[ServerProcess]:
    (tmp_path / "background_app.py").write_text(BACKGROUND_APP)
    port = free_port()
    command = [part if part != "agent:app" else "background_app:app" for part in image_command(port)]
    env = {**PYTHON.environment(bedrock.url), "PYTHONPATH": str(tmp_path)}
    with ServerProcess(command, port=port, cwd=AGENT_DIR, env=env) as server:
        yield server


def wait_for_status(http: httpx.Client, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10
    while (ping := http.get("/ping").json())["status"] != status and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ping["status"] == status, ping
    return ping


def test_ping_is_busy_exactly_while_one_spawned_task_runs(background_server: ServerProcess) -> None:
    with httpx.Client(base_url=background_server.url, timeout=30) as http:
        idle = http.get("/ping").json()
        assert idle["status"] == "Healthy"
        time.sleep(1.1)  # so a status change must move the whole-second timestamp
        assert http.post("/spawn", params={"seconds": 2}).status_code == 200
        busy = [http.get("/ping").json() for _ in range(3)]
        assert {entry["status"] for entry in busy} == {"HealthyBusy"}
        assert busy[0]["time_of_last_update"] > idle["time_of_last_update"]
        assert all(entry == busy[0] for entry in busy)  # unchanged while the status holds
        after = wait_for_status(http, "Healthy")
        assert after["time_of_last_update"] > busy[0]["time_of_last_update"]


def test_ping_is_busy_while_one_work_block_runs(background_server: ServerProcess) -> None:
    with httpx.Client(base_url=background_server.url, timeout=30) as http:
        assert http.get("/ping").json()["status"] == "Healthy"
        holder = threading.Thread(target=lambda: http.post("/hold", params={"seconds": 1.5}))
        holder.start()
        wait_for_status(http, "HealthyBusy")
        holder.join()
        assert http.get("/ping").json()["status"] == "Healthy"  # the block has ended with the request


# --- classifying failures ------------------------------------------------------------------------

CLASSIFY = """
import json
import botocore.exceptions
from agentcore_agent.errors import classify

def raised_while_handling(inner, outer):
    try:
        try:
            raise inner
        except Exception:
            raise outer  # no "from": inner is only the context
    except Exception as failure:
        return failure

timeout = botocore.exceptions.ReadTimeoutError(endpoint_url="http://model")
looped = RuntimeError("a")
looped.__cause__ = ValueError("b")
looped.__cause__.__cause__ = looped
wrapped = RuntimeError("wrapped")
wrapped.__cause__ = botocore.exceptions.EndpointConnectionError(endpoint_url="http://model")
print(json.dumps({
    "context_only": classify(raised_while_handling(timeout, RuntimeError("while handling"))).code,
    "cause": classify(wrapped).code,
    "cycle": classify(looped).code,
    "unknown": classify(KeyError("delta")).code,
}))
"""


def test_a_failure_is_classified_by_the_first_known_exception_along_its_causes_and_contexts(agent_venv: Path) -> None:
    assert run_json(CLASSIFY, agent_venv) == {
        "context_only": "model_timeout",  # raised inside an except block without "from"
        "cause": "model_unreachable",
        "cycle": "internal_error",  # a cause cycle ends the walk instead of looping
        "unknown": "internal_error",
    }


# --- the throttle-retry budget -------------------------------------------------------------------

RETRY_RUNS = """
import asyncio, json, sys
from strands.hooks import AfterInvocationEvent, AfterModelCallEvent, BeforeModelCallEvent, HookRegistry
from strands.types.exceptions import ModelThrottledException
from agentcore_agent.retry import ThrottleRetryBudget
from agentcore_agent.settings import Settings

DEFAULT_BUDGET = Settings.from_env({"MODEL_ID": "m", "AWS_REGION": "r"}).model_retry_budget_seconds

async def run(spec):
    now = [0.0]
    slept = []

    async def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    budget = ThrottleRetryBudget(
        spec["budget"] or DEFAULT_BUDGET, clock=lambda: now[0], sleep=sleep, jitter=lambda: spec["jitter"]
    )
    registry = HookRegistry()
    budget.register_hooks(registry)

    async def call(outcome):
        await registry.invoke_callbacks_async(BeforeModelCallEvent(agent=None))
        now[0] += spec["call_seconds"]
        error = {"throttled": ModelThrottledException("slow down"), "failed": RuntimeError("boom"), "ok": None}[outcome]
        event = AfterModelCallEvent(agent=None, exception=error)
        await registry.invoke_callbacks_async(event)
        return event.retry

    turns = []
    for turn in spec["turns"]:
        turns.append([await call(outcome) for outcome in turn])
        await registry.invoke_callbacks_async(AfterInvocationEvent(agent=None))
    return {"retry": turns, "slept": slept, "clock": round(now[0], 6)}

async def main():
    scenarios = json.loads(sys.argv[1])
    print(json.dumps({name: await run(spec) for name, spec in scenarios.items()}))

asyncio.run(main())
"""


def scenario(budget: float | None, jitter: float, call_seconds: float, turns: list[list[str]]) -> dict[str, Any]:
    """A throttle-retry run: the budget (None: the default), a fixed jitter, each call's length."""
    return {"budget": budget, "jitter": jitter, "call_seconds": call_seconds, "turns": turns}


RETRY_SCENARIOS = {
    "low_jitter": scenario(1000, 0.0, 0, [["throttled"] * 8]),
    "mid_jitter": scenario(1000, 0.5, 0, [["throttled"] * 7]),
    "slow_calls": scenario(10, 0.5, 2, [["throttled"] * 3]),
    "exact_fit": scenario(1.5, 0.0, 0, [["throttled"] * 3]),
    "fresh_starts": scenario(4, 0.0, 1, [["throttled", "ok", "throttled", "throttled", "throttled"], ["throttled"]]),
    "not_throttled": scenario(100, 0.0, 0, [["failed", "ok"]]),
    "default_budget": scenario(None, 0.999999, 0, [["throttled"] * 6]),
}


@pytest.fixture(scope="module")
def retry_runs(agent_venv: Path) -> dict[str, Any]:
    """Every scenario above, run once in the agent's environment (one interpreter start)."""
    return run_json(RETRY_RUNS, agent_venv, args=(json.dumps(RETRY_SCENARIOS),))


def test_backoff_doubles_from_one_second_up_to_twenty_scaled_by_jitter(retry_runs: dict[str, Any]) -> None:
    # Zero-length calls and a budget far away: only the schedule shows. Jitter j scales each delay
    # by (0.5 + j / 2): j = 0 halves it, j -> 1 keeps it whole.
    assert retry_runs["low_jitter"]["slept"] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert retry_runs["low_jitter"]["retry"] == [[True] * 8]
    assert retry_runs["mid_jitter"]["slept"] == [0.75, 1.5, 3.0, 6.0, 12.0, 15.0, 15.0]


def test_the_budget_counts_the_time_the_throttled_calls_took(retry_runs: dict[str, Any]) -> None:
    # Each call takes 2 s. Retry while time since the first throttled call began, plus the next
    # sleep, fits in 10 s: 2 + 0.75 = 2.75 yes; 4.75 + 1.5 = 6.25 yes; 8.25 + 3 = 11.25 no.
    run = retry_runs["slow_calls"]
    assert run["retry"] == [[True, True, False]]
    assert run["slept"] == [0.75, 1.5]
    assert run["clock"] == 8.25  # the caller hears of the throttling about the budget after it began
    # A retry whose delay ends exactly at the budget is still made: 0 + 0.5, then 0.5 + 1.0 = 1.5.
    assert retry_runs["exact_fit"]["retry"] == [[True, True, False]]
    assert retry_runs["exact_fit"]["slept"] == [0.5, 1.0]


def test_a_success_or_a_new_turn_starts_the_schedule_and_the_budget_afresh(retry_runs: dict[str, Any]) -> None:
    run = retry_runs["fresh_starts"]
    # After the success the schedule restarts at 0.5 s and the budget is measured from the call
    # that was throttled next: 1 + 0.5 = 1.5, 2.5 + 1 = 3.5, 4.5 + 2 > 4. The next turn restarts too.
    assert run["retry"] == [[True, False, True, True, False], [True]]
    assert run["slept"] == [0.5, 0.5, 1.0, 0.5]


def test_only_throttling_is_retried(retry_runs: dict[str, Any]) -> None:
    assert retry_runs["not_throttled"] == {"retry": [[False, False]], "slept": [], "clock": 0}


DEFAULTS = """
import json
from agentcore_agent.settings import Settings
settings = Settings.from_env({"MODEL_ID": "m", "AWS_REGION": "us-east-1"})
print(json.dumps({name: getattr(settings, name) for name in (
    "max_sessions", "max_prompt_chars", "max_body_bytes", "model_retry_budget_seconds", "model_max_attempts",
    "model_read_timeout_seconds", "model_connect_timeout_seconds", "log_level")}))
"""


def test_default_limits_and_retry_budget(agent_venv: Path) -> None:
    """The defaults the README documents; the retry budget keeps a throttled turn under a minute
    (50 s plus one last call), inside AgentCore's and most clients' request timeouts."""
    assert run_json(DEFAULTS, agent_venv) == {
        "max_sessions": 100,
        "max_prompt_chars": 100_000,
        "max_body_bytes": 665_536,
        "model_retry_budget_seconds": 50.0,
        "model_max_attempts": 3,
        "model_read_timeout_seconds": 120.0,
        "model_connect_timeout_seconds": 10.0,
        "log_level": "INFO",
    }


def test_the_default_budget_gives_up_within_fifty_seconds_of_back_off(retry_runs: dict[str, Any]) -> None:
    # The longest schedule (jitter at its top): whole delays 1, 2, 4, 8, 16 (31 s); the next, 20 s,
    # would end past the default 50 s, so the sixth throttled call is the caller's error.
    run = retry_runs["default_budget"]
    assert run["retry"] == [[True] * 5 + [False]]
    assert 30.9 < sum(run["slept"]) <= 31
