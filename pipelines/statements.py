"""Statements of biometric collection in a post's text: one row per figure.

    extract_statements(text, published_at=..., publisher=..., title=...) -> [Statement]

A figure is a collection statement when its clause (text between ，；：。！？
and line breaks) says that a biometric was collected: a collection verb
(采集 采取 提取 补采 采血 采样 录入 入库 建档, Tibetan བསྡུ་ལེན) and a biometric
object (血样 DNA 虹膜 指纹 人像 声纹 ..., Tibetan ཁྲག་དཔེ) in the same clause.
Police posts lean on the clause before for the rest, so a figure clause may
borrow from the collection clause before it in the same sentence:

- a clause with its own verb but no object (…，扎囊县采集9000余份) borrows the
  object, also from a clause that only names it (送检血样5.2万份，完成检验入库4.8万份);
- a clause with an object but no verb (…4200余份、指纹信息3900余份), with 完成
  (目前已完成2.1万人), or naming only a place (…，白朗县1.8万份) borrows the verb;
- after 其中 (in the sentence, or opening the next one) a figure is a part of
  the last total (``subset_of``), never added to it;
- a rate (采集率达95%, 占应采人数的八成) counts when its clause names 采集 /
  应采 / 采血, or, right after a collection figure, names a completion,
  coverage or share of the population (完成率为72%, 覆盖率, 占全县常住人口的近八成);
  its biometric is the clause's, else the sentence's, else the post's last
  statement's.

Everything else with a number is not a row: people visited (户), leaflets,
police deployed, vehicles, ages, growth (同比增长15%), lab tests (检验),
daily averages (日均采集900余份), crime-scene material (现场提取检材), a
share of the sample (占采集总数的25%), and plans and targets in any wording
(计划采集血样2.5万份, 目标任务为12万份, 需完成3.5万人的…任务, 应采人数2.4万人).
Numbers, periods and places are read by
pipelines.numbers / pipelines.periods / pipelines.places; this module only
decides which figures are statements and what they are about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pipelines.numbers import Quantity, find_quantities, normalise
from pipelines.periods import resolve_period
from pipelines.places import find_places, publisher_place, statement_place

# Bump when the rules change: stored with every evidence row.
EXTRACTOR_VERSION = "statements-2"
# How far back (characters) a sentence naming no place looks for one.
PLACE_CONTEXT = 2000
# Longest "sentence" read as one: a post's sentences are a few hundred characters; text
# without sentence ends (a table flattened to text, a page of digits) is cut at clause
# breaks into pieces of at most this size, so each figure's place and period are read
# from a bounded span and the work stays linear in the length of the text.
MAX_SENTENCE = 800
# Longest publisher / title read (account names and titles are short; a runaway one is cut).
MAX_NAME = 300


@dataclass
class Statement:
    biometric: str          # dna | iris | fingerprint | face | voice | multiple
    biometrics: list[str]   # each one named (for multiple), else [biometric]
    measure: str            # count | rate
    value_min: float | None
    value_max: float | None
    approximate: bool
    qualifier: str          # exact | at_least | at_most | approx | range | vague
    unit: str | None
    cumulative: bool
    subset_of: int | None   # index in the returned list of the total this is part of
    period_start: str | None
    period_end: str | None
    place_code: str | None
    place_name: str | None
    subjects: list[str] = field(default_factory=list)
    figure: str = ""        # the figure as written
    quote: str = ""         # its sentence, exactly as in the text
    quote_start: int = 0
    quote_end: int = 0


# -- vocabulary (matched on normalised text: ASCII digits and punctuation) -------

# The biometric an object word names. 样本/生物样本/检材 only mean DNA in a post
# that talks about DNA or blood (_DNA_CONTEXT, in the text or the title).
_BIOMETRIC_WORDS = (
    ("dna", r"DNA|dna|Y-?STR|Y染色体|血液样本|血样|血液|采血|血卡|ཁྲག"),  # ཁྲག(་དཔེ): blood (sample)
    ("iris", r"虹膜"),
    ("fingerprint", r"指掌纹|指纹|掌纹"),
    ("face", r"人像|人脸|面部|面像|肖像"),
    ("voice", r"声纹"),
)
_SAMPLE_WORDS = re.compile(r"生物样本|样本")
_DNA_CONTEXT = re.compile(r"DNA|dna|Y-?STR|血")
_BIO_RE = re.compile("|".join(f"(?P<{name}>{words})" for name, words in _BIOMETRIC_WORDS))

# 建档 / 建立…档案: a profile filed is a sample taken (为僧尼建立DNA信息档案1750份)
_VERB = re.compile(r"采集|采取|提取|补采|采血|采样|录入|入库|建档|建立[^,，。;；]{0,12}档案|བསྡུ་ལེན|བསྡུས")  # བསྡུ་ལེན: collect
# 完成 reports progress on the collection named earlier in the sentence (…虹膜采集任务，
# 目前已完成2.1万人; 玉树州完成虹膜采集31.5万人，果洛州完成18.7万人), never a rate or a task
_DONE = re.compile(r"完成(?!率|[^,，。;；]{0,12}(?:任务|目标|指标))")
_RATE_WORD = re.compile(r"采集|应采|采血|补采|བསྡུ་ལེན")
# Rates that name no collection word but read as one right after a collection figure:
# 完成率为72%, 覆盖率达到85%以上, 总体进度, 完成年度目标任务的68%, 占全县常住人口的近八成.
# Not: 入库率/合格率/满意率/破案率 (other processes), 占采集总数的25% (a share of the sample).
_RATE_NOUN = re.compile(
    r"完成率|覆盖率|覆盖面|进度|完成[^,，。;；]{0,8}(?:任务|目标|计划)[^,，。;；]{0,4}的|"
    r"占[^,，。;；]{0,12}?(?:人口|人数|群众|居民|适龄|应采)"
)
# A share of the sample (其中学生1300余名，占采集总数的25%) is not a rate of collection;
# a share of what should be collected (占应采总数的90%) is.
_SHARE_OF_SAMPLE = re.compile(r"占(?![^,，。;；]{0,6}应采)[^,，。;；]{0,10}?(?:总数|总量|比重|比例)")
# Crime-scene material is evidence in a case, not a sample of the population.
_CRIME_SCENE = re.compile(r"(?:案发|犯罪|勘查|勘验)现场|现场(?:勘查|勘验|提取)|物证|检材")
# A daily or per-head average is not a total: 日均采集900余份.
_AVERAGE = re.compile(r"日均|每日|每天|天均|平均每|人均|场均")
# 发放血样采集宣传资料2000余份 / 抽调民警45名 / 培训采集人员120人次: the figure counts
# these, not people sampled, when the word stands between the object and the figure.
_NOT_SAMPLED = re.compile(
    r"警力|民警|干警|辅警|警员|特警|交警|人员|干部|工作组|小组|专班|采集组|车辆|车|"
    r"宣传资料|宣传单|宣传册|宣传品|资料|传单|手册|折页|标语|横幅|展板|海报|"
    r"设备|仪器|采集点|采集室|采集箱|试剂|采血针|场次|会议|培训|讲座"
)
_NOT_SAMPLED_AFTER = re.compile(
    r"(?:警力|民警|干警|辅警|警员|特警|工作人员|采集人员|人员|干部|工作组|小组|车辆)"
)
# What may stand around the place names of a list item (、白朗县 / 其中，改则县 / 萨迦县共).
_LIST_FILLER = " 、和及与其中共为达有的,，;；"
# People counted without a counter word: 1.2万群众, 3400余农牧民.
_PEOPLE_AFTER = re.compile(r"(?:名)?(?:群众|居民|村民|农牧民|牧民|男性|女性|中小学生|学生|僧尼|僧人|儿童|人口|常住人口)")
# Counters a collection figure is written with. 个 only straight after the object
# (DNA样本3000个), and a bare figure only there too.
_UNITS = {"份", "条", "人", "人次", "名", "例", "枚", "人份", "份次"}
_OBJECT_BEFORE = re.compile(
    r"(?:DNA|dna|Y-?STR|血液样本|血样|血液|样本|虹膜|指纹|指掌纹|掌纹|人像|人脸|声纹|信息|数据)"
    r"(?:共|达|达到|约|近|逾)?$|ཁྲག(?:་དཔེ)?་?\s*$"
)

_SUBJECT_WORDS = (
    ("僧尼", ("monks", "nuns")),
    ("在校学生", ("students",)), ("中小学生", ("students",)), ("大学生", ("students",)),
    ("学生", ("students",)),
    ("婴幼儿", ("children",)), ("新生儿", ("children",)), ("儿童", ("children",)),
    ("幼儿", ("children",)), ("少儿", ("children",)), ("未成年人", ("children",)),
    ("僧人", ("monks",)), ("僧侣", ("monks",)), ("喇嘛", ("monks",)), ("扎巴", ("monks",)),
    ("尼姑", ("nuns",)), ("觉姆", ("nuns",)),
    ("农牧民", ("herders",)), ("牧民", ("herders",)),
    ("男性", ("men",)), ("男子", ("men",)), ("女性", ("women",)), ("妇女", ("women",)),
    ("老年人", ("elderly",)), ("老人", ("elderly",)),
    ("流动人口", ("migrants",)), ("外来人口", ("migrants",)),
    ("在押人员", ("detainees",)), ("被监管人员", ("detainees",)),
)
_SUBJECT_RE = re.compile("|".join(re.escape(w) for w, _ in _SUBJECT_WORDS))
_SUBJECTS = dict(_SUBJECT_WORDS)

_QIZHONG = "其中"
_SENTENCE_END = "。!?！？\n།"
_CLOSERS = "”’」』)）\"'"
_CLAUSE_BREAKS = set(",，;；:：")
_SCOPE_BREAKS = set(";；")  # 其中 stops at a semicolon
# "as of now, already" (目前…已): a running total although no 截至/累计 is written
_RUNNING_NOW = re.compile(r"(?:目前|当前)[^。]{0,12}?已")
# a status "so far" (已采集, 据统计): never the span of an operation set up the sentence before
_STATUS = re.compile(r"已|据统计|目前|当前|累计")
# a clause looking ahead (a plan, a target) dates the plan, not the figures after it:
# 按照计划，今年内全县需完成3.5万人的虹膜采集任务，目前已完成2.1万人
_PLAN_CLAUSE = re.compile(r"(?<!按)(?<!照)计划|需完成|需要完成|须完成|力争|确保|预计|争取|要在|要于|将在|将于|"
                          r"(?:目标|任务|指标)(?:数|量)?为")
# Plans, targets and tasks are not collection figures: 应采人数2.4万人; 计划采集血样2.5万份;
# 需完成3.5万人的虹膜采集任务; 目标任务为12万份; …完成采集血样近两万份的任务; 采集血样1.7万余份
# 的目标已提前完成; 力争/确保/预计/要在…前 before the figure. One convention for all of them,
# 计划采集血样2-3万份 included.
# 按(照)计划 "according to plan" reports work done and is not a plan.
_TARGET_BEFORE = re.compile(r"应采|力争|确保|预计|争取|要在|要于|将在|将于|要完成|需完成|需要完成|须完成|"
                            r"(?<!按)(?<!照)计划|(?<!模)拟")
_TARGET_JUST_BEFORE = re.compile(r"(?:目标|任务|指标)(?:数|量)?(?:为|是|达|共|约)?$")
_TARGET_AFTER = re.compile(r"(?:的)?(?:[^,，。;；]{0,8}?(?:采集|录入))?(?:年度|全年|阶段性)?(?:目标|任务|指标)")


# -- text structure --------------------------------------------------------------

@dataclass
class _Sentence:
    start: int          # offsets in the text
    end: int
    paragraph_start: int


@dataclass
class _Clause:
    start: int          # offsets in the text
    end: int
    bios: list[tuple[int, str]]   # (offset, biometric) in the clause
    verb: bool
    rate_word: bool
    qizhong: bool                 # 其中 in the clause: its figures are parts of the last total
    done: bool = False            # 完成 (progress on the sentence's collection)
    rate_noun: bool = False       # 完成率 / 覆盖率 / 占…人口: a rate in a collection context
    sample_share: bool = False    # 占采集总数的25%: a share of the sample
    crime_scene: bool = False


def _sentences(n: str) -> list[_Sentence]:
    """Sentences of the (normalised) text: up to 。！？ (with closing quotes) or a line
    break, leading and trailing blanks left out."""
    out = []
    paragraph_start = 0
    i = 0
    start = 0
    while i <= len(n):
        at_end = i == len(n)
        ch = n[i] if not at_end else "\n"
        if ch in _SENTENCE_END:
            stop = i if ch == "\n" else i + 1
            while ch != "\n" and stop < len(n) and n[stop] in _CLOSERS:
                stop += 1
            a, b = start, stop
            while a < b and n[a].isspace():
                a += 1
            while b > a and n[b - 1].isspace():
                b -= 1
            if b > a:
                out.extend(_Sentence(x, y, paragraph_start) for x, y in _pieces(n, a, b))
            start = stop
            i = stop
            if ch == "\n":
                start = i + 1
                paragraph_start = i + 1
                i += 1
            continue
        i += 1
    return out


def _in_figure(ch: str) -> bool:
    return ch.isdigit() or ch in ".,"


def _pieces(n: str, a: int, b: int) -> list[tuple[int, int]]:
    """n[a:b] cut into spans of at most MAX_SENTENCE characters, at the last clause
    break of each piece (else at a character that is not a digit, else anywhere)."""
    out = []
    while b - a > MAX_SENTENCE:
        limit = a + MAX_SENTENCE
        cut = max(n.rfind(c, a + 1, limit) for c in ",，;；、 ")
        if cut <= a:
            cut = next((i for i in range(limit - 1, a + MAX_SENTENCE // 2, -1)
                        if not _in_figure(n[i]) and not _in_figure(n[i + 1])), limit - 1)
        cut += 1
        out.append((a, cut))
        a = cut
        while a < b and n[a].isspace():
            a += 1
    if b > a:
        out.append((a, b))
    return out


def _clauses(n: str, sent: _Sentence, quantities: list[Quantity], dna_context: bool) -> list[_Clause]:
    inside = set()
    for q in quantities:
        inside.update(range(q.start, q.end))
    cuts = [sent.start]
    for i in range(sent.start, sent.end):
        if n[i] in _CLAUSE_BREAKS and i not in inside:
            cuts.append(i + 1)
    cuts.append(sent.end)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if b <= a:
            continue
        part = n[a:b]
        out.append(_Clause(a, b, _biometrics_in(part, a, dna_context), bool(_VERB.search(part)),
                           bool(_RATE_WORD.search(part)), _QIZHONG in part, bool(_DONE.search(part)),
                           bool(_RATE_NOUN.search(part)), bool(_SHARE_OF_SAMPLE.search(part)),
                           bool(_CRIME_SCENE.search(part))))
    return out


def _biometrics_in(part: str, offset: int, dna_context: bool) -> list[tuple[int, str]]:
    found = [(offset + m.start(), m.lastgroup) for m in _BIO_RE.finditer(part)]
    if dna_context:
        found += [(offset + m.start(), "dna") for m in _SAMPLE_WORDS.finditer(part)]
    return sorted(found)


def _named(bios: list[tuple[int, str]]) -> list[str]:
    """Distinct biometrics in order of first mention."""
    out = []
    for _, b in bios:
        if b not in out:
            out.append(b)
    return out


def _subjects_in(s: str) -> list[str]:
    out = []
    for m in _SUBJECT_RE.finditer(s):
        for subj in _SUBJECTS[m.group()]:
            if subj not in out:
                out.append(subj)
    return out


# -- the figure test ---------------------------------------------------------------

def _counts_people_sampled(n: str, q: Quantity, seg_start: int, bios: list[tuple[int, str]]) -> bool:
    """False when the figure counts something else named between the object and it
    (宣传资料2000余份, 民警45名, 采集人员120人次) or right after it (30名民警)."""
    before = n[seg_start:q.start]
    last_bio = max((o for o, _ in bios if seg_start <= o < q.start), default=-1)
    for m in _NOT_SAMPLED.finditer(before):
        if seg_start + m.start() > last_bio:
            return False
    if _NOT_SAMPLED_AFTER.match(n, q.end):
        return False
    return True


def _unit_ok(n: str, q: Quantity, clause_start: int) -> bool:
    if q.unit in _UNITS:
        return True
    if q.unit is None and _PEOPLE_AFTER.match(n, q.end):
        return True  # 为1.2万群众采集血样: the people counted, no counter
    if q.unit in (None, "个"):
        return bool(_OBJECT_BEFORE.search(n, max(clause_start, q.start - 40), q.start))
    return False


def _only_places(n: str, a: int, b: int) -> bool:
    """n[a:b] names places and nothing else (江孜县 · 、白朗县 · 其中海晏县): a list item
    that continues the sentence's collection (…采集DNA血样2.9万份，白朗县1.8万份)."""
    part = n[a:b]
    if not part.strip(_LIST_FILLER):
        return False
    rest, pos = [], 0
    for start, end, _ in find_places(part):
        rest.append(part[pos:start])
        pos = end
    rest.append(part[pos:])
    return pos > 0 and not "".join(rest).strip(_LIST_FILLER)


