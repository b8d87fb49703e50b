"""Resume: a crawl killed with SIGKILL (crawler, warcprox and Chromium) and started again.

The second run must be the same crawl (same id), must not fetch again any
page the first run captured, must still reach every page the seeds lead to
(the first run's queue died with it), and must keep every record the first
run wrote.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import psutil
import pytest

from crawler.capture.writer import record_path
from tests.collection import read_collection
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_command

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium"),
]

# Slow enough to be killed half way: one page at a time on the portal.
SETTINGS = [*TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "UNAVAILABLE_RETRY_TIMES=0"]


def visits(archive: str) -> list[dict]:
    try:
        db = sqlite3.connect(f"file:{archive}/state/capture.sqlite?mode=ro", uri=True)
    except sqlite3.Error:
        return []
    try:
        db.row_factory = sqlite3.Row
        return [dict(r) for r in db.execute("SELECT * FROM pages ORDER BY visit_id")]
    except sqlite3.Error:
        return []
    finally:
        db.close()


def kill_tree(proc: subprocess.Popen) -> None:
    """SIGKILL the crawl and everything it started (warcprox runs in a session of its own)."""
    family = [proc.pid] + [p.pid for p in psutil.Process(proc.pid).children(recursive=True)]
    for pid in family:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(30)
    deadline = time.monotonic() + 30
    while any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in family):
        assert time.monotonic() < deadline, "processes survived SIGKILL"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def resumed(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("resume")
    seeds = base / "seeds.txt"
    seeds.write_text(site.urls["gov_list"] + "\n" + site.urls["wechat_classic"] + "\n")
    archive = str(base / "collection")
    command = crawl_command(seeds, archive, *SETTINGS)
    with open(base / "run1.log", "w") as log:
        first = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 240
        while len(visits(archive)) < 6:
            assert first.poll() is None, "the crawl ended before it could be killed"
            assert time.monotonic() < deadline, "the crawl did not capture 6 pages in time"
            time.sleep(0.2)
        kill_tree(first)
    before = visits(archive)
    killed_at = time.time()
    # Started again the way the scheduler would: the nightly job over the same seed file.
    nightly = [SCRAPY, "nightly", "--seeds", str(seeds), "-s", f"ARCHIVE_DIR={archive}", *SETTINGS]
    second = subprocess.run(nightly, cwd=ROOT, capture_output=True, text=True, timeout=600)
    (base / "run2.log").write_text(second.stdout + second.stderr)
    return {"archive": archive, "site": site, "before": before, "after": visits(archive),
            "second": second, "killed_at": killed_at}


def test_second_run_resumes_the_same_crawl(resumed):
    second = resumed["second"]
    assert second.returncode == 0, (second.stdout + second.stderr)[-4000:]
    log = second.stdout + second.stderr
    assert "was interrupted" in log and "resuming it" in log, log[-3000:]
    ids = {v["crawl_id"] for v in resumed["after"]}
    assert len(ids) == 1 and None not in ids
    db = sqlite3.connect(f"file:{resumed['archive']}/state/capture.sqlite?mode=ro", uri=True)
    runs, interruptions, state = db.execute("SELECT runs, interruptions, state FROM crawls").fetchone()
    assert (runs, interruptions, state) == (2, 1, "finished")


def test_the_run_report_says_what_was_recovered(resumed):
    with open(os.path.join(resumed["archive"], "reports", "latest.json"), encoding="utf-8") as f:
        report = json.load(f)
    recovery = report["recovery"]
    assert recovery["resumed"] == "interrupted" and recovery["pages_already_captured"] >= 6
    assert recovery["stale_jobdir"] and os.path.isdir(recovery["stale_jobdir"])
    # The killed run's .open files were torn: each kept, and repaired beside it.
    assert recovery["repaired"] and not recovery["failed"]
    for repair in recovery["repaired"]:
        assert os.path.exists(os.path.join(resumed["archive"], repair["original"]))
        assert os.path.exists(os.path.join(resumed["archive"], repair["repaired"]))
    text = resumed["second"].stdout
    assert "resumed a crawl that was interrupted" in text and "torn WARC repaired:" in text, text


def test_nothing_captured_is_fetched_again(resumed):
    done = {v["url"] for v in resumed["before"] if v["response_record_id"]}
    assert len(done) >= 6
    later = [v for v in resumed["after"][len(resumed["before"]):] if v["url"] in done]
    assert not later, [v["url"] for v in later]
    # Nor did the proxy record those pages again.
    again = [r for r in read_collection(resumed["archive"])
             if r.type in ("response", "revisit") and r.uri in done
             and r.header("warc-date") >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(resumed["killed_at"]))]
    assert not again, [(r.uri, r.header("warc-date")) for r in again]


def test_every_page_the_seeds_lead_to_is_captured(resumed):
    site = resumed["site"]
    expected = {site.urls["gov_list"], site.urls["wechat_classic"], *site.urls["gov_list_pages"][1:]}
    expected |= {row["url"] for row in site.catalog() if row["source"] == "gov"}
    captured = {v["url"] for v in resumed["after"] if v["response_record_id"] and v["status"] == 200}
    assert expected <= captured, sorted(expected - captured)


def test_the_first_runs_records_are_kept(resumed):
    db = sqlite3.connect(f"file:{resumed['archive']}/state/capture.sqlite?mode=ro", uri=True)
    where = {rid: (f, o) for rid, f, o in db.execute("SELECT record_id, warc_filename, warc_offset FROM records")}
    records = {(r.filename, r.offset): r.id for r in read_collection(resumed["archive"])}
    for visit in resumed["before"]:
        for column in ("response_record_id", "screenshot_record_id", "dom_record_id", "metadata_record_id"):
            rid = visit[column]
            if not rid:
                continue
            filename, offset = where[rid]
            assert os.path.exists(record_path(resumed["archive"], filename)), filename
            assert records.get((filename, offset)) == rid, (visit["url"], column, filename, offset)
