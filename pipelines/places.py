"""Which place a post, or one figure in it, is about.

Names are looked up in the project gazetteer (pipelines/gazetteer.py): full
names, short and old names, townships (which mean their county), bureau and
account forms. Matching prefers the longest name (抵达日喀则 is 日喀则, not
达日), and a few names need help:

- a county's bare short form (洛隆, 定日, 民和) counts only where posts use it,
  as an account or bureau name (洛隆公安, 平安洛隆, 定日警方); elsewhere it is
  an ordinary word too often (确定日期, 人民和谐);
- names shared with units outside the area (城关区, 城中分局, 城关公安, bare
  自治区) count only when the publisher or another place in the text is in
  the same province; otherwise they stop the search: None, not a guess;
- other provinces and places outside the area (海南 = Hainan province, 全国,
  甘孜...) also stop the search;
- words relative to the publisher (全县, 全市, 全州, 全区, 全地区, 辖区, 我局,
  分局, 县局, 市局...) mean the publisher's area, one level up where the word
  says so (全市 from a county of 昌都市 is 昌都市; 全区 from a district bureau
  is the district, from any other TAR publisher the region);
- a bare 城关镇 (many counties have one) is the county named just before it,
  else a county-level publisher's county;
- 分局 / 县局 closing a named bureau (城关区公安分局) is part of that name, not "the
  publisher's bureau"; 全县 / 全市 / 全州 that the publisher cannot answer (全县 from a
  prefecture's account) is the nearest unit of that level named before it, in the
  text or the title;
- Tibetan names (ལྷ་རྩེ་རྫོང) match whole syllables only.

A figure is about the nearest place named before it in its sentence (the
same clause first; names in a 按照/根据…部署 preamble are skipped). Adjacent
names form one mention: 昌都市洛隆县 is 洛隆县, 卡若区（原昌都县） is 卡若区, and
an enumeration of several counties (卡若区、江达县、贡觉县等地) is their common
prefecture (or province). With no place in the sentence: the text before it
(nearest first), then the title, then the publisher.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from pipelines.gazetteer import Gazetteer, Place, gazetteer
from pipelines.tibetan import LETTER

# Places outside the two provinces, and other provinces: naming one means the
# figure is not about our area (海南 alone is Hainan province, never 海南州).
FOREIGN = (
    "全国", "北京", "天津", "上海", "重庆", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江",
    "江苏", "浙江", "安徽", "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "广西",
    "海南", "四川", "贵州", "云南", "陕西", "甘肃", "宁夏", "新疆", "台湾", "香港", "澳门",
    "北京市", "天津市", "上海市", "重庆市", "内蒙古自治区", "广西壮族自治区", "宁夏回族自治区",
    "新疆维吾尔自治区", "海南省", "海南岛", "天祝", "乌兰察布", "乌兰浩特",
    *(p + "省" for p in ("河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西",
                        "山东", "河南", "湖北", "湖南", "广东", "四川", "贵州", "云南", "陕西", "甘肃")),
    *(c + s for c in ("海口", "三亚", "兰州", "成都") for s in ("", "市")),
    *(c + s for c in ("甘南", "甘孜", "阿坝", "迪庆") for s in ("", "州")),
)
# Words that contain a place name but are not about a place here.
NOT_PLACES = (
    "阿里巴巴", "阿里云", "山南海北", "北京中路", "北京东路", "北京西路", "江苏路", "江苏大道",
    "吉隆坡", "贡嘎山",
)
# Words meaning the publisher's own area, and which level they name.
RELATIVE = {
    "全县": "county", "我县": "county", "本县": "county", "县局": "county",
    "全市": "city", "我市": "city", "本市": "city", "市局": "city",
    "全州": "state", "我州": "state", "本州": "state", "州局": "state",
    "全区": "district", "我区": "district", "本区": "district",
    "全地区": "area", "本地区": "area",
    "全省": "province", "我省": "province", "本省": "province",
    "辖区": "publisher", "我局": "publisher", "本局": "publisher", "全局": "publisher", "分局": "publisher",
}
# "The jurisdiction" of whoever the sentence is about: a unit named before it in the
# sentence (乃西乡派出所…辖区群众) is more specific than the publisher's area.
_JURISDICTION = ("辖区",)
# Town names shared by many counties: the county comes from the text or the publisher.
LOCAL_TOWNS = ("城关镇",)

# A county's bare short form counts next to these (account and bureau names).
_SHORT_AFTER = ("公安", "警方", "分局", "交警", "派出所", "民警", "警务", "发布", "融媒", "检察", "法院")
_SHORT_BEFORE = ("平安", "大美", "魅力", "最美")
# A mention followed by these names a bureau (the post's subject, in a title).
_BUREAU_AFTER = ("公安", "警方", "分局", "县局", "市局", "州局", "交警", "派出所")

_CLAUSE_END = set("，,；;。！？!?：:\n\r")
# Bureau words that close a named bureau's name (城关区公安分局) rather than point at the publisher.
_BUREAU_SUFFIX = ("分局", "县局", "市局", "州局")
# Tibetan letters, vowel signs and subjoined letters: a syllable goes on while they follow.
_TIBETAN_LETTER = re.compile(LETTER)
# What may stand between the parts of one mention: 卡若区（原昌都县）、江达县 / 昌都市洛隆县.
_JOINERS = re.compile(r"以及|[、和及与跟原\s（）()]")
# 按照自治区公安厅和昌都市公安局的统一部署: the bureaus giving orders, not the subject.
_PREAMBLE = re.compile(r"(?:按照|根据|遵照|依照|依据)[^，,；;。！？!?：:]*?(?:部署|要求|安排|指示|精神|通知)")


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    kind: str                 # official alias former township context relative foreign local
    place: Place | None       # the unit named (context: the candidate, valid only in scope)
    relative: str | None = None


@functools.lru_cache(maxsize=4)
def _table(g: Gazetteer) -> tuple[dict[str, tuple[str, Place | None, str | None]], dict[str, tuple[int, ...]]]:
    """{string: (kind, place, relative level)} for every string the scanner knows, and
    {first character: the lengths of the strings starting with it, longest first}."""
    table: dict[str, tuple[str, Place | None, str | None]] = {}
    for name, (place, kind) in g.names().items():
        table[name] = (kind, place, None)
    for name in FOREIGN:
        table.setdefault(name, ("foreign", None, None))
    for name in NOT_PLACES:
        table[name] = ("skip", None, None)
    for name, level in RELATIVE.items():
        table.setdefault(name, ("relative", None, level))
    for name in LOCAL_TOWNS:
        table.setdefault(name, ("local", None, None))
    sizes: dict[str, set[int]] = {}
    for k in table:
        sizes.setdefault(k[0], set()).add(len(k))
    return table, {c: tuple(sorted(v, reverse=True)) for c, v in sizes.items()}


def _is_bare_short(name: str, place: Place) -> bool:
    """洛隆 for 洛隆县: a county's two-character name less its suffix, too often an ordinary word."""
    return (place.level == "county" and len(name) == 2 and place.name.startswith(name) and len(place.name) > len(name)
            and not name.endswith(("县", "市", "区", "委", "州")))