def extract_statements(text: str, *, published_at: str | None, publisher: str | None,
                       title: str | None = None) -> list[Statement]:
    """Every statement of biometric collection in `text`, in text order (see the
    module docstring). Quotes and offsets are those of `text` as given."""
    if not text:
        return []
    title = title[:MAX_NAME] if title else title
    publisher = publisher[:MAX_NAME] if publisher else publisher
    n = normalise(text)
    title_n = normalise(title or "")
    dna_context = bool(_DNA_CONTEXT.search(n) or _DNA_CONTEXT.search(title_n))
    pub_place = publisher_place(publisher, title, text)
    pub_date = published_at[:10] if published_at and re.match(r"\d{4}-\d\d-\d\d", published_at) else None

    out: list[Statement] = []
    last_total: int | None = None        # last count statement that is not a part (for 其中)
    last_total_paragraph: int | None = None
    last_biometrics: list[str] | None = None
    prev_sentence: _Sentence | None = None
    prev_rows = 0                        # statements of the previous sentence

    for sent in _sentences(n):
        quantities = [_shift(q, sent.start) for q in find_quantities(text[sent.start:sent.end])]
        if not quantities:
            prev_sentence, prev_rows = sent, 0
            continue
        clauses = _clauses(n, sent, quantities, dna_context)
        # the biometric of the sentence's last collection clause, for clauses that borrow it
        sentence_bios: list[str] | None = None
        # 其中 opening a sentence: parts of the paragraph's last total
        part_of: int | None = None
        if n.startswith(_QIZHONG, sent.start) and last_total is not None \
                and last_total_paragraph == sent.paragraph_start:
            part_of = last_total
            sentence_bios = out[last_total].biometrics
        sentence_rows: list[int] = []
        scope_start = sent.start             # after the clause of the sentence's last statement
        # biometrics named in the sentence so far, collected or not (送检血样5.2万份，完成检验入库4.8万份)
        sentence_objects: list[str] | None = None
        # a collection figure just before (this sentence, or the paragraph's previous one):
        # a rate without a collection word (完成率为72%) is about it
        after_collection = prev_rows > 0 and prev_sentence.paragraph_start == sent.paragraph_start

        for clause in clauses:
            if n[clause.start - 1:clause.start] in _SCOPE_BREAKS:
                part_of = None
            if clause.qizhong:
                totals = [i for i in sentence_rows if out[i].measure == "count" and out[i].subset_of is None]
                if totals:
                    part_of = totals[-1]
            clause_bios = _named(clause.bios)
            collection = clause.verb and bool(clause_bios)
            after_collection = after_collection or collection
            rows_before = len(sentence_rows)
            in_clause = [q for q in quantities if clause.start <= q.start < clause.end]
            seg_start = clause.start
            for k, q in enumerate(in_clause):
                # the words after the figure run to the next figure that is not an age
                # (1.7万名4岁以上男性: men)
                nxt = next((x for x in in_clause[k + 1:] if x.kind != "age"), None)
                seg_end = nxt.start if nxt is not None else clause.end
                seg_bios = _named([b for b in clause.bios if seg_start <= b[0] < q.start])
                bios = None
                parent = None
                if q.measure == "count" and q.kind == "count" and _unit_ok(n, q, clause.start) \
                        and _counts_people_sampled(n, q, seg_start, clause.bios) \
                        and not clause.crime_scene and not _AVERAGE.search(n, seg_start, q.start) \
                        and not _TARGET_BEFORE.search(n, clause.start, q.start) \
                        and not _TARGET_JUST_BEFORE.search(n, clause.start, q.start) \
                        and not _TARGET_AFTER.match(n, q.end):
                    if collection:
                        bios = seg_bios or clause_bios
                    elif sentence_bios and (clause.verb or clause.done or clause_bios or part_of is not None
                                            or _only_places(n, seg_start, q.start)):
                        bios = seg_bios or clause_bios or sentence_bios
                    elif clause.verb and not clause_bios and sentence_objects:
                        bios = sentence_objects
                    parent = part_of
                elif q.measure == "rate" and q.kind == "rate" and not clause.sample_share and (
                        clause.rate_word or (clause.rate_noun and after_collection)):
                    bios = seg_bios or clause_bios or sentence_bios or last_biometrics
                    totals = [i for i in sentence_rows if out[i].measure == "count" and out[i].subset_of is None]
                    rates = [x for x in in_clause if x.measure == "rate"]
                    if not seg_bios and "分别" in n[clause.start:clause.end] and len(rates) == len(totals) > 1:
                        # 人像…5.6万条、指纹…4.8万条，分别占应采人数的96%、85%: one rate per total, in order
                        bios = out[totals[rates.index(q)]].biometrics
                if bios:
                    out.append(_statement(
                        text, n, q, sent, clauses, clause, bios, parent, prev_sentence, prev_rows, published_at, pub_date,
                        pub_place, title,
                        subjects=_subjects_for(n, q, seg_start, seg_end, clause, scope_start, parent is not None)))
                    idx = len(out) - 1
                    sentence_rows.append(idx)
                    if q.measure == "count" and parent is None:
                        last_total, last_total_paragraph = idx, sent.paragraph_start
                    last_biometrics = bios
                seg_start = q.end
            if collection:
                sentence_bios = clause_bios
            if clause_bios:
                sentence_objects = clause_bios
            if len(sentence_rows) > rows_before:
                scope_start = clause.end
                after_collection = True
        prev_sentence = sent
        prev_rows = len(sentence_rows)
    return out


