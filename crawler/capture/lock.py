"""Collection locks: fcntl.flock on ``ARCHIVE_DIR/state/<name>.lock``.

flock is released by the kernel when the holder dies, so a crashed crawl never
leaves a stale lock behind; the holder line written into the file is only for
humans (``cat state/index.lock``), never trusted by the code.

Locks conflict per open file, not per process: taking the same name twice in
one process (on two handles) waits for itself, so each job uses its own name.
"""

from __future__ import annotations

import fcntl
import logging
import os
import socket
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timezone

logger = logging.getLogger(__name__)

_POLL = 0.05  # seconds between attempts while waiting with a timeout


class LockTimeout(TimeoutError):
    """The lock could not be had in time; the message names the lock file and its holder."""


def lock_path(archive_dir: str, name: str) -> str:
    return os.path.join(archive_dir, "state", f"{name}.lock")


@contextmanager
def exclusive(archive_dir: str, name: str, timeout: float | None = None):
    """Hold ``name`` alone. ``timeout``: None waits forever, 0 tries once. Yields the lock file's path."""
    with _flock(lock_path(archive_dir, name), fcntl.LOCK_EX, timeout) as fh:
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid={os.getpid()} host={socket.gethostname()} "
                 f"since={datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} cmd={' '.join(sys.argv)[:200]}\n")
        fh.flush()
        try:
            yield fh.name
        finally:
            fh.seek(0)
            fh.truncate()  # still ours: the next holder writes its own line


@contextmanager
def shared(archive_dir: str, name: str, timeout: float | None = None):
    """Hold ``name`` together with other shared holders; excludes ``exclusive`` holders."""
    with _flock(lock_path(archive_dir, name), fcntl.LOCK_SH, timeout) as fh:
        yield fh.name


@contextmanager
def _flock(path: str, mode: int, timeout: float | None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fh = open(path, "a+", encoding="utf-8")  # a+: create if missing, never truncate on open
    try:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh, mode | (0 if deadline is None else fcntl.LOCK_NB))
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockTimeout(f"lock {path} is held by {_holder(fh)}"
                                      f" (gave up after {timeout:g}s)") from None
                time.sleep(_POLL)
        try:
            yield fh
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
    finally:
        fh.close()


def _holder(fh) -> str:
    fh.seek(0)
    line = fh.readline().strip()
    return line or "another process (shared holders write no line)"


class CollectionLock:
    """Scrapy extension: a crawl holds ``state/collection.lock`` shared for its whole run.

    Shared, so several crawl processes (scrapy-redis) can feed one collection;
    a job that needs the collection to itself (packaging, moving it) takes
    ``exclusive(ARCHIVE_DIR, "collection")`` and waits for crawls to end.
    Taken when the extension loads (before the proxy starts), released after
    every other engine_stopped handler (proxy shutdown, index update) ran.
    Settings: ARCHIVE_DIR, COLLECTION_LOCK_TIMEOUT (seconds; default 0: fail at once).
    """

    def __init__(self, archive_dir: str, timeout: float | None, signals_manager):
        from scrapy import signals

        self._cm = shared(archive_dir, "collection", timeout)
        self.path = self._cm.__enter__()
        self._signals = signals_manager
        self._signals.connect(self._engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler):
        timeout = crawler.settings.getfloat("COLLECTION_LOCK_TIMEOUT", 0)
        return cls(crawler.settings.get("ARCHIVE_DIR"), timeout, crawler.signals)

    def _engine_started(self):
        from scrapy import signals

        # Connected only now, so it runs after the engine_stopped handlers connected at load time.
        self._signals.connect(self.release, signal=signals.engine_stopped)

    def release(self):
        if self._cm is not None:
            cm, self._cm = self._cm, None
            cm.__exit__(None, None, None)
