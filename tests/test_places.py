"""Places: which unit a publisher, and each figure of a post, is about."""

import re

import pytest

from mocksite.content import ALL_POSTS
from pipelines.gazetteer import gazetteer
from pipelines.places import find_places, publisher_place, statement_place

G = gazetteer()


def code(place):
    return place.code if place is not None else None


def at(sentence, figure, publisher=None, **kw):
    """statement_place for the figure `figure` (its first occurrence) in `sentence`."""
    pub = G.by_code(publisher) if isinstance(publisher, str) else publisher
    return code(statement_place(sentence, anchor=sentence.index(figure), publisher=pub, **kw))


# -- publisher_place ---------------------------------------------------------------

@pytest.mark.parametrize("publisher, expected", [
    ("洛隆公安", "540329"),
    ("当雄公安", "540122"),
    ("称多公安", "632723"),                 # a county of 玉树州, not 玉树市
    ("平安玉树", "632700"),
    ("平安日喀则", "540200"),
    ("西宁公安", "630100"),
    ("西宁市公安局", "630100"),
    ("玉树州公安局", "632700"),
    ("海南州公安局", "632500"),             # Qinghai's 海南藏族自治州
    ("海南州公安", "632500"),
    ("拉萨市公安局城关分局", "540102"),
    ("西宁市公安局城中分局", "630103"),
    ("林芝市公安局巴宜区分局", "540402"),
    ("那曲市公安局色尼区分局", "540602"),
    ("那曲县公安", "540602"),               # old name: 色尼区 since 2017
    ("拉萨市堆龙德庆县公安局", "540103"),
    ("日喀则市定日县公安局", "540223"),      # prefecture + county: the county
    ("玉树州称多县公安局", "632723"),
    ("西藏自治区公安厅交通警察总队", "540000"),
    ("海南省公安厅", None),                 # Hainan province: outside the area
    ("海南公安", None),                     # bare 海南 is never 海南州
    ("甘肃省兰州市公安局城关分局", None),
    ("城关公安", None),                     # ambiguous with nothing to place it
    ("公安微讯", None),
])
def test_publisher_place(publisher, expected):
    assert code(publisher_place(publisher)) == expected


def test_ambiguous_account_is_placed_by_title_or_text():
    assert code(publisher_place("城关公安", "拉萨市公安局城关分局召开血样采集工作部署会")) == "540102"
    assert code(publisher_place("城关公安", "城关分局圆满完成年度任务",
                                "今年以来，拉萨市公安局城关分局坚持把血样采集工作作为重要抓手")) == "540102"
    assert code(publisher_place("城关公安", "城关分局圆满完成年度任务", "各派出所密切配合")) is None
    assert code(publisher_place("城中公安", "西宁警方开展宣传")) == "630103"


def test_publisher_falls_back_to_title_then_text():
    assert code(publisher_place(None, "洛隆县公安局扎实推进DNA数据库建设工作")) == "540329"
    assert code(publisher_place("公安微讯", "当雄县公安局深入格达乡开展血样采集工作")) == "540122"
    text = "按照自治区公安厅和昌都市公安局的统一部署，洛隆县公安局高度重视DNA数据库建设工作。"
    assert code(publisher_place("公安微讯", "工作简报", text)) == "540329"
    assert publisher_place(None, "工作简报", "各派出所密切配合。") is None


# -- statement_place -----------------------------------------------------------------

def test_named_county_in_the_sentence():
    assert at("截至目前，洛隆县公安局累计采集DNA血样17194份，全部完成录入上传。", "17194") == "540329"


def test_township_means_its_county():
    s = "据统计，全县已采集血样1.7万余份，其中格达乡采集2100余份。"
    assert at(s, "2100", publisher="540122") == "540122"
    assert at(s, "2100") == "540122"                       # 格达乡 is in 当雄县, publisher or not
    assert at(s, "1.7万", publisher="540122") == "540122"   # 全县: the publisher's county
    assert at("羊八井镇共采集血样800份。", "800") == "540122"


