"""warcprox plugin: one RecordIndex row per WARC record warcprox writes.

Loaded by warcprox (``--plugin crawler.capture.recordlog.RecordLog``) as a
listener: it runs in warcprox's post-fetch chain right after the records are
on disk, so the crawl finds a page's response record within moments (it polls
the index to tie a screenshot to that record).

Rows also cover each file's warcinfo record, which warcprox writes on its own
when it opens a file; our writer (proxy_records.CaptureWarcWriter) hands it over
on ``recorded_url.warcinfo_record``.
"""

from __future__ import annotations

import logging

from crawler.capture.records import RecordIndex, RecordRef, index_path

log = logging.getLogger("bioarchive.recordlog")

_WITH_HTTP_STATUS = ("response", "revisit")


def _text(value) -> str | None:
    if value is None:
        return None
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def record_ref(record, recorded_url=None) -> RecordRef:
    """The index row for a hanzo WarcRecord as warcprox's writer decorated it (offset, length, warc_filename)."""
    header = record.get_header
    warc_type = _text(record.type)
    status = content_type = None
    if recorded_url is not None and warc_type in _WITH_HTTP_STATUS:
        status = int(recorded_url.status) if recorded_url.status is not None else None
        content_type = _text(recorded_url.content_type)
    elif warc_type not in ("request", "response", "revisit"):
        content_type = _text(header(b"Content-Type"))
    return RecordRef(
        record_id=_text(record.id),
        warc_type=warc_type,
        target_uri=_text(header(b"WARC-Target-URI")),
        warc_date=_text(record.date),
        warc_filename=record.warc_filename,
        warc_offset=int(record.offset),
        warc_length=int(record.length),
        payload_digest=_text(header(b"WARC-Payload-Digest")),
        status=status,
        content_type=content_type,
        concurrent_to=_text(header(b"WARC-Concurrent-To")),
        refers_to=_text(header(b"WARC-Refers-To")),
        ip_address=_text(header(b"WARC-IP-Address")),
    )


class RecordLog:
    """warcprox listener plugin; constructed by warcprox as ``RecordLog(options, controller)``."""

    def __init__(self, options, controller=None):
        self.path = index_path(options.directory)
        self.index: RecordIndex | None = None

    def start(self):
        self.index = RecordIndex(self.path)

    def notify(self, recorded_url, records):
        if self.index is None:
            self.start()
        refs = []
        warcinfo = getattr(recorded_url, "warcinfo_record", None)
        if warcinfo is not None:
            refs.append(record_ref(warcinfo))
        for record in records or ():
            refs.append(record_ref(record, recorded_url))
        for ref in refs:
            try:
                self.index.add(ref)
            except Exception as e:  # the WARC is the evidence; the index can be rebuilt from it
                log.error("could not index record %s (%s at %s): %s", ref.record_id, ref.warc_filename, ref.warc_offset, e)

    def stop(self):
        if self.index is not None:
            self.index.close()
            self.index = None
