"""README.md and docs/: every relative link points to a file that exists, and every #anchor to a
heading in that file.

Why: the docs are split over several files that point at each other and at the code, while the
code keeps moving; a moved file or a renamed heading should fail here, not confuse a reader.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

FENCE = re.compile(r"^(```|~~~).*?^\1", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text without fenced blocks or inline code, where brackets are not links."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def github_anchor(heading: str) -> str:
    """GitHub's heading id: lower case, markup and punctuation dropped, spaces to hyphens."""
    text = heading.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading id in a Markdown file, with GitHub's -1, -2 suffixes for repeats."""
    seen: dict[str, int] = {}
    ids = set()
    for heading in HEADING.findall(FENCE.sub("", path.read_text())):
        base = github_anchor(heading)
        count = seen.get(base, 0)
        ids.add(base if count == 0 else f"{base}-{count}")
        seen[base] = count + 1
    return ids


def relative_links(document: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(document.read_text()))
        if not re.match(r"^[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


def test_the_documents_exist_and_link_somewhere() -> None:
    assert (ROOT / "README.md").is_file()
    assert len(DOCUMENTS) > 1, "docs/ holds no Markdown files"
    assert relative_links(ROOT / "README.md"), "README.md links to nothing in the repository"


def test_anchor_rule_matches_githubs_ids() -> None:
    # Expected ids written out by hand from GitHub's rendering rule, not derived from the code.
    assert github_anchor("Run the tests") == "run-the-tests"
    assert github_anchor("Container side (OpenTelemetry)") == "container-side-opentelemetry"
    assert github_anchor("What the tests assert (`tests/test_arm64.py`)") == "what-the-tests-assert-teststest_arm64py"
    assert github_anchor("Configuration (environment variables)") == "configuration-environment-variables"


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    broken = []
    for target in relative_links(document):
        path_part, _, anchor = target.partition("#")
        path = (document.parent / path_part).resolve() if path_part else document
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{target}: no heading #{anchor} in {path.relative_to(ROOT)}")
    assert not broken, f"{document.relative_to(ROOT)}: " + "; ".join(broken)
