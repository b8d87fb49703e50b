"""WeChat public-account pages (mp.weixin.qq.com) as the mock serves them.

Classic articles, the 2024+ image-post template, short links, deleted /
blocked notices, the captcha redirect and the 访问过于频繁 throttle page.
Markup follows docs/targets.md; the article text comes from content.py.
"""

import base64
import hashlib
import html
import json
import re
import urllib.parse
from datetime import datetime, timedelta, timezone

from . import content
from .server import Response, redirect
from .templating import render, static_bytes

BEIJING = timezone(timedelta(hours=8))
BLANK_GIF = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"


def _h(text, n=32):
    return hashlib.md5(text.encode("utf-8")).hexdigest()[:n]


def unix(published):
    """'YYYY-MM-DD HH:MM' Beijing time -> Unix seconds."""
    return int(datetime.strptime(published, "%Y-%m-%d %H:%M").replace(tzinfo=BEIJING).timestamp())


def fmt_beijing(ts):
    return datetime.fromtimestamp(ts, BEIJING).strftime("%Y-%m-%d %H:%M")


# --- identities: __biz / mid / idx / sn ------------------------------------------

class Ident:
    """Stable identity of a WeChat article, real or phantom (notices, captcha)."""

    def __init__(self, key, uin=None, mid=None):
        self.key = key
        uin = uin or str(3000000000 + int(_h("uin:" + key, 8), 16) % 900000000)
        # __biz is the base64 of the account's numeric uin, as on the real site.
        self.biz = base64.b64encode(uin.encode()).decode()
        self.mid = str(mid or 2247480000 + int(_h("mid:" + key, 6), 16) % 90000)
        self.idx = "1"
        self.sn = _h("sn:" + key)
        self.chksm = _h("chksm:" + key, 8) + _h("chksm2:" + key, 8) + _h("chksm3:" + key, 24)

    @property
    def path(self):
        return f"/s?__biz={self.biz}&mid={self.mid}&idx={self.idx}&sn={self.sn}"

    @property
    def short_code(self):
        raw = hashlib.sha256(("short:" + self.key).encode()).digest()
        return base64.urlsafe_b64encode(raw).decode()[:22]


def ident(post):
    return Ident(post.key, post.extra.get("uin"), post.extra.get("mid"))


PHANTOMS = {k: Ident(k) for k in list(content.WECHAT_NOTICES) + ["wechat_captcha", "wechat_frequent"]}


def _image_id(key, n):
    raw = hashlib.sha256(f"img:{key}:{n}".encode()).digest() * 2
    return re.sub(r"[^A-Za-z0-9]", "", base64.b64encode(raw).decode())[:64]


def image_urls(post, site):
    return [f"{site.image_url}/mmbiz_jpg/{_image_id(post.key, n)}/640?wx_fmt=jpeg" for n in range(post.images)]


def cover_url(post, site):
    return f"{site.image_url}/mmbiz_jpg/{_image_id(post.key, 'cover')}/0?wx_fmt=jpeg"


# --- the editor-style body ---------------------------------------------------------

_SPAN = ('<span style="font-size: 15px;letter-spacing: 1px;color: rgb(62, 62, 62);'
         'font-family: 微软雅黑, &quot;Microsoft YaHei&quot;;">')


def _para(i, text):
    text = html.escape(text, quote=False)
    if i == 2:
        # Editors bold the key figure, splitting the number from its unit.
        text = re.sub(r"(\d[\d.,]*)", r"<strong>\1</strong>", text, count=1)
    if i % 2 == 0:
        return (f'<section style="margin: 0px 8px;line-height: 1.75em;"><section style="text-indent: 2em;">'
                f'<p style="text-indent: 2em;line-height: 1.75em;margin-bottom: 15px;">{_SPAN}{text}</span></p>'
                f'</section></section>')
    return (f'<div style="line-height: 1.75em;"><div style="margin-left: 8px;margin-right: 8px;">'
            f'<p style="text-indent: 2em;margin-bottom: 15px;"><span style="letter-spacing: 1px;">'
            f'<span style="font-size: 15px;">{text}</span></span></p></div></div>')


