"""Bytes to text for Chinese pages: declared charset first, GB family as gb18030."""

from __future__ import annotations

import codecs
import re
from typing import Any

# Pages declared gb2312 routinely contain GBK-only characters (names such as
# 镕, 堃, 喆); gb18030 is a superset of both, so decode the whole family with it.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "gb_2312-80", "gb_2312", "x-gbk", "cp936",
              "csgb2312", "chinese", "iso-ir-58", "ms936", "windows-936", "euc-cn", "hz-gb-2312"}
# Servers often send a default latin-1 header over a page in another charset;
# treat such a declaration as weak and let the page's own meta / content decide.
_WEAK = {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii", "iso8859-1", "l1"}

_BOMS = [
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
]
META_WINDOW = 8192
_CHARSET_RE = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_META_RE = re.compile(rb"<meta\b[^>]*>", re.I)


def normalize_charset(label: str | bytes | None) -> str | None:
    """A Python codec name for a declared label, or None if unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "replace")
    label = label.strip().strip("\"'").lower()
    if label in _GB_FAMILY:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in {"gb2312", "gbk", "gb18030", "hz"}:
        return "gb18030"
    if name in {"utf-16", "utf-32"}:  # a meta claiming utf-16 in an ASCII-readable page is wrong
        return None
    return name


def _header_charset(headers: Any) -> str | None:
    from .page import header_value  # local import: page imports this module

    ctype = header_value(headers, "content-type")
    if not ctype:
        return None
    m = _CHARSET_RE.search(ctype.encode("latin-1", "replace"))
    return m.group(1).decode("ascii", "replace") if m else None


def _meta_charset(body: bytes) -> str | None:
    for tag in _META_RE.finditer(body[:META_WINDOW]):
        m = _CHARSET_RE.search(tag.group(0))
        if m:
            return m.group(1).decode("ascii", "replace")
    return None


def decode_html(body: bytes, headers: Any = None) -> tuple[str, str]:
    """Decode an HTML body. Order: BOM, HTTP charset, <meta> charset in the first
    few KB, valid UTF-8, else gb18030. Never raises on garbage (errors=replace)."""
    body = body or b""
    for bom, enc in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(enc, errors="replace"), enc

    weak = None
    for declared in (_header_charset(headers), _meta_charset(body)):
        enc = normalize_charset(declared)
        if not enc:
            continue
        if declared.strip().lower() in _WEAK or enc in {"latin-1", "ascii", "cp1252"}:
            weak = weak or enc
            continue
        return body.decode(enc, errors="replace"), enc

    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if weak:
        # A latin-1 header over bytes that are clean GB text is a server default,
        # not the page's charset (our sources are Chinese); otherwise obey it.
        try:
            return body.decode("gb18030"), "gb18030"
        except UnicodeDecodeError:
            return body.decode("cp1252", errors="replace"), "cp1252"
    return body.decode("gb18030", errors="replace"), "gb18030"
