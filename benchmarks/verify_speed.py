#!/usr/bin/env python
"""Verify throughput and peak memory on a large bundle, against a named baseline: sha256sum.

    .venv/bin/python benchmarks/verify_speed.py [--size-mb 600] [--dir /tmp/bioarchive-verify-bench] [--runs 2]

Builds once (and reuses, under --dir) a signed WACZ of at least --size-mb
megabytes: page visits with realistic record sizes and mix — an HTML response
(30-250 KB, some chunked), stylesheets and scripts (10-120 KB), images
(20-400 KB, incompressible), a request record for each, revisits of unchanged
stylesheets, and per page a full-page screenshot (0.3-2.5 MB), the rendered DOM
and a metadata record tied to the response by Concurrent-To / Refers-To; every
digest correct, the CDXJ made by the project's indexer, a custody log, signed
with a throwaway key. Then times, on the same file (page cache warm, best of
--runs):
  - baseline: ``sha256sum FILE.wacz`` (hashing the bytes once, nothing else);
  - ``python -m crawler.bundle.verify FILE.wacz`` and ``scrapy verify FILE.wacz``: every
    member hashed, every record inflated and its block and payload digests
    recomputed, references, index, pages, custody, signature;
and prints MB/s for both and the verifier's peak RSS (sampled with psutil).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import random
import subprocess
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

from crawler.bundle.signing import sign_digest  # noqa: E402
from crawler.custody import CustodyLog, actor, sha256_file  # noqa: E402
from tests.tamper import (http_request, http_response, record_id, sha256_b32, warc_date,  # noqa: E402
                          warc_record)

WORDS = ("公安局 采集 血样 虹膜 工作 群众 开展 全县 乡镇 村 民警 信息 登记 服务 安全 "
         "police county village collection sample data registration service the of and").split()


def text_blob(rng: random.Random, size: int) -> bytes:
    """Varied text that compresses like real pages (~4-6x), not like a repeated string."""
    parts, n = [], 0
    while n < size:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30))) + f" {rng.randint(0, 99999)}\n"
        parts.append(line)
        n += len(line.encode())
    return "".join(parts).encode()[:size]


class Writer:
    """Appends records to one WARC file, keeping what the pages list needs."""

    def __init__(self, path: str, name: str, date: datetime):
        self.f = open(path, "wb")
        self.info = record_id()
        self.f.write(warc_record("warcinfo", "", b"software: bioarchive benchmark\r\n", warc_date(date, 0),
                                 content_type="application/warc-fields", record_id=self.info,
                                 headers={"WARC-Filename": name}))

    def add(self, *args, headers=None, **kwargs) -> None:
        self.f.write(warc_record(*args, headers={"WARC-Warcinfo-ID": self.info, **(headers or {})}, **kwargs))

    def size(self) -> int:
        return self.f.tell()

    def close(self) -> None:
        self.f.close()


def build(directory: str, size_mb: int) -> str:
    path = os.path.join(directory, f"bench-{size_mb}mb.wacz")
    if os.path.exists(path):
        return path
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(5)
    base = datetime(2026, 11, 21, 8, 0, 0, tzinfo=timezone.utc)
    target = size_mb * 1_000_000
    warcs: list[str] = []
    pages: list[dict] = []
    css_seen: dict[str, tuple[str, str, bytes]] = {}
    serial, t, total = 0, 0.0, 0
    traffic = rendered = None
    print(f"building a bundle of >= {size_mb} MB in {directory} (once) ...", flush=True)
    while total < target:
        if traffic is None or traffic.size() + rendered.size() > 200_000_000:  # rollover, as a crawl would
            for w in (traffic, rendered):
                if w:
                    total += w.size()
                    w.close()
            names = [f"bench-{serial:05d}.warc.gz", f"bench-{serial:05d}-rendered.warc.gz"]
            warcs += names
            traffic = Writer(os.path.join(directory, names[0]), names[0], base)
            rendered = Writer(os.path.join(directory, names[1]), names[1], base)
            serial += 1
        page = len(pages)
        url = f"https://police{page % 7}.example.gov.cn/article/{page}.html"
        date = warc_date(base, t)
        html = b"<html><head><title>page %d</title></head><body>" % page + text_blob(rng, rng.randint(30_000, 250_000))
        resp, req = record_id(), record_id()
        traffic.add("request", url, http_request(url), date, record_id=req,
                    content_type="application/http;msgtype=request", headers={"WARC-Concurrent-To": resp})
        traffic.add("response", url, http_response(html, chunked=page % 4 == 0), date, record_id=resp,
                    content_type="application/http;msgtype=response", headers={"WARC-IP-Address": "192.0.2.7"})
        for k in range(rng.randint(2, 4)):  # stylesheets and scripts, shared by the pages of a host
            res_url = f"https://police{page % 7}.example.gov.cn/static/{k}.{'css' if k % 2 else 'js'}"
            res_date = warc_date(base, t + 0.1 * (k + 1))
            rid = record_id()
            traffic.add("request", res_url, http_request(res_url), res_date, record_id=record_id(),
                        content_type="application/http;msgtype=request", headers={"WARC-Concurrent-To": rid})
            if res_url in css_seen:
                orig_id, orig_date, body = css_seen[res_url]
                block = http_response(body, "text/css")
                traffic.add("revisit", res_url, block.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", res_date,
                            record_id=rid, content_type="application/http;msgtype=response",
                            payload_digest=sha256_b32(body),
                            headers={"WARC-Refers-To": orig_id, "WARC-Refers-To-Target-URI": res_url,
                                     "WARC-Refers-To-Date": orig_date,
                                     "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"})
            else:
                body = text_blob(rng, rng.randint(10_000, 120_000))
                css_seen[res_url] = (rid, res_date, body)
                traffic.add("response", res_url, http_response(body, "text/css"), res_date, record_id=rid,
                            content_type="application/http;msgtype=response")
        for k in range(rng.randint(2, 6)):  # images: already compressed, so random bytes
            img_url = f"https://police{page % 7}.example.gov.cn/img/{page}-{k}.jpg"
            img_date = warc_date(base, t + 0.5)
            rid = record_id()
            traffic.add("request", img_url, http_request(img_url), img_date, record_id=record_id(),
                        content_type="application/http;msgtype=request", headers={"WARC-Concurrent-To": rid})
            traffic.add("response", img_url, http_response(rng.randbytes(rng.randint(20_000, 400_000)), "image/jpeg"),
                        img_date, record_id=rid, content_type="application/http;msgtype=response")
        links = {"WARC-Concurrent-To": resp, "WARC-Refers-To": resp, "WARC-Refers-To-Target-URI": url}
        shot = b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(300_000, 2_500_000))
        rendered.add("resource", "urn:screenshot:" + url, shot, warc_date(base, t + 2), content_type="image/png",
                     headers=links)
        rendered.add("resource", "urn:rendered-dom:" + url, html, warc_date(base, t + 2),
                     content_type="text/html; charset=utf-8", headers=links)
        rendered.add("metadata", "urn:pageinfo:" + url, json.dumps({"url": url}).encode(), warc_date(base, t + 2),
                     content_type="application/json", headers=links)
        pages.append({"id": str(page), "url": url, "ts": (base + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "title": f"page {page}"})
        t += 7
        total_now = total + traffic.size() + rendered.size()
        if page % 50 == 0:
            print(f"  {page} pages, {total_now / 1e6:.0f} MB", flush=True)
        if total_now >= target:
            break
    for w in (traffic, rendered):
        w.close()
    return _package(directory, path, warcs, pages)


def _package(directory: str, path: str, warcs: list[str], pages: list[dict]) -> str:
    from crawler.capture.index import _Indexer

    print("  indexing, logging, signing, zipping ...", flush=True)
    lines = []
    for name in warcs:
        out = io.StringIO()
        with open(os.path.join(directory, name), "rb") as f:
            _Indexer(out, [f], filename=name, sort=True, post_append=True).process_all()
        lines += out.getvalue().splitlines(keepends=True)
    small = {
        "indexes/index.cdxj": "".join(sorted(lines)).encode(),
        "pages/pages.jsonl": "".join(json.dumps(p) + "\n" for p in
                                     [{"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}, *pages]).encode(),
    }
    log_path = os.path.join(directory, "custody.jsonl")
    if os.path.exists(log_path):
        os.remove(log_path)
    log, who = CustodyLog(log_path), actor("benchmark", "bench@bioarchive.invalid")
    hashes = {}
    for name in warcs:
        digest, size = sha256_file(os.path.join(directory, name))
        hashes["archive/" + name] = (digest, size)
        log.append("capture", {"file": name, "bytes": size, "records": None, "recorded_by": "crawl"},
                   {name: digest}, who=who)
    for name, data in small.items():
        hashes[name] = (hashlib.sha256(data).hexdigest(), len(data))
    log.append("bundle", {"bundle": os.path.basename(path)}, {n: h for n, (h, _) in hashes.items()}, who=who)
    small["custody/custody.jsonl"] = b"".join(line + b"\n" for line in log.lines())
    hashes["custody/custody.jsonl"] = (hashlib.sha256(small["custody/custody.jsonl"]).hexdigest(),
                                       len(small["custody/custody.jsonl"]))
    created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest = json.dumps({"profile": "data-package", "wacz_version": "1.1.1", "title": "benchmark", "created": created,
                           "software": "bioarchive benchmark",
                           "resources": [{"name": os.path.basename(n), "path": n, "hash": f"sha256:{h}", "bytes": s}
                                         for n, (h, s) in hashes.items()]}, indent=1).encode()
    key = ec.generate_private_key(ec.SECP256R1())  # throwaway
    digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
    signed = json.dumps({"path": "datapackage.json", "hash": digest,
                         "signedData": sign_digest(key, digest, created=created)}).encode()
    tmp = path + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name in warcs:
            zf.write(os.path.join(directory, name), "archive/" + name)
        for name, data in [*small.items(), ("datapackage.json", manifest), ("datapackage-digest.json", signed)]:
            zf.writestr(name, data)
    os.replace(tmp, path)
    for name in warcs:
        os.remove(os.path.join(directory, name))
    return path


def timed(cmd: list[str], env=None) -> tuple[float, int, int, str]:
    """(seconds, exit code, peak RSS bytes, last output line); RSS sampled every 10 ms with psutil."""
    import psutil

    peak = 0
    with open(os.devnull, "wb") as devnull, open(os.path.join("/tmp", f"verify-bench-{os.getpid()}.out"), "w+b") as out:
        start = time.monotonic()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=devnull, env=env, cwd=ROOT)
        watched = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                peak = max(peak, watched.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(0.01)
        elapsed = time.monotonic() - start
        out.seek(0)
        text = out.read().decode(errors="replace").strip()
        os.unlink(out.name)
    return elapsed, proc.returncode, peak, text.splitlines()[-1] if text else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=600)
    parser.add_argument("--dir", default="/tmp/bioarchive-verify-bench")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    path = build(args.dir, args.size_mb)
    size = os.path.getsize(path)
    with zipfile.ZipFile(path) as zf:
        members = len(zf.infolist())
    print(f"bundle: {path}: {size / 1e6:.0f} MB, {members} members")
    env = dict(os.environ, PYTHONPATH=ROOT)
    rows = []
    scrapy = os.path.join(os.path.dirname(sys.executable), "scrapy")
    for label, cmd in (("sha256sum (baseline)", ["sha256sum", path]),
                       ("python -m ...verify", [sys.executable, "-m", "crawler.bundle.verify", path]),
                       ("scrapy verify", [scrapy, "verify", path])):
        best = None
        for _ in range(args.runs):
            result = timed(cmd, env)
            if best is None or result[0] < best[0]:
                best = result
        seconds, code, rss, last = best
        rows.append((label, seconds, code, rss, last))
    for label, seconds, code, rss, last in rows:
        print(f"{label:<22} {seconds:7.2f} s  {size / 1e6 / seconds:8.1f} MB/s  peak RSS {rss / 1e6:6.1f} MB"
              f"  exit {code}  | {last[:100]}")
    base, ours = rows[0][1], rows[1][1]
    print(f"verify takes {ours / base:.1f}x the time of sha256sum over the same {size / 1e6:.0f} MB "
          f"(load average when done: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
