"""``agentcore logs``: the runtime's log events, one line each, from the groups the stack exports.

Sources: ``runtime`` is the endpoint's own group (the container's stdout/stderr; output
``runtimeLogGroupNames``, keyed by endpoint), ``application`` and ``usage`` are the vended-log
groups (output ``vendedLogGroupNames``). History comes from ``FilterLogEvents``; ``--follow`` then
opens a Live Tail session (events pushed as they are ingested) and, when live tail is not allowed
or its session ends (after three hours), polls ``FilterLogEvents`` from the newest event seen.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any

import botocore.exceptions
import botocore.session
from botocore.config import Config
from rich.console import Console

from .errors import CliError, ExitCode, from_botocore
from .stack import DEFAULT_ENDPOINT, endpoint_name, parse_runtime_arn, require_output, stack_outputs

_DURATION = re.compile(r"^(\d+)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# StartLiveTail failures that polling would meet too: report them instead of falling back.
_SERVICE_FAULTS = frozenset({"ResourceNotFoundException", "ThrottlingException", "UnrecognizedClientException"})


class Source(StrEnum):
    RUNTIME = "runtime"
    APPLICATION = "application"
    USAGE = "usage"


def since_millis(since: str, now: float) -> int:
    """The start time for ``--since 10m`` (``30s``, ``2h``, ``1d``) in epoch milliseconds."""
    match = _DURATION.match(since.strip())
    if match is None:
        raise CliError(f"--since: {since!r} is not a duration like 30s, 10m, 2h or 1d", ExitCode.USAGE)
    return int((now - int(match[1]) * _SECONDS[match[2]]) * 1000)


def log_group(outputs: dict[str, Any], stack: str, source: Source, endpoint: str | None) -> str:
    """The exported group for this source; a clear error when the stack does not create it."""
    if source is Source.RUNTIME:
        groups = require_output(outputs, "runtimeLogGroupNames", stack)
        name = endpoint or endpoint_name(outputs.get("endpointArn")) or DEFAULT_ENDPOINT
        if name not in groups:
            raise CliError(
                f"stack {stack!r} exports no runtime log group for endpoint {name!r} (it has: {', '.join(sorted(groups))})",
                ExitCode.NOT_FOUND,
            )
        return str(groups[name])
    groups = outputs.get("vendedLogGroupNames") or {}
    log_type = f"{source.value.upper()}_LOGS"
    if log_type not in groups:
        raise CliError(
            f"stack {stack!r} exports no {log_type} group: turn on observability.{source.value}Logs in its config",
            ExitCode.NOT_FOUND,
        )
    return str(groups[log_type])


def line(event: dict[str, Any]) -> str:
    """``<local time> <stream> <message>`` with the message's own line breaks shown as ``⏎``."""
    stamp = datetime.fromtimestamp(event["timestamp"] / 1000).astimezone().isoformat(timespec="milliseconds")
    stream = str(event.get("logStreamName", ""))
    message = str(event.get("message", "")).rstrip("\n").replace("\n", " ⏎ ")
    return f"{stamp} {stream} {message}"


def events(client: Any, group: str, start: int) -> Iterator[dict[str, Any]]:
    """Every event in ``group`` from ``start`` (ms) on, across pages, in time order."""
    paginator = client.get_paginator("filter_log_events")
    for page in paginator.paginate(logGroupName=group, startTime=start):
        yield from page.get("events", [])


def show(
    *, stack: str | None, endpoint: str | None, source: Source, since: str, follow: bool, poll_seconds: float, out: Console
) -> None:
    """Print the events since ``since``; with ``follow``, keep printing new ones until Ctrl-C."""
    start = since_millis(since, time.time())
    outputs = stack_outputs(stack)
    label = stack or "(selected)"
    arn = parse_runtime_arn(str(require_output(outputs, "runtimeArn", label)), source="runtimeArn")
    group = log_group(outputs, label, source, endpoint)
    group_arn = f"arn:{arn['partition']}:logs:{arn['region']}:{arn['account']}:log-group:{group}"
    config = Config(retries={"mode": "standard"})
    client = botocore.session.get_session().create_client("logs", region_name=arn["region"], config=config)
    printer = _Printer(out, start)
    try:
        printer.print_all(events(client, group, start))
        if follow:
            printer.print_all(live_tail(client, group_arn))  # until the session ends (3 h), if allowed
            while True:
                time.sleep(poll_seconds)
                printer.print_all(events(client, group, printer.newest))
    except KeyboardInterrupt:
        return  # Ctrl-C is how --follow ends
    except Exception as error:
        mapped = from_botocore(error, operation="FilterLogEvents", target=f"log group {group}", read_timeout=60)
        if mapped is None:
            raise
        raise mapped from error


class _Printer:
    """Prints each event once. Polls re-read the newest millisecond and a live tail may overlap
    the history read before it, so events are remembered for a minute behind the newest one (by
    stream, time and text: live-tail events carry no id); anything older counts as a replay."""

    WINDOW_MS = 60_000

    def __init__(self, out: Console, start: int) -> None:
        self.out = out
        self.start = start
        self.newest = start
        self._seen: set[tuple[str, int, str]] = set()

    def print_all(self, batch: Iterator[dict[str, Any]]) -> None:
        for event in batch:
            stamp = int(event["timestamp"])
            key = (str(event.get("logStreamName", "")), stamp, str(event.get("message", "")))
            if stamp < self.start or stamp < self.newest - self.WINDOW_MS or key in self._seen:
                continue
            self._seen.add(key)
            self.out.out(line(event), highlight=False)
            if stamp > self.newest:
                self.newest = stamp
                self._seen = {seen for seen in self._seen if seen[1] >= stamp - self.WINDOW_MS}


def live_tail(client: Any, group_arn: str) -> Iterator[dict[str, Any]]:
    """Events as CloudWatch Logs pushes them (StartLiveTail); nothing when live tail is not
    available to this caller (not allowed, or the endpoint cannot serve it), so polling takes over."""
    try:
        response = client.start_live_tail(logGroupIdentifiers=[group_arn])
    except botocore.exceptions.ClientError as error:
        if error.response.get("Error", {}).get("Code") in _SERVICE_FAULTS:
            raise
        return
    except botocore.exceptions.EndpointConnectionError:
        return
    for message in response["responseStream"]:
        yield from message.get("sessionUpdate", {}).get("sessionResults", [])
