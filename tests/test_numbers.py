"""Figures as the posts write them (docs/targets.md, "How counts are phrased")."""

import pytest

from pipelines.numbers import Quantity, find_quantities, normalise, parse_number

# text -> value
PARSE = [
    ("17194", 17194), ("17,194", 17194), ("１７，１９４", 17194), ("１７１９４", 17194),
    ("1.7万", 17000), ("1.7万余", 17000), ("1.7余万", 17000), ("104万余", 1040000),
    ("3.2万", 32000), ("2.35万", 23500), ("1.15万", 11500), ("0.07万", 700),
    ("一万七千一百九十四", 17194), ("一万二千三百零六", 12306), ("两万", 20000),
    ("近两万", 20000), ("1万2千", 12000), ("12万5千", 125000), ("一万七", 17000),
    ("两千五", 2500), ("十万零三百", 100300), ("一百零四万", 1040000), ("十余万", 100000),
    ("3000多", 3000), ("万余", 10000), ("上万", 10000), ("逾万", 10000), ("约8000", 8000),
    ("8000左右", 8000), ("一点五万", 15000), ("壹万", 10000), ("1,000万", 10000000),
    ("一亿二千万", 120000000), ("17,194份", 17194), ("10万+", 100000), ("不少于3000", 3000),
    ("95%", 0.95), ("９５％", 0.95), ("95.6%", 0.956), ("百分之九十八", 0.98),
    ("百分之九十八点五", 0.985), ("百分之百", 1.0), ("八成", 0.8), ("三分之一", 1 / 3),
]


@pytest.mark.parametrize("text,value", PARSE)
def test_parse_number(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "数千", "2至3万", "采集", "abc", None, "万", "第一"])
def test_parse_number_refuses_what_is_not_one_number(text):
    assert parse_number(text) is None


def test_normalise_keeps_length_and_offsets():
    for text in ["１７，１９４份", "９５％", "２～３万", "①采集３００份", "面积㎡", "…"]:
        assert len(normalise(text)) == len(text)
    assert normalise("１７，１９４份") == "17,194份"
    assert normalise("９５％") == "95%"
    assert normalise("２～３万") == "2~3万"
    assert normalise("①") == "①"          # a list marker, not the digit 1
    assert normalise("㎡") == "㎡"          # NFKC "m2" is longer: kept


