"""What the page objects return: plain dataclasses, one per kind of page."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class SourceType(str, Enum):
    WECHAT_ARTICLE = "wechat_article"
    WECHAT_IMAGE_POST = "wechat_image_post"
    WECHAT_NOTICE = "wechat_notice"      # deleted / blocked: permanent
    WECHAT_CAPTCHA = "wechat_captcha"    # anti-crawling: temporary, retry later
    THEPAPER_ARTICLE = "thepaper_article"
    GOV_ARTICLE = "gov_article"
    GOV_LIST = "gov_list"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value


@dataclass(kw_only=True)
class Article:
    """Fields common to every article. published_at is ISO 8601 in Beijing
    time (+08:00) or None; published_at_source names where it was read."""
    source_type: SourceType
    url: str
    title: str | None = None
    publisher: str | None = None
    published_at: str | None = None
    published_at_source: str | None = None
    body_html: str | None = None
    body_text: str = ""
    images: list[str] = field(default_factory=list)
    identity: dict[str, str] = field(default_factory=dict)


@dataclass(kw_only=True)
class WeChatArticle(Article):
    """Both WeChat templates (classic #js_content and the image post)."""
    account_id: str | None = None     # original ID, gh_…
    ip_wording: str | None = None     # posting province shown by WeChat (2022+)
    summary: str | None = None


@dataclass(kw_only=True)
class ThePaperArticle(Article):
    summary: str | None = None


@dataclass(kw_only=True)
class GovArticle(Article):
    column_name: str | None = None
    site_name: str | None = None


@dataclass(kw_only=True)
class GovList:
    source_type: SourceType
    url: str
    title: str | None = None
    column_name: str | None = None
    site_name: str | None = None
    pages: list[str] = field(default_factory=list)          # every page of the list
    article_links: list[str] = field(default_factory=list)  # articles on this page


@dataclass(kw_only=True)
class Notice:
    """A WeChat page that stands in for an article: deleted/blocked (permanent)
    or an anti-crawling check (temporary)."""
    source_type: SourceType
    url: str
    kind: str            # deleted, violation, complaint, privacy, account_closed,
                         # account_banned, expired, captcha, rate_limited, other
    message: str
    permanent: bool
