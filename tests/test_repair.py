"""Torn WARC files: which ``.open`` files a crash left, and the repaired copy beside each.

The torn files are cut from real WARC files of a crawl of the mock site (one
module fixture): warcprox's traffic file and our writer's rendered file, cut
mid-record, inside a gzip trailer, inside the WARC headers, with garbage
appended, with a damaged member. The repair is checked against an
independent reading of the source's gzip members: the copy is exactly the
complete members before the cut, at their offsets; the original never
changes. Then the locks that tell a live writer's file from a torn one, and
a real crawl killed with SIGKILL (crawl, warcprox and Chromium at once)
followed by the next crawl into the same collection.
"""

from __future__ import annotations

import ast
import gzip
import hashlib
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib

import psutil
import pytest
import requests
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.index import check_gzip_members
from crawler.capture.repair import (LIVE, REPAIRED, TORN, has_live_writer, open_file_states, orphaned_open_files,
                                    repair_torn, scan_path, scan_warc)
from crawler.capture.writer import OPEN_SUFFIX, WarcWriter
from crawler.custody import COLLECTION_LOG, CustodyLog, check_chain
from mocksite.bench import bench_urls
from tests.collection import records_indexed
from tests.crawling import ROOT, TEST_SETTINGS, crawl_command

FAST = [*TEST_SETTINGS, "-s", "SCOPE_DEPTH=0"]
WHO = {"operator": "Test Operator", "contact": "ops@example.org", "host": "test-host", "user": "tester"}

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")


# --- an independent reading of a WARC file --------------------------------------