# text -> [(figure, measure, min, max, qualifier, unit, kind)]
FIND = [
    # the table in targets.md
    ("采集DNA血样17194份", [("17194份", "count", 17194, 17194, "exact", "份", "count")]),
    ("17,194份", [("17,194份", "count", 17194, 17194, "exact", "份", "count")]),
    ("共采集１７，１９４份", [("１７，１９４份", "count", 17194, 17194, "exact", "份", "count")]),
    ("一万七千一百九十四份", [("一万七千一百九十四份", "count", 17194, 17194, "exact", "份", "count")]),
    ("采集血样1.7万余份", [("1.7万余份", "count", 17000, None, "at_least", "份", "count")]),
    ("1.7余万份", [("1.7余万份", "count", 17000, None, "at_least", "份", "count")]),
    ("累计采集虹膜信息104万余条", [("104万余条", "count", 1040000, None, "at_least", "条", "count")]),
    ("完成虹膜采集3.2万人", [("3.2万人", "count", 32000, 32000, "exact", "人", "count")]),
    ("采集血样近两万份", [("近两万份", "count", None, 20000, "at_most", "份", "count")]),
    ("采集血样3000多份", [("3000多份", "count", 3000, None, "at_least", "份", "count")]),
    ("万余份", [("万余份", "count", 10000, None, "at_least", "份", "count")]),
    ("上万份", [("上万份", "count", 10000, None, "at_least", "份", "count")]),
    ("逾万份", [("逾万份", "count", 10000, None, "at_least", "份", "count")]),
    ("采集血样2万至3万份", [("2万至3万份", "count", 20000, 30000, "range", "份", "count")]),
    ("2-3万份", [("2-3万份", "count", 20000, 30000, "range", "份", "count")]),
    ("2至3万份", [("2至3万份", "count", 20000, 30000, "range", "份", "count")]),
    ("2～3万份", [("2～3万份", "count", 20000, 30000, "range", "份", "count")]),
    ("采集血样数千份", [("数千份", "count", 1000, 9999, "vague", "份", "count")]),
    ("数百名", [("数百名", "count", 100, 999, "vague", "名", "count")]),
    ("数万人", [("数万人", "count", 10000, 99999, "vague", "人", "count")]),
    ("采集血样500余人次", [("500余人次", "count", 500, None, "at_least", "人次", "count")]),
    ("采集男性血样2.35万份，其中在校学生6000余名", [
        ("2.35万份", "count", 23500, 23500, "exact", "份", "count"),
        ("6000余名", "count", 6000, None, "at_least", "名", "count")]),
    ("采集率达95%", [("95%", "rate", 0.95, 0.95, "exact", None, "rate")]),
    ("达到百分之九十八", [("百分之九十八", "rate", 0.98, 0.98, "exact", None, "rate")]),
    ("占应采人数的八成", [("八成", "rate", 0.8, 0.8, "exact", None, "rate")]),
    ("累计采集DNA样本达11万份，较去年同期增长15%", [
        ("11万份", "count", 110000, 110000, "exact", "份", "count"),
        ("15%", "rate", 0.15, 0.15, "exact", None, "growth")]),
    ("入户走访群众3200余户", [("3200余户", "count", 3200, None, "at_least", "户", "count")]),
    ("发放宣传资料2000余份", [("2000余份", "count", 2000, None, "at_least", "份", "count")]),
    ("出动警力120余人次", [("120余人次", "count", 120, None, "at_least", "人次", "count")]),
    ("采集4岁以上男性血样", [("4岁以上", "count", 4, None, "at_least", "岁", "age")]),
    ("采集虹膜、指纹、人像信息8000余条", [("8000余条", "count", 8000, None, "at_least", "条", "count")]),
    # the brief's list
    ("一万二千三百零六份", [("一万二千三百零六份", "count", 12306, 12306, "exact", "份", "count")]),
    ("两万人", [("两万人", "count", 20000, 20000, "exact", "人", "count")]),
    ("采集1万2千份", [("1万2千份", "count", 12000, 12000, "exact", "份", "count")]),
    ("约8000份", [("约8000份", "count", 8000, 8000, "approx", "份", "count")]),
    ("8000左右", [("8000左右", "count", 8000, 8000, "approx", None, "count")]),
    ("8000份左右", [("8000份左右", "count", 8000, 8000, "approx", "份", "count")]),
    ("大约3000名", [("大约3000名", "count", 3000, 3000, "approx", "名", "count")]),
    ("将近5000人", [("将近5000人", "count", None, 5000, "at_most", "人", "count")]),
    ("接近1万份", [("接近1万份", "count", None, 10000, "at_most", "份", "count")]),
    ("超过3000份", [("超过3000份", "count", 3000, None, "at_least", "份", "count")]),
    ("3000份以上", [("3000份以上", "count", 3000, None, "at_least", "份", "count")]),
    ("逾3000人", [("逾3000人", "count", 3000, None, "at_least", "人", "count")]),
    ("采集量突破2万份", [("突破2万份", "count", 20000, None, "at_least", "份", "count")]),
    ("不少于3000份", [("不少于3000份", "count", 3000, None, "at_least", "份", "count")]),
    ("不超过500人", [("不超过500人", "count", None, 500, "at_most", "人", "count")]),
    ("全县共采集血样二万余份", [("二万余份", "count", 20000, None, "at_least", "份", "count")]),
    ("采集3,500余份", [("3,500余份", "count", 3500, None, "at_least", "份", "count")]),
    ("采集１．７万余份", [("１．７万余份", "count", 17000, None, "at_least", "份", "count")]),
    ("10万+", [("10万+", "count", 100000, None, "at_least", None, "count")]),
    ("一千七百余份", [("一千七百余份", "count", 1700, None, "at_least", "份", "count")]),
    ("三千多份", [("三千多份", "count", 3000, None, "at_least", "份", "count")]),
    ("十余万人", [("十余万人", "count", 100000, None, "at_least", "人", "count")]),
    ("近千份", [("近千份", "count", None, 1000, "at_most", "份", "count")]),
    ("上千份", [("上千份", "count", 1000, None, "at_least", "份", "count")]),
    ("千余份", [("千余份", "count", 1000, None, "at_least", "份", "count")]),
    ("十几万份", [("十几万份", "count", 110000, 190000, "vague", "份", "count")]),
    ("好几千人", [("好几千人", "count", 1000, 9999, "vague", "人", "count")]),
    ("成千上万份", [("成千上万份", "count", 1000, None, "vague", "份", "count")]),
    ("累计2.3万人份", [("2.3万人份", "count", 23000, 23000, "exact", "人份", "count")]),
    ("采集DNA 17194 份", [("17194 份", "count", 17194, 17194, "exact", "份", "count")]),
    ("采集DNA1.7万份", [("1.7万份", "count", 17000, 17000, "exact", "份", "count")]),
    ("约2至3万份", [("约2至3万份", "count", 20000, 30000, "range", "份", "count")]),
    ("5000-3万份", [("5000-3万份", "count", 5000, 30000, "range", "份", "count")]),
    # rates
    ("95.6%", [("95.6%", "rate", 0.956, 0.956, "exact", None, "rate")]),
    ("采集率９５％", [("９５％", "rate", 0.95, 0.95, "exact", None, "rate")]),
    ("八成以上", [("八成以上", "rate", 0.8, None, "at_least", None, "rate")]),
    ("近八成", [("近八成", "rate", None, 0.8, "at_most", None, "rate")]),
    ("约95%", [("约95%", "rate", 0.95, 0.95, "approx", None, "rate")]),
    ("95%以上", [("95%以上", "rate", 0.95, None, "at_least", None, "rate")]),
    ("三分之一的群众", [("三分之一", "rate", 1 / 3, 1 / 3, "exact", None, "rate")]),
    ("三分之二以上", [("三分之二以上", "rate", 2 / 3, None, "at_least", None, "rate")]),
    ("过半", [("过半", "rate", 0.5, None, "at_least", None, "rate")]),
    ("百分之百", [("百分之百", "rate", 1.0, 1.0, "exact", None, "rate")]),
    ("90-95%", [("90-95%", "rate", 0.9, 0.95, "range", None, "rate")]),
    ("90%至95%", [("90%至95%", "rate", 0.9, 0.95, "range", None, "rate")]),
    # growth: a change, not a level
    ("同比增长15.2%", [("15.2%", "rate", 0.152, 0.152, "exact", None, "growth")]),
    ("增幅达20%", [("20%", "rate", 0.2, 0.2, "exact", None, "growth")]),
    ("下降3.2%", [("3.2%", "rate", 0.032, 0.032, "exact", None, "growth")]),
    ("采集率提高5个百分点", [("5个百分点", "rate", 0.05, 0.05, "exact", None, "growth")]),
    ("较去年增加3000份", [("3000份", "count", 3000, 3000, "exact", "份", "growth")]),
    ("采集率提高到98%", [("98%", "rate", 0.98, 0.98, "exact", None, "rate")]),
    ("增长至3万份", [("3万份", "count", 30000, 30000, "exact", "份", "count")]),
    # ages
    ("18至60周岁", [("18至60周岁", "count", 18, 60, "range", "周岁", "age")]),
    ("年满18周岁的男性", [("18周岁", "count", 18, 18, "exact", "周岁", "age")]),
    ("采集4-60岁男性血样", [("4-60岁", "count", 4, 60, "range", "岁", "age")]),
    ("60岁以下", [("60岁以下", "count", None, 60, "at_most", "岁", "age")]),
    # not quantities at all
    ("2019年5月21日10时，县公安局", []),
    ("2019年", []),
    ("5月21日", []),
    ("10时30分", []),
    ("10时许", []),
    ("4月18日至21日", []),
    ("今年1至4月", []),
    ("2019—2020年度", []),
    ("2019-05-21", []),
    ("近三年来", []),
    ("10余天", []),
    ("3个月", []),
    ("24小时", []),
    ("一是加强宣传，二是强化采集", []),
    ("第一", []),
    ("第3批", []),
    ("1.加强宣传", []),
    ("（一）采集工作", []),
    ("(1)采集工作", []),
    ("其一", []),
    ("一人一档", []),
    ("千家万户", []),
    ("千方百计", []),
    ("老百姓", []),
    ("十分重要", []),
    ("一成不变", []),
    ("十八大以来", []),
    ("十四五规划", []),
    ("五一期间", []),
    ("采集一万一千份", [("一万一千份", "count", 11000, 11000, "exact", "份", "count")]),
    ("一万一人", [("一万一人", "count", 11000, 11000, "exact", "人", "count")]),
    ("万一发生", []),
    ("一千一百人", [("一千一百人", "count", 1100, 1100, "exact", "人", "count")]),
    ("拨打110报警", []),
    ("0891-6322110", []),
    ("13912345678", []),
    ("5G网络", []),
    ("G318国道", []),
    ("4·18专项行动", []),
    ("三江源地区", []),
    ("八宿县", []),
    ("四川省", []),
    ("完成了工作", []),
    ("按照市局统一部署", []),
    ("重要举措之一", []),
    ("预约300人", [("300人", "count", 300, 300, "exact", "人", "count")]),
    ("采集两三千份", [("两三千份", "count", 2000, 3000, "vague", "份", "count")]),
    ("比去年多采集3000份", [("3000份", "count", 3000, 3000, "exact", "份", "growth")]),
    ("分局共组织集中采集活动14场次", [("14场次", "count", 14, 14, "exact", "场次", "count")]),
    ("五一期间", []),
    ("万万不可", []),
    ("①采集血样300份", [("300份", "count", 300, 300, "exact", "份", "count")]),
    ("300名多民族群众", [("300名", "count", 300, 300, "exact", "名", "count")]),
    ("2万来自农牧区", [("2万", "count", 20000, 20000, "exact", None, "count")]),
    ("投入资金50万元", [("50万元", "count", 500000, 500000, "exact", "元", "other")]),
    ("增长1.5倍", [("1.5倍", "rate", 1.5, 1.5, "exact", "倍", "growth")]),
]