def _scan(text: str, g: Gazetteer | None = None) -> list[Mention]:
    """Every known name in `text`, longest first, then leftmost; non-overlapping, in text order."""
    if not text:
        return []
    return list(_scan_cached(text, g or gazetteer()))


@functools.lru_cache(maxsize=1024)
def _scan_cached(text: str, g: Gazetteer) -> tuple[Mention, ...]:
    # every figure of a sentence looks at the same sentence, context and title
    return tuple(_scan_uncached(text, g))


def _scan_uncached(text: str, g: Gazetteer) -> list[Mention]:
    table, initials = _table(g)
    found = []
    n = len(text)
    for i, ch in enumerate(text):
        sizes = initials.get(ch)
        if sizes is None:
            continue
        for size in sizes:
            hit = table.get(text[i:i + size]) if i + size <= n else None
            if hit is not None:
                found.append((i, i + size, hit))
    taken = [False] * n
    chosen = []
    for start, end, (kind, place, relative) in sorted(found, key=lambda f: (f[0] - f[1], f[0])):
        if any(taken[start:end]):
            continue
        name = text[start:end]
        if _TIBETAN_LETTER.match(name) and not _whole_syllables(text, start, end):
            continue  # ལྷ་ས is not the start of ལྷ་སྐྱེས: Tibetan names match whole syllables only
        if place is not None and kind == "alias" and _is_bare_short(name, place):
            after, before = text[end:end + 3], text[max(0, start - 2):start]
            # …公安 / 平安… / the whole text / a title's lead (拉孜：血样采集工作有序推进)
            if not (after.startswith(_SHORT_AFTER) or before in _SHORT_BEFORE or (start == 0 and end == n)
                    or (start == 0 and after[:1] in ("：", ":", "|", "丨"))):
                continue
        for k in range(start, end):
            taken[k] = True
        if kind != "skip":
            chosen.append(Mention(start, end, name, kind, place, relative))
    chosen.sort(key=lambda m: m.start)
    # 城关区公安分局 · 乐都区公安分局 · 桑珠孜区分局: 分局 closes the bureau's name, it is not
    # "the publisher's bureau"
    return [m for i, m in enumerate(chosen)
            if not (m.kind == "relative" and m.text in _BUREAU_SUFFIX and i
                    and chosen[i - 1].place is not None and chosen[i - 1].kind != "relative"
                    and text[chosen[i - 1].end:m.start] in ("", "公安", "公安局"))]


