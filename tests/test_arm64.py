"""Proven on ARM64: the agent's exact locked environment runs and serves on linux/aarch64.

AgentCore runs ARM64 containers only, and the failure users hit most is finding out after a deploy
("exec format error", a native wheel built for x86_64). These tests run the agent's locked dependency
set as aarch64 wheels on an aarch64 CPython under qemu user-mode emulation (see ``tests/testkit/arm64_env.py``
for how that environment is assembled and cached), then run the Dockerfile's own CMD in it
(``opentelemetry-instrument uvicorn agent:app ...``, only host and port changed to a free loopback
port) and talk to it with the native Bedrock emulator behind it and a loopback OTLP sink for its
telemetry. Nothing leaves 127.0.0.1.

The first run on a machine installs qemu-user-static (as root) and builds the environment (about a
minute); later runs reuse the cache. If the environment cannot be built the tests fail with the
reason; they never skip.
"""

from __future__ import annotations

import json
import os
import re
import signal
import struct
import subprocess
import time
import tomllib
import uuid
from collections.abc import Iterator
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

import httpx
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tests.testkit.agent_image import AGENT_DIR, container_command, image_python_minor
from tests.testkit.agents import PYTHON
from tests.testkit.arm64_env import Arm64Env, Arm64EnvError, prepare
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.otlp_sink import OtlpSink
from tests.testkit.processes import ServerProcess, free_port
from tests.testkit.sse import sse_events

EM_AARCH64 = 183  # e_machine of an ARM64 ELF file
#: Emulated imports of strands, boto3 and the OpenTelemetry distro take seconds; be generous.
STARTUP_TIMEOUT_S = 240.0
EMULATED_STEP_TIMEOUT_S = 300.0
SHUTDOWN_TIMEOUT_S = 30.0
MODEL_ID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


@pytest.fixture(scope="module")
def arm64() -> Arm64Env:
    """The cached aarch64 root + locked site; a build failure fails the tests with its reason."""
    try:
        return prepare(AGENT_DIR)
    except Arm64EnvError as exc:
        pytest.fail(f"cannot build the aarch64 environment for agent_image/: {exc}", pytrace=False)


