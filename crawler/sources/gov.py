"""Government portal articles (TRS-style CMS on *.gov.cn): head meta + body div."""

from __future__ import annotations

import re

from .dates import find_datetime
from .dom import base_url, clean_inline, element_text, first, has_class, images, inner_html, meta
from .fields import GovArticle, GovList, SourceType
from .page import Page
from .pagination import article_links, list_pages

# Most specific first: TRS_Editor is often nested inside #zoom / div.zw.
BODY_XPATHS = [
    "//div[%s]" % has_class("TRS_Editor"),
    "//div[%s]" % has_class("trs_editor_view"),
    "//div[%s]" % has_class("zw"),
    "//*[@id='zoom']",
    "//*[%s]" % has_class("article-content"),
]
_TRS_XPATH = BODY_XPATHS[0] + " | " + BODY_XPATHS[1]
_DATE_LABEL = re.compile(
    r"(?:发布时间|发布日期|发文日期|更新时间|时间|日期)\s*[:：]?\s*(?=[0-9０-９]{4}\s*[-/.年])")
_SOURCE_LABEL = re.compile(r"(?:来源|信息来源|稿件来源|发布机构)\s*[:：]\s*([^\s|｜:：]{2,40})")
_TITLE_SPLIT = re.compile(r"\s*(?:_|\s-\s|\s\|\s|｜|——)\s*")
_META_DATES = ("PubDate", "publishdate", "firstpublishedtime", "article:published_time", "dc.date")


def body_element(root):
    for xp in BODY_XPATHS:
        el = first(root, xp)
        if el is not None:
            return el
    return None


def _outside_text(root, body) -> str:
    """The page's visible text outside the article body (header lines with the
    date and source), one line per text node."""
    inside = set(body.iter()) if body is not None else set()
    lines = []
    for t in root.xpath("//body//text()"):
        owner = t.getparent()
        if owner is None:
            continue
        if getattr(t, "is_tail", False):
            owner = owner.getparent()
            if owner is None:
                continue
        if owner in inside or any(a in inside for a in owner.iterancestors()):
            continue
        if owner.tag in ("script", "style", "title", "noscript") or \
                any(a.tag in ("script", "style", "noscript") for a in owner.iterancestors()):
            continue
        s = clean_inline(str(t))
        if s:
            lines.append(s)
    return "\n".join(lines)


def visible_date(text: str) -> str | None:
    """A labelled date (发布时间：…, 日期：…) in text."""
    for m in _DATE_LABEL.finditer(text or ""):
        when = find_datetime(text[m.end():m.end() + 40])
        if when:
            return when
    return None


def is_article(root) -> bool:
    if meta(root, "ArticleTitle") or first(root, _TRS_XPATH) is not None:
        return True
    body = body_element(root)
    if body is None or len(element_text(body)) < 30:
        return False
    outside = _outside_text(root, body)
    return bool(meta(root, "PubDate") or visible_date(outside) or find_datetime(outside))


def _title(root) -> str | None:
    t = clean_inline(meta(root, "ArticleTitle"))
    if t:
        return t
    for xp in ("//h1", "//*[%s]" % has_class("article-title"), "//*[%s]" % has_class("title")):
        el = first(root, xp)
        if el is not None and clean_inline(el.text_content()):
            return clean_inline(el.text_content())
    t = clean_inline(meta(root, "og:title"))
    if t:
        return t
    el = first(root, "//title")
    if el is not None and clean_inline(el.text_content()):
        return _TITLE_SPLIT.split(clean_inline(el.text_content()))[0] or None
    return None


def parse_article(page: Page) -> GovArticle:
    root = page.dom
    body = body_element(root)
    outside = _outside_text(root, body)

    published_at = published_src = None
    for name in _META_DATES:
        when = find_datetime(meta(root, name))
        if when:
            published_at, published_src = when, "meta " + name
            break
    if not published_at:
        when = visible_date(outside)
        if when:
            published_at, published_src = when, "visible date"
    if not published_at:
        when = find_datetime(outside)
        if when:
            published_at, published_src = when, "visible date (unlabelled)"

    publisher = clean_inline(meta(root, "ContentSource"))
    if not publisher:
        m = _SOURCE_LABEL.search(outside)
        publisher = m.group(1) if m else None

    return GovArticle(
        source_type=SourceType.GOV_ARTICLE,
        url=page.url,
        title=_title(root),
        publisher=publisher,
        published_at=published_at,
        published_at_source=published_src,
        body_html=inner_html(body) if body is not None else None,
        body_text=element_text(body) if body is not None else "",
        images=images(body, base_url(root, page.url)) if body is not None else [],
        identity={"url": page.url},
        column_name=clean_inline(meta(root, "ColumnName")),
        site_name=clean_inline(meta(root, "SiteName")),
    )


def parse_list(page: Page) -> GovList:
    """A column's list page: every page of the list and this page's article links."""
    root = page.dom
    title_el = first(root, "//title")
    return GovList(
        source_type=SourceType.GOV_LIST,
        url=page.url,
        title=clean_inline(title_el.text_content()) if title_el is not None else None,
        column_name=clean_inline(meta(root, "ColumnName")),
        site_name=clean_inline(meta(root, "SiteName")),
        pages=list_pages(page),
        article_links=article_links(page),
    )
