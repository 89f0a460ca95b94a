"""``agentcore logs``: the runtime's log events, one line each, from the groups the stack exports.

Sources: ``runtime`` is the endpoint's own group (the container's stdout/stderr; output
``runtimeLogGroupNames``, keyed by endpoint), ``application`` and ``usage`` are the vended-log
groups (output ``vendedLogGroupNames``). ``--follow`` polls ``FilterLogEvents`` from the newest
timestamp seen, dropping events already printed (several can share a millisecond).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Any

import boto3
from botocore.config import Config
from rich.console import Console

from .errors import CliError, ExitCode, from_botocore
from .stack import DEFAULT_ENDPOINT, endpoint_name, parse_runtime_arn, require_output, stack_outputs

_DURATION = re.compile(r"^(\d+)([smhd])$")
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class Source(str, Enum):
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
    """Print the events since ``since``; with ``follow``, keep polling until Ctrl-C."""
    start = since_millis(since, time.time())
    outputs = stack_outputs(stack)
    label = stack or "(selected)"
    region = parse_runtime_arn(str(require_output(outputs, "runtimeArn", label)), source="runtimeArn")["region"]
    group = log_group(outputs, label, source, endpoint)
    client = boto3.session.Session().client("logs", region_name=region, config=Config(retries={"mode": "standard"}))
    seen: dict[str, int] = {}  # event id -> timestamp, for events at or after ``start``
    try:
        while True:
            for event in events(client, group, start):
                if event["eventId"] not in seen:
                    seen[event["eventId"]] = int(event["timestamp"])
                    out.out(line(event), highlight=False)
            if not follow:
                return
            # Ask again from the newest millisecond seen: events still arriving may share it.
            start = max(seen.values(), default=start)
            seen = {event_id: stamp for event_id, stamp in seen.items() if stamp >= start}
            time.sleep(poll_seconds)
    except Exception as error:
        mapped = from_botocore(error, operation="FilterLogEvents", target=f"log group {group}", read_timeout=60)
        if mapped is None:
            raise
        raise mapped from error

