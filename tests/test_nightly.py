"""Two nights of the nightly crawl over the mock site, checked the way the operator reads them.

Night 1 and night 2 run ``scrapy nightly --seeds FILE`` (the README's command)
into one collection, the mock switching to its second night in between (same
ports, so the same URLs). Night 2's statuses must match the mock's truth table
(site.night_changes()): edited pages changed (saying what), the
publisher-deleted, blocked and 404 pages deleted and pointing at their night-1
capture, the captcha page unavailable, everything else as on night 1; the
unchanged payloads stored as revisits; night 1's evidence still there.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess

import pytest

from crawler.capture.index import closed_warcs
from tests.collection import read_collection
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make test installs it)"),
]

NIGHTLY_SETTINGS = [*TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                    "-s", "UNAVAILABLE_RETRY_TIMES=1", "-s", "UNAVAILABLE_RETRY_DELAY=0.5"]


def scrapy(archive: str, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, *args, "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def nightly(seeds: str, archive: str, *extra: str) -> subprocess.CompletedProcess:
    return scrapy(archive, "nightly", "--seeds", seeds, *NIGHTLY_SETTINGS, *extra)


def changes(archive: str, *extra: str) -> list[dict]:
    result = scrapy(archive, "changes", "--format", "jsonl", *extra)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def warc_bytes(archive: str) -> int:
    return sum(os.path.getsize(os.path.join(archive, n)) for n in closed_warcs(archive))


@pytest.fixture(scope="module")
def nights(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("nightly")
    seeds = str(base / "seeds.txt")
    site.write_seeds(seeds)
    archive = str(base / "collection")
    out = {"site": site, "archive": archive, "seeds": seeds}
    site.night = 1
    try:
        first = nightly(seeds, archive)
        (base / "night1.log").write_text(first.stdout + first.stderr)
        assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
        out["files1"] = set(closed_warcs(archive))
        out["bytes1"] = warc_bytes(archive)
        out["changes1"] = {c["url"]: c for c in changes(archive, "--wide")}
        with open(os.path.join(archive, "reports", "latest.json"), encoding="utf-8") as f:
            out["report1"] = json.load(f)
        site.night = 2
        second = nightly(seeds, archive)
        (base / "night2.log").write_text(second.stdout + second.stderr)
        out["night2"] = second
        out["truth"] = site.night_changes()
    finally:
        site.night = 1
    out["bytes2"] = warc_bytes(archive) - out["bytes1"]
    out["changes2"] = {c["url"]: c for c in changes(archive, "--wide")}
    with open(os.path.join(archive, "reports", "latest.json"), encoding="utf-8") as f:
        out["report2"] = json.load(f)
    return out


def test_second_night_exits_zero_and_prints_the_summary(nights):
    result = nights["night2"]
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    assert "nightly run" in result.stdout and ": OK" in result.stdout.splitlines()[0]
    assert "monitors: PASS" in result.stdout
    assert "17194份 → 17500份" in result.stdout  # the changed: section names the edit


def test_first_night_pages_are_new_unless_gone_or_unavailable(nights):
    by_status = {}
    for url, change in nights["changes1"].items():
        by_status.setdefault(change["status"], set()).add(url)
    site = nights["site"]
    assert site.urls["wechat_classic"] in by_status["new"]
    assert site.urls["gov_list"] in by_status["new"]
    assert {site.urls["wechat_deleted"], site.urls["fault_404"]} <= by_status["deleted"]
    assert {site.urls["wechat_captcha"], site.urls["wechat_frequent"], site.urls["fault_500"]} <= by_status["unavailable"]
    assert not by_status.get("changed") and not by_status.get("unchanged")


def test_every_page_gets_the_status_the_truth_table_gives(nights):
    truth, first, second = nights["truth"], nights["changes1"], nights["changes2"]
    assert set(truth) <= set(second), f"not visited on night 2: {set(truth) - set(second)}"
    # The 404'd article is no longer linked: only revisiting known pages finds it.
    wrong = {}
    for url, change in second.items():
        if url in truth:
            expected = truth[url]["status"]
        else:
            expected = "unchanged" if first[url]["status"] in ("new", "unchanged") else first[url]["status"]
        if change["status"] != expected:
            wrong[url] = (change["status"], expected, change["details"])
    assert not wrong, wrong
    statuses = {c["status"] for c in second.values()}
    assert statuses == {"unchanged", "changed", "deleted", "unavailable"}


def test_edits_say_what_changed(nights):
    truth, second = nights["truth"], nights["changes2"]
    for url, entry in truth.items():
        if entry["status"] != "changed" or entry.get("key") is None:
            continue
        details = second[url]["details"]
        if entry["figure"]:
            old, new = entry["figure"]
            assert f"{old} → {new}" in details, (url, details)
        else:  # a sentence added, no figure touched: text, not facts
            assert details.startswith("text:") and "facts:" not in details, (url, details)
    luolong = second[nights["site"].urls["wechat_classic"]]
    assert "DNA 洛隆县: 17194份 → 17500份" in luolong["details"]


def test_deleted_and_unavailable_point_to_the_last_good_capture(nights):
    truth, first, second = nights["truth"], nights["changes1"], nights["changes2"]
    records = {r.id: r for r in read_collection(nights["archive"])}
    for url, entry in truth.items():
        if entry["status"] not in ("deleted", "unavailable") or entry.get("key") is None:
            continue
        row = second[url]
        assert row["previous_record_id"] == first[url]["record_id"], url
        assert row["previous_captured_at"] == first[url]["captured_at"], url
        original = records[row["previous_record_id"]]
        assert (original.filename, original.offset) == (row["previous_warc_filename"], row["previous_warc_offset"])
        assert original.http_status == 200 and original.uri == url
        assert "last seen alive" in row["details"], row["details"]
        if entry["status"] == "unavailable":
            assert "环境异常" in row["details"] and "(2 tries)" in row["details"], row["details"]


def test_unchanged_payloads_are_revisits_and_the_night_is_small(nights):
    new_files = set(closed_warcs(nights["archive"])) - nights["files1"]
    records = [r for r in read_collection(nights["archive"]) if r.filename in new_files]
    by_uri = {}
    for rec in records:
        if rec.type in ("response", "revisit"):
            by_uri.setdefault(rec.uri, []).append(rec.type)
    unchanged = [url for url, c in nights["changes2"].items() if c["status"] == "unchanged"]
    assert unchanged
    for url in unchanged:
        assert "revisit" in by_uri.get(url, []), (url, by_uri.get(url))
    revisited_rendered = [r for r in records if r.type == "revisit" and r.uri.startswith("urn:screenshot:")]
    assert revisited_rendered, "no screenshot of an unchanged page was stored as a revisit"
    assert nights["bytes2"] < 0.5 * nights["bytes1"], (nights["bytes2"], nights["bytes1"])


def test_first_night_evidence_is_still_there(nights):
    url = nights["site"].urls["wechat_classic"]
    result = scrapy(nights["archive"], "evidence", "--format", "csv", "--url", url)
    assert result.returncode == 0, result.stderr
    figures = {row["value_min"] for row in csv.DictReader(io.StringIO(result.stdout))}
    assert {"17194", "17500"} <= figures, figures  # night 1's row beside night 2's
    # Pages deleted or challenged on night 2 keep the article their night-1 capture holds.
    for page, entry in nights["truth"].items():
        if entry["status"] in ("deleted", "unavailable") and entry.get("key"):
            result = scrapy(nights["archive"], "evidence", "--format", "csv", "--captures", "--url", page)
            captures = list(csv.DictReader(io.StringIO(result.stdout)))
            assert captures and captures[0]["captured_at"] == nights["changes1"][page]["captured_at"], page


def test_run_report_has_the_figures_and_the_deletions_timeline(nights):
    report, second = nights["report2"], nights["changes2"]
    assert report["result"] == "ok" and report["close_reason"] == "finished"
    assert report["pages"] == len(second)
    for status in ("new", "unchanged", "changed", "deleted", "unavailable"):
        assert report["statuses"][status] == sum(1 for c in second.values() if c["status"] == status)
    assert report["bytes_written"] > 0 and report["duration_s"] > 0
    assert report["monitors"]["verdict"] == "PASS"
    timeline = {d["url"]: d for d in report["deletions_timeline"]}
    for url, entry in nights["truth"].items():
        if entry["status"] == "deleted" and entry.get("key"):
            event = timeline[url]
            assert event["tonight"] and event["last_seen_alive"] == nights["changes1"][url]["captured_at"]
            assert event["warc_filename"] and event["screenshot_record_id"]
    text = open(os.path.join(nights["archive"], "reports", "latest.txt"), encoding="utf-8").read()
    assert "changed:" in text and "deleted:" in text and "unavailable:" in text
    deletions = scrapy(nights["archive"], "changes", "--deletions", "--format", "csv")
    assert len(list(csv.DictReader(io.StringIO(deletions.stdout)))) == len(report["deletions_timeline"])
