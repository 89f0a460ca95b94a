"""Build (and cache) an aarch64 Python environment for the agent, runnable under qemu user-mode emulation.

AgentCore runs ARM64 containers only; the classic failure is an image that imports fine on the x86 laptop
that built it and then dies on ARM64 with "exec format error" or a native wheel for the wrong
architecture. This module lets the test suite catch that before any deploy, with no Docker and no binfmt:

* the interpreter: Debian's arm64 ``python3.11`` and the shared libraries it links, downloaded with apt
  pointed at arm64 package lists of our own (the host's dpkg architectures are never changed) and
  unpacked with ``dpkg -x`` into a plain folder (the "root");
* the packages: the agent's exact lock (``agent_image/uv.lock``), exported with hashes and installed as
  aarch64 wheels only (``uv pip install --python-platform aarch64-unknown-linux-gnu --only-binary
  :all:``) into a ``--target`` folder (the "site");
* both precompiled to bytecode under the emulated interpreter, because emulated imports without .pyc
  files are about three times slower.

The root is cached by the hash of the Debian package list and apt sources, the site by the hash of
``uv.lock`` plus the root's key, under ``$XDG_CACHE_HOME/agentcore-arm64`` (default
``~/.cache/agentcore-arm64``). Each is built in a temporary folder and renamed into place, so an
interrupted run never leaves a half-built entry behind; a file lock serialises concurrent builders.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

#: The Python minor version this proof runs: the one Debian bookworm's arm64 ``python3.11`` provides.
PYTHON_MINOR = "3.11"

#: Debian arm64 packages that make up a working CPython 3.11 (interpreter, stdlib and every library
#: its extension modules link against). Unpacked, never installed, so maintainer scripts never run.
DEBIAN_PACKAGES: tuple[str, ...] = (
    "python3.11-minimal",
    "libpython3.11-minimal",
    "libpython3.11-stdlib",
    "python3.11",
    "libc6",
    "libgcc-s1",
    "gcc-12-base",
    "libstdc++6",
    "libssl3",
    "zlib1g",
    "libffi8",
    "libexpat1",
    "libbz2-1.0",
    "liblzma5",
    "libsqlite3-0",
    "libuuid1",
    "libncursesw6",
    "libtinfo6",
    "libreadline8",
    "libcrypt1",
    "libdb5.3",
    "libnsl2",
    "libtirpc3",
    "libgssapi-krb5-2",
    "libkrb5-3",
    "libk5crypto3",
    "libkrb5support0",
    "libcom-err2",
    "libkeyutils1",
    "media-types",
    "tzdata",
)

#: Bump when the layout or build steps change, so stale cache entries are never reused.
_FORMAT = "1"
_QEMU = "qemu-aarch64-static"
_APT_SOURCES = (Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))
#: Deliberately generous: a cold build downloads ~15 MB of .debs and ~60 MB of wheels, and every step
#: runs on a shared 2-core machine.
_STEP_TIMEOUT_S = 900
_KEEP_UNUSED_S = 30 * 86400


class Arm64EnvError(RuntimeError):
    """The aarch64 environment could not be built; the message says which step failed and why."""


@dataclass(frozen=True)
class Arm64Env:
    """A ready aarch64 environment: the qemu binary, the Debian root and the agent's site-packages."""

    qemu: Path
    root: Path
    site: Path
    requirements: Path

    @property
    def python(self) -> Path:
        """The aarch64 interpreter, addressed by its path inside the root.

        Running it by this host path (rather than ``/usr/bin/python3.11`` resolved through ``-L``) makes
        ``sys.prefix`` the root's ``/usr``, so no host path (such as the host's own
        ``/usr/lib/python3/dist-packages``) can leak onto the emulated ``sys.path``.
        """
        return self.root / "usr" / "bin" / f"python{PYTHON_MINOR}"

    def command(self, *args: str) -> list[str]:
        """Argv that runs the emulated interpreter with ``args``."""
        return [str(self.qemu), "-L", str(self.root), str(self.python), *args]

    def write_launchers(self, folder: Path) -> Path:
        """Write ``folder/<name>`` for the interpreter and every console script of the site; return it.

        Each is a two-line shell script that execs the emulated interpreter on that program: what
        binfmt_misc does for a container under emulation, without changing the host. Put the folder
        first on ``PATH`` and a program that execs another by name (``opentelemetry-instrument``
        execs ``uvicorn``) keeps running on aarch64 instead of failing or, worse, running the
        host's x86-64 interpreter named in the script's shebang.
        """
        folder.mkdir(parents=True, exist_ok=True)
        emulated = " ".join(shlex.quote(part) for part in self.command())
        targets = {name: "" for name in ("python", "python3", self.python.name)}
        for script in (self.site / "bin").iterdir():
            if script.is_file() and not script.name.startswith(("python", "activate")):
                targets[script.name] = " " + shlex.quote(str(script))
        for name, target in targets.items():
            launcher = folder / name
            launcher.write_text(f'#!/bin/sh\nexec {emulated}{target} "$@"\n')
            launcher.chmod(0o755)
        return folder

    def environ(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A minimal environment for the emulated interpreter: the site on ``PYTHONPATH``, nothing
        inherited from the host's Python setup (virtualenv, bytecode or path settings)."""
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "C.UTF-8",
            "PYTHONPATH": str(self.site),
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",  # the cached trees stay as built; the app's own .pyc are not ours
            "PYTHONUNBUFFERED": "1",
        }
        env.update(extra or {})
        return env


