"""The place estimate: handmade evidence rows in, per-place totals out."""

import itertools

import pytest

from mocksite.content import post
from pipelines.estimate import estimate, rates, timeline, unplaced
from pipelines.gazetteer import gazetteer
from pipelines.store import EVIDENCE_COLUMNS

G = gazetteer()
_ids = itertools.count(1)


def row(value_min, value_max="same", *, place="540329", biometric="dna", cumulative=False, start=None,
        end=None, published="2021-06-01T10:00:00+08:00", quote=None, unit="份", qualifier=None,
        measure="count", subset_of=None, url=None, captured="2026-11-21T10:00:00Z", **kw):
    """One evidence row with every EVIDENCE_COLUMNS key."""
    n = next(_ids)
    value_max = value_min if value_max == "same" else value_max
    r = dict.fromkeys(EVIDENCE_COLUMNS)
    place_ = G.by_code(place) if place else None
    r.update(
        statement_id=n, url=url or f"https://mp.weixin.qq.com/s/post{n}", captured_at=captured,
        warc_filename=f"bioarchive-{n:05d}.warc.gz", warc_offset=1000 + n, warc_record_id=f"<urn:uuid:{n:08d}>",
        text_source="response", source_type="wechat_article", title="标题", publisher="洛隆公安",
        published_at=published, language="zh", biometric=biometric, biometrics=[biometric], measure=measure,
        value_min=value_min, value_max=value_max, approximate=qualifier not in (None, "exact"),
        qualifier=qualifier or ("exact" if value_min == value_max else "at_least"), unit=unit,
        cumulative=cumulative, subset_of=subset_of, period_start=start, period_end=end,
        place_code=place_.code if place_ else None, place_name=place_.name if place_ else None, subjects=[],
        figure=f"{value_min}{unit or ''}", quote=quote or f"statement {n} 采集血样{value_min}份。",
        quote_start=0, quote_end=10, extractor_version="1", capture_record_id=f"<urn:uuid:c{n:07d}>",
    )
    r.update(kw)
    return r


def only(rows, code, biometric="dna"):
    found = [r for r in estimate(rows, G) if r["place_code"] == code and r["biometric"] == biometric]
    assert len(found) == 1, found
    return found[0]


def test_luolong_dna_share_of_residents():
    """The documented figure: 洛隆县 DNA 17,194 of 53,185 residents = 32.3%."""
    p = post("luolong_dna")
    quote = "截至目前，洛隆县公安局累计采集DNA血样17194份，全部完成录入上传。"
    assert quote in p.paragraphs[2]
    r = only([row(17194.0, 17194.0, cumulative=True, end="2019-05-21", published="2019-05-21T10:32:00+08:00",
                  quote=quote, figure="17194份", publisher=p.publisher, title=p.title)], "540329")
    assert (r["place_name"], r["population"], r["total_min"], r["total_max"]) == ("洛隆县", 53185, 17194, 17194)
    assert f"{r['share_min']:.1%}" == "32.3%" and r["share_max"] == r["share_min"]
    assert r["as_of"] == "2019-05-21" and r["rule"] == "cumulative"
    src = r["sources"][0]
    assert src["quote"] == quote and src["value_min"] == 17194
    for key in ("url", "captured_at", "warc_filename", "warc_offset", "warc_record_id"):
        assert src[key]


def test_duplicates_across_captures_and_versions_count_once():
    a = row(3000, start="2021-01-01", end="2021-03-31", quote="共采集血样3000份。")
    b = dict(a, statement_id=999, captured_at="2026-12-01T00:00:00Z", warc_filename="later.warc.gz",
             extractor_version="2")
    c = dict(a, statement_id=1000, url="https://www.thepaper.cn/newsDetail_forward_1", period_end="2021-04-30")
    r = only([b, a, c], "540329")
    assert r["total_min"] == 3000
    assert len(r["sources"]) == 1
    assert r["sources"][0]["warc_filename"] == a["warc_filename"]          # the earliest capture
    assert {o["warc_filename"] for o in r["sources"][0]["other_captures"]} == {"later.warc.gz", a["warc_filename"]}


