"""The evidence store and the extraction path, on a small collection built here.

No crawl and no browser: saved pages (tests/pages) are written as WARC
response / revisit records with warcio and rendered-DOM records with our
writer, the way a crawl leaves them; ``reextract`` then runs the same code
as the crawl's item pipeline. The statement rules are a stand-in (a fixed,
tiny rule set) so these tests check the plumbing: provenance, text source,
revisits, versions, append-only storage.
"""

from __future__ import annotations

import io
import json
import os
import re
import sqlite3
from dataclasses import dataclass, field

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.capture.rendered import DOM_URN
from crawler.capture.writer import WarcWriter
from crawler.sources import Page, parse
from tests.provenance import check_row

PAGES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pages")


# -- the stand-in rules ---------------------------------------------------------------

@dataclass
class StandInStatement:
    biometric: str
    measure: str
    value_min: float | None
    value_max: float | None
    approximate: bool
    qualifier: str
    unit: str | None
    cumulative: bool
    subset_of: int | None
    period_start: str | None
    period_end: str | None
    place_code: str | None
    place_name: str | None
    figure: str
    quote: str
    quote_start: int
    quote_end: int
    biometrics: list = field(default_factory=list)
    subjects: list = field(default_factory=list)


_FIGURE = re.compile(r"(\d+(?:\.\d+)?)(万)?(余)?(份|条|人)")


def stand_in_statements(text, *, published_at, publisher, title=None):
    """Every sentence with 采集 and a figure: one statement (fixed, simple rules)."""
    out = []
    for m in re.finditer(r"[^。\n]+。?", text):
        sentence = m.group(0)
        if "采集" not in sentence:
            continue
        fig = _FIGURE.search(sentence)
        if not fig:
            continue
        value = float(fig.group(1)) * (10000 if fig.group(2) else 1)
        out.append(StandInStatement(
            biometric="iris" if "虹膜" in sentence else "dna", measure="count", value_min=value,
            value_max=None if fig.group(3) else value, approximate=bool(fig.group(3)),
            qualifier="at_least" if fig.group(3) else "exact", unit=fig.group(4),
            cumulative="累计" in sentence, subset_of=0 if out and "其中" in sentence else None,
            period_start=None, period_end=published_at[:10] if published_at else None,
            place_code=None, place_name=None, figure=fig.group(0), quote=sentence,
            quote_start=m.start(), quote_end=m.end()))
    return out


def stand_in_language(text):
    tibetan = len(re.findall(r"[\u0f00-\u0fff]", text))
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    return "bo" if tibetan > 2 * han else "zh+bo" if tibetan else "zh"


class StandInRules:
    EXTRACTOR_VERSION = "stand-in-1"
    extract_statements = staticmethod(stand_in_statements)


@pytest.fixture
def evidence(monkeypatch):
    import pipelines.evidence as evidence

    monkeypatch.setattr(evidence, "statement_rules", StandInRules)
    monkeypatch.setattr(evidence, "detect_language", stand_in_language)
    monkeypatch.setattr(evidence, "publisher_place", lambda publisher, title=None, text=None: None)
    return evidence


# -- a small collection ----------------------------------------------------------------

def saved(name):
    meta = json.load(open(os.path.join(PAGES, name + ".json"), encoding="utf-8"))
    return meta, open(os.path.join(PAGES, name + ".html"), "rb").read()


def image_post_dom(body: bytes, url: str) -> bytes:
    """What the browser leaves for an image post: its text rendered into #js_image_content."""
    fields = parse(Page(url=url, body=body))
    html = body.decode("utf-8")
    rendered = html.replace("</body>", f'<div class="wx_img_text">{fields.body_html}</div></body>')
    assert rendered != html
    return rendered.encode("utf-8")