@pytest.mark.parametrize("sentence, publisher, expected", [
    ("全县共采集血样近2万份", "540329", "540329"),
    ("对辖区男性共采集血样5000份", "540329", "540329"),
    ("我局累计采集血样5000份", "632723", "632723"),
    ("分局共采集男性血样2.35万份", "540102", "540102"),
    ("全区共采集DNA血样12306份", "540602", "540602"),    # a district bureau: the district
    ("全区累计采集血样30万份", "540000", "540000"),       # the region's own bureau: the region
    ("全区累计采集血样30万份", "540329", "540000"),       # a TAR county bureau: still the region
    ("全市累计采集DNA样本达11万份", "540200", "540200"),
    ("全市累计采集DNA样本达11万份", "540329", "540300"),  # from a county of 昌都市: 昌都市
    ("全市已采集虹膜1.2万人", "632701", "632701"),        # a county-level city: itself
    ("全州累计采集虹膜信息104万余条", "632700", "632700"),
    ("全州累计采集虹膜信息104万余条", "632723", "632700"),
    ("全地区累计采集血样5万份", "542523", "542500"),
])
def test_words_relative_to_the_publisher(sentence, publisher, expected):
    figure = re.search(r"\d", sentence).group()
    assert at(sentence, figure, publisher=publisher) == expected


@pytest.mark.parametrize("old, new", [
    ("那曲县", "540602"), ("昌都县", "540302"), ("林芝县", "540402"), ("堆龙德庆县", "540103"),
    ("达孜县", "540104"), ("湟中县", "630106"), ("乃东县", "540502"), ("平安县", "630203"),
    ("乐都县", "630202"), ("玉树县", "632701"), ("那曲地区", "540600"), ("昌都地区", "540300"),
    ("同仁市", "632301"), ("错那市", "540530"), ("米林市", "540422"),
])
def test_old_and_new_names(old, new):
    assert at(f"{old}共采集血样5000份", "5000") == new


def test_short_prefecture_names():
    for short, expected in [("玉树州", "632700"), ("海南州", "632500"), ("海西州", "632800"),
                            ("果洛州", "632600"), ("黄南州", "632300"), ("海北州", "632200"),
                            ("拉萨", "540100"), ("日喀则", "540200"), ("昌都", "540300"), ("林芝", "540400"),
                            ("山南", "540500"), ("那曲", "540600"), ("阿里", "542500"), ("阿里地区", "542500")]:
        assert at(f"{short}累计采集血样5000份", "5000") == expected, short


def test_prefecture_and_its_county_is_the_county():
    assert at("昌都市洛隆县累计采集血样17194份", "17194") == "540329"
    assert at("玉树州称多县已完成虹膜采集3.2万人", "3.2万") == "632723"


def test_figure_takes_the_nearest_place_before_it():
    s = "昌都市公安局统计，洛隆县累计采集血样17194份，边坝县采集9000份。"
    assert at(s, "17194", publisher="540300") == "540329"
    assert at(s, "9000", publisher="540300") == "540330"


def test_several_counties_together_are_their_prefecture():
    s = "会议指出，卡若区（原昌都县）、江达县、贡觉县等地前期已采集血样数千份，但与目标任务相比仍有差距。"
    assert at(s, "数千", publisher="540300") == "540300"
    assert at("洛隆县和边坝县共采集血样5000份", "5000") == "540300"
    assert at("昌都市、那曲市共采集血样5万份", "5万") == "540000"


def test_unknown_township_is_the_publishers_county():
    assert at("达龙乡共采集血样500份", "500", publisher="540329") == "540329"
    assert at("其中某某乡采集血样500份", "500", publisher="540300", context="洛隆县公安局深入各乡镇，") == "540329"


def test_bare_chengguan_is_resolved_from_the_publisher():
    s = "城关区累计采集血样2万份"
    assert at(s, "2万", publisher="540100") == "540102"
    assert at(s, "2万", publisher="540000") == "540102"
    assert at(s, "2万", publisher="630100") is None      # no 城关区 in Qinghai: not ours
    assert at(s, "2万") is None
    assert at(s, "2万", context="拉萨市公安局召开会议，") == "540102"


def test_bare_chengguan_town_is_the_publishers_county():
    assert at("城关镇采集血样500份", "500", publisher="540329") == "540329"
    assert at("城关镇采集血样500份", "500", publisher="540300") is None
    assert at("洛隆县城关镇采集血样500份", "500", publisher="540300") == "540329"


