"""`scrapy replay`: what was captured opens in a browser, with the site gone.

Two nights' crawls (module fixture) of a WeChat article (lazy-loaded photos
behind the image host's hot-link rule) and a The Paper page (text rendered by
JavaScript from __NEXT_DATA__); then the mock site is STOPPED, so everything
the browser shows has to come from the archive. One headless Chromium for the
module drives both replays:

- pywb over ARCHIVE_DIR (`scrapy replay --port 0`);
- ReplayWeb.page over the collection's bundle (`scrapy bundle -o`, then
  `scrapy replay FILE.wacz`).

The photos are compared byte for byte with what the image host sends to the
article's own pages, never the placeholder it sends everyone else.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import signal
import socket
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
import zipfile

import psutil
import pytest

from crawler.capture.browser_setup import CHROMIUM_ARGS
from crawler.replay import DEFAULT_VIEWER_DIR, DEFAULT_WAYBACK
from crawler.replay.viewer import ViewerServer, bundle_start_page, parse_range
from mocksite import content, images
from tests.collection import read_collection
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_command

CHROMIUM = "/usr/bin/chromium"


def needs_chromium(test):
    skip = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)")
    return pytest.mark.e2e(pytest.mark.browser(skip(test)))


# --- the collection, with the site stopped ------------------------------------------

@pytest.fixture(scope="module")
def archive(site, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian's chromium (make test installs it)")
    base = tmp_path_factory.mktemp("replay")
    seeds = base / "seeds.txt"
    seeds.write_text(f"{site.urls['wechat_classic']}\n{site.urls['thepaper']}\n", encoding="utf-8")
    archive_dir = str(base / "collection")
    # Two nights: the second capture's unchanged photos are stored as revisit
    # records, which replay has to resolve to the first night's payloads.
    for _night in range(2):
        result = subprocess.run(crawl_command(str(seeds), archive_dir, *TEST_SETTINGS), cwd=ROOT,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    site.stop()
    for port in (site.http_port, site.https_port):  # nothing may come from the live site now
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    records = read_collection(archive_dir)
    wechat = site.urls["wechat_classic"]
    captures = sorted(timestamp14(r.header("WARC-Date")) for r in records
                      if r.type in ("response", "revisit") and r.uri == wechat)
    assert len(captures) == 2 and captures[0] < captures[1], captures
    assert any(r.type == "revisit" and "/mmbiz_jpg/" in r.uri for r in records), "no photo was stored as a revisit"
    by_url = {row["url"]: row["key"] for row in site.catalog()}
    return {
        "dir": archive_dir,
        "base": base,
        "records": records,
        "wechat": wechat,
        "wechat_captures": captures,
        "wechat_post": content.post(by_url[wechat]),
        "wechat_images": site.urls["wechat_classic_images"],
        "thepaper": site.urls["thepaper"],
        "thepaper_post": content.post(by_url[site.urls["thepaper"]]),
    }


def timestamp14(warc_date: str) -> str:
    return re.sub(r"\D", "", warc_date)[:14]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


class Replay:
    """`scrapy replay ...` as an operator runs it; the URLs it printed, by label."""

    def __init__(self, *args: str, archive_dir: str | None = None):
        settings = ["-s", f"ARCHIVE_DIR={archive_dir}"] if archive_dir else []
        self.proc = subprocess.Popen([SCRAPY, "replay", "--port", "0", *args, *settings], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        self.urls: dict[str, str] = {}
        lines: queue.Queue = queue.Queue()

        def read():
            for line in self.proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=60)
            except queue.Empty:
                self.stop()
                raise AssertionError(f"`scrapy replay` printed no URL within 60 s: {self.lines}")
            if line is None:
                raise AssertionError(f"`scrapy replay` exited ({self.proc.wait()}): {self.lines} {self.proc.stderr.read()}")
            self.lines.append(line.rstrip("\n"))
            m = re.match(r"(\w+):\s+(http://\S+)", line)
            if m:
                self.urls[m.group(1)] = m.group(2)
            if line.startswith("Stop with Ctrl-C"):
                break
        m = re.search(r" on (http://[^/\s]+/)", self.lines[0])
        assert m, self.lines
        self.base = m.group(1)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def pywb(archive):
    assert os.access(DEFAULT_WAYBACK, os.X_OK), f"{DEFAULT_WAYBACK} missing: run `make setup`"
    replay = Replay(archive_dir=archive["dir"])
    yield replay
    replay.stop()


def build_wacz(archive: dict) -> str:
    out = str(archive["base"] / "collection.wacz")
    cmd = [SCRAPY, "bundle", "-o", out, "-s", f"ARCHIVE_DIR={archive['dir']}"]
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and os.path.exists(out), (result.stdout[-2000:], result.stderr[-2000:])
    return out


@pytest.fixture(scope="module")
def rwp(archive):
    assert all(os.path.isfile(os.path.join(DEFAULT_VIEWER_DIR, n)) for n in ("ui.js", "sw.js")), \
        f"ReplayWeb.page missing in {DEFAULT_VIEWER_DIR}: run `make setup`"
    replay = Replay(build_wacz(archive))
    yield replay
    replay.stop()


# --- what a person must see -------------------------------------------------------------

def expected_photo(data_src: str) -> bytes:
    """What the image host sends the article's own pages for this address (the mock is stopped)."""
    image_id = urllib.parse.urlsplit(data_src).path.split("/")[2]
    return images.photo(image_id, "jpeg", 640)


