"""Turn raw measurements into summary figures, the markdown table, and target verdicts.

Every figure is reported for all servers side by side, with ratios to the reference and to the
floor: on a shared 2-core machine absolute times drift with the neighbours' load, while servers
measured in the same run, interleaved, drift together.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SERVERS = ("ours", "ours_container", "ours_rust", "reference", "floor")
HEADINGS = {
    "ours": "ours",
    "ours_container": "ours, container CMD",
    "ours_rust": "ours, Rust",
    "reference": "reference",
    "floor": "floor",
}


def summary(samples: Sequence[float]) -> dict[str, float | int]:
    """Median and p99 (nearest rank: with fewer than 100 samples p99 is the maximum)."""
    if not samples:
        return {"median": math.nan, "p99": math.nan, "n": 0}
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return {"median": statistics.median(ordered), "p99": ordered[rank - 1], "n": len(ordered)}


@dataclass(frozen=True)
class Row:
    """One line of the table: where the value sits in each server's results, and how to show it."""

    figure: str
    label: str
    path: tuple[str, ...]
    unit: str
    scale: float = 1.0
    digits: int = 1

    def value(self, results: dict[str, Any], server: str) -> float | None:
        node: Any = results["servers"].get(server)
        for key in self.path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return None if node is None else float(node) * self.scale


def rows(results: dict[str, Any]) -> list[Row]:
    """The table's rows; labels carry the run's own counts so smoke and full runs read right."""
    config = results["config"]
    streams, turns = config["load_streams"], config["concurrent_turns"]
    model = config["turn_model_seconds"]
    sessions, per = config["sessions"], config["session_turns"]
    return [
        Row("1", "cold start: spawn -> first 200 /ping, median", ("cold_start_s", "median"), "s", 1, 2),
        Row("1", "cold start, p99", ("cold_start_s", "p99"), "s", 1, 2),
        Row("1", "RSS at first 200 /ping, median", ("rss_at_ready_mb", "median"), "MB", 1, 1),
        Row("2", "/ping idle, median", ("ping_idle_ms", "median"), "ms", 1, 2),
        Row("2", "/ping idle, p99", ("ping_idle_ms", "p99"), "ms", 1, 2),
        Row("2", f"/ping with {streams} slow invocations in flight, median", ("ping_loaded_ms", "median"), "ms", 1, 2),
        Row("2", f"/ping with {streams} slow invocations in flight, p99", ("ping_loaded_ms", "p99"), "ms", 1, 2),
        Row("3", "full turn, zero-delay model, median", ("turn_ms", "median"), "ms", 1, 1),
        Row("3", "full turn, zero-delay model, p99", ("turn_ms", "p99"), "ms", 1, 1),
        Row(
            "3",
            f"{turns} concurrent turns of {model:g} s model time: all done",
            ("concurrent_turns_s", "wall"),
            "s",
            1,
            2,
        ),
        Row("4", f"RSS after {sessions} live sessions x {per} turns", ("sessions_rss", "after_mb"), "MB", 1, 1),
        Row("4", "memory per session ((after - before) / sessions)", ("sessions_rss", "per_session_kb"), "KB", 1, 1),
        Row("5", "install weight: linux/aarch64 cp311 wheels", ("install_weight", "wheel_mb"), "MB", 1, 1),
        Row("5", "install weight: packages", ("install_weight", "packages"), "", 1, 0),
        Row(
            "+",
            f"/ping throughput, {config['throughput_clients']} clients",
            ("ping_throughput_rps", "value"),
            "req/s",
            1,
            0,
        ),
    ]


def _format(value: float | None, digits: int) -> str:
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "timeout"
    return f"{value:,.{digits}f}"


def _ratio(top: float | None, bottom: float | None) -> str:
    if top is None or bottom is None or bottom == 0 or any(map(math.isnan, (top, bottom))):
        return "n/a"
    if math.isinf(top) or math.isinf(bottom):
        return "n/a"
    return f"{top / bottom:.2f}x"