def test_hainan_is_never_hainan_province_nor_guessed():
    assert at("海南州共采集虹膜信息8000余条", "8000") == "632500"
    assert at("海南藏族自治州共采集虹膜信息8000余条", "8000") == "632500"
    assert at("海南共采集虹膜信息8000余条", "8000") is None
    assert at("海南共采集虹膜信息8000余条", "8000", publisher="632500") is None
    assert at("海南省共采集血样8000份", "8000", publisher="632500") is None


def test_places_outside_the_area_give_none():
    assert at("全国累计采集血样5000万份", "5000万", publisher="540329") is None
    assert at("兰州市城关区累计采集血样2万份", "2万", publisher="540329") is None


def test_none_when_nothing_names_a_place():
    assert at("共采集血样500份。", "500") is None
    assert at("共采集血样500份。", "500", context="各派出所密切配合，", title="工作简报") is None


def test_orders_from_above_are_not_the_subject():
    s = "按照昌都市公安局统一部署，累计采集血样5000份"
    assert at(s, "5000", publisher="540329") == "540329"


def test_context_then_title_then_publisher():
    s = "共采集血样500份。"
    assert at(s, "500", publisher="540300", context="洛隆县公安局民警深入孜托镇，") == "540329"
    assert at(s, "500", title="当雄县公安局深入格达乡开展血样采集工作") == "540122"
    assert at(s, "500", publisher="540329", title="工作简报") == "540329"
    # the sentence's own place wins over context and title
    assert at("边坝县共采集血样500份。", "500", publisher="540329",
              context="洛隆县公安局民警，", title="洛隆县公安局") == "540330"


def test_short_county_names_only_where_posts_use_them():
    assert at("确定日期后共采集血样500份", "500", publisher="540329") == "540329"   # not 定日县
    assert at("抵达日喀则后共采集血样500份", "500") == "540200"                       # not 达日县
    assert find_places("人民和谐稳定") == []                                          # not 民和县
    assert find_places("复杂多变") == []                                              # not 杂多县
    assert [p.code for _, _, p in find_places("定日警方")] == ["540223"]
    assert [p.code for _, _, p in find_places("平安洛隆")] == ["540329"]


# -- find_places -------------------------------------------------------------------

def test_find_places_spans():
    text = "拉萨市城关区和当雄县格达乡"
    found = [(s, e, p.code) for s, e, p in find_places(text)]
    assert found == [(0, 3, "540100"), (3, 6, "540102"), (7, 10, "540122"), (10, 13, "540122")]
    for s, e, p in find_places(text):
        assert text[s:e] in ("拉萨市", "城关区", "当雄县", "格达乡")


def test_find_places_skips_lookalikes():
    assert find_places("阿里巴巴和阿里云") == []
    assert find_places("兰州市城关区") == []
    assert find_places("海南岛") == []
    assert [p.code for _, _, p in find_places("阿里地区噶尔县狮泉河镇")] == ["542500", "542523", "542523"]


# -- the mock site's posts --------------------------------------------------------

def _sentences(paragraph):
    for m in re.finditer(r"[^。！？]+[。！？]?", paragraph):
        yield m.start(), m.group()


POSTS = [p for p in ALL_POSTS if p.truth.get("place")]


@pytest.mark.parametrize("post", POSTS, ids=[p.key for p in POSTS])
def test_mock_posts(post):
    truth = G.lookup(post.truth["place"])[0]
    text = "\n".join(post.paragraphs)
    publisher = publisher_place(post.publisher, post.title, text)
    figure = post.truth.get("figure")
    if not figure:      # no collection figure: the post's place is its publisher's
        assert code(publisher) == truth.code
        return
    hits = [(para, start, s) for para in post.paragraphs for start, s in _sentences(para) if figure in s]
    assert hits, f"{post.key}: figure {figure!r} not in the post"
    para, start, sentence = hits[0]
    place = statement_place(sentence, anchor=sentence.index(figure), publisher=publisher,
                            context=para[:start], title=post.title)
    assert code(place) == truth.code
