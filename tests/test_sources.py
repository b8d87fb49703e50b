"""Offline tests of the page objects on saved pages (tests/pages/, one JSON sidecar each)."""

import json
import random
import re
from pathlib import Path

import pytest

from crawler.sources import (GovArticle, GovList, Notice, Page, SourceType, ThePaperArticle,
                             WeChatArticle, article_links, classify, decode_html, list_pages,
                             outlinks, parse, parse_notice)
from crawler.sources.jsobject import parse_js_value

PAGES = Path(__file__).parent / "pages"
NEUTRAL = "http://127.0.0.1:8080/x"


def load(name: str, url: str | None = None) -> Page:
    """A saved page: name.html with name.json (url, status, headers). When the
    sidecar names a "body", name.html is the rendered DOM and that file the served body."""
    meta = json.loads((PAGES / (name + ".json")).read_text(encoding="utf-8"))
    html = (PAGES / (name + ".html")).read_bytes()
    if "body" in meta:
        body, rendered = (PAGES / meta["body"]).read_bytes(), html.decode("utf-8")
    else:
        body, rendered = html, None
    return Page(url=url or meta["url"], status=meta["status"], headers=meta["headers"],
                body=body, rendered=rendered)


EXPECTED = {
    "wechat_article": SourceType.WECHAT_ARTICLE,
    "wechat_article.rendered": SourceType.WECHAT_ARTICLE,
    "wechat_image_post": SourceType.WECHAT_IMAGE_POST,
    "wechat_deleted": SourceType.WECHAT_NOTICE,
    "wechat_violation_old": SourceType.WECHAT_NOTICE,
    "wechat_captcha": SourceType.WECHAT_CAPTCHA,
    "wechat_rate_limited": SourceType.WECHAT_CAPTCHA,
    "thepaper_article": SourceType.THEPAPER_ARTICLE,
    "gov_article_gbk": SourceType.GOV_ARTICLE,
    "gov_article_utf8": SourceType.GOV_ARTICLE,
    "gov_article_plain": SourceType.GOV_ARTICLE,
    "gov_article_zoom": SourceType.GOV_ARTICLE,
    "gov_list": SourceType.GOV_LIST,
    "gov_list.rendered": SourceType.GOV_LIST,
}


def test_every_saved_page_is_covered():
    assert {p.stem for p in PAGES.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_classify_by_markup(name):
    assert classify(load(name)) is EXPECTED[name]


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if n != "wechat_captcha"))
def test_classify_ignores_url(name):
    # A local mock or a mirror must classify like the real host.
    assert classify(load(name, url=NEUTRAL)) is EXPECTED[name]
    assert classify(load(name, url="https://www.thepaper.cn/newsDetail_forward_1")) is EXPECTED[name]


def test_captcha_markup_without_captcha_url():
    assert classify(load("wechat_captcha", url=NEUTRAL)) is SourceType.WECHAT_CAPTCHA


def test_captcha_url_alone_is_temporary():
    page = Page(url="https://mp.weixin.qq.com/mp/wappoc_appmsgcaptcha?poc_token=x", body=b"<html><body></body></html>")
    assert classify(page) is SourceType.WECHAT_CAPTCHA
    notice = parse_notice(page)
    assert notice.kind == "captcha" and notice.permanent is False


# --- WeChat classic ---------------------------------------------------------

def test_wechat_article_fields():
    a = parse(load("wechat_article"))
    assert isinstance(a, WeChatArticle)
    assert a.source_type is SourceType.WECHAT_ARTICLE
    assert a.title == "洛隆县公安局扎实推进DNA血样采集工作"
    assert a.publisher == "洛隆县公安局"
    assert a.account_id == "gh_1a2b3c4d5e6f"
    assert a.ip_wording == "西藏"
    # var ct = 1714442400 is 02:00 UTC, 10:00 in Beijing; the related articles'
    # ct/createTime (2020-09-13) must not be taken.
    assert a.published_at == "2024-04-30T10:00:00+08:00"
    assert a.published_at_source == "var ct"
    assert a.identity == {"biz": "MzI0NTY3ODkxMA==", "mid": "2247489012", "idx": "1",
                          "sn": "3f9c0a7b1e2d4c5f6a7b8c9d0e1f2a3b"}
    assert a.images == ["https://mmbiz.qpic.cn/mmbiz_jpg/AbCdEfGh123/640?wx_fmt=jpeg",
                        "https://mmbiz.qpic.cn/mmbiz_png/XyZ987/640?wx_fmt=png"]
    assert a.summary == "累计采集DNA血样17194份"


