"""The Paper (澎湃新闻 / 澎湃号) article pages: Next.js data in #__NEXT_DATA__."""

from __future__ import annotations

import json
import re

from .dates import find_datetime, from_unix
from .dom import base_url, clean_inline, element_text, first, images, meta, parse_html
from .fields import SourceType, ThePaperArticle
from .page import Page

_CONT_ID_URL = re.compile(r"newsDetail_forward_(\d+)|[?&]contid=(\d+)", re.I)


def next_data(root) -> dict | None:
    el = first(root, "//script[@id='__NEXT_DATA__']")
    if el is None or not el.text:
        return None
    try:
        data = json.loads(el.text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def content_detail(root) -> dict | None:
    """props.pageProps.detailData.contentDetail, or None."""
    cur = next_data(root)
    for key in ("props", "pageProps", "detailData", "contentDetail"):
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur if isinstance(cur, dict) and cur else None


def _str(v) -> str | None:
    if v is None or isinstance(v, (dict, list, bool)):
        return None
    return clean_inline(str(v))


def parse_article(page: Page) -> ThePaperArticle:
    root = page.dom
    detail = content_detail(root) or {}
    content = detail.get("content") if isinstance(detail.get("content"), str) else ""
    frag = parse_html("<html><body><div>%s</div></body></html>" % content).find("body")

    published_at = published_src = None
    if find_datetime(_str(detail.get("pubTime"))):
        published_at, published_src = find_datetime(_str(detail.get("pubTime"))), "pubTime"
    elif from_unix(detail.get("publishTime")):
        published_at, published_src = from_unix(detail.get("publishTime")), "publishTime"

    user = detail.get("userInfo") if isinstance(detail.get("userInfo"), dict) else {}
    cont_id = _str(detail.get("contId"))
    if not cont_id:
        m = _CONT_ID_URL.search(page.url or "")
        cont_id = (m.group(1) or m.group(2)) if m else None

    return ThePaperArticle(
        source_type=SourceType.THEPAPER_ARTICLE,
        url=page.url,
        title=_str(detail.get("name")) or clean_inline(meta(root, "og:title")),
        publisher=_str(user.get("sname")) or _str(detail.get("author")),
        published_at=published_at,
        published_at_source=published_src,
        body_html=content.strip(),
        body_text=element_text(frag),
        images=images(frag, base_url(root, page.url)),
        identity={"contId": cont_id} if cont_id else {},
        summary=_str(detail.get("summary")),
    )