class Collection:
    """Writes response/revisit records like warcprox and DOM records like the crawl."""

    def __init__(self, directory):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)
        self.traffic = os.path.join(self.dir, "bioarchive-20261121120000000-00000-testtraf.warc.gz")
        self._fh = open(self.traffic, "ab")
        self._warc = WARCWriter(self._fh, gzip=True, warc_version="1.1")
        self.rendered = WarcWriter(self.dir, "bioarchive", [("software", "tests")], name_suffix="-rendered")
        self.digests = {}

    def response(self, url, body, headers, date="2026-11-21T12:00:00Z"):
        http = StatusAndHeaders("200 OK", list(headers.items()), protocol="HTTP/1.1")
        record = self._warc.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http,
                                               warc_headers_dict={"WARC-Date": date})
        self._warc.write_record(record)
        self._fh.flush()
        self.digests[record.rec_headers.get_header("WARC-Record-ID")] = record.rec_headers.get_header(
            "WARC-Payload-Digest")
        return record.rec_headers.get_header("WARC-Record-ID")

    def revisit(self, url, original_id, headers, date="2026-11-21T12:30:00Z"):
        http = StatusAndHeaders("200 OK", list(headers.items()), protocol="HTTP/1.1")
        # Same payload, so the digest of the original (as warcprox's dedup does).
        record = self._warc.create_revisit_record(url, self.digests[original_id], url, "2026-11-21T12:00:00Z",
                                                  http_headers=http)
        record.rec_headers.replace_header("WARC-Date", date)
        record.rec_headers.add_header("WARC-Refers-To", original_id)
        self._warc.write_record(record)
        self._fh.flush()
        return record.rec_headers.get_header("WARC-Record-ID")

    def dom(self, url, response_id, html: bytes):
        return self.rendered.write_record("resource", DOM_URN + url, html, "text/html; charset=utf-8",
                                          concurrent_to=response_id, refers_to=response_id,
                                          refers_to_target_uri=url).record_id

    def close(self):
        self._fh.close()
        self.rendered.close()


@pytest.fixture
def collection(tmp_path):
    c = Collection(tmp_path / "collection")
    ids = {}
    meta, body = saved("gov_article_gbk")
    ids["gov"] = c.response(meta["url"], body, meta["headers"])
    ids["gov_revisit"] = c.revisit(meta["url"], ids["gov"], meta["headers"])
    meta, body = saved("wechat_image_post")
    ids["image"] = c.response(meta["url"], body, meta["headers"])
    ids["image_dom"] = c.dom(meta["url"], ids["image"], image_post_dom(body, meta["url"]))
    meta, body = saved("thepaper_article")  # no DOM: a crawl without the browser
    ids["thepaper"] = c.response(meta["url"], body, meta["headers"])
    meta, body = saved("gov_list")  # not an article: no evidence
    ids["list"] = c.response(meta["url"], body, meta["headers"])
    c.close()
    c.ids = ids
    return c


def run(archive_dir):
    from crawler.commands.reextract import reextract

    lines = []
    summary = reextract(archive_dir, warn=lines.append)
    return summary, lines


# -- extraction and provenance -------------------------------------------------------------

def test_every_row_names_the_record_its_quote_is_in(evidence, collection):
    from pipelines.store import EvidenceStore

    summary, lines = run(collection.dir)
    assert not summary.errors, summary.errors
    assert summary.captures == 4  # gov, its revisit, image post, The Paper; not the list
    with EvidenceStore(collection.dir) as store:
        rows = store.rows()
    assert rows
    for row in rows:
        check_row(collection.dir, row)
        assert row["quote"] == row["quote"].strip() and row["quote_end"] > row["quote_start"]


def test_text_source_response_for_served_text_dom_for_javascript_text(evidence, collection):
    from pipelines.store import EvidenceStore

    run(collection.dir)
    with EvidenceStore(collection.dir) as store:
        caps = {c["capture_record_id"]: c for c in store.captures()}
    ids = collection.ids
    gov = caps[ids["gov"]]
    assert gov["text_source"] == "response" and gov["warc_record_id"] == ids["gov"]
    assert "朱镕" in gov["body_text"] and "李喆" in gov["body_text"]  # GBK-only names decoded (gb18030)
    assert gov["published_at"] == "2026-08-09T09:30:00+08:00"
    image = caps[ids["image"]]
    assert image["text_source"] == "rendered-dom" and image["warc_record_id"] == ids["image_dom"]
    assert image["warc_filename"].endswith("-rendered.warc.gz")
    assert image["published_at"] == "2024-05-06T09:12:00+08:00"
    paper = caps[ids["thepaper"]]
    assert paper["text_source"] == "response" and paper["warc_record_id"] == ids["thepaper"]
    assert ids["list"] not in caps


def test_a_revisit_reads_the_original_response_and_keeps_its_own_capture(evidence, collection):
    from pipelines.store import EvidenceStore

    run(collection.dir)
    with EvidenceStore(collection.dir) as store:
        caps = {c["capture_record_id"]: c for c in store.captures()}
        rows = [r for r in store.rows() if r["capture_record_id"] == collection.ids["gov_revisit"]]
    revisit = caps[collection.ids["gov_revisit"]]
    assert revisit["capture_record_type"] == "revisit"
    assert revisit["captured_at"] == "2026-11-21T12:30:00Z"
    assert revisit["warc_record_id"] == collection.ids["gov"]  # the text is in the original
    assert revisit["body_text"] == caps[collection.ids["gov"]]["body_text"]
    assert rows and all(r["warc_record_id"] == collection.ids["gov"] for r in rows)
    assert {r["captured_at"] for r in rows} == {"2026-11-21T12:30:00Z"}


