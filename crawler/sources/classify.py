"""Which kind of page is this? Decided by the page's own markup; the URL is a hint only
(mirrors, short links and a local mock must classify the same as the real host)."""

from __future__ import annotations

import re

from . import gov, notices, pagination, thepaper, wechat
from .fields import SourceType
from .page import Page

_TAG = re.compile(r"<[A-Za-z!/]")
_JUNK = re.compile(r"[\ufffd\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def looks_like_html(text: str) -> bool:
    """False for binary junk: no tags, or a start full of undecodable bytes."""
    start = text[:8192]
    if not start.strip() or not _TAG.search(text[:65536]):
        return False
    return len(_JUNK.findall(start)) <= len(start) * 0.1


def classify(page: Page) -> SourceType:
    try:
        head = page.head
    except Exception:  # a page object must never take the crawl down
        return SourceType.UNKNOWN
    if not looks_like_html(head):
        return SourceType.UNKNOWN
    root = page.head_dom

    # WeChat: classic article body, or the image-post data the page renders from.
    kind = wechat.template(root)
    if kind is not None:
        return kind
    if thepaper.content_detail(root) is not None:
        return SourceType.THEPAPER_ARTICLE
    hit = notices.notice_match(root)
    if hit:
        return SourceType.WECHAT_NOTICE if hit[0][1] else SourceType.WECHAT_CAPTCHA
    if notices.is_captcha_url(page.url):
        return SourceType.WECHAT_CAPTCHA
    if gov.is_article(root):
        return SourceType.GOV_ARTICLE
    if pagination.is_list(root, page.url):
        return SourceType.GOV_LIST
    # Challenge pages without a weui block: small pages saying 访问过于频繁 etc.
    notice = notices.parse_notice(page)
    if notice is not None and not notice.permanent:
        return SourceType.WECHAT_CAPTCHA
    return SourceType.UNKNOWN
