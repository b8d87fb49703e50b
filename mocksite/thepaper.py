"""The Paper (thepaper.cn) 澎湃号·政务 articles: a Next.js page rendered client-side.

The served HTML carries an empty `<div id="__next">` and the article only as
JSON in `<script id="__NEXT_DATA__">`; a separate chunk script renders it.
`relateConts` repeats `name`/`pubTime` keys with other values (a decoy for
regex parsers). One contId always answers 403, as the real site sometimes
does to automated clients.
"""

import hashlib
import html
import json

from . import content
from .server import Response
from .templating import render, static_bytes
from .wechat import unix

BUILD_ID = "pZ3m9Qx2r1Lw_tKfV8aYc"
CHUNK_HASH = "7d1f0c8b2e4a9f63"
WEBPACK_HASH = "4b8e1f2a6c9d0e37"
CSS_HASH = "a91c3e5f7b2d4068"


def path(post):
    return f"/newsDetail_forward_{post.extra['contId']}"


def _content_html(post):
    # The Paper's editor output: plain <p>s, images in their own paragraph.
    parts = [f"<p>{html.escape(p, quote=False)}</p>" for p in post.paragraphs]
    img = hashlib.md5(post.key.encode()).hexdigest()[:20]
    parts.insert(1, f'<p style="text-align:center"><img src="/imagecloud/thepaper/image/{img}.jpg" width="600" alt=""/></p>')
    return "".join(parts)


def next_data(post, origin):
    cont_id = post.extra["contId"]
    others = [p for p in content.THEPAPER if p.key != post.key]
    related = [dict(contId=str(p.extra["contId"]), name=p.title, pubTime=p.published,
                    publishTime=unix(p.published) * 1000, nodeId=122908) for p in others]
    detail = {
        "contId": cont_id,
        "name": post.title,
        "summary": post.summary,
        "content": _content_html(post),
        "pubTime": post.published,
        "publishTime": unix(post.published) * 1000,
        "forwardType": 22,
        "contType": 0,
        "nodeId": 122908,
        "interactionNum": "12",
        "praiseTimes": "3",
        "pic": "",
        "tags": [],
        "copyright": "",
        "userInfo": {
            "userId": post.extra["userId"],
            "sname": post.publisher,
            "pic": "",
            "desc": f"{post.publisher}官方澎湃号",
            "authInfo": "澎湃号·政务",
            "userType": 2,
        },
        "authorInfo": None,
        "shareUrl": f"{origin}/newsDetail_forward_{cont_id}",
    }
    return {
        "props": {
            "pageProps": {
                "detailData": {"contentDetail": detail, "relateConts": related, "hotNews": []},
                "contId": str(cont_id),
            },
            "__N_SSP": True,
        },
        "page": "/newsDetail_forward_[id]",
        "query": {"id": str(cont_id)},
        "buildId": BUILD_ID,
        "isFallback": False,
        "gssp": True,
        "scriptLoader": [],
    }


def render_article(post, req):
    data = json.dumps(next_data(post, req.origin), ensure_ascii=False, separators=(",", ":"))
    data = data.replace("</", "<\\/")   # keep the JSON inside its <script>
    page = render("thepaper.html", title=html.escape(post.title), summary=html.escape(post.summary),
                  keywords=html.escape(post.publisher), canonical=f"{req.origin}{path(post)}",
                  css_hash=CSS_HASH, webpack_hash=WEBPACK_HASH, chunk_hash=CHUNK_HASH,
                  build_id=BUILD_ID, next_data=data)
    etag = hashlib.md5(page.encode()).hexdigest()[:27]
    return Response(body=page.encode("utf-8"), gzip=True,
                    headers=[("ETag", f'"{etag}"'), ("X-Powered-By", "Next.js")])


_BY_ID = {str(p.extra["contId"]): p for p in content.THEPAPER}


def article_route(req, m):
    cont_id = m.group(1)
    if cont_id == str(content.THEPAPER_FORBIDDEN_CONTID):
        return Response(status=403, body=b"<html><head><title>403 Forbidden</title></head><body>"
                        b"<center><h1>403 Forbidden</h1></center><hr><center>nginx</center></body></html>")
    post = _BY_ID.get(cont_id)
    if post is None:
        return None
    shown = content.as_on(post, req.site.night)
    return None if isinstance(shown, content.Replaced) else render_article(shown, req)


def _static(name, ctype):
    return lambda req, m: Response(content_type=ctype, body=static_bytes(name), gzip=True,
                                   headers=[("Cache-Control", "public, max-age=31536000, immutable")])


def add_routes(router):
    router.add(r"/newsDetail_forward_(\d+)", article_route)
    js = "application/javascript; charset=UTF-8"
    router.add(rf"/_next/static/chunks/pages/newsDetail-{CHUNK_HASH}\.js", _static("newsDetail.js", js))
    router.add(rf"/_next/static/chunks/webpack-{WEBPACK_HASH}\.js", _static("webpack.js", js))
    router.add(r"/_next/static/chunks/polyfills-c67a75d1b6f99dc8\.js", _static("webpack.js", js))
    router.add(rf"/_next/static/{BUILD_ID}/_buildManifest\.js", _static("buildManifest.js", js))
    router.add(rf"/_next/static/css/{CSS_HASH}\.css", _static("thepaper.css", "text/css; charset=UTF-8"))


def notable_urls(site):
    u = lambda p: site.url(p, https=True)  # noqa: E731
    return {
        "thepaper": u(path(content.post("yushu_iris_104"))),
        "thepaper_articles": [u(path(p)) for p in content.THEPAPER],
        "thepaper_forbidden": u(f"/newsDetail_forward_{content.THEPAPER_FORBIDDEN_CONTID}"),
    }
