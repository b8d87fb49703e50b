"""Read a collection back for the tests: every record, its place and its digests."""

from __future__ import annotations

import glob
import json
import os
import sqlite3
from dataclasses import dataclass, field

from warcio.archiveiterator import ArchiveIterator

from crawler.capture.digests import DigestCheck, check_record


@dataclass
class Rec:
    filename: str
    offset: int
    version: str
    type: str
    id: str
    uri: str | None
    headers: dict
    http_status: int | None
    http_headers: dict = field(default_factory=dict)
    payload: bytes = b""  # decoded (transfer and content encodings undone)
    digests: DigestCheck | None = None

    def header(self, name):
        return self.headers.get(name.lower())


def warc_files(archive_dir: str) -> list[str]:
    return sorted(glob.glob(os.path.join(archive_dir, "*.warc.gz")))


def read_collection(archive_dir: str) -> list[Rec]:
    recs: list[Rec] = []
    for path in warc_files(archive_dir):
        checks = []
        with open(path, "rb") as f:
            for record in ArchiveIterator(f, no_record_parse=True):
                checks.append(check_record(record))
        with open(path, "rb") as f:
            it = ArchiveIterator(f)
            for i, record in enumerate(it):
                headers = {k.lower(): v for k, v in record.rec_headers.headers}
                http = record.http_headers
                payload = record.content_stream().read() if record.rec_type != "revisit" else b""
                recs.append(
                    Rec(
                        filename=os.path.basename(path),
                        offset=it.get_record_offset(),
                        version=record.rec_headers.protocol,
                        type=record.rec_type,
                        id=headers.get("warc-record-id"),
                        uri=headers.get("warc-target-uri"),
                        headers=headers,
                        http_status=int(http.get_statuscode()) if http is not None and record.rec_type in ("response", "revisit") else None,
                        http_headers={k.lower(): v for k, v in http.headers} if http is not None else {},
                        payload=payload,
                        digests=checks[i],
                    )
                )
    return recs


def visit_errors(records: list[Rec]) -> dict[str, str | None]:
    """{page URL: the error its capture metadata names (None when none)}."""
    errors = {}
    for rec in records:
        if rec.type == "metadata":
            meta = json.loads(rec.payload)
            errors[meta["url"]] = meta.get("error")
    return errors


def records_indexed(archive_dir: str, warc_type: str = "response") -> int:
    """Records of this type in the collection's record index so far (0 before it exists)."""
    try:
        db = sqlite3.connect(f"file:{archive_dir}/state/capture.sqlite?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM records WHERE warc_type = ?", (warc_type,)).fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0