def run_emulated(arm64: Arm64Env, code: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` on the emulated aarch64 interpreter (cwd agent_image/) and return its stdout."""
    done = subprocess.run(
        arm64.command("-c", code),
        cwd=AGENT_DIR,
        env=arm64.environ(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=EMULATED_STEP_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, f"emulated python failed (exit {done.returncode}):\n{done.stderr[-4000:]}"
    return done.stdout


def elf_machine(path: Path) -> int | None:
    """The ELF ``e_machine`` of ``path``, or None when it is not an ELF file."""
    with path.open("rb") as handle:
        header = handle.read(20)
    if len(header) < 20 or header[:4] != b"\x7fELF":
        return None
    byte_order = "<" if header[5] == 1 else ">"
    return int(struct.unpack(byte_order + "H", header[18:20])[0])


@pytest.fixture(scope="module")
def interpreter(arm64: Arm64Env) -> dict[str, Any]:
    """What the emulated interpreter says about itself (and the PEP 508 marker environment)."""
    code = """
import json, os, platform, sys
print(json.dumps({
    "machine": platform.machine(),
    "version": list(sys.version_info[:3]),
    "marker_env": {
        "implementation_name": sys.implementation.name,
        "implementation_version": platform.python_version(),
        "os_name": os.name,
        "platform_machine": platform.machine(),
        "platform_release": platform.release(),
        "platform_system": platform.system(),
        "platform_version": platform.version(),
        "python_full_version": platform.python_version(),
        "platform_python_implementation": platform.python_implementation(),
        "python_version": ".".join(platform.python_version_tuple()[:2]),
        "sys_platform": sys.platform,
    },
}))
"""
    return json.loads(run_emulated(arm64, code))


def test_interpreter_is_aarch64(arm64: Arm64Env, interpreter: dict[str, Any]) -> None:
    assert elf_machine(arm64.python) == EM_AARCH64, f"{arm64.python} is not an aarch64 ELF executable"
    assert interpreter["machine"] == "aarch64"


def test_image_python_minor_matches_the_proven_interpreter(interpreter: dict[str, Any]) -> None:
    """The Dockerfile's base image and the interpreter proven here must be the same Python minor."""
    image_minor = image_python_minor(AGENT_DIR / "Dockerfile")
    proven = interpreter["version"]
    proven_minor = f"{proven[0]}.{proven[1]}"
    assert image_minor == proven_minor, (
        f"agent_image/Dockerfile's runtime base uses Python {image_minor} but the aarch64 proof runs "
        f"Python {proven_minor} (Debian bookworm's); move the base back to {proven_minor} or change "
        "PYTHON_MINOR and DEBIAN_PACKAGES in tests/testkit/arm64_env.py to a Debian release that ships it"
    )
    requires = tomllib.loads((AGENT_DIR / "pyproject.toml").read_text())["project"]["requires-python"]
    assert ".".join(map(str, proven)) in SpecifierSet(requires), (
        f"agent_image/pyproject.toml requires-python {requires!r} excludes the proven Python {proven}"
    )


def locked_requirements(arm64: Arm64Env, marker_env: dict[str, str]) -> dict[str, str]:
    """name -> version for every locked requirement whose markers hold on the aarch64 interpreter."""
    wanted: dict[str, str] = {}
    text = re.sub(r"\\\n", " ", arm64.requirements.read_text())
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line.split(" --hash", 1)[0])
        if requirement.marker is None or Marker(str(requirement.marker)).evaluate(marker_env):
            (pin,) = requirement.specifier
            wanted[canonicalize_name(requirement.name)] = pin.version
    return wanted


def test_site_holds_exactly_the_locked_versions(arm64: Arm64Env, interpreter: dict[str, Any]) -> None:
    lock = tomllib.loads((AGENT_DIR / "uv.lock").read_text())
    in_lock: dict[str, set[str]] = {}
    for package in lock["package"]:
        in_lock.setdefault(canonicalize_name(package["name"]), set()).add(package["version"])
    wanted = locked_requirements(arm64, interpreter["marker_env"])
    installed = {
        canonicalize_name(dist.metadata["Name"]): dist.version for dist in distributions(path=[str(arm64.site)])
    }
    assert installed == wanted, "the aarch64 site differs from the lock's export"
    not_locked = {name: v for name, v in installed.items() if v not in in_lock.get(name, set())}
    assert not not_locked, f"installed versions that agent_image/uv.lock does not pin: {not_locked}"


def test_every_wheel_is_pure_or_built_for_aarch64(arm64: Arm64Env) -> None:
    wrong: dict[str, list[str]] = {}
    for wheel_file in arm64.site.glob("*.dist-info/WHEEL"):
        tags = [
            line.split(":", 1)[1].strip() for line in wheel_file.read_text().splitlines() if line.startswith("Tag:")
        ]
        bad = [t for t in tags if not t.endswith(("-any", "_aarch64"))]
        if bad:
            wrong[wheel_file.parent.name] = bad
    assert not wrong, f"wheels tagged for another platform: {wrong}"


def test_every_native_library_in_the_site_is_aarch64(arm64: Arm64Env) -> None:
    machines = {path: elf_machine(path) for path in arm64.site.rglob("*") if path.is_file()}
    native = {path: machine for path, machine in machines.items() if machine is not None}
    assert native, "no native library found in the site: the check would prove nothing"
    wrong = sorted(str(path.relative_to(arm64.site)) for path, m in native.items() if m != EM_AARCH64)
    assert not wrong, f"native files that are not aarch64: {wrong}"


def extension_modules(folder: Path) -> list[str]:
    """Dotted names of the importable extension modules under ``folder``.

    Bundled helper libraries (``foo.libs/libbar.so``) are not modules: their folder is not an
    identifier, so they are left to the ELF check and to the imports that load them.
    """
    names = []
    for path in folder.rglob("*.so"):
        parts = path.relative_to(folder).parts
        stem = parts[-1].split(".", 1)[0]
        if all(part.isidentifier() for part in parts[:-1]) and stem.isidentifier():
            names.append(".".join([*parts[:-1], stem]))
    return sorted(names)


IMPORT_ALL = """
import importlib, json, sys
failed = {}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception as exc:
        failed[name] = f"{type(exc).__name__}: {exc}"
print(json.dumps(failed))
"""


def import_failures(arm64: Arm64Env, modules: list[str]) -> dict[str, str]:
    done = subprocess.run(
        arm64.command("-c", IMPORT_ALL, json.dumps(modules)),
        cwd=AGENT_DIR,
        env=arm64.environ(),
        capture_output=True,
        text=True,
        timeout=EMULATED_STEP_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return dict(json.loads(done.stdout))


def test_every_native_extension_in_the_site_imports_on_aarch64(arm64: Arm64Env) -> None:
    modules = extension_modules(arm64.site)
    assert modules, "no extension module found in the site"
    assert import_failures(arm64, modules) == {}


def test_every_stdlib_extension_imports_on_aarch64(arm64: Arm64Env) -> None:
    """The emulated interpreter is complete: every shared library its modules link is in the root."""
    lib_dynload = arm64.python.parent.parent / "lib" / arm64.python.name / "lib-dynload"
    modules = extension_modules(lib_dynload)
    assert "_ssl" in modules
    assert import_failures(arm64, modules) == {}


def test_the_app_imports_only_from_the_aarch64_environment(arm64: Arm64Env) -> None:
    """``import agent`` pulls every module from the root, the locked site or agent_image/ itself.

    qemu's ``-L`` falls back to host paths for files missing from the root, so a module the lock
    forgot could otherwise be found on the host and hide the gap.
    """
    code = """
import json, sys
import agent
files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
print("MODULE FILES", json.dumps(files))  # the app logs to stdout too: mark our line
"""
    output = run_emulated(arm64, code, agent_env("http://127.0.0.1:9"))
    (line,) = [line for line in output.splitlines() if line.startswith("MODULE FILES ")]
    files = json.loads(line.removeprefix("MODULE FILES "))
    allowed = (str(arm64.root) + "/", str(arm64.site) + "/", str(AGENT_DIR) + "/")
    assert any(f.startswith(str(arm64.site) + "/strands/") for f in files), "strands was not imported"
    strays = [f for f in files if not f.startswith(allowed)]
    assert not strays, f"modules loaded from outside the aarch64 environment: {strays}"


def agent_env(bedrock_url: str) -> dict[str, str]:
    """The agent's configuration: a pinned model and region, the emulator as Bedrock, dummy keys."""
    return {
        "MODEL_ID": MODEL_ID,
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME": bedrock_url,
        "AWS_ACCESS_KEY_ID": "AKIAARM64TESTKEY0000",
        "AWS_SECRET_ACCESS_KEY": "arm64-test-secret-not-real",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent/aws-config",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    }


@pytest.fixture(scope="module")
def otlp() -> Iterator[OtlpSink]:
    with OtlpSink() as sink:
        yield sink


def emulated_container_command(launchers: Path, port: int) -> list[str]:
    """The Dockerfile's CMD, its programs run by the aarch64 launchers, served on loopback:port."""
    command = container_command(AGENT_DIR / "Dockerfile")
    command[0] = str(launchers / command[0])
    for flag, value in (("--host", "127.0.0.1"), ("--port", str(port))):
        command[command.index(flag) + 1] = value
    return command


@pytest.fixture(scope="module")
def server(
    arm64: Arm64Env, bedrock: BedrockEmulator, otlp: OtlpSink, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The container's CMD on the emulated interpreter, in its own process group.

    ``setsid`` and the launchers exec in place (same pid), so signals reach qemu, which delivers
    them to the guest; the group lets teardown kill anything the server may have spawned.
    """
    launchers = arm64.write_launchers(tmp_path_factory.mktemp("arm64-launchers"))
    port = free_port()
    env: dict[str, str | None] = {name: None for name in os.environ}  # nothing from the host's setup
    env.update(arm64.environ(agent_env(bedrock.url)))
    env.update(
        {
            "PATH": f"{launchers}:/usr/bin:/bin",  # like the image's PATH=/app/.venv/bin:...
            # The CMD's OpenTelemetry wrapper configured as AgentCore configures it, exporting to
            # the loopback sink. The flag also keeps the AWS distro from probing the EC2/ECS/EKS
            # metadata endpoints (off-machine addresses); its default metrics exporter would call
            # CloudWatch, so metrics are off.
            "AGENT_OBSERVABILITY_ENABLED": "true",
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            "OTEL_METRICS_EXPORTER": "none",
            "OTEL_BSP_SCHEDULE_DELAY": "200",  # export spans within a fraction of a second
        }
    )
    process = ServerProcess(
        ["setsid", *emulated_container_command(launchers, port)],
        port=port,
        cwd=AGENT_DIR,
        env=env,
        startup_timeout=STARTUP_TIMEOUT_S,
    )
    try:
        process.start()
        yield process
    finally:
        try:
            process.stop(timeout=SHUTDOWN_TIMEOUT_S)
        except RuntimeError:
            pass  # never started: Popen itself failed, and start() raised that already
        else:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.cleanup()


def mapped_files(pid: int) -> set[Path]:
    """Files mapped into a process (its code and data), from /proc/<pid>/maps."""
    lines = Path(f"/proc/{pid}/maps").read_text().splitlines()
    return {Path(fields[5]) for fields in map(str.split, lines) if len(fields) >= 6 and fields[5].startswith("/")}


def test_the_server_runs_aarch64_code_only(arm64: Arm64Env, server: ServerProcess) -> None:
    """The serving process is qemu running the root's interpreter; all the native code it has
    loaded is aarch64 and comes from the root or the locked site (never from the host)."""
    assert Path(f"/proc/{server.pid}/exe").resolve() == arm64.qemu.resolve()
    objects = {path for path in mapped_files(server.pid) if path.is_file() and elf_machine(path) is not None}
    objects.discard(arm64.qemu.resolve())
    assert arm64.python in objects
    site_objects = {path for path in objects if path.is_relative_to(arm64.site)}
    assert any(path.name.startswith("_pydantic_core.") for path in site_objects), sorted(map(str, site_objects))
    foreign = sorted(str(p) for p in objects if not (p.is_relative_to(arm64.root) or p.is_relative_to(arm64.site)))
    assert not foreign, f"native code from outside the aarch64 environment: {foreign}"
    wrong = sorted(str(path) for path in objects if elf_machine(path) != EM_AARCH64)
    assert not wrong, f"non-aarch64 native code in the server: {wrong}"


def test_ping_answers_healthy(server: ServerProcess) -> None:
    response = httpx.get(server.url + "/ping", timeout=30)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "Healthy"
    assert isinstance(body["time_of_last_update"], int)


def test_a_json_turn_completes_through_bedrock(server: ServerProcess, bedrock: BedrockEmulator) -> None:
    nonce = uuid.uuid4().hex
    response = httpx.post(server.url + "/invocations", json={"prompt": f"hello {nonce}"}, timeout=120)
    assert response.status_code == 200, response.text
    assert response.json()["completion"] == f"You said: hello {nonce}. Turn 1."
    assert len(bedrock.requests_containing(nonce)) == 1


def test_a_streamed_turn_completes_through_bedrock(server: ServerProcess, bedrock: BedrockEmulator) -> None:
    nonce = uuid.uuid4().hex
    response = httpx.post(
        server.url + "/invocations",
        json={"prompt": f"stream {nonce}"},
        headers={"Accept": "text/event-stream"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    events = sse_events(response)
    expected = f"You said: stream {nonce}. Turn 1."
    deltas = [event["delta"] for event in events if "delta" in event]
    assert len(deltas) > 1, events  # streamed in pieces, not one blob
    assert "".join(deltas) == expected
    assert events[-1]["completion"] == expected


def test_the_instrumented_server_exports_traces(server: ServerProcess, otlp: OtlpSink) -> None:
    """The CMD's OpenTelemetry wrapper is live on aarch64: the Bedrock calls of the turns above were
    exported as botocore spans."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(span.scope.startswith("opentelemetry.instrumentation.botocore") for span in otlp.spans()):
            return
        time.sleep(0.2)
    pytest.fail(f"no Bedrock span exported within 30 s; got {[(s.scope, s.name) for s in otlp.spans()]}")


def test_sigterm_stops_the_server_cleanly(server: ServerProcess) -> None:
    """Runs last in this module: it ends the shared server the way the platform stops a session.

    Clean means the app's shutdown ran to the end and the process ended by itself within the bound
    (``stop`` sends SIGKILL after it, which fails the check).
    """
    result = server.stop(timeout=SHUTDOWN_TIMEOUT_S)
    PYTHON.assert_clean_exit(result)
    assert "Application shutdown complete." in result.output, result.output[-4000:]
    assert not Path(f"/proc/{server.pid}").exists()
