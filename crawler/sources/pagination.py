"""Gov list pages: every page of a list, and the article links on one page.

TRS portals write their pager with JavaScript (`createPageHTML(n, cur, "index",
"html")`), so the served HTML has no page links while the rendered DOM does;
both are read here. Pages of a list are index.html, index_1.html … index_{n-1}.html.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from .dom import absolute, base_url, clean_inline, inline_scripts, parse_html
from .jsvars import find_var
from .page import Page

_CREATE_PAGE = re.compile(
    r"createPageHTML\s*\(\s*([\w$.]+)\s*,\s*([\w$.]+)\s*,\s*['\"]([^'\"]*)['\"]\s*,\s*['\"]([^'\"]*)['\"]")
_COUNT_VARS = ("countPage", "totalPage", "pageCount", "totalPages")
_PAGER_TEXT = re.compile(r"^(?:首页|上一页|下一页|上页|下页|尾页|末页|最后一页|第一页|前一页|后一页|"
                         r"\d{1,4}|[<>«»‹›]+|\[\d+\]|prev|next|first|last)$", re.I)
_NEXT_LAST = re.compile(r"下一页|尾页|末页|下页|最后一页")
_PAGER_BOX = re.compile(r"(?:^|[\s_-])(?:pagination|pager|paging|fenye|pagebar|pagenav|page|pages|"
                        r"page_?box|page_?list|turnpage)(?:$|[\s_-])", re.I)
_NAV_BOX = re.compile(r"(?:^|[\s_-])(?:nav|navbar|menu|header|footer|crumbs?|breadcrumbs?|bread|position|"
                      r"location|topbar|banner|friendlinks?|share|sitemap|dqwz)(?:$|[\s_-])", re.I)
_INDEX_N = re.compile(r"^(?P<dir>.*/)(?P<name>[A-Za-z]+)_(?P<n>\d+)\.(?P<ext>s?html?)$")
_HYPHEN_N = re.compile(r"^(?P<head>.*/[\w.-]*?-)(?P<n>\d+)\.(?P<ext>s?html?)$")
_PAGE_PARAMS = ("page", "pageNo", "pageIndex", "pageNum", "curPage", "page_no")
_DATE = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}(?:\s*[-/.月]\s*\d{1,2})?")
_ARTICLE_URL = re.compile(r"/t\d{8}_\d+\.s?html?|/art/\d{4}/|content_\d+|/\d{6,}\.s?html?|"
                          r"/20\d{2}-?\d{2}(?:-?\d{2})?/|newsDetail|/detail", re.I)


def _scripts(page: Page) -> list[str]:
    scripts = inline_scripts(page.dom)
    if page.rendered and page.body:
        scripts += inline_scripts(parse_html(page.text))
    return scripts


def _int(value) -> int | None:
    try:
        n = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return n if 0 < n < 100000 else None


def _series(base: str, name: str, ext: str, count: int) -> list[str]:
    """index.html, index_1.html … index_{count-1}.html beside the list page."""
    out = [urljoin(base, "%s.%s" % (name, ext))]
    out += [urljoin(base, "%s_%d.%s" % (name, i, ext)) for i in range(1, count)]
    return out


def _from_scripts(scripts: list[str], base: str, url: str) -> list[str] | None:
    for script in scripts:
        for m in _CREATE_PAGE.finditer(script):
            count = _int(m.group(1)) or _int(find_var(scripts, m.group(1)))
            if count:
                return _series(base, m.group(3) or "index", m.group(4) or "html", count)
    for var in _COUNT_VARS:
        count = _int(find_var(scripts, var))
        if count:
            m = re.search(r"/([A-Za-z]+)(?:_\d+)?\.(s?html?)$", urlsplit(url).path)
            name, ext = (m.group(1), m.group(2)) if m else ("index", "html")
            return _series(base, name, ext, count)
    return None


def _in_box(a, pattern: re.Pattern) -> bool:
    for el in [a, *a.iterancestors()]:
        if el.tag in ("body", "html"):
            return False
        if pattern is _NAV_BOX and el.tag in ("nav", "header", "footer"):
            return True
        if pattern.search(" ".join(filter(None, (el.get("class"), el.get("id"))))):
            return True
    return False


def _is_pager(a) -> bool:
    text = clean_inline(a.text_content()) or clean_inline(a.get("title")) or ""
    return bool(_PAGER_TEXT.match(text)) or (_in_box(a, _PAGER_BOX) and len(text) <= 6)


def _pager_anchors(root, base: str) -> list[tuple[str, str]]:
    out = []
    for a in root.iter("a"):
        url = absolute(a.get("href"), base)
        if url and _is_pager(a) and not _in_box(a, _NAV_BOX):
            out.append((url, clean_inline(a.text_content()) or ""))
    return out


def _from_anchors(anchors: list[tuple[str, str]], url: str) -> list[str]:
    index: dict[tuple, int] = {}
    hyphen: dict[tuple, int] = {}
    query: dict[tuple, tuple] = {}
    loose: list[str] = []
    for href, _ in anchors:
        parts = urlsplit(href)
        m = _INDEX_N.match(parts.path)
        h = _HYPHEN_N.match(parts.path)
        params = parse_qsl(parts.query, keep_blank_values=True)
        qp = next((k for k, v in params if k in _PAGE_PARAMS and v.isdigit()), None)
        if m and not parts.query:
            key = (parts.scheme, parts.netloc, m["dir"], m["name"], m["ext"])
            index[key] = max(index.get(key, 0), int(m["n"]))
        elif h and not parts.query:
            key = (parts.scheme, parts.netloc, h["head"], h["ext"])
            hyphen[key] = max(hyphen.get(key, 1), int(h["n"]))
        elif qp:
            n = int(dict(params)[qp])
            key = (parts.scheme, parts.netloc, parts.path, qp)
            lo, hi, ps = query.get(key, (n, n, params))
            query[key] = (min(lo, n), max(hi, n), ps)
        else:
            loose.append(href)

    pages: list[str] = []
    for (scheme, netloc, d, name, ext), n in index.items():
        pages += _series(urlunsplit((scheme, netloc, d, "", "")), name, ext, n + 1)
    for (scheme, netloc, head, ext), n in hyphen.items():
        pages += [urlunsplit((scheme, netloc, "%s%d.%s" % (head, i, ext), "", "")) for i in range(1, n + 1)]
    for (scheme, netloc, path, qp), (lo, hi, params) in query.items():
        for i in range(min(lo, 1), hi + 1):
            q = urlencode([(k, str(i) if k == qp else v) for k, v in params])
            pages.append(urlunsplit((scheme, netloc, path, q, "")))
    if not pages:
        pages.append(url)
    # A 首页 link to the list's directory is the same page as its index.html.
    names = {p.rsplit("/", 1)[0] + "/" for p in pages if re.search(r"/index\.s?html?$", p)}
    for href in [url, *loose]:
        if href not in pages and href.split("#")[0] not in names:
            pages.append(href)
    return pages


def list_pages(page: Page) -> list[str]:
    """Absolute URLs of every page of the list this page belongs to, in order."""
    root = page.dom
    base = base_url(root, page.url)
    pages = _from_scripts(_scripts(page), base, page.url)
    if pages:
        return _dedupe(pages)
    return _dedupe(_from_anchors(_pager_anchors(root, base), page.url))


def _dedupe(urls: list[str]) -> list[str]:
    seen, out = set(), []
    for u in urls:
        if u not in seen:
            seen.add(u)
            out.append(u)
    return out


def _row_of(a):
    for el in a.iterancestors():
        if el.tag in ("li", "tr", "dd", "dt", "p"):
            return el
        if el.tag in ("ul", "ol", "table", "body"):
            return None
    return None


def article_links(page: Page) -> list[str]:
    """Links from a list page to its articles: absolute, de-duplicated, in page
    order; navigation, pager, javascript:, mailto: and #anchors skipped. Dated
    list rows win; otherwise links that look like article addresses."""
    root = page.dom
    base = base_url(root, page.url)
    dated, articleish, rest = [], [], []
    for a in root.iter("a"):
        url = absolute(a.get("href"), base)
        if not url or _is_pager(a) or _in_box(a, _NAV_BOX):
            continue
        url = url.split("#")[0]
        row = _row_of(a)
        if row is not None and _DATE.search(row.text_content() or ""):
            dated.append(url)
        elif _ARTICLE_URL.search(urlsplit(url).path + "?" + urlsplit(url).query):
            articleish.append(url)
        else:
            rest.append(url)
    return _dedupe(dated or articleish or rest)


def is_list(root, url: str = "") -> bool:
    """A list page: a JS pager, a pager in the markup, or a list of dated links."""
    scripts = inline_scripts(root)
    if any(_CREATE_PAGE.search(s) for s in scripts):
        return True
    if any(_int(find_var([s], v)) for s in scripts for v in _COUNT_VARS if v in s):
        return True
    if any(_NEXT_LAST.search(t) for _, t in _pager_anchors(root, url or "http://localhost/")):
        return True
    rows = 0
    for row in root.xpath("//li[.//a[@href]] | //tr[.//a[@href]]"):
        if _DATE.search(row.text_content() or ""):
            rows += 1
            if rows >= 4:
                return True
    return False
