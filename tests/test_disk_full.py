"""A full disk: real crawls of the mock site into a small tmpfs as ARCHIVE_DIR.

0. The recording proxy alone, when its disk fills: exit code 4, one
   CRITICAL line naming the file, the file left ``.open`` and unlocked.
1. The guard (MIN_FREE_SPACE) stops the crawl when the disk is filled
   mid-crawl, before any write fails: reason disk_full, the clear line last,
   every WARC file closed and valid.
2. With the guard off, the disk really fills during the crawl: the writer
   that hits it leaves its file ``.open``, the crawl stops (disk_full) with a
   clear line instead of tracebacks, every closed WARC file is valid, and
   once space is freed ``scrapy fsck --repair`` repairs the torn file.

The tmpfs is mounted for each test and unmounted in a finally; without
permission to mount, the tests are skipped (they need a disk that can fill).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time

import pytest
import requests

from crawler.capture.index import check_gzip_members
from crawler.capture.proxy_server import EXIT_DISK_FULL
from crawler.capture.repair import TORN, open_file_states
from crawler.capture.writer import OPEN_SUFFIX
from mocksite.bench import bench_urls
from tests.collection import read_collection, records_indexed, warc_files
from tests.crawling import ROOT, TEST_SETTINGS, crawl_command

SCRAPY = os.path.join(os.path.dirname(sys.executable), "scrapy")
FAST = [*TEST_SETTINGS, "-s", "SCOPE_DEPTH=0"]
RESUME = "crawl stopped; every closed WARC file is valid; free space and run the same command again to resume"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium"),
]


@pytest.fixture
def small_disk(tmp_path):
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    try:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount_point)],
                                 capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        pytest.skip(f"cannot mount a tmpfs here ({e}): the disk-full tests need a disk that can fill")
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}): the disk-full tests need a disk "
                    "that can fill")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def free_bytes(path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def fill(disk, leave: int) -> None:
    """Write a filler file until about ``leave`` bytes are free (0: until the disk is full)."""
    chunk = b"\0" * (1 << 20)
    with open(disk / "filler", "ab") as f:
        while True:
            room = free_bytes(disk) - leave
            if room <= 0:
                break
            try:
                f.write(chunk[: min(len(chunk), room)])
                f.flush()
            except OSError:
                break


def start_crawl(site, tmp_path, archive, *extra) -> tuple[subprocess.Popen, str]:
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(bench_urls(site, 150)) + "\n")
    log = str(tmp_path / "crawl.log")
    proc = subprocess.Popen(crawl_command(seeds, archive, *FAST, *extra), cwd=ROOT, stdout=open(log, "w"),
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while records_indexed(archive, "metadata") < 5:  # both writers have written records
        assert proc.poll() is None, open(log).read()[-3000:]
        assert time.monotonic() < deadline, "the crawl did not get going"
        time.sleep(0.2)
    return proc, log


def assert_closed_warcs_valid(archive) -> None:
    for path in warc_files(archive):
        with open(path, "rb") as f:
            check_gzip_members(f)  # every member complete: no torn record at the end
    for rec in read_collection(archive):
        assert rec.digests.block_ok is not False, (rec.filename, rec.offset)
        assert rec.digests.payload_ok is not False, (rec.filename, rec.offset)


def last_line(text: str) -> str:
    return [line for line in text.splitlines() if line.strip()][-1]


def test_proxy_stops_on_a_full_disk_and_leaves_its_file_open(site, tmp_path, small_disk):
    archive = small_disk / "archive"
    ready = tmp_path / "ready.json"
    stderr_path = tmp_path / "proxy.stderr"
    with open(stderr_path, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "crawler.capture.proxy_server", "--archive-dir", str(archive), "--prefix", "T",
             "--port", "0", "--ready-file", str(ready), "--allow-private"],
            cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=stderr)
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, stderr_path.read_text()
            time.sleep(0.05)
        proxy = {"http": f"http://127.0.0.1:{json.loads(ready.read_text())['port']}"}
        urls = bench_urls(site, 40)
        with requests.Session() as s:
            s.trust_env = False
            assert s.get(urls[0], proxies=proxy, timeout=30).ok
            fill(small_disk, leave=0)
            for url in urls[1:]:  # until the writer meets the full disk and the proxy goes
                try:
                    s.get(url, proxies=proxy, timeout=30)
                except requests.RequestException:
                    break
        assert proc.wait(timeout=60) == EXIT_DISK_FULL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = stderr_path.read_text()
    [open_name] = [n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX)]
    critical = [line for line in err.splitlines() if line.startswith("CRITICAL [bioarchive.proxy]")]
    assert len(critical) == 1, err
    assert f"cannot write WARC file {archive / open_name}: [Errno 28] No space left on device: left as .open" \
        in critical[0]
    assert "Traceback" not in err and "Logging error" not in err, err
    # Not renamed with a torn record at its end; closed and unlocked: torn, for the next start's repair.
    assert not (archive / open_name[: -len(OPEN_SUFFIX)]).exists()
    assert open_file_states(str(archive)) == {open_name: TORN}


def test_guard_stops_the_crawl_before_the_disk_fills(site, tmp_path, small_disk):
    archive = small_disk / "collection"
    proc, log_path = start_crawl(site, tmp_path, archive, "-s", "MIN_FREE_SPACE=10000000",
                                 "-s", "DISK_CHECK_INTERVAL=0.5")
    # Below the minimum, and as much room as the crawl needs to finish: the pages in flight, the
    # state databases' write-ahead logs (up to ~1 MB each), the index and the custody log.
    fill(small_disk, leave=8_000_000)
    assert proc.wait(timeout=300) == 1
    left = free_bytes(small_disk)
    log = open(log_path).read()
    assert "Spider closed (disk_full)" in log, log[-3000:]
    stop = re.compile(rf"ERROR: disk nearly full: {re.escape(str(archive))} has [\d.]+ MB free, below "
                      rf"MIN_FREE_SPACE \(10 MB\): {re.escape(RESUME)}$")
    assert stop.search(last_line(log)), last_line(log)
    assert "'capture/stop_message': 'disk nearly full: " in log
    assert "Traceback" not in log.split("Dumping Scrapy stats")[0], "no traceback before the crawl closed"
    assert not [n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX)]
    assert warc_files(archive)
    assert_closed_warcs_valid(archive)
    fsck = subprocess.run([SCRAPY, "fsck", "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    errors = [line for line in log.splitlines() if " ERROR: " in line or "custody" in line]
    assert fsck.returncode == 0, "\n".join([fsck.stdout + fsck.stderr, f"free after the crawl: {left:,} bytes",
                                            "crawl log:", *errors])


def test_disk_that_really_fills_stops_the_crawl_and_is_repaired_later(site, tmp_path, small_disk):
    archive = small_disk / "collection"
    proc, log_path = start_crawl(site, tmp_path, archive, "-s", "MIN_FREE_SPACE=0")
    fill(small_disk, leave=0)
    assert proc.wait(timeout=300) == 1
    log = open(log_path).read()
    assert "Spider closed (disk_full)" in log, log[-3000:]
    assert re.search(rf"ERROR: disk full: .*: {re.escape(RESUME)}$", last_line(log)), last_line(log)
    assert "'capture/stop_message': 'disk full: " in log
    # One line per failure, not a traceback per item or per log line.
    assert "Logging error" not in log and "WARNING: Traceback" not in log
    assert not [line for line in log.splitlines()
                if line.startswith(("OSError: [Errno 28]", "sqlite3.OperationalError: database or disk is full"))]
    assert_closed_warcs_valid(archive)
    torn = sorted(n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX))
    assert torn, "the writer that met the full disk leaves its file .open"
    originals = {n: open(archive / n, "rb").read() for n in torn}

    os.remove(small_disk / "filler")
    repair = subprocess.run([SCRAPY, "fsck", "--repair", "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert repair.returncode == 0, repair.stdout + repair.stderr
    for name in torn:
        assert (archive / name).read_bytes() == originals[name]  # kept as the crash left it
        assert f"repaired: found torn WARC {name} left by an interrupted crawl: kept as is" in repair.stdout
        final = archive / name[: -len(OPEN_SUFFIX)]
        if final.exists():  # (no copy when not even the warcinfo record was complete)
            assert originals[name].startswith(final.read_bytes())
    assert_closed_warcs_valid(archive)
    again = subprocess.run([SCRAPY, "fsck", "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert again.returncode == 0, again.stdout + again.stderr


def test_guard_stops_a_crawl_that_starts_below_the_minimum(site, tmp_path):
    """No tmpfs needed: a minimum no disk has (1 PB)."""
    archive = tmp_path / "collection"
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join(bench_urls(site, 20)) + "\n")
    result = subprocess.run(crawl_command(seeds, archive, *FAST, "-s", f"MIN_FREE_SPACE={10**15}"), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    log = result.stdout + result.stderr
    assert result.returncode == 1, log[-3000:]
    assert "Spider closed (disk_full)" in log and "Dumping Scrapy stats" in log  # closed, not killed
    assert re.search(rf"ERROR: disk nearly full: {re.escape(str(archive))} has [\d.]+ [kMG]B free, below "
                     rf"MIN_FREE_SPACE \(1000000 GB\): {re.escape(RESUME)}$", last_line(log)), last_line(log)
    assert not [n for n in os.listdir(archive) if n.endswith(OPEN_SUFFIX)]
    assert_closed_warcs_valid(archive)
