"""WeChat's stand-in pages: the article is gone (permanent) or we were challenged (temporary)."""

from __future__ import annotations

import re

from .dom import clean_inline, element_text, has_class
from .fields import Notice, SourceType
from .page import Page

# Order matters: "此内容因违规已删除" is a violation, not a publisher deletion;
# "被投诉且经审核涉嫌违规" is a complaint, not a plain violation.
_PERMANENT = [
    ("complaint", re.compile(r"被投诉")),
    ("violation", re.compile(r"违规|违反|涉嫌侵权")),
    ("deleted", re.compile(r"已被?(?:发布者|作者)?删除|已删除")),
    ("privacy", re.compile(r"隐私设置")),
    ("account_closed", re.compile(r"自主注销|已注销")),
    ("account_banned", re.compile(r"封禁|已被屏蔽|已屏蔽")),
    ("expired", re.compile(r"链接已过期|已过期|已失效")),
]
# Anti-crawling answers: never evidence that an article was removed.
_TEMPORARY = [
    ("rate_limited", re.compile(r"访问过于频繁|操作(?:过于)?频繁|请求过于频繁")),
    ("captcha", re.compile(r"环境异常|去验证|完成验证|验证后即可继续访问")),
]
CAPTCHA_PATH = "/mp/wappoc_appmsgcaptcha"

# Where the message sits: current weui template, then the older one.
_TITLE_XPATH = "//*[%s or %s]" % (has_class("weui-msg__title"), has_class("global_error_msg"))
_DESC_XPATH = "//*[%s]" % has_class("weui-msg__desc")
_BLOCK_XPATH = "//*[%s]" % has_class("weui-msg")


def match_kind(text: str) -> tuple[str, bool] | None:
    """(kind, permanent) for a notice text, or None if it is not one we know."""
    if not text:
        return None
    for kind, pat in _TEMPORARY:
        if pat.search(text):
            return kind, False
    for kind, pat in _PERMANENT:
        if pat.search(text):
            return kind, True
    return None


def _texts(root, xpath: str) -> list[str]:
    out = []
    for el in root.xpath(xpath):
        t = clean_inline(element_text(el).replace("\n", " "))
        if t and t not in out:
            out.append(t)
    return out


def notice_parts(root) -> tuple[list[str], list[str]]:
    """(titles, descriptions) of a notice page's message block."""
    titles = _texts(root, _TITLE_XPATH)
    descs = [d for d in _texts(root, _DESC_XPATH) if d not in titles]
    if not titles and not descs:
        titles = _texts(root, _BLOCK_XPATH)
    return titles, descs


def notice_match(root) -> tuple[tuple[str, bool], str] | None:
    """((kind, permanent), message) when the page's message block is a known notice.
    The title decides; the description only when the title says nothing we know."""
    titles, descs = notice_parts(root)
    message = " ".join(titles + descs)
    for text in (" ".join(titles), message):
        hit = match_kind(text)
        if hit:
            return hit, message
    return None


def is_captcha_url(url: str) -> bool:
    return CAPTCHA_PATH in (url or "")


def parse_notice(page: Page) -> Notice | None:
    """Read a deletion/blocked notice or an anti-crawling page; None otherwise."""
    root = page.head_dom
    hit = notice_match(root)
    found, message = hit if hit else (None, None)
    if found is None:
        # Challenge pages are not always in a weui block: look at the visible text.
        body = root.find("body")
        text = element_text(body) if body is not None else ""
        if len(text) < 2000:
            hit = match_kind(text)
            if hit and not hit[1]:
                found, message = hit, clean_inline(text.replace("\n", " "))
    if found is None and is_captcha_url(page.url):
        found = ("captcha", False)
    if found is None:
        return None
    kind, permanent = found
    return Notice(
        source_type=SourceType.WECHAT_NOTICE if permanent else SourceType.WECHAT_CAPTCHA,
        url=page.url,
        kind=kind,
        message=message or "",
        permanent=permanent,
    )
