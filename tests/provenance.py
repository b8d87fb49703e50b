"""The provenance rule, checked the way a reader of the evidence would.

For an evidence row: open ``warc_filename`` at ``warc_offset``; the record
there must be the one named by ``warc_record_id``, carry ``payload_digest``,
and its text (decoded with its charset, tags stripped, entities decoded)
must contain the row's quote. Independent of the extraction code on purpose.
"""

from __future__ import annotations

import html
import os
import re

from warcio.archiveiterator import ArchiveIterator

_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936"}


def _charset(content_type: str | None, body: bytes) -> str:
    for source in ((content_type or "").encode("latin-1", "replace"), body[:4096]):
        m = _CHARSET.search(source)
        if m:
            name = m.group(1).decode("ascii").lower()
            return "gb18030" if name in _GB else name
    return "utf-8"


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u3000", " ")).strip()


def record_at(archive_dir: str, filename: str, offset: int) -> dict:
    """Record-ID, payload digest and plain text of the record at ``offset``."""
    with open(os.path.join(archive_dir, filename), "rb") as fh:
        fh.seek(offset)
        record = next(iter(ArchiveIterator(fh)))
        body = record.content_stream().read()
        http = record.http_headers
        content_type = http.get_header("Content-Type") if http is not None else record.rec_headers.get_header("Content-Type")
        text = body.decode(_charset(content_type, body), errors="replace")
        plain = html.unescape(re.sub(r"<[^>]*>", " ", text))
        return {
            "record_id": record.rec_headers.get_header("WARC-Record-ID"),
            "type": record.rec_type,
            "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
            # Tags become spaces; text split by inline tags (<strong>17194</strong>份) is joined again.
            "text": squash(plain),
            "joined": re.sub(r"\s+", "", plain),
        }


def check_row(archive_dir: str, row: dict) -> None:
    found = record_at(archive_dir, row["warc_filename"], row["warc_offset"])
    where = f"{row['warc_filename']}@{row['warc_offset']} ({row['url']})"
    assert found["record_id"] == row["warc_record_id"], f"{where}: holds {found['record_id']}"
    assert found["payload_digest"] == row["payload_digest"], f"{where}: digest {found['payload_digest']}"
    for line in row["quote"].splitlines():
        line = squash(line)
        if line:
            assert line in found["text"] or re.sub(r"\s+", "", line) in found["joined"], \
                f"{where}: record text lacks the quote {line!r}"
