"""The mock's articles: data only, no markup.

Every post the mock serves is described here once; the template modules
(wechat.py, thepaper.py, gov.py) turn these records into the real sites'
markup. The wording copies the way police bureaus in the Tibet Autonomous
Region and Qinghai phrase collection figures (see docs/targets.md), including
the distractor numbers a figure extractor must skip. Place names are real
county-level units from the 2020 census, plus old names (那曲县, 堆龙德庆县,
达孜县, 昌都县) and townships (格达乡 in 当雄县).

``truth`` records what a correct extractor should find in the post: tests of
the crawler and parsers may compare against it. ``figure`` is the collection
figure as written, ``value`` the number it means, ``qualifier`` one of
exact / at_least / at_most / range / vague / person_visits / none.

Times are Beijing time (UTC+8), "YYYY-MM-DD HH:MM".

``NIGHTS`` holds the site as a nightly crawl meets it again: what changed on
each later night, by post key (see the end of this file).
"""

import dataclasses
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Post:
    key: str                 # stable name, used in site.urls and tests
    source: str              # wechat | wechat_image | thepaper | gov
    title: str
    publisher: str           # account nickname, 澎湃号 name or issuing bureau
    published: str           # Beijing time "YYYY-MM-DD HH:MM"
    paragraphs: tuple        # plain text paragraphs, in order
    summary: str = ""
    images: int = 0          # how many photos the post carries
    extra: dict = field(default_factory=dict)   # per-source identity fields
    truth: dict = field(default_factory=dict)   # what an extractor should find


# --- WeChat public-account articles (classic template) -----------------------