def test_wechat_body_keeps_nested_divs():
    a = parse(load("wechat_article"))
    lines = a.body_text.split("\n")
    assert lines[0].startswith("为进一步夯实公安基础工作")
    assert "截至目前，全县累计采集DNA血样17194份，采集率达98%。" in lines
    # the last paragraph sits three <div>s deep, after several </div>s
    assert lines[-1] == "下一步，洛隆县公安局将持续推进采集工作，确保应采尽采。"
    assert "本文结束后的内容" not in a.body_text
    assert "<strong>采集工作</strong>" in a.body_html


def test_wechat_createtime_when_no_ct():
    raw = load("wechat_article").body.decode("utf-8").replace('var ct = "1714442400";', "")
    a = parse(Page(url=NEUTRAL, body=raw.encode()))
    assert a.published_at == "2024-04-30T10:00:00+08:00"
    assert a.published_at_source == "var createTime"


def test_wechat_no_date_is_none():
    raw = load("wechat_article").body.decode("utf-8")
    raw = re.sub(r'var (ct|createTime|publish_time) = [^;]*;', "", raw)
    a = parse(Page(url=NEUTRAL, body=raw.encode()))
    assert a.published_at is None and a.published_at_source is None


def test_wechat_rendered_dom():
    page = load("wechat_article.rendered")
    a = parse(page)
    assert a.published_at == "2024-04-30T10:00:00+08:00"
    assert a.images[0] == "https://mmbiz.qpic.cn/mmbiz_jpg/AbCdEfGh123/640?wx_fmt=jpeg"
    assert a.identity["mid"] == "2247489012"


def test_wechat_rendered_without_scripts_reads_em_publish_time():
    # a mirror / saved DOM with scripts stripped: only what JS wrote remains
    page = load("wechat_article.rendered")
    dom = re.sub(r"<script\b.*?</script>", "", page.rendered, flags=re.S)
    a = parse(Page(url=NEUTRAL, body=dom.encode("utf-8")))
    assert a.source_type is SourceType.WECHAT_ARTICLE
    assert a.published_at == "2024-04-30T10:00:00+08:00"
    assert a.published_at_source == "em#publish_time"
    assert a.ip_wording == "西藏"
    assert a.title == "洛隆县公安局扎实推进DNA血样采集工作"
    assert a.account_id is None


def test_wechat_identity_from_long_link_query():
    raw = load("wechat_article").body.decode("utf-8")
    raw = re.sub(r"var (biz|sn|mid|idx|appmsgid|msg_link) = [^;]*;", "", raw)
    raw = raw.replace('<meta property="og:url"', '<meta property="og:nourl"')
    url = "https://mp.weixin.qq.com/s?__biz=QUJD&mid=11&idx=2&sn=ff#rd"
    a = parse(Page(url=url, body=raw.encode()))
    assert a.identity == {"biz": "QUJD", "mid": "11", "idx": "2", "sn": "ff"}


# --- WeChat image post --------------------------------------------------------

