"""Tibetan script, as the extractors match it.

A Tibetan word must match whole syllables: ད་བར ("up to now") is not the end
of ཚད་བརྒྱ. A syllable is letters, vowel signs and subjoined letters
(U+0F40–U+0FBC) between tshegs, so a match must not have one of those right
before or after it.
"""

TSHEG = "\u0f0b"  # ་ the syllable separator
LETTER = "[\u0f40-\u0fbc]"  # a letter, vowel sign or subjoined letter
SYLLABLE_START = rf"(?<!{LETTER})"  # no letter of the same syllable before
SYLLABLE_END = rf"(?!{LETTER})"  # no letter of the same syllable after
