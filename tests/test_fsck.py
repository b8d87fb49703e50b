"""``scrapy fsck`` on a real collection (one crawl of the mock site), intact and then damaged.

Each test copies the crawled collection, damages the copy the way disks,
crashes and people do (a flipped byte, a record changed and re-compressed, a
record added after the file was logged, a torn ``.open`` file, a file moved
away), and runs ``scrapy fsck`` as an operator would: the exit code, and a
problem line naming the file and record.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.writer import OPEN_SUFFIX, WarcWriter
from crawler.custody import COLLECTION_LOG, CustodyLog
from mocksite.bench import bench_urls
from tests.crawling import ROOT, TEST_SETTINGS, crawl_command

SCRAPY = os.path.join(os.path.dirname(sys.executable), "scrapy")

pytestmark = pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawled")
    seeds = tmp / "seeds.txt"
    seeds.write_text("\n".join([site.urls["gov_article"], *bench_urls(site, 3)]) + "\n")
    archive = tmp / "collection"
    result = subprocess.run(crawl_command(seeds, archive, *TEST_SETTINGS, "-s", "SCOPE_DEPTH=0"), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return archive


@pytest.fixture
def collection(crawled, tmp_path):
    copy = tmp_path / "collection"
    shutil.copytree(crawled, copy)
    return copy


def fsck(archive, *args) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, "fsck", *args, "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def problems(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("PROBLEM  ")]


def traffic_warc(archive) -> str:
    [name] = [n for n in os.listdir(archive) if n.endswith(".warc.gz") and not n.endswith("-rendered.warc.gz")]
    return name


def members(data: bytes) -> list[tuple[int, int]]:
    """(start, end) of every gzip member."""
    out, offset = [], 0
    while offset < len(data):
        d = zlib.decompressobj(zlib.MAX_WBITS | 16)
        d.decompress(data[offset:])
        end = len(data) - len(d.unused_data)
        out.append((offset, end))
        offset = end
    return out


def record_at(path, offset) -> tuple[str, str]:
    with open(path, "rb") as f:
        f.seek(offset)
        record = next(iter(ArchiveIterator(f, no_record_parse=True)))
        return record.rec_headers.get_header("WARC-Record-ID"), record.rec_type


def a_response_member(path) -> tuple[int, int, str]:
    """(start, end, Record-ID) of a response record's member in the middle of the file."""
    data = open(path, "rb").read()
    found = []
    for start, end in members(data):
        rid, rtype = record_at(path, start)
        if rtype == "response" and end - start > 2000:
            found.append((start, end, rid))
    assert found
    return found[len(found) // 2]


def test_clean_collection(collection):
    result = fsck(collection)
    assert result.returncode == 0, result.stdout + result.stderr
    assert problems(result) == []
    lines = result.stdout.strip().splitlines()
    assert lines[-1] == f"CLEAN: {collection}: every check passed"
    assert "digests recomputed" in result.stdout and "chain intact" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_flipped_byte_names_the_file_and_record(collection):
    name = traffic_warc(collection)
    path = collection / name
    start, end, rid = a_response_member(path)
    data = bytearray(path.read_bytes())
    data[(start + end) // 2] ^= 0x01  # inside the compressed data: the member's CRC no longer matches
    path.write_bytes(data)
    result = fsck(collection)
    assert result.returncode == 1, result.stdout + result.stderr
    found = problems(result)
    assert any(line.startswith(f"PROBLEM  {name} @{start} {rid}: ") for line in found), found
    assert any(f"{name}: changed after it was logged" in line for line in found), found
    assert result.stdout.strip().splitlines()[-1].startswith(f"PROBLEMS: {collection}: 2 problems")


def test_changed_payload_fails_its_digest(collection):
    """The member re-compressed after a byte of the page changed: framing is fine, the digests are not."""
    name = traffic_warc(collection)
    path = collection / name
    start, end, rid = a_response_member(path)
    data = path.read_bytes()
    record = bytearray(gzip.decompress(data[start:end]))
    record[-100] ^= 0x20  # in the HTTP body, near its end
    path.write_bytes(data[:start] + gzip.compress(bytes(record)) + data[end:])
    result = fsck(collection)
    assert result.returncode == 1
    found = problems(result)
    assert any(line.startswith(f"PROBLEM  {name} @{start} {rid}: block digest does not match") for line in found), \
        found
    # --quick does not recompute digests, but the file's SHA-256 still differs from its custody event.
    quick = fsck(collection, "--quick")
    assert quick.returncode == 1
    assert not [line for line in problems(quick) if "digest" in line]
    assert [line for line in problems(quick) if f"{name}: changed after it was logged" in line]


def test_warc_changed_after_its_custody_event(collection):
    name = traffic_warc(collection)
    path = collection / name
    data = path.read_bytes()
    start, end = members(data)[-1]
    path.write_bytes(data + data[start:end])  # a whole, valid record more: only the custody log can tell
    result = fsck(collection)
    assert result.returncode == 1
    [line] = problems(result)
    assert line.startswith(f"PROBLEM  {name}: changed after it was logged: SHA-256 now ")


def test_torn_file_is_a_problem_until_repaired(collection):
    name = traffic_warc(collection)
    data = (collection / name).read_bytes()
    start, end = members(data)[len(members(data)) // 2]
    torn = name[: -len(".warc.gz")] + "-x.warc.gz" + OPEN_SUFFIX
    (collection / torn).write_bytes(data[: start + (end - start) // 3])
    result = fsck(collection)
    assert result.returncode == 1
    [line] = problems(result)
    assert line.startswith(f"PROBLEM  {torn}: torn (left by an interrupted crawl) and not repaired yet")

    repaired = fsck(collection, "--repair")
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    final = torn[: -len(OPEN_SUFFIX)]
    assert f"repaired: found torn WARC {torn} left by an interrupted crawl: kept as is; repaired copy {final}" \
           in repaired.stdout
    assert f"note     {torn}: torn original (kept as it is), repaired as {final}" in repaired.stdout
    assert (collection / torn).read_bytes() == data[: start + (end - start) // 3]
    assert (collection / final).read_bytes() == data[:start]
    events = list(CustodyLog(str(collection / COLLECTION_LOG)).events())
    assert [e["event"] for e in events[-2:]] == ["repair", "capture"]
    assert events[-1]["what"]["file"] == final and events[-1]["what"]["recorded_by"] == "fsck --repair"
    assert fsck(collection).returncode == 0


def test_live_writer_file_is_not_a_problem(collection):
    writer = WarcWriter(str(collection), "live", [("software", "test")])
    try:
        writer.write_record("resource", "urn:x:1", os.urandom(300), "image/png")
        name = os.path.basename(writer.current_path)
        result = fsck(collection)
        assert result.returncode == 0, result.stdout
        assert f"note     {name}: being written (a live writer holds its lock)" in result.stdout
        assert (collection / name).exists()  # --repair would leave it alone too
        assert fsck(collection, "--repair").returncode == 0 and (collection / name).exists()
    finally:
        writer.close()


def test_missing_file_and_index_rows_into_it(collection, tmp_path):
    name = traffic_warc(collection)
    shutil.move(collection / name, tmp_path / name)
    result = fsck(collection)
    assert result.returncode == 1
    found = problems(result)
    assert any(line.startswith(f"PROBLEM  {name}: named by a capture event but not in the collection")
               for line in found), found
    assert any(line.startswith(f"PROBLEM  {name}: ") and "record index row(s) point into this file, which does "
               "not exist" in line for line in found), found


def test_index_row_past_the_end_of_a_file(collection):
    name = traffic_warc(collection)
    path = collection / name
    data = path.read_bytes()
    start, end = members(data)[-1]
    rid, _ = record_at(path, start)
    # The file loses its last record, as a truncation by hand would: the index still points at it.
    path.write_bytes(data[:start])
    result = fsck(collection, "--quick")
    assert result.returncode == 1
    assert any(line.startswith(f"PROBLEM  {name} {rid}: 1 record index row(s) point past the end of the file")
               for line in problems(result)), result.stdout


def test_json_report(collection):
    name = traffic_warc(collection)
    path = collection / name
    start, end, rid = a_response_member(path)
    data = bytearray(path.read_bytes())
    data[(start + end) // 2] ^= 0x01
    path.write_bytes(data)
    result = fsck(collection, "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["verdict"] == "problems" and report["exit_code"] == 1
    assert report["problems_by_check"] == {"warc": 1, "custody": 1}
    [warc] = [f for f in report["findings"] if f["check"] == "warc"]
    assert (warc["file"], warc["offset"], warc["record_id"]) == (name, start, rid)
    assert report["summary"]["warc"]["files"] == 2


def test_no_collection_and_usage_errors_are_one_line(tmp_path):
    missing = fsck(tmp_path / "nowhere")
    assert missing.returncode == 2
    assert missing.stderr.strip() == f"scrapy fsck: no collection at {tmp_path / 'nowhere'} (ARCHIVE_DIR)"
    assert "Traceback" not in missing.stdout + missing.stderr
    usage = subprocess.run([SCRAPY, "fsck", "extra"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert usage.returncode == 2 and "takes no arguments" in usage.stderr
