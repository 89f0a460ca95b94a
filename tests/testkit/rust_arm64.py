"""agent_rust/ cross-compiled for aarch64, to run under qemu user-mode as the image would run it.

Why Debian's Rust and not rustup's: rustup cannot add a target on machines that reach only package
registries (its download host is not one), while Debian bookworm-security packages the arm64
standard library of its ``rustc-web`` (``libstd-rust-web-dev:arm64``). That package is unpacked
into a private sysroot (downloaded with a private apt state, the host's dpkg left alone, like the
Python aarch64 root in ``arm64_env``), ``gcc-aarch64-linux-gnu`` links the binary and compiles
aws-lc's C, and Cargo's ``--target aarch64-unknown-linux-gnu`` build uses that sysroot for the
target only (build scripts and proc macros still run on the host). The compiler and the standard
library must be the same release: both come from the same Debian suite, and the build checks it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.testkit.agents import RUST_DIR
from tests.testkit.arm64_env import (
    Arm64EnvError,
    arm64_debs,
    cache_dir,
    debian_sources,
    ensure_debian_command,
    install_debian_packages,
)

TARGET = "aarch64-unknown-linux-gnu"
DEBIAN_RUSTC = Path("/usr/bin/rustc")
DEBIAN_CARGO = Path("/usr/bin/cargo")
STD_PACKAGES = ["libstd-rust-web-dev", "libstd-rust-web-1.96"]
CROSS_PACKAGES = ["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"]
TARGET_DIR = RUST_DIR / "target" / "debian-cross"
GLIBC_ROOT = Path("/usr/aarch64-linux-gnu")  # qemu's -L: the arm64 loader and libc from libc6-dev-arm64-cross


def _debian_rust_version() -> str | None:
    if not (DEBIAN_RUSTC.is_file() and DEBIAN_CARGO.is_file()):
        return None
    printed = subprocess.run([DEBIAN_RUSTC, "--version"], capture_output=True, text=True, check=False).stdout
    found = re.match(r"rustc (\d+\.\d+)\.\d+", printed)
    return found.group(1) if found else None


def ensure_toolchain() -> None:
    """Debian's Rust 1.96 and the aarch64 cross compiler, installed when missing."""
    wanted = STD_PACKAGES[1].rsplit("-", 1)[1]
    if _debian_rust_version() != wanted:
        install_debian_packages(
            ["rustc-web", "cargo-web"], needed_for=f"Debian's Rust {wanted}", done=lambda: _debian_rust_version() == wanted
        )
    ensure_debian_command("aarch64-linux-gnu-gcc", CROSS_PACKAGES)
    version = _debian_rust_version()
    if version != wanted:
        raise Arm64EnvError(f"{DEBIAN_RUSTC} is Rust {version}, but the arm64 standard library packaged is {wanted}")


def std_sysroot() -> Path:
    """A sysroot holding the arm64 standard library (lib/rustlib/aarch64-unknown-linux-gnu/lib)."""
    cache = cache_dir() / "rust-std"
    debs = arm64_debs(STD_PACKAGES, cache, debian_sources())
    sysroot = cache / f"sysroot-{debs[0].name.split('_')[1]}"  # named by the package version
    if not (sysroot / "usr" / "lib" / "rustlib" / TARGET / "lib").is_dir():
        partial = sysroot.with_name(sysroot.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)  # a leftover of an interrupted run
        for deb in debs:
            subprocess.run(["dpkg", "-x", str(deb), str(partial)], check=True)  # noqa: S607 - unpack only
        partial.rename(sysroot)
    return sysroot / "usr"


def build_arm64_binary() -> Path:
    """Cross-compile agent_rust/ (its committed lock) for aarch64; Cargo rebuilds only what changed."""
    ensure_toolchain()
    sysroot = std_sysroot()
    env = {
        **os.environ,
        "RUSTC": str(DEBIAN_RUSTC),
        "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUSTFLAGS": f"--sysroot {sysroot}",
        "CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER": "aarch64-linux-gnu-gcc",
        "CC_aarch64_unknown_linux_gnu": "aarch64-linux-gnu-gcc",
        "AR_aarch64_unknown_linux_gnu": "aarch64-linux-gnu-ar",
    }
    command = [str(DEBIAN_CARGO), "build", "--locked", "--quiet", "--target", TARGET, "--target-dir", str(TARGET_DIR)]
    completed = subprocess.run(command, cwd=RUST_DIR, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise Arm64EnvError(f"cross-compiling agent_rust for {TARGET} failed:\n{completed.stderr[-4000:]}")
    return TARGET_DIR / TARGET / "debug" / "agentcore-agent"


def elf_machine(binary: Path) -> int:
    """The ELF header's e_machine (183 is AArch64, 62 is x86-64)."""
    header = binary.read_bytes()[:20]
    if header[:4] != b"\x7fELF":
        raise ValueError(f"{binary} is not an ELF file")
    return int.from_bytes(header[18:20], "little" if header[5] == 1 else "big")
