"""The collection's CDXJ index: ``ARCHIVE_DIR/indexes/index.cdxj``.

Derived data, rebuilt from the WARCs (which are only ever read here):

1. every closed WARC at the top of ARCHIVE_DIR gets a sorted per-file CDXJ,
   made once by webrecorder's cdxj-indexer (``indexes/by-file/<warc>.cdxj``);
   a file whose size and mtime are unchanged is not read again;
2. the per-file indexes are merge-sorted (streaming) into ``index.cdxj``,
   written beside it and moved into place with os.replace.

cdxj-indexer's choices, kept on purpose:
``response``, ``revisit``, ``resource`` and ``metadata`` records are indexed,
and we add ``conversion`` (so screenshots, DOM and capture metadata are; only
resource/metadata records of Content-Type application/warc-fields are left
out); ``request`` and ``warcinfo`` records are not: with ``post_append`` a
POST's request body is folded into its response's key (``__wb_method=post&...``),
which is what pywb / ReplayWeb.page look up.

Integrity is checked first (gzip framing and CRCs, short records), because
warcio reads a truncated file without complaint.
"""

from __future__ import annotations

import heapq
import json
import logging
import os
import zlib
from dataclasses import dataclass, field

from cdxj_indexer.main import CDXJIndexer
from warcio.archiveiterator import ArchiveIterator

from crawler.afterstop import AfterEngineStop
from crawler.capture.atomic import write_json
from crawler.capture.writer import OPEN_SUFFIX
from crawler.capture.lock import exclusive

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc.gz", ".warc")
INDEX_DIR = "indexes"
BY_FILE_DIR = os.path.join(INDEX_DIR, "by-file")
MANIFEST = "manifest.json"  # in by-file/: what was indexed, at which size and mtime
LOCK_NAME = "index"


class _Indexer(CDXJIndexer):
    # conversion records (e.g. the rendered DOM) are content a reader wants to find too
    DEFAULT_RECORDS = CDXJIndexer.DEFAULT_RECORDS + ["conversion"]

    def _create_record_iter(self, input_):
        return _CheckingIterator(input_, no_record_parse=not self.record_parse, arc2warc=True,
                                 verify_http=self.verify_http)


class _CheckingIterator(ArchiveIterator):
    """warcio silently returns a short block for a truncated record; an index line must not point at one."""

    def read_to_end(self, record=None):
        pending = self.record is not None and not self.member_info
        super().read_to_end(record)
        if pending and getattr(self.record.raw_stream, "limit", 0) > 0:
            raise EOFError(f"record at offset {self.member_info[0]} is shorter than its Content-Length")


def check_gzip_members(fh) -> None:
    """Every gzip member must be complete (CRC and length trailer) and nothing may follow the last.

    warcio reads past a missing trailer and an unfinished last member without complaint.
    """
    member, pending = zlib.decompressobj(zlib.MAX_WBITS | 16), False
    for chunk in iter(lambda: fh.read(1 << 20), b""):
        while chunk:
            try:
                member.decompress(chunk, 1 << 20)  # output dropped, bounded: only the framing matters
            except zlib.error as e:
                raise ValueError(f"invalid gzip data before offset {fh.tell()}: {e}") from None
            pending = True
            if member.eof:
                chunk, member, pending = member.unused_data, zlib.decompressobj(zlib.MAX_WBITS | 16), False
            else:
                chunk = member.unconsumed_tail
    if pending:
        raise EOFError("file ends inside a gzip member (truncated)")




@dataclass
class IndexReport:
    index_path: str
    lines: int = 0  # lines in index.cdxj
    files: int = 0  # WARC files in the index
    files_indexed: list[str] = field(default_factory=list)  # (re)indexed by this run
    files_failed: list[str] = field(default_factory=list)  # unreadable: not in the index

    def summary(self) -> str:
        text = (f"CDXJ index {self.index_path}: {self.lines} lines from {self.files} WARC files"
                f" ({len(self.files_indexed)} newly indexed")
        if self.files_failed:
            text += f"; {len(self.files_failed)} unreadable, skipped: {', '.join(self.files_failed)}"
        return text + ")"


def closed_warcs(archive_dir: str) -> list[str]:
    """Names of the closed WARC files at the top of ``archive_dir`` (``*.open`` are still being written)."""
    return sorted(
        name for name in os.listdir(archive_dir)
        if name.endswith(WARC_SUFFIXES) and os.path.isfile(os.path.join(archive_dir, name))
    )


