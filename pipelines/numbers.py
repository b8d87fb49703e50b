"""Figures as police posts write them: 17,194 · 1.7万余 · 近两万 · 2至3万 · 八成 · 百分之九十八.

``find_quantities`` reads every quantity in a sentence with its span, value
bounds and qualifier; it skips what only looks like one (years, dates, times,
ordinals, list markers, idioms such as 千家万户). Pure Chinese numerals are
read by cn2an; everything around them (余/多/近/约, thousands separators,
``1.7万`` and ``1万2千`` mixes, 百分之/成/分之, ranges, vague 数千) is ours,
because cn2an refuses or misreads those forms. Tibetan figures (Arabic or
Tibetan digits) take their qualifier after them as a syllable of its own:
``8600 ལྷག`` (more than), ``5000 ཙམ`` (about); ``བརྒྱ་ཆ་ 96`` is 96 per cent;
a figure after ལོ (year), ཟླ (month), ཚེས (day) is a date.
Digits a table or a CMS split with spaces (8 904份, 1 2 0 0 0余份, 1.2 万份) are
one figure when a counter, 余/多, a magnitude or % follows (``_join_spaced``).

Offsets are those of the text passed in: the text is normalised per character
(``normalise``) without changing its length, so a span found in the
normalised copy is also the span in the original.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import cn2an

from pipelines.tibetan import SYLLABLE_END, SYLLABLE_START, TSHEG


@dataclass(frozen=True)
class Quantity:
    start: int
    end: int                 # span in the text passed in: figure incl. qualifiers and unit
    text: str                # that span as written
    measure: str             # "count" | "rate"
    value_min: float | None  # counts: the number; rates: a fraction 0..1
    value_max: float | None  # None when open-ended (余/多/逾/以上)
    approximate: bool        # anything not exact
    qualifier: str           # exact | at_least | at_most | approx | range | vague
    unit: str | None         # 份 条 人 人次 名 ... as written, minus qualifiers; None for rates
    kind: str                # count | rate | growth | age | other


# -- normalisation -----------------------------------------------------------

# NFKC would turn ① into 1 and ² into 2: those are list markers and exponents,
# not figures, so they stay as written.
_KEEP_AS_IS = (
    (0x00B2, 0x00B3), (0x00B9, 0x00B9), (0x2070, 0x209F),  # super/subscripts
    (0x2460, 0x24FF), (0x3251, 0x325F), (0x32B1, 0x32BF),  # circled/parenthesised numbers
    (0x2776, 0x2793),                                      # dingbat circled digits
)


@lru_cache(maxsize=4096)
def _nfkc_char(ch: str) -> str:
    cp = ord(ch)
    for lo, hi in _KEEP_AS_IS:
        if lo <= cp <= hi:
            return ch
    n = unicodedata.normalize("NFKC", ch)
    return n if len(n) == 1 else ch


def normalise(text: str) -> str:
    """NFKC per character, same length as ``text`` (characters whose NFKC form
    is longer than one character are kept as they are), so offsets stay valid:
    ``１７，１９４`` -> ``17,194``, ``９５％`` -> ``95%``, ``～`` -> ``~``."""
    if text.isascii():
        return text
    return text.translate(_NFKC_TABLE)


class _NfkcTable(dict):
    """str.translate table filled on first sight of each character (C-speed after);
    bounded, so a page of every code point cannot grow it without limit."""

    def __missing__(self, cp: int) -> str:
        out = _nfkc_char(chr(cp))
        if len(self) < 65536:
            self[cp] = out
        return out


_NFKC_TABLE = _NfkcTable()


# -- numerals ----------------------------------------------------------------

_CN_DIGIT = {
    "零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "幺": 1, "二": 2, "贰": 2, "两": 2, "俩": 2,
    "三": 3, "叁": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
    "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_SMALL_MAG = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_CN_BIG_MAG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CN_MAG = {**_CN_SMALL_MAG, **_CN_BIG_MAG}
# cn2an knows the simplified forms only
_TO_SIMPLIFIED = str.maketrans({"萬": "万", "億": "亿", "拾": "十", "佰": "百", "仟": "千", "幺": "一", "俩": "两", "○": "〇"})

_DIGITS_CN = "".join(_CN_DIGIT)
_MAGS_CN = "".join(_CN_MAG)
# JOIN stands, in the reader's normalised copy only, for a space the writer put
# inside a figure (8 904份, 1 2 0 0 0余份, 1.2 万份, 3. 1万条): see _join_spaced.
JOIN = "\u2063"
_ARABIC = (r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\u2063\d+)*)(?:\.\u2063?\d+)?"
           r"(?:\u2063(?=[万千亿萬億]))?")
_CHINESE = rf"[{_DIGITS_CN}{_MAGS_CN}]+(?:点[{_DIGITS_CN}]+[{_MAGS_CN}]*)?"
# one numeral: arabic and chinese pieces in any mix (1万2千, 1.7万, 一万七千), and
# 余/多 between a figure and its magnitude (1.7余万, 十余万)
_NUMERAL = rf"(?:{_ARABIC}|{_CHINESE})+(?:[余多][{_MAGS_CN}]+)?"
_NUMERAL_RE = re.compile(_NUMERAL)


def _dec(x) -> Decimal:
    return x if isinstance(x, Decimal) else Decimal(str(x))


def _mixed_value(s: str) -> Decimal | None:
    """Positional reading of a numeral mixing arabic pieces and Chinese
    magnitudes: 1万2千 = 12000 (not 22000), 1.7万 = 17000, 104万 = 1040000,
    一万七 = 17000 (a bare digit after a magnitude is the next place down)."""
    total = Decimal(0)      # everything above the current 万/亿 section
    section = Decimal(0)    # below 万
    current: Decimal | None = None
    last_mag: int | None = None
    zero_seen = False
    pos = 0
    for m in re.finditer(rf"\d+(?:\.\d+)?|[{_DIGITS_CN}]+(?:点[{_DIGITS_CN}]+)?|[{_MAGS_CN}]", s):
        if m.start() != pos:
            return None
        pos = m.end()
        tok = m.group()
        if tok in _CN_MAG:
            mag = _CN_MAG[tok]
            if mag in (10**4, 10**8):
                if current is None and section == 0 and total == 0:
                    current = Decimal(1)  # 万 in 万余 / 上万
                if current is not None:
                    section += current
                if mag == 10**8:
                    total = (total + section) * mag
                else:
                    total += section * mag
                section = Decimal(0)
            else:
                section += (current if current is not None else Decimal(1)) * mag
            current = None
            last_mag = mag
            zero_seen = False
            continue
        if tok[0].isdigit():
            current = Decimal(tok)
            single = len(tok) == 1
        else:
            whole, _, frac = tok.partition("点")
            if set(whole) <= {"零", "〇"} and not frac:
                zero_seen = True
                continue
            if len(whole) > 1 and m.end() < len(s) and s[m.end()] in _CN_MAG:
                return None  # 两三千 is "two or three thousand", not 23000
            digits = "".join(str(_CN_DIGIT[c]) for c in whole)
            current = Decimal(digits + ("." + "".join(str(_CN_DIGIT[c]) for c in frac) if frac else ""))
            single = len(whole) == 1 and not frac
        # 一万七 / 1万2 / 两千五: a lone digit right after a magnitude is one place down
        if single and last_mag and last_mag >= 100 and not zero_seen and pos == len(s):
            current *= Decimal(last_mag) / 10
    if pos != len(s):
        return None
    if current is not None:
        section += current
    return total + section


def _chinese_value(s: str) -> Decimal | None:
    s = s.translate(_TO_SIMPLIFIED)
    if "点" not in s:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return _dec(cn2an.cn2an(s, "normal"))
        except (ValueError, KeyError, TypeError, IndexError):
            pass
    return _mixed_value(s)


def _numeral_value(s: str) -> Decimal | None:
    """Value of one numeral (no qualifiers), Decimal for exact arithmetic."""
    if not s:
        return None
    s = s.replace(JOIN, "")
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", s):
        s = s.replace(",", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", s):
        return Decimal(s)
    if "," in s:
        parts = re.fullmatch(rf"({_ARABIC})(.*)", s)
        if not parts:
            return None
        s = parts.group(1).replace(",", "") + parts.group(2)
    m = re.fullmatch(rf"(.+?)[余多]([{_MAGS_CN}]+)", s)  # 1.7余万 -> 1.7万
    if m:
        s = m.group(1) + m.group(2)
    if re.fullmatch(rf"[{_DIGITS_CN}{_MAGS_CN}]+", s):
        return _chinese_value(s)
    return _mixed_value(s)


def _as_float(d: Decimal | None) -> float | None:
    return None if d is None else float(d)


# -- rates -------------------------------------------------------------------

_PERCENT_PREFIX = {"百分之": Decimal(100), "千分之": Decimal(1000), "万分之": Decimal(10000)}


def _rate_value(s: str) -> Decimal | None:
    """95% · 95.6% · 百分之九十八 · 八成 · 三分之一 -> fraction."""
    s = s.strip()
    if s.endswith("%"):
        v = _numeral_value(s[:-1])
        return None if v is None else v / 100
    if s.endswith("‰"):
        v = _numeral_value(s[:-1])
        return None if v is None else v / 1000
    for prefix, base in _PERCENT_PREFIX.items():
        if s.startswith(prefix):
            rest = s[len(prefix):]
            v = Decimal(100) if rest == "百" else _numeral_value(rest)
            return None if v is None else v / base
    m = re.fullmatch(r"(.+)分之(.+)", s)
    if m:
        d, n = _numeral_value(m.group(1)), _numeral_value(m.group(2))
        if d and n is not None:
            return n / d
        return None
    m = re.fullmatch(rf"([{_DIGITS_CN}十1-9])成([{_DIGITS_CN}1-9])?", s)
    if m:  # 八成 0.8 · 九成五 0.95
        c, d = m.group(1), m.group(2)
        tenths = Decimal(int(c) if c.isdigit() else _CN_DIGIT.get(c, 10)) / 10
        if d:
            tenths += Decimal(int(d) if d.isdigit() else _CN_DIGIT[d]) / 100
        return tenths
    return None


_QUALIFIER_WORDS = re.compile(
    r"^(?:大约|约为|约计|约有|大概|约|将近|接近|近乎|近|逾|超过|超出|突破|超|多于|不少于|不低于|不超过|"
    r"不多于|不到|不足|少于|低于|上)|"
    r"(?:以上|以下|以内|左右|上下|有余|出头|开外|余|多|许|\+)$|"
    r"[\s\u0f0b]*(?:ལྷག|ཙམ|ཡས་མས)\u0f0b?$"   # Tibetan: more than, about
)


def parse_number(s: str) -> float | None:
    """The value of a figure written alone: ``17,194`` ``１７１９４`` ``1.7万``
    ``一万二千`` ``两万`` ``1万2千`` (12000) ``104万余`` (1040000, the qualifier
    dropped) ``95%`` (0.95) ``八成`` (0.8). None when it is not one number
    (ranges, 数千, text)."""
    if s is None:
        return None
    s = normalise(s).strip()
    if not s or s in _CN_MAG:  # 万 alone is a word; 万余 is a figure
        return None
    prev = None
    while prev != s:  # qualifiers and a counter on either side: 约1.7万余份
        prev = s
        unit = next((u for u in _UNITS if s.endswith(u) and len(s) > len(u)), None)
        if unit:
            s = s[: -len(unit)]
        s = _QUALIFIER_WORDS.sub("", s).strip()
    if not s:
        return None
    if s.endswith(("%", "‰")) or s.startswith(tuple(_PERCENT_PREFIX)) or "分之" in s or re.fullmatch(
            rf"[{_DIGITS_CN}十1-9]成[{_DIGITS_CN}1-9]?", s):
        return _as_float(_rate_value(s))
    if not _NUMERAL_RE.fullmatch(s):
        return None
    return _as_float(_numeral_value(s))


# -- finding quantities in running text --------------------------------------

# Counters, longest first; 余/多 are qualifiers, never part of the unit.
_COUNT_UNITS = (
    "人次", "户次", "台次", "份次", "条次", "架次", "场次", "批次", "车次", "辆次", "班次", "轮次", "人份",
    "名", "人", "份", "条", "例", "个", "枚", "组", "户", "次", "台", "件", "家", "所",
    "座", "支", "批", "套", "项", "起", "张", "幅", "本", "册", "场", "轮", "处", "辆",
    "部", "块", "头", "只", "位", "管", "袋", "盒", "类", "种", "宗", "对", "期",
)
_AGE_UNITS = ("周岁", "岁")
_OTHER_UNITS = (
    "万元", "亿元", "元", "平方公里", "平方米", "公里", "千米", "厘米", "毫米", "米",
    "公顷", "亩", "吨", "公斤", "千克", "斤", "克", "毫升", "升", "倍", "GB", "MB", "TB",
)
_UNITS = sorted(set(_COUNT_UNITS) | set(_AGE_UNITS) | set(_OTHER_UNITS),
                key=len, reverse=True)
# a figure followed by one of these is a date, time or duration, never a quantity
_TIME_WORDS = (
    "个工作日", "个小时", "个多月", "个月", "小时", "分钟", "周年", "年度", "年", "月", "日", "号",
    "时", "点", "分", "秒", "天", "周", "旬", "季度", "世纪", "届", "后", "代",
)
# 分之 / 百分点 start with 分/点 but are rates
_NOT_TIME = ("分之", "点位")

_PREFIXES = (  # (word, qualifier), longest first
    ("大约", "approx"), ("约为", "approx"), ("约计", "approx"), ("约有", "approx"),
    ("大概", "approx"), ("约", "approx"),
    ("将近", "at_most"), ("接近", "at_most"), ("近乎", "at_most"), ("不到", "at_most"),
    ("不足", "at_most"), ("少于", "at_most"), ("低于", "at_most"), ("近", "at_most"),
    ("超过", "at_least"), ("多于", "at_least"), ("高于", "at_least"), ("逾", "at_least"),
    ("超", "at_least"), ("突破", "at_least"), ("超出", "at_least"),
    ("不少于", "at_least"), ("不低于", "at_least"), ("不超过", "at_most"), ("不多于", "at_most"),
)
# longest first: 不少于 before 少于
_PREFIXES = tuple(sorted(_PREFIXES, key=lambda p: len(p[0]), reverse=True))
# only in front of a bare magnitude: 上万 过万 (上/过 are too common otherwise)
_MAG_PREFIXES = (("上", "at_least"), ("过", "at_least"))
_POSTFIXES = (  # after the unit (or the figure when there is none)
    ("以上", "at_least"), ("有余", "at_least"), ("出头", "at_least"), ("开外", "at_least"),
    ("以下", "at_most"), ("以内", "at_most"), ("之内", "at_most"), ("不到", "at_most"),
    ("左右", "approx"), ("上下", "approx"), ("前后", "approx"),
    ("余", "at_least"), ("多", "at_least"), ("许", "approx"), ("+", "at_least"),
)
# after a unit 余/多/许 belong to the next word (300名多民族群众, 10时许)
_POSTFIXES_AFTER_UNIT = ("以上", "有余", "出头", "开外", "以下", "以内", "之内", "不到", "左右", "上下")
_RANGE_SEP = re.compile(r"\s*(?:至|到|-|~|〜|—{1,2}|–|－)\s*")

# Tibetan: qualifiers follow the figure as their own syllable (ཁྲག་དཔེ་ 8600 ལྷག་བསྡུ་ལེན་བྱས།):
# ལྷག "more than" (= 余), ཙམ "about", ཡས་མས "more or less". The tsheg ་ ends a syllable,
# so ལྷག must not run on into a longer word.
_TSHEG = TSHEG
_BO_END = SYLLABLE_END
_BO_POSTFIX = re.compile(rf"[ {_TSHEG}]*(?P<w>ལྷག|ཙམ|ཡས་མས){_BO_END}")
_BO_POSTFIX_QUAL = {"ལྷག": "at_least", "ཙམ": "approx", "ཡས་མས": "approx"}
# བརྒྱ་ཆ་ 96: "96 per hundred"
_BO_PERCENT = re.compile(rf"{SYLLABLE_START}བརྒྱ་ཆ{_TSHEG}?\s*(?={_ARABIC})")
# a figure after ལོ (year), ཟླ (month), ཚེས (day of month) is a date: སྤྱི་ལོ་ ༢༠༡༨ · ཟླ་ ༨ པ
_BO_DATE_BEFORE = re.compile(rf"{SYLLABLE_START}(?:ལོ|ཟླ|ཟླ{_TSHEG}བ|ཚེས|ཚེས{_TSHEG}གྲངས)[ {_TSHEG}]*$")

_GROWTH_NOUNS = re.compile(r"增幅|降幅|涨幅|增速|增长率|同比|环比|百分点")
_GROWTH_VERBS = re.compile(r"增长|增加|上升|提高|提升|下降|减少|降低|回落|下滑|攀升|翻")
_LEVEL_AFTER_VERB = re.compile(r"[到至为达]")
_CLAUSE_BREAK = re.compile(r"[,，。;；!！?？:：\n]")

# idioms and slogans that contain numerals but say no quantity
_NOT_NUMERAL = rf"[^\W\d_{_DIGITS_CN}{_MAGS_CN}]"
_IDIOMS = re.compile(
    r"千家万户|千方百计|万无一失|千辛万苦|万众一心|千千万万|一心一意|一五一十|四面八方|五湖四海|"
    r"三令五申|七嘴八舌|十全十美|百花齐放|一草一木|一点一滴|千里迢迢|万水千山|千山万水|万家灯火|"
    r"三番五次|九牛一毛|一目了然|一举两得|三五成群|三天两头|百姓|百家|"
    rf"(?<![\d{_DIGITS_CN}{_MAGS_CN}])(?:万一|一一)|千万(?![份条人名例个次])|万万|"
    r"统一|唯一|同一|划一|专一|单一|逐一|不一|合一|归一|之一|"
    r"百分百|十分|万分(?!之)|一成不变|一条龙|一盘棋|一张网|一张图|一站式|一把手|一体化|一线|一律|一致|"
    rf"一{_NOT_NUMERAL}一{_NOT_NUMERAL}|"  # 一人一档 一村一警 (not 一万一千)
    r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|"  # 2019-05-21
    r"\d{1,2}:\d{2}(?::\d{2})?|"       # 10:30
    r"\d{3,4}-\d{7,8}|"                # phone numbers
    r"(?<![\d.])\d{11,}"               # mobile / ID numbers
)
_VAGUE = re.compile(
    rf"(?P<cq>成千上万|成百上千|成千|成百)|"
    rf"(?P<pair>[一两二三四五六七八][二三四五六七八九])(?P<pmag>十万|百万|千万|十|百|千|万|亿)|"
    rf"(?:好)?(?:数|几)(?P<mag>十万|百万|千万|十|百|千|万|亿)(?![{_DIGITS_CN}])|"
    rf"(?P<tens>[{_DIGITS_CN}]?十)几(?P<tmag>[{_MAGS_CN}]*)"
)
_RATE = re.compile(
    rf"(?P<pct>(?:百分之|千分之|万分之)(?:百|(?:{_ARABIC}|{_CHINESE})))|"
    rf"(?P<frac>(?:\d+|[{_DIGITS_CN}{_MAGS_CN}]+)分之(?:\d+|[{_DIGITS_CN}{_MAGS_CN}]+))|"
    rf"(?P<cheng>(?<![{_DIGITS_CN}{_MAGS_CN}\d.])[一二两三四五六七八九十1-9]成(?![员立果绩功本效就熟都长型品交为套批年])"
    rf"(?:[一二三四五六七八九](?![{_DIGITS_CN}{_MAGS_CN}成]))?)|"   # 九成五: 95%
    rf"(?P<half>超过半数|超半数|半数以上|过半数|过半|近半数|近一半|半数)"
)
# a share qualified before 占: 约占应采人数的四分之三 · 近占全县人口的一半 · 超过占… is not Chinese
_SHARE_QUALIFIED = re.compile(r"(?P<q>大约|(?<![预签邀相制公节条契违集特婚誓])约|将近|接近|(?<![最附邻靠临就亲贴])近)占[^,，。;；:：0-9%]{0,16}?的?$")
_BEFORE_HOTLINE = re.compile(r"(?:拨打|热线|电话|号码|报警|举报)\s*$")
_HOTLINE_AFTER = re.compile(r"(?:报警|接处警|指挥|宣传日|平台|警情|联动|社会服务|警察节)")


def _match_word(text: str, pos: int, words) -> str | None:
    for w in words:
        if text.startswith(w, pos):
            return w
    return None


def _prefix_before(n: str, start: int, bare_magnitude: bool) -> tuple[int, str | None]:
    for word, qual in _PREFIXES:
        if n.endswith(word, 0, start):
            s = start - len(word)
            if word == "近" and s > 0 and n[s - 1] in "最附邻靠临就亲贴":
                continue
            if word == "约" and s > 0 and n[s - 1] in "预签邀相制公节条契违集特婚誓":
                continue  # 预约300人 is an appointment, not "about 300"
            if word == "超" and s > 0 and n[s - 1] in "赶":
                continue
            return s, qual
    if bare_magnitude:
        for word, qual in _MAG_PREFIXES:
            if n.endswith(word, 0, start):
                return start - len(word), qual
    return start, None


def _kind_from_context(n: str, start: int) -> str | None:
    """growth when the figure is a change (同比增长15%, 较去年增加3000份),
    not when a verb reaches a level (提高到95%, 增长至3万份)."""
    window = n[max(0, start - 12):start]
    breaks = list(_CLAUSE_BREAK.finditer(window))
    if breaks:  # the figure's own clause only
        window = window[breaks[-1].end():]
    if _GROWTH_NOUNS.search(window):
        return "growth"
    if re.search(r"[较比]", window) and re.search(r"[多少](?:出|了)?(?:采集|录入|入库)?$", window):
        return "growth"  # 比去年多3000份
    verbs = list(_GROWTH_VERBS.finditer(window))
    if verbs and not _LEVEL_AFTER_VERB.search(window, verbs[-1].end()):
        return "growth"
    return None


@dataclass
class _Figure:
    start: int
    end: int                  # after the numeral and any inner 余/多
    value: Decimal | None
    numeral: str
    inner_qual: str | None    # 余/多 read inside or right after the numeral
    magnitude: str            # trailing 万/千/... of the numeral ("" when none)


def _read_figure(n: str, m: re.Match) -> _Figure:
    numeral = m.group()
    end = m.end()
    inner = "at_least" if re.search(r"[余多]", numeral) else None
    if end < len(n) and n[end] in "余多" and not n.startswith("多元", end):
        inner = "at_least"
        end += 1
    elif n.startswith((" 余", " 多"), end) and _unit_at(n, end + 2):  # 150 余条
        inner = "at_least"
        end += 2
    elif end < len(n) and n[end] == "来" and _unit_at(n, end + 1):  # 十来个; not 2万来自
        inner = "approx"
        end += 1
    mag = re.search(rf"[{_MAGS_CN}]+$", numeral)
    return _Figure(m.start(), end, _numeral_value(numeral), numeral, inner, mag.group() if mag else "")


def _is_time(n: str, pos: int) -> bool:
    if _match_word(n, pos, _NOT_TIME) or _match_word(n, pos, _AGE_UNITS):
        return False
    return _match_word(n, pos, _TIME_WORDS) is not None


def _skip_as_marker(n: str, fig: _Figure) -> bool:
    """Ordinals, list markers and codes: 第一 一是 1. (1) 其一 G318."""
    before = n[fig.start - 1] if fig.start else "\n"   # text edges count as line breaks
    after = n[fig.end] if fig.end < len(n) else "\n"
    if before in "第其之":
        return True
    if _BO_DATE_BEFORE.search(n, max(0, fig.start - 12), fig.start):
        return True  # ལོ་ ༢༠༡༨ · ཟླ་ ༨ པ: a year, a month
    if after == "是":
        return True
    if after in "、.)）" and (before in "(（,，。;；:：" or before.isspace()):
        return True
    if before in "(（" and after in ")）":
        return True
    if before in "-·•" and fig.start >= 2 and n[fig.start - 2].isdigit():
        return True
    if after in "·•":
        return True  # 5·21, 4·18专项行动
    if re.fullmatch(r"(?:19|20)\d\d", fig.numeral) and re.match(r"[-—~至到](?:19|20)\d\d(?!\d)", n[fig.end:]):
        return True  # 2019-2020: years, with or without 年
    if fig.numeral.isdigit() and len(fig.numeral) > 1 and fig.numeral.startswith("0"):
        return True  # area codes, serials
    if before.isascii() and before.isalpha() and not _unit_at(n, fig.end):
        return True  # G318, COVID-19 (but DNA1.7万份 is a figure)
    if after.isascii() and after.isalpha() and _match_word(n, fig.end, ("GB", "MB", "TB")) is None:
        return True  # 5G, 4K
    if _BEFORE_HOTLINE.search(n, max(0, fig.start - 6), fig.start) or _HOTLINE_AFTER.match(n, fig.end):
        return fig.numeral in {"110", "119", "120", "122", "12345", "12389", "12110"}
    return False


def _unit_at(n: str, pos: int) -> str | None:
    unit = _match_word(n, pos, _UNITS)
    if unit is None and pos < len(n) and n[pos] == " ":  # 17194 份 (spaces around figures in HTML text)
        unit = _match_word(n, pos + 1, _UNITS)
        return " " + unit if unit else None
    if unit == "条" and n.startswith("条龙", pos):
        return None
    if unit == "次" and n.startswith("次性", pos):
        return None
    if unit == "期" and n.startswith(("期间", "期末", "期中", "期初", "期限"), pos):
        return None  # 五一期间
    return unit


def _unit_kind(unit: str | None) -> str:
    if unit in _AGE_UNITS:
        return "age"
    if unit in _OTHER_UNITS:
        return "other"
    return "count"


def _tail(n: str, pos: int) -> tuple[int, str | None, str | None]:
    """Unit and postfix qualifier after a figure: (end, unit, qualifier)."""
    qual = None
    unit = _unit_at(n, pos)
    if unit:
        pos += len(unit)
    post = _match_word(n, pos, _POSTFIXES_AFTER_UNIT if unit else [w for w, _ in _POSTFIXES])
    if post == "多" and n.startswith("多元", pos) or post == "前后" and not unit:
        post = None
    if post:
        qual = dict(_POSTFIXES)[post]
        pos += len(post)
        if unit is None:  # 3000余份 / 3000余 份: the counter after the qualifier
            unit = _unit_at(n, pos)
            if unit:
                pos += len(unit)
    elif unit is None:
        bo = _BO_POSTFIX.match(n, pos)
        if bo:
            qual = _BO_POSTFIX_QUAL[bo.group("w")]
            pos = bo.end()
    return pos, (unit.strip() if unit else None), qual


def _combine(*quals: str | None) -> str:
    qs = [q for q in quals if q]
    for q in ("at_least", "at_most", "approx"):
        if q in qs:
            return q
    return "exact"


def _bounds(value: Decimal, qual: str) -> tuple[Decimal | None, Decimal | None]:
    if qual == "at_least":
        return value, None
    if qual == "at_most":
        return None, value
    return value, value


# a run of digit groups separated by single spaces (one pass, no backtracking,
# so "1 1 1 …" a megabyte long costs one scan); what it means is decided below
_SPACED_RUN = re.compile(r"\d+(?: \d+)+")
_DECIMAL_SPACE = re.compile(r"(?<![\d.])\d+\. (?=\d+[万亿萬億])")   # 3. 1万条
_SPACE_BEFORE_MAG = re.compile(r"(?<=\d) (?=[万亿萬億])")              # 1.2 万份
_AFTER_SPACED = "余多万千亿萬億%‰"
_MAX_SPACED_DIGITS = 13


def _ends_figure(n: str, pos: int) -> bool:
    """A figure can stop here: a counter, 余/多, a magnitude or % follows
    (after at most one space)."""
    if pos < len(n) and n[pos] == " ":
        pos += 1
    if pos >= len(n):
        return False
    return n[pos] in _AFTER_SPACED or _match_word(n, pos, _UNITS) is not None


def _spaced_groups(groups: list[str]) -> int:
    """How many trailing groups form one figure: thousands (8 904, 12 000 000)
    or single digits (1 2 0 0 0); 0 when none."""
    k = len(groups) - 1
    if len(groups[k]) == 3:
        while k > 0 and len(groups[k]) == 3:
            k -= 1
        if len(groups[k]) <= 3:
            return len(groups) - k
        return len(groups) - k - 1 if len(groups) - k - 1 >= 2 else 0
    if len(groups[k]) == 1:
        while k > 0 and len(groups[k - 1]) == 1:
            k -= 1
        return len(groups) - k if len(groups) - k >= 2 else 0
    return 0


def _join_spaced(n: str) -> str:
    """Mark with JOIN the spaces a writer (or a CMS) put inside figures, keeping
    the length: 8 904份, 2 400余人次, 1 2 0 0 0余份, 7 8 4 0份, 1.2 万份, 3. 1万条.
    Only runs followed by a counter, 余/多, a magnitude or % are figures, so
    2019 年 5 月 and two numbers that merely sit side by side stay apart."""
    if " " not in n:
        return n
    chars = None
    for m in _SPACED_RUN.finditer(n):
        if m.start() and n[m.start() - 1] in ".,":
            continue  # 3.5 1200: a decimal's tail, not a figure's head
        if not _ends_figure(n, m.end()):
            continue
        groups = m.group().split(" ")
        take = _spaced_groups(groups)
        if take < 2 or sum(len(g) for g in groups[-take:]) > _MAX_SPACED_DIGITS:
            continue  # no figure has that many digits: a table of codes, or hostile input
        if chars is None:
            chars = list(n)
        first = len(groups) - take
        pos = m.start() + sum(len(g) + 1 for g in groups[:first])
        for g in groups[first:-1]:
            pos += len(g)
            chars[pos] = JOIN
            pos += 1
    for rx in (_DECIMAL_SPACE, _SPACE_BEFORE_MAG):
        for m in rx.finditer(n):
            if rx is _DECIMAL_SPACE and m.start() and n[m.start() - 1] not in " \t" and not n[m.start() - 1].isalnum():
                continue  # "\n3. 1万条", "；3. …": a list marker before a figure
            if rx is _DECIMAL_SPACE and not m.start():
                continue
            if chars is None:
                chars = list(n)
            chars[m.end() - 1] = JOIN
    return "".join(chars) if chars is not None else n


class _Reader:
    def __init__(self, text: str):
        self.text = text
        self.n = _join_spaced(normalise(text).replace(JOIN, " "))
        self.out: list[Quantity] = []
        self.masked = [False] * len(self.n)
        for m in _IDIOMS.finditer(self.n):
            for i in range(m.start(), m.end()):
                self.masked[i] = True

    def add(self, start, end, measure, vmin, vmax, qual, unit, kind):
        approximate = qual != "exact"
        self.out.append(Quantity(
            start=start, end=end, text=self.text[start:end], measure=measure,
            value_min=_as_float(vmin), value_max=_as_float(vmax), approximate=approximate,
            qualifier=qual, unit=unit, kind=kind,
        ))

    def run(self) -> list[Quantity]:
        n = self.n
        pos = 0
        while pos < len(n):
            if self.masked[pos]:
                pos += 1
                continue
            end = self._rate(pos) or self._vague(pos) or self._count(pos)
            pos = end if end else pos + 1
        return self.out

    # rates: 95% 百分之九十八 八成 三分之一 过半, and 5个百分点
    def _rate(self, pos: int) -> int | None:
        n = self.n
        m = _BO_PERCENT.match(n, pos)
        if m:
            num = _NUMERAL_RE.match(n, m.end())
            v = _numeral_value(num.group()) if num else None
            if v is not None:
                return self._finish_rate(pos, num.end(), v / 100, None)
        m = _RATE.match(n, pos)
        if m:
            if m.group("half"):
                word = m.group("half")
                qual = "at_most" if word.startswith("近") else ("exact" if word == "半数" else "at_least")
                value = Decimal("0.5")
            else:
                value = _rate_value(m.group())
                qual = None
                if value is None:
                    return None
            return self._finish_rate(pos, m.end(), value, None, inner_qual=qual)
        m = _NUMERAL_RE.match(n, pos)
        if not m or (pos and (n[pos - 1].isdigit() or n[pos - 1] in ".\u2063")):
            return None
        after = m.end()
        pct_points = _match_word(n, after, ("个百分点", "百分点"))
        if pct_points:
            v = _numeral_value(m.group())
            if v is None:
                return None
            return self._finish_rate(pos, after + len(pct_points), v / 100, None, force_kind="growth")
        if after < len(n) and n[after] in "%‰":
            v = _numeral_value(m.group())
            if v is None:
                return None
            base = 100 if n[after] == "%" else 1000
            sep = _RANGE_SEP.match(n, after + 1)
            m2 = _NUMERAL_RE.match(n, sep.end()) if sep else None
            if m2 and m2.end() < len(n) and n[m2.end()] == n[after]:  # 90%至95%
                v2 = _numeral_value(m2.group())
                if v2 is not None and v < v2:
                    return self._finish_rate(pos, m2.end() + 1, v / base, v2 / base)
            return self._finish_rate(pos, after + 1, v / base, None)
        # 90-95% / 90%至95%: a range of rates
        sep = _RANGE_SEP.match(n, after)
        if sep:
            m2 = _NUMERAL_RE.match(n, sep.end())
            if m2 and m2.end() < len(n) and n[m2.end()] == "%":
                a, b = _numeral_value(m.group()), _numeral_value(m2.group())
                if a is not None and b is not None and a <= b:
                    return self._finish_rate(pos, m2.end() + 1, a / 100, b / 100)
        if after < len(n) and n[after] == "倍":
            v = _numeral_value(m.group())
            if v is None:
                return None
            start, pq = _prefix_before(n, pos, False)
            end, _, post = _tail(n, after + 1)
            kind = _kind_from_context(n, start) or "other"
            qual = _combine(pq, post)
            lo, hi = _bounds(v, qual)
            self.add(start, end, "rate", lo, hi, qual, "倍", kind)
            return end
        return None

    def _finish_rate(self, pos, end, lo, hi, force_kind=None, inner_qual=None) -> int:
        n = self.n
        start, pq = _prefix_before(n, pos, False)
        post = _match_word(n, end, ("以上", "以下", "左右", "上下", "多"))
        pq2 = dict(_POSTFIXES)[post] if post else None
        if post:
            end += len(post)
        else:
            bo = _BO_POSTFIX.match(n, end)
            if bo:
                pq2, end = _BO_POSTFIX_QUAL[bo.group("w")], bo.end()
        if pq is None and inner_qual is None:
            share = _SHARE_QUALIFIED.search(n, max(0, start - 24), start)
            if share:  # 约占应采人数的四分之三: the qualifier stands before 占
                pq = dict(_PREFIXES)[share.group("q")]
        if hi is not None and hi != lo:
            qual = "range"
            vlo, vhi = lo, hi
        else:
            qual = _combine(pq, pq2, inner_qual)
            vlo, vhi = _bounds(lo, qual)
        kind = force_kind or _kind_from_context(n, start) or "rate"
        self.add(start, end, "rate", vlo, vhi, qual, None, kind)
        return end

    # 数千 几万 十几万 成千上万
    def _vague(self, pos: int) -> int | None:
        n = self.n
        m = _VAGUE.match(n, pos)
        if not m:
            return None
        if m.group("cq"):
            lo, hi = Decimal(100 if m.group("cq").startswith("成百") else 1000), None
        elif m.group("pair"):  # 两三千 三四万: neighbouring digits, an approximate range
            a, b = (_CN_DIGIT[c] for c in m.group("pair"))
            if b != a + 1 or (pos and n[pos - 1] in _DIGITS_CN + _MAGS_CN):
                return None
            mag = _numeral_value("一" + m.group("pmag"))
            lo, hi = a * mag, b * mag
        elif m.group("mag"):
            base = _numeral_value("一" + m.group("mag"))
            lo, hi = base, base * 10 - 1
        else:
            tens = _numeral_value(m.group("tens")) if m.group("tens") != "十" else Decimal(10)
            mag = _numeral_value("一" + m.group("tmag")) if m.group("tmag") else Decimal(1)
            if tens is None or mag is None:
                return None
            lo, hi = (tens + 1) * mag, (tens + 9) * mag
        start = pos
        end = m.end()
        if end < len(n) and n[end] in "余多":
            end += 1
            hi = None
        end, unit, _ = _tail(n, end)
        if _is_time(n, end) or (unit is None and _is_time(n, m.end())):
            return m.end()
        self.add(start, end, "count", lo, hi, "vague", unit, _unit_kind(unit))
        return end

    def _count(self, pos: int) -> int | None:
        n = self.n
        if pos and (n[pos - 1].isdigit() or n[pos - 1] == JOIN
                    or (n[pos - 1] == "." and pos >= 2 and n[pos - 2].isdigit())):
            return None
        m = _NUMERAL_RE.match(n, pos)
        if not m:
            return None
        cut = next((i for i in range(pos, m.end()) if self.masked[i]), None)
        if cut is not None:  # 三千家万户: the numeral stops where an idiom starts
            m = _NUMERAL_RE.match(n, pos, cut)
            if not m:
                return cut
        fig = _read_figure(n, m)
        if fig.value is None:
            return m.end()
        if _is_time(n, fig.end) or _skip_as_marker(n, fig):
            return m.end()
        bare_mag = fig.numeral == fig.magnitude  # 万 in 万余 / 上万
        start, pq = _prefix_before(n, fig.start, bare_mag)
        end, unit, post = _tail(n, fig.end)
        # a range: 2万至3万 · 2至3万 · 2-3万 · 18至60周岁
        sep = _RANGE_SEP.match(n, end)
        if sep and sep.end() < len(n):
            m2 = _NUMERAL_RE.match(n, sep.end())
            if m2:
                fig2 = _read_figure(n, m2)
                if fig2.value is not None and not self.masked[m2.start()]:
                    if _is_time(n, fig2.end) or _is_time(n, fig.end):
                        return fig2.end
                    end2, unit2, post2 = _tail(n, fig2.end)
                    lo, hi = fig.value, fig2.value
                    if not fig.magnitude and fig2.magnitude and unit is None:
                        coeff = _numeral_value(fig2.numeral[: -len(fig2.magnitude)] or "一")
                        if coeff is not None and lo < coeff:
                            lo = lo * _numeral_value("一" + fig2.magnitude)
                    if lo < hi:
                        if fig2.inner_qual == "at_least" or post2 == "at_least":
                            hi = None
                        u = unit2 or unit
                        kind = _unit_kind(u) if u else "count"
                        kind = _kind_from_context(n, start) or kind if kind == "count" else kind
                        self.add(start, end2, "count", lo, hi, "range", u, kind)
                        return end2
        if bare_mag and not (pq or fig.inner_qual or post or unit):
            return m.end()  # 万 千 alone: a word, not a figure
        pure_cn = re.fullmatch(rf"[{_DIGITS_CN}{_MAGS_CN}点]+[余多]?[{_MAGS_CN}]*", fig.numeral) is not None
        if pure_cn and not unit and not re.search(r"[百千万亿佰仟萬億]", fig.numeral):
            return m.end()  # 十八大 十四五 七一 三江源: digits with no counter say no quantity
        qual = _combine(pq, fig.inner_qual, post)
        lo, hi = _bounds(fig.value, qual)
        kind = _unit_kind(unit)
        if kind == "count":
            kind = _kind_from_context(n, start) or "count"
        self.add(start, end, "count", lo, hi, qual, unit, kind)
        return end


def find_quantities(text: str) -> list[Quantity]:
    """Every quantity in ``text``, left to right, spans in ``text``'s offsets.

    Dates, years, times and durations (2019年 5月21日 10时 三年来), ordinals and
    list markers (第一 一是 1. （一）) and numeral idioms (千家万户) are skipped.
    Ages (4岁以上) come back with kind "age", changes (同比增长15%) with kind
    "growth"; the caller decides which counts are collection figures."""
    if not text:
        return []
    return _Reader(text).run()
