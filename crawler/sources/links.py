"""All outgoing links of a page, for the crawl frontier and the capture metadata."""

from __future__ import annotations

from .dom import absolute, base_url, parse_html


def outlinks(html: str, base_url_: str) -> list[str]:
    """Absolute http(s) URLs of every a[href] (and area[href]), resolved against
    <base href> when the page has one; fragments dropped (same document),
    de-duplicated, in page order."""
    root = parse_html(html)
    base = base_url(root, base_url_)
    seen, out = set(), []
    for el in root.xpath("//a[@href] | //area[@href]"):
        url = absolute(el.get("href"), base)
        if not url:
            continue
        url = url.split("#", 1)[0]
        if url not in seen:
            seen.add(url)
            out.append(url)
    return out
