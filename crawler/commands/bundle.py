"""``scrapy bundle -o FILE.wacz [--url URL ...] [--since DATE] [--until DATE] [--force]``: an evidence bundle.

Without --url/--since/--until: the whole collection (its finished WARC files
as they are). With them: the chosen captures (see crawler/bundle/select.py),
their records copied byte for byte into new WARC files. Either way: CDXJ
index, page list, evidence table, custody log and a README for lawyers, all
listed with their SHA-256 in datapackage.json, which is signed with the key
from ``scrapy keys`` (created now if there is none; its fingerprint is
printed). With BUNDLE_TSA_URL set, the signature also gets an RFC 3161
timestamp. Takes the collection exclusively: waits for no crawl
(COLLECTION_LOCK_TIMEOUT, or --wait SECONDS).
"""

from __future__ import annotations

import os

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.bundle.keys import KeyError_, fingerprint, key_path, load_or_create_key
from crawler.bundle.select import SelectionError, select
from crawler.bundle.wacz import BundleError, BundleOptions, build_bundle
from crawler.capture.lock import LockTimeout
from crawler.custody import CustodyError


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False
    default_settings = {"LOG_ENABLED": False}

    def syntax(self):
        return "-o FILE.wacz [--url URL ...] [--since DATE] [--until DATE] [--force]"

    def short_desc(self):
        return "Package the collection, or chosen captures, as a signed WACZ evidence bundle"

    def add_options(self, parser):
        super().add_options(parser)
        parser.add_argument("-o", "--output", dest="bundle_output", metavar="FILE.wacz", help="the bundle to write")
        parser.add_argument("--url", action="append", dest="urls", metavar="URL",
                            help="only the captures of this page (repeatable)")
        parser.add_argument("--since", metavar="DATE", help="only captures at or after this (UTC, e.g. 2026-11-21)")
        parser.add_argument("--until", metavar="DATE", help="only captures at or before this (UTC; a date: whole day)")
        parser.add_argument("--force", action="store_true", help="replace FILE.wacz if it exists")
        parser.add_argument("--wait", type=float, default=None, metavar="SECONDS",
                            help="wait this long for running crawls to finish (default COLLECTION_LOCK_TIMEOUT)")
        parser.add_argument("--title", default="", help="title in datapackage.json")

    def run(self, args, opts):
        if args:
            raise UsageError(f"unexpected argument {args[0]!r} (URLs go after --url)")
        if not opts.bundle_output:
            raise UsageError("give the bundle file: -o FILE.wacz")
        settings = self.settings
        archive_dir = os.path.abspath(settings.get("ARCHIVE_DIR"))
        if not os.path.isdir(archive_dir):
            return self._fail(f"no collection at {archive_dir} (ARCHIVE_DIR)")
        output = os.path.abspath(opts.bundle_output)
        if not output.endswith(".wacz"):
            return self._fail(f"{opts.bundle_output}: a bundle file name must end in .wacz")
        if os.path.exists(output) and not opts.force:
            return self._fail(f"{output} exists; use --force to replace it")
        try:
            key_file = key_path(settings)
            key, created = load_or_create_key(key_file)
            if created:
                print(f"bundle: no signing key yet: created {key_file}")
                print(f"bundle: its fingerprint is {fingerprint(key)}; give it to the recipients by another channel")
            selection = select(archive_dir, urls=opts.urls, since=opts.since, until=opts.until)
            options = BundleOptions(
                operator=settings.get("OPERATOR") or "", contact=settings.get("CONTACT") or "",
                tsa_url=(settings.get("BUNDLE_TSA_URL") or "").strip(),
                tsa_ca=(settings.get("BUNDLE_TSA_CA") or "").strip(),
                tsa_timeout=settings.getfloat("BUNDLE_TSA_TIMEOUT", 30), force=opts.force,
                lock_timeout=opts.wait if opts.wait is not None else settings.getfloat("COLLECTION_LOCK_TIMEOUT", 0),
                title=opts.title)
            result = build_bundle(archive_dir, output, selection, key, options, log=lambda m: print(f"bundle: {m}"))
        except (SelectionError, BundleError, KeyError_, CustodyError, LockTimeout) as e:
            return self._fail(str(e))
        except OSError as e:
            return self._fail(f"{getattr(e, 'filename', None) or output}: {e.strerror or e}")
        print(f"Bundle {result.path}: {result.bytes:,} bytes, {len(result.members)} files, "
              f"{result.records} WARC records, {result.pages} pages, {result.evidence_rows} evidence rows")
        print(f"SHA-256:     {result.sha256}")
        print(f"Signed with: {result.fingerprint}" + ("  (RFC 3161 timestamp included)" if result.timestamped else ""))
        for note in result.notes:
            print(f"Note: {note}")

    def _fail(self, message: str):
        print(f"bundle: {message}")
        self.exitcode = 1