def _whole_syllables(text: str, start: int, end: int) -> bool:
    """text[start:end] starts and ends at Tibetan syllable boundaries (a tsheg, a shad, a
    space or a non-Tibetan character on either side)."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return not _TIBETAN_LETTER.match(before) and not _TIBETAN_LETTER.match(after)


def _scope(publisher: Place | None, mentions: list[Mention]) -> set[str]:
    """Province codes the post is in: the publisher's and those of unambiguous names."""
    scope = {publisher.province_code} if publisher else set()
    scope.update(m.place.province_code for m in mentions
                 if m.place is not None and m.kind in ("official", "alias", "former", "township"))
    return scope


def _relative_place(level: str, publisher: Place | None, g: Gazetteer) -> Place | None:
    if publisher is None:
        return None
    prefecture = g.by_code(publisher.prefecture_code) if publisher.prefecture_code else None
    if level == "publisher":
        return publisher
    if level == "county":
        return publisher if publisher.level == "county" else None
    if level == "city":
        if publisher.level in ("county", "prefecture") and publisher.name.endswith("市"):
            return publisher
        if publisher.level == "county" and prefecture and prefecture.name.endswith("市"):
            return prefecture
        return None
    if level == "state":
        if prefecture and prefecture.name.endswith("州"):
            return prefecture
        return None
    if level == "district":
        if publisher.level == "county" and publisher.name.endswith("区"):
            return publisher
        if publisher.province == "西藏自治区":
            return g.by_code("540000")
        return None
    if level == "area":
        return prefecture
    if level == "province":
        return g.by_code(publisher.province_code)
    return None


def _resolve(m: Mention, publisher: Place | None, scope: set[str], g: Gazetteer) -> tuple[Place | None, bool]:
    """(place, stop): stop means the mention names somewhere we cannot or must not resolve."""
    if m.kind in ("official", "alias", "former", "township"):
        return m.place, False
    if m.kind == "context":
        return (m.place, False) if m.place.province_code in scope else (None, True)
    if m.kind == "foreign":
        return None, True
    if m.kind == "relative":
        return _relative_place(m.relative, publisher, g), False
    if m.kind == "local":
        if publisher is not None and publisher.level == "county":
            return publisher, False
        return None, True
    return None, False


