"""``scrapy report``: the researchers' report, one self-contained HTML file.

    scrapy report [-o FILE]        # default ARCHIVE_DIR/report.html; prints the path written

Per-place totals with their shares and sources, a chart of the reported
totals over time by prefecture, the reported rates and the figures no place
was found for (see pipelines/report.py). Every figure links to its page and
names its capture and WARC record.
"""

from __future__ import annotations

import os
import sys

from scrapy.commands import ScrapyCommand

from crawler.commands.estimate import read_rows
from pipelines.gazetteer import GazetteerError, gazetteer
from pipelines.report import render


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[-o FILE]"

    def short_desc(self):
        return "Write the HTML report of reported collection by place, with every figure's source"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", dest="output_file", metavar="FILE",
                            help="where to write (default ARCHIVE_DIR/report.html)")

    def run(self, args, opts):
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        rows = read_rows(archive_dir, "report")
        if rows is None:
            self.exitcode = 1
            return
        try:
            page = render(rows, gazetteer(), collection=archive_dir)
        except GazetteerError as exc:
            print(f"report: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        path = os.path.abspath(opts.output_file or os.path.join(archive_dir, "report.html"))
        tmp = path + ".tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as out:
                out.write(page)
            os.replace(tmp, path)   # a reader never sees half a report
        except OSError as exc:
            print(f"report: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            self.exitcode = 1
            return
        print(path)
