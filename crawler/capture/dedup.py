"""The collection's payload dedup database: warcprox's own, shared by every writer.

warcprox keeps ``ARCHIVE_DIR/state/dedup.sqlite`` (``warcprox.dedup.DedupDb``:
key ``"<labelled payload digest>|<bucket>"``, value ``{"id", "url", "date"}``
of the record that first stored that payload) and writes a ``revisit`` record
for a response whose payload is already there. Our writer of rendered records
uses the same database through the same class, so one database holds every
payload of the collection, whoever wrote it: an unchanged screenshot or DOM
becomes a revisit of the night it was first stored, like an unchanged page.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import warcprox
from hanzo import warctools
from warcprox.dedup import DedupDb

DEDUP_FILENAME = os.path.join("state", "dedup.sqlite")


def dedup_path(archive_dir: str) -> str:
    return os.path.join(archive_dir, DEDUP_FILENAME)


@dataclass(frozen=True)
class Original:
    """The record that first stored a payload: what a revisit refers to."""

    record_id: str  # with the angle brackets, as written
    target_uri: str
    warc_date: str


class PayloadDedup:
    """Look up and save payload digests in the collection's dedup database (default bucket)."""

    def __init__(self, path: str):
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        self.path = path
        self._db = DedupDb(path, options=warcprox.Options(base32=True))
        self._db.start()  # creates the table if warcprox has not yet
        self._lock = threading.Lock()

    def lookup(self, payload_digest: str) -> Original | None:
        with self._lock:
            found = self._db.lookup(payload_digest.encode("ascii"))
        if not found:
            return None
        return Original(record_id=found["id"].decode("latin1"), target_uri=found["url"].decode("utf-8"),
                        warc_date=found["date"].decode("latin1"))

    def save(self, payload_digest: str, record_id: str, target_uri: str, warc_date: str) -> None:
        # DedupDb.save reads these three headers off a record, as warcprox hands it its response records.
        record = warctools.WarcRecord(headers=[
            (warctools.WarcRecord.ID, record_id.encode("latin1")),
            (warctools.WarcRecord.URL, target_uri.encode("utf-8")),
            (warctools.WarcRecord.DATE, warc_date.encode("latin1")),
        ])
        with self._lock:
            self._db.save(payload_digest.encode("ascii"), record)