def _common(places: list[Place], g: Gazetteer) -> Place | None:
    """One place for several named together: the most specific when nested, else the common parent."""
    specific = {p.code: p for p in places
                if not any(q.code != p.code and q.within(p) for q in places)}
    if len(specific) == 1:
        return next(iter(specific.values()))
    prefectures = {p.prefecture_code for p in specific.values()}
    if len(prefectures) == 1 and None not in prefectures:
        return g.by_code(prefectures.pop())
    provinces = {p.province_code for p in specific.values()}
    if len(provinces) == 1:
        return g.by_code(provinces.pop())
    return None


def _groups(mentions: list[Mention], text: str) -> list[list[Mention]]:
    """Adjacent mentions joined only by 、/和/及/parentheses/原 form one group."""
    groups: list[list[Mention]] = []
    for m in mentions:
        if groups and not _JOINERS.sub("", text[groups[-1][-1].end:m.start]):
            groups[-1].append(m)
        else:
            groups.append([m])
    return groups


def _group_place(group: list[Mention], publisher, scope, g) -> tuple[Place | None, bool]:
    named = [m for m in group if m.kind != "local"]
    if not named:
        return _resolve(group[0], publisher, scope, g)
    places = []
    for m in named:
        place, stop = _resolve(m, publisher, scope, g)
        if stop:
            return None, True
        if place is not None:
            places.append(place)
    if not places:
        return None, False
    place = _common(places, g)
    return place, place is None


def _preamble_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _PREAMBLE.finditer(text)]


def _fits(place: Place, level: str) -> bool:
    """`place` is a unit that a relative word of `level` (全县, 全市, 全州) can mean."""
    if level == "county":
        return place.level == "county"
    if level == "city":
        return place.level in ("county", "prefecture") and place.name.endswith("市")
    if level == "state":
        return place.level == "prefecture" and place.name.endswith("州")
    return False


def _nearest(mentions: list[Mention], text: str, publisher, scope, g,
             want: str | None = None, search: bool = False) -> tuple[Place | None, bool, str | None]:
    """The nearest group (from the end of `text`) that names a place: (place, decided, want).

    A relative word the publisher does not answer (全县 from a prefecture's account) means
    the unit of its level the post is about: `want` is that level, and the search goes on
    for the nearest place of that level (here, then in the caller's next text)."""
    skip = _preamble_spans(text)
    kept = [m for m in mentions if not any(s <= m.start and m.end <= e for s, e in skip)]
    deferred: Place | None = None
    for group in reversed(_groups(kept, text)):
        place, stop = _group_place(group, publisher, scope, g)
        if stop:
            return deferred, True, None
        if want is not None:
            if place is not None and _fits(place, want):
                return place, True, None
            continue
        if search and place is None and len(group) == 1 and group[0].kind == "relative" \
                and group[0].relative in ("county", "city", "state") and deferred is None:
            want = group[0].relative
            continue
        if place is not None and deferred is None and all(m.text in _JURISDICTION for m in group):
            deferred = place  # 蔡公堂乡派出所…辖区群众: the area of the unit named before it
            continue
        if place is not None:
            return (place if deferred is None or place.within(deferred) else deferred), True, None
    return deferred, deferred is not None, want


def _level_rank(place: Place) -> int:
    return {"province": 0, "prefecture": 1, "county": 2}[place.level]


def _subject(mentions: list[Mention], text: str, publisher, scope, g, *, bureau_only: bool = False) -> tuple[Place | None, bool]:
    """The bureau a title or text opening is about: the most specific place named as a
    bureau (洛隆县公安局, 城关分局, 西宁警方); failing that, unless bureau_only, the first place."""
    bureaus, others = [], []
    for group in _groups(mentions, text):
        place, stop = _group_place(group, publisher, scope, g)
        if stop and not bureaus and not others:
            return None, True
        if place is None:
            continue
        last = group[-1]
        is_bureau = last.text.endswith(("分局", "公安")) or text[last.end:last.end + 3].startswith(_BUREAU_AFTER)
        (bureaus if is_bureau else others).append(place)
    if bureaus:
        best = max(_level_rank(p) for p in bureaus)
        return next(p for p in bureaus if _level_rank(p) == best), True
    if others and not bureau_only:
        return others[0], True
    return None, False


