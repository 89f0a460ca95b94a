"""The benchmark's smoke mode, so `python -m bench` never rots; plus the install-weight method.

No timing is asserted (speed targets are reported by the benchmark, not tested): these tests check
that one smoke run starts all three servers, gets every figure for each from real, successful
invocations, and writes a well-formed table and JSON document.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bench import install_weight

ROOT = Path(__file__).resolve().parent.parent
SERVERS = ("ours", "ours_container", "ours_rust", "reference", "floor")
SUMMARIES = ("cold_start_s", "rss_at_ready_mb", "ping_idle_ms", "ping_loaded_ms", "turn_ms")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str]:
    """Run ``python -m bench --smoke`` once: (results.json, RESULTS-style markdown, stdout)."""
    out = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--smoke",
            "--json",
            str(out / "results.json"),
            "--markdown",
            str(out / "RESULTS.md"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    return json.loads((out / "results.json").read_text()), (out / "RESULTS.md").read_text(), completed.stdout


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def test_smoke_run_measures_every_figure_for_every_server(smoke: tuple[dict, str, str]) -> None:
    results, _, _ = smoke
    config = results["config"]
    for name in SERVERS:
        figures = results["servers"][name]
        for key in SUMMARIES:
            assert figures[key]["n"] > 0, (name, key)
            assert _finite(figures[key]["median"]) and _finite(figures[key]["p99"]), (name, key)
            assert figures[key]["median"] <= figures[key]["p99"], (name, key)
        # one start for the light figures, one per heavy group, plus the cold-start-only rounds
        assert figures["cold_start_s"]["n"] == 1 + len(config["groups"]) + config["cold_rounds"]
        assert figures["ping_throughput_rps"]["value"] > 0, name
        assert _finite(figures["concurrent_turns_s"]["wall"]), name
        assert _finite(figures["sessions_rss"]["per_session_kb"]), name
        assert figures["sessions_rss"]["after_mb"] > 0, name


def test_smoke_invocations_all_succeeded_and_load_was_really_in_flight(smoke: tuple[dict, str, str]) -> None:
    results, _, _ = smoke
    config = results["config"]
    for name in SERVERS:
        figures = results["servers"][name]
        assert figures["failures"]["count"] == 0, (name, figures["failures"]["examples"])
        # /ping "under load" only means something if every slow invocation was still open at the end.
        assert figures["ping_loaded_ms"]["in_flight_at_end"] == config["load_streams"], name
        assert figures["sessions_rss"]["turns_completed"] == config["sessions"] * config["session_turns"], name


def test_install_weight_compares_both_locks(smoke: tuple[dict, str, str]) -> None:
    results, _, _ = smoke
    for name in ("ours", "ours_container", "reference"):
        weight = results["servers"][name]["install_weight"]
        assert weight["packages"] > 0 and weight["wheel_bytes"] > 0, name
        assert weight["no_wheel"] == [], name


def test_report_table_and_targets_are_well_formed(smoke: tuple[dict, str, str]) -> None:
    results, markdown, stdout = smoke
    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    header, *rows = table[: table.index(next(line for line in table if line.startswith("| target")))]
    assert header.split("|")[4:9] == [" ours ", " ours, container CMD ", " ours, Rust ", " reference ", " floor "]
    assert {row.split("|")[1].strip() for row in rows} == {"1", "2", "3", "4", "5", "+"}
    for row in rows:
        assert len(row.strip("|").split("|")) == 12, row
    verdicts = [verdict for server in ("ours", "ours_container") for verdict in results["targets"][server]]
    verdicts += results["rust_targets"]["ours_rust"]
    assert len(verdicts) == 16
    assert markdown.count("| MISSED") + markdown.count("| met |") == len(verdicts)
    assert header in stdout  # the same table is printed
    assert results["command"].startswith("uv run python -m bench --smoke")


def test_install_weight_counts_the_aarch64_wheel_and_skips_other_platforms() -> None:
    """cffi ships per-platform wheels; pywin32 is Windows-only: the sum must pick and skip accordingly."""
    project = ROOT / "agent_image"
    weight = install_weight.measure(project)
    lock = tomllib.loads((project / "uv.lock").read_text())
    cffi = next(package for package in lock["package"] if package["name"] == "cffi")
    aarch64 = [
        wheel for wheel in cffi["wheels"] if "cp311-cp311-manylinux" in wheel["url"] and "aarch64" in wheel["url"]
    ]
    assert len(aarch64) == 1
    assert weight.by_package["cffi"] == aarch64[0]["size"]
    assert "pywin32" not in weight.by_package
    assert weight.wheel_bytes == sum(weight.by_package.values())


def test_the_memory_benchmark_runs_and_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "MEMORY.md"
    completed = subprocess.run(
        [sys.executable, "-m", "bench.memory", "--smoke", "--markdown", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    rows = [line for line in out.read_text().splitlines() if line.startswith("| ") and "ms |" in line]
    assert len(rows) == 4
    for row in rows:
        values = [float(cell) for cell in row.strip("| ").split(" | ")[2:]]
        assert len(values) == 4, row  # Python and Rust, Memory off and on
        assert all(value > 0 and math.isfinite(value) for value in values), row
