"""WeChat public-account articles: the classic #js_content template and the
image-post template whose data sits in `window.cgiDataNew`."""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import parse_qs, urlsplit

from .dates import find_datetime, from_unix
from .dom import (base_url, absolute, clean_inline, element_text, first, images, inline_scripts,
                  inner_html, meta, parse_html, has_class)
from .fields import SourceType, WeChatArticle
from .jsvars import find_var
from .page import Page

IDENTITY_KEYS = ("biz", "mid", "idx", "sn")
# The long link spells them __biz/mid/idx/sn; older links appmsgid/itemidx/sign.
_QUERY_ALIASES = {"biz": ("__biz", "biz"), "mid": ("mid", "appmsgid"),
                  "idx": ("idx", "itemidx"), "sn": ("sn", "sign")}


class _Vars:
    """Page-level JS variables, from the rendered DOM's scripts and, failing
    that, the served body's (a browser may have rewritten or dropped scripts)."""

    def __init__(self, page: Page):
        self.page = page
        self._sources = [inline_scripts(page.dom)]
        self._raw_loaded = not (page.rendered and page.body)

    def get(self, name: str):
        for scripts in self._iter():
            value = find_var(scripts, name)
            if value not in (None, ""):
                return value
        return None

    def _iter(self):
        yield from list(self._sources)
        if not self._raw_loaded:
            self._raw_loaded = True
            self._sources.append(inline_scripts(parse_html(self.page.text)))
            yield self._sources[-1]


def _s(value) -> str | None:
    """A JS value as display text: entities decoded (htmlDecode / JsDecode / .html(false))."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean_inline(htmllib.unescape(str(value)))


def cgi_data(root) -> dict | None:
    """The image-post data object `window.cgiDataNew`, or None."""
    scripts = [s for s in inline_scripts(root) if "cgiDataNew" in s]
    if not scripts:
        return None
    value = find_var(scripts, "cgiDataNew")
    return value if isinstance(value, dict) and value else None


def template(root) -> SourceType | None:
    """WECHAT_ARTICLE / WECHAT_IMAGE_POST if the markup is one of WeChat's article
    templates, else None."""
    body = first(root, "//*[@id='js_content']")
    if body is not None and (element_text(body) or body.xpath(".//img")):
        return SourceType.WECHAT_ARTICLE
    if cgi_data(root) is not None:
        return SourceType.WECHAT_IMAGE_POST
    if body is not None:
        return SourceType.WECHAT_ARTICLE
    return None


def _identity(page: Page, vars_: _Vars, data: dict | None = None) -> dict[str, str]:
    ident: dict[str, str] = {}
    for key in IDENTITY_KEYS:
        v = _s((data or {}).get(key)) or _s(vars_.get(key))
        if key == "mid" and not v:
            v = _s(vars_.get("appmsgid"))
        if v:
            ident[key] = v
    links = [page.url, meta(page.dom, "og:url"), _s(vars_.get("msg_link"))]
    for link in links:
        if len(ident) == len(IDENTITY_KEYS) or not link:
            continue
        query = parse_qs(urlsplit(htmllib.unescape(link)).query)
        for key, names in _QUERY_ALIASES.items():
            for n in names:
                if key not in ident and query.get(n) and query[n][0].strip():
                    ident[key] = query[n][0].strip()
    return ident


def _ip_wording(root, vars_: _Vars, data: dict | None = None) -> str | None:
    for value in ((data or {}).get("ip_wording"), vars_.get("ip_wording")):
        if isinstance(value, dict):
            p = _s(value.get("provinceName")) or _s(value.get("province_name"))
            if p:
                return p
    el = first(root, "//*[@id='js_ip_wording']")  # filled by JS in the rendered DOM
    return clean_inline(el.text_content()) if el is not None else None


def _account_id(root, vars_: _Vars, data: dict | None = None) -> str | None:
    v = _s((data or {}).get("user_name")) or _s(vars_.get("user_name"))
    if v:
        return v
    for el in root.xpath("//*[%s]" % has_class("profile_meta_value")):
        m = re.search(r"gh_[0-9a-zA-Z]+", el.text_content() or "")
        if m:
            return m.group(0)
    return None


def _published(root, vars_: _Vars) -> tuple[str | None, str | None]:
    ct = vars_.get("ct")
    if ct not in (None, "") and from_unix(ct):
        return from_unix(ct), "var ct"
    for name in ("createTime", "create_time"):
        when = find_datetime(_s(vars_.get(name)))
        if when:
            return when, "var " + name
    em = first(root, "//*[@id='publish_time']")
    when = find_datetime(em.text_content()) if em is not None else None
    if when:
        return when, "em#publish_time"
    when = find_datetime(_s(vars_.get("publish_time")))
    if when:
        return when, "var publish_time"
    return None, None


def parse_article(page: Page) -> WeChatArticle:
    """Classic template: div#js_content plus inline page variables."""
    root = page.dom
    vars_ = _Vars(page)
    title_el = first(root, "//*[@id='activity-name'] | //*[%s]" % has_class("rich_media_title"))
    title = (clean_inline(meta(root, "og:title"))
             or (clean_inline(title_el.text_content()) if title_el is not None else None)
             or _s(vars_.get("msg_title"))
             or clean_inline(meta(root, "twitter:title")))
    name_el = first(root, "//*[@id='js_name']")
    publisher = (clean_inline(name_el.text_content()) if name_el is not None else None) or _s(vars_.get("nickname"))
    published_at, published_src = _published(root, vars_)
    body = first(root, "//*[@id='js_content']")
    base = base_url(root, page.url)
    return WeChatArticle(
        source_type=SourceType.WECHAT_ARTICLE,
        url=page.url,
        title=title,
        publisher=publisher,
        published_at=published_at,
        published_at_source=published_src,
        body_html=inner_html(body) if body is not None else None,
        body_text=element_text(body) if body is not None else "",
        images=images(body, base) if body is not None else [],
        identity=_identity(page, vars_),
        account_id=_account_id(root, vars_),
        ip_wording=_ip_wording(root, vars_),
        summary=clean_inline(meta(root, "og:description")) or _s(vars_.get("msg_desc")),
    )


