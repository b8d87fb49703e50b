"""The chain-of-custody log: what happened to the evidence, one JSON event per line.

``ARCHIVE_DIR/custody.jsonl`` for a collection, ``custody/custody.jsonl`` in a
bundle. Each line is one event, serialised canonically (keys sorted, no
spaces, UTF-8), and carries the SHA-256 of the line before it, so a line
removed, changed or reordered breaks the chain at the next line:

    {"at": "2026-11-21T11:05:03.123456Z", "event": "capture", "prev": "sha256:<hex>",
     "seq": 3, "sha256": {"<file>": "<hex>"}, "tool": "bioarchive 0.1.0",
     "what": {...}, "who": {"contact": ..., "host": ..., "operator": ..., "user": ...}}

The log is only ever appended to (O_APPEND, one write per line, fsync'd,
under an exclusive flock so two writers cannot fork the chain); nothing here
rewrites or truncates it. A chain only proves order and integrity relative
to its last line: a bundle's copy is covered by the signed manifest.

``CustodyOnClose`` (Scrapy extension) appends a ``capture`` event for every
closed WARC file of the collection that no event names yet, once the crawl's
recording proxy has closed its files.

A torn WARC file left by a crash (crawler.capture.repair) gets a ``repair``
event: the original ``.open`` file (kept as it is: name, bytes, SHA-256), the
repaired copy (name, bytes, records, SHA-256; null when no record was
complete) and the bytes dropped. The copy is a closed WARC file like any
other and gets its ``capture`` event from the same ``log_new_captures``.
"""

from __future__ import annotations

import fcntl
import getpass
import hashlib
import json
import logging
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Iterable, Iterator

from crawler import SOFTWARE, __version__
from crawler.afterstop import AfterEngineStop

logger = logging.getLogger(__name__)

COLLECTION_LOG = "custody.jsonl"  # at the top of ARCHIVE_DIR
TOOL = f"{SOFTWARE} {__version__}"
REQUIRED = ("seq", "prev", "at", "event", "who", "tool", "what", "sha256")
_CHUNK = 1 << 20


class CustodyError(RuntimeError):
    """The log cannot be appended to safely; the message names the file."""


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(event: dict) -> bytes:
    """The one serialisation of an event: what is hashed and what is written."""
    return json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def line_hash(line: bytes) -> str:
    return "sha256:" + hashlib.sha256(line).hexdigest()


def actor(operator: str | None = None, contact: str | None = None) -> dict:
    """The person and machine an event is attributed to."""
    try:
        user = getpass.getuser()
    except Exception:  # no passwd entry (containers): the uid is still a fact
        user = str(os.getuid())
    return {"operator": operator or "", "contact": contact or "", "host": socket.getfqdn(), "user": user}


def sha256_file(path: str) -> tuple[str, int]:
    """(hex SHA-256, bytes) of a file, read in chunks."""
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


class CustodyLog:
    """Append-only handle on one custody log file."""

    def __init__(self, path: str):
        self.path = path

    def append(self, event: str, what: dict, sha256: dict, who: dict | None = None, at: str | None = None) -> dict:
        """Add one event after the current last line; returns the event as written."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # released by close (or the kernel if we die)
            last = _last_line(fd, self.path)
            if last is None:
                seq, prev = 0, None
            else:
                try:
                    seq = int(json.loads(last)["seq"]) + 1
                except (ValueError, KeyError, TypeError):
                    raise CustodyError(f"{self.path}: last line is not a custody event; not appending") from None
                prev = line_hash(last)
            record = {
                "seq": seq, "prev": prev, "at": at or now_rfc3339(), "event": event,
                "who": who if who is not None else actor(), "tool": TOOL,
                "what": what, "sha256": dict(sha256),
            }
            data = canonical(record) + b"\n"
            view = memoryview(data)
            while view:  # O_APPEND: every write lands at the end, whatever another handle did
                view = view[os.write(fd, view):]
            os.fsync(fd)
            return record
        except OSError as e:
            raise CustodyError(f"cannot append to custody log {self.path}: {e.strerror or e}") from e
        finally:
            os.close(fd)

    def lines(self) -> Iterator[bytes]:
        """Each line's bytes, without its newline; nothing if the log does not exist yet."""
        try:
            f = open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            for line in f:
                yield line[:-1] if line.endswith(b"\n") else line

    def events(self) -> Iterator[dict]:
        for line in self.lines():
            try:
                yield json.loads(line)
            except ValueError:
                continue  # check_chain reports it; readers skip it

    def last_line(self) -> bytes | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return _last_line(fd, self.path)
        finally:
            os.close(fd)


def _last_line(fd: int, path: str) -> bytes | None:
    """The last line (without its newline), read backwards from the end; None for an empty log."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None
    if os.pread(fd, 1, size - 1) != b"\n":
        raise CustodyError(f"{path} ends in an unfinished line (interrupted write?); not appending")
    pos, buf = size - 1, b""  # buf holds [pos, size - 1): everything before the final newline
    while pos > 0:
        step = min(64 * 1024, pos)
        pos -= step
        buf = os.pread(fd, step, pos) + buf
        cut = buf.rfind(b"\n")
        if cut >= 0:
            return buf[cut + 1:]
    return buf


def check_chain(lines: Iterable[bytes]) -> list[str]:
    """Problems with a custody log's hash chain ([] when intact). Lines may keep their newline."""
    problems: list[str] = []
    prev_line: bytes | None = None
    for n, raw in enumerate(lines, 1):
        line = raw[:-1] if raw.endswith(b"\n") else raw
        try:
            event = json.loads(line)
        except ValueError:
            problems.append(f"custody line {n}: not JSON")
            prev_line = line
            continue
        if not isinstance(event, dict):
            problems.append(f"custody line {n}: not a JSON object")
            prev_line = line
            continue
        missing = [k for k in REQUIRED if k not in event]
        if missing:
            problems.append(f"custody line {n}: missing {', '.join(missing)}")
        if event.get("seq") != n - 1:
            problems.append(f"custody line {n}: seq is {event.get('seq')!r}, expected {n - 1}")
        if prev_line is None:
            if event.get("prev") is not None:
                problems.append(f"custody line {n}: first line must have prev null")
        elif event.get("prev") != line_hash(prev_line):
            problems.append(f"custody line {n}: prev hash does not match line {n - 1}")
        if canonical(event) != line:
            problems.append(f"custody line {n}: not in canonical form (keys sorted, no spaces): edited?")
        prev_line = line
    return problems