def replay_frame(page, url: str, timeout_s: float = 60):
    """The frame showing the archived page (pywb and ReplayWeb.page both load it with the ``mp_`` modifier)."""
    for _ in range(int(timeout_s * 4)):
        for frame in page.frames:
            if "mp_/" + url in frame.url:
                return frame
        page.wait_for_timeout(250)
    raise AssertionError(f"no replay frame for {url}; frames: {[f.url for f in page.frames]}")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def open_page(browser, url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page.goto(url, wait_until="load")
    return context, page, requests


def check_wechat_article(page, archive: dict) -> None:
    frame = replay_frame(page, archive["wechat"])
    frame.wait_for_selector("#js_content", state="visible", timeout=30_000)  # served hidden, revealed by its script
    body = squash(frame.inner_text("#js_content"))
    for paragraph in archive["wechat_post"].paragraphs:
        assert squash(paragraph) in body, paragraph

    wanted = archive["wechat_images"]
    assert frame.eval_on_selector_all("img[data-src]", "imgs => imgs.map(i => i.getAttribute('data-src'))") == wanted
    # The page's own lazy loader fetches a photo only once it scrolls into view.
    frame.evaluate("""async () => {
        for (const img of document.querySelectorAll('img[data-src]')) {
            img.scrollIntoView({block: 'center'});
            await new Promise(r => setTimeout(r, 300));
        }
    }""")
    frame.wait_for_function("""() => [...document.querySelectorAll('img[data-src]')]
        .every(i => i.getAttribute('data-loaded') && i.complete && i.naturalWidth > 0)""", timeout=30_000)
    loaded = frame.evaluate("""async () => Promise.all([...document.querySelectorAll('img[data-src]')].map(async img => {
        const body = await (await fetch(img.currentSrc)).arrayBuffer();
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
        return {src: img.getAttribute('data-src'), current: img.currentSrc,
                width: img.naturalWidth, height: img.naturalHeight, size: body.byteLength,
                sha256: Array.from(digest, b => b.toString(16).padStart(2, '0')).join('')};
    }))""")
    placeholder = images.placeholder()
    for img in loaded:
        photo = expected_photo(img["src"])
        assert "wx_lazy=1" in img["current"], img  # the address the loader asked for, replayed
        assert (img["width"], img["height"]) == (640, 480), img
        assert img["size"] == len(photo) != len(placeholder), img
        assert img["sha256"] == hashlib.sha256(photo).hexdigest(), img


def check_thepaper_page(page, archive: dict) -> None:
    frame = replay_frame(page, archive["thepaper"])
    # The served HTML has an empty #__next: any text in it was written by the page's script.
    frame.wait_for_selector("#__next h1", timeout=30_000)
    rendered = squash(frame.inner_text("#__next"))
    post = archive["thepaper_post"]
    assert squash(post.title) in rendered
    for paragraph in post.paragraphs:
        assert squash(paragraph) in rendered, paragraph


def only_from(requests: list[str], base: str) -> list[str]:
    """Requests that left the replay server: none may (the site is gone, and must not be asked)."""
    origin = urllib.parse.urlsplit(base).netloc
    return [u for u in requests if u.startswith(("http:", "https:")) and urllib.parse.urlsplit(u).netloc != origin]


# --- pywb over the collection -------------------------------------------------------------

def test_pywb_prints_the_newest_capture_and_the_search_page(pywb, archive):
    assert pywb.base.startswith("http://127.0.0.1:"), pywb.lines
    search = pywb.urls["Search"]
    assert search == pywb.base + "bioarchive/"
    m = re.fullmatch(re.escape(search) + r"(\d{14})/(.+)", pywb.urls["Open"])
    assert m and m.group(2) in (archive["wechat"], archive["thepaper"]), pywb.lines
    with urllib.request.urlopen(pywb.urls["Open"], timeout=30) as r:
        assert r.status == 200 and r.headers.get_content_type() == "text/html"


def test_pywb_listens_on_loopback_only(pywb):
    children = psutil.Process(pywb.proc.pid).children(recursive=True)
    assert children, "no wayback process"
    listening = [c.laddr for p in children for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening and all(addr.ip == "127.0.0.1" for addr in listening), listening


@needs_chromium
@pytest.mark.parametrize("night", [0, 1], ids=["first-capture", "newest-capture-with-revisits"])
def test_pywb_wechat_article_text_and_lazy_images(pywb, archive, browser, night):
    ts = archive["wechat_captures"][night]
    context, page, requests = open_page(browser, f"{pywb.urls['Search']}{ts}/{archive['wechat']}")
    try:
        check_wechat_article(page, archive)
        assert only_from(requests, pywb.base) == []
    finally:
        context.close()


@needs_chromium
def test_pywb_thepaper_page_shows_its_script_rendered_text(pywb, archive, browser):
    context, page, requests = open_page(browser, pywb.urls["Search"] + archive["thepaper"])
    try:
        check_thepaper_page(page, archive)
        assert only_from(requests, pywb.base) == []
    finally:
        context.close()


def test_pywb_serves_the_page_as_sent_and_rendered_records_only_under_urn(pywb, archive):
    url, search = archive["thepaper"], pywb.urls["Search"]
    records = archive["records"]
    sent = next(r for r in records if r.type == "response" and r.uri == url and r.http_status == 200)
    dom = next(r for r in records if r.type == "resource" and r.uri == "urn:rendered-dom:" + url)
    shot = next(r for r in records if r.type == "resource" and r.uri == "urn:screenshot:" + url)
    with urllib.request.urlopen(f"{search}{timestamp14(sent.header('WARC-Date'))}id_/{url}", timeout=30) as r:
        assert r.read() == sent.payload  # the server's HTML (empty #__next), not the rendered DOM
    assert sent.payload != dom.payload
    with urllib.request.urlopen(f"{search}{timestamp14(shot.header('WARC-Date'))}id_/urn:screenshot:{url}", timeout=30) as r:
        assert r.headers.get_content_type() == "image/png"
        assert r.read() == shot.payload
    # The printed screenshot link is the newest page's screenshot.
    newest = re.fullmatch(re.escape(search) + r"\d{14}/(.+)", pywb.urls["Open"]).group(1)
    assert pywb.urls["Screenshot"].endswith("id_/urn:screenshot:" + newest)
    with urllib.request.urlopen(pywb.urls["Screenshot"], timeout=30) as r:
        assert r.read()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pywb_stops_on_sigterm_and_takes_wayback_with_it(pywb):
    children = psutil.Process(pywb.proc.pid).children(recursive=True)
    port = urllib.parse.urlsplit(pywb.base).port
    assert pywb.stop() == 0, pywb.proc.stderr.read()
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, alive
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


# --- ReplayWeb.page over a bundle ---------------------------------------------------------

def test_bundle_replay_prints_the_viewer_url_and_the_bundle_hash(rwp, archive):
    assert rwp.base.startswith("http://127.0.0.1:"), rwp.lines
    # The bundle's newest page, at its capture time (ReplayWeb.page's deep link).
    link = urllib.parse.parse_qs(urllib.parse.urlsplit(rwp.urls["Open"]).fragment)
    assert rwp.urls["Open"].startswith(rwp.base), rwp.lines
    assert link["url"][0] in (archive["wechat"], archive["thepaper"]) and re.fullmatch(r"\d{14}", link["ts"][0]), link
    assert rwp.urls["Pages"] == rwp.base + "#view=pages&url="
    bundle = os.path.join(archive["base"], "collection.wacz")
    assert f"Bundle SHA-256: {hashlib.sha256(open(bundle, 'rb').read()).hexdigest()}" in rwp.lines, rwp.lines


@needs_chromium
def test_replaywebpage_wechat_article_text_and_lazy_images(rwp, archive, browser):
    # The newest capture: its photos are revisits of the first night's.
    link = urllib.parse.urlencode({"url": archive["wechat"], "ts": archive["wechat_captures"][-1]})
    context, page, requests = open_page(browser, rwp.base + "#" + link)
    try:
        check_wechat_article(page, archive)
        assert only_from(requests, rwp.base) == []
    finally:
        context.close()


@needs_chromium
def test_replaywebpage_thepaper_page_shows_its_script_rendered_text(rwp, archive, browser):
    context, page, requests = open_page(browser, rwp.base + "#" + urllib.parse.urlencode({"url": archive["thepaper"]}))
    try:
        check_thepaper_page(page, archive)
        assert only_from(requests, rwp.base) == []
    finally:
        context.close()


def test_bundle_replay_stops_on_sigterm(rwp):
    assert rwp.stop() == 0
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", urllib.parse.urlsplit(rwp.base).port), timeout=2).close()


# --- the bundle server, without a browser ---------------------------------------------------

@pytest.fixture
def small_bundle(tmp_path):
    path = tmp_path / "small.wacz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        z.writestr("datapackage.json", json.dumps({"profile": "data-package", "resources": []}))
        z.writestr("pages/pages.jsonl", '{"format": "json-pages-1.0", "id": "pages"}\n'
                   '{"id": "a", "url": "https://example.org/old", "ts": "2026-01-01T00:00:00Z"}\n'
                   '{"id": "b", "url": "https://example.org/new", "ts": "2026-02-01T00:00:00Z"}\n')
        z.writestr("archive/data.bin", bytes(range(256)) * 64)
    return str(path)


@pytest.fixture
def viewer_server(small_bundle, tmp_path):
    viewer = tmp_path / "viewer"
    viewer.mkdir()
    (viewer / "ui.js").write_text("/* ui */")
    (viewer / "sw.js").write_text("/* sw */")
    server = ViewerServer(small_bundle, str(viewer), port=0).start()
    yield server
    server.stop()


def fetch(url: str, headers: dict | None = None, method: str = "GET"):
    req = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_bundle_server_answers_ranges_as_replaywebpage_asks(viewer_server, small_bundle):
    data = open(small_bundle, "rb").read()
    url = viewer_server.base_url.rstrip("/") + viewer_server.bundle_path
    status, headers, body = fetch(url)
    assert (status, body, headers["Content-Type"], headers["Accept-Ranges"]) == (200, data, "application/wacz", "bytes")
    status, headers, body = fetch(url, {"Range": "bytes=10-19"})
    assert (status, body, headers["Content-Range"]) == (206, data[10:20], f"bytes 10-19/{len(data)}")
    status, headers, body = fetch(url, {"Range": "bytes=-7"})
    assert (status, body) == (206, data[-7:])
    status, headers, body = fetch(url, {"Range": f"bytes={len(data) - 3}-"})
    assert (status, body) == (206, data[-3:])
    status, headers, _ = fetch(url, {"Range": f"bytes={len(data)}-"})
    assert (status, headers["Content-Range"]) == (416, f"bytes */{len(data)}")
    status, headers, body = fetch(url, {"Range": "bytes=0-3"}, method="HEAD")
    assert (status, headers["Content-Length"], body) == (206, "4", b"")


def test_bundle_server_serves_only_the_viewer_and_the_bundle(viewer_server):
    base = viewer_server.base_url
    for path in ("ui.js", "replay/sw.js", "replay/ui.js"):
        status, headers, _ = fetch(base + path)
        assert (status, headers["Content-Type"]) == (200, "application/javascript; charset=utf-8"), path
    status, headers, page = fetch(base)
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"<replay-web-page" in page and viewer_server.bundle_path.encode() in page
    assert b'url="https://example.org/new" ts="20260201000000"' in page  # the newest page, with no mainPageURL
    # The replay frame reaches the server only before the service worker controls it: it waits, then reloads.
    status, _, waiting = fetch(base + "replay/?source=x")
    assert status == 200 and b"serviceWorker.ready" in waiting
    for path in ("index.js", "sw.js", "replay/../../etc/passwd", "bundle/small.wacz", "sw.js/../ui.js"):
        assert fetch(base + path)[0] == 404, path
    assert viewer_server.server_address[0] == "127.0.0.1"


def test_bundle_address_changes_with_its_content(small_bundle, viewer_server, tmp_path):
    other = tmp_path / "other" / "small.wacz"
    other.parent.mkdir()
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("datapackage.json", json.dumps({"mainPageURL": "https://example.org/main"}))
    assert bundle_start_page(str(other)) == ("https://example.org/main", "")
    again = ViewerServer(str(other), os.path.dirname(viewer_server.routes["/ui.js"][0]), port=0)
    try:
        assert again.bundle_path != viewer_server.bundle_path  # the viewer's cache is keyed by address
    finally:
        again.server_close()


def test_parse_range():
    assert parse_range(None, 100) is None
    assert parse_range("bytes=0-0", 100) == (0, 0)
    assert parse_range("bytes=90-200", 100) == (90, 99)
    assert parse_range("bytes=0-1,5-6", 100) is None  # several: the whole body is a valid answer
    assert parse_range("bytes=50-10", 100) is None  # invalid: ignored
    assert parse_range("bytes=100-", 100) == "unsatisfiable"
    assert parse_range("bytes=-0", 100) == "unsatisfiable"


# --- bad input: one line, no traceback ----------------------------------------------------

def run_replay(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, "replay", "--port", "0", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_bad_bundles_and_empty_collections_are_one_line_errors(tmp_path):
    not_zip = tmp_path / "broken.wacz"
    not_zip.write_bytes(b"this is not a zip")
    cases = [
        ((str(tmp_path / "missing.wacz"),), "missing.wacz: no such file"),
        ((str(not_zip),), "broken.wacz: cannot be read as a WACZ bundle"),
        ((str(tmp_path / "x.warc.gz"),), "expected a .wacz bundle"),
        (("-s", f"ARCHIVE_DIR={tmp_path / 'nowhere'}"), "no collection at"),
        (("-s", f"ARCHIVE_DIR={tmp_path}"), "no closed WARC files in"),
    ]
    for args, message in cases:
        result = run_replay(*args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.stderr, (args, result.stderr)
