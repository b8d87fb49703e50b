"""``scrapy reextract [--since DATE]``: run the evidence extraction again over the WARCs.

No crawling: every WARC file already in ARCHIVE_DIR is streamed (record by
record, never loaded whole), each article capture (an HTML response or
revisit) is paired with the rendered-DOM record the crawl wrote for it
(WARC-Refers-To / WARC-Concurrent-To its Record-ID; an unchanged DOM is a
revisit, tied to the page by WARC-Concurrent-To, whose WARC-Refers-To names
the DOM record holding the text), and the same code as the crawl's item
pipeline extracts it with the current extractor version. A
capture already extracted at that version is skipped, so running it twice
adds nothing; rows of older versions stay.

Two passes: the first reads only record headers to learn what is where (the
DOM records live in other files than the responses), the second reads each
capture's records at their offsets.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import os
import sys
import zlib
from dataclasses import dataclass, field

from scrapy.commands import ScrapyCommand
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.index import closed_warcs, unfinished_warcs
from crawler.capture.records import RecordRef
from crawler.capture.rendered import DOM_URN
from pipelines.evidence import EvidenceError, evidence_for, extractor_version
from pipelines.store import EvidenceStore

_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class CollectionScan:
    """What the first pass learned: captures, the responses they may refer to, DOMs."""

    captures: list[RecordRef] = field(default_factory=list)
    responses: dict[str, RecordRef] = field(default_factory=dict)  # record id -> HTML response
    by_digest: dict[str, RecordRef] = field(default_factory=dict)  # payload digest -> first response or DOM
    doms: dict[str, RecordRef] = field(default_factory=dict)  # capture record id -> rendered DOM (or its revisit)
    dom_records: dict[str, RecordRef] = field(default_factory=dict)  # record id -> DOM resource
    problems: list[str] = field(default_factory=list)

    def original_of(self, revisit: RecordRef) -> RecordRef | None:
        """The response, or DOM resource, a revisit of a page or of its DOM stands for."""
        found = self.responses.get(revisit.refers_to or "") or self.dom_records.get(revisit.refers_to or "")
        return found or self.by_digest.get(revisit.payload_digest or "")


@dataclass
class Summary:
    captures: int = 0  # article captures extracted (or already extracted) at this version
    statements: int = 0  # statement rows of those captures, this run
    new_rows: int = 0  # rows added by this run (capture rows + statement rows)
    skipped: int = 0  # already extracted at this version
    errors: list[str] = field(default_factory=list)


def warc_paths(archive_dir: str, warn=None) -> list[str]:
    """The collection's WARC files, oldest name first; ``.open`` files are left out."""
    if warn:
        for name in unfinished_warcs(archive_dir):
            warn(f"reextract: skipping {name}: still being written (.open)")
    return [os.path.join(archive_dir, name) for name in closed_warcs(archive_dir)]


def _is_html(content_type: str | None) -> bool:
    return bool(content_type) and content_type.split(";")[0].strip().lower() in _HTML_TYPES


class CorruptWarc(Exception):
    pass


def scan(paths: list[str], since: str | None = None) -> CollectionScan:
    """First pass: headers only, one file at a time; a corrupt file is one problem line."""
    found = CollectionScan()
    for path in paths:
        name = os.path.basename(path)
        try:
            _scan_file(path, name, found, since)
        except Exception as exc:  # truncated gzip, not a WARC, unreadable file ...
            found.problems.append(f"reextract: {name}: corrupt or unreadable WARC: {_one_line(exc)}")
    return found


def _scan_file(path: str, name: str, found: CollectionScan, since: str | None) -> None:
    # warcio reads past a truncated file or garbage without raising (it warns on
    # stderr, over several lines, or reads garbage as ARC): check each record
    # ourselves and keep its warnings out of the output.
    with open(path, "rb") as fh, contextlib.redirect_stderr(io.StringIO()) as noise:
        records = ArchiveIterator(fh)
        last, end = None, 0  # the last record read: where it starts and ends
        for record in records:
            offset = records.offset
            if record.format != "warc":
                raise CorruptWarc(f"no WARC record at offset {offset}")
            ref = _ref(record, name)
            while record.raw_stream.read(1 << 16):
                pass
            if record.rec_headers.get_header("Content-Length") is None or getattr(record.raw_stream, "limit", 1):
                raise CorruptWarc(f"record at offset {offset} is truncated")
            if "WARNING" in noise.getvalue():
                raise CorruptWarc(f"record before offset {records.get_record_offset()} is longer than its "
                                  "Content-Length says")
            last, end = records.get_record_offset(), records.get_record_offset() + records.get_record_length()
            if ref is not None:
                _note(found, dataclasses.replace(ref, warc_offset=records.get_record_offset(),
                                                 warc_length=records.get_record_length()), since)
        # warcio says nothing of a last gzip member cut short (a record may even read
        # whole without its gzip trailer), nor of one cut before it yields anything.
        if last is not None and _is_gzip(fh, last) and not _gzip_member_complete(fh, last):
            raise CorruptWarc(f"the gzip member of the record at offset {last} is truncated")
        fh.seek(end)
        if fh.read(64).strip():
            raise CorruptWarc(f"unreadable bytes after the last complete record (offset {end}): truncated?")


