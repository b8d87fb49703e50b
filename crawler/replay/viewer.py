"""ReplayWeb.page over one WACZ bundle, served from 127.0.0.1.

ReplayWeb.page runs entirely in the browser: ``ui.js`` draws the viewer and
``sw.js`` (a service worker, which needs a secure context: http://127.0.0.1 or
http://localhost is one) reads the WACZ with HTTP range requests and replays
from it. This server therefore needs to do little, but do it exactly:

    /                    a page with <replay-web-page source=... url=...>
    /ui.js               the viewer
    /replay/sw.js        the service worker (its scope is /replay/)
    /replay/ui.js        the viewer again, for the replay frame the worker serves
    /replay/             only reached while the worker is not yet in control: a page
                         that reloads itself once it is (the viewer gives up after 0.3 s)
    /bundle/<sha>/NAME   the bundle, with Range support (206, Content-Range)

Nothing else is served. The bundle's SHA-256 is in its address: the viewer
caches what it read by address, so a different file under the same name can
never be shown from the cache of an earlier one.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import urllib.parse
import zipfile
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from crawler.replay import HOST
from crawler.custody import sha256_file

VIEWER_FILES = ("ui.js", "sw.js")
JS = "application/javascript; charset=utf-8"
WACZ = "application/wacz"
CHUNK = 1 << 16


# The viewer's frame (/replay/?source=...) is served by the service worker. A
# frame loaded before the worker took control reaches this server instead; the
# viewer retries only three times, 100 ms apart, which a busy machine misses.
WAIT_FOR_WORKER = b"""<!doctype html>
<html><head><meta charset="utf-8"><title>Loading the archive viewer</title></head>
<body><p>Loading the archive viewer&hellip;</p>
<script>
(function () {
  // A reload after the worker is active is under its control; seeing this page
  // again within seconds of one means it never will be (e.g. a forced reload).
  var key = "bioarchive-sw-reload", last = Number(sessionStorage.getItem(key) || 0);
  if (!("serviceWorker" in navigator) || Date.now() - last < 3000) {
    document.body.textContent = "The archive viewer could not start its service worker: reload the page, "
      + "in a current browser, at http://127.0.0.1 or http://localhost.";
    return;
  }
  navigator.serviceWorker.ready.then(function () {
    sessionStorage.setItem(key, String(Date.now()));
    location.reload();
  });
})();
</script></body></html>
"""


class BundleError(Exception):
    """Not a WACZ we can serve; the message names the file."""


def bundle_start_page(path: str) -> tuple[str, str]:
    """``(url, timestamp)`` to open first: datapackage.json's mainPageURL, else the newest of pages/pages.jsonl."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "datapackage.json" not in names:
                raise BundleError(f"{path}: not a WACZ bundle (no datapackage.json)")
            try:
                package = json.loads(z.read("datapackage.json"))
            except ValueError as e:
                raise BundleError(f"{path}: datapackage.json is not JSON ({e})") from None
            if isinstance(package, dict) and package.get("mainPageURL"):
                return str(package["mainPageURL"]), timestamp14(str(package.get("mainPageDate") or ""))
            if "pages/pages.jsonl" not in names:
                return "", ""
            newest = ("", "")
            with z.open("pages/pages.jsonl") as f:
                for line in f:  # streamed
                    try:
                        page = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(page, dict) and page.get("url") and str(page.get("ts", "")) >= newest[1]:
                        newest = (str(page["url"]), str(page.get("ts", "")))
            return newest[0], timestamp14(newest[1])
    except (zipfile.BadZipFile, OSError) as e:
        raise BundleError(f"{path}: cannot be read as a WACZ bundle ({e})") from None


def timestamp14(rfc3339: str) -> str:
    digits = "".join(c for c in rfc3339 if c.isdigit())
    return digits[:14] if len(digits) >= 14 else ""


def parse_range(header: str | None, size: int):
    """``(start, end)`` inclusive for one satisfiable byte range; None: send it all; "unsatisfiable"."""
    if not header:
        return None
    m = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", header)
    if not m or (not m.group(1) and not m.group(2)):
        return None  # several ranges, or a unit we do not know: the whole file is a valid answer
    first, last = m.group(1), m.group(2)
    if first:
        start = int(first)
        if last and int(last) < start:
            return None  # not a valid range (RFC 9110 14.1.1): ignored
        if start >= size:
            return "unsatisfiable"
        end = min(int(last), size - 1) if last else size - 1
    else:  # the last N bytes
        n = int(last)
        if n == 0 or size == 0:
            return "unsatisfiable"
        start, end = max(0, size - n), size - 1
    return start, end


