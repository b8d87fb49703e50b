"""The nightly run's verdict: monitors that fail, the lock against overlapping runs, refusals.

Real runs of ``scrapy nightly`` / ``scrapy crawl`` against the mock site,
without the browser (the monitors read the same stats either way).
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from crawler.capture.lock import exclusive
from crawler.jobs import job_key
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_command, free_port

pytestmark = pytest.mark.e2e

NO_BROWSER = [*TEST_SETTINGS, "-s", "BROWSER_ENABLED=0", "-s", "UNAVAILABLE_RETRY_TIMES=0"]


def nightly(seeds: str, archive: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, "nightly", "--seeds", seeds, "-s", f"ARCHIVE_DIR={archive}", *NO_BROWSER, *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)


def report(archive: str) -> dict:
    with open(os.path.join(archive, "reports", "latest.json"), encoding="utf-8") as f:
        return json.load(f)


def test_nothing_captured_fails_the_run(tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"http://127.0.0.1:{free_port()}/news/1.html\n")
    archive = str(tmp_path / "collection")
    result = nightly(str(seeds), archive)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "FAILED" in result.stdout.splitlines()[0]
    found = report(archive)
    assert found["result"] == "failed" and found["monitors"]["verdict"] == "FAIL"
    reasons = " ".join(f["reason"] for f in found["monitors"]["failures"])
    assert "no pages captured" in reasons and "failed without an answer" in reasons, reasons
    assert found["statuses"]["unavailable"] == 1


def test_an_unusual_number_of_deletions_fails_the_run(site, tmp_path):
    gone = [url for url, e in site.night_changes(2).items() if e["status"] == "deleted" and e.get("key")]
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("\n".join([site.urls["gov_list"], *gone]) + "\n")
    archive = str(tmp_path / "collection")
    site.night = 1
    try:
        first = nightly(str(seeds), archive)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        site.night = 2
        second = nightly(str(seeds), archive, "-s", "MONITOR_MAX_DELETIONS=1")
    finally:
        site.night = 1
    assert second.returncode == 1, second.stdout + second.stderr[-3000:]
    found = report(archive)
    assert found["statuses"]["newly_deleted"] == len(gone) > 1
    assert any("unusual number of deletions" in f["reason"] for f in found["monitors"]["failures"]), found["monitors"]
    assert "unusual number of deletions" in second.stdout


def test_one_post_gone_from_a_short_list_is_news_not_a_fault(site, tmp_path):
    gone = next(url for url, e in site.night_changes(2).items() if e["status"] == "deleted" and e.get("key"))
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(f"{gone}\n{site.urls['gov_article']}\n")
    archive = str(tmp_path / "collection")
    site.night = 1
    try:
        assert nightly(str(seeds), archive).returncode == 0
        site.night = 2
        second = nightly(str(seeds), archive)  # 1 of 2 pages: half, but below MONITOR_MIN_DELETIONS
    finally:
        site.night = 1
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    found = report(archive)
    assert found["statuses"]["newly_deleted"] == 1 and found["monitors"]["verdict"] == "PASS", found["monitors"]


def test_two_nightly_runs_never_overlap(site, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(site.urls["gov_article"] + "\n")
    archive = str(tmp_path / "collection")
    os.makedirs(archive)
    with exclusive(archive, "nightly"):  # as a running nightly holds it
        result = nightly(str(seeds), archive)
    assert result.returncode == 75, result.stdout + result.stderr[-2000:]
    assert "another nightly run" in result.stderr and "Traceback" not in result.stderr
    assert not os.path.exists(os.path.join(archive, "reports"))
    assert not os.path.exists(os.path.join(archive, "state", "capture.sqlite"))


def test_a_second_crawl_of_the_same_seeds_is_refused_in_one_line(site, tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text(site.urls["gov_article"] + "\n")
    archive = str(tmp_path / "collection")
    os.makedirs(archive)
    with exclusive(archive, f"job-{job_key('archive', str(seeds))}"):  # as a running crawl of it holds it
        result = subprocess.run(crawl_command(seeds, archive, *NO_BROWSER), cwd=ROOT, capture_output=True,
                                text=True, timeout=120)
    assert result.returncode == 1
    assert "crawl not started: another crawl of" in result.stderr and "Traceback" not in result.stderr
