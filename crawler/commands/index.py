"""``scrapy index``: bring the collection's CDXJ index up to date."""

from __future__ import annotations

from scrapy.commands import ScrapyCommand

from crawler.capture.index import update_collection_index
from crawler.capture.lock import LockTimeout


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_LEVEL": "WARNING"}  # unreadable WARCs are still logged

    def short_desc(self) -> str:
        return "Index the closed WARC files of ARCHIVE_DIR into ARCHIVE_DIR/indexes/index.cdxj"

    def add_options(self, parser) -> None:
        super().add_options(parser)
        parser.add_argument("--timeout", type=float, default=None,
                            help="seconds to wait for the index lock (default: wait)")

    def run(self, args, opts) -> None:
        try:
            report = update_collection_index(self.settings["ARCHIVE_DIR"], timeout=opts.timeout)
        except LockTimeout as e:
            print(e)
            self.exitcode = 2
            return
        print(report.summary())
        self.exitcode = 1 if report.files_failed else 0