# -- the interface ---------------------------------------------------------------


def find_places(text: str) -> list[tuple[int, int, Place]]:
    """Every place named in `text`, with its span (townships give their county;
    shared names like 城关区 only when the text places itself in that province)."""
    g = gazetteer()
    mentions = _scan(text, g)
    scope = _scope(None, mentions)
    out = []
    for m in mentions:
        if m.kind in ("relative", "foreign", "local"):
            continue
        place, _ = _resolve(m, None, scope, g)
        if place is not None:
            out.append((m.start, m.end, place))
    return out


def publisher_place(publisher: str | None, title: str | None = None, text: str | None = None) -> Place | None:
    """The area the publishing account or bureau answers for (洛隆公安 -> 洛隆县,
    拉萨市公安局城关分局 -> 城关区, 玉树州公安局 -> 玉树藏族自治州, 西宁市公安局 -> 西宁市).

    From the publisher's name, the most specific unit it names; when it names
    none (or only an ambiguous one, 城关公安, with nothing to place it), the
    bureau the title is about, then the most specific bureau named at the
    start of the text. A publisher outside the area (海南省公安厅) is None.
    """
    g = gazetteer()
    opening = (text or "")[:300]
    pm, tm, om = _scan(publisher or "", g), _scan(title or "", g), _scan(opening, g)
    scope = _scope(None, pm + tm + om)
    if pm:
        places = []
        for group in _groups(pm, publisher):
            place, stop = _group_place(group, None, scope, g)
            if stop and group[0].kind == "foreign":
                return None
            if place is not None:
                places.append(place)
        if places:
            best = max(_level_rank(p) for p in places)
            return [p for p in places if _level_rank(p) == best][-1]
    place, decided = _subject(tm, title or "", None, scope, g)
    if place is not None:
        return place
    place, decided = _subject(om, opening, None, scope, g, bureau_only=True)
    return place


def statement_place(sentence: str, *, anchor: int, publisher: Place | None, context: str = "",
                    title: str | None = None) -> Place | None:
    """The most specific place the statement (the sentence holding a figure at
    offset `anchor`) is about.

    The nearest place named before the figure in the sentence (townships give
    their county; 全县/全市/全州/全区/辖区/我县/我局/本县... the publisher's area;
    old names their present unit). With none there: `context` (the text before
    the sentence in the same paragraph), searched nearest first, then `title`
    (the bureau it names), then the publisher. A place outside the area, or an
    ambiguous one that nothing places (城关区 from a Gansu bureau), gives None.
    """
    g = gazetteer()
    anchor = max(0, min(anchor, len(sentence)))
    sm, cm, tm = _scan(sentence, g), _scan(context, g), _scan(title or "", g)
    scope = _scope(publisher, sm + cm + tm)
    before = [m for m in sm if m.end <= anchor]
    place, decided, want = _nearest(before, sentence, publisher, scope, g, search=True)
    if decided:
        return place
    if want is not None:
        place, decided, want = _nearest(cm, context, publisher, scope, g, want, search=True)
        if decided:
            return place
        place, decided, _ = _nearest(tm, title or "", publisher, scope, g, want)
        if decided and place is not None:
            return place  # 全县 from a prefecture's account: the county the title is about
        # no unit of that level named: the nearest place of any level, as for any other word
        place, decided, _ = _nearest(before, sentence, publisher, scope, g)
        if decided:
            return place
    place, decided, _ = _nearest(cm, context, publisher, scope, g)
    if decided:
        return place
    place, decided = _subject(tm, title or "", publisher, scope, g)
    if decided:
        return place
    return publisher
