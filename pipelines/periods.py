"""The period a figure covers, read from its sentence against the publication date.

Police posts date their figures loosely: 截至10月下旬, 今年以来, 自2016年6月以来,
4月18日至21日, 上半年, 近三年. ``resolve_period`` turns the phrase into ISO
dates using the publication date for the missing year and for "now" words
(目前, 近日, 至今). It never guesses: a sentence without a date phrase gives
``Period(None, None, None, cumulative)`` and the caller falls back to the
publication date; a month or day without a year cannot be placed without a
publication date and is left unresolved.

Rules, in order of precedence within a sentence:
  1. an end anchor (截至/截止 + date, 截至目前) gives the end; a start anchor in
     the same sentence (自…以来/起, 今年以来) gives the start;
  2. else a start anchor (…以来, 自…起) runs to the publication date;
  3. else an explicit range (4月18日至21日, 今年1至4月, 2018至2020年);
  4. else a single period (2019年, 6月份, 上半年, 第一季度, 5月21日, 近三年);
  5. else a "now" word (目前, 近日, 日前, 近期) ends at the publication date.
A month's or year's end written alone (9月底，…全面完成采集) is an end like 截至9月底;
a date before 启动 (于7月1日启动…工作) is a start; a date after 将于/拟/计划 is a plan,
no period; 今年 alone (今年累计采集…) runs to the publication date. ``Period.kind``
says which of these decided the period, so a caller can join an end to a start set
up in an earlier sentence.
Tibetan phrases read the same way: ད་བར (up to now) like 截至目前; ལོ་ 2018 (the
year), ཟླ་ 8 པ (August), ཚེས་ 15 (the 15th), then བར (until) or ནས (from); X ནས Y བར
is the range from X to Y (ཟླ་༥ཚེས་༨ནས་༡༢བར: May 8th to 12th).
A month or day without a year is in the publication year, or the year before
when that would start after publication (截至10月下旬 in a March post is last
October; in a post of October 22nd it is this October, ending on the 31st).
Ends are the calendar ends the phrase names (2019年 -> 12-31, 下旬/底 -> the
month's last day, 中旬 -> the 20th, 上旬/初 -> the 10th), not cut back to the
publication date: that is how a reader (and the labelled corpus) reads them.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from pipelines.numbers import _numeral_value, normalise
from pipelines.tibetan import SYLLABLE_END, SYLLABLE_START, TSHEG


@dataclass(frozen=True)
class Period:
    start: str | None   # "YYYY-MM-DD" or None
    end: str | None     # "YYYY-MM-DD" or None
    text: str | None    # the phrase(s) it was read from, as written ("…" between two)
    cumulative: bool    # 累计/截至/自…以来/共计 style: the figure is a running total
    # what decided it: "end" (截至…, ད་བར, 9月底: an end, with a start when one is given too),
    # "start" (…以来, 自…起, 于…启动: runs to publication), "range", "single", "now" (近日,
    # 目前); None when nothing resolved. Callers join an end to a start set up before it.
    kind: str | None = None


_CUMULATIVE = re.compile(r"累计|截至|截止|以来|共计|总计|合计|一共|至今(?!年)|迄今|目前已|现已|已累计|先后共|"
                         rf"{SYLLABLE_START}ད་(?:ལྟའི་)?བར{SYLLABLE_END}")

_CN = "〇零○一二两三四五六七八九十"
_YEAR_NUM = r"(?:\d{4}|[〇零○一二三四五六七八九]{4})"
_MONTH_NUM = r"(?:1[0-2]|0?[1-9]|十[一二]?|[一二三四五六七八九])"
_DAY_NUM = r"(?:3[01]|[12]\d|0?[1-9]|三十一?|二十[一二三四五六七八九]?|十[一二三四五六七八九]?|[一二三四五六七八九])"
_YEAR = rf"(?P<yr>{_YEAR_NUM}年度?|今年|去年|前年|本年度?|上年度?)"   # not 当年: "in those years"
_PART = r"(?P<part>上中旬|中下旬|上旬|中旬|下旬|初|底|末|中)"
# one date phrase: a year, a part of a year, a month, a day
_ATOM = (
    rf"(?:{_YEAR})?(?:"
    rf"(?P<half>上半年|下半年)"
    rf"|(?P<q>第?[一二三四1-4]季度|前[二两三2-3]季度)"
    rf"|(?P<mon>{_MONTH_NUM})月份?(?:(?P<day>{_DAY_NUM})[日号])?{_PART}?"
    rf"|年?(?P<yend>底|末|初)"
    rf")?"
)
_ATOM_RE = re.compile(_ATOM)
_SEP = r"\s*(?:至|到|-|~|〜|—{1,2}|–)\s*"
_DAY_RANGE_RE = re.compile(rf"(?P<a>{_ATOM})(?:{_SEP})(?P<bmon>{_MONTH_NUM}月)?(?P<bday>{_DAY_NUM})[日号]")
_MONTH_RANGE_RE = re.compile(
    rf"(?:{_YEAR})?(?P<m1>{_MONTH_NUM})月?份?(?:{_SEP})(?P<m2>{_MONTH_NUM})月份?"
)
_YEAR_RANGE_RE = re.compile(rf"(?P<y1>{_YEAR_NUM})年?(?:{_SEP})(?P<y2>{_YEAR_NUM})年")
_TO_NOW = re.compile(r"\s*(?:以来)?(?:至今|迄今|到现在|至现在|到目前)")

_END_BEFORE = re.compile(r"(?:截至|截止到|截至到|截止|截止至|到|至)\s*$")
_START_BEFORE = re.compile(r"(?:自从|自|从|始于)\s*$")
_START_AFTER = re.compile(r"\s*(?:以来|来|起|开始|正式启动|启动|至今|迄今|到现在|至现在|到目前)")
# 将于7月启动: a plan, not the period of any figure
_PLANNED_BEFORE = re.compile(r"(?:将|拟|计划|预计|准备)(?:于|在)?\s*$")
_COMPARED = re.compile(r"同期|同比|相比|相较")
_COMPARED_BEFORE = re.compile(r"(?:较|比|与|同)$")
_NOW_END = re.compile(r"(?:截至|截止)(?:到|至)?(?:目前|今日|今天|(?:记者)?发稿|现在|当前)|到目前为止|迄今为止")
# 一至三季度 · 1-3季度 · 第一至第三季度: January to the end of the last quarter named
_QUARTER_RANGE_RE = re.compile(
    rf"(?:{_YEAR})?第?(?P<q1>[一二三四1-4])(?:季度)?{_SEP}第?(?P<q2>[一二三四1-4])季度")
# 前10个月 · 今年前三个月: January to the end of that month
_FIRST_MONTHS_RE = re.compile(rf"(?:{_YEAR})?前(?P<k>1[0-2]|[1-9]|十[一二]?|[一二两三四五六七八九])个月")
_NOW = re.compile(r"目前|当前|现已|近日|日前|近期|至今|迄今")
_SINCE_WORK = re.compile(r"(?:自|从)[^，,。；;]{1,16}?以来")
_RECENT = re.compile(
    rf"(?:近|最近|过去)(?P<half>半)年(?:来|以来)?|(?<![\d{_CN}年月])(?P<half2>半)年(?:来|以来)"
    rf"|(?:近|最近|过去)(?P<n1>\d+|[{_CN}]+)(?P<u1>年多?|个多?月|多个月|月|周|星期|天|日)(?:来|以来)?"
    # 三年来 · 3个月以来 · 一个多月来; never 6月以来 (since June) or 2016年以来 (since 2016)
    rf"|(?<![\d{_CN}年月])(?P<n2>\d{{1,2}}|[{_CN}]{{1,3}})(?P<u2>年多?|个多?月|多个月|周|天)(?:来|以来)"
)


# Tibetan: ད་བར / ད་ལྟའི་བར "up to now" (= 截至目前); a date written ལོ་ 2018 (year),
# ཟླ་ 8 པ (8th month), ཚེས་ 15 (day), then བར "until" or ནས "from"; ད་ལོ / ལོ་འདིར "this year".
_T = TSHEG
# whole syllables only: ད་བར is not the end of ཚད་བརྒྱ (letters, vowel signs, subjoined letters)
_NO_BO_BEFORE = SYLLABLE_START
_NO_BO_AFTER = SYLLABLE_END
_BO_NOW_END = re.compile(rf"{_NO_BO_BEFORE}(?:ད{_T}བར|ད{_T}ལྟའི{_T}བར|ད{_T}ཡོད{_T}བར){_NO_BO_AFTER}")
_TIBETAN = re.compile(r"[\u0f00-\u0fff]")
_BO_DATE = re.compile(
    rf"{_NO_BO_BEFORE}(?=ལོ|ཟླ|ཚེས|སྤྱི)(?:(?:སྤྱི{_T})?ལོ{_T}?\s*(?P<y>\d{{4}})[\s{_T}]*(?:ལོའི[\s{_T}]*)?)?"
    rf"(?:ཟླ(?:{_T}བ)?{_T}?\s*(?P<m>\d{{1,2}})[\s{_T}]*(?:པ(?:འི|ར)?[\s{_T}]*)?)?"
    rf"(?:ཚེས(?:{_T}གྲངས)?{_T}?\s*(?P<d>\d{{1,2}}))?"
)
_BO_THIS_YEAR = re.compile(rf"{_NO_BO_BEFORE}(?:ད{_T}ལོར?|ལོ{_T}འདིར?){_NO_BO_AFTER}")
_BO_UNTIL = re.compile(rf"[\s{_T}]*(?:བར|ཡན{_T}ཆད){_NO_BO_AFTER}")
_BO_FROM = re.compile(rf"[\s{_T}]*ནས(?P<now>[\s{_T}]*(?:ད{_T}བར|ད{_T}ལྟའི{_T}བར))?{_NO_BO_AFTER}")
# the end of a range after ནས: a date (ཚེས་༢༠, ཟླ་༦ཚེས་༣) or a bare day (༡༢), then བར
_BO_RANGE_END = re.compile(
    rf"[\s{_T}]*(?:ཟླ(?:{_T}བ)?{_T}?\s*(?P<m>\d{{1,2}})[\s{_T}]*(?:པ(?:འི|ར)?[\s{_T}]*)?)?"
    rf"(?:ཚེས(?:{_T}གྲངས)?{_T}?\s*)?(?P<d>\d{{1,2}})[\s{_T}]*(?:བར|ཡན{_T}ཆད){_NO_BO_AFTER}"
)


def _bo_range_end(n: str, pos: int, first: date, pub: date | None) -> tuple[date, int] | None:
    """The end of a Tibetan range whose start is `first`: (last day, end offset) or None."""
    m = _BO_RANGE_END.match(n, pos)
    if not m:
        return None
    month = int(m.group("m")) if m.group("m") else first.month
    try:
        last = date(first.year, month, int(m.group("d")))
    except ValueError:
        return None
    return (last, m.end()) if last >= first else None


def _bo_date(m: re.Match, pub: date | None) -> tuple[date, date] | None:
    if not (m.group("y") or m.group("m")):
        return None
    y = int(m.group("y")) if m.group("y") else (pub.year if pub else None)
    if y is None or not 1900 <= y <= 2100:
        return None
    if not m.group("m"):
        return date(y, 1, 1), date(y, 12, 31)
    mo = int(m.group("m"))
    if not 1 <= mo <= 12:
        return None
    if not m.group("y") and pub and date(y, mo, 1) > pub:
        y -= 1
    if m.group("d"):
        try:
            d = date(y, mo, int(m.group("d")))
        except ValueError:
            return None
        return d, d
    return date(y, mo, 1), _month_end(y, mo)


def _publication_date(published_at: str | None) -> date | None:
    if not published_at:
        return None
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", published_at.strip())
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _int(s: str) -> int | None:
    if s is None:
        return None
    if re.fullmatch(r"[〇零○一二三四五六七八九]{4}", s):  # 二〇一九: digit by digit
        return int("".join(str("〇一二三四五六七八九".index(c)) if c not in "零○" else "0" for c in s))
    v = _numeral_value(s)
    return None if v is None else int(v)


def _month_end(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _year_of(yr: str | None, pub: date | None) -> tuple[int | None, bool]:
    """(year, inferred): inferred when the phrase names no year of its own."""
    if yr is None or yr == "":
        return (pub.year if pub else None), True
    word = yr.rstrip("度")
    if word in ("今年", "本年"):
        return (pub.year if pub else None), False
    if word in ("去年", "上年"):
        return (pub.year - 1 if pub else None), False
    if word == "前年":
        return (pub.year - 2 if pub else None), False
    return _int(word.rstrip("年")), False


def _span(g: dict, y: int) -> tuple[date, date] | None:
    """The dates an atom covers within year y."""
    if g.get("half"):
        return (date(y, 1, 1), date(y, 6, 30)) if g["half"] == "上半年" else (date(y, 7, 1), date(y, 12, 31))
    if g.get("q"):
        q = g["q"]
        n = _int(q.strip("第前季度"))
        if n is None or not 1 <= n <= 4:
            return None
        if q.startswith("前"):
            return date(y, 1, 1), _month_end(y, 3 * n)
        return date(y, 3 * n - 2, 1), _month_end(y, 3 * n)
    if g.get("mon"):
        m = _int(g["mon"])
        if m is None or not 1 <= m <= 12:
            return None
        if g.get("day"):
            d = _int(g["day"])
            if d is None or d > calendar.monthrange(y, m)[1] or d < 1:
                return None
            return date(y, m, d), date(y, m, d)
        part = g.get("part")
        last = calendar.monthrange(y, m)[1]
        if part == "上中旬":
            return date(y, m, 1), date(y, m, 20)
        if part == "中下旬":
            return date(y, m, 11), date(y, m, last)
        if part in ("上旬", "初"):
            return date(y, m, 1), date(y, m, 10)
        if part in ("中旬", "中"):
            return date(y, m, 11), date(y, m, 20)
        if part in ("下旬", "底", "末"):
            return date(y, m, 21), date(y, m, last)
        return date(y, m, 1), date(y, m, last)
    if g.get("yend"):
        return (date(y, 1, 1), date(y, 1, 31)) if g["yend"] == "初" else (date(y, 12, 1), date(y, 12, 31))
    return date(y, 1, 1), date(y, 12, 31)


def _resolve_atom(g: dict, pub: date | None) -> tuple[date, date] | None:
    if not (g.get("yr") or g.get("half") or g.get("q") or g.get("mon") or g.get("yend")):
        return None
    y, inferred = _year_of(g.get("yr"), pub)
    if y is None or not 1900 <= y <= 2100:
        return None
    span = _span(g, y)
    if span and inferred and pub and span[0] > pub:
        span = _span(g, y - 1)  # 截至10月下旬 in a March post: last October
    return span


# a month's or year's end written alone (9月底, 2019年底, 年末) marks the state at that day
_POINT_END = re.compile(r"(?:底|末)$")
_SEP_RE = re.compile(_SEP)
_THIS_YEAR = re.compile(r"今年度?|本年度?")

_DOTTED = re.compile(r"(?<![\d.])((?:19|20)\d\d)[-./](1[0-2]|0?[1-9])(?:[-./](3[01]|[12]\d|0?[1-9]))?(?![\d.])")
_RELATIVE = re.compile(r"本月|上个?月|昨天|昨日|今天|今日")


# The characters a date phrase (_DOTTED, _RELATIVE, _ATOM) can start with.
_PHRASE_START = re.compile(r"[\d〇零○一二两三四五六七八九十今去前本上下第年昨]")


def _phrase_at(n: str, pos: int, pub: date | None, year: int | None):
    """A date phrase starting at n[pos]: (end, first, last, year) or None.
    ``year``: for the second half of a range, the year of the first half, which
    a phrase naming no year of its own shares (4月18日至5月2日)."""
    m = _DOTTED.match(n, pos)
    if m:
        y, mo = int(m.group(1)), int(m.group(2))
        if m.group(3):
            try:
                d = date(y, mo, int(m.group(3)))
            except ValueError:
                return None
            return m.end(), d, d, y
        return m.end(), date(y, mo, 1), _month_end(y, mo), y
    m = _RELATIVE.match(n, pos)
    if m:
        if not pub:
            return None
        w = m.group()
        if w == "本月":
            return m.end(), pub.replace(day=1), _month_end(pub.year, pub.month), pub.year
        if w.startswith("上"):
            prev = pub.replace(day=1) - timedelta(days=1)
            return m.end(), prev.replace(day=1), prev, prev.year
        d = pub - timedelta(days=1) if w.startswith("昨") else pub
        return m.end(), d, d, d.year
    m = _ATOM_RE.match(n, pos)
    if not m or m.end() == pos:
        return None
    g = m.groupdict()
    if g.get("yend") and not g.get("yr") and not n.startswith("年", m.start()):
        return None  # a bare 底/末/初 is no date
    if year is not None and not g.get("yr"):
        if not (g.get("half") or g.get("q") or g.get("mon") or g.get("yend")):
            return None
        span = _span(g, year)
    else:
        span = _resolve_atom(g, pub)
    if not span:
        return None
    return m.end(), span[0], span[1], span[0].year


@dataclass
class _Found:
    start: int
    end: int
    role: str            # "end" | "start" | "range" | "single" | "now"
    first: date | None
    last: date | None
    running: bool = True  # an anchor that makes the figure a running total (截至, 以来)


def _shift_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _scan(n: str, pub: date | None) -> list[_Found]:
    found: list[_Found] = []
    taken = [False] * len(n)

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(f: _Found):
        for i in range(f.start, f.end):
            taken[i] = True
        found.append(f)

    for m in _NOW_END.finditer(n):
        if pub:
            take(_Found(m.start(), m.end(), "end", None, pub))
    if _TIBETAN.search(n):
        _scan_tibetan(n, pub, free, take)
    # ranges first: their halves are not periods of their own
    for m in _DAY_RANGE_RE.finditer(n):
        g = {k: v for k, v in m.groupdict().items()}
        a = _resolve_atom(g, pub)
        if not a or not g.get("mon") or not g.get("day") or not free(m.start(), m.end()):
            continue
        bmon = _int(g["bmon"][:-1]) if g.get("bmon") else a[0].month
        bday = _int(g["bday"])
        try:
            b = date(a[0].year, bmon, bday)
        except (TypeError, ValueError):
            continue
        if b < a[0]:
            continue
        take(_Found(m.start(), m.end(), "range", a[0], b))
    for m in _MONTH_RANGE_RE.finditer(n):
        if not free(m.start(), m.end()) or (m.start() and n[m.start() - 1].isdigit()):
            continue
        y, inferred = _year_of(m.group("yr"), pub)
        m1, m2 = _int(m.group("m1")), _int(m.group("m2"))
        if y is None or not (m1 and m2 and 1 <= m1 < m2 <= 12):
            continue
        if inferred and pub and date(y, m1, 1) > pub:
            y -= 1
        take(_Found(m.start(), m.end(), "range", date(y, m1, 1), _month_end(y, m2)))
    for m in _QUARTER_RANGE_RE.finditer(n):
        y, _ = _year_of(m.group("yr"), pub)
        q1, q2 = _int(m.group("q1")), _int(m.group("q2"))
        if y is None or not free(m.start(), m.end()) or not (q1 and q2 and 1 <= q1 < q2 <= 4):
            continue
        take(_Found(m.start(), m.end(), "range", date(y, 3 * q1 - 2, 1), _month_end(y, 3 * q2)))
    for m in _FIRST_MONTHS_RE.finditer(n):
        y, _ = _year_of(m.group("yr"), pub)
        k = _int(m.group("k"))
        if y is None or not free(m.start(), m.end()) or not (k and 1 <= k <= 12):
            continue
        take(_Found(m.start(), m.end(), "range", date(y, 1, 1), _month_end(y, k)))
    for m in _YEAR_RANGE_RE.finditer(n):
        y1, y2 = _int(m.group("y1")), _int(m.group("y2"))
        if not free(m.start(), m.end()) or not (y1 and y2 and 1900 <= y1 < y2 <= 2100):
            continue
        take(_Found(m.start(), m.end(), "range", date(y1, 1, 1), date(y2, 12, 31)))
    for m in _RECENT.finditer(n):
        if not free(m.start(), m.end()) or not pub:
            continue
        if m.group("half") or m.group("half2"):
            k, unit = 6, "个月"
        else:
            k = _int(m.group("n1") or m.group("n2"))
            unit = m.group("u1") or m.group("u2")
        if not k:
            continue
        if unit.startswith("年"):
            first = _shift_months(pub, 12 * k)
        elif "月" in unit:
            first = _shift_months(pub, k)
        elif unit in ("周", "星期"):
            first = pub - timedelta(weeks=k)
        else:
            first = pub - timedelta(days=k)
        take(_Found(m.start(), m.end(), "start", first, pub, running=m.group().endswith("来")))
    def place(a: int, b: int, first: date, last: date, year: int | None) -> int:
        """Give a date phrase at n[a:b] its role; returns where reading resumes."""
        if _COMPARED.match(n, b) or _COMPARED_BEFORE.search(n, max(0, a - 2), a):
            return b  # 较去年同期: the comparison base, not the period
        if n.startswith("前", b) and not n.startswith("前三季度", b):
            return b  # 年底前完成: a deadline, not the period of a figure
        if _PLANNED_BEFORE.search(n, max(0, a - 4), a):
            return b  # 将于7月启动: a plan
        role, begin, end = "single", a, b
        anchor = _END_BEFORE.search(n, max(0, a - 6), a)
        if anchor:
            take(_Found(anchor.start(), b, "end", first, last))
            return b
        if _POINT_END.search(n, a, b) and not _START_BEFORE.search(n, max(0, a - 3), a) \
                and not _SEP_RE.match(n, b) and not _START_AFTER.match(n, b):
            # 9月底，…全面完成采集，采集率达到百分之百 · 截至 left out: the state by that day
            take(_Found(a, b, "end", None, last))
            return b
        if _THIS_YEAR.fullmatch(n, a, b) and pub and last > pub:
            last = pub  # 今年累计采集 · 今年新增: this year so far
        anchor = _START_BEFORE.search(n, max(0, a - 3), a)
        if anchor:
            role, begin = "start", anchor.start()
        # 2019年12月至2020年3月 · 4月至6月 · 2019.5.1-2019.6.30: a range of two phrases
        sep = re.match(_SEP, n[b:])
        if sep and year is not None:
            other = _phrase_at(n, b + sep.end(), pub, year)
            if other and other[2] >= first:
                take(_Found(begin, other[0], "range", first, other[2]))
                return other[0]
        after = _START_AFTER.match(n, end)
        if after:
            role, end = "start", after.end()
        if role == "start":
            last = pub
        take(_Found(begin, end, role, first, last, running=role == "start"))
        return end

    pos = 0
    while pos < len(n):
        start = _PHRASE_START.search(n, pos)  # skip ahead: no date phrase starts elsewhere
        if start is None:
            break
        pos = start.start()
        if taken[pos] or (pos and (n[pos - 1].isdigit() or n[pos - 1] == "第")):
            pos += 1
            continue
        hit = _phrase_at(n, pos, pub, None)
        if not hit or not free(pos, hit[0]):
            pos += 1
            continue
        b, first, last, year = hit
        pos = place(pos, b, first, last, year)
    for m in _SINCE_WORK.finditer(n):  # 自开展工作以来: since an undated start
        if free(m.start(), m.end()) and pub:
            take(_Found(m.start(), m.end(), "start", None, pub))
    for m in _NOW.finditer(n):
        if free(m.start(), m.end()) and pub:
            take(_Found(m.start(), m.end(), "now", None, pub))
    found.sort(key=lambda f: f.start)
    return found


def _scan_tibetan(n: str, pub: date | None, free, take) -> None:
    for m in _BO_DATE.finditer(n):
        if m.end() == m.start() or not free(m.start(), m.end()):
            continue
        span = _bo_date(m, pub)
        if not span:
            continue
        until, since = _BO_UNTIL.match(n, m.end()), _BO_FROM.match(n, m.end())
        if since and not since.group("now"):
            # X ནས Y བར: from X until Y, Y a date or a bare day of X's month
            later = _bo_range_end(n, since.end(), span[0], pub)
            if later is not None:
                last, stop = later
                take(_Found(m.start(), stop, "range", span[0], last))
                continue
        if until:
            take(_Found(m.start(), until.end(), "end", None, span[1]))
        elif since and pub:
            take(_Found(m.start(), since.end(), "start", span[0], pub))
        else:
            end = m.end()
            while end > m.start() and (n[end - 1].isspace() or n[end - 1] == _T):
                end -= 1
            take(_Found(m.start(), end, "single", span[0], span[1]))
    for m in _BO_NOW_END.finditer(n):
        if pub and free(m.start(), m.end()):
            take(_Found(m.start(), m.end(), "end", None, pub))
    for m in _BO_THIS_YEAR.finditer(n):
        if pub and free(m.start(), m.end()):
            take(_Found(m.start(), m.end(), "single", date(pub.year, 1, 1), pub))  # this year so far


# No date phrase runs across a clause break, so a sentence is scanned clause by clause
# and each clause's phrases are remembered: a caller resolving every prefix of a long
# sentence (one per figure) then does linear work, not quadratic.
_CLAUSE_BREAK = re.compile(r"[，,；;。！？!?\n]")


@functools.lru_cache(maxsize=8192)
def _scan_clause(clause: str, pub: date | None) -> tuple[_Found, ...]:
    return tuple(_scan(clause, pub))


def _scan_clauses(n: str, pub: date | None) -> list[_Found]:
    found: list[_Found] = []
    a = 0
    for m in _CLAUSE_BREAK.finditer(n):
        if m.start() > a:
            found += [replace(f, start=f.start + a, end=f.end + a) for f in _scan_clause(n[a:m.start()], pub)]
        a = m.end()
    if a < len(n):
        found += [replace(f, start=f.start + a, end=f.end + a) for f in _scan_clause(n[a:], pub)]
    return found


def resolve_period(sentence: str, published_at: str | None) -> Period:
    """The period the figures of ``sentence`` cover (see the module docstring).

    ``published_at``: ISO 8601, e.g. "2019-05-21T10:32:00+08:00" (its calendar
    date is the Beijing date), or None."""
    if not sentence:
        return Period(None, None, None, False)
    n = normalise(sentence)
    cumulative = bool(_CUMULATIVE.search(n))
    pub = _publication_date(published_at)
    found = _scan_clauses(n, pub)
    by_role = {}
    for f in found:
        by_role.setdefault(f.role, f)
    picked: list[_Found]
    if "end" in by_role:
        picked = [f for f in (by_role.get("start"), by_role["end"]) if f]
        first = by_role["start"].first if "start" in by_role else None
        last = by_role["end"].last
        cumulative = True
        kind = "end"
        year = next((f for f in found if f.role == "single" and last is not None and f.first <= last <= f.last
                     and (f.first.month, f.first.day, f.last.month, f.last.day) == (1, 1, 12, 31)), None)
        if first is None and year is not None:
            # 截至12月25日，全州2020年共采集…: the year named with the end is where it starts
            picked.append(year)
            first = year.first
    elif "start" in by_role:
        picked = [by_role["start"]]
        first, last = picked[0].first, picked[0].last
        cumulative = cumulative or picked[0].running
        kind = "start"
    elif "range" in by_role:
        picked = [by_role["range"]]
        first, last = picked[0].first, picked[0].last
        kind = "range"
    elif "single" in by_role:
        picked = [by_role["single"]]
        first, last = picked[0].first, picked[0].last
        kind = "single"
    elif "now" in by_role:
        picked = [by_role["now"]]
        first, last = None, picked[0].last
        kind = "now"
    else:
        return Period(None, None, None, cumulative)
    if first and last and first > last:  # 自2020年起…截至2019年底: no consistent reading
        first = None
    picked.sort(key=lambda f: f.start)
    text = "…".join(sentence[f.start:f.end] for f in picked)
    return Period(
        start=first.isoformat() if first else None,
        end=last.isoformat() if last else None,
        text=text,
        cumulative=cumulative,
        kind=kind,
    )
