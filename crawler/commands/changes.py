"""``scrapy changes``: what the latest crawl found at each page, against its last good capture.

    scrapy changes [--format jsonl|csv] [-o FILE] [--crawl ID] [--status S ...] [--wide]
    scrapy changes --deletions [--format jsonl|csv]    # the deletions timeline, every crawl
    scrapy changes --crawls                            # the collection's crawls

One row per page URL the crawl visited: ``url, status, captured_at,
previous_captured_at, previous_record_id, details`` (``--wide`` adds where
each capture is: crawl, title, record, WARC file and offset, screenshot).
Statuses: new, unchanged, changed, deleted, unavailable (pipelines.changes).
"""

from __future__ import annotations

import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.capture.records import index_path
from crawler.commands.evidence import write_rows
from crawler.jobs import CrawlRegistry
from pipelines.changes import COLUMNS, STATUSES, WIDE_COLUMNS, ChangeDetector

DELETION_COLUMNS = ["url", "title", "deleted_at", "reason", "last_seen_alive", "record_id", "warc_filename",
                    "warc_offset", "screenshot_record_id", "restored_at", "crawl_id", "last_crawl_alive"]
CRAWL_COLUMNS = ["crawl_id", "seeds", "started_at", "finished_at", "state", "close_reason", "runs", "interruptions"]


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[--format jsonl|csv] [-o FILE] [--crawl ID] [--status STATUS] [--wide] | --deletions | --crawls"

    def short_desc(self):
        return "Show what the latest crawl found at each page: new, unchanged, changed, deleted, unavailable"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--format", dest="fmt", default="jsonl", help="jsonl (default) or csv")
        parser.add_argument("-o", "--output", dest="output_file", metavar="FILE", help="write here instead of stdout")
        parser.add_argument("--crawl", metavar="ID", help="this crawl instead of the latest (see --crawls)")
        parser.add_argument("--status", action="append", choices=STATUSES, help="only pages with this status (repeatable)")
        parser.add_argument("--wide", action="store_true", help="also crawl, title, record, WARC file, offset, screenshot")
        parser.add_argument("--deletions", action="store_true",
                            help="the deletions timeline over every crawl: what disappeared, when, last seen alive where")
        parser.add_argument("--crawls", action="store_true", help="list the collection's crawls")

    def run(self, args, opts):
        if opts.fmt not in ("jsonl", "csv"):
            raise UsageError(f"--format must be jsonl or csv, not {opts.fmt!r}")
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        if not os.path.exists(index_path(archive_dir)):
            self._fail(f"no collection at {archive_dir} (ARCHIVE_DIR): nothing crawled yet")
            return
        registry = CrawlRegistry(archive_dir)
        try:
            crawls = registry.all()
        finally:
            registry.close()
        if opts.crawls:
            self._write([vars(c) for c in crawls], CRAWL_COLUMNS, opts)
            return
        with ChangeDetector(archive_dir) as detector:
            if opts.deletions:
                self._write(detector.deletions(), DELETION_COLUMNS, opts)
                return
            if not crawls:
                self._fail(f"{archive_dir}: no crawl recorded yet (crawls made before crawl ids have no changes)")
                return
            crawl_id = opts.crawl or crawls[-1].crawl_id
            if crawl_id not in {c.crawl_id for c in crawls}:
                self._fail(f"{archive_dir}: no crawl {crawl_id!r} (scrapy changes --crawls lists them)")
                return
            changes = detector.crawl_changes(crawl_id)
        rows = [c.as_row() for c in changes if not opts.status or c.status in opts.status]
        self._write(rows, WIDE_COLUMNS if opts.wide else COLUMNS, opts)

    def _write(self, rows: list[dict], columns: list[str], opts) -> None:
        if not opts.output_file:
            write_rows(rows, columns, opts.fmt, sys.stdout)
            return
        try:
            with open(opts.output_file, "w", encoding="utf-8", newline="") as out:
                write_rows(rows, columns, opts.fmt, out)
        except OSError as exc:
            self._fail(f"cannot write {opts.output_file}: {exc.strerror or exc}")
            return
        print(f"changes: {len(rows)} rows written to {opts.output_file}", file=sys.stderr)

    def _fail(self, message: str) -> None:
        print(f"changes: {message}", file=sys.stderr)
        self.exitcode = 1