def unfinished_warcs(archive_dir: str) -> list[str]:
    """Names of the WARC files still being written (or left by a crash): ``*.open``."""
    return sorted(name for name in os.listdir(archive_dir) if name.endswith(OPEN_SUFFIX))


def update_collection_index(archive_dir: str, timeout: float | None = None) -> IndexReport:
    by_file = os.path.join(archive_dir, BY_FILE_DIR)
    index_path = os.path.join(archive_dir, INDEX_DIR, "index.cdxj")
    report = IndexReport(index_path)
    os.makedirs(by_file, exist_ok=True)
    with exclusive(archive_dir, LOCK_NAME, timeout):
        manifest_path = os.path.join(by_file, MANIFEST)
        old = _load_json(manifest_path)
        manifest = {}
        for name in closed_warcs(archive_dir):
            try:
                st = os.stat(os.path.join(archive_dir, name))
            except FileNotFoundError:  # moved away since the listing
                continue
            seen = {"size": st.st_size, "mtime_ns": st.st_mtime_ns}
            entry = old.get(name, {})
            cdxj = os.path.join(by_file, name + ".cdxj")
            unchanged = all(entry.get(k) == v for k, v in seen.items())
            if not (unchanged and (entry.get("error") or os.path.exists(cdxj))):
                entry = dict(seen, **_index_file(archive_dir, name, cdxj))
                if not entry.get("error"):
                    report.files_indexed.append(name)
            manifest[name] = entry
            if entry.get("error"):
                report.files_failed.append(name)
            else:
                report.files += 1
        write_json(manifest_path, manifest, indent=1, sort_keys=True)
        report.lines = _merge([os.path.join(by_file, n + ".cdxj") for n, e in manifest.items()
                               if not e.get("error")], index_path)
    return report


def _index_file(archive_dir: str, name: str, cdxj: str) -> dict:
    """Per-file CDXJ via cdxj-indexer; on an unreadable WARC, one log line and no index."""
    tmp = cdxj + ".tmp"
    try:
        with open(os.path.join(archive_dir, name), "rb") as warc, open(tmp, "w", encoding="utf-8") as out:
            if name.endswith(".gz"):
                check_gzip_members(warc)
                warc.seek(0)
            try:
                _Indexer(out, [warc], filename=name, sort=True, post_append=True).process_all()
            except (ValueError, KeyError, IndexError, UnicodeError) as e:
                # a request body post_append cannot parse (bad multipart...) must not hide the file
                logger.warning("CDXJ index: %s: POST bodies not folded into keys (%s)", name, e)
                warc.seek(0)
                out.seek(0)
                out.truncate()
                _Indexer(out, [warc], filename=name, sort=True).process_all()
        os.replace(tmp, cdxj)
        return {}
    except Exception as e:  # any parse error in one WARC must not stop the others
        if os.path.exists(tmp):
            os.remove(tmp)
        if os.path.exists(cdxj):
            os.remove(cdxj)  # a changed file that no longer reads has no valid index
        error = f"{type(e).__name__}: {e}".splitlines()[0][:300]
        logger.error("CDXJ index: skipping unreadable WARC %s (%s)", os.path.join(archive_dir, name), error)
        return {"error": error}


def _merge(paths: list[str], index_path: str) -> int:
    """Merge already-sorted per-file indexes without loading them; returns the line count."""
    tmp = index_path + ".tmp"
    files = [open(p, encoding="utf-8") for p in paths]
    count = 0
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            for line in heapq.merge(*files):  # str order == UTF-8 byte order == `LC_ALL=C sort`
                out.write(line)
                count += 1
            out.flush()
            os.fsync(out.fileno())
    finally:
        for f in files:
            f.close()
    os.replace(tmp, index_path)
    return count


def _load_json(path: str) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}  # missing or damaged: everything is reindexed, which is always safe


class IndexOnClose(AfterEngineStop):
    """Scrapy extension: update the collection's CDXJ once the engine has stopped.

    Connected after the proxy extension, whose engine_stopped handler stops
    warcprox and so closes (renames) its files before this runs.
    Settings: ARCHIVE_DIR. Stats: ``capture/index_lines``.
    """

    def engine_stopped(self):
        if not os.path.isdir(self.archive_dir):
            return
        try:
            report = update_collection_index(self.archive_dir)
        except Exception:  # the WARCs are safe; only the derived index is missing
            logger.exception("CDXJ index update failed; run `scrapy index` to retry")
            return
        if self.crawler.stats is not None:
            self.crawler.stats.set_value("capture/index_lines", report.lines)
        (logger.warning if report.files_failed else logger.info)(report.summary())
