"""A full disk: stop the crawl cleanly before it fills, and say so when it did.

A crawl that runs the disk full loses the record in flight in each writer
(its file is left ``.open`` and repaired on the next start) and writes
nothing more. Better to stop while every writer can still finish its
record: ``DiskSpaceGuard`` checks the free space of ARCHIVE_DIR's filesystem
at the start and every DISK_CHECK_INTERVAL seconds, and below
MIN_FREE_SPACE closes the spider with reason ``disk_full``. Every writer
then closes its files normally: every closed WARC file is valid.

The disk can still fill between two checks, or with the guard off
(MIN_FREE_SPACE=0), or because something else filled it. Then the error
itself stops the crawl, with the same reason and one clear line instead of
a traceback per item:

- an ENOSPC (or EDQUOT) OSError, or SQLite's "database or disk is full",
  raised by an item pipeline (page log, evidence store) or a callback
  (``item_error`` / ``spider_error``), or logged by Scrapy's scraper or
  engine or by asyncio (the scheduler's disk queue): seen here, and each
  such log line loses its traceback;
- a write error in our WARC writer: RenderedRecordsPipeline (rendered);
- a write error in warcprox's: the proxy stops and RecordingProxy (proxy)
  notices its death.

All of them go through ``stop_crawl``: the line is logged, kept in the stats
as ``capture/stop_message`` (the first one wins) and logged again as the
crawl's very last line, so the operator sees why ``scrapy crawl`` exited 1.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3

logger = logging.getLogger(__name__)

STOP_MESSAGE = "capture/stop_message"
DISK_FULL = "disk_full"
RECORDING_FAILED = "recording_failed"
RESUME_HINT = "free space and run the same command again to resume"
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


def free_space(path: str) -> int:
    """Bytes an unprivileged writer may still use on ``path``'s filesystem (or its nearest existing parent's)."""
    path = os.path.abspath(path)
    while not os.path.exists(path) and os.path.dirname(path) != path:
        path = os.path.dirname(path)
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def format_bytes(n: int) -> str:
    if n >= 10 * 1000**3:
        return f"{n / 1000**3:.0f} GB"
    if n >= 1000**3:
        return f"{n / 1000**3:.1f} GB"
    if n >= 10 * 1000**2:
        return f"{n / 1000**2:.0f} MB"
    if n >= 1000**2:
        return f"{n / 1000**2:.1f} MB"
    return f"{n / 1000:.0f} kB"


def is_disk_full(error: BaseException | None) -> bool:
    """ENOSPC / EDQUOT, or SQLite's "database or disk is full", here or in what caused it."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, OSError) and error.errno in DISK_FULL_ERRNOS:
            return True
        if isinstance(error, sqlite3.Error) and (
                getattr(error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                or "database or disk is full" in str(error)):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def low_space_message(archive_dir: str, free: int, minimum: int) -> str:
    return (f"disk nearly full: {os.path.abspath(archive_dir)} has {format_bytes(free)} free, below "
            f"MIN_FREE_SPACE ({format_bytes(minimum)}): crawl stopped; every closed WARC file is valid; "
            f"{RESUME_HINT}")


def write_error_message(what: str, error: BaseException) -> str:
    """The stop line for an error raised while writing (``what``: what was being written)."""
    if isinstance(error, OSError) and error.strerror:
        detail = error.strerror + (f": {error.filename}" if error.filename else "")
    else:
        detail = f"{type(error).__name__}: {error}"
    detail = " ".join(detail.split())
    if is_disk_full(error):
        return f"disk full: {what}: {detail}: crawl stopped; every closed WARC file is valid; {RESUME_HINT}"
    return (f"recording failed: {what}: {detail}: crawl stopped; every closed WARC file is valid; "
            f"run the same command again to resume")


def stop_crawl(crawler, reason: str, message: str) -> bool:
    """Log ``message`` (ERROR) and close the spider with ``reason``; only the first call closes it.

    Returns True if this call stopped the crawl.
    """
    logger.error("%s", message)
    stats = crawler.stats
    if stats is not None and stats.get_value(STOP_MESSAGE):
        return False
    if stats is not None:
        stats.set_value(STOP_MESSAGE, message)
    engine = getattr(crawler, "engine", None)
    if engine is None or getattr(engine, "spider", None) is None:
        return True  # not open yet, or already closed: nothing to close
    from scrapy.utils.defer import deferred_from_coro

    deferred_from_coro(engine.close_spider_async(reason=reason)).addErrback(
        lambda failure: logger.error("could not close the spider (%s): %s", reason, failure.value))
    return True


class _OneLineForDiskFull(logging.Filter):
    """A full disk fails every write: one line each, without the traceback, and the crawl stops.

    On the loggers that report errors raised outside our components (Scrapy's
    scraper and engine, asyncio's unretrieved task exceptions: the scheduler's
    disk queue, for one); ``seen`` is called for each disk-full error.
    """

    LOGGERS = ("scrapy.core.scraper", "scrapy.core.engine", "asyncio", "crawler.capture.index")

    def __init__(self, seen):
        super().__init__()
        self.seen = seen

    def filter(self, record):
        exc = record.exc_info[1] if record.exc_info else None
        if is_disk_full(exc):
            message = record.getMessage().splitlines()[0]
            record.msg, record.args = f"{message}: {type(exc).__name__}: {exc}", None
            record.exc_info = record.exc_text = None
            self.seen(exc, record.name)
        return True

    def install(self):
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)

    def remove(self):
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


