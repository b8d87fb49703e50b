"""A TRS-CMS government portal (西藏自治区公安厅, column 公安动态).

What matters for a crawler and its parsers: list pages whose pagination links
exist only after JavaScript (createPageHTML from /js/page.js) runs; article
head meta (ArticleTitle, PubDate in two formats, ContentSource, ColumnName,
SiteName); bodies in TRS_Editor / trs_editor_view / zw / #zoom containers;
and bytes in GBK (with GBK-only characters such as 镕 堃 喆) declared as
gb2312 in a meta tag while the HTTP Content-Type carries no charset.
"""

import html
from datetime import datetime, timezone
from email.utils import format_datetime

from . import content
from .images import photo
from .server import Response
from .templating import render, static_bytes
from .wechat import BEIJING

BASE = "/xwzx/gadt"
ENCODING = "gbk"   # what the CMS writes; the page claims gb2312


def article_path(post):
    d = post.published
    ym, ymd = d[:7].replace("-", ""), d[:10].replace("-", "")
    return f"{BASE}/{ym}/t{ymd}_{post.extra['id']}.html"


def list_path(page):
    return f"{BASE}/index.html" if page == 0 else f"{BASE}/index_{page}.html"


def listed(night=1):
    """The column's articles on that night, newest first (edited ones as edited);
    one the CMS removed is gone, and the later ones move up."""
    shown = (content.as_on(p, night) for p in content.GOV)
    return [p for p in shown if not isinstance(p, content.Replaced)]


def pages(night=1):
    posts = listed(night)
    n = content.GOV_PAGE_SIZE
    return [posts[i:i + n] for i in range(0, len(posts), n)]


def _pubdate(post):
    if post.extra.get("pubdate_fmt") == "slash":
        return post.published.replace("-", "/")
    return post.published


def _shown_date(post):
    y, m, d = post.published[:10].split("-")
    if post.extra.get("shown") == "cn":
        return f"{int(y)}年{int(m)}月{int(d)}日"
    return f"发布时间：{y}-{m}-{d}"


_TRS_STYLE = ('<style type="text/css">\n.TRS_Editor P{margin-top:5px;margin-bottom:5px;line-height:1.8;'
              'font-family:宋体;font-size:12pt;}.TRS_Editor DIV{margin-top:5px;margin-bottom:5px;'
              'line-height:1.8;font-family:宋体;font-size:12pt;}.TRS_Editor TD{font-family:宋体;font-size:12pt;}'
              '.TRS_Editor IMG{border:0;}\n</style>')


def _image_name(post):
    return f"W0{post.published[:10].replace('-', '')}{post.extra['id']}{len(post.title):03d}.jpg"


def body_html(post):
    paras = "\n".join(f'<p style="text-indent: 2em;">{html.escape(p, quote=False)}</p>' for p in post.paragraphs)
    img = (f'<p style="text-align: center;"><img src="./{_image_name(post)}" OLDSRC="{_image_name(post)}" '
           f'border="0" /></p>')
    kind = post.extra.get("body", "TRS_Editor")
    if kind == "TRS_Editor":
        return (f'<div class="article-con" id="zoom"><div class="TRS_Editor">{_TRS_STYLE}\n'
                f'<div class="Custom_UnionStyle">\n{img}\n{paras}\n<div><br /></div></div></div></div>')
    if kind == "trs_editor_view":
        return (f'<div class="article-con"><div class="trs_editor_view TRS_UEDITOR trs_paper_default trs_web">\n'
                f'{paras}\n{img}\n</div></div>')
    if kind == "zw":
        return f'<div class="zw">\n<div class="zw-con">\n{paras}\n</div>\n</div>'
    return f'<div id="zoom" class="article-text">\n{img}\n{paras}\n</div>'


def _related(post, night):
    # Other articles with their own dates: a visible-date parser must pick 发布时间.
    others = [p for p in listed(night) if p.key != post.key][:3]
    rows = []
    for p in others:
        rel = "../" + article_path(p)[len(BASE) + 1:]
        rows.append(f'        <li><a href="{rel}" target="_blank">{html.escape(p.title)}</a>'
                    f'<span>{p.published[:10]}</span></li>')
    return "\n".join(rows)


def _last_modified(post):
    dt = datetime.strptime(post.published, "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING)
    return format_datetime(dt.astimezone(timezone.utc), usegmt=True)


def _gbk_response(text, post=None):
    headers = [("Accept-Ranges", "bytes")]
    if post is not None:
        headers.append(("Last-Modified", _last_modified(post)))
    # No charset in the header: the only declaration is the gb2312 meta.
    return Response(content_type="text/html", body=text.encode(ENCODING), gzip=True, headers=headers)


def render_article(post, req):
    page = render("gov_article.html", title=html.escape(post.title), column=content.GOV_COLUMN,
                  site_name=content.GOV_SITE_NAME, pubdate=_pubdate(post),
                  source=html.escape(post.publisher), description=html.escape(post.paragraphs[0][:60]),
                  url=f"{req.origin}{article_path(post)}", shown_date=_shown_date(post),
                  body=body_html(post), related=_related(post, req.site.night))
    return _gbk_response(page, post)


def render_list(page_no, req):
    all_pages = pages(req.site.night)
    rows = []
    for p in all_pages[page_no]:
        rel = "./" + article_path(p)[len(BASE) + 1:]
        rows.append(f'      <li><a href="{rel}" target="_blank" title="{html.escape(p.title)}">'
                    f'{html.escape(p.title)}</a><span>{p.published[:10]}</span></li>')
    page = render("gov_list.html", column=content.GOV_COLUMN, site_name=content.GOV_SITE_NAME,
                  items="\n".join(rows), current=page_no, count=len(all_pages))
    return _gbk_response(page)


_BY_PATH = {article_path(p): p for p in content.GOV}


def article_route(req, m):
    post = _BY_PATH.get(req.path)
    if post is None:
        return None
    shown = content.as_on(post, req.site.night)
    # Removed by the CMS: None, so the site answers its ordinary nginx 404.
    return None if isinstance(shown, content.Replaced) else render_article(shown, req)


def list_route(req, m):
    n = int(m.group(1) or 0)
    if n >= len(pages(req.site.night)):
        return None
    return render_list(n, req)


def image_route(req, m):
    return Response(content_type="image/jpeg", body=photo("gov:" + m.group(1), "jpeg", 640))


def add_routes(router):
    router.add(rf"{BASE}/(?:index(?:_(\d+))?\.html)?", list_route)
    router.add(rf"{BASE}/\d{{6}}/t\d{{8}}_\d{{7}}\.html", article_route)
    router.add(rf"{BASE}/\d{{6}}/(W0\d+)\.jpg", image_route)
    router.add(r"/js/page\.js", lambda req, m: Response(
        content_type="application/javascript", body=static_bytes("page.js").decode("utf-8").encode(ENCODING)))
    router.add(r"/images/logo\.png", lambda req, m: Response(
        content_type="image/png", body=photo("gov:logo", "png", 320)))
    router.add(r"/css/style\.css", lambda req, m: Response(content_type="text/css", body=static_bytes("gov.css")))


def notable_urls(site):
    u = lambda p: site.url(p)  # noqa: E731  (gov portals: plain http)
    return {
        "gov_list": u(list_path(0)),
        "gov_list_pages": [u(list_path(i)) for i in range(len(pages()))],
        "gov_articles": [u(article_path(p)) for page in pages() for p in page],
        "gov_article": u(article_path(content.post("chengguan_dna_2021"))),
        "gov_page_js": u("/js/page.js"),
    }
