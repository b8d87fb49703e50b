"""End to end: crawl the mock site, then read the evidence the way a researcher would.

One crawl (module fixture) of the mock's articles through warcprox and
Chromium with the evidence pipeline on, then ``scrapy evidence`` and
``scrapy reextract`` as the README gives them. Every row's provenance is
checked against the WARC files themselves (tests/provenance.py).
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess

import pytest

from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_command
from tests.provenance import check_row, record_at

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make test installs it)"),
]

FAST = [*TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def scrapy(archive_dir: str, *args: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, *args, "-s", f"ARCHIVE_DIR={archive_dir}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def jsonl(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("evidence")
    groups = site.seed_groups()
    seeds = base / "seeds.txt"
    # Articles of every source, the list that leads to the portal's articles, and the
    # deleted/captcha pages (no article: no evidence). The faults are test_capture_e2e's.
    seeds.write_text("\n".join(groups["wechat"] + groups["thepaper"] + groups["gov"] + groups["wechat_gone"]) + "\n",
                     encoding="utf-8")
    archive = str(base / "collection")
    result = subprocess.run(crawl_command(str(seeds), archive, *FAST), cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    log = result.stdout + result.stderr
    (base / "crawl.log").write_text(log)
    assert result.returncode == 0, log[-4000:]
    out = scrapy(archive, "evidence", "--format", "jsonl")
    assert out.returncode == 0, out.stderr[-2000:]
    caps = scrapy(archive, "evidence", "--captures", "--format", "jsonl")
    assert caps.returncode == 0, caps.stderr[-2000:]
    return {"dir": archive, "base": base, "log": log, "rows": jsonl(out.stdout), "captures": jsonl(caps.stdout),
            "catalog": {c["key"]: c for c in site.catalog()}, "site": site}


def rows_for(crawled, key):
    url = crawled["catalog"][key]["url"]
    return [r for r in crawled["rows"] if r["url"] == url]


def captures_for(crawled, key):
    url = crawled["catalog"][key]["url"]
    return [c for c in crawled["captures"] if c["url"] == url]


def test_the_crawl_extracted_evidence_without_errors(crawled):
    assert "'evidence/captures'" in crawled["log"], "the evidence pipeline did not run"
    assert "'evidence/errors'" not in crawled["log"]
    assert crawled["rows"], "no statements at all"


def test_every_row_holds_its_quote_in_the_record_it_names(crawled):
    from pipelines.store import EVIDENCE_COLUMNS

    for row in crawled["rows"]:
        assert list(row) == EVIDENCE_COLUMNS
        check_row(crawled["dir"], row)


def test_every_article_was_captured_with_its_text_source(crawled):
    expect = {"wechat": "response", "gov": "response", "wechat_image": "rendered-dom", "thepaper": "rendered-dom"}
    for key, post in crawled["catalog"].items():
        caps = captures_for(crawled, key)
        assert caps, f"{key}: no capture row"
        for cap in caps:
            assert cap["text_source"] == expect[post["source"]], (key, cap["text_source"])
            assert cap["title"] == post["title"], key
            where = record_at(crawled["dir"], cap["warc_filename"], cap["warc_offset"])
            assert where["record_id"] == cap["warc_record_id"]
            wanted = "resource" if cap["text_source"] == "rendered-dom" else "response"
            assert where["type"] == wanted, key
    # Deleted / captcha pages are not articles.
    gone = set(crawled["site"].seed_groups()["wechat_gone"])
    assert not [c for c in crawled["captures"] if c["url"] in gone]


def test_published_at_is_beijing_time_for_every_source(crawled):
    for key, post in crawled["catalog"].items():
        published = post["published"].replace(" ", "T") + ":00+08:00"
        for cap in captures_for(crawled, key):
            assert cap["published_at"] == published, (key, cap["published_at_source"])
        for row in rows_for(crawled, key):
            assert row["published_at"] == published, key


def test_language_of_the_tibetan_the_bilingual_and_the_chinese_posts(crawled):
    assert {c["language"] for c in captures_for(crawled, "nyemo_dna_tibetan")} == {"bo"}
    assert {c["language"] for c in captures_for(crawled, "damxung_gada_dna")} == {"zh+bo"}
    for key in ("luolong_dna", "yushu_iris_104", "hainan_iris_images", "chamdo_dna_2022"):
        assert {c["language"] for c in captures_for(crawled, key)} == {"zh"}, key
    for row in rows_for(crawled, "damxung_gada_dna"):
        assert row["language"] == "zh+bo"


def test_collection_figures_are_rows_and_distractors_are_not(crawled):
    luolong = rows_for(crawled, "luolong_dna")
    assert any(r["value_min"] == 17194 and r["biometric"] == "dna" for r in luolong), luolong
    assert any(r["biometric"] == "iris" and r["value_min"] == 1040000 for r in rows_for(crawled, "yushu_iris_104"))
    assert any(r["value_min"] == 8000 for r in rows_for(crawled, "hainan_iris_images"))  # text only after JS
    assert any(r["value_min"] == 12306 for r in rows_for(crawled, "seni_dna_2020"))  # GBK page
    for key in ("dengqen_traffic", "xining_antifraud", "lhasa_antifraud_2021", "fire_safety_2018"):
        assert not rows_for(crawled, key), key


def test_a_revisit_reads_the_text_of_the_response_it_refers_to(crawled):
    # The short link leads to the same article: warcprox records the second fetch as a revisit.
    caps = captures_for(crawled, "luolong_dna")
    revisits = [c for c in caps if c["capture_record_type"] == "revisit"]
    assert len(caps) >= 2 and revisits, [(c["capture_record_type"], c["text_source"]) for c in caps]
    originals = {c["capture_record_id"]: c for c in caps if c["capture_record_type"] == "response"}
    for cap in revisits:
        assert cap["warc_record_id"] in originals  # the text was read from the original response
        assert cap["captured_at"] >= originals[cap["warc_record_id"]]["captured_at"]
        assert record_at(crawled["dir"], cap["warc_filename"], cap["warc_offset"])["type"] == "response"
        rows = [r for r in crawled["rows"] if r["capture_record_id"] == cap["capture_record_id"]]
        assert rows and all(r["warc_record_id"] == cap["warc_record_id"] for r in rows)


def test_csv_has_the_same_rows_in_the_documented_columns(crawled):
    from pipelines.store import EVIDENCE_COLUMNS

    out = scrapy(crawled["dir"], "evidence", "--format", "csv")
    assert out.returncode == 0, out.stderr
    table = list(csv.reader(io.StringIO(out.stdout)))
    assert table[0] == EVIDENCE_COLUMNS
    assert len(table) - 1 == len(crawled["rows"])
    by_id = {int(r[0]): dict(zip(EVIDENCE_COLUMNS, r)) for r in table[1:]}
    for row in crawled["rows"]:
        flat = by_id[row["statement_id"]]
        assert flat["quote"] == row["quote"] and int(flat["warc_offset"]) == row["warc_offset"]
        assert flat["biometrics"] == "+".join(row["biometrics"])


def test_reextract_adds_nothing_the_crawl_already_extracted_then_nothing_again(crawled, tmp_path):
    archive = str(tmp_path / "collection")
    shutil.copytree(crawled["dir"], archive)
    for _ in range(2):
        out = scrapy(archive, "reextract")
        assert out.returncode == 0, out.stdout + out.stderr
        assert out.stdout.count("\n") == 1 and " 0 new rows" in out.stdout, out.stdout
    again = jsonl(scrapy(archive, "evidence").stdout)
    assert again == crawled["rows"]


def test_a_newer_extractor_version_adds_rows_beside_the_old_ones(crawled, tmp_path, monkeypatch):
    import pipelines.statements
    from crawler.commands.reextract import reextract
    from pipelines.store import EvidenceStore

    archive = str(tmp_path / "collection")
    shutil.copytree(crawled["dir"], archive)
    old_version = pipelines.statements.EXTRACTOR_VERSION
    monkeypatch.setattr(pipelines.statements, "EXTRACTOR_VERSION", old_version + "+newer")
    summary = reextract(archive, warn=lambda line: None)
    assert not summary.errors and summary.new_rows >= len(crawled["captures"])
    with EvidenceStore(archive) as store:
        newest = store.rows()
        every = store.rows(all_versions=True)
    assert {r["extractor_version"] for r in newest} == {old_version + "+newer"}
    assert len(newest) == len(crawled["rows"])
    old = [r for r in every if r["extractor_version"] == old_version]
    assert old == crawled["rows"]  # the earlier extraction is kept as it was


def test_reextract_names_a_corrupt_warc_in_one_line_and_exits_1(crawled, tmp_path):
    archive = str(tmp_path / "collection")
    shutil.copytree(crawled["dir"], archive)
    victim = sorted(n for n in os.listdir(archive) if n.endswith(".warc.gz") and "rendered" not in n)[0]
    path = os.path.join(archive, victim)
    data = open(path, "rb").read()
    with open(path, "wb") as f:
        f.write(data[: len(data) // 2])
    out = scrapy(archive, "reextract")
    assert out.returncode == 1
    errors = [line for line in out.stderr.splitlines() if victim in line]
    assert len(errors) == 1 and "corrupt" in errors[0], out.stderr
    assert "Traceback" not in out.stderr
    assert "captures" in out.stdout  # and it still summarised the rest