def _row(q: Quantity):
    return (q.text, q.measure, q.value_min, q.value_max, q.qualifier, q.unit, q.kind)


@pytest.mark.parametrize("text,expected", FIND, ids=[t for t, _ in FIND])
def test_find_quantities(text, expected):
    got = [_row(q) for q in find_quantities(text)]
    assert len(got) == len(expected), got
    for g, e in zip(got, expected):
        assert g[0] == e[0] and g[1] == e[1] and g[4:] == e[4:], (g, e)
        for a, b in zip(g[2:4], e[2:4]):
            assert (a is None and b is None) or a == pytest.approx(b), (g, e)


@pytest.mark.parametrize("text,expected", FIND, ids=[t for t, _ in FIND])
def test_spans_index_the_original_text(text, expected):
    for q in find_quantities(text):
        assert text[q.start:q.end] == q.text
        assert q.approximate == (q.qualifier != "exact")
        if q.qualifier == "exact":
            assert q.value_min == q.value_max


def test_quantities_in_a_paragraph_left_to_right():
    text = ("截至10月下旬，全县累计采集男性血样2.35万份，其中在校学生6000余名，"
            "采集率达95%，较去年同期增长15%；出动警力120余人次，入户走访3200余户。")
    got = [(q.text, q.kind) for q in find_quantities(text)]
    assert got == [("2.35万份", "count"), ("6000余名", "count"), ("95%", "rate"),
                   ("15%", "growth"), ("120余人次", "count"), ("3200余户", "count")]