WECHAT = (
    Post(
        key="luolong_dna",
        source="wechat",
        title="洛隆县公安局扎实推进DNA数据库建设工作",
        publisher="洛隆公安",
        published="2019-05-21 10:32",
        summary="洛隆县公安局多措并举推进DNA信息采集工作，累计采集DNA血样17194份。",
        images=3,
        extra=dict(user_name="gh_3f8a1c2d9e47", uin="3096543421", mid=2247483650,
                   original=True),
        paragraphs=(
            "为进一步夯实公安基础工作，提升打击违法犯罪能力，按照自治区公安厅和昌都市公安局的统一部署，"
            "洛隆县公安局高度重视DNA数据库建设工作，成立了以局长为组长的工作领导小组，抽调精干警力组成采集小组，"
            "深入全县各乡（镇）、村（居）开展DNA血样采集工作。",
            "工作中，采集小组坚持“应采尽采、不漏一人”的原则，严格按照采集规范，对辖区4岁以上男性开展血样采集。"
            "民警们克服高寒缺氧、路途遥远等困难，翻山越岭、进村入户，确保采集工作不漏一户、不漏一人。",
            "截至目前，洛隆县公安局累计采集DNA血样17194份，全部完成录入上传。"
            "期间共入户走访群众3200余户，发放宣传资料2000余份，出动警力120余人次，车辆40余台次。",
            "下一步，洛隆县公安局将继续加大工作力度，确保DNA数据库建设工作取得实效，"
            "为维护全县社会大局持续稳定、长期稳定、全面稳定提供坚实保障。",
        ),
        truth=dict(biometric="DNA", figure="17194份", value=17194, qualifier="exact",
                   place="洛隆县", distractors=["3200余户", "2000余份", "120余人次", "4岁"]),
    ),
    Post(
        key="damxung_gada_dna",
        source="wechat",
        title="当雄县公安局深入格达乡开展血样采集工作 ལྷ་སྒང་གི་ཞི་བདེ།",
        publisher="当雄公安",
        published="2017-08-14 19:05",
        summary="当雄县公安局民警深入格达乡各村开展血样采集工作。",
        images=2,
        extra=dict(user_name="gh_b71e0d55a2c3", uin="3227004518", mid=2650872201),
        paragraphs=(
            "བཀྲ་ཤིས་བདེ་ལེགས། 8月上旬以来，当雄县公安局组织民警深入格达乡各行政村，"
            "采用藏汉双语宣讲的方式，向农牧民群众宣传血样采集工作的目的和意义。",
            "བོད་ལྗོངས་རང་སྐྱོང་ལྗོངས་ཀྱི་སྤྱི་བདེ་ལས་ཁུངས། 民警们利用牧民群众集中转场的时机，"
            "设立临时采集点，方便群众就近采集。",
            "据统计，全县已采集血样1.7万余份，其中格达乡采集2100余份。",
            "ཐུགས་རྗེ་ཆེ། 当雄县公安局将继续以群众满意为标准，扎实做好各项基础工作。",
        ),
        truth=dict(biometric="DNA", figure="1.7万余份", value=17000, qualifier="at_least",
                   place="当雄县", township="格达乡", script=["Hans", "Tibt"]),
    ),
    Post(
        key="nagqu_dna_2016",
        source="wechat",
        title="那曲县公安局召开DNA采集工作推进会",
        publisher="那曲县公安",
        published="2016-11-03 16:48",
        summary="那曲县公安局召开DNA采集工作推进会，总结前一阶段工作。",
        images=1,
        extra=dict(user_name="gh_0c94f7e3a118", uin="3081297765", mid=2649337012),
        paragraphs=(
            "11月2日，那曲县公安局召开DNA采集工作推进会，局党委委员、各派出所所长参加会议。",
            "会议通报了前一阶段全县DNA采集工作进展情况：自工作开展以来，全县共采集血样近两万份，"
            "基本完成了阶段性目标任务。",
            "会议要求，各派出所要进一步统一思想、提高认识，对照任务清单逐村逐户核查，"
            "确保年底前全面完成采集任务。",
        ),
        truth=dict(biometric="DNA", figure="近两万份", value=20000, qualifier="at_most",
                   place="那曲县", place_now="色尼区"),
    ),
    Post(
        key="chengguan_dna_2022",
        source="wechat",
        title="城关分局圆满完成年度男性血样采集任务",
        publisher="拉萨市公安局城关分局",
        published="2022-06-18 21:17",
        summary="拉萨市公安局城关分局圆满完成年度血样采集任务。",
        images=2,
        extra=dict(user_name="gh_5d2e8b60f9a4", uin="3934188270", mid=2247512836,
                   ip_province="西藏"),
        paragraphs=(
            "今年以来，拉萨市公安局城关分局坚持把血样采集工作作为夯实基层基础的重要抓手，"
            "各派出所与辖区学校、社区密切配合，分片包干、压实责任。",
            "截至6月15日，分局共采集男性血样2.35万份，其中在校学生6000余名，采集率达９５％，"
            "圆满完成年度目标任务。",
            "分局还结合“百万警进千万家”活动，入户走访群众1500余户，解决群众急难愁盼问题30余件。",
        ),
        truth=dict(biometric="DNA", figure="2.35万份", value=23500, qualifier="exact",
                   place="城关区", place_resolved="拉萨市城关区",
                   subset="6000余名", rate="95%"),
    ),
    Post(
        key="chindu_iris_2022",
        source="wechat",
        title="称多县公安局全力推进虹膜信息采集工作",
        publisher="称多公安",
        published="2022-03-09 12:40",
        summary="称多县公安局组织警力深入乡镇开展虹膜信息采集。",
        images=2,
        extra=dict(user_name="gh_e6a93c71d025", uin="3889420163", mid=2247486019,
                   ip_province="青海"),
        paragraphs=(
            "为全面完成州局部署的虹膜信息采集任务，称多县公安局抽调警力组成3个工作组，"
            "携带移动采集设备深入全县各乡镇、寺院和牧业点开展采集工作。",
            "截至目前，全县已完成虹膜采集3.2万人，占应采人数的八成以上。",
            "县局要求各工作组在确保采集质量的前提下加快进度，按期完成剩余采集任务。",
        ),
        truth=dict(biometric="iris", figure="3.2万人", value=32000, qualifier="exact",
                   place="称多县", rate="八成"),
    ),
    Post(
        key="dengqen_traffic",
        source="wechat",
        title="丁青县公安局开展“国庆”交通安全宣传活动",
        publisher="丁青公安",
        published="2020-09-29 18:02",
        summary="丁青县公安局交警大队开展国庆节前交通安全宣传。",
        images=1,
        extra=dict(user_name="gh_7a0f2b9c6e31", uin="3521768840", mid=2247491377),
        paragraphs=(
            "“国庆”“中秋”双节将至，为营造安全畅通的道路交通环境，丁青县公安局交警大队在县城主要路段开展交通安全宣传活动。",
            "活动中，民警向过往驾驶人和群众发放宣传资料2000余份，现场纠正交通违法行为15起。",
            "交警大队提醒广大群众：出行遵守交通规则，不酒驾、不超员、不超速。",
        ),
        truth=dict(biometric=None, qualifier="none", place="丁青县",
                   distractors=["2000余份", "15起"]),
    ),
    # A Tibetan-language version, as TAR bureaus also post: Tibetan title and
    # text; only the template's account name, source and editor lines are Chinese.
    Post(
        key="nyemo_dna_tibetan",
        source="wechat",
        title="སྙེ་མོ་རྫོང་སྤྱི་བདེ་ཅུས་ཀྱིས་ཁྲག་དཔེ་བསྡུ་ལེན་ལས་དོན་ཡར་སྐྱོད་བྱས།",
        publisher="尼木公安",
        published="2019-06-12 11:20",
        summary="སྙེ་མོ་རྫོང་སྤྱི་བདེ་ཅུས་ཀྱིས་ཁྲག་དཔེ་ 8600 ལྷག་བསྡུ་ལེན་བྱས།",
        images=1,
        extra=dict(user_name="gh_9b4d6e2f1a07", uin="3305517729", mid=2247484120),
        paragraphs=(
            "སྙེ་མོ་རྫོང་སྤྱི་བདེ་ཅུས་ཀྱིས་རང་སྐྱོང་ལྗོངས་སྤྱི་བདེ་ཐིང་གི་ལས་འགན་ཕྱོགས་སྒྲིག་ལྟར། "
            "ཆེད་ལས་ལས་ཚན་བཙུགས་ནས་ཤང་དང་གྲོང་ཚོ་ཁག་ཏུ་ཁྲག་དཔེ་བསྡུ་ལེན་ལས་དོན་སྤེལ།",
            "ལས་དོན་སྐབས་སུ་ཉེན་རྟོག་པ་རྣམས་ཀྱིས་ཁྱིམ་ཚང་རེ་རེར་བསྐྱོད་དེ། "
            "མང་ཚོགས་ལ་ཁྲག་དཔེ་བསྡུ་ལེན་གྱི་དམིགས་ཡུལ་དང་དོན་སྙིང་གསལ་བཤད་བྱས།",
            "ད་བར་རྫོང་ཡོངས་སུ་ཁྲག་དཔེ་ 8600 ལྷག་བསྡུ་ལེན་བྱས་ཟིན།",
            "རྗེས་སུ་སྙེ་མོ་རྫོང་སྤྱི་བདེ་ཅུས་ཀྱིས་ལས་དོན་འདི་མུ་མཐུད་ནན་ཏན་ངང་སྤེལ་རྒྱུ་ཡིན།",
        ),
        truth=dict(biometric="DNA", figure="8600 ལྷག", value=8600, qualifier="at_least",
                   place="尼木县", language="bo", script=["Tibt"]),
    ),
)

