"""The page log: one row per visit of a page, for operators and later stages.

Append-only (a later visit adds a row, it never replaces one), in the same
SQLite file as the record index, under ARCHIVE_DIR/state/.
"""

from __future__ import annotations

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
    error TEXT
);
CREATE INDEX IF NOT EXISTS pages_by_url ON pages (url, visited_at);
"""

_COLUMNS = (
    "url", "final_url", "seed", "depth", "status", "source_type", "title", "visited_at",
    "response_record_id", "screenshot_record_id", "dom_record_id", "metadata_record_id", "error",
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


class PageLog:
    def __init__(self, archive_dir: str):
        self._lock = threading.Lock()
        self._db = connect(index_path(archive_dir))
        self._db.executescript(_SCHEMA)

    def add(self, **values) -> None:
        row = [values.get(name) for name in _COLUMNS]
        with self._lock:
            self._db.execute(f"INSERT INTO pages ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})", row)

    def visits(self, since: str | None = None) -> list[Visit]:
        sql, args = "SELECT * FROM pages", []
        if since:
            sql, args = sql + " WHERE visited_at >= ?", [since]
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY visit_id", args).fetchall()
        return [Visit(*row) for row in rows]

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
        )
        return item
