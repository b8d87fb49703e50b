"""Torn WARC files: what a crash leaves behind, and the repaired copy made from it.

Both writers (ours, crawler.capture.writer, and warcprox's, proxy_records)
hold an exclusive flock on the ``.open`` file they write, from the moment the
name exists until it is renamed. So an ``.open`` file whose lock can be taken
has no live writer: a crawl (or the machine) died while writing it. Each
record was flushed as it was written, so the file holds every record up to
the one in flight, which may be cut anywhere (or, after a write error, end
in bytes that are not a record at all).

Evidence rules decide the repair:

- the original ``.open`` file is never modified, renamed or deleted: it
  stays exactly as the crash left it (its SHA-256 is in the custody event);
- the repaired copy holds every complete record from the start up to the
  first incomplete or corrupt one, byte for byte: a record counts when its
  gzip member is complete (CRC and length trailer checked) and the WARC
  record inside ends where its Content-Length says, followed by CRLF CRLF;
- the copy takes the file's final name (the ``.open`` name without
  ``.open``): the record index, the page log and the evidence store name
  records by final file name and offset (writer.record_path), and every
  record keeps its offset, so their rows stay valid;
- it is written under a scratch name, fsync'd, linked into place (never over
  an existing file) and the directory fsync'd; the final name existing
  already is a refusal;
- a ``repair`` event in ARCHIVE_DIR/custody.jsonl names both files
  (crawler.custody.log_repair); when no record was complete there is no copy,
  and the event (repaired: null) is what marks the file as dealt with.

Files are read in fixed-size chunks and inflated with a bounded output, so
memory stays flat whatever their size. ``RecoverOnStart`` (Scrapy extension)
repairs at the start of a crawl; ``scrapy fsck --repair`` runs the same code.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import zlib
from dataclasses import asdict, dataclass

from crawler.capture.index import check_gzip_members, unfinished_warcs
from crawler.capture.writer import OPEN_SUFFIX, _fsync_dir
from crawler.custody import COLLECTION_LOG, CustodyLog, actor, custody_lock, log_repair, repair_events

logger = logging.getLogger(__name__)

_READ = 1 << 20  # bytes read from the file at a time
_INFLATE = 1 << 20  # bound on the bytes one inflate call may produce
_MAX_HEAD = 1 << 20  # WARC headers longer than this are not a record
_END_OF_RECORD = b"\r\n\r\n"
_WARC_VERSION = re.compile(rb"^WARC/\d+\.\d+$")

LIVE = "being written"  # a live writer holds its lock
TORN = "torn"  # left by a crash, not repaired yet
REPAIRED = "repaired"  # left by a crash; its repaired copy (or its empty-repair event) is there


@dataclass
class Repair:
    original: str  # the .open file's name, left as it is
    repaired: str | None = None  # the copy's name (the final name); None: no copy made
    records: int = 0  # complete records kept
    bytes_kept: int = 0
    bytes_dropped: int = 0  # of the record in flight (and anything after it)
    original_sha256: str | None = None
    repaired_sha256: str | None = None
    error: str | None = None  # why the file was not repaired (or the event not logged)
    dropped_because: str | None = None  # what ends the complete part: "file ends inside a gzip member" ...

    def stats(self) -> dict:
        """The dict of ``recovery/repaired`` (keys read by the nightly run report)."""
        return {k: getattr(self, k) for k in ("original", "repaired", "records", "bytes_kept", "bytes_dropped")}

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Scan:
    """What a WARC file holds: how many complete records from its start, and where that ends."""

    size: int = 0
    sha256: str = ""  # of the whole file
    records: int = 0  # complete records from the start
    complete: int = 0  # bytes they take (the end of the last complete record)
    first_type: str | None = None  # WARC-Type of the first record
    problem: str | None = None  # None: the whole file is complete records
    problem_offset: int | None = None  # where the first incomplete or corrupt record starts
    problem_record_id: str | None = None  # its WARC-Record-ID, when its headers could be read


class _RecordFraming:
    """Follows WARC records through their (inflated) bytes, keeping headers only, never blocks."""

    def __init__(self):
        self.records = 0  # complete records so far
        self.fed = 0  # bytes fed so far
        self.last_end = 0  # bytes fed when the last complete record ended
        self.first_type: str | None = None
        self.record_id: str | None = None  # of the record being read
        self._state = "head"
        self._head = bytearray()
        self._remaining = 0  # block bytes still to come
        self._matched = 0  # bytes of the CRLF CRLF after the block seen so far

    @property
    def at_boundary(self) -> bool:
        return self._state == "head" and not self._head

    def feed(self, data: bytes) -> None:
        """Raises ValueError when the bytes are not WARC records."""
        view = memoryview(data)
        while view:
            if self._state == "head":
                seen = len(self._head)
                self._head += view
                end = self._head.find(_END_OF_RECORD, max(seen - 3, 0))
                if end < 0:
                    if len(self._head) > _MAX_HEAD:
                        raise ValueError(f"no end of WARC headers within {_MAX_HEAD} bytes")
                    self.fed += len(view)
                    return
                used = end + 4 - seen
                self.fed += used
                view = view[used:]
                self._start_block(bytes(self._head[:end]))
                self._head.clear()
            elif self._state == "block":
                take = min(self._remaining, len(view))
                self._remaining -= take
                self.fed += take
                view = view[take:]
                if not self._remaining:
                    self._state = "end"
            else:
                want = _END_OF_RECORD[self._matched:]
                take = min(len(want), len(view))
                if view[:take] != want[:take]:
                    raise ValueError("record not followed by CRLF CRLF where its Content-Length ends")
                self._matched += take
                self.fed += take
                view = view[take:]
                if self._matched == 4:
                    self.records += 1
                    self.last_end = self.fed
                    self.record_id = None
                    self._state, self._matched = "head", 0

    def _start_block(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        if not _WARC_VERSION.match(lines[0]):
            raise ValueError(f"not a WARC record (starts {bytes(lines[0][:20])!r})")
        fields = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep:
                raise ValueError(f"malformed WARC header line {bytes(line[:40])!r}")
            fields[name.strip().lower()] = value.strip().decode("utf-8", "replace")
        self.record_id = fields.get(b"warc-record-id")
        if self.records == 0 and self.first_type is None:
            self.first_type = fields.get(b"warc-type")
        try:
            self._remaining = int(fields[b"content-length"])
        except (KeyError, ValueError):
            raise ValueError("WARC record without a readable Content-Length") from None
        if self._remaining < 0:
            raise ValueError("negative Content-Length")
        self._state = "block" if self._remaining else "end"


def scan_warc(fh, gzipped: bool = True) -> Scan:
    """Read ``fh`` (from its current position) to its end: complete records, where they end, SHA-256.

    With ``gzipped``, a record counts only at the end of a complete gzip member
    (CRC and length checked by zlib); a member that does not inflate, or that
    the file ends inside, stops the complete part there.
    """
    scan, digest, framing = Scan(), hashlib.sha256(), _RecordFraming()
    inflater, member_start, pos = None, 0, 0  # pos: file offset of the next compressed byte

    def stop(offset: int, problem: str) -> None:
        scan.problem, scan.problem_offset, scan.problem_record_id = problem, offset, framing.record_id

    for chunk in iter(lambda: fh.read(_READ), b""):
        digest.update(chunk)
        scan.size += len(chunk)
        if scan.problem is not None:
            continue  # the rest is only hashed
        if not gzipped:
            try:
                framing.feed(chunk)
            except ValueError as e:
                stop(framing.last_end, str(e))
            continue
        data = chunk
        while scan.problem is None:
            if inflater is None:
                if not data:
                    break
                inflater, member_start = zlib.decompressobj(zlib.MAX_WBITS | 16), pos
            try:
                out = inflater.decompress(data, _INFLATE)
                framing.feed(out)
            except zlib.error as e:
                stop(member_start, f"gzip member does not inflate ({e})")
                break
            except ValueError as e:
                stop(member_start, str(e))
                break
            if inflater.eof:
                pos += len(data) - len(inflater.unused_data)
                data, inflater = inflater.unused_data, None
                if framing.at_boundary:  # a record ends with this member: a place to cut
                    scan.complete, scan.records = pos, framing.records
                continue
            pos += len(data) - len(inflater.unconsumed_tail)
            data = inflater.unconsumed_tail
            if not data and len(out) < _INFLATE:
                break  # this chunk is used up and nothing more is pending: read on
    if scan.problem is None:
        if gzipped and inflater is not None:
            stop(member_start, "file ends inside a gzip member (an unfinished record)")
        elif gzipped and not framing.at_boundary:
            stop(scan.complete, "file ends inside a record whose gzip members are complete")
        elif not gzipped and not framing.at_boundary:
            stop(framing.last_end, "file ends inside a record (an unfinished record)")
    if not gzipped:
        scan.complete, scan.records = framing.last_end, framing.records
    elif scan.problem_offset is not None and scan.problem_record_id is None and fh.seekable():
        scan.problem_record_id = _peek_record_id(fh, scan.problem_offset)
    scan.sha256 = digest.hexdigest()
    scan.first_type = framing.first_type
    return scan


def _peek_record_id(fh, offset: int) -> str | None:
    """The WARC-Record-ID of a damaged member, if its headers inflate before the damage does."""
    fh.seek(offset)
    inflater, head = zlib.decompressobj(zlib.MAX_WBITS | 16), b""
    for _ in range(128):  # 128 x 512 compressed bytes: far more than any WARC headers take
        data = fh.read(512)
        if not data:
            break
        try:
            head += inflater.decompress(data, _MAX_HEAD - len(head))
        except zlib.error:
            break
        if b"\r\n\r\n" in head or inflater.eof or len(head) >= _MAX_HEAD:
            break
    match = re.search(rb"\r\nWARC-Record-ID:[ \t]*(<[^>\r\n]*>)", head.split(b"\r\n\r\n", 1)[0], re.IGNORECASE)
    return match.group(1).decode("utf-8", "replace") if match else None


def scan_path(path: str) -> Scan:
    with open(path, "rb") as fh:
        return scan_warc(fh, gzipped=_is_gzipped(path))


def _is_gzipped(name: str) -> bool:
    return name.removesuffix(OPEN_SUFFIX).endswith(".gz")


def final_name(open_name: str) -> str:
    return open_name[: -len(OPEN_SUFFIX)]


# --- which .open files are torn ---------------------------------------------

def has_live_writer(path: str) -> bool:
    """True while a writer holds the file's lock (a file that is gone has none)."""
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        return False
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def open_file_states(archive_dir: str) -> dict[str, str]:
    """{name: LIVE | TORN | REPAIRED} for every ``.open`` file at the top of ``archive_dir``."""
    names = unfinished_warcs(archive_dir)
    if not names:
        return {}
    events = repair_events(CustodyLog(os.path.join(archive_dir, COLLECTION_LOG)))
    states = {}
    for name in names:
        path = os.path.join(archive_dir, name)
        if has_live_writer(path):
            states[name] = LIVE
        elif os.path.lexists(os.path.join(archive_dir, final_name(name))):
            states[name] = REPAIRED  # fsck tells a copy from a second name left mid-rename
        elif _repaired_without_copy(path, events.get(name)):
            states[name] = REPAIRED
        else:
            states[name] = TORN
    return states