# --- WeChat image post (2024+ template, data only in window.cgiDataNew) ------

WECHAT_IMAGE = (
    Post(
        key="hainan_iris_images",
        source="wechat_image",
        title="海南州公安局“一标三实”暨生物信息采集工作纪实",
        publisher="海南州公安",
        published="2024-04-12 09:15",
        images=4,
        extra=dict(user_name="gh_42c7d1e0ab98", uin="3917734052", mid=2247530118,
                   ip_province="青海"),
        paragraphs=(
            "近期，海南州公安局在共和县、贵南县等地集中开展“一标三实”基础信息采集工作。",
            "各派出所民警进村入户，共采集虹膜、指纹、人像信息8000余条。",
            "#海南州公安 #基础工作",
        ),
        truth=dict(biometric="iris+fingerprint+face", figure="8000余条", value=8000,
                   qualifier="at_least", place="海南州", flag="multiple_biometrics"),
    ),
)

# --- The Paper, 澎湃号·政务 ----------------------------------------------------

THEPAPER = (
    Post(
        key="yushu_iris_104",
        source="thepaper",
        title="玉树州公安局扎实推进虹膜信息采集工作",
        publisher="平安玉树",
        published="2021-07-20 17:36",
        summary="玉树州公安局累计采集虹膜信息104万余条。",
        extra=dict(contId=13687452, userId=4021177),
        paragraphs=(
            "今年以来，玉树州公安局把虹膜信息采集工作作为推进平安玉树建设的基础性工作来抓，"
            "统筹全州六县（市）公安机关警力，全面开展采集工作。",
            "截至7月18日，全州累计采集虹膜信息104万余条，其中玉树市、称多县、囊谦县采集进度位居全州前列。",
            "下一步，州局将持续加强数据质量核查，确保采集信息准确、完整、可用。",
        ),
        truth=dict(biometric="iris", figure="104万余条", value=1040000,
                   qualifier="at_least", cumulative=True, place="玉树州"),
    ),
    Post(
        key="shigatse_dna_11wan",
        source="thepaper",
        title="日喀则市公安局DNA数据库建设取得新成效",
        publisher="平安日喀则",
        published="2020-12-22 10:08",
        summary="日喀则市公安局累计采集DNA样本达11万份。",
        extra=dict(contId=10473316, userId=3904452),
        paragraphs=(
            "2020年，日喀则市公安局紧紧围绕DNA数据库建设目标，各县（区）公安局协同推进，"
            "定日县、拉孜县、聂拉木县等地克服点多线长等困难，采集工作稳步推进。",
            "截至12月20日，全市累计采集DNA样本达11万份，较去年同期增长15%。",
            "市局表示，将进一步完善采集、检验、入库工作机制，提升数据库应用效能。",
        ),
        truth=dict(biometric="DNA", figure="11万份", value=110000, qualifier="exact",
                   cumulative=True, place="日喀则市", distractors=["15%"]),
    ),
    Post(
        key="xining_antifraud",
        source="thepaper",
        title="西宁警方开展反电信网络诈骗集中宣传",
        publisher="平安西宁",
        published="2021-05-14 08:50",
        summary="西宁市公安局开展反电诈宣传进社区活动。",
        extra=dict(contId=12652810, userId=3677501),
        paragraphs=(
            "5月13日，西宁市公安局城东分局、城中分局在辖区商场、社区开展反电信网络诈骗集中宣传活动。",
            "民警现场指导群众下载安装国家反诈中心APP 800余人次，发放宣传资料3000余份。",
            "警方提醒：凡是要求转账汇款到“安全账户”的，都是诈骗！",
        ),
        truth=dict(biometric=None, qualifier="none", place="西宁市",
                   distractors=["800余人次", "3000余份"]),
    ),
)

