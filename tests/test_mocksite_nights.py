"""The mock's second night: the same site, same URLs, with the changes of
content.NIGHTS[2], and a truth table (site.night_changes) that says so.

Every page URL is fetched with a plain stdlib client on night 1, then on night
2 of the same running site, then from a restarted site on the same ports: the
responses must differ exactly where the truth table says, in the way it says.
"""

import concurrent.futures
import gzip
import http.client
import json
import os
import re
import ssl
import subprocess
import sys
import urllib.parse

import pytest

from mocksite import MockSite, content

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Headers that differ between two identical answers.
VOLATILE = {"date"}


def fetch(site, url):
    """(status, headers without Date, raw body as sent); what a recorder keeps.

    Accepts gzip like a browser; sends the page host as Referer to the image
    host (the image host answers a placeholder to anyone else). Redirects are
    not followed. A connection the server resets is recorded as such.
    """
    parts = urllib.parse.urlsplit(url)
    headers = {"Accept-Encoding": "gzip, deflate"}
    if parts.hostname == site.image_host:
        headers["Referer"] = site.https_url + "/"
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=30,
                                           context=ssl.create_default_context(cafile=site.ca_cert_path))
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""), headers=headers)
        resp = conn.getresponse()
        body = resp.read()
    except (ConnectionResetError, http.client.RemoteDisconnected) as exc:
        return ("no response", type(exc).__name__), (), b""
    finally:
        conn.close()
    kept = tuple((k.lower(), v) for k, v in resp.getheaders() if k.lower() not in VOLATILE)
    return resp.status, kept, body


def text(answer, errors="strict"):
    """The decoded body: gunzipped; GB18030 where the page declares gb2312 (the
    portal's GBK), else UTF-8."""
    _, headers, body = answer
    if dict(headers).get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode("gb18030" if b"charset=gb2312" in body[:1024] else "utf-8", errors)


def visible(html):
    return re.sub(r"<[^>]+>", "", html)


def _assets(site, answers):
    """Scripts, style sheets and images the pages reference on the page hosts."""
    found = set()
    for url, answer in answers.items():
        if answer[0] != 200 or "html" not in dict(answer[1]).get("content-type", ""):
            continue
        # errors="replace": the binary-as-HTML fault is not text.
        for ref in re.findall(r'(?:src|href)="([^"#]+\.(?:js|css|png|jpg))"', text(answer, "replace")):
            absolute = urllib.parse.urljoin(url, ref)
            if absolute.startswith((site.http_url, site.https_url)):
                found.add(absolute)
    return sorted(found)


def page_urls(site):
    """Every page URL: site.urls (seeds among them), the catalog, the list pages,
    the images of one WeChat post."""
    urls = []
    for value in site.urls.values():
        urls += value if isinstance(value, list) else [value]
    urls += [row["url"] for row in site.catalog()]
    urls += site.urls["gov_list_pages"] + site.urls["wechat_classic_images"]
    return list(dict.fromkeys(urls))


