"""``scrapy nightly --seeds FILE``: the scheduled crawl, with its run report and a verdict.

    scrapy nightly --seeds seeds.txt [-s NAME=VALUE ...]

One run: the crawl of the seed file into ARCHIVE_DIR (``scrapy crawl archive``,
so extraction, the CDXJ index, custody and change detection happen as in any
crawl; an unfinished crawl of the same seed file is resumed), then the run
report in ``ARCHIVE_DIR/reports/`` (crawler.runreport), whose short text is
also printed for the log.

A lock (``state/nightly.lock``) keeps two runs on one collection from
overlapping. Exit status: 0 the crawl finished and every monitor passed;
1 the run failed (the crawl did not finish, a monitor failed, or the crawl
was refused); 75 another nightly run holds the lock (nothing was done; 75 is
EX_TEMPFAIL); 2 usage errors.
"""

from __future__ import annotations

import logging
import os
import sys
import time

from scrapy.exceptions import UsageError

from crawler.capture.lock import LockTimeout, exclusive
from crawler.commands.crawl import Command as CrawlCommand
from crawler.runreport import build_report, summary_text, warc_bytes, write_report

logger = logging.getLogger(__name__)

EXIT_LOCKED = 75


class Command(CrawlCommand):
    def syntax(self):
        return "--seeds FILE [-s NAME=VALUE ...]"

    def short_desc(self):
        return "Run the nightly crawl of a seed list: crawl, extract, detect changes, write the run report"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--seeds", metavar="FILE", help="the seed list (one URL per line)")
        parser.add_argument("--spider", default="archive", help="the spider to run (default: archive)")

    def run(self, args, opts):
        if args:
            raise UsageError("scrapy nightly takes no arguments: give the seed list with --seeds FILE")
        if not opts.seeds:
            raise UsageError("give the seed list with --seeds FILE")
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR") or "warcs")
        os.makedirs(archive_dir, exist_ok=True)
        try:
            with exclusive(archive_dir, "nightly", timeout=0):
                self.exitcode = self.nightly(archive_dir, opts)
        except LockTimeout as e:
            print(f"nightly: another nightly run of {archive_dir} is in progress ({e}): not starting",
                  file=sys.stderr)
            self.exitcode = EXIT_LOCKED

    def nightly(self, archive_dir: str, opts) -> int:
        from pipelines.changes import ChangeDetector

        started, before = time.time(), warc_bytes(archive_dir)
        crawler = self.start_crawl(opts.spider, dict(opts.spargs, seeds=opts.seeds))
        self.crawler_process.start()
        stats = crawler.stats.get_stats() if crawler.stats is not None else {}
        crawl_id = stats.get("crawl/id")
        changes, deletions = [], []
        if crawl_id:
            with ChangeDetector(archive_dir) as detector:
                changes = detector.crawl_changes(crawl_id)
                deletions = detector.deletions()
        report = build_report(
            archive_dir=archive_dir, seeds=opts.seeds, started=started, finished=time.time(),
            bytes_before=before, bytes_after=warc_bytes(archive_dir), stats=stats,
            close_reason=self.reasons[-1] if self.reasons else None, refused=self.refused,
            changes=changes, deletions=deletions)
        try:
            json_path, _ = write_report(archive_dir, report)
        except OSError as e:  # a full disk: the summary still reaches the log
            json_path = None
            report["failures"].append(f"run report not written: {e.strerror or e}")
            report["result"] = "failed"
        sys.stdout.write(summary_text(report, json_path))
        sys.stdout.flush()
        return 0 if report["result"] == "ok" else 1