# The Paper post that always answers 403 (the real site sometimes refuses
# automated clients): only its id matters.
THEPAPER_FORBIDDEN_CONTID = 13690001


# --- Government portal (TRS CMS), column 公安动态, newest first -----------------
# extra: id (7-digit TRS document id), body (container style), pubdate_fmt
# ("dash" "2021-03-10 10:00" or "slash" "2021/03/10 09:30"), shown ("dash" →
# 发布时间：2021-03-10, "cn" → 2021年3月10日).

GOV_SITE_NAME = "西藏自治区公安厅"
GOV_COLUMN = "公安动态"

GOV = (
    Post(
        key="chamdo_dna_2022",
        source="gov",
        title="昌都市公安局全面推进DNA信息采集工作",
        publisher="昌都市公安局",
        published="2022-01-12 10:00",
        extra=dict(id="1289455", body="TRS_Editor", pubdate_fmt="dash", shown="dash"),
        paragraphs=(
            "近日，昌都市公安局召开专题会议，安排部署全市DNA信息采集工作。",
            "会议指出，卡若区（原昌都县）、江达县、贡觉县等地前期已采集血样数千份，"
            "但与目标任务相比仍有差距。",
            "会议要求，各县（区）公安局要倒排工期、挂图作战，确保按期完成任务。",
        ),
        truth=dict(biometric="DNA", figure="数千份", value=None, qualifier="vague",
                   place="昌都市", flag="vague"),
    ),
    Post(
        key="lhasa_winter_traffic",
        source="gov",
        title="全区公安交管部门部署冬季道路交通安全工作",
        publisher="西藏自治区公安厅交通警察总队",
        published="2021-11-05 16:20",
        extra=dict(id="1276803", body="trs_editor_view", pubdate_fmt="slash", shown="cn"),
        paragraphs=(
            "11月4日，自治区公安厅交通警察总队召开视频会议，部署全区冬季道路交通安全工作。",
            "会议要求，各地要紧盯冰雪路段、长下坡路段，加强巡逻管控，严防重特大道路交通事故。",
        ),
        truth=dict(biometric=None, qualifier="none"),
    ),
    Post(
        key="nyingchi_dna_2021",
        source="gov",
        title="巴宜区公安分局开展男性血样采集“回头看”工作",
        publisher="林芝市公安局巴宜区分局",
        published="2021-08-17 09:45",
        extra=dict(id="1262917", body="zw", pubdate_fmt="dash", shown="dash"),
        paragraphs=(
            "为确保采集工作不留死角，巴宜区公安分局近期开展男性血样采集“回头看”工作。",
            "各派出所对照户籍底册逐户核对，补采血样3000多份，其中流动人口500余人次。",
            "分局将以此次“回头看”为契机，建立采集工作长效机制。",
        ),
        truth=dict(biometric="DNA", figure="3000多份", value=3000, qualifier="at_least",
                   place="巴宜区", place_old="林芝县", also="500余人次 (person-visits)"),
    ),
    Post(
        key="chengguan_dna_2021",
        source="gov",
        title="拉萨市公安局城关分局召开血样采集工作部署会",
        publisher="拉萨市公安局城关分局",
        published="2021-03-10 10:00",
        extra=dict(id="1234567", body="TRS_Editor", pubdate_fmt="dash", shown="dash"),
        paragraphs=(
            "3月9日，拉萨市公安局城关分局召开血样采集工作部署会，分局副局长王镕出席会议并讲话。",
            "王镕指出，去年以来，分局各派出所共采集血样万余份，为维护辖区稳定发挥了重要作用。",
            "会议由分局政治处主任李堃主持，各派出所所长、各大队负责人参加会议。",
        ),
        truth=dict(biometric="DNA", figure="万余份", value=10000, qualifier="at_least",
                   place="城关区", place_resolved="拉萨市城关区",
                   names=["王镕", "李堃"]),
    ),
    Post(
        key="lhasa_antifraud_2021",
        source="gov",
        title="拉萨市公安局破获一起电信网络诈骗案",
        publisher="拉萨市公安局",
        published="2021-01-20 15:30",
        extra=dict(id="1227341", body="zoom", pubdate_fmt="slash", shown="dash"),
        paragraphs=(
            "近日，拉萨市公安局刑侦支队成功破获一起冒充客服退款类电信网络诈骗案，抓获犯罪嫌疑人3名。",
            "警方提醒广大群众，接到陌生来电要提高警惕，切勿向陌生账户转账。",
        ),
        truth=dict(biometric=None, qualifier="none", distractors=["3名"]),
    ),
    Post(
        key="seni_dna_2020",
        source="gov",
        title="色尼区公安局DNA采集录入工作顺利完成",
        publisher="那曲市公安局色尼区分局",
        published="2020-10-09 11:00",
        extra=dict(id="1198260", body="TRS_Editor", pubdate_fmt="dash", shown="cn"),
        paragraphs=(
            "色尼区（原那曲县）公安局按照市局部署，全力推进DNA采集录入工作。",
            "截至9月底，全区共采集DNA血样一万二千三百零六份，并全部录入数据库。",
        ),
        truth=dict(biometric="DNA", figure="一万二千三百零六份", value=12306,
                   qualifier="exact", place="色尼区", place_old="那曲县"),
    ),
    Post(
        key="drug_prevention_2020",
        source="gov",
        title="自治区公安厅开展“6·26”国际禁毒日宣传活动",
        publisher="西藏自治区公安厅禁毒总队",
        published="2020-06-01 10:30",
        extra=dict(id="1176512", body="trs_editor_view", pubdate_fmt="dash", shown="dash"),
        paragraphs=(
            "为迎接“6·26”国际禁毒日，自治区公安厅禁毒总队联合拉萨市公安局在宗角禄康公园开展禁毒宣传活动。",
            "禁毒总队民警张喆向群众讲解新型毒品的危害，现场发放宣传资料2000余份。",
        ),
        truth=dict(biometric=None, qualifier="none", names=["张喆"]),
    ),
    Post(
        key="tingri_dna_2019",
        source="gov",
        title="定日县公安局血样采集工作进展顺利",
        publisher="日喀则市定日县公安局",
        published="2019-12-19 09:30",
        extra=dict(id="1139904", body="zw", pubdate_fmt="slash", shown="dash"),
        paragraphs=(
            "定日县公安局结合冬季农牧民群众相对集中的有利时机，加快推进血样采集工作。",
            "截至目前，全县已采集血样2-3万份，采集率达到百分之九十八。",
        ),
        truth=dict(biometric="DNA", figure="2-3万份", value=[20000, 30000],
                   qualifier="range", place="定日县", rate="百分之九十八"),
    ),
    Post(
        key="doilungdeqen_dna_2019",
        source="gov",
        title="堆龙德庆县公安局深入推进DNA数据库建设",
        publisher="拉萨市堆龙德庆县公安局",
        published="2019-07-07 17:10",
        extra=dict(id="1110358", body="TRS_Editor", pubdate_fmt="dash", shown="dash"),
        paragraphs=(
            "堆龙德庆县公安局把DNA数据库建设作为一项重要基础工作，层层压实责任。",
            "截至6月底，全县已采集血样逾万份，检验入库率稳步提升。",
        ),
        truth=dict(biometric="DNA", figure="逾万份", value=10000, qualifier="at_least",
                   place="堆龙德庆区", place_old="堆龙德庆县"),
    ),
    Post(
        key="fire_safety_2018",
        source="gov",
        title="全区公安机关开展冬春火灾防控宣传",
        publisher="西藏自治区公安厅",
        published="2018-09-13 14:00",
        extra=dict(id="1057721", body="zoom", pubdate_fmt="dash", shown="cn"),
        paragraphs=(
            "进入冬春季节，全区公安派出所联合消防救援部门深入寺庙、学校、市场开展火灾防控宣传。",
            "共检查单位场所460余家，督促整改火灾隐患210余处。",
        ),
        truth=dict(biometric=None, qualifier="none"),
    ),
    Post(
        key="jomda_dna_2018",
        source="gov",
        title="江达县公安局多措并举推进血样采集",
        publisher="昌都市江达县公安局",
        published="2018-04-25 10:00",
        extra=dict(id="1021846", body="trs_editor_view", pubdate_fmt="slash", shown="dash"),
        paragraphs=(
            "江达县公安局组织民警深入各乡镇，通过召开群众大会、入户宣讲等方式开展血样采集工作。",
            "一个多月来，共采集血样3000多份，占应采人数的八成。",
        ),
        truth=dict(biometric="DNA", figure="3000多份", value=3000, qualifier="at_least",
                   place="江达县", rate="八成"),
    ),
    Post(
        key="huji_service_2017",
        source="gov",
        title="自治区公安厅推出户籍办理便民服务措施",
        publisher="西藏自治区公安厅治安管理总队",
        published="2017-11-30 16:00",
        extra=dict(id="0987215", body="TRS_Editor", pubdate_fmt="dash", shown="dash"),
        paragraphs=(
            "自治区公安厅推出户籍办理十项便民服务措施，进一步方便群众办事。",
            "治安管理总队负责人李堃介绍，新措施实施后，群众办理户口迁移平均时限缩短一半。",
        ),
        truth=dict(biometric=None, qualifier="none", names=["李堃"]),
    ),
    Post(
        key="dagze_dna_2017",
        source="gov",
        title="达孜县公安局血样采集工作稳步推进",
        publisher="拉萨市达孜县公安局",
        published="2017-05-16 11:20",
        extra=dict(id="0958432", body="zw", pubdate_fmt="dash", shown="cn"),
        paragraphs=(
            "达孜县公安局成立血样采集工作专班，在各乡镇设立固定采集点。",
            "截至5月中旬，全县采集血样约8000份。",
        ),
        truth=dict(biometric="DNA", figure="约8000份", value=8000, qualifier="approx",
                   place="达孜区", place_old="达孜县"),
    ),
    Post(
        key="maizhokunggar_dna_2016",
        source="gov",
        title="墨竹工卡县公安局开展集中采血活动",
        publisher="拉萨市墨竹工卡县公安局",
        published="2016-12-08 10:00",
        extra=dict(id="0921077", body="TRS_Editor", pubdate_fmt="slash", shown="dash"),
        paragraphs=(
            "12月上旬，墨竹工卡县公安局在县城和各乡镇开展集中采血活动。",
            "活动期间共采集血样500余人次。",
        ),
        truth=dict(biometric="DNA", figure="500余人次", value=500,
                   qualifier="person_visits", place="墨竹工卡县"),
    ),
)

