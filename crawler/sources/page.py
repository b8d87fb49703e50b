"""The input of every parser: one fetched page, as served and (optionally) as rendered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .encoding import decode_html

# Classification and markers only need the top of a page; decoding a 100 MB
# body just to look for a few markers would be waste.
HEAD_LIMIT = 3_000_000


def header_value(headers: Any, name: str) -> str | None:
    """Case-insensitive header lookup over any mapping (dict, Scrapy Headers,
    lists of values, bytes keys/values). Returns the last value, as str."""
    if not headers:
        return None
    want = name.lower()
    try:
        items = headers.items()
    except AttributeError:
        items = headers
    found = None
    for key, value in items:
        if isinstance(key, bytes):
            key = key.decode("latin-1")
        if str(key).lower() != want:
            continue
        if isinstance(value, (list, tuple)):
            value = value[-1] if value else None
        if isinstance(value, bytes):
            value = value.decode("latin-1")
        if value is not None:
            found = str(value)
    return found


@dataclass(frozen=True)
class Page:
    url: str
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    rendered: str | None = None

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    @cached_property
    def _decoded(self) -> tuple[str, str]:
        return decode_html(self.body or b"", self.headers)

    @property
    def text(self) -> str:
        """The served body as text (see encoding.decode_html)."""
        return self._decoded[0]

    @property
    def encoding(self) -> str:
        return self._decoded[1]

    @property
    def html(self) -> str:
        """What parsers read: the rendered DOM when a browser produced one
        (JS has filled dates, links, image posts), else the served body."""
        return self.rendered if self.rendered else self.text

    @cached_property
    def dom(self):
        """lxml tree of self.html (parsed once, shared by classifier and parsers)."""
        from .dom import parse_html

        return parse_html(self.html)

    @cached_property
    def head_dom(self):
        """lxml tree of self.head (the same tree as dom for pages of normal size)."""
        if len(self.head) == len(self.html):
            return self.dom
        from .dom import parse_html

        return parse_html(self.head)

    @cached_property
    def head(self) -> str:
        """The first HEAD_LIMIT characters of the page, for classification."""
        if self.rendered:
            return self.rendered[:HEAD_LIMIT]
        if len(self.body or b"") <= HEAD_LIMIT:
            return self.text
        _, enc = decode_html(self.body[:65536], self.headers)
        return self.body[:HEAD_LIMIT].decode(enc, errors="replace")
