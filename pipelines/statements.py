"""Statements of biometric collection in a post's text: one row per figure.

    extract_statements(text, published_at=..., publisher=..., title=...) -> [Statement]

A figure is a collection statement when its clause (text between ，；：。！？
and line breaks) says that a biometric was collected: a collection verb
(采集 采取 提取 补采 采血 采样 收集 抽取 录入 入库 建档 库容, Tibetan བསྡུ་ལེན) and a
biometric object (血样 DNA 口腔拭子 虹膜 指纹 人像 声纹 ..., Tibetan ཁྲག་དཔེ སོར་རྗེས ངོ་པར)
in the same clause. Police posts lean on the clause before for the rest, so a
figure clause may borrow from the collection clause before it:

- a clause with its own verb but no object (…，扎囊县采集9000余份) borrows the
  object, also from a clause that only names it (送检血样5.2万份，完成检验入库4.8万份),
  and, with nothing but people between verb and figure, from the collection the
  sentence before set up (…开展指纹信息采集。截至9月5日，大柴旦行委共采集5000～6000人);
- a clause with an object but no verb (…4200余份、指纹信息3900余份), with 完成
  (目前已完成2.1万人), naming only a place (…，白朗县1.8万份) or after a label's
  colon (DNA血样采集数：3.2万份) borrows the verb;
- after 其中 / 包括 / དེའི་ནང (in the sentence, in brackets, or opening the next one)
  a figure is a part of the last total of the paragraph (``subset_of``), never added
  to it; a 新增 part of the last 新增 total; a county's figure after its prefecture's
  total in the same sentence is a part too;
- 分别 ("respectively") gives the places or biometrics named before it to the
  figures after it, in order (洛隆县、边坝县分别采集血样1.2万份、9000份);
- a rate (采集率达95%, 占应采人数的八成) counts when its clause names 采集 /
  应采 / 采血, or names a completion, coverage or share of the population (完成率为72%,
  覆盖率, 占全县常住人口的近八成) right after a collection figure or beside a biometric
  (全市人像库覆盖率达92.3%); its biometric is the clause's, else the sentence's, else
  the post's last statement's.

Everything else with a number is not a row: people visited (户), leaflets,
police deployed (also as the agent: 民警…采集 is not what was counted), vehicles,
ID cards issued, case results (比中嫌疑人3名), ages, growth (同比增长15%), lab
tests (检验), daily averages (日均采集900余份), crime-scene material (现场提取检材,
现场指纹142枚), a share of the sample (占采集总数的25%), and plans, targets and
duties in any wording (计划采集血样2.5万份, 目标任务为12万份, 需完成3.5万人的…任务,
应采人数2.4万人, 每月须采集…). Tibetan figures carry no counter word: one counts
when the sample or the people sampled stand right before it.

The period is read by pipelines.periods from the sentence up to the figure's
clause (see ``_period_of`` for what a sentence without one takes from the text
before). Numbers, periods and places are read by pipelines.numbers /
pipelines.periods / pipelines.places; this module only decides which figures are
statements and what they are about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pipelines.numbers import Quantity, find_quantities, normalise
from pipelines.periods import Period, resolve_period
from pipelines.gazetteer import gazetteer
from pipelines.places import find_places, publisher_place, statement_place
from pipelines.tibetan import SYLLABLE_START

# Bump when the rules change: stored with every evidence row.
EXTRACTOR_VERSION = "statements-4"
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
    ("dna", r"DNA|dna|Y-?STR|Y染色体|血液样本|血样|血液|采血|抽血|血卡|口腔拭子|拭子|唾液|ཁྲག"),  # ཁྲག(་དཔེ): blood (sample)
    ("iris", r"虹膜"),
    ("fingerprint", r"指掌纹|指纹|掌纹|སོར་རྗེས"),   # སོར་རྗེས: fingerprint
    ("face", r"人像|人脸|面部|面像|肖像|ངོ་པར|གདོང་པར"),   # ངོ་པར / གདོང་པར: portrait photo
    ("voice", r"声纹"),
)
_SAMPLE_WORDS = re.compile(r"生物样本|样本")
_DNA_CONTEXT = re.compile(r"DNA|dna|Y-?STR|血")
_BIO_RE = re.compile("|".join(f"(?P<{name}>{words})" for name, words in _BIOMETRIC_WORDS))

# 建档 / 建立…档案: a profile filed is a sample taken (为僧尼建立DNA信息档案1750份)
# 收集/抽取/抽血/留取: other words for taking a sample; 库容: a database holding (DNA数据库库容达3.2万条)
_VERB = re.compile(r"采集|采取|采录|提取|补采|采血|采样|收集|抽取|抽血|留取|录入|入库|库容|建档|建立[^,，。;；]{0,12}档案|"
                   r"བསྡུ་ལེན|བསྡུས")  # བསྡུ་ལེན: collect
# 完成 reports progress on the collection named earlier in the sentence (…虹膜采集任务，
# 目前已完成2.1万人; 玉树州完成虹膜采集31.5万人，果洛州完成18.7万人), never a rate or a task
# the verbs that only mean taking a sample (not 录入 入库 建档 提取, which also file other records)
_COLLECT = re.compile(r"采集|采取|采录|补采|采血|采样|收集|抽取|抽血|留取|བསྡུ་ལེན|བསྡུས")
# what may stand between a verb and its figure when the object comes from the sentence before
_BORROW_GAP = re.compile(r"(?:了|到|共|共计|计|达|达到|为|约|近|逾|群众|居民|人员|辖区|全县|全市|全州|各类|的|\s)*")
_DONE = re.compile(r"完成(?!率|[^,，。;；]{0,12}(?:任务|目标|指标))")
_RATE_WORD = re.compile(r"采集|应采|采血|补采|བསྡུ་ལེན")
# Rates that name no collection word but read as one right after a collection figure
# (覆盖 of people only: 覆盖全县95%以上的群众, not 覆盖95%的行政村):
# 完成率为72%, 覆盖率达到85%以上, 总体进度, 完成年度目标任务的68%, 占全县常住人口的近八成.
# Not: 入库率/合格率/满意率/破案率 (other processes), 占采集总数的25% (a share of the sample).
_RATE_NOUN = re.compile(
    r"完成率|覆盖率|覆盖面|覆盖(?=[^,，。;；]{0,24}(?:群众|居民|人口|人员|农牧民|牧民))|进度|"
    r"完成[^,，。;；]{0,8}(?:任务|目标|计划)[^,，。;；]{0,4}的|"
    r"占[^,，。;；]{0,12}?(?:人口|人数|群众|居民|适龄|应采)"
)
# A share of the sample (其中学生1300余名，占采集总数的25%) is not a rate of collection;
# a share of what should be collected (占应采总数的90%) is.
_SHARE_OF_SAMPLE = re.compile(r"占(?![^,，。;；]{0,6}应采)[^,，。;；]{0,10}?(?:总数|总量|比重|比例)")
# Crime-scene material is evidence in a case, not a sample of the population.
_CRIME_SCENE = re.compile(r"(?:案发|犯罪|勘查|勘验)现场|现场(?:勘查|勘验|提取|指纹|指掌纹|掌纹|血迹|痕迹|生物)|物证|检材")
# A daily or per-head average is not a total: 日均采集900余份.
_AVERAGE = re.compile(r"日均|每日|每天|天均|平均每|人均|场均")
# 发放血样采集宣传资料2000余份 / 抽调民警45名 / 培训采集人员120人次: the figure counts
# these, not people sampled, when the word stands between the object and the figure.
_NOT_SAMPLED = re.compile(
    r"ཉེན་རྟོག|ལས་བྱེད་པ|警力|民警|干警|辅警|警员|特警|交警|人员|干部|工作组|小组|专班|采集组|车辆|车|"
    r"宣传资料|宣传单|宣传册|宣传品|资料|传单|手册|折页|标语|横幅|展板|海报|"
    r"设备|仪器|采集点|采集室|采集箱|试剂|采血针|场次|会议|培训|讲座|"
    r"身份证|居住证|证件|户口|证明|"             # 采集血样、办理身份证120张: other services
    r"比中|认定|抓获|查获|破获|嫌疑人|逃犯|在逃"   # 采集指纹比中嫌疑人3名: case results
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
_UNITS = {"份", "条", "人", "人次", "名", "例", "枚", "人份", "份次", "张"}   # 张: 人像照片2100张
_OBJECT_BEFORE = re.compile(
    r"(?:DNA|dna|Y-?STR|血液样本|血样|血液|样本|虹膜|指纹|指掌纹|掌纹|人像|人脸|声纹|信息|数据)"
    r"(?:共|达|达到|约|近|逾)?$|(?:ཁྲག(?:་དཔེ)?|སོར་རྗེས|ངོ་པར|གདོང་པར)་?\s*$"
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
    ("流动人口", ("migrants",)), ("外来人口", ("migrants",)), ("务工人员", ("migrants",)),
    ("务工经商人员", ("migrants",)), ("外来人员", ("migrants",)), ("流动人员", ("migrants",)),
    ("牧区群众", ("herders",)),
    # Tibetan: student, child, monk, nun, nomad, woman
    ("སློབ་ཕྲུག", ("students",)), ("སློབ་མ", ("students",)), ("བྱིས་པ", ("children",)),
    ("གྲྭ་བ", ("monks",)), ("གྲྭ་པ", ("monks",)), ("བཙུན་མ", ("nuns",)), ("ཨ་ནི", ("nuns",)),
    ("འབྲོག་པ", ("herders",)), ("བུད་མེད", ("women",)),
    ("在押人员", ("detainees",)), ("被监管人员", ("detainees",)),
)
# Tibetan figures carry no counter: people named right before one (སློབ་ཕྲུག་ ༢༣༠༠ students,
# མང་ཚོགས་ the public) may be what it counts; days, villages, police are not
_TIBETAN_PEOPLE = re.compile(
    rf"{SYLLABLE_START}(?:སློབ་ཕྲུག|སློབ་མ|བྱིས་པ|གྲྭ་བ|གྲྭ་པ|བཙུན་མ|ཨ་ནི|འབྲོག་པ|བུད་མེད|མང་ཚོགས|མི)"
    r"(?:་(?:རྣམས|ཚོ))?[\u0f0b\s]*$"
)
# a collection verb straight after a Tibetan figure (and its qualifier): ༣༠༠ ལྷག་བསྡུ་ལེན་བྱས
# (མང་ཚོགས་ ༢༣༠༠༠ ལྷག་གི་ཁྲག་དཔེ་བསྡུ་ལེན་བྱས: the blood samples of 23,000 people)
_TIBETAN_VERB_AFTER = re.compile(
    r"[\u0f0b\s]*(?:(?:ལྷག|ཙམ|ཡས་མས)[\u0f0b\s]*)?(?:(?:གི|ཀྱི|གྱི|ཡི)[\u0f0b\s]*(?:ཁྲག(?:་དཔེ)?|སོར་རྗེས)[\u0f0b\s]*)?"
    r"(?:བསྡུ་ལེན|བསྡུས)")
_SUBJECT_RE = re.compile("|".join(re.escape(w) for w, _ in _SUBJECT_WORDS))
_SUBJECTS = dict(_SUBJECT_WORDS)

# 其中 "of which", 包括 "including"; Tibetan དེའི་ནང / དེའི་ཁྲོད "within it, among them"
_QIZHONG_RE = re.compile(r"其中|包括|包含|དེའི་(?:ནང|ཁྲོད)|དེ་དག་གི་(?:ནང|ཁྲོད)")
# 新增 "newly added" (in the period) beside 累计 (all time)
_XINZENG = "新增"
_CUMULATIVE_WORD = re.compile(r"累计|总计|共计|库容|总量|总数")
# words that point back to the operation set up before (…开展集中采集活动。…。活动期间，共采集…)
_OPERATION_REF = re.compile(r"期间|活动中|行动中|工作中|此次|本次|这次|该次")
# words that point back to the period read last: 7月份…。另外，…当月采集血样不足300份
_ANAPHORA = re.compile(r"当月|同月|当年|同年|当天|当日|同日|当季")
# a clause naming whom a collection was for: 对…群众 · 为…学生
_RECIPIENT = re.compile(r"(?:其中)?[,，、\s]*(?:对|为|向|给)")
_SENTENCE_END = "。!?！？\n།"
_CLOSERS = "”’」』)）\"'"
_CLAUSE_BREAKS = set(",，;；:：")
_SCOPE_BREAKS = set(";；")  # 其中 stops at a semicolon
# a breakdown of a total announced: 各县采集情况如下： · 完成情况为： · 具体为： · 从各县情况看，
# the rows after it (拉萨市 4.1万份 · 萨迦县：4 876份 · 贵德县6.1万人) are parts of that total,
# with no verb of their own, up to the next blank line
_BREAKDOWN = re.compile(r"(?:情况|数据|结果)(?:如下|为|是)[:：]|情况[:：]|具体(?:为|是|如下)[:：,，]?|"
                        r"从各[^,，。;；:：\n]{0,8}情况(?:来)?看[,，]")
_EACH_BEFORE = re.compile(r"各(?:为|有|达|计)?\s*$")
_WHOLE_YEAR = re.compile(r"全年(?!度?(?:目标|任务|计划))")
_ALL_TIME_TOTAL = re.compile(r"全(?:省|州|区|地区)累计")
_BLANK_LINE = re.compile(r"\n[ \t\u3000]*\n")
_REMAINDER = re.compile(r"其余(?:各)?[^\d,，。;；:：\n采均在]{0,4}?(?:乡镇|乡|镇|县|区|派出所|单位) ?"
                        r"(?:采集(?:人数|数)?(?:合计|共计|共|为)?)? ?$")  # 其余乡镇 · 其余派出所采集人数合计
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
                            r"(?<!按)(?<!照)计划|(?<!模)拟|(?<![无必])须|必须|应当|务必|采集对象|采集范围|"
                            r"^(?:(?!按|根据|依据|依照|遵照)[^,，;；])*要求")   # not 按照上级要求采集…
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
        elif n[i] in "(（" and _QIZHONG_RE.match(n, i + 1):
            cuts.append(i)  # 共采集血样3000份（其中男性2000份）: the bracket holds the parts
    cuts.append(sent.end)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        if b <= a:
            continue
        part = n[a:b]
        out.append(_Clause(a, b, _biometrics_in(part, a, dna_context), bool(_VERB.search(part)),
                           bool(_RATE_WORD.search(part)), bool(_QIZHONG_RE.search(part)), bool(_DONE.search(part)),
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
    # who collects stands before the verb (民警通过预约上门等方式完成采集4100余人): only a word
    # after the object and after the verb is what the figure counts
    last_bio = max((o for o, _ in bios if seg_start <= o < q.start), default=-1)
    last_verb = max((seg_start + m.start() for m in _VERB.finditer(before)), default=-1)
    for m in _NOT_SAMPLED.finditer(before):
        if seg_start + m.start() > max(last_bio, last_verb):
            return False
    if _NOT_SAMPLED_AFTER.match(n, q.end):
        return False
    return True


def _unit_ok(n: str, q: Quantity, clause_start: int, part: bool = False) -> bool:
    if q.unit in _UNITS:
        return True
    if q.unit is None and _PEOPLE_AFTER.match(n, q.end):
        return True  # 为1.2万群众采集血样: the people counted, no counter
    if q.unit is None and _TIBETAN_PEOPLE.search(n, max(clause_start, q.start - 24), q.start) \
            and (part or _TIBETAN_VERB_AFTER.match(n, q.end)):
        # Tibetan figures carry no counter word: the people named before it, when the figure is
        # a part (དེའི་ནང་སློབ་ཕྲུག་ ༢༣༠༠ ལྷག་ཚུད) or collected right after it (…༣༠༠ བསྡུ་ལེན་བྱས);
        # not མང་ཚོགས་ ༣༠༠ ལྷག་ལ་གོ་རྟོགས་སྤྲད (300 people told about it)
        return True
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


@dataclass
class _Told:
    """What a sentence said about time, for the sentences after it."""
    period: Period          # its own period phrase (joined to a start set up before, for an end)
    rows: int               # statements it gave
    paragraph_start: int


def _own_period(text: str, sent: _Sentence, published_at, frame: _Told | None) -> Period:
    own = resolve_period(text[sent.start:sent.end], published_at)
    return _with_start(own, frame)


def _with_start(period: Period, frame: _Told | None) -> Period:
    """截至3月10日 after a sentence that set the operation up (自2016年11月起…开展; 11月以来,
    …设立采集点; ལོ་འདིའི་ཟླ་༡ནས་བཟུང…): the running total since that start. Only an end
    anchor without a start of its own (目前 / 近日 stay "as of publication"), and only a
    start from a sentence that gave no figures."""
    if period.kind != "end" or period.start is not None or frame is None or frame.rows:
        return period
    before = frame.period
    if before.kind != "start" or before.start is None or period.end is None or before.start > period.end:
        return period
    return replace(period, start=before.start, cumulative=True)


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
    post = _Post(text, n, published_at, pub_date, pub_place, title)

    out: list[Statement] = []
    totals: list[tuple[int, int, bool]] = []   # (row, paragraph, 新增) of counts that are not parts
    last_biometrics: list[str] | None = None
    prev_sentence: _Sentence | None = None
    prev_rows = 0                        # statements of the previous sentence
    prev_told: _Told | None = None       # the previous sentence's own period
    frame: _Told | None = None           # the last sentence before with a period phrase of its own
    last_period: tuple[str | None, str | None] | None = None   # the last period read (for 当月)
    total_starts: list[int] = []         # where each entry of `totals` stands in the text
    year_named: tuple[str, str] | None = None   # the last calendar year a sentence named
    breakdown: tuple[int, int, int] | None = None   # (from, to, row of the total) of a breakdown

    for sent in _sentences(n):
        own = _own_period(text, sent, published_at, frame)
        if own.start and own.end and own.start[4:] == "-01-01" and own.end[4:] == "-12-31" \
                and own.start[:4] == own.end[:4]:
            year_named = (own.start, own.end)
        quantities = [_shift(q, sent.start) for q in find_quantities(text[sent.start:sent.end])]
        bd = _BREAKDOWN.search(n, sent.start, sent.end)
        if bd:
            before = [t for t, at in zip(totals, total_starts) if at < bd.start()]
            if before:
                blank = _BLANK_LINE.search(n, bd.end())
                breakdown = (bd.end(), blank.start() if blank else len(n), before[-1][0])
        if not quantities:
            told = _Told(own, 0, sent.paragraph_start)
            if own.text is not None:
                frame, last_period = told, (own.start, own.end)
            prev_sentence, prev_rows, prev_told = sent, 0, told
            continue
        clauses = _clauses(n, sent, quantities, dna_context)
        ctx = _Context(sent, clauses, prev_told, frame, last_period, year_named)
        # the biometric of the sentence's last collection clause, for clauses that borrow it
        sentence_bios: list[str] | None = None
        # 其中 / དེའི་ནང opening a sentence: parts of the paragraph's last total
        part_of: int | None = None
        paragraph_totals = [t for t in totals if t[1] == sent.paragraph_start]
        if _QIZHONG_RE.match(n, sent.start) and paragraph_totals:
            part_of = _total_for(n, sent.start, sent.end, paragraph_totals)
            sentence_bios = out[part_of].biometrics
        sentence_rows: list[int] = []
        scope_start = sent.start             # after the clause of the sentence's last statement
        part_start = sent.start              # where the clauses about the current part begin
        # biometrics named in the sentence so far, collected or not (送检血样5.2万份，完成检验入库4.8万份)
        sentence_objects: list[str] | None = None
        # a collection figure just before (this sentence, or the paragraph's previous one):
        # a rate without a collection word (完成率为72%) is about it
        after_collection = prev_rows > 0 and prev_sentence.paragraph_start == sent.paragraph_start
        earlier_objects: list[str] | None = None   # from the sentence before, read when needed

        period_count_before = False          # a count of the period (not 累计) in an earlier clause
        for clause in clauses:
            if n[clause.start - 1:clause.start] in _SCOPE_BREAKS:
                part_of = None
                period_count_before = False
            if clause.qizhong:
                in_sentence = [i for i in sentence_rows if out[i].measure == "count" and out[i].subset_of is None]
                if in_sentence:
                    part_of = in_sentence[-1]
                elif part_of is None and paragraph_totals \
                        and not any(x.start < clause.start and x.unit in _UNITS for x in quantities):
                    # …今年累计采集虹膜信息过万条。…上门采集，其中为老年人上门采集360余人 (but in
                    # 走访群众3000余人次，其中老年人500余人 the part is of the visits)
                    part_of = _total_for(n, clause.start, sent.end, paragraph_totals)
                    sentence_bios = sentence_bios or out[part_of].biometrics
                part_start = clause.start
            clause_bios = _named(clause.bios)
            collection = clause.verb and bool(clause_bios)
            after_collection = after_collection or collection
            rows_before = len(sentence_rows)
            in_clause = [q for q in quantities if clause.start <= q.start < clause.end]
            # crime-scene material named before the clause's first figure covers them all
            # (现场勘查中提取血样12份、指纹3枚); named later, only the figures after it
            # (十指指纹卡216份、现场指纹142枚)
            crime_from = None
            if in_clause:
                hit = _CRIME_SCENE.search(n, clause.start, clause.end)
                if hit:
                    crime_from = clause.start if hit.start() < in_clause[0].start else hit.start()
            respective, respective_bios = _respective(n, clause, in_clause)
            seg_start = clause.start
            for k, q in enumerate(in_clause):
                # the words after the figure run to the next figure that is not an age
                # (1.7万名4岁以上男性: men)
                nxt = next((x for x in in_clause[k + 1:] if x.kind != "age"), None)
                seg_end = nxt.start if nxt is not None else clause.end
                seg_bios = _named([b for b in clause.bios if seg_start <= b[0] < q.start])
                bios = None
                parent = None
                borrowed = False
                part_of_breakdown = None
                if q.measure == "count" and q.kind == "count" and _unit_ok(n, q, clause.start, part_of is not None) \
                        and _counts_people_sampled(n, q, seg_start, clause.bios) \
                        and not (crime_from is not None and crime_from < q.start) \
                        and not _AVERAGE.search(n, seg_start, q.start) \
                        and not _TARGET_BEFORE.search(n[clause.start:q.start]) \
                        and not _TARGET_JUST_BEFORE.search(n, clause.start, q.start) \
                        and not _TARGET_AFTER.match(n, q.end):
                    if collection:
                        bios = seg_bios or clause_bios
                    elif sentence_bios and (clause.verb or clause.done or clause_bios or part_of is not None
                                            or _only_places(n, seg_start, q.start)
                                            or (n[clause.start - 1:clause.start] in (":", "：")
                                                and not n[seg_start:q.start].strip(_LIST_FILLER))):
                        # (DNA血样采集数：3.2万份: the value of a label)
                        bios = seg_bios or clause_bios or sentence_bios
                    elif breakdown is not None and breakdown[0] <= q.start < breakdown[1] and not clause_bios \
                            and q.qualifier != "at_most" \
                            and (_only_places(n, seg_start, q.start) or _REMAINDER.search(n, seg_start, q.start)
                                 or (clause.verb and _borrows_across(n, clause.start, q.start))
                                 or (n[clause.start - 1:clause.start] in (":", "：")
                                     and not n[seg_start:q.start].strip(_LIST_FILLER))):
                        # 各地市采集情况为：拉萨市 4.1万份 …: a row of the breakdown of a total
                        bios = out[breakdown[2]].biometrics
                        part_of_breakdown = breakdown[2]
                    elif clause.verb and not clause_bios and sentence_objects:
                        bios = sentence_objects
                    elif clause.verb and not clause_bios and sentence_objects is None \
                            and _borrows_across(n, clause.start, q.start) \
                            and prev_sentence is not None \
                            and (prev_sentence.paragraph_start == sent.paragraph_start or not prev_rows):
                        # …对矿区外来务工人员开展指纹信息采集。截至9月5日，大柴旦行委共采集5000～6000人
                        if earlier_objects is None:
                            earlier_objects = _collection_objects(n, prev_sentence, dna_context) or []
                        bios = earlier_objects or None
                        borrowed = bios is not None
                    parent = part_of if part_of_breakdown is None else part_of_breakdown
                elif q.measure == "rate" and q.kind == "rate" and not clause.sample_share and (
                        clause.rate_word or (clause.rate_noun and (after_collection or clause_bios))):
                    bios = seg_bios or clause_bios or sentence_bios or last_biometrics
                    in_sentence = [i for i in sentence_rows if out[i].measure == "count" and out[i].subset_of is None]
                    rates = [x for x in in_clause if x.measure == "rate"]
                    if not seg_bios and "分别" in n[clause.start:clause.end] and len(rates) == len(in_sentence) > 1:
                        # 人像…5.6万条、指纹…4.8万条，分别占应采人数的96%、85%: one rate per total, in order
                        bios = out[in_sentence[rates.index(q)]].biometrics
                if bios and q.start in respective_bios:
                    bios = respective_bios[q.start]
                # 指纹信息、人像信息各12万余条: each biometric has the figure, one row each
                each = [[b] for b in bios] if bios and len(bios) > 1 \
                    and _EACH_BEFORE.search(n, seg_start, q.start) else [bios]
                for bios in each:
                    if not bios:
                        continue
                    subjects = _subjects_for(n, q, seg_start, seg_end, clause, clauses,
                                             part_start if parent is not None else scope_start, parent is not None)
                    if not subjects and borrowed:
                        subjects = _subjects_in(n[prev_sentence.start:prev_sentence.end])
                    place = respective.get(q.start) or _place_of(post, q, sent)
                    if parent is None and q.measure == "count":
                        # 全市共采集血样12.3万份，城关区…采集4.6万份: a county's figure after its
                        # prefecture's total in the same sentence is a part of it
                        parent = _containing_total(out, sentence_rows, place, bios)
                    st = _statement(post, q, ctx, clause, bios, out[parent] if parent is not None else None,
                                    subjects=subjects, place=place, counted_before=period_count_before)
                    st.subset_of = parent
                    out.append(st)
                    idx = len(out) - 1
                    sentence_rows.append(idx)
                    if q.measure == "count" and parent is None:
                        totals.append((idx, sent.paragraph_start, _XINZENG in n[clause.start:q.start]))
                        total_starts.append(q.start)
                        paragraph_totals = [t for t in totals if t[1] == sent.paragraph_start]
                    last_biometrics = bios
                    last_period = (st.period_start, st.period_end)
                    if q.measure == "count" and not _CUMULATIVE_WORD.search(n, clause.start, q.start):
                        period_count_before = True   # 今年以来，共采集血样3200份，累计采集3.6万份
                seg_start = q.end
            if collection:
                sentence_bios = clause_bios
            if clause_bios:
                sentence_objects = clause_bios
            if len(sentence_rows) > rows_before:
                scope_start = clause.end
                after_collection = True
        told = _Told(own, len(sentence_rows), sent.paragraph_start)
        if own.text is not None:
            frame = told
            if not sentence_rows:
                last_period = (own.start, own.end)
        prev_sentence, prev_rows, prev_told = sent, len(sentence_rows), told
    return out


def _borrows_across(n: str, start: int, figure: int) -> bool:
    """A clause that may take its object from the sentence before: a collection verb
    proper (not 录入 入库, which file other records too) and, between it and the figure,
    nothing but people and fillers (共采集5000～6000人 · 上门采集360余人; not
    采集群众信息3200余条, where 信息 is what was collected)."""
    verbs = list(_COLLECT.finditer(n, start, figure))
    return bool(verbs) and bool(_BORROW_GAP.fullmatch(n, verbs[-1].end(), figure))


def _respective(n: str, clause: _Clause, in_clause: list[Quantity]) -> tuple[dict[int, object], dict[int, list[str]]]:
    """洛隆县、边坝县分别采集血样1.2万份、9000份 · 采集虹膜、人像信息分别为3.2万条、3.1万条:
    the places, or the biometrics, named before 分别 ("respectively") go to the figures after
    it, in order, when there are as many of each. ({figure start: place}, {figure start: [biometric]})"""
    k = n.find("分别", clause.start, clause.end)
    if k < 0:
        return {}, {}
    figures = [q for q in in_clause if q.start > k and q.measure == "count"]
    if len(figures) < 2:
        return {}, {}
    named = [place for _, _, place in find_places(n[clause.start:k])]
    places = {q.start: place for q, place in zip(figures, named)} if len(named) == len(figures) else {}
    kinds = _named([b for b in clause.bios if b[0] < k])
    bios = {q.start: [b] for q, b in zip(figures, kinds)} if len(kinds) == len(figures) else {}
    return places, bios


def _place_of(post: _Post, q: Quantity, sent: _Sentence):
    """The nearest place named before the figure in its sentence, else the nearest in the
    text before it (a post's opening paragraph often names the township or county the next
    paragraph's figure is about), the title, the publisher (pipelines.places)."""
    return statement_place(post.n[sent.start:sent.end], anchor=q.start - sent.start, publisher=post.pub_place,
                           context=post.n[max(0, sent.start - PLACE_CONTEXT):sent.start], title=post.title)


def _containing_total(out: list[Statement], sentence_rows: list[int], place, bios: list[str]) -> int | None:
    """The sentence's last total (not a part) of the same biometrics whose place strictly
    contains `place`, or None."""
    if place is None:
        return None
    for i in reversed(sentence_rows):
        total = out[i]
        if total.measure != "count" or total.subset_of is not None or total.biometrics != list(bios):
            continue
        outer = gazetteer().by_code(total.place_code)
        return i if outer is not None and outer.code != place.code and place.within(outer) else None
    return None


def _total_for(n: str, start: int, end: int, candidates: list[tuple[int, int, bool]]) -> int:
    """The total a part belongs to: the last one, or the last 新增 ("newly added") one when the
    part is new too (…新增采集血样1.2万份，累计采集血样达8.7万份。其中，改则县今年新增采集2100余份)."""
    if _XINZENG in n[start:end]:
        new = [t for t in candidates if t[2]]
        if new:
            return new[-1][0]
    return candidates[-1][0]


def _collection_objects(n: str, sent: _Sentence, dna_context: bool) -> list[str] | None:
    """The biometrics of the last clause of `sent` that names a collection (verb and object)."""
    found = None
    a = sent.start
    for i in range(sent.start, sent.end + 1):
        if i == sent.end or n[i] in _CLAUSE_BREAKS:
            part = n[a:i]
            bios = _named(_biometrics_in(part, a, dna_context))
            if bios and _VERB.search(part):
                found = bios
            a = i + 1
    return found


def _shift(q: Quantity, offset: int) -> Quantity:
    return replace(q, start=q.start + offset, end=q.end + offset)


@dataclass
class _Post:
    text: str
    n: str
    published_at: str | None
    pub_date: str | None
    pub_place: object
    title: str | None


@dataclass
class _Context:
    sent: _Sentence
    clauses: list[_Clause]
    prev_told: _Told | None
    frame: _Told | None
    last_period: tuple[str | None, str | None] | None
    year: tuple[str, str] | None = None   # the calendar year a sentence before named (2019年，…)


def _statement(post: _Post, q: Quantity, ctx: _Context, clause: _Clause, bios: list[str],
               parent: Statement | None, *, subjects: list[str], place,
               counted_before: bool = False) -> Statement:
    text, sent = post.text, ctx.sent
    start, end, cumulative = _period_of(post, q, ctx, clause, parent, counted_before)
    biometric = bios[0] if len(bios) == 1 else "multiple"
    return Statement(
        biometric=biometric, biometrics=list(bios), measure=q.measure,
        value_min=q.value_min, value_max=q.value_max, approximate=q.approximate,
        qualifier=q.qualifier, unit=q.unit, cumulative=cumulative, subset_of=None,
        period_start=start, period_end=end,
        place_code=place.code if place else None, place_name=place.name if place else None,
        subjects=subjects, figure=text[q.start:q.end],
        quote=text[sent.start:sent.end], quote_start=sent.start, quote_end=sent.end,
    )


def _period_of(post: _Post, q: Quantity, ctx: _Context, clause: _Clause,
               parent: Statement | None, counted_before: bool = False) -> tuple[str | None, str | None, bool]:
    """(start, end, cumulative) of a statement.

    The sentence up to the end of the figure's clause (later clauses hold comparisons:
    较去年同期; plan clauses date the plan); an end with no start (截至3月10日) starts where
    a sentence before set the operation up (自2016年11月起…开展). With no period there:
    a part's is its total's; 当月/当年 are the period read last; then the previous
    sentence's running total (截至…, …以来) in the same paragraph; then the frame a
    sentence without figures set before (今年以来，…开展…工作 · 4月1日至7月10日，…开展…行动。
    行动期间…), a start anywhere before, a span only for an operation's tally (an event's
    date, 11月2日召开推进会, is one day; 已/据统计 is a status, not the tally); none -> the
    publication date."""
    n, sent = post.n, ctx.sent
    scope = "".join(post.text[c.start:c.end] for c in ctx.clauses if c.end <= clause.end
                    and (c is clause or not _PLAN_CLAUSE.search(n, c.start, c.end)))
    own = resolve_period(scope, post.published_at)
    period = _with_start(own, ctx.frame)
    if own.start is None and period.start is not None and _ALL_TIME_TOTAL.search(n, clause.start, q.start):
        # 今年以来，…推进。截至8月底，全省累计采集虹膜信息286.4万条: a province's (prefecture's)
        # 累计 is its all-time total, not the work since the frame's start
        period = replace(period, start=None)
    cumulative = period.cumulative or bool(_RUNNING_NOW.search(n[sent.start:clause.end]))
    if period.text is not None:
        if period.start is not None and _CUMULATIVE_WORD.search(n, clause.start, q.start) \
                and (counted_before or _XINZENG in n[sent.start:clause.start]) \
                and resolve_period(post.text[clause.start:clause.end], post.published_at).text is None:
            # 今年以来，…新增采集血样1.2万份，累计采集血样达8.7万份: after the period's own count,
            # 累计 is the running total of all time
            period = replace(period, start=None)
        start, end = period.start, period.end
    elif parent is not None:
        return parent.period_start, parent.period_end, parent.cumulative
    elif ctx.last_period is not None and _ANAPHORA.search(n, sent.start, clause.end):
        start, end = ctx.last_period
    elif ctx.year is not None and _WHOLE_YEAR.search(n, sent.start, q.start):
        # 2019年，全区公安机关…。…全年共采集DNA血样21.4万份: the year the review named
        start, end = ctx.year
        cumulative = False
    else:
        start, end = None, None
        before, frame = ctx.prev_told, ctx.frame
        if before is not None and before.period.text is not None and before.period.cumulative \
                and before.paragraph_start == sent.paragraph_start:
            start, end, cumulative = before.period.start, before.period.end, True
        elif frame is not None and not frame.rows and frame.period.kind == "start" and frame.period.start:
            start, end, cumulative = frame.period.start, frame.period.end, True
        elif frame is not None and (frame is before or _OPERATION_REF.search(n, sent.start, clause.end)) \
                and not frame.rows and not frame.period.cumulative \
                and frame.period.start and frame.period.end and frame.period.start < frame.period.end \
                and not _STATUS.search(n, sent.start, clause.end):
            start, end = frame.period.start, frame.period.end
    if parent is not None:
        cumulative = parent.cumulative   # a part is of its total's kind
    if start is None and end is None:
        end = post.pub_date
    return start, end, cumulative


def _subjects_for(n: str, q: Quantity, seg_start: int, seg_end: int, clause: _Clause,
                  clauses: list[_Clause], scope_start: int, is_part: bool) -> list[str]:
    """Who was sampled, when named: the words before the figure (since the previous
    figure of its clause), else those after it (420名僧尼的血样), else the sentence's
    earlier clauses about this collection (since the last statement's clause; for a part,
    since its 其中) that name it or whom it was for (集中开展男性血样采集，共采集血样3000多份 ·
    对居住在偏远牧场的牧民群众，民警…完成采集4100余人); not a clause giving a reason
    (香茂乡因牧民夏季转场，当月采集血样不足300份)."""
    before = _subjects_in(n[seg_start:q.start])
    if before:
        return before
    after = _subjects_in(n[q.end:seg_end])
    if after:
        return after
    out: list[str] = []
    for c in clauses:
        if scope_start <= c.start < clause.start and (c.verb or c.bios or _RECIPIENT.match(n, c.start)):
            out += [s for s in _subjects_in(n[c.start:c.end]) if s not in out]
    return out