def test_wechat_image_post_fields():
    a = parse(load("wechat_image_post"))
    assert a.source_type is SourceType.WECHAT_IMAGE_POST
    assert a.title == "玉树州公安局虹膜采集工作推进情况"
    assert a.publisher == "玉树州公安局"
    assert a.published_at == "2024-05-06T09:12:00+08:00"
    assert a.published_at_source == "cgiDataNew.create_time"
    assert a.images == ["https://mmbiz.qpic.cn/sz_mmbiz_jpg/IrIs00%d/0?wx_fmt=jpeg" % i for i in (1, 2, 3)]
    assert a.body_text.split("\n") == [
        "近日，玉树州公安局组织民警深入称多县、治多县各乡镇开展虹膜信息采集工作。",
        "截至5月5日，全州累计采集虹膜信息104万余条，完成虹膜采集3.2万人。",
        "民警“进村入户”，采集虹膜、指纹、人像信息8000余条。",
    ]
    assert a.identity == {"biz": "MzU4OTAxMjM0NQ==", "mid": "2247501234", "idx": "1",
                          "sn": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"}
    assert a.account_id == "gh_0f9e8d7c6b5a"
    assert a.ip_wording == "青海"


def test_js_object_literal_reader():
    src = ("{a: 'x\\x0ay', \"b\": '12' * 1, c: JsDecode('&amp;'), d: [1, 2,], e: function(){ return {}; },"
           " f: '' || 'z', g: true, /* c */ h: null, i: 'it\\'s',} ; trailing.js()")
    value, _ = parse_js_value(src)
    assert value == {"a": "x\ny", "b": 12, "c": "&amp;", "d": [1, 2], "e": None, "f": "z",
                     "g": True, "h": None, "i": "it's"}


def test_image_post_with_broken_data_does_not_crash():
    raw = load("wechat_image_post").body.decode("utf-8")
    cut = raw[: raw.index("picture_page_info_list")] + "picture_page_info_list: [ { cdn_url: 'https://x/1.jpg' "
    a = parse(Page(url=NEUTRAL, body=cut.encode()))
    assert a is None or isinstance(a, (WeChatArticle,))


# --- notices ------------------------------------------------------------------

NOTICE_TEXTS = {
    "该内容已被发布者删除": "deleted",
    "此内容因违规无法查看": "violation",
    "此内容因违规已删除": "violation",
    "该内容被投诉且经审核涉嫌违规": "complaint",
    "根据作者隐私设置，无法查看该内容": "privacy",
    "此帐号已自主注销，内容无法查看": "account_closed",
    "该公众号已被封禁": "account_banned",
    "链接已过期": "expired",
}


@pytest.mark.parametrize("text,kind", sorted(NOTICE_TEXTS.items()))
@pytest.mark.parametrize("template", ["wechat_deleted", "wechat_violation_old"])
def test_notice_texts_are_permanent(template, text, kind):
    raw = load(template).body.decode("utf-8")
    raw = raw.replace("该内容已被发布者删除", text).replace("此内容因违规无法查看", text)
    page = Page(url=NEUTRAL, body=raw.encode("utf-8"))
    assert classify(page) is SourceType.WECHAT_NOTICE
    notice = parse(page)
    assert isinstance(notice, Notice)
    assert (notice.kind, notice.permanent, notice.message.split(" ")[0]) == (kind, True, text)


@pytest.mark.parametrize("name,kind", [("wechat_captcha", "captcha"), ("wechat_rate_limited", "rate_limited")])
def test_anti_crawling_is_temporary(name, kind):
    notice = parse(load(name))
    assert notice.source_type is SourceType.WECHAT_CAPTCHA
    assert notice.kind == kind and notice.permanent is False


def test_article_is_not_a_notice():
    assert parse_notice(load("gov_article_gbk")) is None


# --- The Paper ---------------------------------------------------------------

def test_thepaper_fields():
    a = parse(load("thepaper_article"))
    assert isinstance(a, ThePaperArticle)
    assert a.title == "城关分局深入推进DNA血样采集工作"
    assert a.publisher == "平安城关"
    assert a.published_at == "2024-05-10T15:30:00+08:00"
    assert a.published_at_source == "pubTime"
    assert a.identity == {"contId": "27412345"}
    assert a.summary == "累计采集DNA样本达11万份"
    assert "截至目前，累计采集DNA样本达11万份，较去年同期增长15%。" in a.body_text.split("\n")
    assert a.images == ["https://imagecloud.thepaper.cn/thepaper/image/287/123/456.jpg"]


def test_thepaper_publishtime_epoch_ms():
    raw = load("thepaper_article").body.decode("utf-8").replace('"pubTime":"2024-05-10 15:30",', "", 1)
    a = parse(Page(url=NEUTRAL, body=raw.encode()))
    assert a.published_at == "2024-05-10T15:30:00+08:00"
    assert a.published_at_source == "publishTime"


# --- gov ---------------------------------------------------------------------

def test_gov_gbk_declared_gb2312():
    page = load("gov_article_gbk")
    assert page.encoding == "gb18030"
    a = parse(page)
    assert isinstance(a, GovArticle)
    assert "局长朱镕主持会议，副局长王堃、李喆参加" in a.body_text
    assert "\ufffd" not in a.body_text
    assert a.title == "洛隆县公安局召开DNA数据库建设推进会"
    assert a.publisher == "洛隆县公安局"
    assert a.published_at == "2026-08-09T09:30:00+08:00"
    assert a.published_at_source == "meta PubDate"
    assert (a.column_name, a.site_name) == ("工作动态", "洛隆县人民政府")
    assert a.images == ["http://www.luolong.gov.cn/llxrmzf/gzdt/202608/W020260809123456789012.jpg"]
    assert a.identity == {"url": page.url}
    # nested divs inside TRS_Editor: all paragraphs, and nothing from the page around it
    assert a.body_text.split("\n")[-1] == "会议要求，各派出所要严格落实“应采尽采”要求，确保采集质量。"
    assert "打印本页" not in a.body_text


def test_gov_utf8_trs_editor_view_and_base_href():
    a = parse(load("gov_article_utf8"))
    assert a.published_at == "2026-04-30T10:00:00+08:00"
    assert a.publisher == "玉树州公安局"
    assert a.images == ["http://gat.qinghai.gov.cn/jwdt/202604/W020260430400001.png"]
    assert "全州累计采集虹膜信息104万余条" in a.body_text


def test_gov_visible_dates():
    a = parse(load("gov_article_plain"))
    # the labelled header date, not the 2021年3月1日 inside the body
    assert a.published_at == "2021-03-10T00:00:00+08:00"
    assert a.publisher == "称多县公安局"
    assert a.title == "称多县公安局开展采集血样工作"
    b = parse(load("gov_article_zoom"))
    assert b.published_at == "2021-03-10T00:00:00+08:00"
    assert b.body_text.startswith("会议要求")


def test_gov_list_pages_from_create_page_html():
    page = load("gov_list")
    assert list_pages(page) == ["http://www.luolong.gov.cn/llxrmzf/gzdt/index.html",
                                "http://www.luolong.gov.cn/llxrmzf/gzdt/index_1.html",
                                "http://www.luolong.gov.cn/llxrmzf/gzdt/index_2.html"]
    lst = parse(page)
    assert isinstance(lst, GovList) and len(lst.pages) == 3


def test_gov_list_rendered_and_anchor_only():
    page = load("gov_list.rendered")
    expected = ["http://www.luolong.gov.cn/llxrmzf/gzdt/index%s.html" % s for s in ("", "_1", "_2")]
    assert list_pages(page) == expected
    # the pager links alone (scripts stripped) give the same pages
    dom = re.sub(r"<script\b.*?</script>", "", page.rendered, flags=re.S)
    assert list_pages(Page(url=page.url, body=dom.encode())) == expected


def test_gov_list_article_links():
    links = article_links(load("gov_list"))
    assert links == [
        "http://www.luolong.gov.cn/llxrmzf/gzdt/202608/t20260809_123456.html",
        "http://www.luolong.gov.cn/llxrmzf/gzdt/202608/t20260801_123400.html",
        "http://www.luolong.gov.cn/llxrmzf/gzdt/202608/t20260725_123350.html",
        "http://www.luolong.gov.cn/llxrmzf/gzdt/202608/t20260718_123300.html",
        "http://www.luolong.gov.cn/xwzx/tpxw/202607/t20260710_123250.html",
    ]


@pytest.mark.parametrize("html,url,expected", [
    ('<script>var countPage = 4//共多少页</script>', "http://a.gov.cn/c/index.html",
     ["http://a.gov.cn/c/index.html"] + ["http://a.gov.cn/c/index_%d.html" % i for i in (1, 2, 3)]),
    ('<div class="page"><a href="column-index-2.shtml">下一页</a><a href="column-index-5.shtml">尾页</a></div>',
     "http://a.gov.cn/col/column-index-1.shtml",
     ["http://a.gov.cn/col/column-index-%d.shtml" % i for i in range(1, 6)]),
    ('<div><a href="?page=2&cat=7">下一页</a> <a href="list?page=3&cat=7">尾页</a></div>',
     "http://a.gov.cn/list?page=1&cat=7",
     ["http://a.gov.cn/list?page=%d&cat=7" % i for i in (1, 2, 3)]),
])
def test_pagination_variants(html, url, expected):
    page = Page(url=url, body=("<html><body>%s</body></html>" % html).encode())
    assert list_pages(page) == expected
    assert classify(page) is SourceType.GOV_LIST


# --- robustness, encoding, links -------------------------------------------

@pytest.mark.parametrize("seed", range(5))
def test_binary_junk_is_unknown(seed):
    junk = random.Random(seed).randbytes(50_000)
    for headers in ({}, {"Content-Type": "text/html; charset=gb2312"}, {"content-type": "text/html; charset=utf-8"}):
        page = Page(url=NEUTRAL, headers=headers, body=junk)
        assert classify(page) is SourceType.UNKNOWN
        assert parse(page) is None


def test_empty_and_plain_pages_are_unknown():
    assert classify(Page(url=NEUTRAL, body=b"")) is SourceType.UNKNOWN
    assert classify(Page(url=NEUTRAL, body=b"<html><body><p>hello</p></body></html>")) is SourceType.UNKNOWN
    assert classify(Page(url=NEUTRAL, body=b"<?xml version='1.0' encoding='gb2312'?><html>\x00</html>")) \
        is SourceType.UNKNOWN


def test_huge_page_classifies():
    raw = load("wechat_article").body
    big = raw.replace(b"</body>", b"<p>" + b"x" * 8_000_000 + b"</p></body>")
    assert classify(Page(url=NEUTRAL, body=big)) is SourceType.WECHAT_ARTICLE


def test_decode_html_order():
    gbk = "<p>朱镕基</p>".encode("gb18030")
    assert decode_html(gbk, {"Content-Type": "text/html; charset=GB2312"}) == ("<p>朱镕基</p>", "gb18030")
    assert decode_html(gbk, {"CONTENT-TYPE": "text/html; charset=gbk"})[1] == "gb18030"
    assert decode_html(b'<meta charset="gb2312">' + gbk, {})[0].endswith("朱镕基</p>")
    assert decode_html(gbk, {}) == ("<p>朱镕基</p>", "gb18030")  # not UTF-8, no declaration
    assert decode_html("<p>中</p>".encode(), {})[1] == "utf-8"
    assert decode_html(b"\xef\xbb\xbf<p>" + "中".encode(), {"Content-Type": "text/html; charset=gbk"}) == ("<p>中", "utf-8")
    assert decode_html(b"\xff\xfe<\x00p\x00", {})[0] == "<p"
    assert decode_html(b"\x80\x81\xff", {"Content-Type": "text/html; charset=utf-8"})[1] == "utf-8"


def test_scrapy_style_headers():
    gbk = "<html><head><title>镕</title></head></html>".encode("gb18030")
    page = Page(url=NEUTRAL, headers={b"Content-Type": [b"text/html; charset=gb2312"]}, body=gbk)
    assert page.text.endswith("<title>镕</title></head></html>")
    assert page.header("content-type") == "text/html; charset=gb2312"


def test_outlinks():
    html = ('<html><head><base href="/sub/"></head><body><a href="a.html">a</a><a href="a.html#x">a</a>'
            '<a href="javascript:void(0)">j</a><a href="mailto:x@y">m</a><a href="#top">t</a>'
            '<a href="https://mp.weixin.qq.com/s/abc">w</a><a href="/公安/新闻.html">c</a><a>none</a></body></html>')
    assert outlinks(html, "http://a.gov.cn/x/y.html") == [
        "http://a.gov.cn/sub/a.html", "https://mp.weixin.qq.com/s/abc",
        "http://a.gov.cn/%E5%85%AC%E5%AE%89/%E6%96%B0%E9%97%BB.html"]