def sha256(path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def member_ends(data: bytes) -> list[int]:
    """Where each gzip member of ``data`` ends (data must be whole members)."""
    ends, offset = [], 0
    while offset < len(data):
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        d.decompress(data[offset:])
        assert d.eof
        offset = len(data) - len(d.unused_data)
        ends.append(offset)
    return ends


def record_ids(path) -> list[tuple[int, str]]:
    """(offset, WARC-Record-ID) of every record, read by warcio."""
    with open(path, "rb") as f:
        it = ArchiveIterator(f, no_record_parse=True)
        out = []
        for record in it:
            out.append((it.offset, record.rec_headers.get_header("WARC-Record-ID")))
        return out


def run_crawl(seeds, archive, tmp_path, name, *extra, timeout=300) -> str:
    seeds_path = tmp_path / f"{name}-seeds.txt"
    seeds_path.write_text("\n".join(seeds) + "\n")
    result = subprocess.run(crawl_command(seeds_path, archive, *FAST, *extra), cwd=ROOT, capture_output=True,
                            text=True, timeout=timeout)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    return log


@pytest.fixture(scope="module")
def source(site, tmp_path_factory):
    """{"traffic": path, "rendered": path} of WARC files a real crawl of the mock site closed."""
    tmp = tmp_path_factory.mktemp("source")
    archive = tmp / "collection"
    run_crawl([site.urls["gov_article"], site.urls["wechat_classic"], *bench_urls(site, 3)], archive, tmp, "source")
    names = sorted(n for n in os.listdir(archive) if n.endswith(".warc.gz"))
    rendered = [n for n in names if n.endswith("-rendered.warc.gz")]
    traffic = [n for n in names if not n.endswith("-rendered.warc.gz")]
    assert len(rendered) == 1 and len(traffic) == 1, names
    return {"traffic": str(archive / traffic[0]), "rendered": str(archive / rendered[0])}


def torn_collection(tmp_path, source_path: str, data: bytes, suffix: str = ".warc.gz") -> tuple[str, str]:
    """A collection holding one .open file with ``data``, named as the source's unfinished file would be."""
    archive = tmp_path / "collection"
    archive.mkdir()
    name = os.path.basename(source_path)[: -len(".warc.gz")] + suffix + OPEN_SUFFIX
    (archive / name).write_bytes(data)
    return str(archive), name


def _cut_mid_record(data, ends, k):
    return data[: ends[k - 1] + (ends[k] - ends[k - 1]) // 2], k


def _cut_in_trailer(data, ends, k):
    return data[: ends[k] - 3], k  # CRC read, 3 bytes of the length missing


def _cut_in_headers(data, ends, k):
    return data[: ends[k - 1] + 14], k  # the gzip header and the first bytes of the WARC headers


def _cut_at_boundary(data, ends, k):
    return data[: ends[k]], k + 1


def _garbage_appended(data, ends, k):
    return data + b"\x00\x01garbage after the last record" * 5, len(ends)


def _damaged_member(data, ends, k):
    damaged = bytearray(data)
    damaged[ends[k - 1] + (ends[k] - ends[k - 1]) // 2] ^= 0x40
    return bytes(damaged), k  # complete but corrupt: the CRC (or inflate) fails, nothing after it is kept


CUTS = {
    "mid-record": _cut_mid_record,
    "inside the gzip trailer": _cut_in_trailer,
    "inside the WARC headers": _cut_in_headers,
    "at a record boundary": _cut_at_boundary,
    "garbage appended": _garbage_appended,
    "damaged member": _damaged_member,
}


@pytest.mark.parametrize("kind", ["traffic", "rendered"])
@pytest.mark.parametrize("cut", list(CUTS))
def test_repair_keeps_exactly_the_complete_records(source, tmp_path, kind, cut):
    src = source[kind]
    data = open(src, "rb").read()
    ends = member_ends(data)
    assert len(ends) >= 6, "the source file should hold several records"
    torn, kept = CUTS[cut](data, ends, len(ends) // 2)
    archive, name = torn_collection(tmp_path, src, torn)
    original = os.path.join(archive, name)
    before = sha256(original)
    assert orphaned_open_files(archive) == [name]

    repair = repair_torn(archive, name, WHO, recorded_by="test")

    assert repair.error is None, repair
    final = name[: -len(OPEN_SUFFIX)]
    copy = os.path.join(archive, final)
    complete = ends[kept - 1]
    assert (repair.repaired, repair.records, repair.bytes_kept) == (final, kept, complete)
    assert repair.bytes_dropped == len(torn) - complete
    # Byte for byte the complete members before the cut: every record at its offset, with its id.
    assert open(copy, "rb").read() == data[:complete]
    assert record_ids(copy) == record_ids(src)[:kept]
    with open(copy, "rb") as f:
        check_gzip_members(f)
    # The original stays exactly as the crash left it.
    assert os.path.exists(original) and sha256(original) == before == repair.original_sha256
    assert repair.repaired_sha256 == sha256(copy)
    # One repair event, naming both files with their hashes; the chain holds.
    log = CustodyLog(os.path.join(archive, COLLECTION_LOG))
    [event] = list(log.events())
    assert event["event"] == "repair" and check_chain(log.lines()) == []
    assert event["sha256"] == {name: before, final: sha256(copy)}
    what = event["what"]
    assert what["original"] == {"file": name, "bytes": len(torn), "sha256": before, "kept_as_is": True}
    assert what["repaired"] == {"file": final, "bytes": complete, "records": kept, "sha256": sha256(copy)}
    assert what["bytes_dropped"] == repair.bytes_dropped and what["recorded_by"] == "test"
    assert (what["dropped_because"] is None) == (len(torn) == complete)
    # Repaired: not torn any more, and never repaired twice.
    assert open_file_states(archive) == {name: REPAIRED} and orphaned_open_files(archive) == []
    again = repair_torn(archive, name, WHO)
    assert again.repaired is None and "exists already" in again.error
    assert len(list(log.events())) == 1


def test_uncompressed_warc_cut_inside_the_headers(source, tmp_path):
    data = open(source["rendered"], "rb").read()
    plain = gzip.decompress(data)  # every member, one after the other: an uncompressed WARC
    starts = [offset for offset, _ in _plain_records(plain)]
    k = len(starts) // 2
    torn = plain[: starts[k] + 30]
    archive, name = torn_collection(tmp_path, source["rendered"], torn, suffix=".warc")
    repair = repair_torn(archive, name, WHO)
    assert repair.error is None and repair.records == k and repair.bytes_kept == starts[k]
    assert open(os.path.join(archive, repair.repaired), "rb").read() == plain[: starts[k]]


def _plain_records(plain: bytes):
    offset = 0
    while offset < len(plain):
        head_end = plain.index(b"\r\n\r\n", offset)
        length = int(re.search(rb"\r\nContent-Length: *(\d+)", plain[offset:head_end + 2], re.I).group(1))
        yield offset, length
        offset = head_end + 4 + length + 4


def test_nothing_complete_means_no_copy_but_an_event(source, tmp_path):
    data = open(source["traffic"], "rb").read()
    torn = data[: member_ends(data)[0] - 20]  # the warcinfo record itself is unfinished
    archive, name = torn_collection(tmp_path, source["traffic"], torn)
    repair = repair_torn(archive, name, WHO)
    assert repair.error is None and repair.repaired is None and repair.records == 0
    assert repair.bytes_dropped == len(torn)
    assert sorted(os.listdir(archive)) == sorted([name, COLLECTION_LOG, "state"])  # no empty WARC file
    [event] = list(CustodyLog(os.path.join(archive, COLLECTION_LOG)).events())
    assert event["what"]["repaired"] is None and event["what"]["original"]["sha256"] == sha256(
        os.path.join(archive, name))
    # The event is what marks it as dealt with.
    assert open_file_states(archive) == {name: REPAIRED} and orphaned_open_files(archive) == []


def test_scan_stops_at_the_first_damage_and_names_the_record(source):
    data = open(source["traffic"], "rb").read()
    ends = member_ends(data)
    ids = record_ids(source["traffic"])
    k = len(ends) // 2
    damaged = bytearray(data)
    damaged[(ends[k - 1] + ends[k]) // 2] ^= 0xFF  # in the deflate data (a gzip header's name field has no CRC)
    scan = scan_warc(io.BytesIO(bytes(damaged)))
    assert (scan.records, scan.complete, scan.problem_offset) == (k, ends[k - 1], ends[k - 1])
    assert scan.size == len(data) and scan.sha256 == hashlib.sha256(damaged).hexdigest()
    assert scan.problem and scan.first_type == "warcinfo"
    assert scan.problem_record_id in (ids[k][1], None)  # named when its headers still inflate
    whole = scan_path(source["traffic"])
    assert whole.problem is None and whole.records == len(ends) and whole.complete == len(data)


# --- live writers hold the lock -------------------------------------------------

def test_our_writer_holds_the_lock_until_the_file_is_closed(tmp_path):
    w = WarcWriter(str(tmp_path), "t", [("software", "test")])
    w.write_record("resource", "urn:x:1", os.urandom(500), "image/png")
    path = w.current_path
    name = os.path.basename(path)
    assert has_live_writer(path)
    assert open_file_states(str(tmp_path)) == {name: LIVE} and orphaned_open_files(str(tmp_path)) == []
    refused = repair_torn(str(tmp_path), name, WHO)
    assert refused.repaired is None and "being written" in refused.error
    assert not os.path.exists(path[: -len(OPEN_SUFFIX)])
    w.write_record("resource", "urn:x:2", os.urandom(500), "image/png")  # the writer is undisturbed
    w.close()
    assert not os.path.exists(path) and os.path.exists(path[: -len(OPEN_SUFFIX)])
    assert not [n for n in os.listdir(tmp_path) if n.endswith((".creating", ".open"))]


def test_warcprox_holds_the_lock_and_a_killed_proxy_leaves_a_torn_file(site, tmp_path):
    archive = tmp_path / "archive"
    ready = tmp_path / "ready.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.capture.proxy_server", "--archive-dir", str(archive), "--prefix", "T",
         "--port", "0", "--ready-file", str(ready), "--allow-private"],
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not ready.exists():
            assert proc.poll() is None and time.time() < deadline, "proxy did not come up"
            time.sleep(0.05)
        port = json.loads(ready.read_text())["port"]
        with requests.Session() as s:
            s.trust_env = False
            assert s.get(bench_urls(site, 1)[0], proxies={"http": f"http://127.0.0.1:{port}"}, timeout=30).ok
        deadline = time.time() + 10
        while not [n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX)]:
            assert time.time() < deadline
            time.sleep(0.05)
        [name] = [n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX)]
        assert open_file_states(str(archive)) == {name: LIVE}
        proc.kill()  # SIGKILL: no clean close
        proc.wait()
        assert open_file_states(str(archive)) == {name: TORN}
        repair = repair_torn(str(archive), name, WHO)
        assert repair.error is None and repair.records >= 3  # warcinfo, request, response
        assert record_ids(str(archive / repair.repaired))[0][0] == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --- a crawl killed mid-way, and the next one ------------------------------------

def _kill_everything(crawl: subprocess.Popen) -> None:
    """SIGKILL the crawl, warcprox (its own session) and Chromium at once, as a power cut would."""
    root = psutil.Process(crawl.pid)
    procs = [root, *root.children(recursive=True)]
    groups = []
    for p in procs:
        try:
            groups.append(os.getpgid(p.pid))
        except ProcessLookupError:
            pass
    # The proxy first: killed after the crawl, it would get its parent-death SIGTERM and close its files.
    proxies = [p for p in procs if "crawler.capture.proxy_server" in " ".join(_cmdline(p))]
    assert proxies, "no recording proxy found"
    for group in [os.getpgid(p.pid) for p in proxies] + groups:
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    psutil.wait_procs(procs, timeout=30)
    crawl.wait(timeout=30)


def _cmdline(p) -> list[str]:
    try:
        return p.cmdline()
    except psutil.Error:
        return []


def _stats_value(log: str, key: str):
    """A list value of Scrapy's stats dump (pprint), read back."""
    start = log.index(f"'{key}': ")
    text = log[start + len(key) + 4:]
    depth = 0
    for i, ch in enumerate(text):
        depth += ch in "[{("
        depth -= ch in "]})"
        if depth == 0:
            return ast.literal_eval(text[: i + 1])
    raise AssertionError(f"no value for {key}")


@pytest.mark.e2e
def test_sigkilled_crawl_is_repaired_by_the_next_crawl(site, tmp_path):
    archive = tmp_path / "collection"
    seeds = bench_urls(site, 60)
    seeds_path = tmp_path / "seeds.txt"
    seeds_path.write_text("\n".join(seeds) + "\n")
    with open(tmp_path / "first.log", "w") as log:
        crawl = subprocess.Popen(crawl_command(seeds_path, archive, *FAST), cwd=ROOT, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 180
        while records_indexed(archive, "metadata") < 6:  # a few pages rendered: both writers have records out
            assert crawl.poll() is None, open(tmp_path / "first.log").read()[-3000:]
            assert time.time() < deadline, "the crawl did not get going"
            time.sleep(0.2)
        _kill_everything(crawl)
    finally:
        if crawl.poll() is None:
            crawl.kill()
    torn = sorted(n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX))
    assert any(n.endswith("-rendered.warc.gz.open") for n in torn), torn
    assert any(not n.endswith("-rendered.warc.gz.open") for n in torn), torn
    hashes = {n: sha256(archive / n) for n in torn}
    assert set(orphaned_open_files(str(archive))) == set(torn)

    log = run_crawl(bench_urls(site, 2), archive, tmp_path, "second")

    # The originals are untouched; a repaired copy under each final name.
    assert {n: sha256(archive / n) for n in torn} == hashes
    repaired = _stats_value(log, "recovery/repaired")
    assert _stats_value(log, "recovery/failed") == []
    assert sorted(r["original"] for r in repaired) == torn
    events = {e["what"]["original"]["file"]: e for e in CustodyLog(str(archive / COLLECTION_LOG)).events()
              if e["event"] == "repair"}
    captured = {e["what"]["file"] for e in CustodyLog(str(archive / COLLECTION_LOG)).events()
                if e["event"] == "capture"}
    for r in repaired:
        name, final = r["original"], r["repaired"]
        assert final == name[: -len(OPEN_SUFFIX)] and os.path.exists(archive / final)
        assert set(r) == {"original", "repaired", "records", "bytes_kept", "bytes_dropped"}
        assert r["bytes_kept"] == os.path.getsize(archive / final) and r["records"] > 0
        assert r["bytes_kept"] + r["bytes_dropped"] == os.path.getsize(archive / name)
        assert open(archive / final, "rb").read() == open(archive / name, "rb").read()[: r["bytes_kept"]]
        line = (f"found torn WARC {name} left by an interrupted crawl: kept as is; repaired copy {final} holds "
                f"{r['records']} complete records; {r['bytes_dropped']} bytes of an unfinished record dropped")
        assert sum(line in row and "WARNING" in row for row in log.splitlines()) == 1, line
        what = events[name]["what"]
        assert what["original"]["sha256"] == hashes[name] and what["repaired"]["sha256"] == sha256(archive / final)
        assert final in captured  # its capture event came when the second crawl closed
    assert check_chain(CustodyLog(str(archive / COLLECTION_LOG)).lines()) == []

    fsck = subprocess.run([os.path.join(os.path.dirname(sys.executable), "scrapy"), "fsck",
                           "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    for name in torn:
        assert f"{name}: torn original (kept as it is), repaired as {name[: -len(OPEN_SUFFIX)]}" in fsck.stdout
    assert fsck.stdout.strip().splitlines()[-1].startswith("CLEAN: ")


@pytest.mark.e2e
def test_crawl_stops_when_its_proxy_dies(site, tmp_path):
    """Nothing may be fetched unrecorded: the proxy killed alone stops the crawl (recording_failed)."""
    archive = tmp_path / "collection"
    seeds_path = tmp_path / "seeds.txt"
    seeds_path.write_text("\n".join(bench_urls(site, 60)) + "\n")
    log_path = tmp_path / "crawl.log"
    with open(log_path, "w") as log:
        crawl = subprocess.Popen(crawl_command(seeds_path, archive, *FAST), cwd=ROOT, stdout=log,
                                 stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 180
        while records_indexed(archive, "metadata") < 3:
            assert crawl.poll() is None and time.time() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.2)
        [proxy] = [p for p in psutil.Process(crawl.pid).children(recursive=True)
                   if "crawler.capture.proxy_server" in " ".join(_cmdline(p))]
        proxy.kill()
        assert crawl.wait(timeout=240) == 1
    finally:
        if crawl.poll() is None:
            crawl.kill()
    log = log_path.read_text()
    assert "Spider closed (recording_failed)" in log, log[-3000:]
    assert "'capture/proxy_failed': -9" in log
    assert "FAIL: Recording proxy/the recording proxy ran and stopped cleanly: recording proxy failed during " \
           "the crawl (exit code -9)" in log
    last = [line for line in log.splitlines() if line.strip()][-1]
    assert re.search(rf"ERROR: recording failed: the recording proxy \(pid {proxy.pid}\) died mid-crawl with exit "
                     r"code -9 \(.*\): crawl stopped, nothing more can be recorded; every closed WARC file is valid",
                     last), last
    [torn] = [n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX)]  # the proxy's; ours was closed
    assert open_file_states(str(archive)) == {torn: TORN}
