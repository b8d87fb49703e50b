"""pywb over the collection: ``wayback`` from the replay venv, bound to 127.0.0.1.

pywb 2.10 pins redis 2.10, which scrapy-redis cannot live with, so it runs as
a child process from ``.venv-replay`` (made by ``make setup``). It is given a
config of its own in a temporary directory, so the collection is only read:

- ``index_paths``: the collection's CDXJ (``indexes/index.cdxj``, kept by
  crawler/capture/index.py), whose ``filename`` fields are relative to ARCHIVE_DIR;
- ``archive_paths``: ARCHIVE_DIR itself, the prefix those names are joined to.

Rendered records (screenshot, DOM, capture metadata) have ``urn:`` target
URIs, so their index keys never match a page's: pywb serves the page the
server sent at its URL, and a screenshot only at ``urn:screenshot:URL``.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from crawler.capture.records import index_path
from crawler.replay import HOST

CONFIG = {
    # Framed: the archived page runs in an iframe under pywb's banner, which
    # the page cannot tamper with (pywb's advice for untrusted content).
    "framed_replay": True,
    "enable_memento": True,
}


class ReplayError(Exception):
    """The replay server could not be started; the message says why, in one line."""


@dataclass
class Capture:
    url: str
    timestamp: str  # 14 digits, what pywb's URLs carry
    title: str = ""


def pywb_config(archive_dir: str, collection: str) -> dict:
    archive_dir = os.path.abspath(archive_dir)
    return {
        "collections": {
            collection: {
                "index_paths": os.path.join(archive_dir, "indexes", "index.cdxj"),
                "archive_paths": archive_dir.rstrip(os.sep) + os.sep,  # a prefix: the slash matters
            }
        },
        **CONFIG,
    }


def write_config(config_dir: str, archive_dir: str, collection: str) -> str:
    path = os.path.join(config_dir, "config.yaml")
    with open(path, "w", encoding="utf-8") as f:
        json.dump(pywb_config(archive_dir, collection), f, indent=1)  # JSON is YAML
    return path


def pick_port(port: int) -> int:
    """``port``, checked free on 127.0.0.1; 0: any free one (released for the child to take)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError as e:
            raise ReplayError(f"port {port} on {HOST} is not free ({e.strerror}): choose another with --port") from None
        return s.getsockname()[1]


def timestamp14(rfc3339: str) -> str:
    digits = "".join(c for c in rfc3339 if c.isdigit())
    return digits[:14].ljust(14, "0")


def newest_capture(archive_dir: str) -> Capture | None:
    """The newest page visit that got a 2xx, from the page log; else the newest HTML page in the CDXJ."""
    db_path = index_path(archive_dir)
    if os.path.exists(db_path):
        try:
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            try:
                row = db.execute(
                    "SELECT COALESCE(final_url, url), visited_at, title FROM pages"
                    " WHERE status BETWEEN 200 AND 299 AND visited_at IS NOT NULL"
                    " ORDER BY visited_at DESC, visit_id DESC LIMIT 1").fetchone()
            finally:
                db.close()
            if row:
                return Capture(row[0], timestamp14(row[1]), row[2] or "")
        except sqlite3.Error:
            pass  # no page log (WARCs copied alone): the index still knows the pages
    return _newest_html_in_index(os.path.join(archive_dir, "indexes", "index.cdxj"))


def _newest_html_in_index(cdxj: str) -> Capture | None:
    best = None
    try:
        with open(cdxj, encoding="utf-8") as f:
            for line in f:  # streamed: an index can be large
                try:
                    _key, ts, block = line.split(" ", 2)
                    fields = json.loads(block)
                except ValueError:
                    continue
                url = fields.get("url", "")
                if (fields.get("mime") == "text/html" and fields.get("status") == "200"
                        and url.startswith(("http://", "https://")) and (best is None or ts > best.timestamp)):
                    best = Capture(url, ts)
    except OSError:
        return None
    return best


def _die_with_parent() -> None:
    """In the child: SIGTERM when the parent dies, even by SIGKILL (Linux prctl PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: stop() in the parent still applies


class PywbServer:
    """``wayback`` for one collection, on 127.0.0.1:port, until stop()."""

    def __init__(self, archive_dir: str, collection: str, wayback: str, port: int = 8080,
                 startup_timeout: float = 30, verbose: bool = False):
        self.archive_dir = os.path.abspath(archive_dir)
        self.collection = collection
        self.wayback = wayback
        self.requested_port = port
        self.startup_timeout = startup_timeout
        self.verbose = verbose
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._dir: str | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def replay_url(self, url: str, timestamp: str = "", modifier: str = "") -> str:
        """``/coll/<ts><modifier>/<url>``; modifier ``id_`` gives the record's payload as archived."""
        return f"{self.base_url}{self.collection}/{timestamp}{modifier}/{url}"

    def search_url(self) -> str:
        return f"{self.base_url}{self.collection}/"

    def start(self) -> PywbServer:
        if not (os.path.isfile(self.wayback) and os.access(self.wayback, os.X_OK)):
            raise ReplayError(f"pywb is not installed ({self.wayback} missing): run `make setup`")
        self.port = pick_port(self.requested_port)
        self._dir = tempfile.mkdtemp(prefix="bioarchive-pywb-")
        write_config(self._dir, self.archive_dir, self.collection)
        env = dict(os.environ)
        # pywb's cookie rewriting asks tldextract, which may try to fetch the
        # public suffix list; bound that try, it falls back to its own copy.
        env.setdefault("TLDEXTRACT_CACHE_TIMEOUT", "3")
        self._log = None if self.verbose else open(os.path.join(self._dir, "wayback.log"), "wb")
        self.proc = subprocess.Popen(
            [self.wayback, "--bind", HOST, "--port", str(self.port)],
            cwd=self._dir, env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT if self._log else None,
            start_new_session=True,  # Ctrl-C reaches us; we stop it (and wait for it)
            preexec_fn=_die_with_parent,
        )
        try:
            self._wait_until_answering()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_until_answering(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise ReplayError(f"pywb exited with code {self.proc.returncode} at start: {self.log_tail()}")
            try:
                with urllib.request.urlopen(self.search_url(), timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ReplayError(f"pywb did not answer on {self.base_url} within {self.startup_timeout:g} s: {self.log_tail()}")
            time.sleep(0.2)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 5) -> str:
        if not self._dir:
            return ""
        try:
            with open(os.path.join(self._dir, "wayback.log"), "rb") as f:
                text = f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"
        return " | ".join(text.strip().splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> int | None:
        code = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            code = self.proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
        return code

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
