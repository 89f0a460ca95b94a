"""Figure 5: install weight of a locked dependency set on linux/aarch64, CPython 3.11.

Why this proxy: AgentCore pulls the image for every new session's microVM, so the bytes of the
dependency layer are paid on cold pulls. We cannot build the arm64 image here, but a uv lock already
records, for every wheel it could install, the exact file size. So: take the packages the lock installs
for linux/aarch64 (``uv export`` gives them with their environment markers; we evaluate the markers for
that target), pick for each the wheel pip/uv would choose there (best-ranked compatible tag for
cp311 manylinux aarch64), and sum those wheel sizes. The result is compressed download bytes, not the
unpacked size on disk; both locks are measured the same way, so the ratio is what matters.
"""

from __future__ import annotations

import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_wheel_filename

PYTHON = (3, 11)
# uv's `aarch64-unknown-linux-gnu` target assumes glibc 2.28; Debian bookworm (python:3.11-slim) has
# 2.36. Wheels tagged above 2.28 are rare; the figure changes by well under 1% either way.
GLIBC_MINOR = 28

# The environment markers of a CPython 3.11 process on linux/aarch64.
MARKER_ENV = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.0",
    "os_name": "posix",
    "platform_machine": "aarch64",
    "platform_python_implementation": "CPython",
    "platform_release": "",
    "platform_system": "Linux",
    "platform_version": "",
    "python_full_version": "3.11.0",
    "python_version": "3.11",
    "sys_platform": "linux",
    "extra": "",
}


def aarch64_tags(glibc_minor: int = GLIBC_MINOR) -> list[Tag]:
    """Tags a cp311 linux/aarch64 interpreter accepts, best first (as packaging ranks them)."""
    platforms = [f"manylinux_2_{minor}_aarch64" for minor in range(glibc_minor, 16, -1)]
    platforms += ["manylinux2014_aarch64", "linux_aarch64"]
    tags = list(cpython_tags(PYTHON, abis=["cp311"], platforms=platforms))
    tags += list(compatible_tags(PYTHON, "cp311", platforms))
    return tags


@dataclass
class Weight:
    """The summed wheel sizes of one lock's linux/aarch64 install set."""

    lock: str
    packages: int = 0
    wheel_bytes: int = 0
    by_package: dict[str, int] = field(default_factory=dict)
    no_wheel: list[str] = field(default_factory=list)

    def largest(self, count: int = 5) -> list[tuple[str, int]]:
        """The heaviest packages, to say where the bytes go."""
        return sorted(self.by_package.items(), key=lambda item: -item[1])[:count]

    def as_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "lock": self.lock,
            "packages": self.packages,
            "wheel_bytes": self.wheel_bytes,
            "largest": [{"name": name, "bytes": size} for name, size in self.largest()],
            "no_wheel": self.no_wheel,
        }


def installed_set(project: Path) -> dict[str, str]:
    """Name -> version of what ``project``'s lock installs on linux/aarch64 (project itself excluded)."""
    exported = subprocess.run(
        [
            "uv",
            "export",
            "--frozen",
            "--project",
            str(project),
            "--no-hashes",
            "--no-emit-project",
            "--no-annotate",
            "--no-header",
            "--no-dev",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    chosen: dict[str, str] = {}
    for line in exported.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("-"):
            continue
        requirement = Requirement(line)
        if requirement.marker is not None and not Marker(str(requirement.marker)).evaluate(MARKER_ENV):
            continue
        pinned = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        if len(pinned) != 1:
            raise ValueError(f"{project}: export line {line!r} is not pinned to one version")
        chosen[canonicalize_name(requirement.name)] = pinned[0]
    return chosen


def best_wheel_size(wheels: list[dict[str, object]], ranking: dict[Tag, int]) -> int | None:
    """Size of the wheel an aarch64 cp311 installer would pick, or None when none fits."""
    best: tuple[int, int] | None = None
    for wheel in wheels:
        filename = str(wheel["url"]).rsplit("/", 1)[-1]
        _, _, _, tags = parse_wheel_filename(filename)
        ranks = [ranking[tag] for tag in tags if tag in ranking]
        if ranks and "size" in wheel and (best is None or min(ranks) < best[0]):
            best = (min(ranks), int(wheel["size"]))  # type: ignore[arg-type]
    return None if best is None else best[1]


def measure(project: Path, glibc_minor: int = GLIBC_MINOR) -> Weight:
    """Install weight of the lock in ``project`` (a directory holding pyproject.toml and uv.lock)."""
    lock = tomllib.loads((project / "uv.lock").read_text())
    ranking = {tag: rank for rank, tag in enumerate(aarch64_tags(glibc_minor))}
    wanted = installed_set(project)
    weight = Weight(lock=str(project / "uv.lock"))
    for package in lock["package"]:
        name = canonicalize_name(package["name"])
        if wanted.get(name) != package.get("version"):
            continue
        size = best_wheel_size(package.get("wheels", []), ranking)
        weight.packages += 1
        if size is None:
            weight.no_wheel.append(name)
            continue
        weight.by_package[name] = size
        weight.wheel_bytes += size
    missing = sorted(set(wanted) - {canonicalize_name(p["name"]) for p in lock["package"]})
    if missing:
        raise ValueError(f"{project}: exported packages absent from uv.lock: {missing}")
    return weight
