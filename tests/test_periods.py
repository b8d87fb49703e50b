"""Periods read from a sentence against the publication date."""

import pytest

from pipelines.periods import Period, resolve_period

NOV = "2019-11-05T10:32:00+08:00"
MAR = "2019-03-01T09:00:00+08:00"

# (sentence, published_at, start, end, cumulative, phrase)
CASES = [
    ("截至10月下旬，全县累计采集血样1.7万余份", NOV, None, "2019-10-31", True, "截至10月下旬"),
    ("截至10月下旬，全县累计采集血样1.7万余份", MAR, None, "2018-10-31", True, "截至10月下旬"),
    ("截至10月底，共采集", NOV, None, "2019-10-31", True, "截至10月底"),
    ("截至目前，累计采集DNA血样17194份", NOV, None, "2019-11-05", True, "截至目前"),
    ("目前已采集血样3000多份", NOV, None, "2019-11-05", True, "目前"),
    ("近日，县公安局采集血样500余人次", NOV, None, "2019-11-05", False, "近日"),
    ("日前，采集虹膜3.2万人", NOV, None, "2019-11-05", False, "日前"),
    ("近期共采集2000余份", NOV, None, "2019-11-05", False, "近期"),
    ("截至2019年5月，共采集", NOV, None, "2019-05-31", True, "截至2019年5月"),
    ("截至2019年5月21日，共采集", NOV, None, "2019-05-21", True, "截至2019年5月21日"),
    ("截至去年底，共采集", NOV, None, "2018-12-31", True, "截至去年底"),
    ("自2016年6月以来，累计采集", NOV, "2016-06-01", "2019-11-05", True, "自2016年6月以来"),
    ("2016年6月以来，累计采集", NOV, "2016-06-01", "2019-11-05", True, "2016年6月以来"),
    ("自2016年6月起，共采集", NOV, "2016-06-01", "2019-11-05", True, "自2016年6月起"),
    ("2018年6月至今，累计采集", NOV, "2018-06-01", "2019-11-05", True, "2018年6月至今"),
    ("自开展工作以来，共采集", NOV, None, "2019-11-05", True, "自开展工作以来"),
    ("4月18日至21日，采集血样", NOV, "2019-04-18", "2019-04-21", False, "4月18日至21日"),
    ("4月18日至5月2日，采集血样", NOV, "2019-04-18", "2019-05-02", False, "4月18日至5月2日"),
    ("今年以来，累计采集", NOV, "2019-01-01", "2019-11-05", True, "今年以来"),
    ("今年1至4月，采集", NOV, "2019-01-01", "2019-04-30", False, "今年1至4月"),
    ("1-4月，采集", NOV, "2019-01-01", "2019-04-30", False, "1-4月"),
    ("去年，全县采集", NOV, "2018-01-01", "2018-12-31", False, "去年"),
    ("上半年，全县采集", NOV, "2019-01-01", "2019-06-30", False, "上半年"),
    ("去年上半年，全县采集", NOV, "2018-01-01", "2018-06-30", False, "去年上半年"),
    ("第一季度，采集", NOV, "2019-01-01", "2019-03-31", False, "第一季度"),
    ("一季度，采集", NOV, "2019-01-01", "2019-03-31", False, "一季度"),
    ("前三季度采集", NOV, "2019-01-01", "2019-09-30", False, "前三季度"),
    ("6月份，采集", NOV, "2019-06-01", "2019-06-30", False, "6月份"),
    ("12月份，采集", MAR, "2018-12-01", "2018-12-31", False, "12月份"),
    ("8月上旬以来，采集", NOV, "2019-08-01", "2019-11-05", True, "8月上旬以来"),
    ("2019年，采集", "2020-02-01T08:00:00+08:00", "2019-01-01", "2019-12-31", False, "2019年"),
    ("2018年至2020年采集", NOV, "2018-01-01", "2020-12-31", False, "2018年至2020年"),
    ("2018—2020年采集", NOV, "2018-01-01", "2020-12-31", False, "2018—2020年"),
    ("近三年，采集", NOV, "2016-11-05", "2019-11-05", False, "近三年"),
    ("三年来，采集", NOV, "2016-11-05", "2019-11-05", True, "三年来"),
    ("近3个月来", NOV, "2019-08-05", "2019-11-05", True, "近3个月来"),
    ("近半年来", MAR, "2018-09-01", "2019-03-01", True, "近半年来"),
    ("2019年5月21日，县公安局采集血样", NOV, "2019-05-21", "2019-05-21", False, "2019年5月21日"),
    ("二〇一九年五月二十一日采集", NOV, "2019-05-21", "2019-05-21", False, "二〇一九年五月二十一日"),
    ("今年以来，截至10月下旬，累计采集", NOV, "2019-01-01", "2019-10-31", True, "今年以来…截至10月下旬"),
    ("截止到目前，全县共采集", NOV, None, "2019-11-05", True, "截止到目前"),
    ("到目前为止共采集", NOV, None, "2019-11-05", True, "到目前为止"),
    ("自5月21日起至6月30日，共采集", NOV, "2019-05-21", "2019-06-30", True, "自5月21日起…至6月30日"),
    ("2019年12月至2020年3月，采集", NOV, "2019-12-01", "2020-03-31", False, "2019年12月至2020年3月"),
    ("4月至6月，采集", NOV, "2019-04-01", "2019-06-30", False, "4月至6月"),
    ("今年1月1日至9月30日", NOV, "2019-01-01", "2019-09-30", False, "今年1月1日至9月30日"),
    ("2019.5.1-2019.6.30期间", NOV, "2019-05-01", "2019-06-30", False, "2019.5.1-2019.6.30"),
    ("截至2019.10.31，累计", NOV, None, "2019-10-31", True, "截至2019.10.31"),
    ("本月以来", NOV, "2019-11-01", "2019-11-05", True, "本月以来"),
    ("上月共采集", NOV, "2019-10-01", "2019-10-31", False, "上月"),
    ("昨天采集", NOV, "2019-11-04", "2019-11-04", False, "昨天"),
    ("年初以来", NOV, "2019-01-01", "2019-11-05", True, "年初以来"),
    ("5月中旬以来", NOV, "2019-05-11", "2019-11-05", True, "5月中旬以来"),
    ("从5月开始", NOV, "2019-05-01", "2019-11-05", True, "从5月开始"),
    ("2019年至今", NOV, "2019-01-01", "2019-11-05", True, "2019年至今"),
    # the calendar end the phrase names, even when just after publication
    ("2019年，采集", "2019-12-30T08:00:00+08:00", "2019-01-01", "2019-12-31", False, "2019年"),
    ("截至10月下旬，累计采集", "2018-10-22T08:00:00+08:00", None, "2018-10-31", True, "截至10月下旬"),
    ("截至8月中旬，累计采集", NOV, None, "2019-08-20", True, "截至8月中旬"),
    ("截至8月上旬，累计采集", NOV, None, "2019-08-10", True, "截至8月上旬"),
    # the comparison base is not the period
    ("累计采集DNA样本达11万份，较去年同期增长15%", NOV, None, None, True, None),
    # nothing to resolve: never invent a date from numbers
    ("采集DNA血样17194份", NOV, None, None, False, None),
    ("采集血样2万至3万份，3200余户", NOV, None, None, False, None),
    ("第一是加强", NOV, None, None, False, None),
    ("采集率为2019", NOV, None, None, False, None),
    ("当年共采集", NOV, None, None, False, None),
    ("增长至3万份，同比增长15%", NOV, None, None, False, None),
    ("", NOV, None, None, False, None),
    # no publication date: relative phrases cannot be placed
    ("截至10月下旬，累计采集", None, None, None, True, None),
    ("截至目前，累计采集", None, None, None, True, None),
    ("今年以来，累计采集", None, None, None, True, None),
    ("2019年5月共采集", None, "2019-05-01", "2019-05-31", False, "2019年5月"),
]


