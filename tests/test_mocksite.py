"""The mock site reproduces the transport and markup details docs/targets.md lists.

Stdlib clients only (http.client speaks raw enough to see chunk framing and
resets); one optional browser test, skipped without /usr/bin/chromium.
"""

import gzip
import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import sys
import time
import urllib.parse

import pytest

from mocksite import MockSite
from mocksite import content, faults, images

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _conn(site, url, timeout=10):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=site.ca_cert_path)
        return http.client.HTTPSConnection(parts.hostname, parts.port, timeout=timeout, context=ctx)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def fetch(site, url, headers=None, timeout=10):
    """(response, raw body bytes as sent: still gzip'd, de-chunked by http.client)."""
    parts = urllib.parse.urlsplit(url)
    conn = _conn(site, url, timeout)
    path = parts.path + ("?" + parts.query if parts.query else "")
    conn.request("GET", path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def raw_get(site, url, headers=""):
    """The exact response bytes (headers + framing), read until the server closes."""
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=site.ca_cert_path)
        sock = ctx.wrap_socket(sock, server_hostname=parts.hostname)
    path = parts.path + ("?" + parts.query if parts.query else "")
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n{headers}Connection: close\r\n\r\n".encode())
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    sock.close()
    return data


def page_text(site, url, **kw):
    resp, body = fetch(site, url, **kw)
    if resp.getheader("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return resp, body.decode("utf-8")


# --- WeChat classic ------------------------------------------------------------

def test_classic_wechat_is_gzip_and_really_chunked(site):
    raw = raw_get(site, site.urls["wechat_classic"], "Accept-Encoding: gzip, deflate\r\n")
    head, _, body = raw.partition(b"\r\n\r\n")
    head = head.decode("latin-1").lower()
    assert "transfer-encoding: chunked" in head
    assert "content-encoding: gzip" in head
    assert "content-length" not in head
    assert "content-type: text/html; charset=utf-8" in head
    # Parse the framing by hand: several chunks, then the zero chunk.
    chunks, rest = [], body
    while True:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        chunks.append(rest[:size])
        assert rest[size:size + 2] == b"\r\n"
        rest = rest[size + 2:]
    assert len(chunks) >= 3
    html = gzip.decompress(b"".join(chunks)).decode("utf-8")
    assert 'id="js_content"' in html


def test_classic_wechat_identity_without_gzip(site):
    resp, body = fetch(site, site.urls["wechat_classic"], headers={"Accept-Encoding": "identity"})
    assert resp.getheader("Content-Encoding") is None
    assert "activity-name" in body.decode("utf-8")


def test_classic_wechat_markup(site):
    _, html = page_text(site, site.urls["wechat_classic"])
    p = content.post("luolong_dna")
    assert f'<meta property="og:title" content="{p.title}" />' in html
    assert re.search(r'<h1 class="rich_media_title " id="activity-name">\s*' + p.title, html)
    assert re.search(r'<span[^>]*id="profileBt">\s*<a[^>]*id="js_name">\s*洛隆公安', html)
    # publish_time is empty in the served HTML; the page variables carry it.
    assert '<em id="publish_time" class="rich_media_meta rich_media_meta_text"></em>' in html
    assert 'var ct = "1558405920";' in html            # 2019-05-21 10:32 Beijing
    assert "var createTime = '2019-05-21 10:32';" in html
    assert "var msg_title = '洛隆县公安局扎实推进DNA数据库建设工作'.html(false);" in html
    assert 'var nickname = htmlDecode("洛隆公安");' in html
    assert 'var user_name = "gh_3f8a1c2d9e47";' in html
    assert 'var biz = "" || "MzA5NjU0MzQyMQ==";' in html
    # Decoys: other ct / createTime values later in the page.
    cts = re.findall(r'\bct"?\s*[:=]\s*"(\d+)"', html)
    assert "1558405920" in cts and len(set(cts)) > 2
    assert html.rfind("createTime: '") > html.find("var createTime")
    # Hidden body; nested containers; images lazy, far below the fold.
    assert 'id="js_content" style="visibility: hidden; opacity: 0;"' in html
    body = html.split('id="js_content"', 1)[1]
    assert body.count("<div") >= 4 and body.count("<section") >= 8
    imgs = re.findall(r'<img [^>]*data-src="([^"]+)"[^>]*src="([^"]*)"', html)
    assert len(imgs) == 3
    for data_src, src in imgs:
        assert data_src.startswith(site.image_url + "/mmbiz_jpg/") and "wx_fmt=jpeg" in data_src
        assert src.startswith("data:")
    assert [d.replace("&amp;", "&") for d, _ in imgs] == site.urls["wechat_classic_images"]
    assert '<script type="text/javascript" nonce="' in html
    assert 'src="/mmbizwap/zh_CN/htmledition/js/appmsg.js"' in html
    assert "window.ip_wording" not in html          # 2019 post: no location


def test_wechat_2022_post_has_ip_wording(site):
    _, html = page_text(site, site.urls["wechat_ip_wording"])
    assert "window.ip_wording = {" in html and "provinceName: '西藏'" in html
    assert "９５％" in html     # full-width digits: extractors must NFKC first


def test_wechat_external_script_unhides_and_lazy_loads(site):
    resp, js = page_text(site, site.url("/mmbizwap/zh_CN/htmledition/js/appmsg.js", https=True))
    assert resp.status == 200 and "javascript" in resp.getheader("Content-Type")
    assert "IntersectionObserver" in js and "visibility" in js and "data-src" in js


def test_lazy_image_params_can_be_switched_off(tmp_path):
    with MockSite(tls_dir=str(tmp_path), lazy_image_params=False) as exact:
        _, js = page_text(exact, exact.url("/mmbizwap/zh_CN/htmledition/js/appmsg.js"))
    assert "wx_lazy=1" not in js and "var extra = '';" in js


def test_tibetan_mixed_page(site):
    _, html = page_text(site, site.urls["wechat_tibetan"])
    assert any("\u0f00" <= ch <= "\u0fff" for ch in html)
    assert "格达乡" in html


def test_short_link_redirects_to_long_form(site):
    resp, _ = fetch(site, site.urls["wechat_short"])
    assert resp.status == 302
    assert resp.getheader("Location") == site.urls["wechat_classic"]


@pytest.mark.parametrize("key, message, selector", [
    ("wechat_deleted", "该内容已被发布者删除", "weui-msg__title"),
    ("wechat_blocked", "此内容因违规无法查看", "weui-msg__title"),
    ("wechat_deleted_old", "此内容因违规已删除", "global_error_msg"),
    ("wechat_account_closed", "此帐号已自主注销，内容无法查看", "weui-msg__title"),
])
def test_deleted_notices_are_200(site, key, message, selector):
    resp, html = page_text(site, site.urls[key])
    assert resp.status == 200
    assert "<title>微信公众平台</title>" in html
    assert 'id="js_content"' not in html
    assert re.search(r'class="%s[^"]*">\s*%s' % (selector, message), html)


def test_captcha_redirect(site):
    resp, _ = fetch(site, site.urls["wechat_captcha"])
    assert resp.status == 302
    loc = resp.getheader("Location")
    parts = urllib.parse.urlsplit(loc)
    assert parts.path == "/mp/wappoc_appmsgcaptcha"
    q = urllib.parse.parse_qs(parts.query)
    assert q["poc_token"][0] and q["target_url"][0] == site.urls["wechat_captcha"]
    resp, html = page_text(site, loc)
    assert resp.status == 200
    for text in ("环境异常", "当前环境异常，完成验证后即可继续访问", "去验证"):
        assert text in html


def test_wrong_sn_is_param_error(site):
    resp, html = page_text(site, site.urls["wechat_classic"].replace("sn=", "sn=0"))
    assert resp.status == 200 and "参数错误" in html


def test_image_post_data_only_in_cgidatanew(site):
    resp, html = page_text(site, site.urls["wechat_image_post"])
    assert 'id="js_content"' not in html
    m = re.search(r"window\.cgiDataNew = \{(.*?)\n    \};", html, re.S)
    assert m
    data = m.group(1)
    for key in ("title:", "nick_name:", "create_time:", "ori_send_time:", "content_noencode:",
                "picture_page_info_list:", "cdn_url:"):
        assert key in data
    assert "\\x0a" in data and "\\x3cp\\x3e" in data
    # The body text appears only inside the JS-escaped blob, not as markup.
    assert "<p>各派出所" not in html
    assert "create_time: '1712884500' * 1" in data     # 2024-04-12 09:15 Beijing


# --- images -----------------------------------------------------------------------

def test_image_referer_rule(site):
    url = site.urls["wechat_classic_images"][0]
    ok, body = fetch(site, url, headers={"Referer": site.https_url + "/"})
    assert ok.status == 200 and ok.getheader("Content-Type") == "image/jpeg"
    assert body[:3] == b"\xff\xd8\xff" and body[-2:] == b"\xff\xd9"
    for headers in ({}, {"Referer": "https://example.org/page"}):
        resp, ph = fetch(site, url, headers=headers)
        assert resp.status == 200 and resp.getheader("Content-Type") == "image/png"
        assert ph.startswith(b"\x89PNG") and images.PLACEHOLDER_TEXT.encode() in ph
    other = site.urls["wechat_classic_images"][1]
    _, body2 = fetch(site, other, headers={"Referer": site.http_url + "/"})
    assert body2[:2] == b"\xff\xd8" and body2 != body
    # Deterministic bytes.
    _, again = fetch(site, url, headers={"Referer": site.https_url + "/"})
    assert again == body


def test_images_on_a_different_origin(site):
    img = urllib.parse.urlsplit(site.urls["wechat_classic_images"][0])
    page = urllib.parse.urlsplit(site.urls["wechat_classic"])
    assert img.hostname == "localhost" and page.hostname == "127.0.0.1"


# --- The Paper ----------------------------------------------------------------------

def test_thepaper_next_data(site):
    resp, html = page_text(site, site.urls["thepaper"])
    assert '<div id="__next"></div>' in html
    m = re.search(r'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', html, re.S)
    data = json.loads(m.group(1))
    d = data["props"]["pageProps"]["detailData"]["contentDetail"]
    assert d["name"] == "玉树州公安局扎实推进虹膜信息采集工作"
    assert d["pubTime"] == "2021-07-20 17:36"
    assert d["publishTime"] == 1626773760000
    assert d["contId"] == 13687452 and d["userInfo"]["sname"] == "平安玉树"
    assert "104万余条" in d["content"] and d["summary"]
    chunk = re.search(r'src="(/_next/static/chunks/pages/newsDetail-[0-9a-f]+\.js)"', html).group(1)
    resp, js = page_text(site, site.url(chunk, https=True))
    assert resp.status == 200 and "__NEXT_DATA__" in js


def test_thepaper_forbidden(site):
    resp, _ = fetch(site, site.urls["thepaper_forbidden"])
    assert resp.status == 403


# --- government portal --------------------------------------------------------------

def test_gov_article_is_gbk_declared_gb2312(site):
    resp, body = fetch(site, site.urls["gov_article"], headers={"Accept-Encoding": "identity"})
    assert resp.status == 200
    assert resp.getheader("Content-Type") == "text/html"        # no charset in HTTP
    text = body.decode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        body.decode("gb2312")                                   # GBK-only characters
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert '<meta http-equiv="Content-Type" content="text/html; charset=gb2312" />' in text
    assert "王镕" in text and "李堃" in text
    assert '<meta name="ArticleTitle" content="拉萨市公安局城关分局召开血样采集工作部署会" />' in text
    assert '<meta name="PubDate" content="2021-03-10 10:00" />' in text
    assert '<meta name="ContentSource" content="拉萨市公安局城关分局" />' in text
    assert '<meta name="ColumnName" content="公安动态" />' in text
    assert '<meta name="SiteName" content="西藏自治区公安厅" />' in text
    assert '<div class="TRS_Editor">' in text and "发布时间：2021-03-10" in text
    assert site.urls["gov_article"].endswith("/xwzx/gadt/202103/t20210310_1234567.html")


def test_gov_body_variants_and_date_formats(site):
    seen_classes, slash, cn = set(), False, False
    for url in site.urls["gov_articles"]:
        resp, body = fetch(site, url)
        text = (gzip.decompress(body) if resp.getheader("Content-Encoding") == "gzip" else body).decode("gb18030")
        for cls in ('class="TRS_Editor"', 'class="trs_editor_view', 'class="zw"', 'id="zoom"'):
            if cls in text:
                seen_classes.add(cls)
        slash |= bool(re.search(r'name="PubDate" content="\d{4}/\d\d/\d\d \d\d:\d\d"', text))
        cn |= bool(re.search(r"<span>\d{4}年\d{1,2}月\d{1,2}日</span>", text))
    assert len(seen_classes) == 4 and slash and cn
    assert any("张喆" in content_post.paragraphs[1] for content_post in content.GOV)


def test_gov_list_pages_with_js_pagination(site):
    assert len(site.urls["gov_list_pages"]) == 3
    found = []
    for n, url in enumerate(site.urls["gov_list_pages"]):
        resp, body = fetch(site, url, headers={"Accept-Encoding": "identity"})
        assert resp.status == 200 and resp.getheader("Content-Type") == "text/html"
        text = body.decode("gb18030")
        assert f'createPageHTML(3, {n}, "index", "html");' in text
        assert 'src="../../js/page.js"' in text
        # Pagination links do not exist in the HTML: only JS writes them.
        assert 'href="index' not in text and ">下一页<" not in text
        for href in re.findall(r'href="(\./\d{6}/t\d{8}_\d{7}\.html)"', text):
            found.append(urllib.parse.urljoin(url, href))
    assert found == site.urls["gov_articles"] and len(found) == len(content.GOV)
    resp, js = fetch(site, site.urls["gov_page_js"])
    js = js.decode("gb18030")
    assert "function createPageHTML(" in js and "document.write" in js and "下一页" in js and "尾页" in js
    resp, _ = fetch(site, site.url("/xwzx/gadt/index_3.html"))
    assert resp.status == 404


# --- robots, index ------------------------------------------------------------------

def test_robots_and_index(site):
    resp, body = fetch(site, site.urls["robots"])
    assert body.decode() == "User-agent: *\nDisallow: /private/\n"
    resp, html = page_text(site, site.urls["index"])
    assert resp.status == 200 and "/private/" in html and "/xwzx/gadt/index.html" in html


# --- faults ---------------------------------------------------------------------------

def test_fault_slow(site):
    t = time.monotonic()
    resp, body = fetch(site, site.url("/fault/slow?delay=0.6"))
    assert resp.status == 200 and b"</html>" in body
    assert time.monotonic() - t >= 0.55
    assert site.urls["fault_slow"].endswith("/fault/slow")


def test_fault_reset(site):
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, ConnectionAbortedError)):
        fetch(site, site.urls["fault_reset"])


