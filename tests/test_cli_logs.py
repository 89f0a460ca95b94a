"""`agentcore logs` against moto's CloudWatch Logs server (reached through
AWS_ENDPOINT_URL_CLOUDWATCH_LOGS): the groups come from the stack's outputs, one line per event,
--since bounds the history, --follow keeps printing new events, errors are one line.
"""

from __future__ import annotations

import selectors
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from rich.console import Console

from agentcore_cli.logs import _Printer, live_tail

from tests.testkit.cli_harness import AGENTCORE, RUNTIME_ARN, FakePulumi, cli_environment, run_cli, stack_outputs
from tests.testkit.moto_server import FAKE_CREDENTIALS, MotoServer

RUNTIME_ID = RUNTIME_ARN.rsplit("/", 1)[1]
RUNTIME_GROUP = f"/aws/bedrock-agentcore/runtimes/{RUNTIME_ID}-DEFAULT"
APPLICATION_GROUP = f"/aws/vendedlogs/bedrock-agentcore/APPLICATION_LOGS/{RUNTIME_ID}"


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture
def logs(moto: MotoServer) -> Any:
    moto.reset()
    client = boto3.client(
        "logs", region_name="us-east-1", endpoint_url=moto.url,
        aws_access_key_id="testing", aws_secret_access_key="testing",  # noqa: S106 - moto's dummies
    )
    for group in (RUNTIME_GROUP, APPLICATION_GROUP):
        client.create_log_group(logGroupName=group)
        client.create_log_stream(logGroupName=group, logStreamName="2026/12/03/[runtime-logs]abc")
    return client


@pytest.fixture
def env(tmp_path: Path, moto: MotoServer) -> dict[str, str]:
    pulumi = FakePulumi(tmp_path / "bin", outputs={"dev": stack_outputs(endpoint="live")}).install()
    return cli_environment(
        tmp_path,
        bin_dir=pulumi.directory,
        extra={
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": moto.url,
            # StartLiveTail's endpoint has a host prefix ("stream-"), which a loopback URL cannot take.
            "AWS_DISABLE_HOST_PREFIX_INJECTION": "true",
        },
    )


def put(client: Any, group: str, *messages: str, age_seconds: float = 0) -> None:
    stamp = int((time.time() - age_seconds) * 1000)
    client.put_log_events(
        logGroupName=group,
        logStreamName="2026/12/03/[runtime-logs]abc",
        logEvents=[{"timestamp": stamp + index, "message": message} for index, message in enumerate(messages)],
    )


def test_recent_events_one_line_each(env: dict[str, str], logs: Any) -> None:
    put(logs, RUNTIME_GROUP, "too old", age_seconds=3 * 3600)
    put(logs, RUNTIME_GROUP, '{"level": "INFO", "message": "agent ready"}', "Traceback (most recent call last):\n  boom\n")
    result = run_cli("logs", "--stack", "dev", "--endpoint", "DEFAULT", "--since", "1h", env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].endswith('2026/12/03/[runtime-logs]abc {"level": "INFO", "message": "agent ready"}')
    assert lines[1].endswith("Traceback (most recent call last): ⏎   boom")
    older = run_cli("logs", "--stack", "dev", "--endpoint", "DEFAULT", "--since", "1d", env=env)
    assert "too old" in older.stdout


def test_sources_and_endpoints_come_from_the_outputs(env: dict[str, str], logs: Any) -> None:
    put(logs, APPLICATION_GROUP, "vended line")
    application = run_cli("logs", "--stack", "dev", "--source", "application", env=env)
    assert application.returncode == 0, application.stderr
    assert application.stdout.rstrip().endswith("vended line")
    # The stack has a named endpoint ("live"): that is the default, and its group is not created yet.
    missing = run_cli("logs", "--stack", "dev", env=env)
    assert missing.returncode == 5
    assert "ResourceNotFoundException" in missing.stderr or "not found" in missing.stderr
    usage = run_cli("logs", "--stack", "dev", "--source", "usage", env=env)
    assert usage.returncode == 5
    assert "no USAGE_LOGS group" in usage.stderr


def test_bad_since(env: dict[str, str]) -> None:
    result = run_cli("logs", "--stack", "dev", "--since", "yesterday", env=env)
    assert result.returncode == 2
    assert "--since: 'yesterday' is not a duration" in result.stderr


def test_follow_prints_new_events_until_interrupted(env: dict[str, str], logs: Any) -> None:
    put(logs, RUNTIME_GROUP, "before follow")
    process = subprocess.Popen(  # noqa: S603 - the project's console script
        [str(AGENTCORE), "logs", "--stack", "dev", "--endpoint", "DEFAULT", "--follow", "--poll-seconds", "0.2"],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)

        def next_line() -> str:
            assert selector.select(timeout=20), "no line within 20 s"
            return process.stdout.readline()

        assert next_line().rstrip().endswith("before follow")
        # Each next line is the new event: moto's live tail replays the whole group, and a
        # replayed "before follow" here would fail the next assertion.
        put(logs, RUNTIME_GROUP, "while following")
        assert next_line().rstrip().endswith("while following")
        put(logs, RUNTIME_GROUP, "and another")
        assert next_line().rstrip().endswith("and another")
        assert process.poll() is None
    finally:
        process.send_signal(2)  # Ctrl-C
        _, stderr = process.communicate(timeout=20)
    assert process.returncode == 0, stderr  # Ctrl-C is how --follow ends
    assert "Traceback" not in stderr


def test_live_tail_reads_the_group_by_arn_and_falls_back_when_unreachable(moto: MotoServer, logs: Any) -> None:
    # One group only: moto 5's StartLiveTail looks groups up by ARN without stopping at the match,
    # so with several groups it tails the last one created.
    logs.delete_log_group(logGroupName=APPLICATION_GROUP)
    put(logs, RUNTIME_GROUP, "tailed line")
    arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{RUNTIME_GROUP}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}  # moto's dummies
    client = boto3.client(
        "logs", region_name="us-east-1", endpoint_url=moto.url, config=Config(inject_host_prefix=False), **credentials
    )
    assert [event["message"] for event in live_tail(client, arn)] == ["tailed line"]
    # With the "stream-" host prefix a loopback endpoint is unreachable: polling takes over.
    prefixed = boto3.client("logs", region_name="us-east-1", endpoint_url=moto.url, **credentials)
    assert list(live_tail(prefixed, arn)) == []


def test_each_event_is_printed_once(tmp_path: Path) -> None:
    output = tmp_path / "out.txt"
    with output.open("w") as handle:
        printer = _Printer(Console(file=handle, width=200), start=1_000_000)
        event = {"logStreamName": "s", "timestamp": 1_000_500, "message": "one"}
        printer.print_all(iter([event, {**event, "message": "two"}]))
        printer.print_all(iter([event, {**event, "timestamp": 999_999, "message": "before the window"}]))
        printer.print_all(iter([{**event, "timestamp": 1_000_600, "message": "three"}]))
    assert [line.split(" ", 2)[2] for line in output.read_text().splitlines()] == ["one", "two", "three"]