@pytest.mark.parametrize("sentence,pub,start,end,cumulative,phrase", CASES,
                         ids=[f"{c[0]}|{(c[1] or 'none')[:10]}" for c in CASES])
def test_resolve_period(sentence, pub, start, end, cumulative, phrase):
    p = resolve_period(sentence, pub)
    assert isinstance(p, Period)
    assert (p.start, p.end, p.cumulative, p.text) == (start, end, cumulative, phrase)


def test_phrase_is_as_written_in_full_width_text():
    p = resolve_period("截至２０１９年５月，共采集", NOV)
    assert p.text == "截至２０１９年５月" and p.end == "2019-05-31"


# -- statements-3 ----------------------------------------------------------------------------

SEP = "2019-09-25T21:00:00+08:00"

# (sentence, published_at, start, end, cumulative, kind)
MORE = [
    # a month's or year's end alone marks the state by that day, like 截至
    ("9月底，桑日县公安局全面完成全县DNA血样采集工作", SEP, None, "2019-09-30", True, "end"),
    ("2018年底，全县累计采集血样3.2万份", SEP, None, "2018-12-31", True, "end"),
    ("确保年底前完成", SEP, None, None, False, None),                 # a deadline
    ("较去年底增长16%", SEP, None, None, False, None),                # a comparison
    ("1月下旬至2月底，化隆县公安局开展采集", SEP, "2019-01-21", "2019-02-28", False, "range"),
    # this year, alone: so far
    ("今年累计采集群众虹膜信息过万条", SEP, "2019-01-01", "2019-09-25", True, "single"),
    ("其中，改则县今年新增采集2100余份", SEP, "2019-01-01", "2019-09-25", False, "single"),
    # a start set by an operation's launch; a plan is no period
    ("扎囊县公安局于7月1日启动全县DNA血样采集工作", SEP, "2019-07-01", "2019-09-25", True, "start"),
    ("县局将于7月启动集中采集工作", SEP, None, None, False, None),
    # quarters, first months, parts of a month, the time of writing
    ("一至三季度，共采集", SEP, "2019-01-01", "2019-09-30", False, "range"),
    ("1-3季度共采集", SEP, "2019-01-01", "2019-09-30", False, "range"),
    ("今年前8个月，共采集", SEP, "2019-01-01", "2019-08-31", False, "range"),
    ("8月中下旬，共采集", SEP, "2019-08-11", "2019-08-31", False, "single"),
    ("截至记者发稿时，共采集", SEP, None, "2019-09-25", True, "end"),
    ("去年10月至今年3月，共采集", SEP, "2018-10-01", "2019-03-31", False, "range"),   # 至今年 is not 至今
    # Tibetan: from … until …; this year so far
    ("ཟླ་༩ཚེས་༡ནས་ཚེས་༢༠བར། སྟེང་ཆེན་རྫོང་", SEP, "2019-09-01", "2019-09-20", False, "range"),
    ("ཟླ་༥ཚེས་༨ནས་༡༢བར། འབྲི་སྟོད་", SEP, "2019-05-08", "2019-05-12", False, "range"),
    ("ལོ་འདིའི་ཟླ་༡ནས་བཟུང་རྫོང་ཡོངས་", SEP, "2019-01-01", "2019-09-25", True, "start"),
    ("ལོ་འདིར་རྫོང་ཡོངས་སུ་ཁྲག་དཔེ་བསྡུ་ལེན་བྱས།", SEP, "2019-01-01", "2019-09-25", False, "single"),
    ("ད་བར་ཁྲག་དཔེ་ ༡༢༦༠༠ ལྷག་བསྡུ་ལེན་བྱས", SEP, None, "2019-09-25", True, "end"),
]


