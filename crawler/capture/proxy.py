"""Scrapy extension: the crawl's recording proxy (warcprox), started before anything is fetched.

Built by Scrapy before it freezes the settings, so it can publish where the
proxy listens for the middlewares and the browser set-up that come after it:

- ``CAPTURE_PROXY_URL``: ``http://127.0.0.1:PORT``
- ``CAPTURE_PROXY_CA``: warcprox's CA certificate (https is re-signed by it)

With ``WARCPROX_ADDRESS`` ("host:port") set, that running warcprox is used and
nothing is started. Otherwise ``crawler.capture.proxy_server`` runs as a child
process writing into ``ARCHIVE_DIR``; if it does not come up the crawl does not
start (it must never run unrecorded). It is stopped on ``engine_stopped``, and
by an exit hook and the kernel (parent-death signal) if the crawl dies first.

It is watched every second while the crawl runs: if it dies mid-crawl (its
writer could not write a WARC file, and it stopped rather than pass traffic
it cannot record), the spider is closed with reason ``disk_full`` (exit code
EXIT_DISK_FULL) or ``recording_failed`` (anything else). Stats:
``capture/proxy_failed`` (its exit code) and ``capture/stop_message``.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time

from scrapy import signals

from crawler.capture.atomic import write_json
from crawler.capture.diskspace import DISK_FULL, RECORDING_FAILED, RESUME_HINT, stop_crawl
from crawler.capture.proxy_server import EXIT_DISK_FULL, ca_cert_path, logs_dir, state_dir
from crawler.capture.warcinfo import warcinfo_fields

logger = logging.getLogger(__name__)
# The proxy's own WARNING+ lines (refusals, errors), re-logged in the crawl's log.
proxy_logger = logging.getLogger("crawler.capture.warcprox")

STOP_TIMEOUT = 60  # seconds warcprox gets to write queued records and close its files
WATCH_INTERVAL = 1.0  # seconds between checks that the proxy is still alive
_PROJECT_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_STDERR_LINE = re.compile(r"^(?P<level>[A-Z]+) \[(?P<name>[^\]]+)\] (?P<msg>.*)$")


class RecordingProxyError(RuntimeError):
    """The recording proxy is not available: the crawl must not run."""


class RecordingProxy:
    def __init__(self, crawler, proxy_url: str, ca_cert: str | None, process: subprocess.Popen | None = None):
        self.crawler = crawler
        self.proxy_url = proxy_url
        self.ca_cert = ca_cert
        self.process = process
        self._stderr_tail: list[str] = []
        self._critical: str | None = None  # the proxy's last CRITICAL line (a write failure names its file)
        self._relay: threading.Thread | None = None
        self._watch = None  # LoopingCall while the crawl runs

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        address = (settings.get("WARCPROX_ADDRESS") or "").strip()
        if address:
            archive_dir = os.path.abspath(settings.get("ARCHIVE_DIR") or "warcs")
            ca = ca_cert_path(archive_dir)
            ext = cls(crawler, f"http://{address}", ca if os.path.exists(ca) else None)
            logger.info("Recording through the running warcprox at %s", address)
        else:
            ext = cls._start(crawler)
        try:
            settings.set("CAPTURE_PROXY_URL", ext.proxy_url, priority="cmdline")
            if ext.ca_cert:
                settings.set("CAPTURE_PROXY_CA", ext.ca_cert, priority="cmdline")
            crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
            crawler.signals.connect(ext.engine_started, signal=signals.engine_started)
        except Exception:
            ext.stop()
            raise
        return ext

    # --- start ------------------------------------------------------------

    @classmethod
    def _start(cls, crawler) -> "RecordingProxy":
        settings = crawler.settings
        archive_dir = os.path.abspath(settings.get("ARCHIVE_DIR") or "warcs")
        for d in (archive_dir, state_dir(archive_dir), logs_dir(archive_dir)):
            os.makedirs(d, exist_ok=True)
        warcinfo_file = os.path.join(state_dir(archive_dir), "warcinfo-warcprox.json")
        write_json(warcinfo_file, warcinfo_fields(settings, writer="warcprox"), ensure_ascii=False)
        ready_file = os.path.join(state_dir(archive_dir), f"warcprox-ready-{os.getpid()}.json")
        if os.path.exists(ready_file):
            os.remove(ready_file)

        cmd = [
            sys.executable, "-m", "crawler.capture.proxy_server",
            "--archive-dir", archive_dir,
            "--prefix", settings.get("WARC_PREFIX") or "bioarchive",
            "--rollover-size", str(settings.getint("WARC_ROLLOVER_SIZE", 1_000_000_000)),
            "--port", "0",
            "--ready-file", ready_file,
            "--warcinfo", warcinfo_file,
        ]
        if settings.getbool("ALLOW_PRIVATE_TARGETS"):
            cmd.append("--allow-private")
        for host in settings.getlist("WARCPROX_BLOCKED_HOSTS"):
            cmd += ["--block-host", host]
        if not settings.getbool("WARCPROX_DEDUP", True):
            cmd.append("--no-dedup")
        env = dict(os.environ, BIOARCHIVE_PARENT_PID=str(os.getpid()))
        # The crawl may run from any directory: make our package importable.
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_PROJECT_ROOT, env.get("PYTHONPATH")) if p)
        process = subprocess.Popen(
            cmd, cwd=archive_dir, env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            # Its own session: a Ctrl-C in the terminal must not stop it before
            # Scrapy has finished; we stop it ourselves at the end.
            start_new_session=True,
        )
        ext = cls(crawler, "", None, process)
        atexit.register(ext.stop)  # no orphan if the crawl fails before engine_stopped
        ext._relay = threading.Thread(target=ext._relay_stderr, name="warcprox-stderr", daemon=True)
        ext._relay.start()
        try:
            info = ext._wait_ready(ready_file, settings.getfloat("WARCPROX_STARTUP_TIMEOUT", 30))
        except Exception:
            ext.stop(quiet=True)
            raise
        finally:
            if os.path.exists(ready_file):
                os.remove(ready_file)
        ext.proxy_url = f"http://127.0.0.1:{info['port']}"
        ext.ca_cert = info.get("ca_cert")
        stats = getattr(crawler, "stats", None)
        if stats is not None:
            stats.set_value("capture/proxy_port", info["port"])
            stats.set_value("capture/proxy_pid", process.pid)
        logger.info("Recording proxy (warcprox, pid %s) at %s, writing to %s",
                    process.pid, ext.proxy_url, archive_dir)
        return ext

    def _wait_ready(self, ready_file: str, timeout: float) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            if os.path.exists(ready_file):
                with open(ready_file, encoding="utf-8") as f:
                    return json.load(f)
            code = self.process.poll()
            if code is not None:
                time.sleep(0.2)  # let the stderr relay catch the last line
                raise RecordingProxyError(
                    f"recording proxy (warcprox) exited with code {code} before listening: {self._last_error()}")
            if time.monotonic() > deadline:
                raise RecordingProxyError(
                    f"recording proxy (warcprox) did not start within {timeout:g} s: {self._last_error()}")
            time.sleep(0.05)

    def _last_error(self) -> str:
        return self._stderr_tail[-1] if self._stderr_tail else "no message (see ARCHIVE_DIR/logs/warcprox.log)"

    def _relay_stderr(self):
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if not line:
                continue
            self._stderr_tail = (self._stderr_tail + [line])[-5:]
            m = _STDERR_LINE.match(line)
            if m:
                if m["level"] == "CRITICAL" and m["name"] == "bioarchive.proxy":  # ours: names file and error
                    self._critical = m["msg"]
                level = logging.getLevelName(m["level"])
                proxy_logger.log(level if isinstance(level, int) else logging.WARNING, "%s", m["msg"])
            else:  # a traceback from before logging was set up, or Python itself
                proxy_logger.warning("%s", line)

    # --- watch -------------------------------------------------------------

    def engine_started(self):
        if self.process is None:
            return  # a running warcprox of someone else's: not ours to watch
        from twisted.internet import task

        self._watch = task.LoopingCall(self._check_alive)
        self._watch.start(WATCH_INTERVAL, now=False).addErrback(
            lambda failure: logger.error("watching the recording proxy failed: %s", failure.value))

    def _check_alive(self):
        process = self.process
        code = process.poll() if process is not None else None
        if code is None:
            return
        self._stop_watching()
        if self._relay is not None:
            self._relay.join(2)  # its last lines name the file and the error
        disk_full = code == EXIT_DISK_FULL
        detail = self._critical or self._last_error()
        if disk_full:
            message = (f"disk full: the recording proxy (pid {process.pid}) could not write its WARC file and "
                       f"stopped ({detail}): crawl stopped; every closed WARC file is valid; the unfinished .open "
                       f"file is repaired on the next start; {RESUME_HINT}")
        else:
            message = (f"recording failed: the recording proxy (pid {process.pid}) died mid-crawl with exit code "
                       f"{code} ({detail}): crawl stopped, nothing more can be recorded; every closed WARC file is "
                       f"valid; an unfinished .open file is repaired on the next start; run the same command "
                       f"again to resume")
        stats = getattr(self.crawler, "stats", None)
        if stats is not None:
            stats.set_value("capture/proxy_failed", code)
        stop_crawl(self.crawler, DISK_FULL if disk_full else RECORDING_FAILED, message)

    def _stop_watching(self):
        if self._watch is not None and self._watch.running:
            self._watch.stop()
        self._watch = None

    # --- stop -------------------------------------------------------------

    def engine_stopped(self):
        self._stop_watching()
        self.stop()

    def stop(self, quiet: bool = False) -> int | None:
        """SIGTERM, then wait for warcprox to write what it has and close its files."""
        process = self.process
        if process is None:
            return None
        self.process = None
        atexit.unregister(self.stop)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                logger.error("recording proxy (pid %s) did not stop within %s s and was killed: "
                             "its last WARC file may still be named .open", process.pid, STOP_TIMEOUT)
        code = process.returncode
        stats = getattr(self.crawler, "stats", None)
        if stats is not None:
            stats.set_value("capture/proxy_exit_code", code)
        if not quiet:
            log = logger.info if code == 0 else logger.error
            log("Recording proxy (pid %s) exited with code %s", process.pid, code)
        return code
