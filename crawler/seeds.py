"""The seed file: one URL per line, `#` comments, blank lines; bad lines reported, not fatal."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A trailing comment needs whitespace before '#': a bare '#' is a URL fragment.
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


class SeedFileError(ValueError):
    """The seed file itself cannot be read; str() is one line naming file and reason."""


@dataclass(frozen=True)
class SeedProblem:
    lineno: int
    text: str
    reason: str
    path: str = ""

    def __str__(self) -> str:
        name = os.path.basename(self.path) if self.path else "seeds"
        return "%s:%d: %s: %r" % (name, self.lineno, self.reason, self.text)


@dataclass
class SeedList:
    urls: list[str] = field(default_factory=list)
    problems: list[SeedProblem] = field(default_factory=list)


def check_url(text: str) -> tuple[str | None, str | None]:
    """(normalised URL, None) or (None, reason)."""
    if _CONTROL.search(text):
        return None, "control character in line"
    if any(c.isspace() for c in text):
        return None, "space inside URL"
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        return None, "unparsable URL (%s)" % exc
    if parts.scheme.lower() not in ("http", "https"):
        return None, "not an http(s) URL"
    try:
        host = parts.hostname
        parts.port  # raises on a non-numeric or out-of-range port
    except ValueError:
        return None, "bad port"
    if not host or host.startswith(".") or ".." in host:
        return None, "no host"
    if re.search(r"[<>\"{}|\\^`%]", host):
        return None, "bad host"
    try:
        # Light normalisation only: percent-encode non-ASCII paths (Chinese
        # survives as UTF-8), IDNA hosts; the query string is kept as is.
        return safe_url_string(text, encoding="utf-8"), None
    except (ValueError, UnicodeError) as exc:
        return None, "unparsable URL (%s)" % exc


def read_seeds(path: str | os.PathLike) -> SeedList:
    """Read a seed file. URLs in file order, de-duplicated; malformed lines
    become SeedProblems (with line numbers) and are skipped."""
    path = os.fspath(path)
    if os.path.isdir(path):
        raise SeedFileError("%s: is a directory, not a seed file" % path)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise SeedFileError("%s: cannot read seed file: %s" % (path, exc.strerror or exc)) from None

    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    seeds = SeedList()
    seen: set[str] = set()
    for lineno, raw in enumerate(data.splitlines(), start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            seeds.problems.append(SeedProblem(lineno, raw.decode("utf-8", "replace").strip(),
                                              "undecodable bytes (not UTF-8)", path))
            continue
        text = _TRAILING_COMMENT.sub("", line).strip()
        if not text or text.startswith("#"):
            continue
        url, reason = check_url(text)
        if url is None:
            seeds.problems.append(SeedProblem(lineno, text, reason, path))
            continue
        if url not in seen:
            seen.add(url)
            seeds.urls.append(url)
    return seeds
