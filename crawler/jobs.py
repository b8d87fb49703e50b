"""Crawl jobs: one crawl of one seed list, its id, its Scrapy JOBDIR, and how it resumes.

Crawling a seed file into a collection is a job. Its state lives in
``ARCHIVE_DIR/jobs/<spider>-<key>/`` (key: a hash of the seed file's path):
``job.json`` (the crawl id, its state) beside Scrapy's own JOBDIR files
(``requests.queue/``, ``requests.seen``). Each crawl gets an id
(``20261202T020000Z-3fa9``) that the page log writes on every visit, so a
later stage can ask what one night's crawl saw (pipelines.changes).

Starting ``scrapy crawl archive -a seeds=FILE`` again:

- the job finished: a new crawl (the next night) with a new id;
- the job was stopped cleanly (Ctrl-C, SIGTERM, a full disk): Scrapy's JOBDIR
  holds its pending requests and seen fingerprints, consistent, and the same
  crawl goes on;
- the job was killed (SIGKILL, power, OOM): ``job.json`` still says
  ``running`` although nobody holds its lock. Scrapy writes its queue's
  bookkeeping only on a clean close, so its JOBDIR cannot be trusted: it is
  moved aside (``jobs/stale/<job>-<time>/``, kept for inspection) and the same crawl
  goes on from the page log instead, which has a row, committed as it
  happened, for every page already captured and the requests it led to.
  The spider does not fetch those pages again; it re-queues what they led to.

The page log, not the JOBDIR, is what decides "already captured": a page is
fetched again only when its visit in this crawl did not happen or ended in a
temporary failure with retries left.

Two crawls of the same seed file into one collection never run at once (an
exclusive lock per job); crawls of different seed files may (the collection
lock is shared).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import shutil
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

from crawler.capture.atomic import write_json
from crawler.capture.lock import LockTimeout, exclusive
from crawler.capture.records import connect, index_path

logger = logging.getLogger(__name__)

JOBS_DIR = "jobs"
JOB_FILE = "job.json"
# Scrapy's own files in a JOBDIR (scheduler queue, dupefilter, SpiderState).
SCRAPY_JOB_FILES = ("requests.queue", "requests.seen", "spider.state")
STALE_DIR = "stale"  # under ARCHIVE_DIR/jobs/: Scrapy state of killed runs, set aside

RUNNING, PAUSED, FINISHED = "running", "paused", "finished"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS crawls (
    crawl_id TEXT PRIMARY KEY,
    spider TEXT NOT NULL,
    seeds TEXT,                       -- the seed file, as given
    started_at TEXT NOT NULL,         -- UTC, first start
    finished_at TEXT,                 -- UTC, when it closed as finished
    state TEXT NOT NULL,              -- running | paused | finished
    close_reason TEXT,                -- Scrapy's, of the last run
    runs INTEGER NOT NULL DEFAULT 1,  -- starts, resumes included
    interruptions INTEGER NOT NULL DEFAULT 0  -- resumes after a run was killed
);
"""


class CrawlRefused(RuntimeError):
    """The crawl must not start; the message says why in one line."""


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_crawl_id() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(2)


def job_key(spider: str, seeds: str | None) -> str:
    where = os.path.abspath(seeds) if seeds else "-"
    return f"{spider}-{hashlib.sha256(where.encode('utf-8')).hexdigest()[:12]}"


@dataclass
class Crawl:
    crawl_id: str
    spider: str
    seeds: str | None
    started_at: str
    finished_at: str | None
    state: str
    close_reason: str | None
    runs: int
    interruptions: int


