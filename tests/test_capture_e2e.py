"""End to end: the README's crawl command over the mock site, then the records it left.

One crawl (module fixture) of the mock site's seeds through warcprox and
Chromium, checked the way a reviewer of the collection would: responses for
every seed and every paginated article, lazy images and scripts, rendered
records linked by Record-ID, digests, warcinfo, no .open file left.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from urllib.parse import urlsplit

import pytest

from tests.collection import read_collection, visit_errors, warc_files
from tests.crawling import ROOT, TEST_SETTINGS, crawl_command

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make test installs it)"),
]

FAST = [*TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def crawl(seeds_path: str, archive_dir: str, *extra: str, timeout: int = 400) -> subprocess.CompletedProcess:
    return subprocess.run(crawl_command(seeds_path, archive_dir, *extra), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("e2e")
    seeds = base / "seeds.txt"
    seeds.write_text("# mock site seeds\n" + "\n".join(site.seeds()) + "\nnot a url\n", encoding="utf-8")
    archive = base / "collection"
    result = crawl(str(seeds), str(archive), *FAST)
    log = result.stdout + result.stderr
    (base / "crawl.log").write_text(log)
    assert result.returncode == 0, log[-4000:]
    return {"dir": str(archive), "log": log, "records": read_collection(str(archive)), "site": site}


def responses(records, url):
    return [r for r in records if r.type in ("response", "revisit") and r.uri == url]


def ok_response(records, url):
    found = [r for r in responses(records, url) if r.http_status == 200]
    assert found, f"no 200 response record for {url}; have {[(r.type, r.http_status) for r in responses(records, url)]}"
    # A revisit holds no payload: the content is in the response it refers to.
    full = [r for r in found if r.type == "response"]
    return (full or found)[-1]


def test_malformed_seed_line_is_reported_with_its_line_number(crawled):
    assert re.search(r"seeds\.txt:\d+:", crawled["log"]), crawled["log"][-3000:]


def test_every_file_opens_with_warcinfo_and_is_closed(crawled):
    files = warc_files(crawled["dir"])
    assert files
    assert not [n for n in os.listdir(crawled["dir"]) if n.endswith(".open")]
    first = {}
    for rec in crawled["records"]:
        first.setdefault(rec.filename, rec)
    for name, rec in first.items():
        assert rec.type == "warcinfo", name
        assert rec.offset == 0
    infos = [r.payload.decode() for r in crawled["records"] if r.type == "warcinfo"]
    assert all("software: bioarchive/" in i and "crawl-settings:" in i for i in infos)
    # Every writer's files name the User-Agent the crawl sent (built from CONTACT).
    assert all("http-header-user-agent: bioarchive/" in i and "tests@bioarchive.invalid" in i for i in infos)
    assert all("hostname:" in i and "operator:" in i for i in infos)


def test_every_record_is_warc_1_1_with_matching_sha256_digests(crawled):
    for rec in crawled["records"]:
        assert rec.version == "WARC/1.1", (rec.filename, rec.id)
        if rec.type == "warcinfo":
            continue
        assert rec.header("WARC-Block-Digest", ).startswith("sha256:"), rec.id
        assert rec.digests.block_ok, (rec.filename, rec.offset, rec.uri)
        if rec.type in ("response", "resource", "metadata"):
            assert rec.header("WARC-Payload-Digest").startswith("sha256:"), rec.id
            assert rec.digests.payload_ok, (rec.filename, rec.offset, rec.uri)


def test_requests_and_responses_are_pairs_with_ip(crawled):
    recs = crawled["records"]
    by_id = {r.id: r for r in recs}
    for rec in recs:
        if rec.type == "request":
            partner = by_id.get(rec.header("WARC-Concurrent-To"))
            assert partner is not None and partner.type in ("response", "revisit")
        if rec.type == "response":
            assert rec.header("WARC-IP-Address"), rec.uri


def test_every_seed_and_paginated_article_has_a_200(crawled):
    site, recs = crawled["site"], crawled["records"]
    for key in ("wechat_classic", "wechat_image_post", "wechat_deleted", "thepaper", "gov_list"):
        ok_response(recs, site.urls[key])
    assert len(site.urls["gov_articles"]) >= 10
    for url in site.urls["gov_articles"]:
        ok_response(recs, url)


def test_short_link_redirect_and_target_recorded(crawled):
    site, recs = crawled["site"], crawled["records"]
    short = responses(recs, site.urls["wechat_short"])
    assert short and short[0].http_status == 302


def test_https_pages_recorded_like_http(crawled):
    site, recs = crawled["site"], crawled["records"]
    https = [r for r in recs if r.type == "response" and (r.uri or "").startswith("https://")]
    assert https, "no https responses recorded"
    assert ok_response(recs, site.urls["wechat_classic"]).uri.startswith("https://")


def test_wechat_lazy_images_and_scripts_captured(crawled):
    from crawler.sources import Page, parse

    site, recs = crawled["site"], crawled["records"]
    page = ok_response(recs, site.urls["wechat_classic"])
    fields = parse(Page(url=page.uri, status=200, headers=page.http_headers, body=page.payload))
    assert fields.images, "the served WeChat page has data-src images"
    assert set(fields.images) == set(site.urls["wechat_classic_images"])
    for image in fields.images:
        # WeChat's lazy loader requests data-src with its own parameters appended.
        loaded = [r for r in recs if r.type in ("response", "revisit") and (r.uri or "").startswith(image)]
        assert loaded, f"lazy image never requested: {image}"
        originals = [r for r in recs if r.type == "response" and (r.uri or "").startswith(image)]
        assert originals and originals[0].http_status == 200
        # The real photo, not the host's anti-hotlinking placeholder (a PNG).
        assert originals[0].http_headers.get("content-type") == "image/jpeg"
    scripts = re.findall(rb'<script[^>]+src="([^"]+)"', page.payload)
    assert scripts
    for src in scripts:
        url = src.decode()
        if url.startswith("/"):
            parts = urlsplit(page.uri)
            url = f"{parts.scheme}://{parts.netloc}{url}"
        ok_response(recs, url)


def _rendered_for(recs, response):
    linked = [r for r in recs if r.header("WARC-Concurrent-To") == response.id and r.type in ("resource", "metadata")]
    return {r.header("Content-Type").split(";")[0]: r for r in linked}, linked


@pytest.mark.parametrize("key", ["wechat_classic", "wechat_image_post", "thepaper"])
def test_articles_have_screenshot_dom_and_metadata_linked_by_record_id(crawled, key):
    site, recs = crawled["site"], crawled["records"]
    response = ok_response(recs, site.urls[key])
    by_type, linked = _rendered_for(recs, response)
    assert set(by_type) >= {"image/png", "text/html", "application/json"}, [r.uri for r in linked]
    for rec in linked:
        assert rec.header("WARC-Refers-To") == response.id
    assert by_type["image/png"].payload.startswith(b"\x89PNG\r\n\x1a\n")
    meta = json.loads(by_type["application/json"].payload)
    assert meta["response_record_id"] == response.id
    assert meta["browser"]["version"] and meta["browser"]["viewport"]
    assert "redirect_chain" in meta and "outlinks" in meta


def _without_scripts(html: str) -> str:
    return re.sub(r"(?is)<script\b.*?</script>", "", html)


def test_dom_holds_javascript_only_text(crawled):
    from crawler.sources import Page, parse

    site, recs = crawled["site"], crawled["records"]
    for key in ("wechat_image_post", "thepaper"):
        response = ok_response(recs, site.urls[key])
        by_type, _ = _rendered_for(recs, response)
        dom = _without_scripts(by_type["text/html"].payload.decode("utf-8"))
        served = _without_scripts(response.payload.decode("utf-8"))
        fields = parse(Page(url=response.uri, status=200, headers=response.http_headers, body=response.payload))
        sentence = next(line.strip() for line in fields.body_text.splitlines() if len(line.strip()) > 12)[:12]
        assert sentence not in served, f"{key}: text should only exist after JavaScript"
        assert sentence in dom, f"{key}: rendered DOM lacks {sentence!r}"
    # WeChat classic: publish time is empty as served and filled in the DOM.
    response = ok_response(recs, site.urls["wechat_classic"])
    by_type, _ = _rendered_for(recs, response)
    assert re.search(rb'<em[^>]*id="publish_time"[^>]*>\s*</em>', response.payload)
    assert re.search(r'<em[^>]*id="publish_time"[^>]*>\s*\d{4}', by_type["text/html"].payload.decode())


def test_faults_are_recorded_and_the_crawl_goes_on(crawled):
    site, recs = crawled["site"], crawled["records"]
    assert [r for r in responses(recs, site.urls["fault_500"]) if r.http_status == 500]
    assert [r for r in responses(recs, site.urls["fault_404"]) if r.http_status == 404]
    ok_response(recs, site.urls["fault_slow"])
    ok_response(recs, site.urls["fault_big"])
    ok_response(recs, site.urls["fault_binary"])
    errors = visit_errors(recs)
    assert errors.get(site.urls["fault_reset"]), errors
    assert "redirect" in (errors.get(site.urls["fault_loop"]) or ""), errors


def test_cdxj_index_covers_the_collection(crawled):
    path = os.path.join(crawled["dir"], "indexes", "index.cdxj")
    lines = open(path, encoding="utf-8").read().splitlines()
    assert lines == sorted(lines)
    files = {os.path.basename(f) for f in warc_files(crawled["dir"])}
    indexed = {json.loads(line.split(" ", 2)[2])["filename"] for line in lines}
    assert indexed == files


def test_private_targets_refused_without_the_setting(site, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(site.urls["wechat_classic"] + "\n")
    archive = tmp_path / "collection"
    result = crawl(str(seeds), str(archive), "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=0", timeout=180)
    log = result.stdout + result.stderr
    assert "refused private target" in log
    recs = read_collection(str(archive))
    assert not [r for r in recs if r.type in ("response", "request")], [r.uri for r in recs]