def test_fault_reset_https(site):
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected, ssl.SSLError)):
        fetch(site, site.url("/fault/reset", https=True))


def test_fault_statuses(site):
    assert fetch(site, site.urls["fault_500"])[0].status == 500
    assert fetch(site, site.urls["fault_404"])[0].status == 404
    assert fetch(site, site.url("/no/such/page"))[0].status == 404


def test_fault_loop(site):
    resp, _ = fetch(site, site.urls["fault_loop"])
    assert resp.status == 302 and resp.getheader("Location") == "/fault/loop2"
    resp, _ = fetch(site, site.url("/fault/loop2"))
    assert resp.status == 302 and resp.getheader("Location") == "/fault/loop"


def test_fault_big(site):
    resp, body = fetch(site, site.urls["fault_big"], timeout=30)
    assert resp.status == 200 and resp.getheader("Transfer-Encoding") == "chunked"
    assert len(body) == faults.BIG_DEFAULT and body.endswith(b"</html>\n")
    resp, body = fetch(site, site.url("/fault/big?size=100000&cl=1"))
    assert resp.getheader("Content-Length") == "100000" and len(body) == 100000


def test_fault_binary(site):
    resp, body = fetch(site, site.urls["fault_binary"])
    assert resp.status == 200 and resp.getheader("Content-Type") == "text/html"
    assert body == faults.binary_bytes() and len(set(body)) > 200
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


