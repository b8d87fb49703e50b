"""Our own WARC writer, for the records the browser produces.

warcprox records what crossed the wire; the screenshot, the rendered DOM and
the capture metadata are written here, as ``resource`` / ``conversion`` /
``metadata`` records tied to the page's response by WARC-Concurrent-To /
WARC-Refers-To (warcprox's WARCPROX_WRITE_RECORD cannot set those).

With a dedup database (crawler.capture.dedup, warcprox's own), a resource
whose payload the collection already holds is written as a ``revisit`` record
instead (WARC 1.1 identical-payload-digest profile, empty block): it names the
record holding the payload (WARC-Refers-To) and keeps its link to the page
(WARC-Concurrent-To). Metadata describes one visit and is never deduplicated.

The files are evidence, so the rules are those of an append-only log:

- each record is built in memory as one gzip member, then appended with a
  single write loop, flushed and fsync'd before it is reported (RecordRef,
  record index): a crash loses at most the record in flight;
- a file is created exclusively (``NAME.warc.gz.open``), never reopened,
  rewritten or truncated, and renamed to its final name only once complete;
- its writer holds an exclusive flock on the ``.open`` file from the moment
  the name exists until it is renamed (``create_locked``, ``publish``), so an
  ``.open`` file whose lock can be taken was left by a crash
  (crawler.capture.repair);
- a write error leaves the file ``.open`` (closed, unlocked: it may end in a
  partial record, so it never gets a final name; the repair on the next start
  keeps its complete records at their offsets), raises WarcWriteError with
  the errno, and the writer writes nothing more.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import hashlib
import io
import logging
import os
import secrets
import string
import threading
from datetime import datetime, timezone

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler.capture.dedup import PayloadDedup
from crawler.capture.records import RecordIndex, RecordRef
from crawler.capture.warcinfo import format_warc_fields

logger = logging.getLogger(__name__)

OPEN_SUFFIX = ".open"
RECORD_TYPES = ("resource", "metadata", "conversion")
# Content that may repeat night after night; metadata describes one visit, so never.
DEDUP_TYPES = ("resource", "conversion")
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Headers the writer owns: a caller's extra_headers may not override them.
_MANAGED = {
    "warc-type", "warc-record-id", "warc-date", "warc-target-uri", "content-type", "content-length",
    "warc-block-digest", "warc-payload-digest", "warc-warcinfo-id", "warc-concurrent-to",
    "warc-refers-to", "warc-refers-to-target-uri", "warc-refers-to-date", "warc-filename", "warc-profile",
}
_TOKEN_ALPHABET = string.ascii_lowercase + string.digits


class WarcWriteError(OSError):
    """Writing, syncing or renaming a WARC file failed; the message names the file."""


def sha256_b32(data: bytes) -> str:
    """Labelled base32 SHA-256, as warcprox writes it with ``-g sha256 --base32``."""
    return "sha256:" + base64.b32encode(hashlib.sha256(data).digest()).decode("ascii")


def format_warc_date(value: datetime | str | None = None) -> str:
    """WARC-Date in UTC with microseconds (allowed in WARC/1.1)."""
    if isinstance(value, str):
        return value
    value = (value or datetime.now(timezone.utc)).astimezone(timezone.utc).replace(tzinfo=None)
    return datetime_to_iso_date(value, use_micros=True)


def _record_id(value: str | None) -> str | None:
    if value and not value.startswith("<"):
        value = f"<{value}>"
    return value


class WarcWriter:
    """Thread-safe, rolling, append-only writer of WARC/1.1 files (one gzip member per record)."""

    def __init__(
        self,
        directory: str,
        prefix: str,
        warcinfo_fields: list[tuple[str, str]],
        rollover_size: int = 1_000_000_000,
        record_index: RecordIndex | None = None,
        name_suffix: str = "",
        dedup: PayloadDedup | None = None,
    ):
        self.directory = directory
        self.prefix = prefix
        self.warcinfo_fields = list(warcinfo_fields)
        self.rollover_size = rollover_size
        self.record_index = record_index
        self.name_suffix = name_suffix
        self.dedup = dedup  # None: every record is written in full
        self._lock = threading.Lock()
        # warcio builds and gzips each record; its output is swapped per record.
        self._warcio = WARCWriter(None, gzip=True, warc_version="1.1")
        self._serial = 0
        self._fh: io.FileIO | None = None
        self._name: str | None = None  # final name of the file being written
        self._offset = 0
        self._warcinfo_id: str | None = None
        self._closed = False
        self._failed: WarcWriteError | None = None  # the write error that stopped this writer
        self.files: list[str] = []  # final paths of the files completed so far

    # --- public API ------------------------------------------------------
    def write_record(
        self,
        warc_type: str,
        target_uri: str,
        payload: bytes,
        content_type: str,
        *,
        concurrent_to: str | None = None,
        refers_to: str | None = None,
        refers_to_target_uri: str | None = None,
        refers_to_date: str | None = None,
        extra_headers: dict | None = None,
        warc_date: datetime | str | None = None,
    ) -> RecordRef:
        if warc_type not in RECORD_TYPES:
            raise ValueError(f"WarcWriter writes {', '.join(RECORD_TYPES)} records, not {warc_type!r}")
        clash = _MANAGED & {k.lower() for k in (extra_headers or {})}
        if clash:
            raise ValueError(f"extra_headers may not set {', '.join(sorted(clash))}")
        payload = bytes(payload)
        concurrent_to, refers_to = _record_id(concurrent_to), _record_id(refers_to)
        digest = sha256_b32(payload)
        extra = [(str(k), str(v)) for k, v in (extra_headers or {}).items()]
        with self._lock:
            if self._closed:
                raise ValueError("WarcWriter is closed")
            if self._fh is None:
                self._open_file()
            original = self._stored_before(warc_type, payload, digest)
            if original is not None:
                # The payload is in the collection already: a revisit names that record;
                # the link to this visit's page stays, in WARC-Concurrent-To.
                headers = _link_headers(target_uri, concurrent_to, original.record_id, original.target_uri,
                                        original.warc_date) + [("WARC-Profile", REVISIT_PROFILE)] + extra
                ref = self._write("revisit", headers, b"", None, _date=warc_date, concurrent_to=concurrent_to,
                                  refers_to=original.record_id, payload_digest=digest,
                                  payload_type=content_type)
            else:
                headers = _link_headers(target_uri, concurrent_to, refers_to, refers_to_target_uri,
                                        refers_to_date) + extra
                ref = self._write(warc_type, headers, payload, content_type, _date=warc_date,
                                  concurrent_to=concurrent_to, refers_to=refers_to, payload_digest=digest)
                if warc_type in DEDUP_TYPES:
                    self._remember(ref)
            if self._offset >= self.rollover_size:
                self._finish_file()
            return ref

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._fh is not None:
                self._finish_file()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def current_path(self) -> str | None:
        """The ``.open`` path being written, if any."""
        return self._path(self._name) + OPEN_SUFFIX if self._name else None

    # --- files -----------------------------------------------------------
    def _path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def _open_file(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        now = datetime.now(timezone.utc)
        token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(8))
        name = (f"{self.prefix}-{now:%Y%m%d%H%M%S}{now.microsecond // 1000:03d}-"
                f"{self._serial:05d}-{token}{self.name_suffix}.warc.gz")
        path = self._path(name)
        if os.path.lexists(path):
            raise FileExistsError(f"refusing to overwrite existing WARC file {path}")
        if self._failed is not None:
            # A full disk would only leave one more torn file per record tried.
            raise WarcWriteError(self._failed.errno, f"not writing to {self.directory}: an earlier write failed "
                                                     f"({self._failed})")
        try:
            # Never an existing file; locked from the first moment; unbuffered: we decide when bytes go out.
            self._fh = create_locked(path + OPEN_SUFFIX, buffering=0)
        except OSError as e:
            raise WarcWriteError(e.errno, f"cannot create WARC file {path + OPEN_SUFFIX}: {e.strerror or e}") from e
        self._serial += 1
        self._name, self._offset = name, 0
        info = StatusAndHeaders("", [("WARC-Filename", name)], protocol="WARC/1.1")
        self._warcinfo_id = None  # the warcinfo record itself carries no Warcinfo-ID
        ref = self._write("warcinfo", info.headers, format_warc_fields(self.warcinfo_fields),
                          "application/warc-fields")
        self._warcinfo_id = ref.record_id

    def _finish_file(self) -> None:
        """fsync, rename to the final name, fsync the directory, close. Never truncates.

        Renamed before it is closed, so while the lock is still held: the
        ``.open`` name is never seen unlocked while this writer lives. On an
        error the file keeps its ``.open`` name and the writer stops.
        """
        fh, name, self._fh, self._name = self._fh, self._name, None, None
        path = self._path(name)
        try:
            os.fsync(fh.fileno())
            publish(path + OPEN_SUFFIX, path)
        except OSError as e:
            self._failed = WarcWriteError(
                e.errno, f"cannot close WARC file {path}: {e.strerror or e}; left as {path + OPEN_SUFFIX}")
            raise self._failed from e
        finally:
            fh.close()  # releases the lock
        self.files.append(path)

    def _abandon_file(self) -> None:
        """Close the file where it is, keeping its .open name (the repair on the next start takes it from there)."""
        fh, self._fh, self._name = self._fh, None, None
        try:
            fh.close()
        except OSError:
            pass

    # --- dedup -----------------------------------------------------------
    def _stored_before(self, warc_type: str, payload: bytes, digest: str):
        """The record that first stored this payload, if it may be deduplicated against it."""
        if self.dedup is None or warc_type not in DEDUP_TYPES or not payload:
            return None
        try:
            return self.dedup.lookup(digest)
        except Exception as e:  # the database is a saving, never a reason to lose a record
            logger.warning("dedup lookup of %s failed (%s): writing the payload in full", digest, e)
            return None

    def _remember(self, ref: RecordRef) -> None:
        """Note a payload just written, once it is on disk, so later copies become revisits of it."""
        if self.dedup is None or not ref.payload_digest or ref.payload_digest == _EMPTY_DIGEST:
            return
        try:
            self.dedup.save(ref.payload_digest, ref.record_id, ref.target_uri, ref.warc_date)
        except Exception as e:
            logger.warning("could not save %s of %s in the dedup database (%s): its next copy will be "
                           "written in full", ref.payload_digest, ref.record_id, e)

    # --- records ---------------------------------------------------------
    def _write(self, warc_type, headers, payload, content_type, *, _date=None, concurrent_to=None,
               refers_to=None, payload_digest=None, payload_type=None) -> RecordRef:
        """``payload_digest``: of the payload (a revisit's empty block stands for one);
        ``payload_type``: its Content-Type, for the index row of a revisit (whose block has none)."""
        block_digest = sha256_b32(payload)  # no HTTP headers in these records: block == payload
        digest = payload_digest or block_digest
        date = format_warc_date(_date)
        rec_headers = StatusAndHeaders("", [], protocol="WARC/1.1")
        rec_headers.add_header("WARC-Type", warc_type)
        rec_headers.add_header("WARC-Record-ID", self._warcio._make_warc_id())
        rec_headers.add_header("WARC-Date", date)
        for name, value in headers:
            rec_headers.add_header(name, value)
        if self._warcinfo_id:
            rec_headers.add_header("WARC-Warcinfo-ID", self._warcinfo_id)
        rec_headers.add_header("WARC-Block-Digest", block_digest)
        rec_headers.add_header("WARC-Payload-Digest", digest)
        record = self._warcio.create_warc_record(
            rec_headers.get_header("WARC-Target-URI") or "", warc_type, payload=io.BytesIO(payload),
            length=len(payload), warc_content_type=content_type, warc_headers=rec_headers)
        if content_type is None:
            record.content_type = None  # an empty block has no type (warcio would say application/http)
        member = io.BytesIO()
        self._warcio.out = member
        self._warcio.write_record(record)
        data = member.getvalue()

        offset = self._offset
        self._append(data)
        ref = RecordRef(
            record_id=rec_headers.get_header("WARC-Record-ID"),
            warc_type=warc_type,
            target_uri=rec_headers.get_header("WARC-Target-URI"),
            warc_date=date,
            warc_filename=self._name,
            warc_offset=offset,
            warc_length=len(data),
            payload_digest=digest,
            content_type=content_type or payload_type,
            concurrent_to=concurrent_to,
            refers_to=refers_to,
        )
        if self.record_index is not None:
            self.record_index.add(ref)
        return ref

    def _append(self, data: bytes) -> None:
        view = memoryview(data)
        try:
            while view:
                view = view[self._fh.write(view):]
            os.fsync(self._fh.fileno())
        except OSError as e:
            path = self.current_path
            # The file may now end in a partial member: it must not get its final name
            # ("every closed WARC file is valid"). Its complete records keep the offsets
            # already reported; the repair on the next start copies them under that name.
            self._abandon_file()
            self._failed = WarcWriteError(
                e.errno, f"cannot write WARC record to {path}: {e.strerror or e} "
                         f"(left as .open; its complete records are kept by the repair on the next start)")
            raise self._failed from e
        self._offset += len(data)


_EMPTY_DIGEST = sha256_b32(b"")


def _link_headers(target_uri, concurrent_to, refers_to, refers_to_target_uri, refers_to_date) -> list:
    headers = [("WARC-Target-URI", target_uri)]
    if concurrent_to:
        headers.append(("WARC-Concurrent-To", concurrent_to))
    if refers_to:
        headers.append(("WARC-Refers-To", refers_to))
    if refers_to_target_uri:
        headers.append(("WARC-Refers-To-Target-URI", refers_to_target_uri))
    if refers_to_date:
        headers.append(("WARC-Refers-To-Date", refers_to_date))
    return headers


def create_locked(path: str, buffering: int = -1):
    """Create ``path`` exclusively (never an existing file), already under an exclusive flock.

    The file is made under a scratch name, locked, and only then linked to
    ``path``: no one can find ``path`` unlocked while its writer lives, so
    "the lock can be taken" means "left by a crash" (crawler.capture.repair).
    Where hard links are not supported, it is created in place and locked at
    once (a moment without the lock).
    """
    scratch = f"{path}.{os.getpid()}.{threading.get_ident()}.creating"
    fh = open(scratch, "xb", buffering=buffering)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a name nobody else knows: never contended
        try:
            os.link(scratch, path)  # FileExistsError if path exists
            # Its name from now on (gzip writes it into each member's header).
            getattr(fh, "raw", fh).name = path
        except OSError as e:
            if e.errno not in _NO_HARD_LINKS:
                raise
            fh.close()
            fh = None
        finally:
            os.unlink(scratch)
    except BaseException:
        if fh is not None:
            fh.close()
        raise
    if fh is None:
        fh = open(path, "xb", buffering=buffering)
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fh


_NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EMLINK, errno.ENOSYS}


def publish(open_path: str, final_path: str) -> None:
    """Give a finished file its final name, never replacing a file, and make the rename durable.

    The caller still holds the file's lock (see create_locked), so no repair
    can be making a copy under ``final_path`` meanwhile.
    """
    if os.path.lexists(final_path):
        raise FileExistsError(errno.EEXIST, f"{final_path} exists already; left as {open_path}")
    os.rename(open_path, final_path)
    _fsync_dir(os.path.dirname(final_path) or ".")


def _fsync_dir(directory: str) -> None:
    # Makes the rename durable; not every platform/filesystem allows it.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def record_path(archive_dir: str, warc_filename: str) -> str:
    """Where a record's file is: its final name, or the .open name while it is still being written."""
    path = os.path.join(archive_dir, warc_filename)
    if not os.path.exists(path) and os.path.exists(path + OPEN_SUFFIX):
        return path + OPEN_SUFFIX
    return path


def read_record_at(path: str, offset: int):
    """The warcio record whose gzip member (or plain record) starts at ``offset``.

    Its raw stream is read into memory, so the record stays usable after the
    file is closed (``record.content_stream().read()``).
    """
    with open(path, "rb") as fh:
        fh.seek(offset)
        it = ArchiveIterator(fh)
        record = next(iter(it))
        record.raw_stream = io.BytesIO(record.raw_stream.read())
        return record
