"""What our warcprox writes: WARC/1.1 records, our warcinfo, files synced before closing.

warcprox's record builder and writer, subclassed (site-packages stays
untouched): every record is WARC/1.1; the warcinfo record opening each file
carries the collection's fields; request records get a WARC-Payload-Digest
(over the request body); a file is fsync'ed before it loses its ``.open``.

Files are created and closed as our own writer does (crawler.capture.writer:
``create_locked``, ``publish``): never over an existing file, under an
exclusive flock from creation until the rename, so an ``.open`` file whose
lock can be taken was left by a crash. A write error (a full disk) must not
end in warcprox's close(), which would give a file ending in a torn record
its final name: the file is left ``.open``, closed and unlocked, for the
repair on the next start (crawler.capture.repair); one CRITICAL line names
it and the OS error; nothing more is written, and the proxy is told to stop
(``options.bioarchive_on_write_failure``), since it must not proxy traffic
it cannot record.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os

import warcprox
import warcprox.warc
import warcprox.writer
from hanzo import warctools

from crawler.capture.warcinfo import format_warc_fields
from crawler.capture.writer import create_locked, publish

log = logging.getLogger("bioarchive.proxy")

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
    """warcprox's writer with our builder and file lifecycle; also reports each file's warcinfo record.

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
        self.failed: BaseException | None = None  # the write error that stopped this writer
        self.unrecorded = 0  # exchanges that reached the writer after it stopped

    def open(self, serial):
        os.makedirs(self.directory, exist_ok=True)
        self.finalname = self.filename(serial)
        self.path = os.path.join(self.directory, self.finalname + self.open_suffix)
        self.f = create_locked(self.path)
        return self.f

    def ensure_open(self):
        opening = not self.f
        super().ensure_open()
        if opening:
            record = self.record_builder.last_warcinfo
            record.offset, record.length = 0, self.f.tell()
            record.warc_filename = self.finalname
            self._unreported_warcinfo = record

    def write_records(self, recorded_url):
        if self.failed is not None:
            self.unrecorded += 1
            return ()
        try:
            records = super().write_records(recorded_url)
        except Exception as e:  # OSError mostly; whatever it was, the file's end is now in doubt
            self._stop_writing(e)
            return ()  # no record of this exchange is reported (indexed, deduplicated against)
        if self._unreported_warcinfo is not None:
            recorded_url.warcinfo_record = self._unreported_warcinfo
            self._unreported_warcinfo = None
        return records

    def close(self):
        """fsync, rename to the final name while still locked, close; on an error the file stays .open."""
        if self.path is None:
            if self.unrecorded:  # at shutdown: say what went through unrecorded, once
                log.error("%d exchange(s) reached the writer after it stopped and were not recorded",
                          self.unrecorded)
                self.unrecorded = 0
            return
        f, path = self.f, self.path
        final = os.path.join(self.directory, self.finalname)
        self.f = self.path = None
        try:
            # Evidence: the bytes are on disk before the file is declared finished.
            f.flush()
            os.fsync(f.fileno())
            publish(path, final)
        except Exception as e:
            self._stop_writing(e, f, path)
            return
        finally:
            if not f.closed:
                f.close()  # releases the lock: after the rename

    def _stop_writing(self, error: BaseException, f=None, path: str | None = None) -> None:
        if f is None:
            f, path = self.f, self.path
            self.f = self.path = None
        self.failed = error
        self._unreported_warcinfo = None
        if f is not None:
            try:
                f.close()  # may try the buffered rest again; the file is torn either way
            except Exception:
                pass
        log.critical("cannot write WARC file %s: %s: left as .open (its complete records are kept by the repair "
                     "on the next start); recording stopped, the proxy is shutting down",
                     path, _describe(error))
        on_failure = getattr(self.options, "bioarchive_on_write_failure", None)
        if on_failure is not None:
            on_failure(error)


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno:
        return f"[Errno {error.errno}] {error.strerror or error}"
    return f"{type(error).__name__}: {error}"