# --- TLS, seeds, catalog, CLI ---------------------------------------------------------

def test_https_verifies_with_ca_file(site):
    for host in ("127.0.0.1", "localhost"):
        ctx = ssl.create_default_context(cafile=site.ca_cert_path)
        conn = http.client.HTTPSConnection(host, site.https_port, timeout=10, context=ctx)
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().status == 200
        conn.close()
    with pytest.raises(ssl.SSLCertVerificationError):
        conn = http.client.HTTPSConnection("127.0.0.1", site.https_port, timeout=10,
                                           context=ssl.create_default_context())
        conn.request("GET", "/")


def test_seeds_and_catalog(site):
    seeds = site.seeds()
    assert site.urls["wechat_classic"] in seeds and site.urls["gov_list"] in seeds
    assert site.urls["wechat_short"] in seeds and site.urls["thepaper"] in seeds
    assert all(u.startswith(("http://127.0.0.1:", "https://127.0.0.1:")) for u in seeds)
    text = site.seeds_text()
    assert text.startswith("# wechat:") and "\n\n# gov:" in text
    cat = site.catalog()
    assert len(cat) == len(content.ALL_POSTS)
    luolong = next(c for c in cat if c["key"] == "luolong_dna")
    assert luolong["url"] == site.urls["wechat_classic"] and luolong["truth"]["value"] == 17194


