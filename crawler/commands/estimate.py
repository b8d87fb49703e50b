"""``scrapy estimate``: per place and biometric, what the police said they collected.

    scrapy estimate [--format jsonl|csv] [-o FILE]

Reads the stored statements (``EvidenceStore.rows()``: the newest extraction
of every capture) and applies pipelines.estimate's rule: one row per place and
biometric with the reported total (a lower bound), its share of the 2020
census population, the date it stands at, the rule that produced it, flags,
and the sources (page URL, capture time, WARC file, offset and Record-ID,
quote) it rests on.
"""

from __future__ import annotations

import json
import os
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from pipelines.estimate import estimate
from pipelines.gazetteer import GazetteerError, gazetteer
from pipelines.store import EvidenceStore, evidence_path

CSV_COLUMNS = [
    "place_code", "place_name", "level", "prefecture", "province", "biometric", "population",
    "total_min", "total_max", "share_min", "share_max", "as_of", "rule", "flags", "notes", "source_count", "sources",
]


def csv_row(r: dict) -> list:
    """One estimate row flattened: flags '+'-joined, sources as 'URL captured_at file#offset record-id' | ..."""
    def cell(value):
        if value is None:
            return ""
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else f"{value:.6g}"
        return value
    flat = dict(r, flags="+".join(r["flags"]), source_count=len(r["sources"]), sources=" | ".join(
        f"{s['url']} {s['captured_at']} {s['warc_filename']}#{s['warc_offset']} {s['warc_record_id']}"
        for s in r["sources"]))
    return [cell(flat.get(c)) for c in CSV_COLUMNS]


def write_estimate(rows: list[dict], fmt: str, out) -> None:
    if fmt == "csv":
        import csv

        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_row(r) for r in rows)
    else:
        for r in rows:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")


def read_rows(archive_dir: str, command: str) -> list[dict] | None:
    """The stored evidence rows, or None (after one line on stderr) when there is no store."""
    if not os.path.exists(evidence_path(archive_dir)):
        print(f"{command}: no evidence store at {evidence_path(archive_dir)} (crawl or run scrapy reextract first)",
              file=sys.stderr)
        return None
    with EvidenceStore(archive_dir) as store:
        return store.rows()


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "[--format jsonl|csv] [-o FILE]"

    def short_desc(self):
        return "Per place and biometric: the reported total, its share of the population, and its sources"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--format", dest="fmt", default="jsonl", help="jsonl (default) or csv")
        parser.add_argument("-o", "--output", dest="output_file", metavar="FILE", help="write here instead of stdout")

    def run(self, args, opts):
        if opts.fmt not in ("jsonl", "csv"):
            raise UsageError(f"--format must be jsonl or csv, not {opts.fmt!r}")
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        rows = read_rows(archive_dir, "estimate")
        if rows is None:
            self.exitcode = 1
            return
        try:
            places = estimate(rows, gazetteer())
        except GazetteerError as exc:
            print(f"estimate: {exc}", file=sys.stderr)
            self.exitcode = 1
            return
        if opts.output_file:
            try:
                with open(opts.output_file, "w", encoding="utf-8", newline="") as out:
                    write_estimate(places, opts.fmt, out)
            except OSError as exc:
                print(f"estimate: cannot write {opts.output_file}: {exc.strerror or exc}", file=sys.stderr)
                self.exitcode = 1
                return
            print(f"estimate: {len(places)} rows written to {opts.output_file}", file=sys.stderr)
        else:
            write_estimate(places, opts.fmt, sys.stdout)
