"""The page log: one row per visit of a page, for operators and later stages.

Append-only (a later visit adds a row, it never replaces one), in the same
SQLite file as the record index, under ARCHIVE_DIR/state/. Each row is
committed as the visit ends, so after a crash it is the record of what the
crawl had captured: it names the crawl (``crawl_id``), the attempt, and what
the visit led to (``followups``: the pages it queued, with the scope they were
queued in), which is what lets a killed crawl resume without fetching again
(crawler.jobs) and a later night compare its pages with this one
(pipelines.changes).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass

from crawler.capture.records import connect, index_path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    visit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    final_url TEXT,
    seed TEXT,
    depth INTEGER,
    status INTEGER,
    source_type TEXT,
    title TEXT,
    visited_at TEXT,
    response_record_id TEXT,
    screenshot_record_id TEXT,
    dom_record_id TEXT,
    metadata_record_id TEXT,
    error TEXT,
    crawl_id TEXT,
    attempt INTEGER,
    role TEXT,
    scope TEXT,
    followups TEXT
);
CREATE INDEX IF NOT EXISTS pages_by_url ON pages (url, visited_at);
"""

# Added after the first collections were made: a log without them gains them, empty for old rows.
_ADDED_COLUMNS = {"crawl_id": "TEXT", "attempt": "INTEGER", "role": "TEXT", "scope": "TEXT", "followups": "TEXT"}
_INDEXES = "CREATE INDEX IF NOT EXISTS pages_by_crawl ON pages (crawl_id, visit_id);"

_COLUMNS = (
    "url", "final_url", "seed", "depth", "status", "source_type", "title", "visited_at",
    "response_record_id", "screenshot_record_id", "dom_record_id", "metadata_record_id", "error",
    "crawl_id", "attempt", "role", "scope", "followups",
)


@dataclass(frozen=True)
class Visit:
    visit_id: int
    url: str
    final_url: str | None
    seed: str | None
    depth: int | None
    status: int | None
    source_type: str | None
    title: str | None
    visited_at: str | None
    response_record_id: str | None
    screenshot_record_id: str | None
    dom_record_id: str | None
    metadata_record_id: str | None
    error: str | None
    crawl_id: str | None = None
    attempt: int | None = None
    role: str | None = None
    scope: list | None = None  # the Scope's areas the visit's follow-ups were queued in
    followups: list | None = None  # [[url, depth, role], ...] the visit queued

    @classmethod
    def from_row(cls, row: dict) -> "Visit":
        values = {k: row[k] for k in cls.__dataclass_fields__ if k in row}
        for name in ("scope", "followups"):
            if isinstance(values.get(name), str):
                values[name] = json.loads(values[name])
        return cls(**values)


class PageLog:
    def __init__(self, archive_dir: str):
        self._lock = threading.Lock()
        self._db = connect(index_path(archive_dir))
        self._db.executescript(_SCHEMA)
        have = {row[1] for row in self._db.execute("PRAGMA table_info(pages)")}
        for name, kind in _ADDED_COLUMNS.items():
            if name not in have:
                self._db.execute(f"ALTER TABLE pages ADD COLUMN {name} {kind}")
        self._db.executescript(_INDEXES)

    def add(self, **values) -> None:
        for name in ("scope", "followups"):
            if values.get(name) is not None and not isinstance(values[name], str):
                values[name] = json.dumps(values[name], ensure_ascii=False)
        row = [values.get(name) for name in _COLUMNS]
        with self._lock:
            self._db.execute(f"INSERT INTO pages ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})", row)

    def visits(self, since: str | None = None, crawl_id: str | None = None, urls=None) -> list[Visit]:
        """Visits in order; ``since`` bounds visited_at, ``crawl_id`` picks one crawl, ``urls`` some pages."""
        clauses, args = [], []
        if since:
            clauses.append("visited_at >= ?")
            args.append(since)
        if crawl_id:
            clauses.append("crawl_id = ?")
            args.append(crawl_id)
        if urls:
            urls = list(urls)
            clauses.append(f"url IN ({','.join('?' * len(urls))})")
            args += urls
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return self._select(f"SELECT * FROM pages{where} ORDER BY visit_id", args)

    def known_pages(self, seeds) -> list[Visit]:
        """The latest visit of every page URL ever visited from one of ``seeds``."""
        seeds = list(seeds)
        if not seeds:
            return []
        return self._select(
            "SELECT * FROM pages WHERE visit_id IN (SELECT max(visit_id) FROM pages "
            f"WHERE seed IN ({','.join('?' * len(seeds))}) GROUP BY url) ORDER BY visit_id", seeds)

    def _select(self, sql: str, args) -> list[Visit]:
        with self._lock:
            cur = self._db.execute(sql, args)
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
        return [Visit.from_row(dict(zip(names, row))) for row in rows]

    def close(self) -> None:
        self._db.close()


class PageLogPipeline:
    def __init__(self, archive_dir: str):
        self.archive_dir = archive_dir
        self.log: PageLog | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("ARCHIVE_DIR"))

    def open_spider(self, spider=None):
        self.log = PageLog(self.archive_dir)

    def close_spider(self, spider=None):
        if self.log:
            self.log.close()

    def process_item(self, item, spider=None):
        self.log.add(
            url=item.url,
            final_url=item.final_url,
            seed=item.seed,
            depth=item.depth,
            status=item.status,
            source_type=item.source_type,
            title=item.title,
            visited_at=item.started_at,
            response_record_id=item.response_record_id,
            screenshot_record_id=item.screenshot_record_id,
            dom_record_id=item.dom_record_id,
            metadata_record_id=item.metadata_record_id,
            error=item.error,
            crawl_id=item.crawl_id,
            attempt=item.attempt,
            role=item.role,
            scope=item.scope,
            followups=item.followups,
        )
        return item
