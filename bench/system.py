"""Facts about the machine, and how much CPU other jobs took while we measured.

Why: this machine's two cores are shared with other helpers' test runs, so a slow figure may be
their load rather than the server's. ``CpuWatch`` reads /proc around each phase: all busy CPU time
(including hypervisor steal) minus the CPU time of our own processes (this harness, the emulator,
the server under test) is what the neighbours used. RESULTS.md reports it next to the figures.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

TICKS = os.sysconf("SC_CLK_TCK")
PACKAGES = ("strands-agents", "bedrock-agentcore", "starlette", "uvicorn", "botocore")


def _busy_ticks() -> int:
    """Busy CPU ticks of the whole machine: user, nice, system, irq, softirq, steal."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return user + nice + system + irq + softirq + steal


def _process_ticks(pid: int) -> int:
    """utime + stime of a process (all its threads); 0 once it has exited."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return 0
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted after the name


class CpuWatch:
    """Per phase: CPUs' worth of busy time not spent by our own processes."""

    def __init__(self) -> None:
        self._pids = {os.getpid()}
        self.phases: dict[str, list[float]] = {}

    def track(self, pid: int) -> None:
        """Count this process as ours (the emulator, each server)."""
        self._pids.add(pid)

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Measure the block; processes tracked inside it count from zero (e.g. a server starting)."""
        started, busy = time.perf_counter(), _busy_ticks()
        before = {pid: _process_ticks(pid) for pid in self._pids}
        yield
        elapsed = time.perf_counter() - started
        ours = sum(max(0, _process_ticks(pid) - before.get(pid, 0)) for pid in self._pids)
        other = (_busy_ticks() - busy) - ours
        self.phases.setdefault(name, []).append(max(0.0, other / TICKS / elapsed) if elapsed > 0 else 0.0)

    def summary(self) -> dict[str, Any]:
        """Mean and worst phase (a phase repeated over rounds counts by its mean)."""
        means = {name: sum(values) / len(values) for name, values in self.phases.items()}
        if not means:
            return {"mean_other_cpus": 0.0, "max_other_cpus": 0.0, "max_phase": "", "phases": {}}
        worst = max(means, key=means.__getitem__)
        return {
            "mean_other_cpus": sum(means.values()) / len(means),
            "max_other_cpus": means[worst],
            "max_phase": worst,
            "phases": means,
        }


def machine_facts(python: Path) -> dict[str, Any]:
    """CPU, memory, kernel, load, and the versions the servers run with (read from their Python)."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "unknown")
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal:")
    )
    probe = (
        "import importlib.metadata as m, json, platform;"
        f"print(json.dumps([platform.python_version(), {{p: m.version(p) for p in {PACKAGES!r}}}]))"
    )
    version, packages = json.loads(
        subprocess.run([str(python), "-c", probe], check=True, capture_output=True, text=True).stdout
    )
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": memory_kb / 2**20,
        "kernel": f"{platform.system()} {platform.release()} {platform.machine()}",
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "python": version,
        "packages": packages,
    }