def test_quote_offsets_refer_to_the_stored_body_text(evidence, collection):
    from pipelines.store import EvidenceStore

    run(collection.dir)
    with EvidenceStore(collection.dir) as store:
        bodies = {c["capture_record_id"]: c["body_text"] for c in store.captures()}
        rows = store.rows()
    for row in rows:
        assert bodies[row["capture_record_id"]][row["quote_start"]:row["quote_end"]] == row["quote"]


# -- re-extraction ------------------------------------------------------------------------

def test_reextract_twice_adds_nothing_the_second_time(evidence, collection):
    first, _ = run(collection.dir)
    second, _ = run(collection.dir)
    assert first.new_rows > 4
    assert second.new_rows == 0 and second.skipped == first.captures


def test_a_newer_extractor_adds_rows_and_keeps_the_old_ones(evidence, collection, monkeypatch):
    from pipelines.store import EvidenceStore

    run(collection.dir)
    with EvidenceStore(collection.dir) as store:
        old = store.rows()

    class Newer(StandInRules):
        EXTRACTOR_VERSION = "stand-in-2"

        @staticmethod
        def extract_statements(text, **kw):
            return stand_in_statements(text, **kw)[:1]  # the new rules find less

    monkeypatch.setattr(evidence, "statement_rules", Newer)
    summary, _ = run(collection.dir)
    assert summary.new_rows > 0
    with EvidenceStore(collection.dir) as store:
        newest = store.rows()
        every = store.rows(all_versions=True)
    assert {r["extractor_version"] for r in old} == {"stand-in-1"}
    assert {r["extractor_version"] for r in newest} == {"stand-in-2"}
    assert len(newest) < len(old)
    kept = {r["statement_id"]: r for r in every}
    for row in old:
        assert kept[row["statement_id"]] == row  # unchanged, still there


