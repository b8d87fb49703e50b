"""``scrapy estimate`` and ``scrapy report`` on a small evidence store built through its API."""

import csv
import io
import json
import os
import subprocess
from types import SimpleNamespace

import pytest

from pipelines.store import CaptureEvidence, EvidenceStore
from tests.crawling import ROOT, SCRAPY

LUOLONG = "截至目前，洛隆县公安局累计采集DNA血样17194份，全部完成录入上传。"
JOMDA = "一个多月来，共采集血样3000多份，占应采人数的八成。"


def statement(quote, value_min, value_max, *, place, name, cumulative=False, measure="count", end=None,
              start=None, unit="份", qualifier="exact", subset_of=None):
    return SimpleNamespace(
        biometric="dna", biometrics=["dna"], measure=measure, value_min=value_min, value_max=value_max,
        approximate=qualifier != "exact", qualifier=qualifier, unit=unit, cumulative=cumulative,
        subset_of=subset_of, period_start=start, period_end=end, place_code=place, place_name=name, subjects=[],
        figure=quote, quote=quote, quote_start=0, quote_end=len(quote))


def capture(n, url, body, published, publisher):
    return {
        "capture_record_id": f"<urn:uuid:cap-{n}>", "capture_record_type": "response", "url": url,
        "captured_at": f"2026-11-21T12:0{n}:00Z", "warc_filename": f"bioarchive-{n}.warc.gz",
        "warc_offset": 100 * n, "warc_record_id": f"<urn:uuid:rec-{n}>", "payload_digest": "sha256:X",
        "text_source": "response", "source_type": "wechat_article", "title": "t", "publisher": publisher,
        "published_at": published, "published_at_source": "ct", "language": "zh",
        "publisher_place_code": None, "publisher_place_name": None, "body_text": body, "extractor_version": "t1",
    }


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    archive_dir = str(tmp_path_factory.mktemp("collection"))
    with EvidenceStore(archive_dir) as store:
        store.add(CaptureEvidence(capture(1, "https://mp.weixin.qq.com/s/luolong", LUOLONG,
                                          "2019-05-21T10:32:00+08:00", "洛隆公安"),
                                  [statement(LUOLONG, 17194.0, 17194.0, place="540329", name="洛隆县",
                                             cumulative=True, end="2019-05-21")]))
        store.add(CaptureEvidence(capture(2, "https://xizang.example.gov.cn/1021846.html", JOMDA,
                                          "2018-04-25T10:00:00+08:00", "昌都市江达县公安局"),
                                  [statement(JOMDA, 3000.0, None, place="540321", name="江达县", end="2018-04-25",
                                             qualifier="at_least"),
                                   statement(JOMDA, 0.8, 0.8, place="540321", name="江达县", measure="rate",
                                             unit=None, end="2018-04-25")]))
        # the same page captured again: the same statement, counted once
        store.add(CaptureEvidence(capture(3, "https://mp.weixin.qq.com/s/luolong", LUOLONG,
                                          "2019-05-21T10:32:00+08:00", "洛隆公安"),
                                  [statement(LUOLONG, 17194.0, 17194.0, place="540329", name="洛隆县",
                                             cumulative=True, end="2019-05-21")]))
    return archive_dir


def scrapy(archive_dir, *args):
    return subprocess.run([SCRAPY, *args, "-s", f"ARCHIVE_DIR={archive_dir}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_estimate_jsonl_and_csv(archive, tmp_path):
    done = scrapy(archive, "estimate")
    assert done.returncode == 0, done.stderr
    rows = {(r["place_code"], r["biometric"]): r for r in map(json.loads, done.stdout.splitlines())}
    luolong = rows[("540329", "dna")]
    assert (luolong["total_min"], luolong["population"], luolong["rule"]) == (17194, 53185, "cumulative")
    assert f"{luolong['share_min']:.1%}" == "32.3%"
    assert len(luolong["sources"]) == 1 and len(luolong["sources"][0]["other_captures"]) == 1
    src = luolong["sources"][0]
    assert (src["warc_filename"], src["warc_offset"], src["warc_record_id"]) == ("bioarchive-1.warc.gz", 100,
                                                                                  "<urn:uuid:rec-1>")
    chamdo = rows[("540300", "dna")]
    assert (chamdo["total_min"], chamdo["total_max"], chamdo["rule"]) == (20194, None, "sum of counties")

    out = tmp_path / "estimate.csv"
    done = scrapy(archive, "estimate", "--format", "csv", "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert f"rows written to {out}" in done.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    by_code = {r["place_code"]: r for r in table}
    assert by_code["540329"]["total_min"] == "17194" and by_code["540329"]["total_max"] == "17194"
    assert by_code["540321"]["total_max"] == "" and "open-ended" in by_code["540321"]["flags"]
    assert "https://mp.weixin.qq.com/s/luolong 2026-11-21T12:01:00Z bioarchive-1.warc.gz#100" in by_code["540329"]["sources"]


def test_report_default_path_and_output(archive, tmp_path):
    done = scrapy(archive, "report")
    assert done.returncode == 0, done.stderr
    path = done.stdout.strip()
    assert path == os.path.join(archive, "report.html")
    page = open(path, encoding="utf-8").read()
    assert "32.3%" in page and "bioarchive-1.warc.gz#100" in page and "<svg" in page
    other = tmp_path / "r.html"
    done = scrapy(archive, "report", "-o", str(other))
    assert done.returncode == 0 and done.stdout.strip() == str(other) and other.exists()


def test_no_store_and_bad_format(tmp_path):
    for command in ("estimate", "report"):
        done = scrapy(str(tmp_path), command)
        assert done.returncode == 1
        assert "no evidence store" in done.stderr and "Traceback" not in done.stderr
    done = scrapy(str(tmp_path), "estimate", "--format", "xml")
    assert done.returncode == 2 and "--format must be jsonl or csv" in done.stderr