def fetch_all(site, urls):
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(urls, pool.map(lambda u: fetch(site, u), urls)))


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Night 1, then night 2 of the same running site, then a restart on the same ports."""
    tls = str(tmp_path_factory.mktemp("tls"))
    with MockSite(tls_dir=tls) as site:
        assert site.night == 1
        first = fetch_all(site, page_urls(site))
        urls = list(first) + _assets(site, first)
        first.update(fetch_all(site, urls[len(first):]))
        site.night = 2
        second = fetch_all(site, urls)
        not_found = fetch(site, site.url("/no/such/page"))
        redirected = {u: fetch(site, dict(a[1])["location"]) for u, a in second.items()
                      if a[0] == 302 and first[u][0] != 302}
        ports = dict(http_port=site.http_port, https_port=site.https_port)
        changes = site.night_changes()
        assert changes == site.night_changes(night=2)
    # Restarted, asked for night 2 from the start, then switched back to night 1.
    with MockSite(tls_dir=tls, night=2, **ports) as again:
        restarted_second = fetch_all(again, urls)
        again.night = 1
        restarted_first = fetch_all(again, urls)
        catalog = again.catalog()
    return dict(site=site, urls=urls, first=first, second=second, changes=changes, not_found=not_found,
                redirected=redirected,
                restarted_first=restarted_first, restarted_second=restarted_second, catalog=catalog)


def _links(html):
    return re.findall(r'href="(\./\d{6}/t\d{8}_\d{7}\.html)"', html)


# --- what is fetched --------------------------------------------------------------------

def test_every_kind_of_url_is_fetched(nights):
    site, urls, first = nights["site"], nights["urls"], nights["first"]
    assert set(site.seeds()) <= set(urls)
    assert {row["url"] for row in nights["catalog"]} <= set(urls)
    assert set(site.urls["gov_list_pages"]) | set(site.urls["wechat_classic_images"]) <= set(urls)
    assets = [u for u in urls if u.endswith((".js", ".css"))]
    assert any("/appmsg.js" in u for u in assets) and any("/page.js" in u for u in assets)
    assert any("/_next/static/" in u for u in assets) and any(u.endswith(".css") for u in assets)
    # The images really are the photos, not the hot-link placeholder.
    for url in site.urls["wechat_classic_images"]:
        assert dict(first[url][1])["content-type"] == "image/jpeg"
    assert first[site.urls["wechat_classic"]][0] == 200
    assert dict(first[site.urls["wechat_classic"]][1])["content-encoding"] == "gzip"


# --- the truth table ----------------------------------------------------------------------

def test_truth_table_names_the_night_two_changes(nights):
    site, changes = nights["site"], nights["changes"]
    assert site.night_changes(night=1) == {}
    url_of = {row["key"]: row["url"] for row in nights["catalog"]}
    by_key = {}
    for url, entry in changes.items():
        assert url in nights["urls"], url
        if entry["key"] and "redirects_to" not in entry:
            assert url == url_of[entry["key"]]
            by_key[entry["key"]] = entry
    assert {k: e["status"] for k, e in by_key.items()} == {
        "luolong_dna": "changed", "chengguan_dna_2021": "changed", "shigatse_dna_11wan": "changed",
        "nagqu_dna_2016": "deleted", "chindu_iris_2022": "deleted", "seni_dna_2020": "deleted",
        "chengguan_dna_2022": "unavailable"}
    assert by_key["luolong_dna"]["figure"] == ("17194份", "17500份")
    assert by_key["luolong_dna"]["truth"]["value"] == 17500
    assert by_key["chengguan_dna_2021"]["figure"] == ("万余份", "1.2万余份")
    assert by_key["shigatse_dna_11wan"]["figure"] is None          # text changed, facts did not
    assert by_key["nagqu_dna_2016"]["message"] == "该内容已被发布者删除"
    assert by_key["chindu_iris_2022"]["message"] == "此内容因违规无法查看"
    assert (by_key["seni_dna_2020"]["by"], by_key["chengguan_dna_2022"]["by"]) == ("not_found", "captcha")
    short = changes[site.urls["wechat_short"]]
    assert short["status"] == "changed" and short["redirects_to"] == site.urls["wechat_classic"]
    lists = {u: e for u, e in changes.items() if e["key"] is None}
    assert set(lists) == set(site.urls["gov_list_pages"][1:])      # page 0 is before the removed item
    assert [u for e in lists.values() for u in e["removed"]] == [url_of["seni_dna_2020"]]
    assert all(len(e["links"]) == len(set(e["links"])) for e in lists.values())
    # Kept as they were: the Tibetan posts, the image post, most gov articles.
    for key in ("damxung_gada_dna", "nyemo_dna_tibetan", "hainan_iris_images"):
        assert url_of[key] not in changes
    assert sum(url_of[p.key] in changes for p in content.GOV) == 2


def test_night_data_fits_each_source():
    # Gov and The Paper pages can only vanish (404); only WeChat shows notices and captchas.
    for night, changes in content.NIGHTS.items():
        for key, change in changes.items():
            post = content.post(key)
            if isinstance(change, content.Replaced):
                allowed = (set(content.WECHAT_NOTICES) | {"captcha"} if post.source.startswith("wechat")
                           else {"not_found"})
                assert change.by in allowed, (night, key)
            else:
                assert change.apply(post).title == post.title, (night, key)


def test_night_must_exist(tmp_path):
    with pytest.raises(ValueError):
        MockSite(tls_dir=str(tmp_path), night=3)
    site = MockSite(tls_dir=str(tmp_path))
    with pytest.raises(ValueError):
        site.night = 0
    assert site.night == 1


# --- night 2 against night 1 ----------------------------------------------------------------

def test_only_the_table_differs(nights):
    first, second, changes = nights["first"], nights["second"], nights["changes"]
    differing = {u for u in nights["urls"] if first[u] != second[u]}
    # A short link's own 302 is the same; what changed is the page it leads to.
    assert differing == {u for u, e in changes.items() if "redirects_to" not in e}
    for url in nights["urls"]:
        if url not in changes:
            assert second[url] == first[url], url


def test_edits_are_in_place(nights):
    first, second = nights["first"], nights["second"]
    edited = {u: e for u, e in nights["changes"].items() if "replace" in e and "redirects_to" not in e}
    assert len(edited) == 3
    for url, entry in edited.items():
        assert first[url][0] == second[url][0] == 200
        before, after = text(first[url]), text(second[url])
        expected = before
        for old, new in entry["replace"]:
            assert old in before
            expected = expected.replace(old, new)
        assert after == expected and after != before                # that edit, nothing else
        post = content.post(entry["key"])
        assert post.title in after                                  # same title
        if entry["figure"]:
            assert entry["figure"][1] in visible(after)
        else:
            assert post.truth["figure"] in visible(after)           # the facts stand
    luolong = text(second[nights["site"].urls["wechat_classic"]])
    assert "17194" not in luolong and luolong.count("17500") == text(first[nights["site"].urls["wechat_classic"]]).count("17194") >= 3
    gov = second[nights["site"].urls["gov_article"]]
    assert dict(gov[1])["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        gzip.decompress(gov[2]).decode("utf-8")                     # still GBK


def test_short_link_leads_to_the_edited_article(nights):
    site, second = nights["site"], nights["second"]
    status, headers, _ = second[site.urls["wechat_short"]]
    assert status == 302 and dict(headers)["location"] == site.urls["wechat_classic"]
    assert "17500" in text(second[site.urls["wechat_classic"]])


@pytest.mark.parametrize("key", ["nagqu_dna_2016", "chindu_iris_2022"])
def test_deleted_posts_serve_the_notice_at_their_url(nights, key):
    url = next(r["url"] for r in nights["catalog"] if r["key"] == key)
    entry = nights["changes"][url]
    status, headers, _ = nights["second"][url]
    page = text(nights["second"][url])
    assert status == 200 and entry["status"] == "deleted"
    assert "<title>微信公众平台</title>" in page and 'id="js_content"' not in page
    assert re.search(r'<h2 class="weui-msg__title">%s</h2>' % entry["message"], page)
    assert content.post(key).title not in page
    # The notice carries the article's own identity, as WeChat's does.
    biz = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["__biz"][0]
    assert f'var biz = "{biz}" || "";' in page


def test_removed_gov_article_is_404_and_unlisted(nights):
    site, first, second = nights["site"], nights["first"], nights["second"]
    url = next(r["url"] for r in nights["catalog"] if r["key"] == "seni_dna_2020")
    assert first[url][0] == 200
    assert second[url][0] == 404 and second[url][2] == nights["not_found"][2]   # the site's own nginx 404
    before, after = [], []
    for page in site.urls["gov_list_pages"]:
        before += [urllib.parse.urljoin(page, h) for h in _links(text(first[page]))]
        links = [urllib.parse.urljoin(page, h) for h in _links(text(second[page]))]
        assert url not in links
        assert 'createPageHTML(3, ' in text(second[page])
        entry = nights["changes"].get(page)
        if entry:
            assert entry["links"] == links
        after += links
    assert url in before and after == [u for u in before if u != url]     # the later items move up
    assert site.urls["gov_article"] in after                                # the edited one is still listed


def test_captcha_redirects_back_to_the_article(nights):
    site, second = nights["site"], nights["second"]
    url = site.urls["wechat_ip_wording"]
    assert nights["changes"][url]["status"] == "unavailable"
    status, headers, _ = second[url]
    assert status == 302
    location = urllib.parse.urlsplit(dict(headers)["location"])
    query = urllib.parse.parse_qs(location.query)
    assert location.path == "/mp/wappoc_appmsgcaptcha"
    assert query["poc_token"][0] and query["target_url"] == [url]
    page = nights["redirected"][url]
    assert page[0] == 200 and "当前环境异常，完成验证后即可继续访问" in text(page)
    assert list(nights["redirected"]) == [url]


# --- restarts ---------------------------------------------------------------------------------

def test_restart_on_the_same_ports_serves_the_same_bytes(nights):
    for url in nights["urls"]:
        assert nights["restarted_first"][url] == nights["first"][url], url
        assert nights["restarted_second"][url] == nights["second"][url], url


def test_cli_serves_night_two(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "mocksite", "--night", "2", "--tls-dir", str(tmp_path)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["night"] == 2 and info["https_url"].startswith("https://127.0.0.1:")
        parts = urllib.parse.urlsplit(info["urls"]["wechat_classic"])
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=10,
                                           context=ssl.create_default_context(cafile=info["ca_cert"]))
        conn.request("GET", f"{parts.path}?{parts.query}", headers={"Accept-Encoding": "identity"})
        assert "累计采集DNA血样<strong>17500</strong>份" in conn.getresponse().read().decode("utf-8")
        conn.close()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    refused = subprocess.run([sys.executable, "-m", "mocksite", "--night", "3"], cwd=ROOT,
                             capture_output=True, text=True, timeout=30)
    assert refused.returncode == 2 and "--night" in refused.stderr