def cache_dir() -> Path:
    """Where built roots and sites live between runs (outside the repository)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "agentcore-arm64"


def prepare(project_dir: Path, cache: Path | None = None) -> Arm64Env:
    """Return the aarch64 environment for the uv project in ``project_dir``, building what is missing.

    Raises :class:`Arm64EnvError` naming the failed step; never returns a partial environment.
    """
    cache = (cache or cache_dir()).resolve()
    cache.mkdir(parents=True, exist_ok=True)
    with _locked(cache / ".lock"):
        # Holding the lock, any temp build folder left here is from an interrupted run.
        for leftover in cache.glob(".*-*"):
            shutil.rmtree(leftover, ignore_errors=True)
        qemu = ensure_qemu()
        sources = debian_sources()
        root_key = _digest(_FORMAT, PYTHON_MINOR, "\n".join(DEBIAN_PACKAGES), sources)
        root = _cached(cache, f"root-{root_key}", lambda tmp: _build_root(tmp, cache, qemu, sources))
        lock = (project_dir / "uv.lock").read_bytes()
        site_key = _digest(_FORMAT, root_key, hashlib.sha256(lock).hexdigest())
        site_entry = _cached(cache, f"site-{site_key}", lambda tmp: _build_site(tmp, project_dir, qemu, root))
        # Entries for older locks or package lists: kept a while for branch switching, then dropped.
        _prune(cache, keep={root.name, site_entry.name, "apt", "debs"}, older_than_s=_KEEP_UNUSED_S)
    return Arm64Env(qemu=qemu, root=root, site=site_entry / "site", requirements=site_entry / "requirements.txt")


def ensure_qemu() -> Path:
    """Find ``qemu-aarch64-static``, installing Debian's ``qemu-user-static`` if it is missing."""
    return ensure_debian_command(_QEMU, ["qemu-user-static"])


def ensure_debian_command(command: str, packages: list[str]) -> Path:
    """Find ``command`` on PATH, installing the Debian ``packages`` that provide it if it is missing."""
    found = shutil.which(command)
    if found:
        return Path(found)
    install_debian_packages(packages, needed_for=command, done=lambda: shutil.which(command) is not None)
    found = shutil.which(command)
    if not found:
        raise Arm64EnvError(f"{' '.join(packages)} installed but {command} is not on PATH")
    return Path(found)


def install_debian_packages(packages: list[str], *, needed_for: str, done: Callable[[], bool]) -> None:
    """``apt-get install`` the host's ``packages`` unless ``done()`` says another run already did.

    Installation needs root (CI runs as root); without it the error says what to install.
    """
    names = " ".join(packages)
    if os.geteuid() != 0:
        raise Arm64EnvError(
            f"{needed_for} is not installed and this user cannot install it: run "
            f"`sudo apt-get install -y {names}` (or run the suite as root)"
        )
    apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    lock_wait = ["-o", "DPkg::Lock::Timeout=600"]
    # Machine-wide: suites with different caches may run at once, and apt's own locks fail fast.
    with _locked(Path(tempfile.gettempdir()) / "agentcore-apt-install.lock"):
        if not done():
            _run(["apt-get", *lock_wait, "update"], f"apt-get update (to install {names})", env=apt_env)
            _run(
                ["apt-get", *lock_wait, "install", "-y", "--no-install-recommends", *packages],
                f"apt-get install {names}",
                env=apt_env,
            )


