#!/usr/bin/env python
"""What an unchanged night adds to a collection, against a named baseline: the same night with dedup off.

    .venv/bin/python benchmarks/unchanged_night.py [--keep]

Starts the mock site on two fixed free ports (its URLs include the port, so
both nights see the same URLs), crawls its seed list into a fresh ARCHIVE_DIR
with the README's command (``scrapy crawl archive -a seeds=FILE``, the tests'
settings), then crawls it again, unchanged, into the same ARCHIVE_DIR: the
next night. Unchanged payloads (pages, images, scripts by warcprox; screenshots
and rendered DOMs by our writer) should then be revisit records.

Baseline: the second night with dedup off (``WARCPROX_DEDUP=0``,
``DEDUP_RENDERED=0``), crawled into a copy of the first night's collection.

Prints the first night's WARC bytes, the bytes each second night added and
their share of the first night's, by record type (count and bytes of the
gzip members), and screenshots and DOMs written new vs as revisits.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from crawler.capture.index import closed_warcs  # noqa: E402
from crawler.capture.rendered import DOM_URN, SCREENSHOT_URN  # noqa: E402
from mocksite import MockSite  # noqa: E402
from tests.crawling import TEST_SETTINGS, crawl_command  # noqa: E402

RECORD_TYPES = ("response", "revisit", "request", "resource", "metadata", "warcinfo")
SETTINGS = [*TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]
DEDUP_OFF = ["-s", "WARCPROX_DEDUP=0", "-s", "DEDUP_RENDERED=0"]


@dataclass
class Added:
    """What a set of WARC files holds: bytes, and count/bytes per record type."""

    files: int = 0
    bytes: int = 0
    count: Counter = field(default_factory=Counter)
    size: Counter = field(default_factory=Counter)  # gzip member bytes per record type
    rendered: Counter = field(default_factory=Counter)  # ("screenshot" | "DOM", "new" | "revisit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(archive_dir: str, names: list[str]) -> Added:
    added = Added(files=len(names))
    for name in names:
        path = os.path.join(archive_dir, name)
        added.bytes += os.path.getsize(path)
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh, no_record_parse=True)
            for record in records:
                kind = record.rec_type
                uri = record.rec_headers.get_header("WARC-Target-URI") or ""
                records.read_to_end()
                added.count[kind] += 1
                added.size[kind] += records.get_record_length()
                for urn, label in ((SCREENSHOT_URN, "screenshot"), (DOM_URN, "DOM")):
                    if uri.startswith(urn) and kind in ("resource", "revisit"):
                        added.rendered[label, "new" if kind == "resource" else "revisit"] += 1
    return added


def crawl(seeds: str, archive_dir: str, log_path: str, ports: tuple[int, int], tls_dir: str, *extra) -> tuple[int, float]:
    """One night: the mock on the fixed ports, the README's crawl command; (exit code, seconds)."""
    with MockSite(http_port=ports[0], https_port=ports[1], tls_dir=tls_dir):
        started = time.monotonic()
        with open(log_path, "w") as log:
            code = subprocess.call(crawl_command(seeds, archive_dir, *SETTINGS, *extra), cwd=ROOT,
                                   stdout=log, stderr=subprocess.STDOUT)
        return code, time.monotonic() - started


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bioarchive-nights-")
    ports, tls = (free_port(), free_port()), os.path.join(work, "tls")
    with MockSite(http_port=ports[0], https_port=ports[1], tls_dir=tls) as site:
        seed_urls = site.seeds()
    seeds = os.path.join(work, "seeds.txt")
    with open(seeds, "w") as f:
        f.write("\n".join(seed_urls) + "\n")

    coll, baseline = os.path.join(work, "collection"), os.path.join(work, "baseline")
    runs = {"night 1": crawl(seeds, coll, os.path.join(work, "night1.log"), ports, tls)}
    first = closed_warcs(coll)
    shutil.copytree(coll, baseline)  # the baseline's second night starts from the same first night
    runs["night 2"] = crawl(seeds, coll, os.path.join(work, "night2.log"), ports, tls)
    runs["night 2, dedup off"] = crawl(seeds, baseline, os.path.join(work, "night2-baseline.log"), ports, tls,
                                       *DEDUP_OFF)

    night1 = measure(coll, first)
    second = measure(coll, [n for n in closed_warcs(coll) if n not in first])
    base = measure(baseline, [n for n in closed_warcs(baseline) if n not in first])

    print(f"unchanged night: {len(seed_urls)} seeds of the mock site on 127.0.0.1:{ports[0]}/{ports[1]}, "
          f"crawled twice into one ARCHIVE_DIR; {os.cpu_count()} cores")
    print("baseline = the second night with dedup off (WARCPROX_DEDUP=0, DEDUP_RENDERED=0), "
          "on a copy of the first night's collection")
    for label, (code, seconds) in runs.items():
        print(f"  {label:<20} exit {code}, {seconds:.0f} s")
    print()
    print(f"{'':<22}{'night 1':>22}{'night 2 (dedup)':>22}{'night 2, dedup off':>22}")
    print(f"{'WARC bytes':<22}{night1.bytes:>22,}{second.bytes:>22,}{base.bytes:>22,}")
    print(f"{'share of night 1':<22}{'100.0%':>22}{share(second.bytes, night1.bytes):>22}"
          f"{share(base.bytes, night1.bytes):>22}")
    print(f"{'WARC files':<22}{night1.files:>22}{second.files:>22}{base.files:>22}")
    print("records by type: count, gzip member bytes")
    for kind in RECORD_TYPES:
        print(f"{'  ' + kind:<22}" + "".join(f"{cell(a.count[kind], a.size[kind]):>22}" for a in (night1, second, base)))
    for what in ("screenshot", "DOM"):
        print(f"{what + 's new / revisit':<22}"
              + "".join(f"{a.rendered[what, 'new']:>15} / {a.rendered[what, 'revisit']:<4}" for a in (night1, second, base)))
    print()
    print(f"night 2 added {second.bytes:,} bytes, {share(second.bytes, night1.bytes)} of night 1's {night1.bytes:,}; "
          f"with dedup off (baseline) {base.bytes:,} bytes, {share(base.bytes, night1.bytes)}")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if any(code for code, _ in runs.values()):
        sys.exit(1)


def share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def cell(count: int, size: int) -> str:
    return f"{count:,} {size:>12,}"


if __name__ == "__main__":
    main()