# Gov list pages: 3 pages (index.html, index_1.html, index_2.html), newest first.
GOV_PAGE_SIZE = 5

# Deleted / blocked / throttled WeChat notices: key -> (style, message, detail).
# "weui" is the current template, "global" the older .global_error_msg one.
WECHAT_NOTICES = {
    "wechat_deleted": ("weui", "该内容已被发布者删除", ""),
    "wechat_blocked": ("weui", "此内容因违规无法查看",
                       "经用户投诉，并经微信公众平台审核，此内容违反《即时通信工具公众信息服务发展管理暂行规定》，查看对应规则"),
    "wechat_deleted_old": ("global", "此内容因违规已删除", ""),
    "wechat_account_closed": ("weui", "此帐号已自主注销，内容无法查看", ""),
}

ALL_POSTS = WECHAT + WECHAT_IMAGE + THEPAPER + GOV


def post(key):
    """The post with this key (KeyError if none)."""
    for p in ALL_POSTS:
        if p.key == key:
            return p
    raise KeyError(key)


# --- later nights ----------------------------------------------------------------
# A nightly crawl meets the same site again. Night 1 is the site as above;
# each later night lists what is different from night 1, by post key. Every
# other URL answers byte for byte as on night 1.


@dataclass(frozen=True)
class Edited:
    """The publisher edited the post in place: same URL, same title, new text."""
    replace: tuple                                # (old, new) pairs for the summary and paragraphs
    truth: dict = field(default_factory=dict)     # what the edit changes in the post's truth

    def apply(self, post):
        def edit(text):
            for old, new in self.replace:
                text = text.replace(old, new)
            return text
        for old, _ in self.replace:
            # A typo in the data would otherwise serve night 1's page unchanged.
            if old not in post.summary and not any(old in t for t in post.paragraphs):
                raise ValueError(f"{post.key}: {old!r} is not in the post")
        return dataclasses.replace(post, summary=edit(post.summary),
                                   paragraphs=tuple(edit(t) for t in post.paragraphs),
                                   truth={**post.truth, **self.truth})