def test_cli_prints_ready_line_and_stops(tmp_path):
    seeds = tmp_path / "seeds.txt"
    proc = subprocess.Popen([sys.executable, "-m", "mocksite", "--tls-dir", str(tmp_path / "tls"),
                             "--write-seeds", str(seeds)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["http_url"].startswith("http://127.0.0.1:") and info["seeds"] == str(seeds)
        assert os.path.exists(info["ca_cert"])
        lines = seeds.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# ") and "" in lines
        conn = http.client.HTTPConnection("127.0.0.1", int(info["http_url"].rsplit(":", 1)[1]), timeout=5)
        conn.request("GET", "/robots.txt")
        assert conn.getresponse().status == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


# --- optional: a real browser ---------------------------------------------------------

@pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="no /usr/bin/chromium")
def test_browser_renders_and_scroll_loads_images(site):
    pw = pytest.importorskip("playwright.sync_api")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync", "--disable-quic"]
    with pw.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        try:
            page = browser.new_context(ignore_https_errors=True).new_page()
            fetched = []
            page.on("requestfinished", lambda r: fetched.append(r.url))
            page.goto(site.urls["wechat_classic"], wait_until="load")
            assert page.inner_text("#publish_time") == "2019年05月21日 10:32"
            assert page.evaluate("getComputedStyle(document.getElementById('js_content')).visibility") == "visible"
            page.wait_for_timeout(300)
            assert not [u for u in fetched if "/mmbiz_jpg/" in u]          # nothing below the fold yet
            height = page.evaluate("document.documentElement.scrollHeight")
            assert height > 3 * 720
            for y in range(0, height, 400):
                page.evaluate(f"window.scrollTo(0, {y})")
                page.wait_for_timeout(40)
            page.wait_for_function("Array.from(document.querySelectorAll('img[data-src]')).every(i => i.naturalWidth == 640)",
                                   timeout=5000)
            lazy = {u for u in fetched if "/mmbiz_jpg/" in u}
            assert len(lazy) == 3 and all("&wx_lazy=1" in u for u in lazy)
            page.goto(site.urls["gov_list"])
            assert "下一页" in page.inner_text("#page")
            page.goto(site.urls["thepaper"])
            assert "104万余条" in page.inner_text("#__next")
        finally:
            browser.close()