def parse_image_post(page: Page) -> WeChatArticle:
    """Image-post template: everything comes from window.cgiDataNew."""
    root = page.dom
    vars_ = _Vars(page)
    data = cgi_data(root) or cgi_data(parse_html(page.text)) or {}
    base = base_url(root, page.url)

    content = data.get("content_noencode") or data.get("content") or ""
    content = content if isinstance(content, str) else ""
    if "<" not in content and "&lt;" in content:  # an entity-encoded copy
        content = htmllib.unescape(content)
    frag = parse_html("<html><body><div>%s</div></body></html>" % content).find("body")

    pics: list[str] = []
    for item in data.get("picture_page_info_list") or []:
        if isinstance(item, dict):
            url = absolute(_s(item.get("cdn_url")) or _s(item.get("url")), base)
            if url and url not in pics:
                pics.append(url)
    for url in images(frag, base):
        if url not in pics:
            pics.append(url)

    published_at = published_src = None
    for key in ("create_time", "ori_send_time"):
        published_at = from_unix(data.get(key)) if data.get(key) not in (None, "") else None
        if published_at:
            published_src = "cgiDataNew." + key
            break
    if not published_at:
        published_at, published_src = _published(root, vars_)

    return WeChatArticle(
        source_type=SourceType.WECHAT_IMAGE_POST,
        url=page.url,
        title=_s(data.get("title")) or clean_inline(meta(root, "og:title")) or _s(vars_.get("msg_title")),
        publisher=_s(data.get("nick_name")) or _s(vars_.get("nickname")),
        published_at=published_at,
        published_at_source=published_src,
        body_html=content.strip(),
        body_text=element_text(frag) if frag is not None else "",
        images=pics,
        identity=_identity(page, vars_, data),
        account_id=_account_id(root, vars_, data),
        ip_wording=_ip_wording(root, vars_, data),
        summary=_s(data.get("desc")) or clean_inline(meta(root, "og:description")),
    )
