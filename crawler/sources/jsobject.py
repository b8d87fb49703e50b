"""A tolerant reader of JavaScript literals as pages write them inline.

WeChat's `window.cgiDataNew = {...}` is not JSON: unquoted keys, single quotes,
\\x0a escapes, `'1080' * 1`, `JsDecode('…')`, `a || b`, trailing commas and
comments. This reads such values into Python (dict/list/str/int/float/bool/None);
a value it cannot understand becomes None instead of failing the whole object.
"""

from __future__ import annotations

import re

_IDENT = re.compile(r"[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*")
_NUMBER = re.compile(r"-?(?:0[xX][0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)")
_SIMPLE_ESC = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
MAX_DEPTH = 200


class JSParseError(ValueError):
    pass


def parse_js_value(src: str, pos: int = 0):
    """Parse one JS expression value starting at pos. Returns (value, end_pos)."""
    p = _Parser(src)
    p.pos = pos
    value = p.expression()
    return value, p.pos


def unescape_js_string(body: str) -> str:
    """Decode the escapes of a JS string body (\\x0a, \\u4e2d, \\u{1F600}, \\n, \\')."""
    return _Parser(body)._unescape(body)


def _truthy(v) -> bool:
    return bool(v) and v != "0" if isinstance(v, str) else bool(v)


def _num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, (int, float)):
        return v
    try:
        s = str(v).strip()
        return int(s) if re.fullmatch(r"-?\d+", s) else float(s)
    except (TypeError, ValueError):
        return None