def _repaired_without_copy(path: str, event: dict | None) -> bool:
    # No record was complete, so no copy: the repair event, for this very file, is the mark.
    if not event or event["what"].get("repaired") is not None:
        return False
    from crawler.custody import sha256_file

    try:
        digest, size = sha256_file(path)
    except OSError:
        return False
    original = event["what"]["original"]
    return original.get("sha256") == digest and original.get("bytes") == size


def orphaned_open_files(archive_dir: str) -> list[str]:
    """The ``.open`` files left by a crash and not repaired yet (no live writer, no repaired copy)."""
    return [name for name, state in open_file_states(archive_dir).items() if state == TORN]


# --- the repair -------------------------------------------------------------

def repair_torn(archive_dir: str, name: str, who: dict | None = None, recorded_by: str = "repair") -> Repair:
    """Make the repaired copy of the torn ``name`` (an ``.open`` file) and log it; never raises on bad input."""
    result = Repair(original=name)
    if not name.endswith(OPEN_SUFFIX) or os.sep in name:
        result.error = f"{name}: not the name of an .open file in {archive_dir}"
        return result
    path = os.path.join(archive_dir, name)
    final = os.path.join(archive_dir, final_name(name))
    try:
        fh = open(path, "rb")
    except OSError as e:
        result.error = f"cannot read {path}: {e.strerror or e}"
        return result
    with fh:  # the lock, held until the end, keeps a second repairer out
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            result.error = f"{path} is being written (its writer holds the lock): not torn, not repaired"
            return result
        if os.path.lexists(final):
            result.error = f"{final} exists already: {name} not repaired again"
            return result
        try:
            scan = scan_warc(fh, gzipped=_is_gzipped(name))
        except OSError as e:
            result.error = f"cannot read {path}: {e.strerror or e}"
            return result
        result.records, result.bytes_kept = scan.records, scan.complete
        result.bytes_dropped, result.original_sha256 = scan.size - scan.complete, scan.sha256
        result.dropped_because = scan.problem
        original = {"file": name, "bytes": scan.size, "sha256": scan.sha256}
        who = who if who is not None else actor()
        if scan.records == 0:
            # Nothing complete to keep: no copy (an empty WARC would be no WARC); the event marks it done.
            try:
                with custody_lock(archive_dir):
                    log_repair(archive_dir, original, None, result.bytes_dropped, scan.problem, who, recorded_by)
            except Exception as e:
                result.error = f"{name} holds no complete record; the repair event could not be logged: {e}"
            return result
        scratch = os.path.join(archive_dir, f".{final_name(name)}.{os.getpid()}.repairing")
        try:
            result.repaired_sha256 = _copy_prefix(fh, scan.complete, scratch)
            if _is_gzipped(name):
                with open(scratch, "rb") as check:
                    check_gzip_members(check)  # the copy is what the index and bundles will read
        except (OSError, ValueError, EOFError) as e:
            _remove(scratch)
            result.error = f"cannot write the repaired copy of {path}: {getattr(e, 'strerror', None) or e}"
            result.repaired_sha256 = None
            return result
        try:
            with custody_lock(archive_dir):  # so the capture event of the copy can only come after this one
                try:
                    os.link(scratch, final)  # never over an existing file
                finally:
                    _remove(scratch)
                _fsync_dir(archive_dir)
                result.repaired = final_name(name)
                repaired = {"file": result.repaired, "bytes": scan.complete, "records": scan.records,
                            "sha256": result.repaired_sha256}
                log_repair(archive_dir, original, repaired, result.bytes_dropped, scan.problem, who, recorded_by)
        except FileExistsError:
            result.error = f"{final} appeared meanwhile: {name} not repaired again"
            result.repaired_sha256 = None
        except Exception as e:
            if result.repaired is None:
                result.error = f"cannot put the repaired copy in place as {final}: {getattr(e, 'strerror', None) or e}"
                result.repaired_sha256 = None
            else:
                result.error = f"repaired as {result.repaired}, but the repair event could not be logged: {e}"
        return result


