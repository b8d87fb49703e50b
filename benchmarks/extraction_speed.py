#!/usr/bin/env python
"""Evidence extraction speed, and whether it slows the crawl.

    .venv/bin/python benchmarks/extraction_speed.py [--rounds 20] [--pages 200] [--browser]

1. Extraction alone, on one core: the article pages saved in tests/pages and
   every article the mock site serves (fetched once over loopback), held in
   memory as WARC records would be read back, run through the same function
   the crawl and ``scrapy reextract`` use (parse, choose the text source,
   statements, language, publisher's place), ``--rounds`` times over. Pages
   whose text only exists after JavaScript get a rendered DOM (the served
   page with the text written into its body, as the browser leaves it), so
   they take the two-parse path they take in a crawl.
2. The crawl of ``--pages`` static portal articles (the mock's /bench/ pages)
   with EVIDENCE_ENABLED=0 (the baseline) and EVIDENCE_ENABLED=1, politeness
   off, Scrapy through warcprox (``--browser`` adds Chromium; slower, and
   rendering then dwarfs everything else). Both rates are printed.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import statistics
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from mocksite import MockSite  # noqa: E402
from mocksite.bench import bench_urls  # noqa: E402

from capture_speed import FAST, SCRAPY  # noqa: E402  (the same crawl settings as the capture benchmark)
PAGES_DIR = os.path.join(ROOT, "tests", "pages")


def _record(name, url, body, headers, warc_type="response"):
    from pipelines.evidence import StoredRecord

    return StoredRecord(warc_filename=name, warc_offset=0, record_id=f"<urn:uuid:{name}>", warc_type=warc_type,
                        target_uri=url, warc_date="2026-11-21T12:00:00Z", payload_digest="sha256:bench",
                        http_status=200, http_headers=list(headers.items()), payload=body)


def _with_dom(url, body, headers):
    """(response, dom or None): a DOM only for pages whose text the served HTML does not show."""
    from crawler.sources import Article, Page, parse
    from pipelines.evidence import holds_text

    page = Page(url=url, headers=headers, body=body)
    fields = parse(page)
    if not isinstance(fields, Article):
        return None
    response = _record(f"r{abs(hash(url))}", url, body, headers)
    if holds_text(page, fields.body_text):
        return response, None
    html = page.text.replace("</body>", f"<div>{fields.body_html}</div></body>")
    return response, _record(f"d{abs(hash(url))}", url, html.encode("utf-8"), {}, "resource")


def corpus(site) -> list[tuple]:
    pages = []
    for meta_path in sorted(glob.glob(os.path.join(PAGES_DIR, "*.json"))):
        meta = json.load(open(meta_path, encoding="utf-8"))
        if "body" in meta:  # a rendered sidecar; its served body is its own entry
            continue
        body = open(meta_path[:-5] + ".html", "rb").read()
        pair = _with_dom(meta["url"], body, meta.get("headers", {}))
        if pair:
            pages.append(pair)
    ctx = ssl.create_default_context(cafile=site.ca_cert_path)
    for entry in site.catalog():
        with urllib.request.urlopen(entry["url"], context=ctx, timeout=30) as resp:
            body, headers = resp.read(), dict(resp.headers.items())
        headers.pop("Content-Encoding", None)  # urllib has not decoded it; the mock only gzips on request
        pair = _with_dom(entry["url"], body, headers)
        if pair:
            pages.append(pair)
    return pages


def extraction_rate(pages, rounds: int) -> dict:
    from pipelines.evidence import extract_capture

    try:
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    except (AttributeError, OSError):
        pass
    for response, dom in pages:  # warm-up: imports, gazetteer, caches
        extract_capture(response, response, dom)
    statements = 0
    slowest = 0.0
    started = time.process_time()
    wall = time.perf_counter()
    for _ in range(rounds):
        for response, dom in pages:
            t = time.perf_counter()
            evidence = extract_capture(response, response, dom)
            slowest = max(slowest, time.perf_counter() - t)
            statements += len(evidence.statements) if evidence else 0
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    n = rounds * len(pages)
    return {"pages": n, "cpu_s": cpu, "wall_s": wall, "per_s": n / wall, "ms": 1000 * wall / n,
            "max_ms": 1000 * slowest, "statements": statements // rounds,
            "with_dom": sum(1 for _, d in pages if d is not None)}


def crawl(site, urls, work, label, extra) -> dict:
    seeds = os.path.join(work, "seeds.txt")
    with open(seeds, "w") as f:
        f.write("\n".join(urls) + "\n")
    coll = os.path.join(work, label)
    log_path = coll + ".log"
    start = time.monotonic()
    with open(log_path, "w") as log:
        code = subprocess.call([SCRAPY, "crawl", "archive", "-a", f"seeds={seeds}", "-s", f"ARCHIVE_DIR={coll}",
                                *FAST, *extra], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wall = time.monotonic() - start
    text = open(log_path, encoding="utf-8", errors="replace").read()

    def stat(name):
        m = re.search(rf"'{re.escape(name)}': ([0-9.]+)", text)
        return float(m.group(1)) if m else None

    return {"exit": code, "wall_s": wall, "crawl_s": stat("elapsed_time_seconds"), "items": stat("item_scraped_count"),
            "captures": stat("evidence/captures"), "statements": stat("evidence/statements"),
            "extract_ms_total": stat("evidence/extract_ms_total"), "extract_ms_max": stat("evidence/extract_ms_max")}


def _share(run: dict) -> str:
    if not run["extract_ms_total"] or not run["crawl_s"]:
        return "-"
    return f"{100 * run['extract_ms_total'] / 1000 / run['crawl_s']:.1f}%"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=20, help="passes over the page set for the extraction rate")
    ap.add_argument("--pages", type=int, default=500, help="bench pages per crawl")
    ap.add_argument("--repeat", type=int, default=2, help="crawls per setting (order alternated)")
    ap.add_argument("--browser", action="store_true", help="crawl with Chromium too (slow)")
    ap.add_argument("--no-crawl", action="store_true", help="only the extraction rate")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="bioarchive-extract-bench-")
    try:
        with MockSite(tls_dir=os.path.join(work, "tls")) as site:
            pages = corpus(site)
            if not args.no_crawl:
                urls = bench_urls(site, args.pages)
                modes = [("no browser", ["-s", "BROWSER_ENABLED=0"])]
                if args.browser:
                    modes.append(("Chromium", []))
                runs = []
                for mode, extra in modes:
                    # Alternate the order (off, on, on, off, ...): a loaded machine drifts.
                    for n in range(args.repeat):
                        for evidence in (("0", "1") if n % 2 == 0 else ("1", "0")):
                            label = f"{'chromium' if extra == [] else 'scrapy'}-evidence{evidence}-{n}"
                            runs.append((mode, evidence, crawl(site, urls, work, label,
                                                               [*extra, "-s", f"EVIDENCE_ENABLED={evidence}"])))
            rate = extraction_rate(pages, args.rounds)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print(f"extraction alone, one core: {len(pages)} article pages ({rate['with_dom']} with a rendered DOM) "
          f"x {args.rounds} rounds = {rate['pages']} extractions")
    print(f"  {rate['per_s']:.1f} pages/s, {rate['ms']:.1f} ms/page on average, slowest {rate['max_ms']:.1f} ms; "
          f"{rate['statements']} statements per round")
    print(f"  {rate['pages'] / rate['cpu_s']:.1f} pages per CPU second (cpu {rate['cpu_s']:.1f} s, wall {rate['wall_s']:.1f} s)")
    if args.no_crawl:
        return
    print(f"crawl of {args.pages} static portal articles (mock /bench/), politeness off; "
          f"baseline = the same crawl with EVIDENCE_ENABLED=0")
    print(f"{'mode':<12}{'evidence':>9}{'exit':>5}{'items':>7}{'crawl s':>9}{'crawl p/s':>10}{'wall s':>8}"
          f"{'extracted':>10}{'stmts':>7}{'extract ms/page':>16}{'max ms':>8}{'reactor share':>14}")
    for mode, evidence, r in runs:
        per_page = (r["extract_ms_total"] / r["captures"]) if r["captures"] else None
        crawl_rate = args.pages / r["crawl_s"] if r["crawl_s"] else float("nan")
        print(f"{mode:<12}{'on' if evidence == '1' else 'off':>9}{r['exit']:>5}{int(r['items'] or 0):>7}"
              f"{(r['crawl_s'] or float('nan')):9.1f}{crawl_rate:10.1f}{r['wall_s']:8.1f}"
              f"{int(r['captures'] or 0):>10}{int(r['statements'] or 0):>7}"
              f"{(per_page if per_page is not None else float('nan')):16.1f}"
              f"{(r['extract_ms_max'] or float('nan')):8.1f}"
              f"{_share(r):>14}")
    for mode in dict.fromkeys(m for m, _, _ in runs):
        rates = {e: sorted(args.pages / r["crawl_s"] for m, e2, r in runs if m == mode and e2 == e and r["crawl_s"])
                 for e in ("0", "1")}
        if rates["0"] and rates["1"]:
            off, on = statistics.median(rates["0"]), statistics.median(rates["1"])
            print(f"{mode}: median crawl rate {off:.1f} pages/s without evidence (baseline), {on:.1f} with "
                  f"({100 * (on - off) / off:+.0f}%)")
    print("crawl = Scrapy's elapsed_time_seconds; extract ms = time in the evidence pipeline (read records, "
          "extract, store), inline on the reactor; reactor share = that time / crawl time, the most the "
          "pipeline can have slowed the crawl (the crawl rates themselves move more than that between "
          "identical runs on a loaded machine)")


if __name__ == "__main__":
    main()
