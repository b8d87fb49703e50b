"""The evidence store: what each extraction of each captured article said.

SQLite at ``ARCHIVE_DIR/state/evidence.sqlite`` (WAL, shared by several
processes). Two append-only tables:

- ``captures``: one row per extraction of one capture (the capture's own
  response or revisit record, at one extractor version): the article's
  fields, its body text and where that text was read from (the WARC record:
  file, offset, Record-ID, payload digest);
- ``statements``: one row per statement of biometric collection, with the
  quote's offsets into that capture row's ``body_text``.

Rows are never updated or deleted (triggers refuse it): a newer extractor
adds rows beside the old ones, a later capture beside an earlier one's.
``rows()`` reads the newest extraction of each capture by default.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone

from crawler.capture.records import connect

EVIDENCE_FILENAME = os.path.join("state", "evidence.sqlite")

# The order ``scrapy evidence`` prints (shared with the estimate and report).
EVIDENCE_COLUMNS = [
    "statement_id", "url", "captured_at", "warc_filename", "warc_offset", "warc_record_id",
    "payload_digest", "text_source", "source_type", "title", "publisher", "published_at", "language",
    "biometric", "biometrics", "measure", "value_min", "value_max", "approximate", "qualifier", "unit",
    "cumulative", "subset_of", "period_start", "period_end", "place_code", "place_name", "subjects",
    "figure", "quote", "quote_start", "quote_end", "extractor_version", "capture_record_id",
]

# Columns of a capture row, as ``captures()`` returns them.
CAPTURE_COLUMNS = [
    "capture_id", "capture_record_id", "capture_record_type", "url", "captured_at",
    "warc_filename", "warc_offset", "warc_record_id", "payload_digest", "text_source",
    "source_type", "title", "publisher", "published_at", "published_at_source", "language",
    "publisher_place_code", "publisher_place_name", "body_text", "extractor_version", "extracted_at",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS captures (
    capture_id INTEGER PRIMARY KEY AUTOINCREMENT,
    capture_record_id TEXT NOT NULL,      -- the capture's own response or revisit record
    capture_record_type TEXT,
    url TEXT NOT NULL,
    captured_at TEXT NOT NULL,            -- WARC-Date of the capture record (UTC)
    warc_filename TEXT NOT NULL,          -- the record the text was read from ...
    warc_offset INTEGER NOT NULL,
    warc_record_id TEXT NOT NULL,
    payload_digest TEXT,
    text_source TEXT NOT NULL,            -- response | rendered-dom
    source_type TEXT,
    title TEXT,
    publisher TEXT,
    published_at TEXT,                    -- ISO 8601, Beijing time
    published_at_source TEXT,
    language TEXT,                        -- zh | bo | zh+bo
    publisher_place_code TEXT,
    publisher_place_name TEXT,
    body_text TEXT NOT NULL,
    extractor_version TEXT NOT NULL,
    extracted_at TEXT NOT NULL,
    UNIQUE (capture_record_id, extractor_version)
);
CREATE INDEX IF NOT EXISTS captures_by_url ON captures (url, captured_at);
CREATE TABLE IF NOT EXISTS statements (
    statement_id INTEGER PRIMARY KEY AUTOINCREMENT,
    capture_id INTEGER NOT NULL REFERENCES captures (capture_id),
    position INTEGER NOT NULL,            -- order within the capture's statements
    biometric TEXT,
    biometrics TEXT,                      -- JSON list
    measure TEXT,
    value_min REAL,
    value_max REAL,
    approximate INTEGER,
    qualifier TEXT,
    unit TEXT,
    cumulative INTEGER,
    subset_of INTEGER REFERENCES statements (statement_id),
    period_start TEXT,
    period_end TEXT,
    place_code TEXT,
    place_name TEXT,
    subjects TEXT,                        -- JSON list
    figure TEXT,
    quote TEXT NOT NULL,
    quote_start INTEGER NOT NULL,
    quote_end INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS statements_by_capture ON statements (capture_id, position);
CREATE TRIGGER IF NOT EXISTS captures_append_only_u BEFORE UPDATE ON captures
    BEGIN SELECT RAISE(ABORT, 'evidence rows are append-only'); END;
CREATE TRIGGER IF NOT EXISTS captures_append_only_d BEFORE DELETE ON captures
    BEGIN SELECT RAISE(ABORT, 'evidence rows are append-only'); END;
CREATE TRIGGER IF NOT EXISTS statements_append_only_u BEFORE UPDATE ON statements
    BEGIN SELECT RAISE(ABORT, 'evidence rows are append-only'); END;
CREATE TRIGGER IF NOT EXISTS statements_append_only_d BEFORE DELETE ON statements
    BEGIN SELECT RAISE(ABORT, 'evidence rows are append-only'); END;
"""

