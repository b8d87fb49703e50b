"""Site knowledge of bioarchive: pure page objects (page in, fields out).

    page = Page(url, status, headers, body, rendered=None)
    classify(page) -> SourceType
    parse(page) -> WeChatArticle | ThePaperArticle | GovArticle | GovList | Notice | None
"""

from __future__ import annotations

from .classify import classify, looks_like_html
from .encoding import decode_html
from .fields import (Article, GovArticle, GovList, Notice, SourceType, ThePaperArticle,
                     WeChatArticle)
from .links import outlinks
from .notices import parse_notice
from .page import Page
from .pagination import article_links, list_pages
from . import gov, thepaper, wechat

__all__ = [
    "Page", "SourceType", "Article", "WeChatArticle", "ThePaperArticle", "GovArticle", "GovList",
    "Notice", "classify", "parse", "parse_notice", "decode_html", "list_pages", "article_links",
    "outlinks", "looks_like_html",
]


_PARSERS = {
    SourceType.WECHAT_ARTICLE: wechat.parse_article,
    SourceType.WECHAT_IMAGE_POST: wechat.parse_image_post,
    SourceType.WECHAT_NOTICE: parse_notice,
    SourceType.WECHAT_CAPTCHA: parse_notice,
    SourceType.THEPAPER_ARTICLE: thepaper.parse_article,
    SourceType.GOV_ARTICLE: gov.parse_article,
    SourceType.GOV_LIST: gov.parse_list,
}


def parse(page: Page):
    """Classify the page and run its page object; None for unknown pages."""
    kind = classify(page)
    parser = _PARSERS.get(kind)
    return parser(page) if parser else None