def test_parts_of_a_figure_are_never_added():
    total = row(23500, cumulative=True, end="2022-06-15", place="540102")
    part = row(6000, None, end="2022-06-15", place="540102", subset_of=total["statement_id"], unit="名")
    r = only([total, part], "540102")
    assert r["total_min"] == 23500 and len(r["sources"]) == 1


def test_rates_are_not_counts():
    count = row(23500, cumulative=True, end="2022-06-15", place="540102")
    rate = row(0.95, measure="rate", unit=None, end="2022-06-15", place="540102")
    r = only([count, rate], "540102")
    assert r["total_min"] == 23500
    listed = rates([count, rate], G)
    assert [(x["place_code"], x["rate_min"]) for x in listed] == [("540102", 0.95)]


def test_cumulative_plus_counts_after_it():
    rows = [
        row(10000, cumulative=True, end="2019-06-30"),
        row(3000, start="2019-07-01", end="2019-12-31"),
        row(2000, start="2019-05-01", end="2019-08-31"),    # overlaps the cumulative date: not added
    ]
    r = only(rows, "540329")
    assert (r["total_min"], r["total_max"], r["rule"], r["as_of"]) == (13000, 13000, "cumulative + later counts", "2019-12-31")
    assert len(r["sources"]) == 2


def test_counts_over_non_overlapping_periods_are_summed():
    rows = [
        row(1000, start="2021-01-01", end="2021-03-31"),
        row(2000, start="2021-04-01", end="2021-06-30"),
        row(2500, start="2021-02-01", end="2021-05-31"),    # overlaps both
    ]
    r = only(rows, "540329")
    assert (r["total_min"], r["rule"], r["as_of"]) == (3000, "sum of counts", "2021-06-30")
    rows.append(row(3500, start="2021-02-01", end="2021-05-31"))
    assert only(rows, "540329")["total_min"] == 3500


def test_count_without_a_start_stands_alone():
    rows = [row(5000, end="2021-06-01"), row(1000, start="2021-01-01", end="2021-03-31"),
            row(2000, start="2021-04-01", end="2021-05-31")]
    r = only(rows, "540329")
    assert (r["total_min"], r["rule"]) == (5000, "count")
    rows[0] = row(2500, end="2021-06-01")
    assert only(rows, "540329")["total_min"] == 3000


def test_larger_of_cumulative_and_sum():
    rows = [row(2000, cumulative=True, end="2021-03-31"),
            row(1500, start="2021-01-01", end="2021-02-28"), row(1500, start="2021-03-01", end="2021-03-31")]
    r = only(rows, "540329")
    assert (r["total_min"], r["rule"]) == (3000, "sum of counts")


def test_a_later_smaller_cumulative_does_not_lower_the_total():
    rows = [row(20000, cumulative=True, end="2019-06-30"), row(15000, cumulative=True, end="2020-06-30")]
    r = only(rows, "540329")
    assert (r["total_min"], r["as_of"]) == (20000, "2019-06-30")


def test_open_ended_vague_and_at_most():
    r = only([row(17000, None, place="540122", cumulative=True, end="2017-08-14", qualifier="at_least")], "540122")
    assert (r["total_min"], r["total_max"], r["share_max"]) == (17000, None, None)
    assert "open-ended" in r["flags"]
    r = only([row(1000, 9999, place="540300", qualifier="vague", end="2022-01-12")], "540300")
    assert (r["total_min"], r["total_max"]) == (1000, 9999) and "vague" in r["flags"]
    r = only([row(None, 20000, place="540602", cumulative=True, end="2016-11-03", qualifier="at_most")], "540602")
    assert (r["total_min"], r["total_max"], r["share_min"], r["rule"]) == (None, 20000, None, "cumulative")
    assert "at-most" in r["flags"]
    assert r["share_max"] == pytest.approx(20000 / 104490)