def table(results: dict[str, Any]) -> str:
    """The markdown table of every figure for every server, with ratios."""
    lines = [
        "| # | figure | unit | "
        + " | ".join(HEADINGS[server] for server in SERVERS)
        + " | ours / reference | ours / floor | container / reference | Rust / container |",
        "|---|---|---|" + "---:|" * (len(SERVERS) + 4),
    ]
    for row in rows(results):
        values = {server: row.value(results, server) for server in SERVERS}
        cells = [_format(values[server], row.digits) for server in SERVERS]
        ratios = [
            _ratio(values["ours"], values["reference"]),
            _ratio(values["ours"], values["floor"]),
            _ratio(values["ours_container"], values["reference"]),
            _ratio(values["ours_rust"], values["ours_container"]),
        ]
        lines.append(f"| {row.figure} | {row.label} | {row.unit} | {' | '.join(cells + ratios)} |")
    return "\n".join(lines)


def targets(results: dict[str, Any], server: str) -> list[dict[str, Any]]:
    """The issue's targets for one of our servers: measured value, limit, verdict, miss factor."""
    config = results["config"]
    ours = results["servers"][server]
    reference = results["servers"]["reference"]
    floor = results["servers"]["floor"]
    model = config["turn_model_seconds"]
    checks = [
        ("/ping p99 under load", ours["ping_loaded_ms"]["p99"], 10.0, "ms", "<="),
        (
            f"{config['concurrent_turns']} concurrent {model:g} s turns",
            ours["concurrent_turns_s"]["wall"],
            1.5 * model,
            "s",
            "<=",
        ),
        (
            "cold start (median) vs reference",
            ours["cold_start_s"]["median"],
            reference["cold_start_s"]["median"],
            "s",
            "<=",
        ),
        ("memory per idle session", ours["sessions_rss"]["per_session_kb"], 50.0, "KB", "<="),
        (
            "/ping throughput vs floor / 2",
            ours["ping_throughput_rps"]["value"],
            floor["ping_throughput_rps"]["value"] / 2,
            "req/s",
            ">=",
        ),
    ]
    return _verdicts(checks)


def _verdicts(checks: list[tuple[str, float, float, str, str]]) -> list[dict[str, Any]]:
    """Each (name, value, limit, unit, sense) with whether it is met and, if not, by what factor."""
    verdicts = []
    for name, value, limit, unit, sense in checks:
        met = value <= limit if sense == "<=" else value >= limit
        miss = 0.0 if met else (value / limit if sense == "<=" else limit / value)
        verdicts.append(
            {
                "target": name,
                "value": value,
                "limit": limit,
                "unit": unit,
                "sense": sense,
                "met": bool(met),
                "missed_by_factor": miss,
            }
        )
    return verdicts


def rust_targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 10's targets for the Rust agent (the image-weight target needs an image build: not here)."""
    config = results["config"]
    rust = results["servers"]["ours_rust"]
    python = results["servers"]["ours_container"]
    model = config["turn_model_seconds"]
    return _verdicts(
        [
            ("cold start (median)", rust["cold_start_s"]["median"], 0.05, "s", "<="),
            ("RSS at first /ping (median)", rust["rss_at_ready_mb"]["median"], 20.0, "MB", "<="),
            ("memory per idle session", rust["sessions_rss"]["per_session_kb"], 16.0, "KB", "<="),
            ("/ping p99 under load", rust["ping_loaded_ms"]["p99"], 2.0, "ms", "<="),
            (
                f"{config['concurrent_turns']} concurrent {model:g} s turns",
                rust["concurrent_turns_s"]["wall"],
                1.2 * model,
                "s",
                "<=",
            ),
            (
                "full turn (median) vs half the Python agent's",
                rust["turn_ms"]["median"],
                python["turn_ms"]["median"] / 2,
                "ms",
                "<=",
            ),
        ]
    )


def targets_table(verdicts: dict[str, list[dict[str, Any]]]) -> str:
    """Markdown: each target with, for each of our servers, its value and met / missed by how much."""
    servers = list(verdicts)
    lines = [
        "| target | limit | " + " | ".join(f"{HEADINGS[server]} | verdict" for server in servers) + " |",
        "|---|---:|" + "---:|---|" * len(servers),
    ]
    for index, first in enumerate(verdicts[servers[0]]):
        cells = []
        for server in servers:
            verdict = verdicts[server][index]
            status = "met" if verdict["met"] else f"MISSED ({verdict['missed_by_factor']:.2f}x off)"
            cells += [f"{_format(verdict['value'], 2)} {verdict['unit']}", status]
        lines.append(
            f"| {first['target']} | {first['sense']} {_format(first['limit'], 2)} {first['unit']} | "
            + " | ".join(cells)
            + " |"
        )
    return "\n".join(lines)