def _image(url, n):
    # Pre-sized so the layout is stable; src is a 1x1 placeholder until the
    # lazy loader (static/appmsg.js) sees it in the viewport.
    return (f'<section style="text-align: center;margin-left: 8px;margin-right: 8px;">'
            f'<img class="rich_pages wxw-img" data-ratio="0.75" data-s="300,640" data-src="{html.escape(url)}" '
            f'data-type="jpeg" data-w="1080" style="width: 640px;height: 480px;" src="{BLANK_GIF}" alt="图片"></section>'
            f'<p style="text-align: center;"><span style="color: rgb(136, 136, 136);font-size: 12px;">'
            f'图{n + 1}：工作现场</span></p>')


def _spacer(px):
    # Real posts are long (many photos); tall blank sections make the mock's
    # pages several screens high so images really sit below the fold.
    return f'<section style="min-height: {px}px;"><p><br  /></p></section>'


def body_html(post, site):
    parts = [
        '<section data-tools="135编辑器" data-id="94212" data-role="outer" label="Powered by 135editor.com" '
        'style="font-family: 微软雅黑;font-size: 16px;">',
        '<section class="_135editor" data-tools="135编辑器" data-id="86318" data-color="rgb(0, 82, 157)">'
        '<section style="margin: 10px auto;text-align: center;"><section style="display: inline-block;'
        'border-bottom: 2px solid rgb(0, 82, 157);padding: 0 1em;"><p><strong><span style="color: rgb(0, 82, 157);">'
        f'{html.escape(post.publisher)}</span></strong></p></section></section></section>',
        '<p><br  /></p>',
    ]
    parts += [_para(i, t) for i, t in enumerate(post.paragraphs)]
    for n, url in enumerate(image_urls(post, site)):
        parts.append(_spacer(1400 if n == 0 else 900))
        parts.append(_image(url, n))
    parts += [
        '<p><br  /></p>',
        '<section style="text-align: center;"><p><span style="color: rgb(136, 136, 136);font-size: 12px;">'
        f'来源：{html.escape(post.publisher)}</span></p><p><span style="color: rgb(136, 136, 136);'
        'font-size: 12px;">编辑：宣传科 审核：政治处</span></p></section>',
        '</section>',
    ]
    return "\n".join(parts)


# --- classic article --------------------------------------------------------------

def _js_str(text):
    """Escape for a double- or single-quoted JS string, as the real template does."""
    return (html.escape(text).replace("\\", "\\\\").replace("\n", "\\n"))


def _related(post, site, ct):
    # Decoys: other posts of the account with their own ct/createTime fields.
    items = []
    for k in range(1, 4):
        rct = ct - k * 86400 * 37 - k * 3131
        rid = Ident(f"{post.key}:related:{k}")
        items.append(dict(title=f"{post.publisher}开展“平安创建”宣传活动（{k}）",
                          url=site.url(rid.path, https=True), ct=str(rct),
                          createTime=fmt_beijing(rct), create_time=rct, nickname=post.publisher))
    js = "[\n" + ",\n".join(
        "        { title: '%s', url: '%s', ct: \"%s\", createTime: '%s', nickname: '%s', read_num: '%d' * 1 }"
        % (_js_str(i["title"]), i["url"], i["ct"], i["createTime"], _js_str(i["nickname"]), 1200 + n * 77)
        for n, i in enumerate(items)) + "\n    ]"
    js_json = json.dumps({"list": [dict(title=i["title"], link=i["url"], ct=i["ct"],
                                        create_time=str(i["create_time"])) for i in items]},
                         ensure_ascii=False)
    return items, js, js_json.replace("</", "<\\/")


def _album(post, ct):
    # The "合集" block above the page variables: a decoy for first-match parsers.
    act = ct - 86400 * 400
    data = {"album_id": str(1800000000000000000 + int(_h("album:" + post.key, 10), 16) % 10 ** 17),
            "title": "公安动态", "article_list": [
                {"title": f"{post.publisher}召开年度工作总结会", "create_time": str(act), "ct": str(act)}]}
    block = ('<div class="album_read_item" data-ct="%d"><span class="album_read_title">#公安动态</span>'
             '<span class="album_read_count">%d篇</span></div>' % (act, 12))
    return block, json.dumps(data, ensure_ascii=False)


