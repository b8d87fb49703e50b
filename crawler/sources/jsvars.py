"""Page-level JavaScript variables (`var ct = "…"`) from a page's inline scripts.

Article templates declare their metadata as global `var`s, while the same
names recur in related-article data, string templates and helper functions.
A candidate counts only if it is real code (not inside a string or comment)
and global: a `var` outside any function body (JS scoping), or a
`window.name =` assignment anywhere.
"""

from __future__ import annotations

import re

from .jsobject import JSParseError, parse_js_value

_REGEX_BEFORE = set("(,=:[!&|?{};+-*%<>~^")
_KEYWORDS_BEFORE_REGEX = ("return", "typeof", "case", "do", "else", "in", "of", "void")


_BLOCK_KEYWORDS = {"if", "for", "while", "switch", "catch", "with"}


def _code_scopes(script: str, candidates: set[int]) -> dict[int, bool]:
    """For each candidate offset that lies in code: True if inside a function body."""
    out: dict[int, bool] = {}
    s, n = script, len(script)
    i, last = 0, ""
    stack: list[tuple[str, int]] = []  # ("(", pos) / ("fn"|"blk"|"[", pos)
    last_paren_open = -1
    fn_depth = 0
    while i < n:
        c = s[i]
        if i in candidates:
            out[i] = fn_depth > 0
        if c in "\"'`":
            j = i + 1
            while j < n and s[j] != c:
                if s[j] == "\\":
                    j += 1
                elif s[j] == "\n" and c != "`":
                    break
                j += 1
            i = j + 1
            last = c
            continue
        if c == "/" and i + 1 < n and s[i + 1] == "/" or s.startswith("<!--", i):
            j = s.find("\n", i)
            i = n if j < 0 else j + 1
            continue
        if c == "/" and i + 1 < n and s[i + 1] == "*":
            j = s.find("*/", i + 2)
            i = n if j < 0 else j + 2
            continue
        if c == "/":
            word = re.search(r"([A-Za-z_$]+)\s*$", s[max(0, i - 12):i])
            if last == "" or last in _REGEX_BEFORE or (word and word.group(1) in _KEYWORDS_BEFORE_REGEX):
                j, in_class = i + 1, False
                while j < n and s[j] != "\n":
                    if s[j] == "\\":
                        j += 2
                        continue
                    if s[j] == "[":
                        in_class = True
                    elif s[j] == "]":
                        in_class = False
                    elif s[j] == "/" and not in_class:
                        break
                    j += 1
                i = j + 1
                last = "/"
                continue
        if c == "(" or c == "[":
            stack.append((c, i))
        elif c == "{":
            kind = "blk"
            if last == ")" and last_paren_open >= 0:
                word = re.search(r"([A-Za-z_$][\w$]*)\s*$", s[max(0, last_paren_open - 40):last_paren_open])
                kind = "blk" if word and word.group(1) in _BLOCK_KEYWORDS else "fn"
            elif last == ">" and s[:i].rstrip().endswith("=>"):
                kind = "fn"
            stack.append((kind, i))
            fn_depth += kind == "fn"
        elif c in ")]}":
            if stack:
                kind, pos = stack.pop()
                if kind == "fn":
                    fn_depth -= 1
                if c == ")":
                    last_paren_open = pos
        if not c.isspace():
            last = c
        i += 1
    return out


def _pattern(name: str) -> re.Pattern:
    return re.compile(
        r"(?:(?<![\w$.])(?:var|let|const)\s+|(?<![\w$.])window\s*\.\s*)" + re.escape(name) + r"\s*=(?!=)"
    )


def find_var(scripts: list[str], name: str):
    """The value of the global variable `name` (var/let/const outside functions,
    or window.name anywhere), parsed as a JS value; None if absent or empty.
    The first non-empty declaration in document order wins."""
    pat = _pattern(name)
    for script in scripts:
        matches = list(pat.finditer(script))
        if not matches:
            continue
        scopes = _code_scopes(script, {m.start() for m in matches})
        for m in matches:
            in_function = scopes.get(m.start())
            if in_function is None:  # inside a string or comment
                continue
            if in_function and not m.group(0).lstrip().startswith("window"):
                continue
            try:
                value, _ = parse_js_value(script, m.end())
            except (JSParseError, RecursionError):
                continue
            if value not in (None, "", [], {}):
                return value
    return None
