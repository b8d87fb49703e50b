"""Language of a captured text: scripts first, langdetect for the rest."""

import pytest

from pipelines.language import detect_language, script_counts

ZH = "截至目前，洛隆县公安局累计采集男性血样1.7万余份，采集率达95%。"
BO = "བོད་ལྗོངས་རང་སྐྱོང་ལྗོངས་ཀྱི་སྤྱི་བདེ་ཐིང་གིས་ལས་ཀ་སྤེལ་བ།"
BO_SHORT_NAME = "བོད་"   # 3 letters: a name, not a paragraph

CASES = [
    (ZH, "zh"),
    ("采集血样", "zh"),            # langdetect alone says ko
    ("公安局", "zh"),
    ("採集血樣一萬七千份，截至目前累計採集", "zh"),   # traditional
    (BO, "bo"),
    (BO + "\n" + ZH, "zh+bo"),
    (ZH * 3 + "\n" + BO, "zh+bo"),                       # a Tibetan paragraph in a Chinese post
    (ZH * 3 + BO_SHORT_NAME, "zh"),                      # a Tibetan word is not a paragraph
    (BO * 3 + "洛隆县", "bo"),
    ("The police collected DNA samples from residents of the county.", "en"),
    ("日本語のテキストです。警察が採取した。", "ja"),
    ("", None),
    ("   ", None),
    (None, None),
    ("采", None),                   # one letter: too short
    ("12345 67890", None),
    ("DNA 17194", None),            # too few letters for langdetect (it says de)
]


@pytest.mark.parametrize("text,expected", CASES, ids=[repr((t or "")[:12]) for t, _ in CASES])
def test_detect_language(text, expected):
    assert detect_language(text) == expected


def test_deterministic():
    text = "Die Polizei hat Proben gesammelt und die Bevölkerung informiert."
    assert len({detect_language(text) for _ in range(5)}) == 1


def test_script_counts_skip_tibetan_punctuation():
    c = script_counts("བོད་།")   # བ ོ ད + tsheg + shad
    assert c["bo"] == 3
    assert script_counts("采集DNA")["zh"] == 2 and script_counts("采集DNA")["other"] == 3