def render_classic(post, site, req):
    i = ident(post)
    ct = unix(post.published)
    ip = post.extra.get("ip_province")
    ip_js = ("window.ip_wording = {\n        countryName: '中国',\n        countryId: '156',\n"
             f"        provinceName: '{ip}',\n        provinceId: '',\n        cityName: '',\n        cityId: ''\n    }};"
             if ip else "")
    _, related_js, related_json = _related(post, site, ct)
    album_html, album_json = _album(post, ct)
    og_url = f"{req.origin}/s?__biz={i.biz}&amp;mid={i.mid}&amp;idx={i.idx}&amp;sn={i.sn}&amp;chksm={i.chksm}#rd"
    original = post.extra.get("original", False)
    page = render(
        "wechat_article.html",
        nonce=_h("nonce:" + post.key, 9),
        title=html.escape(post.title),
        title_js=html.escape(post.title).replace("'", "&#39;"),
        summary=html.escape(post.summary),
        summary_js=_js_str(post.summary),
        author=html.escape(post.publisher),
        author_js=_js_str(post.publisher),
        nickname=html.escape(post.publisher),
        nickname_js=_js_str(post.publisher),
        user_name=post.extra["user_name"],
        profile_desc=html.escape(f"{post.publisher}官方公众号，发布警务资讯、服务群众。"),
        copyright_badge=('<span id="copyright_logo" class="rich_media_meta rich_media_meta_text meta_tag_text">原创</span>'
                         if original else ""),
        copyright_stat="1" if original else "0",
        is_original="1" if original else "0",
        og_url=og_url,
        msg_link=og_url,
        cover_url=cover_url(post, site),
        avatar_url=f"{site.image_url}/mmbiz_png/{_image_id(post.key, 'avatar')}/0?wx_fmt=png",
        body=body_html(post, site),
        album_html=album_html,
        album_json=album_json,
        ct=ct,
        publish_date=post.published[:10],
        create_time=post.published,
        svr_time=1700000000,
        biz=i.biz, mid=i.mid, idx=i.idx, sn=i.sn,
        req_id=_h("req:" + post.key, 20),
        comment_id=str(2000000000000000000 + int(_h("cmt:" + post.key, 12), 16) % 10 ** 17),
        ip_wording_js=ip_js,
        related_js=related_js,
        related_json=related_json,
    )
    return Response(body=page.encode("utf-8"), gzip=True, chunks=5,
                    headers=[("Cache-Control", "no-cache, must-revalidate"),
                             ("X-Frame-Options", "SAMEORIGIN")])


# --- image post (2024+) -------------------------------------------------------------

def _js_literal(text):
    """Single-quoted JS string with the \\xNN escapes WeChat's data blobs use."""
    out = []
    for ch in text:
        if ch in "<>'\"\\&\n\r=":
            out.append("\\x%02x" % ord(ch))
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def render_image_post(post, site, req):
    i = ident(post)
    ct = unix(post.published)
    content_html = "\n".join(f"<p>{html.escape(p, quote=False)}</p>" for p in post.paragraphs)
    pics = ",\n".join(
        "            {\n                cdn_url: %s,\n                width: '1080' * 1,\n                height: '1440' * 1,\n"
        "                format: 'jpeg',\n                watermark_info: { position: '' }\n            }" % _js_literal(u)
        for u in image_urls(post, site))
    ip = post.extra.get("ip_province", "")
    cgi = (
        "{\n"
        f"        biz: '{i.biz}',\n        mid: '{i.mid}' * 1,\n        idx: '{i.idx}' * 1,\n        sn: '{i.sn}',\n"
        f"        title: {_js_literal(post.title)},\n"
        f"        nick_name: {_js_literal(post.publisher)},\n"
        f"        user_name: '{post.extra['user_name']}',\n"
        f"        create_time: '{ct}' * 1,\n"
        f"        ori_send_time: '{ct}' * 1,\n"
        f"        svr_time: '1716000000' * 1,\n"
        f"        item_show_type: '8' * 1,\n"
        f"        content_noencode: {_js_literal(content_html)},\n"
        f"        picture_page_info_list: [\n{pics}\n        ],\n"
        f"        ip_wording: {{ country_name: '中国', province_name: '{ip}' }},\n"
        f"        is_original: '0' * 1\n"
        "    }"
    )
    og_url = f"{req.origin}/s?__biz={i.biz}&amp;mid={i.mid}&amp;idx={i.idx}&amp;sn={i.sn}&amp;chksm={i.chksm}#rd"
    page = render("wechat_image.html", nonce=_h("nonce:" + post.key, 9), title=html.escape(post.title),
                  og_url=og_url, cover_url=image_urls(post, site)[0], biz=i.biz, mid=i.mid,
                  idx=i.idx, sn=i.sn, cgi_data=cgi)
    return Response(body=page.encode("utf-8"), gzip=True, chunks=3)