# --- capture events -----------------------------------------------------------

class HashingReader:
    """Read-through file wrapper: what a reader pulls through it is hashed (SHA-256) and counted,
    so one pass over a WARC file gives its digest, its size and whatever the reader checked."""

    def __init__(self, f):
        self.f, self.sha256, self.size = f, hashlib.sha256(), 0

    def read(self, n=-1):
        data = self.f.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def tell(self):
        return self.size

    def drain(self):
        for chunk in iter(lambda: self.read(_CHUNK), b""):
            pass


def describe_warc(path: str) -> tuple[str, int, int]:
    """(hex SHA-256, bytes, record count) of one WARC file, streamed."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as f:
        reader = HashingReader(f)
        records = 0
        for _ in ArchiveIterator(reader, no_record_parse=True):
            records += 1
        reader.drain()
    return reader.sha256.hexdigest(), reader.size, records


@contextmanager
def custody_lock(archive_dir: str):
    """One logger of the collection's files at a time (capture and repair events)."""
    from crawler.capture.lock import exclusive

    with exclusive(archive_dir, "custody"):
        yield


def logged_hashes(log: CustodyLog) -> dict[str, str]:
    """{file: hex SHA-256} from the capture events (the first event of a file, if it has several)."""
    hashes: dict[str, str] = {}
    for e in log.events():
        what = e.get("what")
        if e.get("event") == "capture" and isinstance(what, dict) and "file" in what:
            digest = (e.get("sha256") or {}).get(what["file"]) if isinstance(e.get("sha256"), dict) else None
            hashes.setdefault(what["file"], digest)
    return hashes


def log_repair(archive_dir: str, original: dict, repaired: dict | None, bytes_dropped: int,
               dropped_because: str | None, who: dict, recorded_by: str) -> dict:
    """Append a ``repair`` event. ``original``: file, bytes, sha256; ``repaired``: file, bytes, records, sha256."""
    log = CustodyLog(os.path.join(archive_dir, COLLECTION_LOG))
    what = {"original": dict(original, kept_as_is=True), "repaired": repaired, "bytes_dropped": bytes_dropped,
            "dropped_because": dropped_because, "recorded_by": recorded_by}
    hashes = {original["file"]: original["sha256"]}
    if repaired is not None:
        hashes[repaired["file"]] = repaired["sha256"]
    return log.append("repair", what, hashes, who=who)


def repair_events(log: CustodyLog) -> dict[str, dict]:
    """{original .open file name: its (last) repair event}."""
    found: dict[str, dict] = {}
    for e in log.events():
        what = e.get("what")
        if e.get("event") == "repair" and isinstance(what, dict) and isinstance(what.get("original"), dict):
            name = what["original"].get("file")
            if isinstance(name, str):
                found[name] = e
    return found


def logged_files(log: CustodyLog) -> set[str]:
    return {e["what"]["file"] for e in log.events()
            if e.get("event") == "capture" and isinstance(e.get("what"), dict) and "file" in e["what"]}


def log_new_captures(archive_dir: str, actor: dict, recorded_by: str = "crawl") -> list[dict]:
    """Append a ``capture`` event for each closed WARC file no event names yet; returns the events."""
    from crawler.capture.index import closed_warcs

    log = CustodyLog(os.path.join(archive_dir, COLLECTION_LOG))
    added = []
    # One logger at a time, so two crawls closing together do not both log a file.
    with custody_lock(archive_dir):
        done = logged_files(log)
        for name in closed_warcs(archive_dir):
            if name in done:
                continue
            path = os.path.join(archive_dir, name)
            try:
                digest, size, records = describe_warc(path)
            except Exception as e:  # an unreadable file is still logged, with what could be read
                logger.error("custody: %s: %s", path, e)
                digest, size = sha256_file(path)
                records = None
            what = {"file": name, "bytes": size, "records": records, "recorded_by": recorded_by}
            added.append(log.append("capture", what, {name: digest}, who=actor))
    return added


class CustodyOnClose(AfterEngineStop):
    """Scrapy extension: log the crawl's finished WARC files in ARCHIVE_DIR/custody.jsonl.

    Connected to engine_stopped after RecordingProxy (which stops warcprox
    there, closing its files) and IndexOnClose; order in EXTENSIONS: 950.
    Settings: ARCHIVE_DIR, OPERATOR, CONTACT. Stats: ``custody/capture_events``.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self.actor = actor(crawler.settings.get("OPERATOR"), crawler.settings.get("CONTACT"))

    def engine_stopped(self):
        if not os.path.isdir(self.archive_dir):
            return
        try:
            events = log_new_captures(self.archive_dir, self.actor)
        except Exception as e:  # the WARCs are safe; the next crawl or bundle logs them
            logger.error("custody log not updated (%s); the next crawl or `scrapy bundle` will add the events", e)
            return
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("custody/capture_events", len(events))
        if events:
            logger.info("custody: %d capture event(s) appended to %s", len(events),
                        os.path.join(self.archive_dir, COLLECTION_LOG))
