"""The collection's record index: one row per WARC record written.

Every writer of the collection (warcprox through its plugin, our own writer of
rendered records) adds a row as soon as a record is on disk, so the crawl can
link a screenshot to the Record-ID of the response it was rendered from, and
later stages can go straight to a record's bytes (file + offset).

The table lives in SQLite under ``ARCHIVE_DIR/state/`` and is shared by
several processes (WAL mode); it is an index, not the evidence: it can always
be rebuilt from the WARC files.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import astuple, dataclass, fields

INDEX_FILENAME = os.path.join("state", "capture.sqlite")
WAL_LIMIT = 1 << 20  # bytes a state database's write-ahead log is truncated to after a checkpoint


def index_path(archive_dir: str) -> str:
    return os.path.join(archive_dir, INDEX_FILENAME)


def connect(path: str) -> sqlite3.Connection:
    """A connection to the collection's state database, shared by several processes."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    db = sqlite3.connect(path, timeout=60, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    # Many small commits: by default the write-ahead log grows to ~4 MB before a checkpoint and
    # keeps that size. Checkpoint at ~1 MB and truncate back, so what the databases need on a
    # nearly full disk stays small and known (MIN_FREE_SPACE is the reserve for finishing).
    db.execute("PRAGMA wal_autocheckpoint=256")
    db.execute(f"PRAGMA journal_size_limit={WAL_LIMIT}")
    return db


@dataclass(frozen=True)
class RecordRef:
    record_id: str  # as written, with the angle brackets: <urn:uuid:...>
    warc_type: str  # response, request, revisit, resource, metadata, warcinfo
    target_uri: str | None
    warc_date: str  # WARC-Date as written (UTC, ISO 8601, trailing Z)
    warc_filename: str  # final file name (never the .open name)
    warc_offset: int  # offset of the record's gzip member in the file
    warc_length: int  # bytes of that member
    payload_digest: str | None = None
    status: int | None = None  # HTTP status for response/revisit
    content_type: str | None = None  # of the payload (HTTP Content-Type for responses)
    concurrent_to: str | None = None
    refers_to: str | None = None
    ip_address: str | None = None


_COLUMNS = [f.name for f in fields(RecordRef)]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY,
    warc_type TEXT NOT NULL,
    target_uri TEXT,
    warc_date TEXT NOT NULL,
    warc_filename TEXT NOT NULL,
    warc_offset INTEGER NOT NULL,
    warc_length INTEGER NOT NULL,
    payload_digest TEXT,
    status INTEGER,
    content_type TEXT,
    concurrent_to TEXT,
    refers_to TEXT,
    ip_address TEXT
);
CREATE INDEX IF NOT EXISTS records_by_uri ON records (target_uri, warc_date);
"""


class RecordIndex:
    """Thread-safe handle on the record index; one per process is enough."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._db = connect(path)
        self._db.executescript(_SCHEMA)

    def add(self, ref: RecordRef) -> None:
        placeholders = ",".join("?" * len(_COLUMNS))
        with self._lock:
            self._db.execute(
                f"INSERT OR REPLACE INTO records ({','.join(_COLUMNS)}) VALUES ({placeholders})",
                astuple(ref),
            )

    def get(self, record_id: str) -> RecordRef | None:
        return self._one("SELECT * FROM records WHERE record_id = ?", (record_id,))

    def latest(
        self, url: str, types=("response", "revisit"), since: str | None = None, until: str | None = None
    ) -> RecordRef | None:
        """The newest record of one of ``types`` for ``url`` dated within [since, until].

        Bounds are WARC-Date strings; ``until`` lets a visit skip a record a
        later visit of the same URL wrote while this one was still rendering.
        """
        marks = ",".join("?" * len(types))
        sql = f"SELECT * FROM records WHERE target_uri = ? AND warc_type IN ({marks})"
        args: list = [url, *types]
        if since:
            sql += " AND warc_date >= ?"
            args.append(since)
        if until:
            sql += " AND warc_date <= ?"
            args.append(until)
        sql += " ORDER BY warc_date DESC, rowid DESC LIMIT 1"
        return self._one(sql, args)

    def original_of(self, revisit: RecordRef) -> RecordRef | None:
        """The record a revisit stands for: its WARC-Refers-To, else the first
        record with its payload digest (same URL first)."""
        if revisit.refers_to:
            found = self.get(revisit.refers_to)
            if found is not None:
                return found
        if not revisit.payload_digest:
            return None
        for extra, args in (("AND target_uri = ? ", (revisit.target_uri,)), ("", ())):
            found = self._one(
                "SELECT * FROM records WHERE payload_digest = ? AND warc_type IN ('response', 'resource') "
                f"{extra}ORDER BY warc_date LIMIT 1", (revisit.payload_digest, *args))
            if found is not None:
                return found
        return None

    def for_file(self, warc_filename: str) -> list[RecordRef]:
        return self._all("SELECT * FROM records WHERE warc_filename = ? ORDER BY warc_offset", (warc_filename,))

    def count(self) -> int:
        with self._lock:
            return self._db.execute("SELECT count(*) FROM records").fetchone()[0]

    def _one(self, sql, args) -> RecordRef | None:
        rows = self._all(sql, args)
        return rows[0] if rows else None

    def _all(self, sql, args) -> list[RecordRef]:
        with self._lock:
            cur = self._db.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [RecordRef(**dict(zip(names, row))) for row in cur.fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()
