"""``scrapy captures``: what the collection holds, for a person to read.

Lists the WARC files (flagging any left ``.open``), the records by type, and
every page visit with its status, source type and title.
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter

from scrapy.commands import ScrapyCommand

from crawler.capture.index import closed_warcs, unfinished_warcs
from crawler.capture.records import index_path


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_ENABLED": False}

    def short_desc(self):
        return "Show the collection's WARC files and captured pages"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("--since", metavar="WARC_DATE", help="only visits started at or after this (e.g. 2026-11-21)")

    def run(self, args, opts):
        archive_dir = os.path.abspath(self.settings.get("ARCHIVE_DIR"))
        if not os.path.isdir(archive_dir):
            print(f"no collection at {archive_dir} (ARCHIVE_DIR): nothing captured yet")
            self.exitcode = 1
            return
        warcs = closed_warcs(archive_dir)
        open_files = unfinished_warcs(archive_dir)
        total = sum(os.path.getsize(os.path.join(archive_dir, n)) for n in warcs)
        print(f"Collection: {archive_dir}")
        print(f"WARC files: {len(warcs)} ({total / 1e6:.1f} MB)")
        for name in warcs:
            print(f"  {name}  {os.path.getsize(os.path.join(archive_dir, name)):>12,} bytes")
        if open_files:
            print(f"Unfinished (.open) files: {len(open_files)}: {', '.join(open_files)}")
        cdxj = os.path.join(archive_dir, "indexes", "index.cdxj")
        if os.path.exists(cdxj):
            print(f"CDXJ index: {cdxj}")
        db_path = index_path(archive_dir)
        if not os.path.exists(db_path):
            return
        db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            by_type = Counter(dict(db.execute("SELECT warc_type, count(*) FROM records GROUP BY warc_type")))
            print("Records: " + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items())))
            sql = "SELECT visited_at, status, source_type, url, final_url, title, screenshot_record_id, error FROM pages"
            params: list = []
            if opts.since:
                sql += " WHERE visited_at >= ?"
                params.append(opts.since)
            rows = db.execute(sql + " ORDER BY visit_id", params).fetchall()
        except sqlite3.OperationalError as exc:
            print(f"could not read {db_path}: {exc}")
            self.exitcode = 1
            return
        finally:
            db.close()
        print(f"Page visits: {len(rows)}")
        for visited, status, source_type, url, final_url, title, shot, error in rows:
            where = url if not final_url or final_url == url else f"{url} -> {final_url}"
            what = error or (title or "")
            print(f"  {status or '---':>3}  {source_type or 'failed':<17} {'shot' if shot else '    '}  {where}  {what[:60]}")
