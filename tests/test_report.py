"""The researchers' report: self-contained HTML, every figure tied to its record, page text escaped."""

from html.parser import HTMLParser

from pipelines.estimate import estimate, timeline
from pipelines.gazetteer import gazetteer
from pipelines.report import render
from tests.test_estimate import row

G = gazetteer()
HOSTILE = '<script>alert(1)</script>"\'><img src=x onerror=alert(2)>'


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.ids, self.hrefs, self.text = [], set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if "href" in attrs:
            self.hrefs.append(attrs["href"])

    def handle_data(self, data):
        self.text.append(data)


def parse(page):
    t = Tags()
    t.feed(page)
    t.close()
    return t


def sample_rows():
    return [
        row(17194, place="540329", cumulative=True, end="2019-05-21", figure="17194份",
            quote="截至目前，洛隆县公安局累计采集DNA血样17194份，全部完成录入上传。",
            url="https://mp.weixin.qq.com/s/luolong"),
        row(3000, None, place="540321", end="2018-04-25", url="https://xizang.example.gov.cn/a/1021846.html"),
        row(110000, place="540200", cumulative=True, end="2020-12-20"),
        row(1040000, None, place="632700", biometric="iris", unit="条", cumulative=True, end="2021-07-18"),
        row(0.95, measure="rate", unit=None, place="540102", end="2022-06-15"),
        row(500, place=None, quote=HOSTILE, title=HOSTILE, publisher=HOSTILE, url="javascript:alert(3)"),
        row(800, place="540122", end="2017-08-14", quote="格达乡采集" + HOSTILE, figure=HOSTILE,
            url='https://mp.weixin.qq.com/s/x?a=1&b="><script>alert(4)</script>',
            warc_record_id="<urn:uuid:1234>"),
    ]


def test_self_contained():
    page = render(sample_rows(), G, collection="/tmp/c", generated_at="2026-11-21T00:00:00Z")
    t = parse(page)
    tags = {tag for tag, _ in t.tags}
    assert "script" not in tags and "link" not in tags and "iframe" not in tags and "img" not in tags
    assert "@import" not in page and "url(" not in page
    for tag, attrs in t.tags:
        assert "src" not in attrs, tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page


def test_page_text_is_escaped():
    page = render(sample_rows(), G, generated_at="2026-11-21T00:00:00Z")
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    t = parse(page)
    assert not [h for h in t.hrefs if h.lower().startswith("javascript")]
    assert "javascript:alert(3)" in page          # shown as text, not a link
    # the quoted URL stays one attribute value
    assert 'https://mp.weixin.qq.com/s/x?a=1&b="><script>alert(4)</script>' in t.hrefs
    assert HOSTILE in "".join(t.text)             # the reader sees the page's text as it was
    assert "&lt;urn:uuid:1234&gt;" in page


def test_every_figure_is_tied_to_its_record():
    rows = sample_rows()
    page = render(rows, G, generated_at="2026-11-21T00:00:00Z")
    t = parse(page)
    places = estimate(rows, G)
    table_rows = [attrs for tag, attrs in t.tags if tag == "tr" and attrs.get("id", "").startswith("place-")]
    assert len(table_rows) == len(places)
    for r in places:
        for src in r["sources"]:
            assert src["url"] in t.hrefs
            assert f'{src["warc_filename"]}#{src["warc_offset"]}' in page
            assert src["warc_record_id"].replace("<", "&lt;").replace(">", "&gt;") in page
            assert f"captured {src['captured_at']}" in page
    text = " ".join(t.text)
    assert "17,194" in text and "32.3%" in text and "53,185" in text
    assert "≥ 20,194" in text and "sum of counties" in text       # 昌都市 from its counties
    assert "95%" in text                                          # the rate, in its own table
    assert "Lei Dong" in text


def test_chart_per_biometric_with_points_linked_to_the_table():
    rows = sample_rows()
    page = render(rows, G, generated_at="2026-11-21T00:00:00Z")
    t = parse(page)
    assert sum(1 for tag, _ in t.tags if tag == "svg") == 2          # DNA and iris
    series = timeline(rows, G)
    circles = [attrs for tag, attrs in t.tags if tag == "circle"]
    assert len(circles) == sum(len(p) for p in series.values())
    chart_links = [h for h in t.hrefs if h.startswith("#place-")]
    assert chart_links and all(h[1:] in t.ids for h in chart_links)
    assert "昌都市" in page and "玉树藏族自治州" in page


def test_empty_collection():
    page = render([], G, generated_at="2026-11-21T00:00:00Z")
    assert "No placed collection figures yet" in page and "<svg" not in page