def test_full_width_offsets_are_those_of_the_original():
    text = "截至目前共采集ＤＮＡ血样１７，１９４份。"
    (q,) = find_quantities(text)
    assert q.text == "１７，１９４份" and text[q.start:q.end] == q.text and q.value_min == 17194


# -- the labelled corpus of the statements extractor -------------------------

def _corpus():
    import os

    import yaml
    path = os.path.join(os.path.dirname(__file__), "corpus", "statements.yaml")
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _covering(quantities, index):
    return [q for q in quantities if q.start <= index < q.end]


def test_corpus_figures_read_as_labelled():
    docs = _corpus()
    if not docs:
        pytest.skip("no labelled corpus")
    checked = 0
    for doc in docs:
        text = doc["text"]
        found = find_quantities(text)
        for label in doc.get("statements") or []:
            fig = label["figure"]
            where = text.find(fig)
            assert where >= 0, (doc["id"], fig)
            hits = [q for q in _covering(found, where) if q.text == fig]
            assert hits, (doc["id"], fig, [q.text for q in found])
            q = hits[0]
            assert q.kind in ("count", "rate"), (doc["id"], fig, q)
            assert (q.measure, q.qualifier, q.unit) == (label["measure"], label["qualifier"], label.get("unit")), (doc["id"], q)
            for got, want in ((q.value_min, label.get("value_min")), (q.value_max, label.get("value_max"))):
                assert (got is None and want is None) or got == pytest.approx(want), (doc["id"], q, label)
            checked += 1
    assert checked >= 100


def test_corpus_distractors_are_not_read_as_collection_counts():
    docs = _corpus()
    if not docs:
        pytest.skip("no labelled corpus")
    for doc in docs:
        text = doc["text"]
        found = find_quantities(text)
        for label in doc.get("distractors") or []:
            where = text.find(label["figure"])
            hits = _covering(found, where) if where >= 0 else []
            if label["kind"] == "date":
                assert not hits, (doc["id"], label, hits)
            elif label["kind"] in ("age", "growth"):
                assert hits and hits[0].kind == label["kind"], (doc["id"], label, hits)
            elif label["kind"] == "money":
                assert hits and hits[0].kind == "other", (doc["id"], label, hits)


