"""How change detection words a difference (pipelines.changes), on texts and facts made for it."""

from __future__ import annotations

from crawler.outcome import ALIVE, GONE, TEMPORARY, visit_outcome
from pipelines.changes import PageContent, _article_content, content_difference, facts_difference, text_difference
from crawler.sources.fields import Article, SourceType

TEXT = ("为进一步夯实公安基础工作，洛隆县公安局开展DNA血样采集工作。"
        "截至目前，洛隆县公安局累计采集DNA血样17194份，全部完成录入上传。"
        "下一步，将继续加大工作力度。")


def article(text=TEXT, title="洛隆县公安局扎实推进DNA数据库建设工作", images=("https://img/1.jpg",)):
    return _article_content(Article(source_type=SourceType.WECHAT_ARTICLE, url="https://mp/s/1", title=title,
                                    publisher="洛隆公安", published_at="2019-05-21T10:32:00+08:00",
                                    body_text=text, images=list(images)))


def test_an_edited_figure_is_named_in_facts_and_text():
    parts = content_difference(article(), article(TEXT.replace("17194", "17500")))
    assert parts[0] == "facts: DNA 洛隆县: 17194份 → 17500份"
    assert parts[1].startswith("text: 1 sentence changed (") and "17194份" in parts[1] and "17500份" in parts[1]


def test_the_same_article_has_no_difference():
    assert content_difference(article(), article()) == []


def test_a_sentence_added_is_text_not_facts():
    parts = content_difference(article(), article(TEXT + "各县（区）公安局要定期报送工作进展情况。"))
    assert parts == ["text: 1 sentence added (added “各县(区)公安局要定期报送工作进展情况。”)"]


def test_whitespace_and_full_width_forms_are_not_edits():
    assert text_difference(TEXT, TEXT.replace("，", ",").replace("。", "。\n  ")) is None


def test_a_swapped_photo_is_an_edit():
    parts = content_difference(article(), article(images=("https://img/2.jpg",)))
    assert parts == ["images: 1 added, 1 removed (added https://img/2.jpg)"]


def test_title_and_statements_added_or_removed():
    old, new = article(), article(TEXT + "同期采集虹膜信息3200余条。", title="新标题")
    parts = content_difference(old, new)
    assert parts[0].startswith("title: “洛隆县公安局") and parts[0].endswith("→ “新标题”")
    assert any(p.startswith("facts: added: iris") and "3200余条" in p for p in parts), parts
    assert facts_difference(new.facts, old.facts)[0].startswith("removed: iris")


def test_outcomes():
    assert visit_outcome(200, "wechat_article", None).kind == ALIVE
    assert visit_outcome(404, "unknown", None).kind == GONE
    assert visit_outcome(410, None, None).kind == GONE
    notice = visit_outcome(200, "wechat_notice", None, "该内容已被发布者删除")
    assert notice.kind == GONE and notice.reason == "该内容已被发布者删除"
    for status, source, error in ((200, "wechat_captcha", None), (403, "unknown", None), (429, None, None),
                                  (503, None, None), (None, None, "timeout"), (200, None, "redirect loop")):
        assert visit_outcome(status, source, error).kind == TEMPORARY, (status, source, error)


def test_page_content_defaults():
    assert PageContent(title=None, published_at=None, text="", facts=[]).images == ()
