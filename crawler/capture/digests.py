"""Recompute a WARC record's block and payload digests, streaming.

The payload of an HTTP response is its entity body with the transfer encoding
removed (the WARC 1.1 reading, and warcprox's): for a chunked response the
digest is over the de-chunked bytes, still content-encoded (gzip stays gzip).
Some tools hash the raw chunked bytes instead; both are computed and the
result says which convention matched, so a verifier can report it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

_CHUNK = 1 << 16
# A record whose HTTP head is not over by then is malformed; bounds memory (and search time).
_MAX_HTTP_HEAD = 1 << 20


def parse_labelled(digest: str) -> tuple[str, bytes] | None:
    """'sha256:BASE32' or 'sha256:hex' -> ('sha256', raw bytes); None if unreadable."""
    if not digest or ":" not in digest:
        return None
    algo, value = digest.split(":", 1)
    algo = algo.strip().lower().replace("-", "")
    try:
        size = hashlib.new(algo).digest_size
    except ValueError:
        return None
    value = value.strip()
    try:
        if len(value) == size * 2:
            return algo, bytes.fromhex(value)
        return algo, _b32decode(value)
    except ValueError:
        return None


# RFC 4648 base32 -> the digits int(x, 32) reads: decoding in C, not base64's per-quantum Python loop
# (a verifier decodes two labels per record, millions of times on a large collection).
_B32_DIGITS = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", "0123456789abcdefghijklmnopqrstuv")
_B32_TEXT = re.compile(r"[A-Z2-7]*")


def _b32decode(value: str) -> bytes:
    text = value.upper().rstrip("=")
    if not _B32_TEXT.fullmatch(text) or len(text) % 8 in (1, 3, 6):
        raise ValueError(f"not base32: {value!r}")
    if not text:
        return b""
    bits = len(text) * 5
    size = bits // 8
    return (int(text.translate(_B32_DIGITS), 32) >> (bits - size * 8)).to_bytes(size, "big")


@dataclass
class DigestCheck:
    block_ok: bool | None  # None: no block digest to check
    payload_ok: bool | None  # None: no payload digest, or not checkable (revisit)
    payload_convention: str | None = None  # "de-chunked", "raw" or "identical" (no transfer encoding)
    problem: str | None = None


class _Dechunker:
    """Feed raw chunked bytes, get entity bytes out; tolerant of split boundaries."""

    def __init__(self):
        self.buffer = b""
        self.remaining = 0  # bytes left in the current chunk (+2 for its CRLF once data is read)
        self.state = "size"
        self.error: str | None = None

    def feed(self, data: bytes) -> bytes:
        out = bytearray()
        self.buffer += data
        while self.buffer and self.state != "done" and not self.error:
            if self.state == "size":
                end = self.buffer.find(b"\r\n")
                if end < 0:
                    break
                line = self.buffer[:end].split(b";", 1)[0].strip()
                self.buffer = self.buffer[end + 2 :]
                try:
                    self.remaining = int(line, 16)
                except ValueError:
                    self.error = f"bad chunk size {line[:20]!r}"
                    break
                self.state = "data" if self.remaining else "done"
            elif self.state == "data":
                take = self.buffer[: self.remaining]
                out += take
                self.buffer = self.buffer[len(take) :]
                self.remaining -= len(take)
                if self.remaining == 0:
                    self.state = "crlf"
            elif self.state == "crlf":
                if len(self.buffer) < 2:
                    break
                self.buffer = self.buffer[2:]
                self.state = "size"
        return bytes(out)


def check_record(record) -> DigestCheck:
    """``record``: a warcio record read with ``no_record_parse=True`` (block unread)."""
    headers = record.rec_headers
    block_label = parse_labelled(headers.get_header("WARC-Block-Digest") or "")
    payload_label = parse_labelled(headers.get_header("WARC-Payload-Digest") or "")
    warc_type = headers.get_header("WARC-Type")
    content_type = (headers.get_header("Content-Type") or "").lower()
    is_http = content_type.startswith("application/http") and warc_type in ("response", "request", "revisit")

    block = hashlib.new(block_label[0]) if block_label else hashlib.sha256()
    payload_algo = payload_label[0] if payload_label else "sha256"
    # Without HTTP headers the payload is the block: one hash serves both.
    payload_is_block = not is_http and payload_algo == block.name
    raw_payload = block if payload_is_block else hashlib.new(payload_algo)
    dechunked_payload = hashlib.new(payload_algo)
    head = b""
    searched = 0  # bytes of ``head`` already searched for the end of the HTTP headers
    in_body = not is_http
    chunked = False
    dechunker = None
    stream = record.raw_stream
    while True:
        data = stream.read(_CHUNK)
        if not data:
            break
        block.update(data)
        if not in_body:
            if len(head) >= _MAX_HTTP_HEAD:
                continue  # not HTTP headers: keep the block digest going, stop buffering
            head += data
            end = head.find(b"\r\n\r\n", max(searched - 3, 0))
            searched = len(head)
            if end < 0:
                continue
            http_head, data = head[: end + 4], head[end + 4 :]
            in_body = True
            chunked = _is_chunked(http_head)
            dechunker = _Dechunker() if chunked else None
        if not payload_is_block:
            raw_payload.update(data)
        if dechunker is not None:
            dechunked_payload.update(dechunker.feed(data))

    result = DigestCheck(block_ok=None, payload_ok=None)
    if block_label:
        result.block_ok = block.digest() == block_label[1]
    if payload_label and warc_type != "revisit":
        if not in_body:
            result.payload_ok, result.problem = False, "no end of HTTP headers in the block"
        elif chunked and dechunked_payload.digest() == payload_label[1] and not dechunker.error:
            result.payload_ok, result.payload_convention = True, "de-chunked"
        elif raw_payload.digest() == payload_label[1]:
            result.payload_ok, result.payload_convention = True, "raw" if chunked else "identical"
        else:
            result.payload_ok = False
            if chunked and dechunker.error:
                result.problem = dechunker.error
    return result


def _is_chunked(http_head: bytes) -> bool:
    for line in http_head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
            return True
    return False