def test_at_most_gives_way_to_a_lower_bound():
    rows = [row(None, 20000, place="540602", cumulative=True, end="2016-11-03", qualifier="at_most"),
            row(12306, place="540602", cumulative=True, end="2020-09-30")]
    r = only(rows, "540602")
    assert (r["total_min"], r["total_max"], r["as_of"]) == (12306, 12306, "2020-09-30")


def test_person_visits_are_flagged():
    r = only([row(500, None, place="540127", unit="人次", end="2016-12-08")], "540127")
    assert r["total_min"] == 500 and "person-visits" in r["flags"]


def test_several_biometrics_stay_together():
    r = only([row(8000, None, place="632500", biometric="multiple", biometrics=["iris", "fingerprint", "face"],
                  end="2024-04-12")], "632500", "iris+fingerprint+face")
    assert "several-biometrics" in r["flags"]


def test_more_records_than_residents_is_flagged():
    r = only([row(1040000, None, place="632700", biometric="iris", unit="条", cumulative=True, end="2021-07-18")],
             "632700", "iris")
    assert r["share_min"] > 1 and "exceeds-population" in r["flags"]


def test_prefecture_from_its_counties_when_larger():
    rows = [row(17194, place="540329", cumulative=True, end="2019-05-21"),
            row(3000, None, place="540321", end="2018-04-25"),
            row(1000, 9999, place="540300", qualifier="vague", end="2022-01-12")]
    r = only(rows, "540300")
    assert (r["total_min"], r["total_max"], r["rule"], r["as_of"]) == (20194, None, "sum of counties", "2019-05-21")
    assert "2 of 11 counties" in r["notes"]
    assert {s["place_code"] for s in r["sources"]} == {"540329", "540321"}
    assert r["share_min"] == pytest.approx(20194 / 760966)
    # the province adds up its prefectures the same way
    tar = only(rows, "540000")
    assert (tar["total_min"], tar["rule"]) == (20194, "sum of prefectures")


def test_prefecture_keeps_its_own_figure_when_larger():
    rows = [row(110000, place="540200", cumulative=True, end="2020-12-20"),
            row(20000, 30000, place="540223", qualifier="range", end="2019-12-19")]
    r = only(rows, "540200")
    assert (r["total_min"], r["rule"]) == (110000, "cumulative")
    assert "add up to 20,000" in r["notes"]
    county = only(rows, "540223")
    assert (county["total_min"], county["total_max"]) == (20000, 30000)


def test_prefecture_row_from_counties_alone():
    r = only([row(3000, None, place="540402", end="2021-08-17")], "540400")
    assert (r["total_min"], r["rule"], r["notes"]) == (3000, "sum of counties", "1 of 7 counties reported")


def test_unplaced_and_unknown_places_are_left_out():
    rows = [row(5000, place=None), row(4000, place_code="999999"), row(500, place="540329")]
    out = estimate(rows, G)
    assert {r["place_code"] for r in out} == {"540329", "540300", "540000"}
    assert [r["value_min"] for r in unplaced(rows)] == [5000]


def test_biometrics_are_kept_apart():
    rows = [row(17194, cumulative=True, end="2019-05-21"), row(900, biometric="iris", end="2019-05-21")]
    assert only(rows, "540329", "dna")["total_min"] == 17194
    assert only(rows, "540329", "iris")["total_min"] == 900


def test_timeline_never_decreases():
    rows = [row(3000, None, place="540321", end="2018-04-25"),
            row(17194, place="540329", cumulative=True, end="2019-05-21"),
            row(15000, place="540329", cumulative=True, end="2020-05-21"),
            row(1000, 9999, place="540300", qualifier="vague", end="2022-01-12")]
    series = timeline(rows, G)
    assert series[("540300", "dna")] == [("2018-04-25", 3000), ("2019-05-21", 20194)]
    assert ("540329", "dna") not in series                    # counties are not in a prefecture timeline
    assert timeline(rows, G, level="county")[("540329", "dna")] == [("2019-05-21", 17194)]


def test_string_values_from_csv_are_read():
    r = only([row("17194", "17194", cumulative="1", end="2019-05-21")], "540329")
    assert (r["total_min"], r["rule"]) == (17194, "cumulative")