# --- notices, captcha, throttling -----------------------------------------------------

def render_notice(key, req, i=None):
    """The notice `key` (content.WECHAT_NOTICES); `i`: the article it stands in
    for (WeChat serves the notice at the article's own URL), else its phantom."""
    style, message, detail = content.WECHAT_NOTICES[key]
    i = i or PHANTOMS[key]
    if style == "global":
        page = render("wechat_notice_old.html", nonce=_h("nonce:" + i.key, 9), message=message,
                      biz=i.biz, mid=i.mid, idx=i.idx, sn=i.sn)
    else:
        page = render("wechat_notice.html", nonce=_h("nonce:" + i.key, 9), message=message,
                      icon="weui-icon-warn" if "违规" in message else "weui-icon-info",
                      desc_html=f'<p class="weui-msg__desc">{html.escape(detail)}</p>' if detail else "",
                      action_html="", biz=i.biz, mid=i.mid, idx=i.idx, sn=i.sn, kind="deleted", extra_js="")
    return Response(body=page.encode("utf-8"), gzip=True)


def render_frequent(req):
    i = PHANTOMS["wechat_frequent"]
    page = render("wechat_notice.html", nonce=_h("nonce:freq", 9), message="访问过于频繁，请用微信扫描二维码进行访问",
                  icon="weui-icon-info", desc_html="", action_html="", biz=i.biz, mid=i.mid,
                  idx=i.idx, sn=i.sn, kind="freq", extra_js="")
    return Response(body=page.encode("utf-8"), gzip=True)


def captcha_redirect(req, i=None):
    """WeChat challenging a crawler: 302 to the captcha page, back to article `i` after."""
    i = i or PHANTOMS["wechat_captcha"]
    target = f"{req.origin}{i.path}"
    token = _h("poc:" + i.key, 32)
    loc = (f"{req.origin}/mp/wappoc_appmsgcaptcha?poc_token={token}"
           f"&target_url={urllib.parse.quote(target, safe='')}")
    return redirect(loc)


def captcha_page(req, m):
    target = req.query.get("target_url", "")
    page = render("wechat_notice.html", nonce=_h("nonce:captcha", 9), message="环境异常",
                  icon="weui-icon-warn",
                  desc_html='<p class="weui-msg__desc">当前环境异常，完成验证后即可继续访问。</p>',
                  action_html=('<div class="weui-msg__opr-area"><p class="weui-btn-area">'
                               '<a href="javascript:;" id="js_verify" class="weui-btn weui-btn_primary">去验证</a>'
                               '</p></div>'),
                  biz="", mid="", idx="", sn="", kind="captcha",
                  extra_js="var poc_token = \"%s\";\n    var target_url = decodeURIComponent(\"%s\");"
                  % (html.escape(req.query.get("poc_token", "")), urllib.parse.quote(target, safe="")))
    return Response(body=page.encode("utf-8"), headers=[("Cache-Control", "no-store")])


def param_error():
    page = render("wechat_notice.html", nonce=_h("nonce:param", 9), message="参数错误", icon="weui-icon-warn",
                  desc_html="", action_html="", biz="", mid="", idx="", sn="", kind="param", extra_js="")
    return Response(body=page.encode("utf-8"))