class CrawlRegistry:
    """The collection's crawls (table ``crawls`` in state/capture.sqlite): when each ran and how it ended."""

    def __init__(self, archive_dir: str):
        self._db = connect(index_path(archive_dir))
        self._db.executescript(_SCHEMA)

    def begin(self, crawl_id: str, spider: str, seeds: str | None) -> None:
        self._db.execute("INSERT OR IGNORE INTO crawls (crawl_id, spider, seeds, started_at, state) "
                         "VALUES (?, ?, ?, ?, ?)", (crawl_id, spider, seeds, utcnow(), RUNNING))

    def resumed(self, crawl_id: str, interrupted: bool) -> None:
        self._db.execute("UPDATE crawls SET state = ?, runs = runs + 1, interruptions = interruptions + ? "
                         "WHERE crawl_id = ?", (RUNNING, int(interrupted), crawl_id))

    def closed(self, crawl_id: str, state: str, reason: str) -> None:
        finished = utcnow() if state == FINISHED else None
        self._db.execute("UPDATE crawls SET state = ?, close_reason = ?, finished_at = ? WHERE crawl_id = ?",
                         (state, reason, finished, crawl_id))

    def get(self, crawl_id: str) -> Crawl | None:
        rows = self._select("WHERE crawl_id = ?", (crawl_id,))
        return rows[0] if rows else None

    def all(self) -> list[Crawl]:
        return self._select("ORDER BY started_at, crawl_id", ())

    def latest(self, spider: str | None = None) -> Crawl | None:
        where, args = ("WHERE spider = ? ", (spider,)) if spider else ("", ())
        rows = self._select(where + "ORDER BY started_at DESC, crawl_id DESC LIMIT 1", args)
        return rows[0] if rows else None

    def _select(self, tail: str, args) -> list[Crawl]:
        cur = self._db.execute(f"SELECT crawl_id, spider, seeds, started_at, finished_at, state, close_reason, "
                               f"runs, interruptions FROM crawls {tail}", args)
        return [Crawl(*row) for row in cur.fetchall()]

    def close(self) -> None:
        self._db.close()


def job_dir(archive_dir: str, key: str) -> str:
    return os.path.join(archive_dir, JOBS_DIR, key)


def read_job(path: str) -> dict | None:
    try:
        with open(os.path.join(path, JOB_FILE), encoding="utf-8") as f:
            job = json.load(f)
        return job if isinstance(job, dict) and job.get("crawl_id") else None
    except (OSError, ValueError):
        return None


def set_aside_scrapy_state(path: str) -> str | None:
    """Move Scrapy's JOBDIR files of a killed run into ``jobs/stale/<job>-<time>/``; returns that directory.

    Beside the job's directory, not in it: a job that finishes removes its directory, and what
    was set aside stays for inspection (the run report names it).
    """
    present = [n for n in SCRAPY_JOB_FILES if os.path.exists(os.path.join(path, n))]
    if not present:
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    stale = os.path.join(os.path.dirname(path), STALE_DIR, f"{os.path.basename(path)}-{stamp}")
    os.makedirs(stale, exist_ok=True)
    for name in present:
        os.replace(os.path.join(path, name), os.path.join(stale, name))
    return stale


