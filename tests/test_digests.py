"""Digest recomputation on records built here, with known right and wrong digests."""

import hashlib
import io

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from crawler.capture.digests import check_record, parse_labelled
from crawler.capture.writer import sha256_b32


def build_response(http_head: bytes, body: bytes, payload_digest: str, block_digest: str | None = None) -> bytes:
    block = http_head + body
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    record = writer.create_warc_record(
        "http://example.test/",
        "response",
        payload=io.BytesIO(block),
        length=len(block),
        warc_headers_dict={
            "WARC-Payload-Digest": payload_digest,
            "WARC-Block-Digest": block_digest or sha256_b32(block),
            "Content-Type": "application/http; msgtype=response",
        },
    )
    writer.write_record(record)
    return out.getvalue()


def only_record(data: bytes):
    for record in ArchiveIterator(io.BytesIO(data), no_record_parse=True):
        return check_record(record)


CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/html\r\n\r\n"
CHUNKED_BODY = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n"


def test_chunked_payload_checked_dechunked():
    result = only_record(build_response(CHUNKED_HEAD, CHUNKED_BODY, sha256_b32(b"hello world")))
    assert result.block_ok and result.payload_ok
    assert result.payload_convention == "de-chunked"


def test_chunked_payload_raw_convention_is_named():
    result = only_record(build_response(CHUNKED_HEAD, CHUNKED_BODY, sha256_b32(CHUNKED_BODY)))
    assert result.payload_ok and result.payload_convention == "raw"


def test_one_changed_byte_fails_both():
    good = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
    data = build_response(good, b"17194", sha256_b32(b"17195"), sha256_b32(good + b"17195"))
    result = only_record(data)
    assert result.block_ok is False and result.payload_ok is False


def test_hex_and_base32_labels():
    raw = hashlib.sha256(b"x").digest()
    assert parse_labelled("sha256:" + raw.hex()) == ("sha256", raw)
    assert parse_labelled(sha256_b32(b"x")) == ("sha256", raw)
    assert parse_labelled("nonsense") is None
