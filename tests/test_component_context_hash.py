"""The image tag: stable across machines, sensitive to every sent byte, blind to ignored files."""

import os
from pathlib import Path

import pytest

from components.context_hash import (
    IgnoreMatcher,
    context_files,
    context_hash,
    image_tag,
    missing_default_ignores,
)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def context(tmp_path: Path) -> Path:
    return _tree(
        tmp_path / "ctx",
        {
            "Dockerfile": "FROM scratch\nCOPY app.py /\n",
            "app.py": "print('hi')\n",
            "pkg/mod.py": "X = 1\n",
            ".dockerignore": "tests\n*.md\n!KEEP.md\n",
            "tests/test_x.py": "assert True\n",
            "README.md": "docs\n",
            "KEEP.md": "kept\n",
        },
    )


def test_files_follow_dockerignore(context: Path) -> None:
    assert context_files(context) == [".dockerignore", "Dockerfile", "KEEP.md", "app.py", "pkg/mod.py"]


def test_tag_is_deterministic_and_shaped(context: Path, tmp_path: Path) -> None:
    tag = image_tag(context)
    assert tag == image_tag(context)
    assert tag.startswith("ctx-") and len(tag) == 36
    # A copy elsewhere (another checkout, another machine) hashes the same.
    copy = _tree(tmp_path / "copy", {rel: (context / rel).read_text() for rel in context_files(context)})
    (copy / "tests").mkdir()
    assert image_tag(copy) == tag


def test_tag_has_a_known_answer(context: Path) -> None:
    # Pinned: a change to the hashing scheme re-tags (and so rebuilds and redeploys) every stack's
    # image, which must be a deliberate decision, not a side effect.
    for rel in context_files(context):
        os.chmod(context / rel, 0o644)
    assert image_tag(context) == "ctx-13cbb9f99736fe76c7f9cc45b9fdb981"
    os.chmod(context / "app.py", 0o755)
    assert image_tag(context) == "ctx-a06baf83e2f4604a148c15c22017a682"


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: (c / "app.py").write_text("print('changed')\n"),
        lambda c: (c / "pkg" / "new.py").write_text(""),
        lambda c: (c / "Dockerfile").write_text("FROM scratch\n"),
        lambda c: (c / "app.py").rename(c / "main.py"),
        lambda c: os.chmod(c / "app.py", 0o755),
        lambda c: (c / "KEEP.md").write_text("re-included files count\n"),
    ],
)
def test_any_sent_change_changes_the_tag(context: Path, edit) -> None:
    before = image_tag(context)
    edit(context)
    assert image_tag(context) != before


@pytest.mark.parametrize(
    "edit",
    [
        lambda c: (c / "tests" / "test_x.py").write_text("changed\n"),
        lambda c: (c / "README.md").write_text("changed\n"),
        lambda c: _tree(c, {".venv/lib/site.py": "x", "pkg/__pycache__/mod.cpython-311.pyc": "x", "stray.pyc": "x"}),
    ],
)
def test_ignored_changes_keep_the_tag(context: Path, edit) -> None:
    before = image_tag(context)
    edit(context)
    assert image_tag(context) == before


def test_ignored_dockerfile_still_counts(tmp_path: Path) -> None:
    ctx = _tree(tmp_path / "c", {"Dockerfile": "FROM a\n", ".dockerignore": "Dockerfile\n", "x.py": ""})
    before = context_hash(ctx)
    (ctx / "Dockerfile").write_text("FROM b\n")
    assert context_hash(ctx) != before


def test_dockerfile_outside_the_context(tmp_path: Path) -> None:
    ctx = _tree(tmp_path / "c", {"x.py": ""})
    dockerfile = tmp_path / "build.Dockerfile"
    dockerfile.write_text("FROM a\n")
    before = context_hash(ctx, dockerfile)
    dockerfile.write_text("FROM b\n")
    assert context_hash(ctx, dockerfile) != before


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        (["*.md"], "README.md", True),
        (["*.md"], "docs/README.md", False),
        (["**/*.md"], "docs/deep/README.md", True),
        (["docs"], "docs/a/b.txt", True),
        (["/docs"], "docs/b.txt", True),
        (["docs/**"], "docs/b.txt", True),
        (["docs", "!docs/keep.txt"], "docs/keep.txt", False),
        (["docs", "!docs/keep.txt"], "docs/drop.txt", True),
        (["!x", "x"], "x", True),
        (["a?c"], "abc", True),
        (["a[0-9]"], "a7", True),
        (["a[0-9]"], "ab", False),
        (["./build/../dist"], "dist/app", True),
        (["**"], "anything/at/all", True),
    ],
)
def test_dockerignore_semantics(patterns: list[str], path: str, ignored: bool) -> None:
    assert IgnoreMatcher(patterns).ignored(path) is ignored


def test_missing_default_ignores_reports_artefacts_docker_would_send(tmp_path: Path) -> None:
    ctx = _tree(tmp_path / "c", {"Dockerfile": "", ".venv/bin/python": "", "pkg/__pycache__/a.pyc": "", "b.pyc": ""})
    assert missing_default_ignores(ctx) == [".venv", "b.pyc", "pkg/__pycache__"]
    (ctx / ".dockerignore").write_text(".venv\n**/__pycache__\n*.pyc\n")
    assert missing_default_ignores(ctx) == []