def index_html(title: str, source: str, url: str, ts: str = "") -> bytes:
    # deeplink: the viewer follows #url=...&ts=... in the address, so a link can name a capture.
    attrs = f'source="{html.escape(source)}" replaybase="./replay/" deeplink'
    if url:
        attrs += f' url="{html.escape(url)}"'
    if url and ts:
        attrs += f' ts="{html.escape(ts)}"'
    return f"""<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<script src="./ui.js"></script>
<style>html, body {{ margin: 0; padding: 0; height: 100%; }} replay-web-page {{ display: block; height: 100vh; }}</style>
</head>
<body>
<replay-web-page {attrs}></replay-web-page>
</body>
</html>
""".encode("utf-8")


class ViewerServer(ThreadingHTTPServer):
    """ReplayWeb.page and one bundle on 127.0.0.1:port (0: a free port)."""

    daemon_threads = True

    def __init__(self, bundle: str, viewer_dir: str, port: int = 8080, start_url: str | None = None,
                 verbose: bool = False):
        bundle = os.path.abspath(bundle)
        if not os.path.isfile(bundle):
            raise BundleError(f"{bundle}: no such file")
        missing = [n for n in VIEWER_FILES if not os.path.isfile(os.path.join(viewer_dir, n))]
        if missing:
            raise BundleError(f"ReplayWeb.page is not installed ({', '.join(missing)} missing in {viewer_dir}): run `make setup`")
        self.start_url, self.start_ts = bundle_start_page(bundle) if start_url is None else (start_url, "")
        self.bundle = bundle
        self.sha256, _size = sha256_file(bundle)
        self.verbose = verbose
        name = os.path.basename(bundle)
        self.bundle_path = f"/bundle/{self.sha256[:16]}/{urllib.parse.quote(name)}"
        ui, sw = (os.path.join(viewer_dir, n) for n in VIEWER_FILES)
        self.routes = {
            "/ui.js": (ui, JS),
            "/replay/ui.js": (ui, JS),
            "/replay/sw.js": (sw, JS),
            self.bundle_path: (bundle, WACZ),
        }
        self.index = index_html(f"{name} (bioarchive bundle)", "." + self.bundle_path, self.start_url, self.start_ts)
        super().__init__((HOST, port), _Handler)
        self.port = self.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def page_url(self, url: str = "", timestamp: str = "") -> str:
        """The viewer opened at one archived URL (ReplayWeb.page's deep link)."""
        if not url:
            return self.base_url
        params = {"url": url}
        if timestamp:
            params["ts"] = timestamp
        return self.base_url + "#" + urllib.parse.urlencode(params)

    def pages_url(self) -> str:
        # url= emptied too: the page's own url attribute would otherwise win over the view
        return self.base_url + "#view=pages&url="

    def start(self) -> ViewerServer:
        self._thread = threading.Thread(target=self.serve_forever, name="replay-viewer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread:
            self._thread.join(timeout=5)


class _Handler(BaseHTTPRequestHandler):
    server: ViewerServer
    protocol_version = "HTTP/1.1"
    server_version = "bioarchive-replay"

    def do_HEAD(self):
        self._serve(head=True)

    def do_GET(self):
        self._serve(head=False)

    def _serve(self, head: bool) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/", "/index.html"):
            return self._send_bytes(self.server.index, "text/html; charset=utf-8", head)
        if path in ("/replay/", "/replay/index.html"):
            return self._send_bytes(WAIT_FOR_WORKER, "text/html; charset=utf-8", head)
        route = self.server.routes.get(path)
        if route is None:
            return self._send_bytes(b"not found\n", "text/plain; charset=utf-8", head, HTTPStatus.NOT_FOUND)
        file_path, ctype = route
        try:
            f = open(file_path, "rb")
        except OSError:
            return self._send_bytes(b"gone\n", "text/plain; charset=utf-8", head, HTTPStatus.NOT_FOUND)
        with f:
            size = os.fstat(f.fileno()).st_size
            wanted = parse_range(self.headers.get("Range"), size)
            if wanted == "unsatisfiable":
                self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                self.send_header("Content-Range", f"bytes */{size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            start, end = wanted if wanted else (0, size - 1)
            length = max(0, end - start + 1)
            self.send_response(HTTPStatus.PARTIAL_CONTENT if wanted else HTTPStatus.OK)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length))
            self.send_header("Accept-Ranges", "bytes")
            if wanted:
                self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if head:
                return
            f.seek(start)
            remaining = length
            try:
                while remaining > 0:
                    chunk = f.read(min(CHUNK, remaining))
                    if not chunk:
                        break
                    self.wfile.write(chunk)
                    remaining -= len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the viewer often drops a range it no longer needs

    def _send_bytes(self, body: bytes, ctype: str, head: bool, status=HTTPStatus.OK) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        if self.server.verbose:
            super().log_message(format, *args)
