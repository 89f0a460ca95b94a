"""agent_rust/Dockerfile: lint-clean, both bases pinned by digest, compiled on the builder's own
platform for aarch64, an arm64 runtime holding the binary only, non-root, port 8080. No Docker
engine here, so the file itself is checked (the build is unverified; docs/rust-agent.md)."""

from __future__ import annotations

import re

from tests.testkit.agent_image import container_command, dockerfile_instructions, hadolint
from tests.testkit.agents import RUST_DIR

DOCKERFILE = RUST_DIR / "Dockerfile"
INSTRUCTIONS = dockerfile_instructions(DOCKERFILE)


def all_of(name: str) -> list[str]:
    return [arguments for instruction, arguments in INSTRUCTIONS if instruction == name]


def stages() -> list[list[tuple[str, str]]]:
    found: list[list[tuple[str, str]]] = []
    for instruction, arguments in INSTRUCTIONS:
        if instruction == "FROM":
            found.append([])
        found[-1].append((instruction, arguments))
    return found


def test_hadolint_passes() -> None:
    completed = hadolint("agent_rust/Dockerfile")
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_build_stage_cross_compiles_for_aarch64_on_the_builders_platform() -> None:
    build, _ = stages()
    assert re.fullmatch(r"--platform=\$BUILDPLATFORM rust:1\.\d+-bookworm@sha256:[0-9a-f]{64} AS build", build[0][1])
    commands = " ".join(arguments for instruction, arguments in build if instruction == "RUN")
    assert "rustup target add aarch64-unknown-linux-gnu" in commands
    assert "cargo build --release --locked --target aarch64-unknown-linux-gnu" in commands
    assert "gcc-aarch64-linux-gnu" in commands  # the linker the ENV names
    env = " ".join(arguments for instruction, arguments in build if instruction == "ENV")
    assert "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc" in env


def test_runtime_is_arm64_distroless_with_the_binary_only_as_a_numeric_user_on_8080() -> None:
    _, runtime = stages()
    assert re.fullmatch(r"--platform=linux/arm64 gcr\.io/distroless/cc-debian12:nonroot@sha256:[0-9a-f]{64}", runtime[0][1])
    assert [i for i, _ in runtime] == ["FROM", "COPY", "USER", "EXPOSE", "ENTRYPOINT", "CMD"]
    assert all_of("COPY")[-1] == "--from=build /agentcore-agent /usr/local/bin/agentcore-agent"
    assert re.fullmatch(r"\d+:\d+", all_of("USER")[-1]) and not all_of("USER")[-1].startswith("0")
    assert all_of("EXPOSE") == ["8080"]
    assert all_of("ENTRYPOINT") == ['["/usr/local/bin/agentcore-agent"]']
    assert container_command(DOCKERFILE) == ["--host", "0.0.0.0", "--port", "8080"]


def test_build_context_sends_only_the_manifest_the_lock_and_the_sources() -> None:
    allowed = [line for line in (RUST_DIR / ".dockerignore").read_text().splitlines() if line and not line.startswith("#")]
    assert allowed == ["*", "!Cargo.toml", "!Cargo.lock", "!src/"]
    copied = " ".join(all_of("COPY")[:-1])
    assert copied == "Cargo.toml Cargo.lock ./ src ./src"