_CAPTURE_INSERT = [c for c in CAPTURE_COLUMNS if c != "capture_id"]
_STATEMENT_FIELDS = [
    "biometric", "biometrics", "measure", "value_min", "value_max", "approximate", "qualifier", "unit",
    "cumulative", "subset_of", "period_start", "period_end", "place_code", "place_name", "subjects",
    "figure", "quote", "quote_start", "quote_end",
]


def evidence_path(archive_dir: str) -> str:
    return os.path.join(archive_dir, EVIDENCE_FILENAME)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class CaptureEvidence:
    """One extraction of one capture: the capture row and its statements.

    ``capture`` has the keys of CAPTURE_COLUMNS (less capture_id and
    extracted_at); ``statements`` are pipelines.statements.Statement objects
    (or anything with the same attributes), ``subset_of`` an index into them.
    """

    capture: dict
    statements: list = field(default_factory=list)


class EvidenceStore:
    """Thread-safe handle on a collection's evidence database."""

    def __init__(self, archive_dir: str):
        self.path = evidence_path(archive_dir)
        self._lock = threading.Lock()
        self._db = connect(self.path)
        self._db.executescript(_SCHEMA)

    # -- writing ---------------------------------------------------------------

    def has(self, capture_record_id: str, extractor_version: str) -> bool:
        with self._lock:
            return self._db.execute(
                "SELECT 1 FROM captures WHERE capture_record_id = ? AND extractor_version = ?",
                (capture_record_id, extractor_version)).fetchone() is not None

    def add(self, evidence: CaptureEvidence) -> int:
        """Store one extraction; returns the rows added (its capture row and statement
        rows), 0 when this capture was already extracted at this extractor version."""
        capture = dict(evidence.capture)
        capture.setdefault("extracted_at", _now())
        values = [capture.get(c) for c in _CAPTURE_INSERT]
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                cur = db.execute(
                    f"INSERT OR IGNORE INTO captures ({','.join(_CAPTURE_INSERT)}) "
                    f"VALUES ({','.join('?' * len(_CAPTURE_INSERT))})", values)
                if cur.rowcount == 0:
                    db.execute("ROLLBACK")
                    return 0
                capture_id = cur.lastrowid
                # Ids are given here (the write lock is held) so a statement can name
                # its parent by statement_id whatever their order.
                first = db.execute("SELECT coalesce(max(statement_id), 0) + 1 FROM statements").fetchone()[0]
                ids = [first + n for n in range(len(evidence.statements))]
                for position, st in enumerate(evidence.statements):
                    db.execute(
                        f"INSERT INTO statements (statement_id, capture_id, position, {','.join(_STATEMENT_FIELDS)}) "
                        f"VALUES (?, ?, ?, {','.join('?' * len(_STATEMENT_FIELDS))})",
                        [ids[position], capture_id, position, *_statement_row(st, ids)])
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return 1 + len(ids)

    # -- reading ---------------------------------------------------------------

    def rows(self, urls=None, since: str | None = None, until: str | None = None,
             all_versions: bool = False) -> list[dict]:
        """One dict per statement (keys = EVIDENCE_COLUMNS), oldest capture first.

        By default only the newest extraction of each capture counts; every
        capture ever made keeps its rows. ``since`` / ``until`` bound
        captured_at (UTC, a date or a full WARC-Date).
        """
        where, args = self._capture_filter(urls, since, until, all_versions)
        sql = (
            "SELECT s.statement_id, c.url, c.captured_at, c.warc_filename, c.warc_offset, c.warc_record_id, "
            "c.payload_digest, c.text_source, c.source_type, c.title, c.publisher, c.published_at, c.language, "
            "s.biometric, s.biometrics, s.measure, s.value_min, s.value_max, s.approximate, s.qualifier, s.unit, "
            "s.cumulative, s.subset_of, s.period_start, s.period_end, s.place_code, s.place_name, s.subjects, "
            "s.figure, s.quote, s.quote_start, s.quote_end, c.extractor_version, c.capture_record_id "
            "FROM statements s JOIN captures c ON c.capture_id = s.capture_id"
            f"{where} ORDER BY c.captured_at, c.capture_id, s.position"
        )
        with self._lock:
            found = self._db.execute(sql, args).fetchall()
        out = []
        for values in found:
            row = dict(zip(EVIDENCE_COLUMNS, values))
            row["biometrics"] = json.loads(row["biometrics"]) if row["biometrics"] else []
            row["subjects"] = json.loads(row["subjects"]) if row["subjects"] else []
            row["approximate"] = None if row["approximate"] is None else bool(row["approximate"])
            row["cumulative"] = None if row["cumulative"] is None else bool(row["cumulative"])
            out.append(row)
        return out

    def captures(self, urls=None, since: str | None = None, until: str | None = None,
                 all_versions: bool = False) -> list[dict]:
        """One dict per captured article (keys = CAPTURE_COLUMNS), statements or not."""
        where, args = self._capture_filter(urls, since, until, all_versions)
        sql = f"SELECT {','.join('c.' + n for n in CAPTURE_COLUMNS)} FROM captures c{where} " \
              "ORDER BY c.captured_at, c.capture_id"
        with self._lock:
            return [dict(zip(CAPTURE_COLUMNS, v)) for v in self._db.execute(sql, args).fetchall()]

    def counts(self) -> tuple[int, int]:
        """(capture rows, statement rows) over every version."""
        with self._lock:
            return (self._db.execute("SELECT count(*) FROM captures").fetchone()[0],
                    self._db.execute("SELECT count(*) FROM statements").fetchone()[0])

    def _capture_filter(self, urls, since, until, all_versions):
        clauses, args = [], []
        if not all_versions:
            # The newest extraction of each capture (the latest one stored).
            clauses.append("c.capture_id IN (SELECT max(capture_id) FROM captures GROUP BY capture_record_id)")
        if urls:
            urls = list(urls)
            clauses.append(f"c.url IN ({','.join('?' * len(urls))})")
            args += urls
        if since:
            clauses.append("c.captured_at >= ?")
            args.append(since)
        if until:
            clauses.append("c.captured_at <= ?")
            # A bare date means the whole day.
            args.append(until + "T23:59:59Z" if len(until) == 10 else until)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> EvidenceStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _statement_row(st, ids: list[int]) -> list:
    """A Statement as column values; subset_of (an index) becomes the parent's statement_id."""
    parent = getattr(st, "subset_of", None)
    if parent is not None:
        parent = ids[parent] if isinstance(parent, int) and 0 <= parent < len(ids) else None
    biometrics = getattr(st, "biometrics", None) or ([st.biometric] if st.biometric else [])
    flag = lambda v: None if v is None else int(bool(v))  # noqa: E731
    return [
        st.biometric, json.dumps(list(biometrics), ensure_ascii=False), st.measure,
        st.value_min, st.value_max, flag(st.approximate), getattr(st, "qualifier", None), st.unit,
        flag(st.cumulative), parent, st.period_start, st.period_end, st.place_code, st.place_name,
        json.dumps(list(getattr(st, "subjects", None) or []), ensure_ascii=False),
        getattr(st, "figure", None), st.quote, st.quote_start, st.quote_end,
    ]
