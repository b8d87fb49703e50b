"""``scrapy fsck [--repair] [--json] [--quick]``: is the collection intact?

Checks ARCHIVE_DIR, reading every file as a stream (memory stays flat
whatever the collection's size), and prints one line per problem naming the
file (and the record's offset and WARC-Record-ID), then a summary and the
verdict:

- ``warc``: every closed WARC file: gzip framing (every member complete, CRC
  and length; nothing after the last: crawler.capture.index.check_gzip_members),
  every record parses and ends where its Content-Length says, block and
  payload digests recomputed (crawler.capture.digests.check_record; not with
  ``--quick``), a warcinfo record first;
- ``open``: every ``.open`` file is either being written (its writer holds
  the lock), torn and repaired (the copy beside it), or torn and not
  repaired yet: a problem, fixed by ``--repair`` or the next crawl;
- ``custody``: custody.jsonl's hash chain (crawler.custody.check_chain);
  every closed WARC file has a capture event whose SHA-256 is the file's
  now (a mismatch: the file changed after it was logged), every file an
  event names exists, and each repaired original is as its repair event
  says;
- ``index``: no row of the record index (state/capture.sqlite) points into a
  missing file or past a file's end.

``--repair`` first repairs torn files (crawler.capture.repair, the same code
as at a crawl's start) and logs a capture event for every closed WARC file
that has none yet (as a crawl does when it closes), then checks.

Exit 0: clean; 1: problems (including torn files not repaired); 2: usage
error, or no collection at ARCHIVE_DIR.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import zlib
from collections import Counter
from dataclasses import dataclass, field

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.capture.digests import check_record
from crawler.capture.index import check_gzip_members, closed_warcs
from crawler.capture.lock import LockTimeout, shared
from crawler.capture.records import index_path
from crawler.capture.repair import LIVE, REPAIRED, TORN, describe, final_name, open_file_states, repair_all, scan_path
from crawler.capture.writer import record_path
from crawler.custody import (COLLECTION_LOG, CustodyLog, HashingReader, actor, check_chain, log_new_captures,
                             logged_hashes, repair_events, sha256_file)

CHECKS = {
    "warc": "closed WARC files: gzip framing, records parse, digests, warcinfo first",
    "open": ".open files: being written, or torn and repaired",
    "custody": "custody log: hash chain; a capture event matching every closed WARC file",
    "index": "record index: every row points inside an existing file",
}
_MAX_KEPT = 200  # findings kept per check for --json; the rest are counted
_SCRATCH_SUFFIXES = (".creating", ".repairing")


@dataclass
class Finding:
    check: str
    message: str
    file: str | None = None
    offset: int | None = None
    record_id: str | None = None
    problem: bool = True  # False: a note (worth knowing, not wrong)

    def line(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f" @{self.offset}" if self.offset is not None else "")
            where += f" {self.record_id}" if self.record_id else ""
            where += ": "
        return f"{'PROBLEM' if self.problem else 'note':<8} {where}{self.message}"

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Report:
    archive_dir: str
    quick: bool = False
    out: object = None  # a stream: findings are printed as they are found (text mode)
    problems: Counter = field(default_factory=Counter)  # per check
    kept: list[Finding] = field(default_factory=list)
    not_kept: int = 0
    summary: dict = field(default_factory=dict)
    repaired: list[dict] = field(default_factory=list)

    def add(self, finding: Finding) -> None:
        if finding.problem:
            self.problems[finding.check] += 1
        if self.out is not None:
            print(finding.line(), file=self.out, flush=True)
        elif sum(f.check == finding.check for f in self.kept) < _MAX_KEPT:
            self.kept.append(finding)
        else:
            self.not_kept += 1

    def problem(self, check: str, message: str, **where) -> None:
        self.add(Finding(check, message, **where))

    def note(self, check: str, message: str, **where) -> None:
        self.add(Finding(check, message, problem=False, **where))

    @property
    def total(self) -> int:
        return sum(self.problems.values())

    @property
    def exit_code(self) -> int:
        return 1 if self.total else 0

    def verdict(self) -> str:
        if not self.total:
            return f"CLEAN: {self.archive_dir}: every check passed"
        counts = ", ".join(f"{check} {n}" for check, n in self.problems.items())
        return f"PROBLEMS: {self.archive_dir}: {self.total} problem{'s' * (self.total != 1)} ({counts})"


# --- the checks ------------------------------------------------------------------

def check_collection(archive_dir: str, quick: bool = False, out=None) -> Report:
    report = Report(archive_dir, quick=quick, out=out)
    states = open_file_states(archive_dir)
    writing = any(state == LIVE for state in states.values())
    hashes = _check_warcs(report, archive_dir)
    _check_open_files(report, archive_dir, states)
    _check_custody(report, archive_dir, hashes, states, writing)
    _check_index(report, archive_dir)
    for name in sorted(os.listdir(archive_dir)):
        if name.endswith(_SCRATCH_SUFFIXES):
            report.note("open", "scratch file left by an interrupted file creation or repair; not evidence, "
                                "safe to delete", file=name)
    return report


def _check_warcs(report: Report, archive_dir: str) -> dict[str, str]:
    """Check every closed WARC file; returns {name: SHA-256 now}."""
    hashes, records, size = {}, 0, 0
    names = closed_warcs(archive_dir)
    for name in names:
        path = os.path.join(archive_dir, name)
        try:
            digest, n_bytes, n_records = _check_warc(report, path, name)
        except OSError as e:
            report.problem("warc", f"cannot read: {e.strerror or e}", file=name)
            continue
        hashes[name] = digest
        records += n_records
        size += n_bytes
    report.summary["warc"] = {"files": len(names), "bytes": size, "records": records,
                              "digests": "not recomputed (--quick)" if report.quick else "recomputed"}
    return hashes


def _check_warc(report: Report, path: str, name: str) -> tuple[str, int, int]:
    """(SHA-256, bytes, records checked) of one closed WARC file; its problems go into the report."""
    with open(path, "rb") as f:
        reader = HashingReader(f)
        broken = None
        if name.endswith(".gz"):
            try:
                check_gzip_members(reader)
            except (ValueError, EOFError) as e:
                broken = str(e)
        reader.drain()
        digest, size = reader.sha256.hexdigest(), reader.size
    if broken is not None:
        # Name the record where it breaks; warcio would read on past it without a word.
        scan = scan_path(path)
        report.problem("warc", f"{scan.problem or broken}; the {scan.records} records before it are complete",
                       file=name, offset=scan.problem_offset, record_id=scan.problem_record_id)
        return digest, size, scan.records
    return digest, size, _check_records(report, path, name)


def _check_records(report: Report, path: str, name: str) -> int:
    count = 0
    with open(path, "rb") as f:
        it = ArchiveIterator(f, no_record_parse=True)
        offset = 0
        try:
            for record in it:
                offset, rid = it.offset, record.rec_headers.get_header("WARC-Record-ID")
                errors_before = it.err_count
                result = None if report.quick else check_record(record)  # reads the block through
                it.read_to_end()
                short = getattr(record.raw_stream, "limit", 0) > 0
                problems = _record_problems(record, result, short, it.err_count != errors_before)
                if count == 0 and record.rec_type != "warcinfo":
                    problems.append(f"the first record is a {record.rec_type} record, not warcinfo")
                for problem in problems:
                    report.problem("warc", problem, file=name, offset=offset, record_id=rid)
                count += 1
        except (ArchiveLoadFailed, ValueError, EOFError, zlib.error, KeyError, IndexError) as e:
            message = " ".join(str(e).split())[:300] or type(e).__name__
            report.problem("warc", f"unreadable from here: {message}", file=name, offset=it.offset)
    if count == 0:
        report.problem("warc", "holds no record", file=name)
    return count


def _record_problems(record, result, short: bool, no_blank_lines: bool) -> list[str]:
    get = record.rec_headers.get_header
    problems = [f"no {h}" for h in ("WARC-Record-ID", "WARC-Type", "WARC-Date", "Content-Length") if not get(h)]
    if short:
        problems.append("block is shorter than its Content-Length (truncated)")
    if no_blank_lines:
        problems.append("record not followed by the blank lines WARC requires (wrong Content-Length?)")
    if result is None:
        return problems
    has_block = (get("Content-Length") or "0").strip() != "0"
    if has_block and not get("WARC-Block-Digest"):
        problems.append("no WARC-Block-Digest")
    if result.block_ok is False:
        problems.append(f"block digest does not match the record's bytes (WARC-Block-Digest: {get('WARC-Block-Digest')})")
    if result.payload_ok is False:
        problems.append(f"payload digest does not match (WARC-Payload-Digest: {get('WARC-Payload-Digest')})"
                        + (f": {result.problem}" if result.problem else ""))
    return problems


def _check_open_files(report: Report, archive_dir: str, states: dict[str, str]) -> None:
    counts = Counter(states.values())
    for name, state in states.items():
        if state == LIVE:
            report.note("open", "being written (a live writer holds its lock)", file=name)
        elif state == TORN:
            report.problem("open", "torn (left by an interrupted crawl) and not repaired yet: run "
                                   "`scrapy fsck --repair` or the next crawl", file=name)
        elif os.path.lexists(os.path.join(archive_dir, final_name(name))):
            report.note("open", f"torn original (kept as it is), repaired as {final_name(name)}", file=name)
        else:
            report.note("open", "torn original (kept as it is) holding no complete record: nothing to repair",
                        file=name)
    report.summary["open"] = {"being_written": counts[LIVE], "torn_repaired": counts[REPAIRED],
                              "torn_not_repaired": counts[TORN]}


def _check_custody(report: Report, archive_dir: str, hashes: dict[str, str], states: dict[str, str],
                   writing: bool) -> None:
    log = CustodyLog(os.path.join(archive_dir, COLLECTION_LOG))
    events = sum(1 for _ in log.lines())
    chain = check_chain(log.lines())
    for problem in chain:
        report.problem("custody", problem, file=COLLECTION_LOG)
    logged = logged_hashes(log)
    for name, digest in hashes.items():
        if name not in logged:
            if writing:
                report.note("custody", "no capture event yet (a crawl is writing: it logs the files it closed "
                                       "when it ends)", file=name)
            else:
                report.problem("custody", "no capture event in custody.jsonl (a crawl that was killed logs none: "
                                          "the next crawl or `scrapy fsck --repair` adds it)", file=name)
        elif logged[name] != digest:
            report.problem("custody", f"changed after it was logged: SHA-256 now {digest}, its capture event says "
                                      f"{logged[name]}", file=name)
    for name in sorted(set(logged) - set(hashes)):
        if not os.path.exists(os.path.join(archive_dir, name)):
            report.problem("custody", "named by a capture event but not in the collection (missing)", file=name)
    repairs = repair_events(log)
    for name, state in states.items():
        if state != REPAIRED:
            continue
        event = repairs.get(name)
        copy = final_name(name)
        if event is None:
            report.problem("custody", f"{name} and {copy} both exist, and no repair event explains it", file=name)
            continue
        original, repaired = event["what"]["original"], event["what"].get("repaired") or {}
        try:
            digest, size = sha256_file(os.path.join(archive_dir, name))
        except OSError as e:
            report.problem("custody", f"cannot read: {e.strerror or e}", file=name)
            continue
        if digest != original.get("sha256") or size != original.get("bytes"):
            report.problem("custody", f"torn original changed after its repair: SHA-256 now {digest}, the repair "
                                      f"event says {original.get('sha256')}", file=name)
        if repaired and repaired.get("file") == copy and copy in hashes and hashes[copy] != repaired.get("sha256"):
            report.problem("custody", f"repaired copy changed after the repair: SHA-256 now {hashes[copy]}, the "
                                      f"repair event says {repaired.get('sha256')}", file=copy)
    report.summary["custody"] = {"events": events, "chain": "intact" if not chain else f"{len(chain)} problems",
                                 "closed_warcs_logged": sum(name in logged for name in hashes),
                                 "closed_warcs": len(hashes)}


def _check_index(report: Report, archive_dir: str) -> None:
    path = index_path(archive_dir)
    if not os.path.exists(path):
        report.summary["index"] = {"rows": 0, "note": "no record index"}
        return
    rows = 0
    sizes: dict[str, int | None] = {}  # file name -> bytes (None: missing); one entry per file
    missing: Counter = Counter()
    past_end: dict[str, list] = {}  # file -> [count, first offset, first record id]
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        report.problem("index", f"cannot open: {e}", file=os.path.relpath(path, archive_dir))
        return
    try:
        for name, offset, length, rid in db.execute(
                "SELECT warc_filename, warc_offset, warc_length, record_id FROM records"):
            rows += 1
            if name not in sizes:
                where = record_path(archive_dir, name)
                sizes[name] = os.path.getsize(where) if os.path.exists(where) else None
            size = sizes[name]
            if size is None:
                missing[name] += 1
            elif offset + length > size:
                seen = past_end.setdefault(name, [0, offset, rid])
                seen[0] += 1
    except sqlite3.Error as e:
        report.problem("index", f"cannot read: {e}", file=os.path.relpath(path, archive_dir))
    finally:
        db.close()
    for name, count in sorted(missing.items()):
        report.problem("index", f"{count} record index row(s) point into this file, which does not exist", file=name)
    for name, (count, offset, rid) in sorted(past_end.items()):
        report.problem("index", f"{count} record index row(s) point past the end of the file "
                                f"({sizes[name]} bytes), the first at offset {offset}", file=name, record_id=rid)
    report.summary["index"] = {"rows": rows, "files": len(sizes)}


def summary_lines(report: Report) -> list[str]:
    s = report.summary
    w, o, c, i = s.get("warc", {}), s.get("open", {}), s.get("custody", {}), s.get("index", {})
    lines = [
        f"WARC files: {w.get('files', 0)} closed ({w.get('bytes', 0):,} bytes, {w.get('records', 0):,} records; "
        f"digests {w.get('digests')}); .open: {o.get('being_written', 0)} being written, "
        f"{o.get('torn_repaired', 0)} torn and repaired, {o.get('torn_not_repaired', 0)} torn and not repaired",
        f"custody log: {c.get('events', 0)} events, chain {c.get('chain', 'intact')}; "
        f"{c.get('closed_warcs_logged', 0)} of {c.get('closed_warcs', 0)} closed WARC files logged",
        f"record index: {i.get('rows', 0):,} rows" + (f" ({i['note']})" if i.get("note") else
                                                      f" into {i.get('files', 0)} files"),
    ]
    return lines


# --- the command -----------------------------------------------------------------

class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self):
        return "[--repair] [--json] [--quick]"

    def short_desc(self):
        return "Check the collection's WARC files, .open files, custody log and record index (exit 0 clean, 1 problems)"

    def long_desc(self):
        return (self.short_desc() + ". One line per problem, naming the file (and the record's offset and "
                "Record-ID); --repair repairs torn .open files first, as a crawl does when it starts.")

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--repair", action="store_true",
                            help="repair torn .open files (and log capture events missing) before checking")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument("--quick", action="store_true", help="do not recompute record digests")

    def run(self, args, opts):
        if args:
            raise UsageError("scrapy fsck takes no arguments: it checks ARCHIVE_DIR (-s ARCHIVE_DIR=DIR)")
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR") or "warcs")
        if not os.path.isdir(archive_dir):
            print(f"scrapy fsck: no collection at {archive_dir} (ARCHIVE_DIR)", file=sys.stderr)
            self.exitcode = 2
            return
        out = None if opts.json else sys.stdout
        repaired: list[dict] = []
        if opts.repair:
            try:
                repaired = self._repair(archive_dir, out)
            except LockTimeout as e:
                print(f"scrapy fsck: --repair: {e}", file=sys.stderr)
                self.exitcode = 2
                return
        if out is not None:
            print(f"fsck {archive_dir}" + (" (--quick: digests not recomputed)" if opts.quick else ""), flush=True)
        report = check_collection(archive_dir, quick=opts.quick, out=out)
        report.repaired = repaired
        if opts.json:
            json.dump({
                "collection": archive_dir, "verdict": "clean" if not report.total else "problems",
                "exit_code": report.exit_code, "message": report.verdict(),
                "checks": CHECKS, "summary": report.summary, "problems_by_check": dict(report.problems),
                "findings": [f.as_dict() for f in report.kept], "findings_not_listed": report.not_kept,
                "repaired": repaired,
            }, sys.stdout, ensure_ascii=False, indent=1)
            sys.stdout.write("\n")
        else:
            for line in summary_lines(report):
                print(line)
            print(report.verdict())
        self.exitcode = report.exit_code

    def _repair(self, archive_dir: str, out) -> list[dict]:
        who = actor(self.settings.get("OPERATOR"), self.settings.get("CONTACT"))
        done = []
        # Shared, like a crawl: it adds to the collection; a job holding it alone (bundle) is waited for.
        with shared(archive_dir, "collection", self.settings.getfloat("COLLECTION_LOCK_TIMEOUT", 0)):
            for repair in repair_all(archive_dir, who, recorded_by="fsck --repair"):
                done.append(repair.as_dict())
                if out is None:
                    continue
                if repair.error is None or repair.repaired:
                    print("repaired: " + describe(repair), file=out)
                if repair.error is not None:
                    print(f"{'warning' if repair.repaired else 'not repaired'}: {repair.original}: {repair.error}",
                          file=out)
            events = log_new_captures(archive_dir, who, recorded_by="fsck --repair")
        if out is not None and events:
            print(f"custody: {len(events)} capture event(s) appended for closed WARC files not logged yet", file=out)
        return done
