#!/usr/bin/env python
"""Capture speed and peak memory, against a named baseline: wget --warc-file.

    .venv/bin/python benchmarks/capture_speed.py [--pages 200]

Serves N distinct static portal articles from the mock site on loopback and
captures the same N URLs three ways:
  - baseline: wget --warc-file (no JavaScript, no page requisites: HTML only)
  - bioarchive, BROWSER_ENABLED=0 (Scrapy through warcprox; HTML only)
  - bioarchive with Chromium (renders, scrolls, screenshots; also fetches
    every page's scripts, styles and images, all recorded)
Politeness is switched off for all three (no delay, 8 concurrent) so the
figures measure the tools, not the settings. Peak memory is the largest sum
of RSS over the whole process tree (crawler, warcprox, Chromium), sampled
every 50 ms: an upper bound, as shared pages count once per process.
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

import psutil

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mocksite import MockSite  # noqa: E402
from mocksite.bench import bench_urls  # noqa: E402

SCRAPY = os.path.join(os.path.dirname(sys.executable), "scrapy")
FAST = ["-s", "ALLOW_PRIVATE_TARGETS=1", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0",
        "-s", "CONCURRENT_REQUESTS=8", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "SCOPE_DEPTH=0",
        "-s", "LOG_LEVEL=INFO", "-s", "CONTACT=benchmark"]


def run_measured(cmd: list[str], log_path: str) -> dict:
    """Run ``cmd``, sampling the RSS of its whole process tree."""
    peak = 0
    with open(log_path, "w") as log:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        root = psutil.Process(proc.pid)
        while proc.poll() is None:
            total = 0
            try:
                for p in [root, *root.children(recursive=True)]:
                    try:
                        total += p.memory_info().rss
                    except psutil.Error:
                        pass
            except psutil.Error:
                pass
            peak = max(peak, total)
            time.sleep(0.05)
        wall = time.monotonic() - start
    return {"exit": proc.returncode, "wall_s": wall, "peak_rss_mb": peak / 1e6}


def warc_bytes(pattern: str) -> int:
    return sum(os.path.getsize(p) for p in glob.glob(pattern))


def scrapy_elapsed(log_path: str) -> float | None:
    m = re.search(r"'elapsed_time_seconds': ([0-9.]+)", open(log_path, encoding="utf-8", errors="replace").read())
    return float(m.group(1)) if m else None


def count_responses(archive_dir: str, urls: set[str]) -> int:
    from warcio.archiveiterator import ArchiveIterator

    seen = set()
    for path in glob.glob(os.path.join(archive_dir, "*.warc.gz")):
        with open(path, "rb") as f:
            for rec in ArchiveIterator(f):
                if rec.rec_type in ("response", "revisit"):
                    uri = rec.rec_headers.get_header("WARC-Target-URI")
                    if uri in urls:
                        seen.add(uri)
    return len(seen)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bioarchive-bench-")
    rows = []
    with MockSite(tls_dir=os.path.join(work, "tls")) as site:
        urls = bench_urls(site, args.pages)
        seeds = os.path.join(work, "seeds.txt")
        with open(seeds, "w") as f:
            f.write("\n".join(urls) + "\n")
        wanted = set(urls)

        wget_dir = os.path.join(work, "wget")
        os.makedirs(wget_dir)
        wget = shutil.which("wget")
        if wget:
            r = run_measured([wget, "-q", "--warc-file", os.path.join(wget_dir, "bench"), "-i", seeds,
                              "-O", os.devnull, "--no-warc-keep-log"], os.path.join(work, "wget.log"))
            rows.append(("wget --warc-file (baseline)", r, None, warc_bytes(os.path.join(wget_dir, "*.warc.gz")),
                         count_responses(wget_dir, wanted)))
        for label, extra in (("bioarchive, BROWSER_ENABLED=0", ["-s", "BROWSER_ENABLED=0"]),
                             ("bioarchive, Chromium", [])):
            coll = os.path.join(work, re.sub(r"\W+", "-", label))
            log = coll + ".log"
            r = run_measured([SCRAPY, "crawl", "archive", "-a", f"seeds={seeds}", "-s", f"ARCHIVE_DIR={coll}",
                              *FAST, *extra], log)
            rows.append((label, r, scrapy_elapsed(log), warc_bytes(os.path.join(coll, "*.warc.gz")),
                         count_responses(coll, wanted)))

    print(f"capture speed: {args.pages} static portal pages from the mock site on 127.0.0.1, "
          f"{os.cpu_count()} cores; baseline = wget --warc-file")
    print(f"{'tool':<32}{'exit':>5}{'captured':>10}{'wall s':>9}{'pages/s':>9}"
          f"{'crawl s':>9}{'crawl p/s':>10}{'peak RSS MB':>13}{'WARC MB':>9}")
    for label, r, elapsed, size, captured in rows:
        rate = args.pages / r["wall_s"]
        crawl = f"{elapsed:9.1f}{args.pages / elapsed:10.1f}" if elapsed else f"{'-':>9}{'-':>10}"
        print(f"{label:<32}{r['exit']:>5}{captured:>10}{r['wall_s']:9.1f}{rate:9.1f}{crawl}"
              f"{r['peak_rss_mb']:13.0f}{size / 1e6:9.2f}")
    print("wall = whole command incl. start-up (proxy, browser) and shutdown; crawl = Scrapy's elapsed_time_seconds")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