# --- routing --------------------------------------------------------------------------

def _by_mid():
    table = {}
    for p in content.WECHAT + content.WECHAT_IMAGE:
        i = ident(p)
        table[(i.biz, i.mid, i.idx)] = ("post", p, i)
    for key, i in PHANTOMS.items():
        table[(i.biz, i.mid, i.idx)] = ("phantom", key, i)
    return table


_TABLE = _by_mid()
SHORT_LINKS = {"luolong_dna": ident(content.post("luolong_dna")), "wechat_deleted": PHANTOMS["wechat_deleted"]}


def long_route(req, m):
    q = req.query
    entry = _TABLE.get((q.get("__biz"), q.get("mid"), q.get("idx", "1")))
    if entry is None or (q.get("sn") and q.get("sn") != entry[2].sn):
        return param_error()
    kind, what, i = entry
    if kind == "post":
        shown = content.as_on(what, req.site.night)
        if isinstance(shown, content.Replaced):
            return _replaced(shown.by, i, req)
        if shown.source == "wechat_image":
            return render_image_post(shown, req.site, req)
        return render_classic(shown, req.site, req)
    if what == "wechat_captcha":
        return captcha_redirect(req)
    if what == "wechat_frequent":
        return render_frequent(req)
    return render_notice(what, req)


def _replaced(by, i, req):
    """What an article's URL serves once it is gone (a later night): a notice or the captcha."""
    if by == "captcha":
        return captcha_redirect(req, i)
    return render_notice(by, req, i)


def short_route(req, m):
    for i in SHORT_LINKS.values():
        if i.short_code == m.group(1):
            return redirect(f"{req.origin}{i.path}")
    return param_error()


LAZY_PARAMS = b"wxfrom=5&wx_lazy=1&wx_co=1"


def _static(name, ctype):
    def handler(req, m):
        body = static_bytes(name)
        if name == "appmsg.js" and not req.site.lazy_image_params:
            # Opt-out: fetch exactly the data-src address (not what WeChat does).
            body = body.replace(b"'" + LAZY_PARAMS + b"'", b"''")
        return Response(content_type=ctype, body=body, gzip=True,
                        headers=[("Cache-Control", "max-age=31536000")])
    return handler


def add_routes(router):
    router.add(r"/s", long_route)
    router.add(r"/s/([A-Za-z0-9_-]+)", short_route)
    router.add(r"/mp/wappoc_appmsgcaptcha", captcha_page)
    router.add(r"/mmbizwap/zh_CN/htmledition/js/appmsg\.js",
               _static("appmsg.js", "application/javascript; charset=utf-8"))
    router.add(r"/mmbizwap/zh_CN/htmledition/style/page/appmsg_new/winwx\.css", _static("winwx.css", "text/css"))
    router.add(r"/mmbizwap/zh_CN/htmledition/style/weui\.css", _static("weui.css", "text/css"))


def notable_urls(site):
    """Named URLs for site.urls (https, as the real site)."""
    u = lambda path: site.url(path, https=True)  # noqa: E731
    urls = {
        "wechat_classic": u(ident(content.post("luolong_dna")).path),
        "wechat_tibetan": u(ident(content.post("damxung_gada_dna")).path),
        "wechat_ip_wording": u(ident(content.post("chengguan_dna_2022")).path),
        "wechat_short": u("/s/" + SHORT_LINKS["luolong_dna"].short_code),
        "wechat_short_deleted": u("/s/" + SHORT_LINKS["wechat_deleted"].short_code),
        "wechat_image_post": u(ident(content.post("hainan_iris_images")).path),
        "wechat_captcha": u(PHANTOMS["wechat_captcha"].path),
        "wechat_frequent": u(PHANTOMS["wechat_frequent"].path),
        "wechat_articles": [u(ident(p).path) for p in content.WECHAT],
        "wechat_classic_images": image_urls(content.post("luolong_dna"), site),
    }
    for key in content.WECHAT_NOTICES:
        urls[key] = u(PHANTOMS[key].path)
    return urls
