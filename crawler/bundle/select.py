"""Choosing the captures a bundle holds, and copying their records byte for byte.

A bundle holds either the whole collection (its closed WARC files as they
are) or a selection, written as new WARC files that hold exactly the chosen
records: each record's gzip member is copied from the collection unchanged,
so its digests, Record-ID and bytes are the ones written at capture time.

What a selection holds
----------------------
``--url URL`` chooses the page visits of URL (``pages`` table: ``url`` or
``final_url``), optionally only those started within ``--since``/``--until``.
A visit brings:

1. the page's response (or revisit) record, and every response/revisit for
   the page's own URLs (requested URL, final URL, redirect chain from the
   capture metadata) captured during the visit: the redirects that led to it;
2. its screenshot, rendered DOM and capture metadata records (page log ids)
   and any other record whose WARC-Refers-To / WARC-Concurrent-To names the
   page's response (an unchanged screenshot or DOM is a revisit, tied to the
   page by WARC-Concurrent-To);
3. every resource the page loaded during the visit. The browser's requests
   carry no page id and several pages render at once, so a resource record is
   attributed to the visit when it was captured inside the visit's window
   [visit start, visit end] (page log ``visited_at``, metadata
   ``visit_finished``; to the second, as warcprox dates records to the
   second) AND either
   - its request's ``Referer`` is one of the page's URLs or the URL of a
     resource already attributed (a font loaded by the page's stylesheet), or
   - its URL is referenced by the rendered DOM (src, href, srcset, data-src,
     poster, CSS url()) and its request sent no Referer or only an origin:
     this catches cross-origin images (the default referrer policy sends
     only the origin) and pages that send no Referer, while a copy of the
     same URL requested by another page (full-URL Referer) is left out.
   Two pages rendering at the same time that load the same cross-origin URL
   can each get the other's copy too (same URL, usually the same bytes): a
   bundle errs on the side of holding a record, never of missing one.

``--since``/``--until`` alone choose every record captured in that period
(WARC-Date, UTC; a bare date ``until`` means the whole day) and every page
visit started in it.

Then, for every chosen record, until nothing changes: a response's or
revisit's request records and the records rendered from it (screenshot,
DOM, metadata: what the evidence text may have been read from); a
revisit's original (WARC-Refers-To, else
WARC-Refers-To-Target-URI + Date, else the same URL and payload digest): for
a screenshot or DOM revisit, the resource of the visit that first stored it,
which brings that visit's response (its WARC-Concurrent-To); the records its
WARC-Concurrent-To / WARC-Refers-To name. Each new WARC file
holds the records of one source file in their original order, after that
file's warcinfo record(s), also copied as they are.

The record index (``state/capture.sqlite``) gives each record's file, offset
and length; every copied member is checked while copying: one complete gzip
member (CRC and length trailer, nothing after it) whose WARC-Record-ID is the
one expected. The collection is only read.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import sqlite3
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from urllib.parse import urldefrag, urljoin

from crawler.capture.index import closed_warcs, unfinished_warcs
from crawler.capture.records import RecordRef, index_path
from crawler.capture.writer import read_record_at
from pipelines.pages import Visit  # one row of the page log

_CHUNK = 1 << 20
_PAGE_TYPES = ("response", "revisit")
_CONTENT_TYPES = ("response", "revisit", "resource", "metadata", "conversion")


class SelectionError(ValueError):
    """The selection cannot be made; one line naming the URL, record or file."""


# --- time ----------------------------------------------------------------------

def parse_time(value: str) -> datetime:
    """A WARC-Date / RFC 3339 / bare date as an aware UTC datetime."""
    text = value.strip()
    if len(text) == 10:
        text += "T00:00:00"
    text = text.replace("Z", "+00:00").replace(" ", "T")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise SelectionError(f"not a date or time: {value!r} (use e.g. 2026-11-21 or 2026-11-21T10:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def parse_bounds(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    start = parse_time(since) if since else None
    end = None
    if until:
        end = parse_time(until)
        if len(until.strip()) == 10:  # a bare date: the whole day
            end += timedelta(days=1) - timedelta(microseconds=1)
    if start and end and end < start:
        raise SelectionError(f"--until {until} is before --since {since}")
    return start, end


def _second(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


# --- what was chosen -------------------------------------------------------------

@dataclass
class Selection:
    whole: bool
    criteria: dict
    visits: list[Visit] = field(default_factory=list)
    records: dict[str, RecordRef] = field(default_factory=dict)  # chosen records (selection only)
    files: list[str] = field(default_factory=list)  # whole collection: the WARC file names
    notes: list[str] = field(default_factory=list)  # things a reader of the bundle should know

    def record_ids(self) -> set[str]:
        return set(self.records)


class Collection:
    """Read-only view of a collection's record index and page log."""

    def __init__(self, archive_dir: str):
        self.archive_dir = archive_dir
        path = index_path(archive_dir)
        if not os.path.exists(path):
            raise SelectionError(f"no record index at {path}: nothing captured in {archive_dir} yet")
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.db.row_factory = sqlite3.Row
        self._has_pages = bool(self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='pages'").fetchone())
        self._requests: dict[str, list[RecordRef]] | None = None
        self._rendered: dict[str, list[RecordRef]] | None = None

    def close(self):
        self.db.close()

    def _refs(self, sql: str, args=()) -> list[RecordRef]:
        return [RecordRef(**dict(row)) for row in self.db.execute(sql, args).fetchall()]

    def get(self, record_id: str | None) -> RecordRef | None:
        if not record_id:
            return None
        found = self._refs("SELECT * FROM records WHERE record_id = ?", (record_id,))
        return found[0] if found else None

    def visits(self, urls=None) -> list[Visit]:
        if not self._has_pages:
            return []
        sql, args = "SELECT * FROM pages", []
        if urls:
            marks = ",".join("?" * len(urls))
            sql += f" WHERE url IN ({marks}) OR final_url IN ({marks})"
            args = [*urls, *urls]
        rows = self.db.execute(sql + " ORDER BY visit_id", args).fetchall()
        return [Visit.from_row(dict(row)) for row in rows]

    def requests_for(self, record_id: str) -> list[RecordRef]:
        if self._requests is None:  # one pass, instead of a query per response
            self._requests = {}
            for ref in self._refs("SELECT * FROM records WHERE warc_type = 'request'"):
                self._requests.setdefault(ref.concurrent_to, []).append(ref)
        return self._requests.get(record_id, [])

    def referring_to(self, record_id: str) -> list[RecordRef]:
        """What the browser made of a response: screenshot, DOM, capture metadata, and the revisits
        of an unchanged screenshot or DOM (by Concurrent-To; a revisit's Refers-To is its original:
        later captures of the same payload are not what a response needs). Not requests."""
        if self._rendered is None:  # one pass, instead of a table scan per response
            self._rendered = {}
            for ref in self._refs("SELECT * FROM records WHERE warc_type IN ('resource', 'metadata', 'conversion') "
                                  "AND (refers_to IS NOT NULL OR concurrent_to IS NOT NULL)"):
                for target in {ref.refers_to, ref.concurrent_to} - {None}:
                    self._rendered.setdefault(target, []).append(ref)
            for ref in self._refs("SELECT * FROM records WHERE warc_type = 'revisit' AND concurrent_to IS NOT NULL"):
                self._rendered.setdefault(ref.concurrent_to, []).append(ref)
        return self._rendered.get(record_id, [])

    def in_seconds(self, start: datetime | None, end: datetime | None, types=None) -> list[RecordRef]:
        """Records whose WARC-Date falls in [start, end], compared to the second."""
        sql, args, where = "SELECT * FROM records", [], []
        if start:
            where.append("substr(warc_date, 1, 19) >= ?")
            args.append(_second(start))
        if end:
            where.append("substr(warc_date, 1, 19) <= ?")
            args.append(_second(end))
        if types:
            where.append(f"warc_type IN ({','.join('?' * len(types))})")
            args += list(types)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return self._refs(sql, args)

    def by_uri(self, uri: str, types=_PAGE_TYPES) -> list[RecordRef]:
        return self._refs(f"SELECT * FROM records WHERE target_uri = ? AND warc_type IN "
                          f"({','.join('?' * len(types))}) ORDER BY warc_date", (uri, *types))

    def warcinfos(self, filename: str) -> list[RecordRef]:
        return self._refs("SELECT * FROM records WHERE warc_filename = ? AND warc_type = 'warcinfo' "
                          "ORDER BY warc_offset", (filename,))

    def path(self, ref: RecordRef) -> str:
        return os.path.join(self.archive_dir, ref.warc_filename)

    def read(self, ref: RecordRef):
        path = self.path(ref)
        try:
            return read_record_at(path, ref.warc_offset)
        except (OSError, StopIteration, ValueError) as e:
            raise SelectionError(f"cannot read record {ref.record_id} at {path}:{ref.warc_offset} ({e})") from None


# --- choosing ------------------------------------------------------------------

def select_whole(archive_dir: str) -> Selection:
    names = closed_warcs(archive_dir)
    if not names:
        raise SelectionError(f"no closed WARC files in {archive_dir}")
    sel = Selection(whole=True, criteria={"whole_collection": True}, files=names)
    unfinished = unfinished_warcs(archive_dir)
    if unfinished:
        sel.notes.append(f"{len(unfinished)} unfinished .open file(s) left out: {', '.join(unfinished)}")
    if os.path.exists(index_path(archive_dir)):
        coll = Collection(archive_dir)
        try:
            sel.visits = [v for v in coll.visits() if v.response_record_id]
        finally:
            coll.close()
    return sel


def select(archive_dir: str, urls=None, since: str | None = None, until: str | None = None) -> Selection:
    """The records of the chosen page visits / period, with everything they need."""
    urls = [u.strip() for u in (urls or []) if u and u.strip()]
    if not urls and not since and not until:
        return select_whole(archive_dir)
    start, end = parse_bounds(since, until)
    criteria = {"urls": urls, "since": since, "until": until}
    coll = Collection(archive_dir)
    try:
        chooser = _Chooser(coll)
        sel = Selection(whole=False, criteria=criteria)
        if urls:
            for url in urls:
                visits = [v for v in coll.visits([url]) if _within(v.visited_at, start, end)]
                if visits:
                    for visit in visits:
                        chooser.visit(visit)
                    continue
                # Not a page the crawl visited: perhaps a resource (an image, a PDF) captured on its own.
                refs = [r for r in coll.by_uri(url, _CONTENT_TYPES) if _within(r.warc_date, start, end)]
                if not refs:
                    when = f" between {since or 'the start'} and {until or 'now'}" if (since or until) else ""
                    raise SelectionError(f"no capture of {url}{when} in {archive_dir} (see `scrapy captures`)")
                for ref in refs:
                    chooser.add(ref)
        else:
            for visit in coll.visits():
                if visit.visited_at and _within(visit.visited_at, start, end):
                    chooser.visit(visit)
            for ref in coll.in_seconds(start, end):
                if ref.warc_type != "warcinfo" and _within(ref.warc_date, start, end):
                    chooser.add(ref)
        chooser.close_over()
        if not chooser.records:
            raise SelectionError(f"nothing captured between {since or 'the start'} and {until or 'now'}")
        sel.records = chooser.records
        # --url: the chosen visits; a period: every visit whose page response the bundle holds.
        visits = chooser.visits if urls else coll.visits()
        sel.visits = [v for v in visits if v.response_record_id in chooser.records]
        sel.notes = chooser.notes
        return sel
    finally:
        coll.close()


def _within(date: str | None, start: datetime | None, end: datetime | None) -> bool:
    if not date:
        return start is None and end is None
    moment = parse_time(date)
    return (start is None or moment >= start) and (end is None or moment <= end)


class _Chooser:
    def __init__(self, coll: Collection):
        self.coll = coll
        self.records: dict[str, RecordRef] = {}
        self.visits: list[Visit] = []
        self.notes: list[str] = []
        self._pending: list[RecordRef] = []
        self._referers: dict[str, str | None] = {}

    def add(self, ref: RecordRef | None) -> None:
        if ref is not None and ref.record_id not in self.records:
            self.records[ref.record_id] = ref
            self._pending.append(ref)

    def add_id(self, record_id: str | None, needed_by: RecordRef | None = None) -> None:
        if not record_id or record_id in self.records:
            return
        ref = self.coll.get(record_id)
        if ref is None:
            if needed_by is not None:
                self.notes.append(f"record {needed_by.record_id} ({needed_by.target_uri}) names {record_id}, "
                                  "which is not in the collection's record index")
            return
        self.add(ref)

    # A page visit and what it loaded.
    def visit(self, visit: Visit) -> None:
        self.visits.append(visit)
        page = self.coll.get(visit.response_record_id)
        for rid in (visit.response_record_id, visit.screenshot_record_id, visit.dom_record_id,
                    visit.metadata_record_id):
            self.add_id(rid)
        meta = self._metadata(visit)
        start, end = self._window(visit, meta)
        page_urls = {u for u in (visit.url, visit.final_url) if u}
        page_urls |= {hop.get("url") for hop in meta.get("redirect_chain") or [] if hop.get("url")}
        if page is not None:
            page_urls.add(page.target_uri)
            for ref in self.coll.referring_to(page.record_id):
                self.add(ref)
        if start is None:
            return
        in_window = [r for r in self.coll.in_seconds(start, end, _PAGE_TYPES)]
        for ref in in_window:
            if ref.target_uri in page_urls:
                self.add(ref)
        referenced = self._dom_references(visit)
        attributed = set(page_urls)
        candidates = [r for r in in_window if r.record_id not in self.records]
        changed = True
        while changed:
            changed = False
            for ref in candidates:
                if ref.record_id in self.records:
                    continue
                referer = self._referer(ref)
                # A full-URL Referer names the page (or stylesheet) that asked: if it is not
                # ours, the record is another page's copy even when our DOM uses the same URL.
                if referer in attributed or (_strip(ref.target_uri) in referenced and _anonymous(referer)):
                    self.add(ref)
                    attributed.add(ref.target_uri)
                    changed = True

    def _metadata(self, visit: Visit) -> dict:
        ref = self.coll.get(visit.metadata_record_id)
        if ref is None:
            return {}
        try:
            data = json.loads(self.coll.read(ref).content_stream().read())
        except (ValueError, SelectionError):
            return {}
        return data if isinstance(data, dict) else {}

    def _window(self, visit: Visit, meta: dict) -> tuple[datetime | None, datetime | None]:
        started = visit.visited_at or meta.get("visit_started")
        if not started:
            return None, None
        start = parse_time(started).replace(microsecond=0)
        finished = meta.get("visit_finished")
        if not finished:
            ref = self.coll.get(visit.metadata_record_id) or self.coll.get(visit.response_record_id)
            finished = ref.warc_date if ref else started
        end = parse_time(finished)
        if end.microsecond:  # warcprox dates to the second: round the end up
            end = end.replace(microsecond=0) + timedelta(seconds=1)
        return start, max(start, end)

    def _dom_references(self, visit: Visit) -> set[str]:
        ref = self.coll.get(visit.dom_record_id)
        if ref is None:
            return set()
        try:
            if ref.warc_type == "revisit":  # an unchanged DOM: its markup is in the original
                ref = self._original(ref)
            text = self.coll.read(ref).content_stream().read().decode("utf-8", "replace")
        except SelectionError:
            return set()
        return dom_references(text, visit.final_url or visit.url)

    def _referer(self, ref: RecordRef) -> str | None:
        if ref.record_id not in self._referers:
            referer = None
            for request in self.coll.requests_for(ref.record_id):
                record = self.coll.read(request)
                if record.http_headers is not None and record.http_headers.get_header("Referer"):
                    referer = record.http_headers.get_header("Referer")
                    break
            self._referers[ref.record_id] = referer
        return self._referers[ref.record_id]

    # Everything the chosen records need to be read and checked on their own.
    def close_over(self) -> None:
        while self._pending:
            ref = self._pending.pop()
            if ref.warc_type in _PAGE_TYPES:
                for request in self.coll.requests_for(ref.record_id):
                    self.add(request)
                for rendered in self.coll.referring_to(ref.record_id):  # a page's response brings its renderings
                    self.add(rendered)
            if ref.warc_type == "revisit":
                self.add(self._original(ref))
            if ref.warc_type != "revisit":  # a revisit's Refers-To is its original, handled above
                self.add_id(ref.refers_to, needed_by=ref)
            self.add_id(ref.concurrent_to, needed_by=ref)

    def _original(self, revisit: RecordRef) -> RecordRef:
        found = self.coll.get(revisit.refers_to)
        if found is None:
            record = self.coll.read(revisit)
            uri = record.rec_headers.get_header("WARC-Refers-To-Target-URI") or revisit.target_uri
            date = record.rec_headers.get_header("WARC-Refers-To-Date")
            candidates = [r for r in self.coll.by_uri(uri, ("response", "resource"))
                          if (date and r.warc_date == date) or
                          (not date and r.payload_digest == revisit.payload_digest)]
            found = candidates[0] if candidates else None
        if found is None:
            raise SelectionError(f"revisit record {revisit.record_id} ({revisit.target_uri}) refers to a record "
                                 "that is not in the collection: a bundle holding it would be incomplete")
        return found


_ATTR = re.compile(r"""\b(?:src|href|data-src|poster|srcset|data-srcset)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)""", re.I)


def _anonymous(referer: str | None) -> bool:
    """No Referer, or only an origin (cross-origin requests under the default referrer policy)."""
    if not referer:
        return True
    rest = referer.split("://", 1)[-1]
    return "/" not in rest.rstrip("/")


def _strip(url: str | None) -> str:
    return urldefrag(url or "")[0]


def dom_references(markup: str, base: str) -> set[str]:
    """Absolute URLs a rendered page refers to (attributes, srcset candidates, CSS url())."""
    found = set()
    values = [a or b for a, b in _ATTR.findall(markup)]
    values += [a or b or c for a, b, c in _CSS_URL.findall(markup)]
    for value in values:
        value = html.unescape(value).strip()
        parts = [p.strip().split(" ")[0] for p in value.split(",")] if " " in value and "," in value else [value]
        for part in parts:
            if part and not part.startswith(("data:", "javascript:", "mailto:", "#", "blob:")):
                found.add(_strip(urljoin(base, part)))
    return found


# --- copying -------------------------------------------------------------------

@dataclass
class SelectedFile:
    name: str  # in archive/
    source: str  # the collection file its records come from
    path: str  # where it was written
    sha256: str
    bytes: int
    records: int
    members: list[tuple[int, int]]  # (offset, length) of each copied member in the source file


def selection_name(source: str) -> str:
    stem = source[:-len(".warc.gz")] if source.endswith(".warc.gz") else source.rsplit(".warc", 1)[0]
    return f"{stem}-selection.warc.gz" if source.endswith(".gz") else f"{stem}-selection.warc"


def write_selection(sel: Selection, archive_dir: str, out_dir: str) -> list[SelectedFile]:
    """One new WARC per source file in ``out_dir``: its warcinfo record(s), then the chosen records in order."""
    coll = Collection(archive_dir)
    try:
        by_file: dict[str, list[RecordRef]] = {}
        for ref in sel.records.values():
            by_file.setdefault(ref.warc_filename, []).append(ref)
        written = []
        for source in sorted(by_file):
            refs = sorted(by_file[source], key=lambda r: r.warc_offset)
            infos = [r for r in coll.warcinfos(source) if r.record_id not in sel.records]
            members = sorted(infos + refs, key=lambda r: (r.warc_type != "warcinfo", r.warc_offset))
            written.append(_copy_members(coll, source, members, out_dir))
        return written
    finally:
        coll.close()


def _copy_members(coll: Collection, source: str, refs: list[RecordRef], out_dir: str) -> SelectedFile:
    src_path = os.path.join(coll.archive_dir, source)
    name = selection_name(source)
    path = os.path.join(out_dir, name)
    digest, size, spans = hashlib.sha256(), 0, []
    try:
        src = open(src_path, "rb")
    except OSError as e:
        raise SelectionError(f"cannot read {src_path}: {e.strerror or e}") from None
    with src, open(path, "xb") as out:
        for ref in refs:
            src.seek(ref.warc_offset)
            check = _MemberCheck(ref, src_path, gzipped=source.endswith(".gz"))
            left = ref.warc_length
            while left:
                chunk = src.read(min(_CHUNK, left))
                if not chunk:
                    raise SelectionError(f"{src_path} ends inside record {ref.record_id} "
                                         f"(offset {ref.warc_offset}, length {ref.warc_length})")
                check.feed(chunk)
                out.write(chunk)
                digest.update(chunk)
                left -= len(chunk)
            check.finish()
            spans.append((ref.warc_offset, ref.warc_length))
            size += ref.warc_length
        out.flush()
        os.fsync(out.fileno())
    return SelectedFile(name=name, source=source, path=path, sha256=digest.hexdigest(), bytes=size,
                        records=len(refs), members=spans)


class _MemberCheck:
    """The byte range is exactly one complete gzip member holding the expected record."""

    def __init__(self, ref: RecordRef, path: str, gzipped: bool):
        self.ref, self.path, self.gzipped = ref, path, gzipped
        self.inflate = zlib.decompressobj(zlib.MAX_WBITS | 16) if gzipped else None
        self.head = b""
        self.trailing = False

    def feed(self, chunk: bytes) -> None:
        if not self.gzipped:
            if len(self.head) < 4096:
                self.head += chunk[:4096]
            return
        if self.inflate.eof:
            self.trailing = True
            return
        try:
            data = self.inflate.decompress(chunk)
        except zlib.error as e:
            raise SelectionError(f"{self._where()}: not a gzip member ({e}); is the record index stale?") from None
        if len(self.head) < 4096:
            self.head += data[:4096]
        if self.inflate.unused_data:
            self.trailing = True

    def finish(self) -> None:
        if self.gzipped and (not self.inflate.eof or self.trailing):
            raise SelectionError(f"{self._where()}: the indexed byte range is not exactly one gzip member")
        head = self.head.split(b"\r\n\r\n", 1)[0]
        m = re.search(rb"(?im)^WARC-Record-ID:\s*(\S+)", head)
        if not head.startswith(b"WARC/") or not m or m.group(1).decode("ascii", "replace") != self.ref.record_id:
            raise SelectionError(f"{self._where()}: does not hold record {self.ref.record_id}; "
                                 "the record index does not match the file")

    def _where(self) -> str:
        return f"{self.path} at offset {self.ref.warc_offset}"