class CrawlJob:
    """Scrapy extension: give the crawl its id and JOBDIR, resuming an unfinished job of the same seed file.

    Built before the scheduler (which reads JOBDIR) and after CollectionLock.
    Settings: ARCHIVE_DIR, CRAWL_RESUME (default on); sets CRAWL_ID, CRAWL_RESUMED
    ("", "paused" or "interrupted") and JOBDIR (unless JOBDIR was given).
    Stats: ``crawl/id``, ``crawl/resumed``, ``crawl/stale_jobdir``.
    """

    def __init__(self, crawler, archive_dir: str, key: str, path: str, crawl_id: str, resumed: str, lock):
        from scrapy import signals

        self.crawler = crawler
        self.archive_dir = archive_dir
        self.key = key
        self.path = path
        self.crawl_id = crawl_id
        self.resumed = resumed
        self._lock = lock
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        archive_dir = os.path.abspath(settings.get("ARCHIVE_DIR") or "warcs")
        spider = crawler.spider
        seeds = getattr(spider, "seeds_path", None)
        key = job_key(spider.name, seeds)
        lock = exclusive(archive_dir, f"job-{key}", timeout=0)
        try:
            lock.__enter__()
        except LockTimeout as e:
            raise CrawlRefused(f"another crawl of {seeds or spider.name} into {archive_dir} is running "
                               f"({e}): not starting a second one") from None
        try:
            path = settings.get("JOBDIR") or job_dir(archive_dir, key)
            os.makedirs(path, exist_ok=True)
            job = read_job(path) if settings.getbool("CRAWL_RESUME", True) else None
            registry = CrawlRegistry(archive_dir)
            try:
                if job and job.get("state") in (RUNNING, PAUSED):
                    crawl_id = job["crawl_id"]
                    resumed = "interrupted" if job["state"] == RUNNING else "paused"
                    stale = set_aside_scrapy_state(path) if resumed == "interrupted" else None
                    registry.begin(crawl_id, spider.name, seeds)  # a job from before the registry
                    registry.resumed(crawl_id, resumed == "interrupted")
                    if stale:
                        crawler.stats.set_value("crawl/stale_jobdir", stale)
                    if resumed == "interrupted":
                        logger.warning("crawl %s of %s was interrupted (its process died while crawling): "
                                       "resuming it from the page log%s", crawl_id, seeds,
                                       f"; Scrapy's queue files set aside in {stale}" if stale else "")
                    else:
                        logger.info("crawl %s of %s was stopped (%s): resuming it", crawl_id, seeds,
                                    job.get("close_reason") or "paused")
                else:
                    crawl_id, resumed = new_crawl_id(), ""
                    set_aside_scrapy_state(path)  # left by an abandoned job (CRAWL_RESUME off)
                    registry.begin(crawl_id, spider.name, seeds)
            finally:
                registry.close()
            write_json(os.path.join(path, JOB_FILE), {
                "crawl_id": crawl_id, "spider": spider.name, "seeds": seeds, "state": RUNNING,
                "pid": os.getpid(), "host": socket.gethostname(), "started_at": utcnow(),
            }, indent=1)
            if not settings.get("JOBDIR"):
                settings.set("JOBDIR", path, priority="cmdline")
            settings.set("CRAWL_ID", crawl_id, priority="cmdline")
            settings.set("CRAWL_RESUMED", resumed, priority="cmdline")
        except BaseException:
            lock.__exit__(None, None, None)
            raise
        crawler.stats.set_value("crawl/id", crawl_id)
        if resumed:
            crawler.stats.set_value("crawl/resumed", resumed)
        return cls(crawler, archive_dir, key, path, crawl_id, resumed, lock)

    def spider_closed(self, spider, reason):
        # A crawl that ran to its end is done: its JOBDIR (scheduler state only) goes.
        # Any other end (shutdown, disk full, ...) leaves it to be resumed.
        finished = reason == "finished" or self.crawler.stats.get_value("archive/seed_error")
        state = FINISHED if finished else PAUSED
        try:
            registry = CrawlRegistry(self.archive_dir)
            try:
                registry.closed(self.crawl_id, state, reason)
            finally:
                registry.close()
            if finished:
                shutil.rmtree(self.path, ignore_errors=True)
            else:
                job = read_job(self.path) or {"crawl_id": self.crawl_id}
                job.update(state=PAUSED, close_reason=reason, stopped_at=utcnow())
                write_json(os.path.join(self.path, JOB_FILE), job, indent=1)
                logger.info("crawl %s stopped (%s): run the same command again to resume it", self.crawl_id, reason)
        except Exception as e:  # a full disk may refuse even this; the next start treats the job as killed
            logger.error("could not record the end of crawl %s in %s: %s", self.crawl_id, self.path, e)

    def engine_stopped(self):
        if self._lock is not None:
            lock, self._lock = self._lock, None
            lock.__exit__(None, None, None)
