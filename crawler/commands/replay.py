"""``scrapy replay``: open what was captured in a browser, from 127.0.0.1 only.

    scrapy replay [--port N]            pywb over ARCHIVE_DIR (the operator's view)
    scrapy replay [--port N] FILE.wacz  ReplayWeb.page over a bundle (what legal teams open)

Prints the URL to open and serves until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.capture.index import closed_warcs, update_collection_index
from crawler.capture.lock import LockTimeout
from crawler.replay import DEFAULT_VIEWER_DIR, DEFAULT_WAYBACK
from crawler.replay.pywb import PywbServer, ReplayError, newest_capture
from crawler.replay.viewer import BundleError, ViewerServer


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self) -> str:
        return "[--port N] [FILE.wacz]"

    def short_desc(self) -> str:
        return "Replay the collection (pywb) or a WACZ bundle (ReplayWeb.page) on 127.0.0.1"

    def long_desc(self) -> str:
        return ("Without a file: pywb replays ARCHIVE_DIR's WARC files through its CDXJ index. "
                "With FILE.wacz: ReplayWeb.page replays that bundle in the browser. "
                "Both listen on 127.0.0.1 only, print the URL to open, and stop on Ctrl-C or SIGTERM.")

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080; 0: any free port)")
        parser.add_argument("--url", default=None, help="archived URL to open first (default: the newest page)")
        parser.add_argument("--verbose", action="store_true", help="show the replay server's request log")

    def run(self, args, opts) -> None:
        if len(args) > 1:
            raise UsageError("give at most one WACZ file")
        if not 0 <= opts.port <= 65535:
            raise UsageError(f"--port {opts.port}: not a port number")
        # SIGTERM stops like Ctrl-C, from the first moment: the servers are
        # stopped in `finally`, so pywb never outlives this process.
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            if args:
                self.exitcode = self._serve_bundle(args[0], opts)
            else:
                self.exitcode = self._serve_collection(opts)
        except (ReplayError, BundleError) as e:
            print(f"replay: {e}", file=sys.stderr)
            self.exitcode = 1
        except KeyboardInterrupt:
            self.exitcode = 0
        finally:
            signal.signal(signal.SIGTERM, previous)

    # --- pywb over ARCHIVE_DIR ---------------------------------------------------

    def _serve_collection(self, opts) -> int:
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        if not os.path.isdir(archive_dir):
            raise ReplayError(f"no collection at {archive_dir} (ARCHIVE_DIR): nothing captured yet")
        if not closed_warcs(archive_dir):
            raise ReplayError(f"no closed WARC files in {archive_dir}: nothing to replay")
        try:
            # Files closed since the last crawl's end (a shared proxy's) become replayable.
            report = update_collection_index(archive_dir, timeout=10)
            if report.files_failed:
                print(f"replay: unreadable WARC files left out: {', '.join(report.files_failed)}", file=sys.stderr)
        except (OSError, LockTimeout) as e:
            print(f"replay: could not update the CDXJ index ({e}); replaying it as it is", file=sys.stderr)
        if not os.path.isfile(os.path.join(archive_dir, "indexes", "index.cdxj")):
            raise ReplayError(f"no CDXJ index in {archive_dir}/indexes: run `scrapy index`")
        collection = self.settings.get("COLLECTION_NAME") or "bioarchive"
        server = PywbServer(archive_dir, collection, self.settings.get("REPLAY_WAYBACK") or DEFAULT_WAYBACK,
                            port=opts.port, startup_timeout=self.settings.getfloat("REPLAY_STARTUP_TIMEOUT", 30),
                            verbose=opts.verbose)
        server.start()
        try:
            print(f"pywb is replaying {archive_dir} (collection {collection!r}) on {server.base_url}")
            newest = newest_capture(archive_dir)
            if opts.url:
                print(f"Open:        {server.replay_url(opts.url)}")
            elif newest:
                print(f"Open:        {server.replay_url(newest.url, newest.timestamp)}   (newest capture"
                      f"{': ' + newest.title if newest.title else ''})")
                print(f"Screenshot:  {server.replay_url('urn:screenshot:' + newest.url, newest.timestamp, 'id_')}")
            print(f"Search:      {server.search_url()}   (every captured URL)")
            print("Stop with Ctrl-C.", flush=True)
            stopped = _wait_for_stop(server.running)
            if not stopped:
                print(f"replay: pywb exited on its own (code {server.proc.returncode}): {server.log_tail()}", file=sys.stderr)
                return 1
            return 0
        finally:
            server.stop()

    # --- ReplayWeb.page over a bundle ----------------------------------------------

    def _serve_bundle(self, path: str, opts) -> int:
        if not path.endswith(".wacz"):
            raise BundleError(f"{path}: expected a .wacz bundle")
        viewer_dir = self.settings.get("REPLAY_VIEWER_DIR") or DEFAULT_VIEWER_DIR
        try:
            server = ViewerServer(path, viewer_dir, port=opts.port, start_url=opts.url, verbose=opts.verbose)
        except OSError as e:
            raise BundleError(f"cannot listen on 127.0.0.1:{opts.port} ({e.strerror or e}): choose another with --port") from None
        server.start()
        try:
            print(f"ReplayWeb.page is replaying {server.bundle} on {server.base_url}")
            print(f"Bundle SHA-256: {server.sha256}")
            print(f"Open:        {server.page_url(server.start_url, server.start_ts)}"
                  + ("   (the bundle's main page)" if server.start_url and not opts.url else ""))
            print(f"Pages:       {server.pages_url()}   (every page in the bundle)")
            print("Stop with Ctrl-C.", flush=True)
            _wait_for_stop(lambda: True)
            return 0
        finally:
            server.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _wait_for_stop(alive) -> bool:
    """Block until Ctrl-C or SIGTERM (True) or until ``alive()`` turns false (False)."""
    try:
        while alive():
            time.sleep(0.5)
        return False
    except KeyboardInterrupt:
        return True