@pytest.mark.parametrize("sentence,pub,start,end,cumulative,kind", MORE, ids=[m[0][:16] for m in MORE])
def test_resolve_period_more(sentence, pub, start, end, cumulative, kind):
    p = resolve_period(sentence, pub)
    assert (p.start, p.end, p.cumulative, p.kind) == (start, end, cumulative, kind)


def test_kind_names_what_decided_the_period():
    assert resolve_period("截至10月下旬，累计采集", NOV).kind == "end"
    assert resolve_period("自2016年6月以来，累计采集", NOV).kind == "start"
    assert resolve_period("今年以来，截至10月下旬，累计采集", NOV).kind == "end"
    assert resolve_period("近日，县公安局采集血样", NOV).kind == "now"
    assert resolve_period("采集DNA血样17194份", NOV).kind is None


# -- statements-4 ----------------------------------------------------------------------------

@pytest.mark.parametrize("sentence, start, end", [
    # the year named with an end is where the count starts
    ("截至12月25日，全州2020年共采集虹膜信息18.6万条", "2020-01-01", "2020-12-25"),
    ("12月28日，记者获悉，截至12月25日，全州2020年共采集", "2020-01-01", "2020-12-25"),
    ("截至12月25日，全州共采集虹膜信息18.6万条", None, "2020-12-25"),
    ("截至2019年12月25日，全州共采集", None, "2019-12-25"),        # the end's own year is no start
])
def test_year_with_an_end(sentence, start, end):
    p = resolve_period(sentence, "2020-12-30T10:00:00+08:00")
    assert (p.start, p.end) == (start, end)