def _shift(q: Quantity, offset: int) -> Quantity:
    return replace(q, start=q.start + offset, end=q.end + offset)


def _statement(text, n, q, sent, clauses, clause, bios, parent, prev_sentence, prev_rows, published_at, pub_date,
               pub_place, title, *, subjects) -> Statement:
    # place: the nearest place named before the figure in its sentence, else the
    # nearest in the text before it (a post's opening paragraph often names the
    # township or county the next paragraph's figure is about), the title, the
    # publisher (pipelines.places)
    sentence_n = n[sent.start:sent.end]
    context = n[max(0, sent.start - PLACE_CONTEXT):sent.start]
    place = statement_place(sentence_n, anchor=q.start - sent.start, publisher=pub_place,
                            context=context, title=title)
    # period: the sentence up to the end of the figure's clause (later clauses
    # hold comparisons: 较去年同期); none there -> the previous sentence's: its
    # running total phrase (截至… / …以来) in the same paragraph, or the span of an
    # operation it sets up (4月1日至7月10日，…开展…行动。\n行动期间，共采集…), also
    # across a paragraph break, when that sentence gives no figure of its own (an
    # event's date, 11月2日召开推进会, is one day and not carried); none -> publication date
    scope = "".join(text[c.start:c.end] for c in clauses if c.end <= clause.end
                    and (c is clause or not _PLAN_CLAUSE.search(n, c.start, c.end)))
    period = resolve_period(scope, published_at)
    cumulative = period.cumulative or bool(_RUNNING_NOW.search(n[sent.start:clause.end]))
    if period.text is None and prev_sentence is not None:
        same_paragraph = prev_sentence.paragraph_start == sent.paragraph_start
        before = resolve_period(text[prev_sentence.start:prev_sentence.end], published_at)
        if before.text is not None and before.cumulative and same_paragraph:
            period, cumulative = before, True
        elif before.text is not None and prev_rows == 0 and not before.cumulative \
                and before.start and before.end and before.start < before.end \
                and not _STATUS.search(n, sent.start, clause.end):
            period = before
    start, end = period.start, period.end
    if start is None and end is None:
        end = pub_date
    biometric = bios[0] if len(bios) == 1 else "multiple"
    return Statement(
        biometric=biometric, biometrics=list(bios), measure=q.measure,
        value_min=q.value_min, value_max=q.value_max, approximate=q.approximate,
        qualifier=q.qualifier, unit=q.unit, cumulative=cumulative, subset_of=parent,
        period_start=start, period_end=end,
        place_code=place.code if place else None, place_name=place.name if place else None,
        subjects=subjects, figure=text[q.start:q.end],
        quote=text[sent.start:sent.end], quote_start=sent.start, quote_end=sent.end,
    )


def _subjects_for(n: str, q: Quantity, seg_start: int, seg_end: int, clause: _Clause,
                  scope_start: int, is_part: bool) -> list[str]:
    """Who was sampled, when named: the words before the figure (since the previous
    figure of its clause), else those after it (420名僧尼的血样), else, for a total,
    the sentence's earlier clauses (集中开展男性血样采集，共采集血样3000多份)."""
    before = _subjects_in(n[seg_start:q.start])
    if before:
        return before
    after = _subjects_in(n[q.end:seg_end])
    if after:
        return after
    if is_part:
        return []
    return _subjects_in(n[scope_start:clause.start])