class DiskSpaceGuard:
    """Scrapy extension: stop the crawl (reason ``disk_full``) before ARCHIVE_DIR's disk fills.

    Settings: ARCHIVE_DIR, MIN_FREE_SPACE (bytes; 0 turns the check off, not
    the watch for disk-full errors), DISK_CHECK_INTERVAL (seconds). Stats:
    ``capture/stop_message``, ``capture/free_space_min`` (the least free space seen).
    """

    def __init__(self, crawler):
        from scrapy import signals

        settings = crawler.settings
        self.crawler = crawler
        self.archive_dir = settings.get("ARCHIVE_DIR") or "warcs"
        self.min_free = settings.getint("MIN_FREE_SPACE", 0)
        self.interval = settings.getfloat("DISK_CHECK_INTERVAL", 5)
        self._loop = None
        self._closed = False
        self._one_line = _OneLineForDiskFull(self._disk_full_logged)
        self._one_line.install()
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_error, signal=signals.item_error)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_started(self):
        if self.min_free > 0:
            self._start_checks()

    def _start_checks(self, tries: int = 0) -> None:
        from twisted.internet import reactor, task

        if self._closed:
            return
        engine = self.crawler.engine
        if engine is None or not engine.running:
            # The engine runs only once every engine_started handler has returned; a spider
            # closed before that is never stopped properly (scrapy/scrapy#6916).
            if tries < 200:
                reactor.callLater(0.05, self._start_checks, tries + 1)
            return
        self._loop = task.LoopingCall(self.check)
        self._loop.start(max(self.interval, 0.1), now=True).addErrback(
            lambda failure: logger.error("free space check failed: %s", failure.value))

    def spider_closed(self, spider=None, reason=None):
        self._closed = True
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self._loop = None

    def check(self) -> None:
        free = free_space(self.archive_dir)
        stats = self.crawler.stats
        if stats is not None:
            stats.min_value("capture/free_space_min", free)
        if free < self.min_free:
            self.spider_closed()
            stop_crawl(self.crawler, DISK_FULL, low_space_message(self.archive_dir, free, self.min_free))

    def item_error(self, item=None, response=None, spider=None, failure=None):
        self._error(getattr(failure, "value", None), "writing what a page visit produced (page log, evidence)")

    def spider_error(self, failure=None, response=None, spider=None):
        self._error(getattr(failure, "value", None), "processing a page")

    def _disk_full_logged(self, error: BaseException, logger_name: str) -> None:
        from twisted.internet import reactor

        # Logging may happen on any thread; the spider is closed on the reactor's.
        reactor.callFromThread(self._error, error, f"a write reported by {logger_name}")

    def _error(self, error: BaseException | None, what: str) -> None:
        if is_disk_full(error) and not self._stopping():
            stop_crawl(self.crawler, DISK_FULL, write_error_message(what, error))

    def _stopping(self) -> bool:
        return bool(self.crawler.stats is not None and self.crawler.stats.get_value(STOP_MESSAGE))

    def engine_stopped(self):
        from twisted.internet import reactor

        # After the reactor has stopped, when the browser, the index and the monitors have said
        # their last: the operator's last line says why the crawl stopped (and `scrapy crawl` exits 1).
        reactor.addSystemEventTrigger("after", "shutdown", self._last_words)

    def _last_words(self):
        self._one_line.remove()
        message = self.crawler.stats.get_value(STOP_MESSAGE) if self.crawler.stats is not None else None
        if message:
            logger.error("%s", message)