CORRUPTIONS = {
    "cut in half, garbage after": lambda data: data[: len(data) // 2] + b"\x00garbage" * 50,
    "last gzip trailer cut": lambda data: data[:-3],  # every record still reads whole
    "last member cut short": lambda data: data[:-40],
    "not a WARC at all": lambda data: b"not a warc at all\n" * 10,
}


@pytest.mark.parametrize("corrupt", list(CORRUPTIONS))
def test_a_corrupt_warc_is_one_line_naming_it_and_the_others_are_read(evidence, collection, corrupt):
    bad = os.path.join(collection.dir, "bioarchive-20261121130000000-00001-broken00.warc.gz")
    with open(collection.traffic, "rb") as good, open(bad, "wb") as out:
        out.write(CORRUPTIONS[corrupt](good.read()))
    summary, lines = run(collection.dir)
    errors = [line for line in lines if "broken00" in line]
    assert len(errors) == 1 and "\n" not in errors[0] and "corrupt" in errors[0], lines
    assert summary.errors == errors
    assert summary.captures >= 4  # the good file's captures were still extracted


def test_open_files_are_skipped_with_a_warning(evidence, collection):
    with open(os.path.join(collection.dir, "bioarchive-20261121140000000-00002-inflight.warc.gz.open"), "wb") as f:
        f.write(b"WARC/1.1\r\n")
    summary, lines = run(collection.dir)
    assert any("inflight" in line and ".open" in line for line in lines)
    assert not summary.errors


# -- the store itself -----------------------------------------------------------------------

def _capture(record_id="<urn:uuid:1>", version="v1", url="https://example.org/a"):
    return {
        "capture_record_id": record_id, "capture_record_type": "response", "url": url,
        "captured_at": "2026-11-21T12:00:00Z", "warc_filename": "a.warc.gz", "warc_offset": 0,
        "warc_record_id": record_id, "payload_digest": "sha256:X", "text_source": "response",
        "source_type": "gov_article", "title": "t", "publisher": "p", "published_at": None,
        "published_at_source": None, "language": "zh", "publisher_place_code": None,
        "publisher_place_name": None, "body_text": "全县采集血样100份。其中学生20份。", "extractor_version": version,
    }


def test_subset_of_names_the_parent_statement_and_rows_are_append_only(tmp_path):
    from pipelines.store import EVIDENCE_COLUMNS, CaptureEvidence, EvidenceStore

    text = "全县采集血样100份。其中学生20份。"
    found = stand_in_statements(text, published_at=None, publisher=None)
    assert len(found) == 1  # the stand-in needs 采集 in the sentence: add the second by hand
    child = StandInStatement(**{**found[0].__dict__, "quote": "其中学生20份。", "quote_start": 10,
                                "quote_end": 18, "value_min": 20.0, "value_max": 20.0, "subset_of": 0,
                                "figure": "20份"})
    with EvidenceStore(str(tmp_path)) as store:
        assert store.add(CaptureEvidence(_capture(), [found[0], child])) == 3
        assert store.add(CaptureEvidence(_capture(), [found[0], child])) == 0  # same capture, same version
        rows = store.rows()
        assert [list(r) for r in rows] == [EVIDENCE_COLUMNS] * 2
        assert rows[1]["subset_of"] == rows[0]["statement_id"] and rows[0]["subset_of"] is None
        assert rows[0]["biometrics"] == ["dna"] and rows[0]["approximate"] is False
    db = sqlite3.connect(os.path.join(str(tmp_path), "state", "evidence.sqlite"))
    for sql in ("DELETE FROM statements", "UPDATE statements SET quote = 'x'",
                "DELETE FROM captures", "UPDATE captures SET title = 'x'"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute(sql)
    db.close()


def test_rows_default_to_the_newest_extraction_of_each_capture(tmp_path):
    from pipelines.store import CaptureEvidence, EvidenceStore

    text = "全县采集血样100份。"
    one = stand_in_statements(text, published_at=None, publisher=None)
    with EvidenceStore(str(tmp_path)) as store:
        store.add(CaptureEvidence(_capture("<urn:uuid:1>", "v1"), one))
        store.add(CaptureEvidence(_capture("<urn:uuid:1>", "v2"), []))  # v2 finds nothing here
        store.add(CaptureEvidence(_capture("<urn:uuid:2>", "v1", url="https://example.org/b"), one))
        assert [r["capture_record_id"] for r in store.rows()] == ["<urn:uuid:2>"]
        assert len(store.rows(all_versions=True)) == 2
        assert len(store.rows(urls=["https://example.org/b"])) == 1
        assert store.rows(since="2026-11-22") == [] and len(store.rows(until="2026-11-21")) == 1
        assert len(store.captures()) == 2 and len(store.captures(all_versions=True)) == 3


def test_the_pipeline_is_switched_by_evidence_enabled(tmp_path):
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from pipelines.evidence import EvidencePipeline

    with pytest.raises(NotConfigured):
        EvidencePipeline.from_crawler(get_crawler(settings_dict={"EVIDENCE_ENABLED": False}))
    on = EvidencePipeline.from_crawler(get_crawler(settings_dict={"ARCHIVE_DIR": str(tmp_path)}))
    assert on.archive_dir == str(tmp_path)


def test_the_item_pipeline_stores_what_reextract_would(evidence, collection, tmp_path):
    """The crawl's path (record index + item) and re-extraction's give the same rows;
    a revisit without WARC-Refers-To is matched to its response by payload digest."""
    import dataclasses

    from crawler.capture.records import RecordIndex, index_path
    from crawler.commands.reextract import scan, warc_paths
    from crawler.items import PageCapture
    from pipelines.evidence import EvidencePipeline
    from pipelines.store import EvidenceStore

    found = scan(warc_paths(collection.dir))
    index = RecordIndex(index_path(collection.dir))
    for ref in [*found.captures, *found.doms.values()]:
        index.add(dataclasses.replace(ref, refers_to=None) if ref.warc_type == "revisit" else ref)
    index.close()
    pipeline = EvidencePipeline(collection.dir)
    pipeline.open_spider()
    # What the spider would have classified each page as.
    kinds = {collection.ids["list"]: "gov_list", collection.ids["image"]: "wechat_image_post",
             collection.ids["thepaper"]: "thepaper_article"}
    for ref in found.captures:
        dom = found.doms.get(ref.record_id)
        item = PageCapture(url=ref.target_uri, seed=ref.target_uri, depth=0, final_url=ref.target_uri,
                           status=200, source_type=kinds.get(ref.record_id, "gov_article"),
                           response_record_id=ref.record_id, dom_record_id=dom.record_id if dom else None)
        assert pipeline.count(pipeline.extract_and_store(item), item) is item
    pipeline.close_spider()
    with EvidenceStore(collection.dir) as store:
        from_pipeline = store.captures()
    assert {c["capture_record_id"] for c in from_pipeline} == {
        collection.ids[k] for k in ("gov", "gov_revisit", "image", "thepaper")}
    revisit = next(c for c in from_pipeline if c["capture_record_id"] == collection.ids["gov_revisit"])
    assert revisit["warc_record_id"] == collection.ids["gov"]
    summary, _ = run(collection.dir)
    assert summary.new_rows == 0 and summary.skipped == 4  # re-extraction finds it all done