# -- statements-3: forms met in the third held-out set and their variants -------------------

@pytest.mark.parametrize("text, expected", [
    ("采集率达九成五", ("九成五", 0.95, 0.95, "exact")),            # 九成五: 95%
    ("九成五以上", ("九成五以上", 0.95, None, "at_least")),
    ("约占应采人数的四分之三", ("四分之三", 0.75, 0.75, "approx")),  # the qualifier stands before 占
    ("近占全县人口的八成", ("八成", None, 0.8, "at_most")),
    ("预约占用场地的三成", ("三成", 0.3, 0.3, "exact")),            # 预约 is not 约
])
def test_rate_forms(text, expected):
    (q,) = [q for q in find_quantities(text) if q.measure == "rate"]
    assert (q.text, q.value_min, q.value_max, q.qualifier) == expected
    assert parse_number("九成五") == pytest.approx(0.95)


@pytest.mark.parametrize("text, expected", [
    ("采集血样数十万份", ("数十万份", 100000, 999999, "vague")),    # not 数十 + 万份
    ("采集血样5000～6000人", ("5000～6000人", 5000, 6000, "range")),
    ("采集DNA样本6,300余份", ("6,300余份", 6300, None, "at_least")),
    ("采集血样两万余份", ("两万余份", 20000, None, "at_least")),
    ("采集僧人指纹、人像信息数百人", ("数百人", 100, 999, "vague")),
])
def test_count_forms(text, expected):
    (q,) = find_quantities(text)
    assert (q.text, q.value_min, q.value_max, q.qualifier) == expected


def test_more_than_last_year_is_growth():
    (q,) = find_quantities("采集血样较去年同期多出2000余份")
    assert (q.text, q.kind) == ("2000余份", "growth")


def test_tibetan_digits_and_more_than():
    (q,) = find_quantities("ཁྲག་དཔེ་ ༡༢༦༠༠ ལྷག་བསྡུ་ལེན་བྱས")
    assert (q.text, q.value_min, q.value_max, q.qualifier, q.unit) == ("༡༢༦༠༠ ལྷག", 12600, None, "at_least", None)


# -- statements-4: digits split by spaces (tables and CMS typography) -----------------------

@pytest.mark.parametrize("text, expected", [
    ("采集8 904份", ("8 904份", 8904, 8904)),                    # thousands groups
    ("采集2 400余人次", ("2 400余人次", 2400, None)),
    ("采集12 000 000条", ("12 000 000条", 12000000, 12000000)),
    ("采集1 2 0 0 0余份", ("1 2 0 0 0余份", 12000, None)),        # every digit spaced
    ("采集7 8 4 0份", ("7 8 4 0份", 7840, 7840)),
    ("采集5 7 2 份", ("5 7 2 份", 572, 572)),
    ("采集1.2 万份", ("1.2 万份", 12000, 12000)),                 # a space before the magnitude
    ("已采集 3. 1万条", ("3. 1万条", 31000, 31000)),              # a space inside a decimal
    ("采集 150 余条", ("150 余条", 150, None)),                   # a space before 余
    ("采集 1 023 条", ("1 023 条", 1023, 1023)),
    ("采集４.１万份", ("４.１万份", 41000, 41000)),                # full-width digits
])
def test_spaced_digits(text, expected):
    (q,) = [q for q in find_quantities(text) if q.unit]
    assert (q.text, q.value_min, q.value_max) == expected


@pytest.mark.parametrize("text, expected", [
    ("2019 年 5 月 1 200份", ["1 200份"]),      # a spaced date stays a date
    ("2019 400份", ["400份"]),                   # a 4-digit group is no thousands group
    ("共3 个 1 200份", ["3 个", "1 200份"]),
    ("\n3. 1万条", ["1万条"]),                   # a list marker, not a decimal
])
def test_spaced_digits_are_not_merged_across_words(text, expected):
    assert [q.text for q in find_quantities(text) if q.unit] == expected


def test_spaced_digits_stay_linear():
    import time

    def cost(k):
        t0 = time.perf_counter()
        find_quantities("1 " * k + "份")
        find_quantities("1 " * k)
        return time.perf_counter() - t0

    cost(1000)
    small, big = cost(20_000), cost(80_000)
    assert big / small < 8, (small, big)


def test_a_spaced_run_too_long_for_a_figure_is_not_joined():
    found = find_quantities("1 " * 20 + "份")  # 20 digits: no figure, so no join
    assert max(q.value_min for q in found) == 1
    assert find_quantities("采集1 2 3 4 5 6 7 8 9 0 1 2 3份")[-1].value_min == 1234567890123
