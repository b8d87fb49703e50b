"""What our warcprox writes: WARC/1.1 records, our warcinfo, files synced before closing.

warcprox's record builder and writer, subclassed (site-packages stays
untouched): every record is WARC/1.1; the warcinfo record opening each file
carries the collection's fields; request records get a WARC-Payload-Digest
(over the request body); a file is fsync'ed before it loses its ``.open``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os

import warcprox
import warcprox.warc
import warcprox.writer
from hanzo import warctools

from crawler.capture.warcinfo import format_warc_fields

WARC_VERSION = b"WARC/1.1"
REVISIT_PROFILE_11 = b"http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
DIGEST_ALGORITHM = "sha256"


def load_warcinfo(path: str | None) -> list[tuple[str, str]]:
    """Fields for the warcinfo record: ``--warcinfo`` JSON ([[name, value], ...]) plus warcprox's version."""
    fields: list[tuple[str, str]] = []
    if path:
        with open(path, encoding="utf-8") as f:
            fields = [(str(name), str(value)) for name, value in json.load(f)]
    ours = f"warcprox/{warcprox.__version__}"
    for i, (name, value) in enumerate(fields):
        if name == "software":
            if ours not in value.split():
                fields[i] = (name, f"{value} {ours}")
            break
    else:
        fields.insert(0, ("software", ours))
    if not any(name == "format" for name, _ in fields):
        fields.append(("format", "WARC File Format 1.1"))
    return fields


class Warc11RecordBuilder(warcprox.warc.WarcRecordBuilder):
    """warcprox's record builder, writing WARC/1.1 and our warcinfo."""

    def __init__(self, digest_algorithm, base32, warcinfo_fields):
        super().__init__(digest_algorithm=digest_algorithm, base32=base32)
        self.warcinfo_fields = warcinfo_fields
        self.last_warcinfo = None

    def build_warc_record(self, *args, **kwargs):
        if kwargs.get("profile") == warctools.WarcRecord.PROFILE_IDENTICAL_PAYLOAD_DIGEST:
            kwargs["profile"] = REVISIT_PROFILE_11
        record = super().build_warc_record(*args, **kwargs)
        record.version = WARC_VERSION
        if kwargs.get("warc_type") == warctools.WarcRecord.REQUEST and isinstance(kwargs.get("data"), bytes):
            self._add_request_payload_digest(record, kwargs["data"])
        return record

    def _add_request_payload_digest(self, record, data: bytes):
        # warcprox leaves it out for application/http blocks; the payload of a
        # request is its body (empty for a GET).
        if record.get_header(warctools.WarcRecord.PAYLOAD_DIGEST) is None:
            body = data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""
            digest = warcprox.digest_str(hashlib.new(self.digest_algorithm, body), self.base32)
            record.headers.append((warctools.WarcRecord.PAYLOAD_DIGEST, digest))

    def build_warcinfo_record(self, filename):
        data = format_warc_fields(self.warcinfo_fields)
        now = datetime.datetime.now(datetime.timezone.utc)
        headers = [
            (warctools.WarcRecord.TYPE, warctools.WarcRecord.WARCINFO),
            (warctools.WarcRecord.ID, warctools.WarcRecord.random_warc_uuid()),
            (warctools.WarcRecord.DATE, self.format_warc_date(now)),
            (warctools.WarcRecord.FILENAME, filename.encode("utf-8")),
            (warctools.WarcRecord.BLOCK_DIGEST,
             warcprox.digest_str(hashlib.new(self.digest_algorithm, data), self.base32)),
        ]
        record = warctools.WarcRecord(
            version=WARC_VERSION, headers=headers, content=(b"application/warc-fields", data))
        self.last_warcinfo = record
        return record


class CaptureWarcWriter(warcprox.writer.WarcWriter):
    """warcprox's writer with our builder; also reports each file's warcinfo record.

    warcprox writes the warcinfo record on its own when it opens a file and
    tells no plugin about it; we hang it on the next recorded url
    (``recorded_url.warcinfo_record``) so the record index gets a row for it.
    """

    def __init__(self, options=warcprox.Options()):
        super().__init__(options)
        self.record_builder = Warc11RecordBuilder(
            options.digest_algorithm or DIGEST_ALGORITHM, options.base32,
            options.bioarchive_warcinfo or load_warcinfo(None))
        self._unreported_warcinfo = None

    def ensure_open(self):
        opening = not self.f
        super().ensure_open()
        if opening:
            record = self.record_builder.last_warcinfo
            record.offset, record.length = 0, self.f.tell()
            record.warc_filename = self.finalname
            self._unreported_warcinfo = record

    def write_records(self, recorded_url):
        records = super().write_records(recorded_url)
        if self._unreported_warcinfo is not None:
            recorded_url.warcinfo_record = self._unreported_warcinfo
            self._unreported_warcinfo = None
        return records

    def close(self):
        # Evidence: the bytes are on disk before the file is declared finished.
        if self.f is not None:
            try:
                self.f.flush()
                os.fsync(self.f.fileno())
            except OSError as e:
                self.logger.error("could not fsync %s: %s", self.path, e)
        super().close()
