"""The recording proxy (crawler.capture.proxy_server) against local http and https origins.

Everything runs on 127.0.0.1: an origin server (plain and TLS with a trustme
CA), the proxy as a subprocess, clients through it; then the WARC files are
read back with warcio and byte by byte.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import trustme
import urllib3
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.records import RecordIndex, index_path
from crawler.capture.writer import sha256_b32

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME_RE = re.compile(r"^T-\d{17}-\d{5}-[a-z0-9]{8}\.warc\.gz$")
urllib3.disable_warnings()
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

PAGE = "<html><head><title>公告</title></head><body>通报 notice</body></html>".encode("utf-8")
GZ_BODY = gzip.compress(b"".join(b"line %d of a chunked, gzipped body\n" % i for i in range(400)))


def _raw_page() -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(PAGE)}\r\nX-Case-Kept: Yes\r\n\r\n"
    ).encode()
    return head + PAGE


def _raw_chunked_gzip() -> bytes:
    pieces = [GZ_BODY[:100], GZ_BODY[100:333], GZ_BODY[333:]]
    # Upper-case hex and a chunk extension: framing a re-encoder would not reproduce.
    framed = b"".join(b"%X;x=1\r\n" % len(p) + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: gzip\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    return head + framed


def _raw_big(size: int) -> bytes:
    body = os.urandom(size)  # incompressible, and never a dedup hit
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size + body


class Origin(BaseHTTPRequestHandler):
    """Writes whole responses itself, so the test knows every byte that crossed the wire."""

    protocol_version = "HTTP/1.1"
    sent: dict[str, bytes] = {}

    def do_GET(self):
        if self.path == "/page":
            raw = _raw_page()
        elif self.path == "/chunked-gzip":
            raw = _raw_chunked_gzip()
        elif self.path.startswith("/big"):
            raw = _raw_big(int(self.path.split("=")[1]))
        elif self.path == "/status":
            body = b"the origin's own status page"
            raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        else:
            raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        self.sent[self.path] = raw
        self.wfile.write(raw)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def http_origin():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def https_origin():
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Origin)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


class Proxy:
    def __init__(self, archive_dir, *extra, rollover=1_000_000_000):
        self.archive_dir = str(archive_dir)
        base = os.path.dirname(self.archive_dir)
        self.ready = os.path.join(base, "ready.json")
        self.stderr_path = os.path.join(base, "proxy.stderr")
        warcinfo = os.path.join(base, "warcinfo.json")
        with open(warcinfo, "w") as f:
            json.dump([["software", "bioarchive/0.1.0"], ["operator", "test-operator"], ["writer", "warcprox"]], f)
        cmd = [
            sys.executable, "-m", "crawler.capture.proxy_server", "--archive-dir", self.archive_dir,
            "--prefix", "T", "--rollover-size", str(rollover), "--port", "0",
            "--ready-file", self.ready, "--warcinfo", warcinfo, *extra,
        ]
        env = dict(os.environ, PYTHONPATH=ROOT)
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(cmd, cwd=base, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.time() + 30
        while not os.path.exists(self.ready):
            assert self.proc.poll() is None, self.stderr()
            assert time.time() < deadline, "proxy did not come up"
            time.sleep(0.05)
        with open(self.ready) as f:
            self.info = json.load(f)
        self.url = f"http://127.0.0.1:{self.info['port']}"

    def get(self, url, **kw):
        with requests.Session() as s:
            s.trust_env = False
            return s.get(url, proxies={"http": self.url, "https": self.url}, verify=False, timeout=30, **kw)

    def stop(self, sig=signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=60)
        self._stderr.close()
        return code

    def stderr(self) -> str:
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def warcs(self) -> list[str]:
        return sorted(n for n in os.listdir(self.archive_dir) if ".warc" in n)

    def log(self) -> str:
        with open(os.path.join(self.archive_dir, "logs", "warcprox.log"), encoding="utf-8") as f:
            return f.read()


@pytest.fixture
def proxies(tmp_path):
    started = []

    def start(*extra, rollover=1_000_000_000):
        p = Proxy(tmp_path / "archive", *extra, rollover=rollover)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()


# --- reading WARCs back ---------------------------------------------------

def gzip_members(path):
    """(offset, length, decompressed bytes) of every gzip member: one WARC record each."""
    data = open(path, "rb").read()
    offset = 0
    while offset < len(data):
        d = zlib.decompressobj(31)
        out = d.decompress(data[offset:]) + d.flush()
        length = len(data) - offset - len(d.unused_data)
        yield offset, length, out
        offset += length


def parse_record(raw: bytes):
    head, rest = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("utf-8").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    block = rest[: int(headers["Content-Length"])]
    assert rest[len(block):] == b"\r\n\r\n"
    return lines[0], headers, block


def dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            return out
        out, rest = out + rest[:size], rest[size + 2:]


def all_records(proxy):
    """{record_id: (file, offset, length, version, headers, block)} over every file."""
    found = {}
    for name in proxy.warcs():
        for offset, length, raw in gzip_members(os.path.join(proxy.archive_dir, name)):
            version, headers, block = parse_record(raw)
            found[headers["WARC-Record-ID"]] = (name, offset, length, version, headers, block)
    return found


# --- tests ----------------------------------------------------------------

def test_records_http_and_https_exchanges(proxies, http_origin, https_origin):
    proxy = proxies("--allow-private")
    r = proxy.get(f"{http_origin}/page")
    assert r.status_code == 200 and r.content == PAGE
    r = proxy.get(f"{https_origin}/page")  # CONNECT, MITM, upstream cert from a test CA
    assert r.status_code == 200 and r.content == PAGE
    r = proxy.get(f"{http_origin}/chunked-gzip")
    assert r.content == gzip.decompress(GZ_BODY)
    # A client (a page's script) cannot switch recording off.
    r = proxy.get(f"{https_origin}/status", headers={"Warcprox-Meta": json.dumps({"warc-prefix": "-"})})
    assert r.content == b"the origin's own status page"

    assert proxy.stop() == 0
    names = proxy.warcs()
    assert names and all(NAME_RE.match(n) for n in names), names  # no .open left
    records = all_records(proxy)

    for name in names:
        with open(os.path.join(proxy.archive_dir, name), "rb") as f:
            recs = [(rec, rec.content_stream().read()) for rec in ArchiveIterator(f)]
        assert recs[0][0].rec_type == "warcinfo"
        assert all(rec.rec_headers.protocol == "WARC/1.1" for rec, _ in recs)
        info, fields = recs[0][0], recs[0][1].decode()
        assert info.rec_headers.get_header("WARC-Filename") == name
        assert info.rec_headers.get_header("Content-Type") == "application/warc-fields"
        assert "operator: test-operator\r\n" in fields
        assert re.search(r"^software: bioarchive/0\.1\.0 warcprox/\S+\r$", fields, re.M)

    responses = {h["WARC-Target-URI"]: (rid, h, b) for rid, (_, _, _, _, h, b) in records.items()
                 if h["WARC-Type"] in ("response", "revisit")}
    requests_ = [(h, b) for (_, _, _, _, h, b) in records.values() if h["WARC-Type"] == "request"]
    assert set(responses) == {f"{http_origin}/page", f"{https_origin}/page",
                              f"{http_origin}/chunked-gzip", f"{https_origin}/status"}
    for uri, (rid, h, block) in responses.items():
        assert h["WARC-IP-Address"] == "127.0.0.1"
        [req] = [rh for rh, _ in requests_ if rh.get("WARC-Concurrent-To") == rid]
        assert req["WARC-Target-URI"] == uri
        assert block.startswith(b"HTTP/1.1 ")
        assert h["WARC-Block-Digest"] == sha256_b32(block)
        if h["WARC-Type"] == "revisit":
            continue
        body = block.split(b"\r\n\r\n", 1)[1]
        if b"Transfer-Encoding: chunked" in block:
            body = dechunk(body)
        assert h["WARC-Payload-Digest"] == sha256_b32(body)

    # The https page has the http page's payload: warcprox's dedup writes a revisit.
    revisit = responses[f"{https_origin}/page"][1]
    assert revisit["WARC-Type"] == "revisit"
    assert revisit["WARC-Profile"] == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert revisit["WARC-Refers-To"] == responses[f"{http_origin}/page"][0]
    assert revisit["WARC-Refers-To-Target-URI"] == f"{http_origin}/page"
    assert revisit["WARC-Payload-Digest"] == sha256_b32(PAGE)
    assert responses[f"{https_origin}/page"][2] == _raw_page()[: -len(PAGE)]
    for h, block in requests_:
        assert h["WARC-Block-Digest"] == sha256_b32(block)
        assert h["WARC-Payload-Digest"] == sha256_b32(block.split(b"\r\n\r\n", 1)[1])
        assert "Warcprox-Meta" not in block.decode("latin1")

    # Payload-digest convention (warcprox's, kept): over the entity body with the
    # transfer encoding (chunking) removed and the content encoding (gzip) kept.
    chunked = responses[f"{http_origin}/chunked-gzip"][1]["WARC-Payload-Digest"]
    assert chunked == sha256_b32(GZ_BODY)
    assert chunked != sha256_b32(_raw_chunked_gzip().split(b"\r\n\r\n", 1)[1])
    assert chunked != sha256_b32(gzip.decompress(GZ_BODY))

    # The response blocks are the origin's bytes, as sent (header case, chunk framing).
    assert responses[f"{http_origin}/page"][2] == _raw_page()
    assert responses[f"{http_origin}/chunked-gzip"][2] == _raw_chunked_gzip()

    # The record index: one row per record (warcinfo included), pointing at its bytes.
    index = RecordIndex(index_path(proxy.archive_dir))
    assert index.count() == len(records)
    for rid, (name, offset, length, _, h, _) in records.items():
        ref = index.get(rid)
        assert (ref.warc_filename, ref.warc_offset, ref.warc_length) == (name, offset, length)
        assert ref.warc_type == h["WARC-Type"]
        with open(os.path.join(proxy.archive_dir, name), "rb") as f:
            f.seek(ref.warc_offset)
            rec = next(iter(ArchiveIterator(f)))
            assert rec.rec_headers.get_header("WARC-Record-ID") == rid
    page = index.latest(f"{http_origin}/page")
    assert page.status == 200 and page.content_type == "text/html; charset=utf-8"
    assert page.ip_address == "127.0.0.1" and page.payload_digest == sha256_b32(PAGE)
    revisit_ref = index.latest(f"{https_origin}/page")
    assert revisit_ref.warc_type == "revisit" and revisit_ref.refers_to == page.record_id
    assert revisit_ref.status == 200
    index.close()


def test_index_is_prompt(proxies, http_origin):
    proxy = proxies("--allow-private")
    proxy.get(f"{http_origin}/page")
    index = RecordIndex(index_path(proxy.archive_dir))
    deadline = time.time() + 5
    while index.latest(f"{http_origin}/page") is None:
        assert time.time() < deadline, "response not indexed within 5 s"
        time.sleep(0.05)
    index.close()
    assert proxy.stop() == 0


def test_refuses_private_targets(proxies, http_origin, https_origin):
    proxy = proxies()
    for url in (f"{http_origin}/page", f"{https_origin}/page"):
        r = proxy.get(url)
        assert r.status_code == 403
        assert json.loads(r.headers["Warcprox-Meta"]) == {"refused": "private-target"}
        assert b"private target" in r.content
    assert proxy.stop() == 0
    assert proxy.warcs() == []
    lines = proxy.stderr().splitlines()
    for url in (f"{http_origin}/page", f"{https_origin}/page"):
        assert [line for line in lines if url in line] == [
            f"WARNING [bioarchive.proxy] refused private target {url} (127.0.0.1)"]
    assert sum("refused private target" in line for line in proxy.log().splitlines()) == 2


def test_blocked_hosts(proxies):
    proxy = proxies("--allow-private", "--block-host", "blocked.example")
    r = proxy.get("http://update.blocked.example/check")
    assert r.status_code == 403
    assert json.loads(r.headers["Warcprox-Meta"]) == {"refused": "blocked-host"}
    assert proxy.stop() == 0
    assert proxy.warcs() == []
    assert proxy.stderr() == ""
    hits = [line for line in proxy.log().splitlines() if "update.blocked.example" in line]
    assert len(hits) == 1 and " INFO " in hits[0] and "refused blocked host" in hits[0]


def test_warcprox_methods_are_proxied_not_recorded_as_ours(proxies, http_origin):
    proxy = proxies("--allow-private")
    with requests.Session() as s:
        s.trust_env = False
        r = s.request("WARCPROX_WRITE_RECORD", f"{http_origin}/x", proxies={"http": proxy.url},
                      data=b"forged", headers={"WARC-Type": "resource", "Content-Type": "text/plain"})
    assert r.status_code == 501  # the origin's answer to an unknown method
    assert proxy.stop() == 0
    types = sorted(h["WARC-Type"] for (_, _, _, _, h, _) in all_records(proxy).values())
    assert types == ["request", "response", "warcinfo"]


def test_rollover_by_size(proxies, http_origin):
    proxy = proxies("--allow-private", rollover=40_000)
    for i in range(4):
        assert len(proxy.get(f"{http_origin}/big?n=30000{i}").content) == 300000 + i
    assert proxy.stop() == 0
    names = proxy.warcs()
    assert len(names) == 4 and all(NAME_RE.match(n) for n in names)
    assert [n.split("-")[2] for n in names] == ["00000", "00001", "00002", "00003"]
    for name in names:
        with open(os.path.join(proxy.archive_dir, name), "rb") as f:
            types = [rec.rec_type for rec in ArchiveIterator(f)]
        assert types == ["warcinfo", "response", "request"]


def test_sigint_also_closes_files(proxies, http_origin):
    proxy = proxies("--allow-private")
    proxy.get(f"{http_origin}/page")
    assert proxy.stop(signal.SIGINT) == 0
    assert len(proxy.warcs()) == 1 and NAME_RE.match(proxy.warcs()[0])


def test_parent_death_closes_files(tmp_path, http_origin):
    """The crawl is SIGKILLed: the proxy still gets SIGTERM and renames its .open file."""
    archive = tmp_path / "archive"
    ready = tmp_path / "ready.json"
    parent_code = (
        "import os, subprocess, sys, time\n"
        f"p = subprocess.Popen([sys.executable, '-m', 'crawler.capture.proxy_server', '--archive-dir', {str(archive)!r},"
        f" '--prefix', 'T', '--port', '0', '--ready-file', {str(ready)!r}, '--allow-private'],"
        " env=dict(os.environ, BIOARCHIVE_PARENT_PID=str(os.getpid())))\n"
        "print(p.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], env=dict(os.environ, PYTHONPATH=ROOT),
                              stdout=subprocess.PIPE, text=True)
    child_pid = int(parent.stdout.readline())
    try:
        deadline = time.time() + 30
        while not ready.exists():
            assert time.time() < deadline
            time.sleep(0.05)
        port = json.loads(ready.read_text())["port"]
        with requests.Session() as s:
            s.trust_env = False
            s.get(f"{http_origin}/page", proxies={"http": f"http://127.0.0.1:{port}"}, timeout=30)
        time.sleep(0.5)
        assert any(n.endswith(".open") for n in os.listdir(archive))
        parent.kill()
        parent.wait()
        deadline = time.time() + 30
        while _alive(child_pid):
            assert time.time() < deadline, "proxy outlived its parent"
            time.sleep(0.1)
        names = [n for n in os.listdir(archive) if ".warc" in n]
        assert len(names) == 1 and NAME_RE.match(names[0])
    finally:
        if parent.poll() is None:
            parent.kill()
        if _alive(child_pid):
            os.kill(child_pid, signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_blocked_host_matching():
    from crawler.capture.proxy_policy import CaptureProxyHandler, configure_handler

    saved = (CaptureProxyHandler.allow_private, CaptureProxyHandler.allow_localhost, CaptureProxyHandler.blocked_hosts)
    try:
        handler = configure_handler(False, ["google.com", ".gstatic.com."])
        assert handler.allow_localhost is False
        match = lambda h: CaptureProxyHandler._is_blocked_host(handler, h)  # noqa: E731
        assert match("google.com") and match("accounts.google.com") and match("Update.GSTATIC.com.")
        assert not match("notgoogle.com") and not match("google.com.cn") and not match("example.org")
        assert configure_handler(True, []).allow_localhost is True
    finally:
        (CaptureProxyHandler.allow_private, CaptureProxyHandler.allow_localhost, CaptureProxyHandler.blocked_hosts) = saved


# --- the Scrapy extension (crawler.capture.proxy) -------------------------

def _children_with(text: str):
    import psutil

    return [p for p in psutil.Process().children(recursive=True)
            if any(text in part for part in _cmdline(p))]


def _cmdline(p):
    try:
        return p.cmdline()
    except Exception:
        return []


def _extension_crawler(archive, **settings):
    from scrapy.utils.test import get_crawler

    return get_crawler(settings_dict={
        "EXTENSIONS": {"crawler.capture.proxy.RecordingProxy": 100},
        "ARCHIVE_DIR": str(archive), "WARC_PREFIX": "T", "ALLOW_PRIVATE_TARGETS": True,
        "CONTACT": "mailto:archive@example.org", "USER_AGENT": None, "MEMUSAGE_ENABLED": False, **settings,
    })


def test_extension_starts_publishes_and_stops_the_proxy(tmp_path, http_origin):
    from scrapy import signals

    from crawler.capture.proxy import RecordingProxy

    archive = tmp_path / "archive"
    crawler = _extension_crawler(archive)
    [ext] = [e for e in crawler.extensions.middlewares if isinstance(e, RecordingProxy)]
    url, ca = crawler.settings["CAPTURE_PROXY_URL"], crawler.settings["CAPTURE_PROXY_CA"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert ca == str(archive / "state" / "warcprox-ca.pem") and os.path.exists(ca)
    assert crawler.stats.get_value("capture/proxy_port") == int(url.rsplit(":", 1)[1])
    pid = ext.process.pid
    with requests.Session() as s:
        s.trust_env = False
        assert s.get(f"{http_origin}/page", proxies={"http": url}, timeout=30).content == PAGE

    crawler.signals.send_catch_log(signals.engine_stopped)
    assert not _alive(pid)
    assert crawler.stats.get_value("capture/proxy_exit_code") == 0
    [name] = [n for n in os.listdir(archive) if ".warc" in n]
    assert NAME_RE.match(name)
    with open(archive / name, "rb") as f:
        info = next(iter(ArchiveIterator(f))).content_stream().read().decode()
    assert "writer: warcprox\r\n" in info
    assert "http-header-user-agent: bioarchive/" in info and "mailto:archive@example.org" in info
    assert not [n for n in os.listdir(archive / "state") if n.startswith("warcprox-ready")]


def test_extension_uses_a_running_warcprox(tmp_path):
    crawler = _extension_crawler(tmp_path / "archive", WARCPROX_ADDRESS="127.0.0.1:8999")
    assert crawler.settings["CAPTURE_PROXY_URL"] == "http://127.0.0.1:8999"
    assert not _children_with("crawler.capture.proxy_server")


def test_extension_refuses_to_crawl_when_the_proxy_fails(tmp_path):
    from crawler.capture.proxy import RecordingProxyError

    archive = tmp_path / "archive"
    os.makedirs(archive / "state" / "warcprox-ca.pem")  # a directory where the CA file goes
    with pytest.raises(RecordingProxyError) as exc:
        _extension_crawler(archive)
    message = str(exc.value)
    assert "\n" not in message and message.startswith("recording proxy (warcprox) exited with code 1")
    assert not _children_with(str(archive))


def test_extension_startup_timeout_leaves_no_orphan(tmp_path):
    from crawler.capture.proxy import RecordingProxyError

    archive = tmp_path / "archive"
    with pytest.raises(RecordingProxyError, match=r"did not start within 0\.01 s"):
        _extension_crawler(archive, WARCPROX_STARTUP_TIMEOUT=0.01)
    assert not _children_with(str(archive))


# --- a real Scrapy crawl through extension + middlewares ------------------

CRAWL_SCRIPT = r'''
import json, sys
import scrapy
from scrapy.crawler import CrawlerProcess

urls, allow, archive, out = json.loads(sys.argv[1]), sys.argv[2] == "allow", sys.argv[3], sys.argv[4]

class Probe(scrapy.Spider):
    name = "probe"
    async def start(self):
        for url in urls:
            yield scrapy.Request(url, dont_filter=True)
    def parse(self, response):
        yield {"url": response.url, "status": response.status, "body": response.text[:200],
               "proxy": response.meta.get("proxy")}

process = CrawlerProcess({
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "EXTENSIONS": {"crawler.capture.proxy.RecordingProxy": 100},
    "DOWNLOADER_MIDDLEWARES": {
        "crawler.capture.middleware.PrivateTargetMiddleware": 50,
        "crawler.capture.middleware.RecordingProxyMiddleware": 740,
    },
    "ARCHIVE_DIR": archive, "WARC_PREFIX": "T", "ALLOW_PRIVATE_TARGETS": allow,
    "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO",
    "FEEDS": {out: {"format": "json"}},
})
process.crawl(Probe)
process.start()
'''


def _crawl(tmp_path, urls, allow):
    script = tmp_path / "crawl.py"
    script.write_text(CRAWL_SCRIPT)
    archive, out = tmp_path / "archive", tmp_path / "items.json"
    result = subprocess.run(
        [sys.executable, str(script), json.dumps(urls), "allow" if allow else "deny", str(archive), str(out)],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    items = json.loads(out.read_text()) if out.exists() else []
    return archive, items, result.stderr


def test_scrapy_crawl_is_recorded(tmp_path, http_origin, https_origin):
    urls = [f"{http_origin}/page", f"{https_origin}/chunked-gzip"]
    archive, items, log = _crawl(tmp_path, urls, allow=True)
    assert {i["url"]: i["status"] for i in items} == {u: 200 for u in urls}
    assert all(i["proxy"].startswith("http://127.0.0.1:") for i in items)
    assert "Recording proxy (pid" in log and "exited with code 0" in log
    names = [n for n in os.listdir(archive) if ".warc" in n]
    assert len(names) == 1 and NAME_RE.match(names[0])
    with open(archive / names[0], "rb") as f:
        recorded = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI")) for r in ArchiveIterator(f)]
    for url in urls:
        assert ("response", url) in recorded and ("request", url) in recorded


def test_scrapy_crawl_refuses_private_targets(tmp_path, http_origin):
    url = f"{http_origin}/page"
    archive, items, log = _crawl(tmp_path, [url], allow=False)
    assert items == []
    assert [line for line in log.splitlines() if "refused private target" in line] == [
        line for line in log.splitlines() if line.endswith(f"refused private target {url} (127.0.0.1)")]
    assert sum("refused private target" in line for line in log.splitlines()) == 1
    assert "'capture/refused_private': 1" in log
    assert not [n for n in os.listdir(archive) if ".warc" in n]


def test_peer_address_is_checked_after_connecting(tmp_path, http_origin, monkeypatch, caplog):
    """DNS rebinding: the name looked public when checked, the connection lands on loopback."""
    import argparse

    from crawler.capture import proxy_policy, proxy_server

    monkeypatch.setattr(proxy_policy, "_RESOLVED", {})
    monkeypatch.setattr(proxy_policy.netpolicy, "private_host", lambda host, port: None)
    saved = (proxy_policy.CaptureProxyHandler.allow_private, proxy_policy.CaptureProxyHandler.allow_localhost,
             proxy_policy.CaptureProxyHandler.blocked_hosts)
    args = argparse.Namespace(archive_dir=str(tmp_path / "archive"), prefix="T", rollover_size=10**9, port=0,
                              warcinfo=None)
    for d in (args.archive_dir, proxy_server.state_dir(args.archive_dir), proxy_server.logs_dir(args.archive_dir)):
        os.makedirs(d, exist_ok=True)
    controller = proxy_server.CaptureController(
        proxy_server.build_options(args), proxy_policy.configure_handler(False, []), None)
    controller.start()
    try:
        with requests.Session() as s:
            s.trust_env = False
            r = s.get(f"{http_origin}/page", proxies={"http": f"http://127.0.0.1:{controller.port}"}, timeout=30)
        assert r.status_code == 403
        assert json.loads(r.headers["Warcprox-Meta"]) == {"refused": "private-target"}
    finally:
        controller.shutdown()
        (proxy_policy.CaptureProxyHandler.allow_private, proxy_policy.CaptureProxyHandler.allow_localhost,
         proxy_policy.CaptureProxyHandler.blocked_hosts) = saved
    refusals = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert refusals == [f"refused private target {http_origin}/page (127.0.0.1)"]
    assert not [n for n in os.listdir(args.archive_dir) if ".warc" in n]
