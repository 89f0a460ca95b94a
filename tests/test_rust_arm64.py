"""The Rust agent as AgentCore runs it: an aarch64 binary, here cross-compiled (see
``tests/testkit/rust_arm64.py``) and run under qemu user-mode against the Bedrock emulator: /ping, a
JSON turn, an SSE turn, a tool turn, and a graceful SIGTERM.

The first run on a machine installs Debian's Rust 1.96 and the aarch64 cross compiler (as root) and
compiles every crate for aarch64 (about four minutes on two cores); later runs rebuild only what
changed. It proves the binary and its dependency set on aarch64, not the Dockerfile's own build
stage or the distroless base (no Docker engine here).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.testkit.agents import RUST, RUST_DIR, rust_command
from tests.testkit.arm64_env import ensure_qemu
from tests.testkit.bedrock_emulator import BedrockEmulator
from tests.testkit.processes import ServerProcess, free_port
from tests.testkit.rust_arm64 import GLIBC_ROOT, build_arm64_binary, elf_machine
from tests.testkit.sse import sse_events

AARCH64 = 183


@pytest.fixture(scope="module")
def binary() -> Path:
    return build_arm64_binary()


@pytest.fixture(scope="module")
def server(binary: Path, bedrock: BedrockEmulator) -> Iterator[ServerProcess]:
    """The Dockerfile's CMD, host and port changed, run by qemu with the arm64 glibc."""
    port = free_port()
    command = [str(ensure_qemu()), "-L", str(GLIBC_ROOT), str(binary), *rust_command(port)[1:]]
    process = ServerProcess(command, port=port, cwd=RUST_DIR, env=RUST.environment(bedrock.url), startup_timeout=60)
    process.start()
    yield process
    process.stop()
    process.cleanup()


def test_the_binary_is_aarch64(binary: Path) -> None:
    assert elf_machine(binary) == AARCH64


def test_the_serving_process_is_qemu_running_that_binary(server: ServerProcess, binary: Path) -> None:
    assert Path(f"/proc/{server.pid}/exe").resolve() == ensure_qemu().resolve()
    assert str(binary) in Path(f"/proc/{server.pid}/cmdline").read_bytes().decode().split("\0")


def test_ping_json_sse_and_tool_turns(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60) as client:
        ping = client.get("/ping").json()
        assert ping["status"] == "Healthy" and isinstance(ping["time_of_last_update"], int)
        answer = client.post("/invocations", json={"prompt": "hello arm64"}).json()
        assert answer["completion"] == "You said: hello arm64. Turn 1."
        streamed = sse_events(client.post("/invocations", json={"prompt": "stream arm64 [[chunks:4]]", "stream": True}))
        assert len(streamed) == 5 and streamed[-1]["completion"] == "You said: stream arm64. Turn 1."
        tool = client.post("/invocations", json={"prompt": "calc [[tool:calculate:2 ** 10 / 4]]"}).json()
        assert tool["completion"] == "Tool result: 256.0"


def test_sigterm_ends_it_cleanly(binary: Path, bedrock: BedrockEmulator) -> None:
    port = free_port()
    command = [str(ensure_qemu()), "-L", str(GLIBC_ROOT), str(binary), *rust_command(port)[1:]]
    process = ServerProcess(command, port=port, cwd=RUST_DIR, env=RUST.environment(bedrock.url), startup_timeout=60)
    process.start()
    assert httpx.get(f"{process.url}/ping", timeout=30).status_code == 200
    result = process.stop()
    process.cleanup()
    RUST.assert_clean_exit(result)
    stopped = [json.loads(line) for line in result.output.splitlines() if '"agent stopped"' in line]
    assert stopped and stopped[-1]["level"] == "INFO"