def _copy_prefix(fh, length: int, dest: str) -> str:
    """Copy the first ``length`` bytes of ``fh`` into the new file ``dest``, fsync'd; returns its SHA-256."""
    digest = hashlib.sha256()
    fh.seek(0)
    with open(dest, "xb") as out:
        left = length
        while left:
            chunk = fh.read(min(_READ, left))
            if not chunk:
                raise EOFError(f"the file became shorter while it was copied ({length - left} of {length} bytes)")
            digest.update(chunk)
            out.write(chunk)
            left -= len(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def repair_all(archive_dir: str, who: dict | None = None, recorded_by: str = "repair") -> list[Repair]:
    """Repair every orphaned ``.open`` file of the collection."""
    return [repair_torn(archive_dir, name, who, recorded_by) for name in orphaned_open_files(archive_dir)]


def describe(repair: Repair) -> str:
    """The one line an operator reads about a repair."""
    if repair.repaired is not None:
        return (f"found torn WARC {repair.original} left by an interrupted crawl: kept as is; repaired copy "
                f"{repair.repaired} holds {repair.records} complete records; {repair.bytes_dropped} bytes of an "
                f"unfinished record dropped")
    return (f"found torn WARC {repair.original} left by an interrupted crawl: kept as is; it holds no complete "
            f"record ({repair.bytes_dropped} bytes of an unfinished record), so there is no repaired copy")


class RecoverOnStart:
    """Scrapy extension: repair the torn ``.open`` files an interrupted crawl left in ARCHIVE_DIR.

    Runs when it is loaded: after CollectionLock (50), before RecordingProxy
    (100) starts writing (order 60). One WARNING line per file. Stats:
    ``recovery/repaired`` (list of {original, repaired, records, bytes_kept,
    bytes_dropped}) and ``recovery/failed`` (list of {file, error}).
    Settings: ARCHIVE_DIR, OPERATOR, CONTACT.
    """

    def __init__(self, crawler):
        settings = crawler.settings
        archive_dir = settings.get("ARCHIVE_DIR")
        repaired, failed = [], []
        if archive_dir and os.path.isdir(archive_dir):
            try:
                repairs = repair_all(archive_dir, actor(settings.get("OPERATOR"), settings.get("CONTACT")),
                                     recorded_by="crawl start")
            except Exception as e:  # the crawl can still record; fsck --repair can do this later
                logger.error("could not look for torn WARC files in %s: %s", archive_dir, e)
                repairs = []
            for repair in repairs:
                if repair.repaired is not None or repair.error is None:
                    logger.warning(describe(repair))
                    repaired.append(repair.stats())
                if repair.error is not None:
                    logger.error("torn WARC %s: %s", repair.original, repair.error)
                    failed.append({"file": repair.original, "error": repair.error})
        if crawler.stats is not None:
            crawler.stats.set_value("recovery/repaired", repaired)
            crawler.stats.set_value("recovery/failed", failed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
