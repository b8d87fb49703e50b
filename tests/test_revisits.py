"""The next night: the same seeds crawled again into the same collection store unchanged payloads as revisits.

Two crawls (module fixture) of the mock site, on the same ports so the URLs
are the same, into one ARCHIVE_DIR with the README's command. The second
night's unchanged pages, images, scripts (warcprox's dedup), screenshots and
rendered DOMs (our writer, the same dedup database) must be revisit records
whose originals are in the collection; and everything downstream (evidence,
reextract, index, bundle, verify) must take them as they are.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import zipfile
from io import BytesIO

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.index import closed_warcs
from crawler.capture.rendered import DOM_URN, SCREENSHOT_URN
from crawler.capture.writer import sha256_b32
from mocksite import MockSite
from tests.collection import read_collection, records_indexed
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_command, free_port
from tests.provenance import check_row

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make test installs it)"),
]

FAST = [*TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
EMPTY = sha256_b32(b"")
PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def scrapy(*args, archive: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, *args, "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    base = tmp_path_factory.mktemp("nights")
    ports, tls = (free_port(), free_port()), str(base / "tls")
    archive = str(base / "collection")
    seeds = base / "seeds.txt"
    out = {"dir": archive, "base": base}
    for night in (1, 2):
        # The mock restarted on the same ports: the same site, the next night.
        with MockSite(http_port=ports[0], https_port=ports[1], tls_dir=tls) as site:
            urls = [site.urls[k] for k in ("wechat_classic", "wechat_image_post", "thepaper", "gov_list")]
            seeds.write_text("\n".join(urls) + "\n", encoding="utf-8")
            done = subprocess.run(crawl_command(str(seeds), archive, *FAST), cwd=ROOT, capture_output=True,
                                  text=True, timeout=600)
        (base / f"night{night}.log").write_text(done.stdout + done.stderr)
        assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
        out[f"files{night}"] = closed_warcs(archive)
        out["site"] = site
    first = set(out["files1"])
    out["second"] = [n for n in out["files2"] if n not in first]
    records = read_collection(archive)
    out["records"] = records
    out["by_id"] = {r.id: r for r in records}
    out["night1"] = [r for r in records if r.filename in first]
    out["night2"] = [r for r in records if r.filename not in first]
    return out


def _payload_digest(rec) -> str | None:
    return rec.header("WARC-Payload-Digest")


def _original(nights, revisit):
    original = nights["by_id"].get(revisit.header("WARC-Refers-To"))
    assert original is not None, f"{revisit.uri}: WARC-Refers-To {revisit.header('WARC-Refers-To')} is not in the collection"
    return original


def test_every_unchanged_payload_of_the_second_night_is_a_revisit(nights):
    stored = {_payload_digest(r) for r in nights["night1"] if r.type in ("response", "resource")}
    again = [r for r in nights["night2"] if r.type in ("response", "resource")
             and _payload_digest(r) in stored and _payload_digest(r) != EMPTY]
    assert not again, [(r.type, r.uri) for r in again]


def test_revisits_name_originals_in_the_collection_with_the_same_payload(nights):
    revisits = [r for r in nights["night2"] if r.type == "revisit"]
    assert revisits
    first = set(nights["files1"])
    for rec in revisits:
        original = _original(nights, rec)
        assert original.type in ("response", "resource"), rec.uri
        assert original.filename in first, rec.uri  # the first night holds the bytes
        assert _payload_digest(original) == _payload_digest(rec), rec.uri
        assert rec.header("WARC-Refers-To-Target-URI") == original.uri
        assert rec.header("WARC-Profile") == PROFILE
        assert rec.digests.block_ok, rec.uri
        # The original's bytes really have that digest.
        assert original.digests.payload_ok, original.uri


def test_pages_images_scripts_screenshots_and_doms_come_back_as_revisits(nights):
    site, night2 = nights["site"], nights["night2"]
    revisited = {r.uri for r in night2 if r.type == "revisit"}
    pages = [site.urls[k] for k in ("wechat_classic", "wechat_image_post", "thepaper", "gov_list")]
    pages += site.urls["gov_articles"][:3]
    for url in pages:
        assert url in revisited, f"page {url} not a revisit on night 2"
        assert SCREENSHOT_URN + url in revisited, f"screenshot of {url} not a revisit on night 2"
        assert DOM_URN + url in revisited, f"rendered DOM of {url} not a revisit on night 2"
    images = [u for u in revisited if u.startswith(tuple(site.urls["wechat_classic_images"]))]
    assert len(images) >= len(site.urls["wechat_classic_images"])
    assert [u for u in revisited if u.split("?")[0].endswith(".js")], "no script came back as a revisit"


def test_rendered_revisits_keep_the_link_to_their_own_page(nights):
    by_id = nights["by_id"]
    rendered = [r for r in nights["night2"] if r.type == "revisit" and r.uri.startswith((SCREENSHOT_URN, DOM_URN))]
    assert rendered
    for rec in rendered:
        page = by_id[rec.header("WARC-Concurrent-To")]
        assert page.filename not in nights["files1"]  # this night's capture of the page
        assert page.type in ("response", "revisit") and rec.uri.split(":", 2)[2] == page.uri
        assert rec.header("Content-Length") == "0" and rec.header("WARC-Block-Digest") == EMPTY
        original = _original(nights, rec)
        assert original.type == "resource" and original.uri == rec.uri
        assert rec.header("WARC-Refers-To-Date") == original.header("WARC-Date")
    # Metadata describes one visit: never a revisit.
    assert [r for r in nights["night2"] if r.type == "metadata"]


def test_the_second_night_adds_well_under_half_the_bytes(nights):
    archive = nights["dir"]
    first = sum(os.path.getsize(os.path.join(archive, n)) for n in nights["files1"])
    second = sum(os.path.getsize(os.path.join(archive, n)) for n in nights["second"])
    assert second < first / 2, (first, second)


def test_the_record_index_has_the_revisits_with_their_originals(nights):
    from crawler.capture.records import RecordIndex, index_path

    index = RecordIndex(index_path(nights["dir"]))
    try:
        for rec in (r for r in nights["night2"] if r.type == "revisit"):
            row = index.get(rec.id)
            assert row is not None and row.warc_type == "revisit", rec.uri
            assert row.refers_to == rec.header("WARC-Refers-To") and row.payload_digest == _payload_digest(rec)
    finally:
        index.close()


def test_the_cdxj_index_holds_the_rendered_revisits(nights):
    with open(os.path.join(nights["dir"], "indexes", "index.cdxj"), encoding="utf-8") as f:
        entries = [json.loads(line.split(" ", 2)[2]) for line in f]
    at = {(e["filename"], int(e["offset"])) for e in entries if e.get("mime") == "warc/revisit"}
    for rec in (r for r in nights["night2"] if r.type == "revisit" and r.uri.startswith(SCREENSHOT_URN)):
        assert (rec.filename, rec.offset) in at, rec.uri


def _second_night_captures(nights, store):
    night2 = {r.id for r in nights["night2"]}
    return [c for c in store.captures() if c["capture_record_id"] in night2]


def test_evidence_of_the_second_capture_names_the_original_holding_the_text(nights):
    from pipelines.store import EvidenceStore

    first = set(nights["files1"])
    with EvidenceStore(nights["dir"]) as store:
        captures = _second_night_captures(nights, store)
        rows = [r for r in store.rows() if r["capture_record_id"] in {c["capture_record_id"] for c in captures}]
    assert captures and rows
    sources = set()
    for capture in captures:
        holder = nights["by_id"][capture["warc_record_id"]]
        assert holder.filename in first, capture["url"]  # the text is read from the original ...
        assert capture["payload_digest"] == _payload_digest(holder)
        assert nights["by_id"][capture["capture_record_id"]].type == "revisit"  # ... for this night's capture
        sources.add(capture["text_source"])
    assert sources == {"response", "rendered-dom"}  # unchanged DOMs are followed to their originals too
    for row in rows:
        check_row(nights["dir"], row)


def test_reextract_follows_page_and_dom_revisits(nights, tmp_path):
    from pipelines.store import EvidenceStore

    copy = str(tmp_path / "collection")
    shutil.copytree(nights["dir"], copy)
    os.remove(os.path.join(copy, "state", "evidence.sqlite"))
    done = scrapy("reextract", archive=copy)
    assert done.returncode == 0, done.stdout + done.stderr
    with EvidenceStore(copy) as again, EvidenceStore(nights["dir"]) as crawled:
        redone = {c["capture_record_id"]: c for c in _second_night_captures(nights, again)}
        during = {c["capture_record_id"]: c for c in _second_night_captures(nights, crawled)}
    assert redone.keys() == during.keys()
    for rid, capture in during.items():
        assert (redone[rid]["warc_record_id"], redone[rid]["text_source"]) == \
            (capture["warc_record_id"], capture["text_source"])


# --- bundles ---------------------------------------------------------------------------

def _bundle_records(path) -> dict[str, dict]:
    found = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("archive/") and name.endswith(".warc.gz"):
                for rec in ArchiveIterator(BytesIO(z.read(name)), no_record_parse=True):
                    h = rec.rec_headers
                    found[h.get_header("WARC-Record-ID")] = {"type": rec.rec_type, "uri": h.get_header("WARC-Target-URI"),
                                                             "refers_to": h.get_header("WARC-Refers-To")}
    return found


def _verify(path) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, "verify", path], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_a_bundle_of_both_nights_verifies(nights):
    out = str(nights["base"] / "both-nights.wacz")
    done = scrapy("bundle", "-o", out, archive=nights["dir"])
    assert done.returncode == 0, done.stdout + done.stderr
    result = _verify(out)
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("VALID"), result.stdout
    held = _bundle_records(out)
    assert [r for r in held.values() if r["type"] == "revisit" and r["uri"].startswith(SCREENSHOT_URN)]


@pytest.fixture(scope="module")
def night2_page(nights):
    """`scrapy bundle --url` of one page, only its second-night visit."""
    url = nights["site"].urls["thepaper"]
    since = min(r.header("WARC-Date") for r in nights["night2"])
    out = str(nights["base"] / "night2-page.wacz")
    done = scrapy("bundle", "-o", out, "--url", url, "--since", since, archive=nights["dir"])
    assert done.returncode == 0, done.stdout + done.stderr
    return {"path": out, "url": url, "records": _bundle_records(out)}


def test_a_night_two_page_bundle_carries_its_revisits_originals_and_verifies(nights, night2_page):
    held, url = night2_page["records"], night2_page["url"]
    for urn in (SCREENSHOT_URN, DOM_URN):
        revisits = [(rid, r) for rid, r in held.items() if r["type"] == "revisit" and r["uri"] == urn + url]
        assert len(revisits) == 1, (urn, revisits)  # this visit's, not the first night's too
        rid, revisit = revisits[0]
        assert nights["by_id"][rid].filename not in nights["files1"]
        assert held.get(revisit["refers_to"], {}).get("type") == "resource"  # its original is inside
    page = [r for r in held.values() if r["uri"] == url and r["type"] == "revisit"]
    assert page and all(r["refers_to"] in held for r in page)
    result = _verify(night2_page["path"])
    assert result.returncode == 0 and result.stdout.strip().splitlines()[-1].startswith("VALID"), result.stdout


def test_a_night_two_page_bundle_holds_what_its_unchanged_dom_references(nights):
    """Cross-origin images are attributed to a visit through its DOM: a DOM revisit is read through its original."""
    site = nights["site"]
    since = min(r.header("WARC-Date") for r in nights["night2"])
    out = str(nights["base"] / "night2-wechat.wacz")
    done = scrapy("bundle", "-o", out, "--url", site.urls["wechat_classic"], "--since", since, archive=nights["dir"])
    assert done.returncode == 0, done.stdout + done.stderr
    held = _bundle_records(out)
    assert [r for r in held.values() if r["type"] == "revisit" and r["uri"] == DOM_URN + site.urls["wechat_classic"]]
    night2 = {r.id for r in nights["night2"]}
    for image in site.urls["wechat_classic_images"]:
        copies = [rid for rid, r in held.items() if (r["uri"] or "").startswith(image) and r["type"] in ("response", "revisit")]
        assert [rid for rid in copies if rid in night2], f"night 2's copy of {image} is not in the bundle"


def test_verify_names_a_screenshot_revisit_whose_original_is_missing(nights, night2_page, tmp_path):
    from crawler.bundle.keys import key_path, load_or_create_key
    from tests.tamper import Bundle, forge_custody

    bundle = Bundle(night2_page["path"])
    member, revisit = bundle.find(lambda r: r["type"] == "revisit" and r["uri"].startswith(SCREENSHOT_URN))
    original_id = night2_page["records"][revisit["id"]]["refers_to"]
    member_o, original = bundle.find(lambda r: r["id"] == original_id)
    bundle.replace_record(member_o, original, None)  # and its CDXJ line
    forge_custody(bundle)
    bundle.update_manifest()
    key, _ = load_or_create_key(key_path({"ARCHIVE_DIR": nights["dir"]}))
    bundle.resign(key)  # signed as it is: a bundler that forgot the original
    result = _verify(bundle.save(str(tmp_path / "no-original.wacz")))
    assert result.returncode == 1, result.stdout
    lines = [line for line in result.stdout.splitlines() if revisit["id"] in line]
    assert any("original" in line and original_id in line for line in lines), result.stdout


# --- the baseline's switches -------------------------------------------------------------

def test_warcprox_dedup_off_writes_every_payload_in_full(tmp_path):
    """WARCPROX_DEDUP=0 starts warcprox with --no-dedup (its dedup database is /dev/null)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    import threading

    import requests
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    class Same(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<html><body>the same every time</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    origin = ThreadingHTTPServer(("127.0.0.1", 0), Same)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{origin.server_address[1]}/page"
    try:
        kinds = {}
        for dedup in (True, False):
            archive = tmp_path / f"dedup-{dedup}"
            crawler = get_crawler(settings_dict={
                "EXTENSIONS": {"crawler.capture.proxy.RecordingProxy": 100}, "ARCHIVE_DIR": str(archive),
                "ALLOW_PRIVATE_TARGETS": True, "WARCPROX_DEDUP": dedup, "MEMUSAGE_ENABLED": False})
            proxy = crawler.settings["CAPTURE_PROXY_URL"]
            with requests.Session() as s:
                s.trust_env = False
                for _ in range(2):
                    assert s.get(url, proxies={"http": proxy}, timeout=30).status_code == 200
                    # warcprox answers before it records: let the exchange reach the WARC (and the
                    # dedup database) before asking again, as the next night would.
                    deadline = time.monotonic() + 30
                    while records_indexed(str(archive), "response") < 1 or (dedup and not _dedup_rows(archive)):
                        assert time.monotonic() < deadline, "the first exchange was never recorded"
                        time.sleep(0.05)
            crawler.signals.send_catch_log(signals.engine_stopped)
            kinds[dedup] = [r.type for r in read_collection(str(archive)) if r.uri == url and r.type != "request"]
            assert os.path.exists(archive / "state" / "dedup.sqlite") == dedup
    finally:
        origin.shutdown()
    assert kinds == {True: ["response", "revisit"], False: ["response", "response"]}


# --- the same page, the same screenshot ------------------------------------------------------

_ANIMATED = """<html><body><style>
@keyframes spin { from { transform: rotate(0deg); } to { transform: rotate(360deg); } }
.spinner { width: 80px; height: 80px; background: linear-gradient(red, blue); animation: spin 1.3s linear infinite; }
.fade { transition: opacity 5s; opacity: 0.2; } .fade.in { opacity: 1; }
</style><div class="spinner"></div><p class="fade" id="f">公告</p><input autofocus value="caret">
<script>setTimeout(() => document.getElementById('f').classList.add('in'), 10)</script></body></html>"""


def test_an_animated_page_gives_the_same_screenshot_every_time():
    """A spinner, a fade-in and a focused input: our screenshot settings make them still (see behaviours)."""
    import asyncio

    from playwright.async_api import async_playwright
    from scrapy.settings import Settings

    from crawler.capture.behaviours import _screenshot

    async def shots():
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium")
            try:
                page = await browser.new_page()
                await page.set_content(_ANIMATED)
                settings = Settings({"BROWSER_SCREENSHOT_MAX_HEIGHT": 20000})
                taken = []
                for _ in range(3):
                    taken.append(await _screenshot(page, settings, {}))
                    await asyncio.sleep(0.37)  # the spinner is elsewhere in its turn each time
                return taken
            finally:
                await browser.close()

    taken = asyncio.run(shots())
    assert all(png and png.startswith(b"\x89PNG") for png in taken)
    assert len({sha256_b32(png) for png in taken}) == 1


def _dedup_rows(archive) -> int:
    """Payloads in warcprox's dedup database so far."""
    import sqlite3

    try:
        db = sqlite3.connect(f"file:{archive}/state/dedup.sqlite?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM dedup").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0