def debian_sources() -> str:
    """The host's Debian archive entries (same mirrors, suites and keys) as a deb822 sources file.

    Only entries that are the Debian archive itself are kept (by their ``debian-archive-keyring``
    signature or a ``/debian`` / ``/debian-security`` path): third-party repositories configured on
    the host may have no arm64 packages or be unreachable, and the root must be plain Debian.
    """
    stanzas: list[dict[str, str]] = []
    for source in _APT_SOURCES:
        files = sorted(source.glob("*")) if source.is_dir() else [source]
        for path in files:
            if not path.is_file():
                continue
            if path.suffix == ".sources":
                stanzas.extend(_parse_deb822(path.read_text()))
            elif path.suffix == ".list":
                stanzas.extend(_parse_one_line(path.read_text()))
    kept = [_as_deb822(s) for s in stanzas if _is_debian_archive(s)]
    if not kept:
        raise Arm64EnvError(
            "no Debian archive entry found in /etc/apt/sources.list or /etc/apt/sources.list.d/*: "
            "the aarch64 root is assembled from the same Debian mirror the host uses"
        )
    return "\n".join(kept)


def _parse_deb822(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*text.splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            if current:
                stanzas.append(current)
            current, key = {}, ""
        elif line[0].isspace() and key:
            current[key] += "\n" + line.strip()
        elif ":" in line:
            key, _, value = line.partition(":")
            key = key.strip().lower()
            current[key] = value.strip()
    return [s for s in stanzas if s.get("enabled", "yes").lower() != "no"]


def _parse_one_line(text: str) -> list[dict[str, str]]:
    stanzas: list[dict[str, str]] = []
    for raw in text.splitlines():
        words = raw.split("#", 1)[0].split()
        if not words:
            continue
        kind, rest = words[0], words[1:]
        options: dict[str, str] = {}
        if rest and rest[0].startswith("["):
            option_words: list[str] = []
            while rest:
                word = rest.pop(0)
                option_words.append(word.strip("[]"))
                if word.endswith("]"):
                    break
            options = dict(w.split("=", 1) for w in option_words if "=" in w)
        if len(rest) < 2:
            continue
        stanza = {"types": kind, "uris": rest[0], "suites": rest[1], "components": " ".join(rest[2:])}
        if "signed-by" in options:
            stanza["signed-by"] = options["signed-by"]
        stanzas.append(stanza)
    return stanzas


def _is_debian_archive(stanza: dict[str, str]) -> bool:
    if "deb" not in stanza.get("types", "").split():
        return False
    if "debian-archive-keyring" in stanza.get("signed-by", ""):
        return True
    paths = [urlparse(uri).path.rstrip("/") for uri in stanza.get("uris", "").split()]
    return any(p.endswith(("/debian", "/debian-security")) for p in paths)


def _as_deb822(stanza: dict[str, str]) -> str:
    lines = [
        "Types: deb",
        f"URIs: {stanza['uris']}",
        f"Suites: {stanza['suites']}",
        f"Components: {stanza.get('components', 'main') or 'main'}",
        "Architectures: arm64",
    ]
    if "signed-by" in stanza:
        lines.append("Signed-By: " + stanza["signed-by"].replace("\n", "\n "))
    return "\n".join(lines) + "\n"


def arm64_debs(packages: Sequence[str], cache: Path, sources: str) -> list[Path]:
    """Download the arm64 .debs of ``packages`` into ``cache/debs`` with a private apt state (the
    host's dpkg and apt lists are left alone); returns their paths. Already downloaded files are
    kept; the caller prunes what it no longer needs."""
    apt_dir = cache / "apt"
    debs = cache / "debs"
    (apt_dir / "sources.list.d").mkdir(parents=True, exist_ok=True)
    (apt_dir / "state" / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (apt_dir / "state" / "status").touch()
    debs.mkdir(exist_ok=True)
    (apt_dir / "sources.list.d" / "debian-arm64.sources").write_text(sources)
    apt_options = [
        "-o", "APT::Architecture=arm64",
        "-o", "APT::Architectures=arm64",
        "-o", f"Dir::State={apt_dir / 'state'}",
        "-o", f"Dir::State::Lists={apt_dir / 'state' / 'lists'}",
        "-o", f"Dir::State::status={apt_dir / 'state' / 'status'}",
        "-o", f"Dir::Cache={apt_dir / 'cache'}",
        "-o", "Dir::Etc::SourceList=/dev/null",
        "-o", f"Dir::Etc::SourceParts={apt_dir / 'sources.list.d'}",
        "-o", "Acquire::Languages=none",
        # The default sandbox user (_apt) cannot enter a cache under /root; the files are ours anyway.
        *(["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    _run(["apt-get", *apt_options, "update"], "apt-get update (private arm64 package lists)")
    wanted = _run(
        ["apt-get", *apt_options, "download", "--print-uris", *packages],
        "apt-get download --print-uris (resolve arm64 .deb file names)",
    )
    files = [line.split()[1] for line in wanted.splitlines() if line.startswith("'")]
    if len(files) != len(packages):
        raise Arm64EnvError(f"apt resolved {len(files)} of {len(packages)} arm64 packages")
    missing = [f for f in files if not (debs / f).is_file()]
    if missing:
        names = [f.split("_", 1)[0] for f in missing]
        _run(["apt-get", *apt_options, "download", *names], "apt-get download (arm64 .debs)", cwd=debs)
    return [debs / name for name in files]


def _build_root(tmp: Path, cache: Path, qemu: Path, sources: str) -> None:
    """Download the arm64 .debs and unpack them into ``tmp``."""
    files = arm64_debs(DEBIAN_PACKAGES, cache, sources)
    for deb in files:
        _run(["dpkg", "-x", str(deb), str(tmp)], f"dpkg -x {deb.name}")
    _prune(cache / "debs", keep={deb.name for deb in files})
    python = tmp / "usr" / "bin" / f"python{PYTHON_MINOR}"
    if not python.is_file():
        raise Arm64EnvError(f"the unpacked root has no {python.relative_to(tmp)}")
    _compile(qemu, tmp, python, [tmp / "usr" / "lib" / f"python{PYTHON_MINOR}"])


def _build_site(tmp: Path, project_dir: Path, qemu: Path, root: Path) -> None:
    """Install the project's locked dependencies as aarch64 wheels into ``tmp/site``."""
    uv = os.environ.get("UV") or shutil.which("uv")
    if not uv:
        raise Arm64EnvError("uv is not on PATH (the suite runs under `uv run`)")
    requirements = tmp / "requirements.txt"
    _run(
        [
            uv, "export", "--frozen", "--no-dev", "--no-emit-project", "--format", "requirements-txt",
            "--project", str(project_dir), "--output-file", str(requirements),
        ],
        f"uv export of {project_dir / 'uv.lock'}",
    )  # fmt: skip
    _run(
        [
            uv, "pip", "install", "--target", str(tmp / "site"),
            "--python-platform", "aarch64-unknown-linux-gnu", "--python-version", PYTHON_MINOR,
            "--only-binary", ":all:", "--no-deps", "--require-hashes", "-r", str(requirements),
        ],
        "uv pip install of the locked aarch64 wheels",
    )  # fmt: skip
    python = root / "usr" / "bin" / f"python{PYTHON_MINOR}"
    _compile(qemu, root, python, [tmp / "site"])


def _compile(qemu: Path, root: Path, python: Path, folders: Sequence[Path]) -> None:
    """Precompile bytecode with the emulated interpreter itself (its magic number, its paths).

    PYTHONDONTWRITEBYTECODE may be set in this environment; it is dropped for this step only. Files
    that do not compile (Python 2 leftovers some wheels ship) are left as they are: the interpreter
    would fail on them just the same with or without a cache.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    _run(
        [str(qemu), "-L", str(root), str(python), "-m", "compileall", "-q", "-q", "-j", "0",
         *map(str, folders)],
        "compileall under emulation",
        env=env,
        check=False,
    )  # fmt: skip


def _cached(cache: Path, name: str, build: Callable[[Path], None]) -> Path:
    """Return ``cache/name``, building it in a temp folder and renaming it into place if absent."""
    final = cache / name
    if not final.is_dir():
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=cache))
        try:
            build(tmp)
            tmp.chmod(0o755)
            tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    # The mtime records the last use (dpkg -x stamps the folder with the package's date otherwise).
    os.utime(final)
    return final


def _prune(folder: Path, keep: set[str], older_than_s: float = 0) -> None:
    """Delete entries of ``folder`` not in ``keep`` (and unused for ``older_than_s``)."""
    cutoff = time.time() - older_than_s
    for entry in folder.iterdir():
        if entry.name in keep or entry.name.startswith(".") or entry.stat().st_mtime > cutoff:
            continue
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _run(
    argv: Sequence[str],
    step: str,
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> str:
    """Run one build step; on failure raise with the step's name and the tail of its output.

    The step runs in its own process group, killed whole on timeout or interruption (compileall
    forks workers, apt forks its download methods).
    """
    try:
        process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise Arm64EnvError(f"{step}: {argv[0]} not found ({exc})") from exc
    try:
        stdout, stderr = process.communicate(timeout=_STEP_TIMEOUT_S)
    except subprocess.TimeoutExpired as exc:
        raise Arm64EnvError(f"{step}: no result after {_STEP_TIMEOUT_S} s") from exc
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
    if check and process.returncode != 0:
        tail = (stdout + stderr).strip()[-3000:]
        raise Arm64EnvError(f"{step} failed (exit {process.returncode}):\n{tail}")
    return stdout