class _Parser:
    def __init__(self, src: str):
        self.s = src
        self.pos = 0
        self.depth = 0

    # -- lexing -----------------------------------------------------------
    def ws(self):
        s, n = self.s, len(self.s)
        while self.pos < n:
            c = s[self.pos]
            if c.isspace():
                self.pos += 1
            elif s.startswith("//", self.pos):
                end = s.find("\n", self.pos)
                self.pos = n if end < 0 else end + 1
            elif s.startswith("/*", self.pos):
                end = s.find("*/", self.pos + 2)
                self.pos = n if end < 0 else end + 2
            else:
                break

    def peek(self) -> str:
        self.ws()
        return self.s[self.pos] if self.pos < len(self.s) else ""

    def string(self) -> str:
        s, quote = self.s, self.s[self.pos]
        i = self.pos + 1
        n = len(s)
        while i < n:
            c = s[i]
            if c == "\\":
                i += 2
                continue
            if c == quote:
                raw = s[self.pos + 1:i]
                self.pos = i + 1
                return self._unescape(raw)
            if c == "\n" and quote != "`":
                break
            i += 1
        raise JSParseError("unterminated string at %d" % self.pos)

    def _unescape(self, raw: str) -> str:
        if "\\" not in raw:
            return raw
        out, i, n = [], 0, len(raw)
        while i < n:
            c = raw[i]
            if c != "\\" or i + 1 >= n:
                out.append(c)
                i += 1
                continue
            e = raw[i + 1]
            if e == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", raw[i + 2:i + 4]):
                out.append(chr(int(raw[i + 2:i + 4], 16)))
                i += 4
            elif e == "u" and raw[i + 2:i + 3] == "{":
                end = raw.find("}", i + 3)
                try:
                    out.append(chr(int(raw[i + 3:end], 16)))
                    i = end + 1
                except (ValueError, OverflowError):
                    out.append("u")
                    i += 2
            elif e == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", raw[i + 2:i + 6]):
                code = int(raw[i + 2:i + 6], 16)
                i += 6
                # join UTF-16 surrogate pairs written as two \u escapes
                if 0xD800 <= code < 0xDC00 and re.fullmatch(r"\\u[dD][c-fC-F][0-9a-fA-F]{2}", raw[i:i + 6]):
                    low = int(raw[i + 2:i + 6], 16)
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                out.append(chr(code) if not 0xD800 <= code < 0xE000 else "\ufffd")
            elif e in "\r\n":  # line continuation
                i += 2 + (1 if e == "\r" and raw[i + 2:i + 3] == "\n" else 0)
            else:
                out.append(_SIMPLE_ESC.get(e, e))
                i += 2
        return "".join(out)

    # -- grammar ----------------------------------------------------------
    def expression(self):
        """primary ( op primary )* with || && * + - / handled loosely."""
        value = self.postfix(self.primary())
        while True:
            self.ws()
            s = self.s
            if s.startswith("||", self.pos):
                self.pos += 2
                right = self.postfix(self.primary())
                value = value if _truthy(value) else right
            elif s.startswith("&&", self.pos):
                self.pos += 2
                right = self.postfix(self.primary())
                value = right if _truthy(value) else value
            elif self.pos < len(s) and s[self.pos] in "*/-+%" and not s.startswith("//", self.pos) \
                    and not s.startswith("/*", self.pos):
                op = s[self.pos]
                self.pos += 1
                right = self.postfix(self.primary())
                value = self._arith(op, value, right)
            elif self.pos < len(s) and s[self.pos] == "?":  # ternary: keep the first branch
                self.pos += 1
                first = self.expression()
                if self.peek() == ":":
                    self.pos += 1
                    self.expression()
                value = first
            else:
                return value

    @staticmethod
    def _arith(op, a, b):
        if op == "+" and (isinstance(a, str) or isinstance(b, str)):
            return "%s%s" % ("" if a is None else a, "" if b is None else b)
        x, y = _num(a), _num(b)
        if x is None or y is None:
            return None
        try:
            r = {"*": lambda: x * y, "-": lambda: x - y, "+": lambda: x + y,
                 "/": lambda: x / y, "%": lambda: x % y}[op]()
        except ZeroDivisionError:
            return None
        return int(r) if isinstance(r, float) and r.is_integer() and op != "/" else r

    def postfix(self, value):
        """`.html(false)`, `.replace(...)`, `[0]` after a value: keep the value."""
        while True:
            c = self.peek()
            if c == "." and not self.s[self.pos + 1:self.pos + 2].isdigit():
                self.pos += 1
                self.ws()
                m = _IDENT.match(self.s, self.pos)
                if not m:
                    raise JSParseError("bad member access")
                self.pos = m.end()
                if self.peek() == "(":
                    self.args()
            else:
                return value

    def args(self) -> list:
        self.pos += 1  # (
        out = []
        while True:
            c = self.peek()
            if c == ")":
                self.pos += 1
                return out
            if not c:
                raise JSParseError("unterminated call")
            out.append(self.expression())
            if self.peek() == ",":
                self.pos += 1

    def primary(self):
        c = self.peek()
        if not c:
            raise JSParseError("unexpected end")
        if c == "{":
            return self.obj()
        if c == "[":
            return self.arr()
        if c in "\"'`":
            return self.string()
        if c == "(":
            self.pos += 1
            v = self.expression()
            if self.peek() == ")":
                self.pos += 1
            return v
        if c == "!":
            self.pos += 1
            return not _truthy(self.postfix(self.primary()))
        if c == "-" or c == "." or c.isdigit():
            m = _NUMBER.match(self.s, self.pos)
            if not m:
                raise JSParseError("bad number at %d" % self.pos)
            self.pos = m.end()
            t = m.group(0)
            if t.lower().startswith(("0x", "-0x")):
                return int(t, 16)
            return int(t) if re.fullmatch(r"-?\d+", t) else float(t)
        m = _IDENT.match(self.s, self.pos)
        if not m:
            raise JSParseError("unexpected %r at %d" % (c, self.pos))
        self.pos = m.end()
        name = re.sub(r"\s+", "", m.group(0))
        if name == "new":
            return self.primary()
        if self.peek() == "(":
            args = self.args()
            # JsDecode('…'), htmlDecode("…"), parseInt('3'), String(x): the value is the argument
            return args[0] if args else None
        return {"true": True, "false": False, "null": None, "undefined": None,
                "NaN": None, "Infinity": None}.get(name)

    def _enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise JSParseError("too deep")

    def obj(self) -> dict:
        self._enter()
        self.pos += 1
        out: dict = {}
        while True:
            c = self.peek()
            if c == "}":
                self.pos += 1
                self.depth -= 1
                return out
            if not c:
                raise JSParseError("unterminated object")
            if c == ",":
                self.pos += 1
                continue
            if c in "\"'`":
                key = self.string()
            else:
                m = re.compile(r"[\w$]+").match(self.s, self.pos)
                if not m:
                    self._skip_value()
                    continue
                key = m.group(0)
                self.pos = m.end()
            if self.peek() != ":":
                # shorthand property or method: skip it
                self._skip_value()
                continue
            self.pos += 1
            start = self.pos
            try:
                out[key] = self.expression()
            except JSParseError:
                self.pos = start
                self._skip_value()
                out[key] = None
            if self.peek() not in ",}":
                self._skip_value()

    def arr(self) -> list:
        self._enter()
        self.pos += 1
        out: list = []
        while True:
            c = self.peek()
            if c == "]":
                self.pos += 1
                self.depth -= 1
                return out
            if not c:
                raise JSParseError("unterminated array")
            if c == ",":
                self.pos += 1
                continue
            start = self.pos
            try:
                out.append(self.expression())
            except JSParseError:
                self.pos = start
                self._skip_value()
                out.append(None)
            if self.peek() not in ",]":
                self._skip_value()

    def _skip_value(self):
        """Skip to the next , } or ] at this nesting level (strings respected)."""
        s, n, depth = self.s, len(self.s), 0
        while self.pos < n:
            c = s[self.pos]
            if c in "\"'`":
                try:
                    self.string()
                except JSParseError:
                    self.pos += 1
                continue
            if c in "{[(":
                depth += 1
            elif c in "}])":
                if depth == 0:
                    return
                depth -= 1
            elif c == "," and depth == 0:
                return
            self.pos += 1