@dataclass(frozen=True)
class Replaced:
    """The post's URL answers with something else. WeChat posts: a
    WECHAT_NOTICES key (that notice page, HTTP 200, at the post's URL) or
    "captcha" (a 302 to the captcha page). Gov and The Paper posts:
    "not_found" (the CMS removed it: 404, and gone from the list pages)."""
    by: str


# What a correct crawler reports for a replaced post: notices and 404 are
# permanent, a captcha is temporary.
REPLACED_STATUS = {**{k: "deleted" for k in WECHAT_NOTICES}, "not_found": "deleted", "captcha": "unavailable"}

NIGHTS = {
    1: {},
    2: {
        # Silent edit of the figure, in the text and the summary.
        "luolong_dna": Edited((("17194", "17500"),), truth=dict(figure="17500份", value=17500)),
        # The portal corrects a figure (万余份 -> 1.2万余份).
        "chengguan_dna_2021": Edited((("共采集血样万余份", "共采集血样1.2万余份"),),
                                     truth=dict(figure="1.2万余份", value=12000)),
        # A sentence added, no figure: the text differs, the facts do not.
        "shigatse_dna_11wan": Edited((("提升数据库应用效能。",
                                       "提升数据库应用效能。各县（区）公安局要定期报送工作进展情况。"),)),
        "nagqu_dna_2016": Replaced("wechat_deleted"),
        "chindu_iris_2022": Replaced("wechat_blocked"),
        "seni_dna_2020": Replaced("not_found"),
        "chengguan_dna_2022": Replaced("captcha"),
    },
}


def as_on(post, night):
    """The post as its URL serves it on that night: the post (edited or not) or a Replaced."""
    change = NIGHTS[night].get(post.key)
    if isinstance(change, Edited):
        return change.apply(post)
    return change or post
