"""The GitHub Actions workflow: lint-clean, schema-valid, and wired the way README.md promises."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
BIN = Path(sys.executable).parent


def _load() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _steps(job: str) -> list[dict]:
    return _load()["jobs"][job]["steps"]


def _uses(job: str) -> list[str]:
    return [step["uses"].split("@")[0] for step in _steps(job) if "uses" in step]


def test_actionlint_passes() -> None:
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color", str(WORKFLOW)], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_matches_githubs_published_workflow_schema() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_test_job_runs_the_readme_test_command() -> None:
    commands = [step.get("run", "") for step in _steps("test")]
    assert "uv run --frozen pytest" in commands
    assert "uv run --frozen pytest" in (ROOT / "README.md").read_text()
    assert "uv run --frozen pytest" in (ROOT / ".ci" / "run").read_text()


def test_preview_uses_oidc_arm64_buildx_and_the_dev_stack() -> None:
    job = _load()["jobs"]["preview"]
    assert job["permissions"]["id-token"] == "write", "OIDC needs id-token: write"
    assert "pull_request" in job["if"]
    uses = _uses("preview")
    for action in (
        "docker/setup-qemu-action",
        "docker/setup-buildx-action",
        "aws-actions/configure-aws-credentials",
        "pulumi/actions",
    ):
        assert action in uses, action
    # QEMU and buildx must be ready before Pulumi builds the linux/arm64 image.
    assert uses.index("docker/setup-qemu-action") < uses.index("pulumi/actions")
    assert uses.index("docker/setup-buildx-action") < uses.index("pulumi/actions")
    pulumi = next(s for s in _steps("preview") if s.get("uses", "").startswith("pulumi/actions"))
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["stack-name"] == "dev"
    assert pulumi["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
    creds = next(s for s in _steps("preview") if "configure-aws-credentials" in s.get("uses", ""))
    assert "role-to-assume" in creds["with"] and "aws-access-key-id" not in creds["with"]


def test_workflow_default_token_is_read_only() -> None:
    assert _load()["permissions"] == {"contents": "read"}
