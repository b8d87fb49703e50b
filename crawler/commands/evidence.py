"""``scrapy evidence``: every stored statement of biometric collection, with its provenance.

    scrapy evidence [--format jsonl|csv] [-o FILE] [--all-versions] [--since DATE] [--until DATE]
    scrapy evidence --captures        # one row per captured article instead (statements or not)

One row per statement, columns in pipelines.store.EVIDENCE_COLUMNS order:
where the text was read (WARC file, offset, Record-ID, payload digest), what
the article is, and what the statement says. By default the newest
extraction of each capture; ``--all-versions`` adds the rows of every
extractor version stored.
"""

from __future__ import annotations

import csv
import json
import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pipelines.store import CAPTURE_COLUMNS, EVIDENCE_COLUMNS, EvidenceStore, evidence_path


def csv_value(value):
    """Lists as one '+'-joined string, flags as true/false, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "+".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def write_rows(rows: list[dict], columns: list[str], fmt: str, out) -> None:
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_value(row.get(c)) for c in columns])
    else:
        for row in rows:
            out.write(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False) + "\n")


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[--format jsonl|csv] [-o FILE] [--all-versions] [--since DATE] [--until DATE] [--captures]"

    def short_desc(self):
        return "Print the stored statements of biometric collection, one row each, with provenance"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--format", dest="fmt", default="jsonl", help="jsonl (default) or csv")
        parser.add_argument("-o", "--output", dest="output_file", metavar="FILE", help="write here instead of stdout")
        parser.add_argument("--all-versions", action="store_true",
                            help="rows of every extractor version, not only the newest of each capture")
        parser.add_argument("--since", metavar="DATE", help="captures at or after this (UTC, e.g. 2026-11-21)")
        parser.add_argument("--until", metavar="DATE", help="captures at or before this (UTC)")
        parser.add_argument("--url", action="append", dest="urls", metavar="URL", help="only this page (repeatable)")
        parser.add_argument("--captures", action="store_true",
                            help="one row per captured article (fields, language, text source) instead")

    def run(self, args, opts):
        if opts.fmt not in ("jsonl", "csv"):
            raise UsageError(f"--format must be jsonl or csv, not {opts.fmt!r}")
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        if not os.path.exists(evidence_path(archive_dir)):
            print(f"evidence: no evidence store at {evidence_path(archive_dir)} (crawl or run scrapy reextract first)",
                  file=sys.stderr)
            self.exitcode = 1
            return
        with EvidenceStore(archive_dir) as store:
            query = dict(urls=opts.urls, since=opts.since, until=opts.until, all_versions=opts.all_versions)
            if opts.captures:
                rows, columns = store.captures(**query), [c for c in CAPTURE_COLUMNS if c != "body_text"]
            else:
                rows, columns = store.rows(**query), EVIDENCE_COLUMNS
        if opts.output_file:
            try:
                with open(opts.output_file, "w", encoding="utf-8", newline="") as out:
                    write_rows(rows, columns, opts.fmt, out)
            except OSError as exc:
                print(f"evidence: cannot write {opts.output_file}: {exc.strerror or exc}", file=sys.stderr)
                self.exitcode = 1
                return
            print(f"evidence: {len(rows)} rows written to {opts.output_file}", file=sys.stderr)
        else:
            write_rows(rows, columns, opts.fmt, sys.stdout)
