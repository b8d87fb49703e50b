"""HTML helpers shared by the page objects: safe parsing, text, images, meta."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from w3lib.url import safe_url_string

# lxml refuses str input carrying an XML encoding declaration, and control
# characters (NUL etc.) from binary junk; strip both before parsing.
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PARSER = lxml.html.HTMLParser(recover=True, huge_tree=True, remove_comments=False)

BLOCK_TAGS = {
    "p", "div", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "li", "ul", "ol", "tr", "table", "blockquote", "pre", "br", "hr", "figure", "figcaption",
    "dd", "dt", "dl", "center", "form", "main", "aside", "nav", "address",
}
SKIP_TAGS = {"script", "style", "noscript", "template", "head", "title", "iframe", "svg"}


def parse_html(text: str) -> etree._Element:
    """Parse any text into an lxml HTML tree; never raises (empty doc on failure)."""
    text = _CONTROL.sub("", _XML_DECL.sub("", text or "", count=1))
    if not text.strip():
        text = "<html></html>"
    try:
        root = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError):
        root = None
    if root is None:
        root = lxml.html.document_fromstring("<html></html>")
    return root


def has_class(name: str) -> str:
    """XPath predicate: element has this class (case-insensitive, CMS templates vary)."""
    low = name.lower()
    return ("contains(concat(' ', normalize-space(translate(@class,"
            "'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz')), ' '), ' %s ')" % low)


def first(root, xpath: str):
    found = root.xpath(xpath)
    return found[0] if found else None


def meta(root, name: str) -> str | None:
    """Content of <meta name=…> or <meta property=…>, name case-insensitive."""
    low = name.lower()
    for el in root.iter("meta"):
        for attr in ("name", "property", "itemprop"):
            if (el.get(attr) or "").strip().lower() == low:
                content = (el.get("content") or "").strip()
                if content:
                    return content
    return None


def clean_inline(s: str | None) -> str | None:
    if s is None:
        return None
    s = re.sub(r"\s+", " ", s.replace("\u00a0", " ").replace("\u3000", " ")).strip()
    return s or None


def element_text(el) -> str:
    """Visible text of an element: one line per block (p, div, section, br…),
    whitespace collapsed inside lines, empty lines dropped."""
    lines: list[str] = []
    buf: list[str] = []

    def flush():
        line = clean_inline("".join(buf))
        if line:
            lines.append(line)
        buf.clear()

    def walk(node):
        tag = node.tag if isinstance(node.tag, str) else None
        if tag is None:  # comment / processing instruction
            if node.tail:
                buf.append(node.tail)
            return
        tag = tag.lower()
        if tag in SKIP_TAGS:
            pass
        else:
            block = tag in BLOCK_TAGS
            if block:
                flush()
            if node.text:
                buf.append(node.text)
            for child in node:
                walk(child)
            if block:
                flush()
        if node.tail:
            buf.append(node.tail)

    tail = el.tail
    el.tail = None
    try:
        walk(el)
    finally:
        el.tail = tail
    flush()
    return "\n".join(lines)


def inner_html(el) -> str:
    parts = [el.text or ""]
    for child in el:
        parts.append(etree.tostring(child, encoding="unicode", method="html"))
    return "".join(parts).strip()


def base_url(root, url: str) -> str:
    """The document's base for relative links: <base href> resolved against the URL."""
    b = first(root, "//base[@href]/@href")
    return urljoin(url, b.strip()) if b and b.strip() else url


def absolute(href: str | None, base: str) -> str | None:
    """Absolute http(s) URL for an href, or None (javascript:, mailto:, data:, #…)."""
    if not href:
        return None
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    low = href.lower()
    if low.startswith(("javascript:", "mailto:", "tel:", "data:", "about:", "blob:", "sms:")):
        return None
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    if not url.lower().startswith(("http://", "https://")):
        return None
    return safe_url_string(url)


def images(el, base: str) -> list[str]:
    """Image addresses in document order. WeChat keeps the real address in
    data-src (src is empty or a placeholder until scrolled into view)."""
    out: list[str] = []
    for img in el.iter("img"):
        for attr in ("data-src", "data-original", "data-backsrc", "src"):
            url = absolute(img.get(attr), base)
            if url:
                if url not in out:
                    out.append(url)
                break
    return out


def inline_scripts(root) -> list[str]:
    return [s.text for s in root.iter("script") if s.text and not s.get("src")]
