"""Which language a captured text is in: "zh", "bo", "zh+bo", another ISO code, or None.

langdetect has no Tibetan profile (it answers "No features in text" for
Tibetan script) and reads short simplified-Chinese strings as Korean
(采集血样 -> ko 0.99999), so the decision is made on scripts first and
langdetect is asked only about text that is neither mostly Han nor Tibetan.

Letters are counted by code point: Tibetan = letters and combining marks in
U+0F00–U+0FFF (the tsheg ་ and shad ། are punctuation and not counted);
Han = CJK unified ideographs (basic, extension A, B+, compatibility).
  * both Tibetan and Han at least ZH_BO_SHARE (10 %) of the letters -> "zh+bo"
    (a Chinese post with a Tibetan paragraph, a bilingual notice);
  * Tibetan at least BO_SHARE (50 %) of the letters -> "bo";
  * Han at least ZH_SHARE (50 %) of the non-Tibetan letters and no kana or
    hangul -> "zh";
  * otherwise langdetect on the non-Tibetan text (zh-cn/zh-tw -> "zh"), if it
    has at least MIN_LETTERS_LANGDETECT (10) letters: langdetect guesses on
    less ("DNA" -> de).
Fewer than MIN_LETTERS (2) letters -> None (too short to say).
A Tibetan syllable is 2–4 letters where its Chinese gloss is one character,
so shares lean towards Tibetan; 10 % keeps a Tibetan name in a Chinese post
(a few letters) from making it bilingual.
"""

from __future__ import annotations

import threading
import unicodedata

ZH_BO_SHARE = 0.10
BO_SHARE = 0.50
ZH_SHARE = 0.50
MIN_LETTERS = 2
MIN_LETTERS_LANGDETECT = 10   # below this langdetect guesses (DNA -> de)

_lock = threading.Lock()
_factory_ready = False


def _is_tibetan(cp: int) -> bool:
    return 0x0F00 <= cp <= 0x0FFF


def _is_han(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0xF900 <= cp <= 0xFAFF
            or 0x20000 <= cp <= 0x323AF)


def _is_kana_or_hangul(cp: int) -> bool:
    return 0x3040 <= cp <= 0x30FF or 0xAC00 <= cp <= 0xD7AF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F


def script_counts(text: str) -> dict[str, int]:
    """Letters by script: {"bo": n, "zh": n, "kana_hangul": n, "other": n}."""
    counts = {"bo": 0, "zh": 0, "kana_hangul": 0, "other": 0}
    for ch in text:
        cat = unicodedata.category(ch)
        if not (cat.startswith("L") or cat.startswith("M")):
            continue
        cp = ord(ch)
        if _is_tibetan(cp):
            counts["bo"] += 1
        elif _is_han(cp):
            counts["zh"] += 1
        elif _is_kana_or_hangul(cp):
            counts["kana_hangul"] += 1
        elif cat.startswith("L"):
            counts["other"] += 1
    return counts


def _langdetect(text: str) -> str | None:
    global _factory_ready
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    with _lock:  # the seed is global state; set it once, detect one at a time
        if not _factory_ready:
            DetectorFactory.seed = 0
            _factory_ready = True
        try:
            code = detect(text)
        except LangDetectException:
            return None
    return "zh" if code.startswith("zh") else code


def detect_language(text: str | None) -> str | None:
    """"zh", "bo", "zh+bo", another ISO 639-1 code from langdetect, or None."""
    if not text or not text.strip():
        return None
    c = script_counts(text)
    letters = sum(c.values())
    if letters < MIN_LETTERS:
        return None
    bo_share = c["bo"] / letters
    zh_share = c["zh"] / letters
    if bo_share >= ZH_BO_SHARE and zh_share >= ZH_BO_SHARE:
        return "zh+bo"
    if bo_share >= BO_SHARE:
        return "bo"
    rest = letters - c["bo"]
    if rest and c["zh"] / rest >= ZH_SHARE and not c["kana_hangul"]:
        return "zh"
    if rest < MIN_LETTERS_LANGDETECT:
        return None
    without_tibetan = "".join(" " if _is_tibetan(ord(ch)) else ch for ch in text)
    return _langdetect(without_tibetan)