def _is_gzip(fh, offset: int) -> bool:
    fh.seek(offset)
    return fh.read(2) == b"\x1f\x8b"


def _gzip_member_complete(fh, offset: int) -> bool:
    """Does the gzip member at ``offset`` end with its trailer? (Streams; output is discarded.)"""
    fh.seek(offset)
    member = zlib.decompressobj(16 + zlib.MAX_WBITS)
    while not member.eof:
        chunk = fh.read(1 << 16)
        if not chunk:
            return False
        try:
            member.decompress(chunk, 1 << 16)
            while member.unconsumed_tail and not member.eof:
                member.decompress(member.unconsumed_tail, 1 << 16)
        except zlib.error:
            return False
    return True


def _ref(record, name: str) -> RecordRef | None:
    kind = record.rec_type
    headers = record.rec_headers
    uri = headers.get_header("WARC-Target-URI") or ""
    if uri.startswith(DOM_URN):
        if kind not in ("resource", "revisit"):
            return None
        status, content_type = None, headers.get_header("Content-Type")
    elif kind in ("response", "revisit"):
        http = record.http_headers
        if http is None or not uri.startswith(("http://", "https://")):
            return None
        status = http.get_statuscode()
        content_type = http.get_header("Content-Type")
    else:
        return None
    return RecordRef(
        record_id=headers.get_header("WARC-Record-ID"),
        warc_type=kind,
        target_uri=uri,
        warc_date=headers.get_header("WARC-Date") or "",
        warc_filename=name,
        warc_offset=-1,  # known once the record is read to its end
        warc_length=-1,
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        status=int(status) if status and str(status).isdigit() else None,
        content_type=content_type,
        concurrent_to=headers.get_header("WARC-Concurrent-To"),
        refers_to=headers.get_header("WARC-Refers-To"),
    )


def _note(found: CollectionScan, ref: RecordRef, since: str | None) -> None:
    if ref.target_uri.startswith(DOM_URN):
        # A DOM revisit's Refers-To is the DOM it repeats: its page is the Concurrent-To.
        page = ref.concurrent_to if ref.warc_type == "revisit" else ref.refers_to or ref.concurrent_to
        found.doms.setdefault(page or "", ref)
        if ref.warc_type == "resource":
            found.dom_records[ref.record_id] = ref
            if ref.payload_digest:
                found.by_digest.setdefault(ref.payload_digest, ref)
        return
    if ref.warc_type == "response" and _is_html(ref.content_type):
        found.responses[ref.record_id] = ref
        if ref.payload_digest:
            found.by_digest.setdefault(ref.payload_digest, ref)
    # A revisit's HTTP headers are those of its response, so it passes the same test.
    if ref.status is not None and 200 <= ref.status < 300 and _is_html(ref.content_type):
        if not since or ref.warc_date >= since:
            found.captures.append(ref)


def reextract(archive_dir: str, since: str | None = None, warn=None) -> Summary:
    """Extract every article capture in the collection at the current extractor version."""
    warn = warn or (lambda line: print(line, file=sys.stderr))
    summary = Summary()
    found = scan(warc_paths(archive_dir, warn), since)
    summary.errors += found.problems
    for line in found.problems:
        warn(line)
    version = extractor_version()
    with EvidenceStore(archive_dir) as store:
        for capture in found.captures:
            if store.has(capture.record_id, version):
                summary.skipped += 1
                summary.captures += 1
                continue
            original = found.original_of(capture) if capture.warc_type == "revisit" else None
            dom = found.doms.get(capture.record_id)
            dom_original = found.original_of(dom) if dom is not None and dom.warc_type == "revisit" else None
            try:
                evidence = evidence_for(archive_dir, capture, original, dom, version, dom_original=dom_original)
            except Exception as exc:  # one bad record must not stop the others
                what = "" if isinstance(exc, EvidenceError) else "extraction failed: "
                line = f"reextract: {capture.target_uri}: {what}{_one_line(exc)}"
                summary.errors.append(line)
                warn(line)
                continue
            if evidence is None:
                continue  # not an article (a list, a notice, a fault page)
            added = store.add(evidence)  # 0 if a crawl stored it meanwhile
            summary.captures += 1
            summary.statements += len(evidence.statements)
            summary.new_rows += added
    return summary


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[--since DATE]"

    def short_desc(self):
        return "Run the evidence extraction again over the collection's WARC files (no crawling)"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--since", metavar="DATE",
                            help="only captures whose WARC-Date is at or after this (e.g. 2026-11-21)")

    def run(self, args, opts):
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        if not os.path.isdir(archive_dir):
            print(f"reextract: no collection at {archive_dir} (ARCHIVE_DIR)", file=sys.stderr)
            self.exitcode = 1
            return
        summary = reextract(archive_dir, since=opts.since)
        print(f"reextract: {summary.captures} article captures ({summary.skipped} already at extractor "
              f"{extractor_version()}), {summary.statements} statements, {summary.new_rows} new rows"
              + (f", {len(summary.errors)} errors" if summary.errors else ""))
        if summary.errors:
            self.exitcode = 1
