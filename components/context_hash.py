"""A deterministic content hash of a Docker build context, used as the image tag.

Why: the tag must change exactly when what Docker would build from changes, so an unchanged agent
is a no-op and any edit becomes a new image (and a new runtime version). The hash therefore covers
the files Docker sends: `.dockerignore` is honoured with Docker's rules (patterns relative to the
context, `*`/`?`/`[...]` within one path segment, `**` across segments, `!` re-includes, the last
matching pattern wins, and a pattern matching a directory covers everything below it).

Directories named `.venv` or `__pycache__` and `*.pyc` files are always left out, whatever
`.dockerignore` says: they are local build artefacts, never agent source.
`missing_default_ignores` reports them when `.dockerignore` would still send them to Docker.

Each file contributes its relative path, whether it is executable, and its bytes (a symlink: its
target), in sorted order, so the hash is the same on every machine and checkout.
"""

import hashlib
import os
import posixpath
import re
import stat
from pathlib import Path

ARTEFACT_DIRS = frozenset({".venv", "__pycache__"})
ARTEFACT_SUFFIX = ".pyc"
TAG_PREFIX = "ctx-"
TAG_HEX_CHARS = 32


def _segment_regex(segment: str) -> str:
    """Translate one path segment of a Go `filepath.Match` pattern into a regex."""
    out: list[str] = []
    i = 0
    while i < len(segment):
        c = segment[i]
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[" and "]" in segment[i + 2 :]:
            end = segment.index("]", i + 2)
            out.append("[" + segment[i + 1 : end] + "]")
            i = end
        elif c == "\\" and i + 1 < len(segment):
            i += 1
            out.append(re.escape(segment[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return "".join(out)


def compile_pattern(pattern: str) -> tuple[re.Pattern[str], bool]:
    """One `.dockerignore` line as (regex over context-relative paths, is-exclusion)."""
    exclude = not pattern.startswith("!")
    body = (pattern if exclude else pattern[1:]).strip()
    # Docker cleans patterns: a leading slash means the context root, `.` and `..` are resolved.
    segments = posixpath.normpath("/" + body).lstrip("/").split("/")
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:.*/)?")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    # A match on a directory covers its contents, hence the optional `/...` suffix.
    return re.compile("^" + "".join(parts) + "(?:/.*)?$"), exclude


def read_dockerignore(context: Path) -> list[str]:
    """The context's `.dockerignore` patterns (comments and blank lines dropped)."""
    path = context / ".dockerignore"
    if not path.is_file():
        return []
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


class IgnoreMatcher:
    """Decides whether a context-relative POSIX path is excluded by `.dockerignore` patterns."""

    def __init__(self, patterns: list[str]) -> None:
        self._rules = [compile_pattern(p) for p in patterns]

    def ignored(self, relative: str) -> bool:
        result = False
        for regex, exclude in self._rules:
            if regex.match(relative):
                result = exclude
        return result


def _is_artefact(relative: str) -> bool:
    parts = relative.split("/")
    return any(p in ARTEFACT_DIRS for p in parts) or relative.endswith(ARTEFACT_SUFFIX)


def _walk(context: Path) -> list[str]:
    """Every file and symlink below `context` as a sorted context-relative POSIX path, skipping
    artefact directories without descending into them (a `.venv` can hold 100k files)."""
    found: list[str] = []
    for root, dirs, files in os.walk(context, followlinks=False):
        rel_root = Path(root).relative_to(context).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        dirs[:] = [d for d in dirs if d not in ARTEFACT_DIRS]
        found.extend(prefix + name for name in files)
        # os.walk lists a symlink to a directory among `dirs` and does not follow it.
        found.extend(prefix + d for d in dirs if (Path(root) / d).is_symlink())
    return sorted(found)


def context_files(context: Path) -> list[str]:
    """Context-relative POSIX paths of every file Docker would send, minus local artefacts."""
    matcher = IgnoreMatcher(read_dockerignore(context))
    return [rel for rel in _walk(context) if not _is_artefact(rel) and not matcher.ignored(rel)]


def context_hash(context: Path, dockerfile: Path | None = None) -> str:
    """Hex SHA-256 over the context's files. The Dockerfile is always included (Docker sends it
    even when `.dockerignore` lists it or it lives outside the context)."""
    entries = [(rel, context / rel) for rel in context_files(context)]
    dockerfile = dockerfile if dockerfile is not None else context / "Dockerfile"
    if dockerfile.is_file() and all(path.resolve() != dockerfile.resolve() for _, path in entries):
        entries.append(("\0Dockerfile", dockerfile))
    digest = hashlib.sha256()
    for rel, path in sorted(entries):
        info = path.lstat()
        digest.update(rel.encode() + b"\0")
        if stat.S_ISLNK(info.st_mode):
            digest.update(b"link\0" + os.readlink(path).encode())
        else:
            digest.update(b"exec\0" if info.st_mode & 0o111 else b"file\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        digest.update(b"\0")
    return digest.hexdigest()


def image_tag(context: Path, dockerfile: Path | None = None) -> str:
    """The image tag for a context: `ctx-` and the first 32 hex characters of its content hash."""
    return f"{TAG_PREFIX}{context_hash(context, dockerfile)[:TAG_HEX_CHARS]}"


def missing_default_ignores(context: Path) -> list[str]:
    """Local artefacts present in the context that `.dockerignore` would still send to Docker.

    The tag ignores them; if one changed, Docker would build a different image under an unchanged
    tag, which an IMMUTABLE repository refuses. Reported so the user adds them to `.dockerignore`.
    """
    matcher = IgnoreMatcher(read_dockerignore(context))
    missing: list[str] = []
    for root, dirs, files in os.walk(context):
        rel_root = Path(root).relative_to(context).as_posix()
        prefix = "" if rel_root == "." else rel_root + "/"
        for name in sorted(d for d in dirs if d in ARTEFACT_DIRS):
            if not matcher.ignored(prefix + name):
                missing.append(prefix + name)
        dirs[:] = [d for d in dirs if d not in ARTEFACT_DIRS]
        missing.extend(
            prefix + f for f in sorted(files) if f.endswith(ARTEFACT_SUFFIX) and not matcher.ignored(prefix + f)
        )
    return sorted(missing)
