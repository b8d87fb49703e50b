"""Evidence from captured articles: records in, a capture row and its statements out.

For each article a crawl captures (and for each one ``scrapy reextract``
finds in the WARC files) the text is read back from the WARC records, not
from memory, so every row can name the record it came from:

- the original response, when the parser's body text is in the served
  HTML's own document text (hidden by CSS still counts: WeChat's #js_content;
  GBK portals are decoded as gb18030) -> ``text_source = "response"``;
- otherwise the rendered-DOM record the browser wrote, when the text only
  exists after JavaScript (WeChat image posts, The Paper's Next.js pages)
  -> ``"rendered-dom"``;
- with no DOM to read (a crawl without the browser) the response again: the
  text was read from its script data.

A revisit record (the same payload seen before: warcprox's dedup for the
response, our writer's for the rendered DOM) has no body: the text is read
from the record it refers to, and the provenance names that record, while
captured_at and capture_record_id stay this capture's. ``evidence_for`` is the one code path for the crawl's item
pipeline and for re-extraction.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from dataclasses import dataclass, field

from scrapy.exceptions import NotConfigured
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.records import RecordIndex, RecordRef, index_path
from crawler.capture.writer import record_path
from crawler.sources import Article, Page, SourceType, parse
from crawler.sources.dom import element_text
from pipelines import statements as statement_rules
from pipelines.language import detect_language
from pipelines.places import publisher_place
from pipelines.store import CaptureEvidence, EvidenceStore

log = logging.getLogger("bioarchive.evidence")

ARTICLE_TYPES = {
    str(SourceType.WECHAT_ARTICLE), str(SourceType.WECHAT_IMAGE_POST),
    str(SourceType.THEPAPER_ARTICLE), str(SourceType.GOV_ARTICLE),
}
# An article page is a few hundred KB; past this the rest is not read.
PAYLOAD_LIMIT = 16 * 1024 * 1024


class EvidenceError(Exception):
    """A record could not be read or does not hold what it should; the message names it."""


def extractor_version() -> str:
    # Read at call time: a newer rules module (or a test) changes it.
    return statement_rules.EXTRACTOR_VERSION


# -- reading records back -------------------------------------------------------


@dataclass
class StoredRecord:
    """One WARC record read back from the collection, with its place in it."""

    warc_filename: str
    warc_offset: int
    record_id: str
    warc_type: str
    target_uri: str | None
    warc_date: str
    payload_digest: str | None
    http_status: int | None = None
    http_headers: list = field(default_factory=list)
    payload: bytes = b""  # transfer and content encodings undone


def read_stored_record(archive_dir: str, warc_filename: str, warc_offset: int,
                       limit: int = PAYLOAD_LIMIT) -> StoredRecord:
    """The record at ``warc_offset`` of ``warc_filename``: headers and (bounded) payload."""
    path = record_path(archive_dir, warc_filename)
    try:
        with open(path, "rb") as fh:
            fh.seek(warc_offset)
            record = next(iter(ArchiveIterator(fh)))
            headers = record.rec_headers
            http = record.http_headers
            payload = b""
            if record.rec_type in ("response", "resource", "conversion"):
                payload = record.content_stream().read(limit)
            return StoredRecord(
                warc_filename=warc_filename,
                warc_offset=warc_offset,
                record_id=headers.get_header("WARC-Record-ID"),
                warc_type=record.rec_type,
                target_uri=headers.get_header("WARC-Target-URI"),
                warc_date=headers.get_header("WARC-Date"),
                payload_digest=headers.get_header("WARC-Payload-Digest"),
                http_status=int(http.get_statuscode()) if http is not None and http.get_statuscode() else None,
                http_headers=list(http.headers) if http is not None else [],
                payload=payload,
            )
    except StopIteration:
        raise EvidenceError(f"{warc_filename}: no WARC record at offset {warc_offset}") from None
    except Exception as exc:  # OSError, warcio's ArchiveLoadFailed, zlib errors, EOFError ...
        raise EvidenceError(f"{warc_filename}: cannot read the record at offset {warc_offset}: {exc}") from exc


def _expect(record: StoredRecord, ref: RecordRef) -> StoredRecord:
    if record.record_id != ref.record_id:
        raise EvidenceError(f"{ref.warc_filename}: offset {ref.warc_offset} holds {record.record_id}, "
                            f"not {ref.record_id}")
    return record


# -- extraction -------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def _squash(text: str) -> str:
    return _SPACE.sub(" ", text.replace("\u00a0", " ").replace("\u3000", " ")).strip()


def holds_text(page: Page, body_text: str) -> bool:
    """Is every line of ``body_text`` in the page's own document text (tags
    stripped, scripts and styles left out, CSS ignored)?"""
    lines = [_squash(line) for line in body_text.splitlines() if line.strip()]
    if not lines:
        return False
    document = _squash(element_text(page.dom))
    return all(line in document for line in lines)


def _article(fields) -> Article | None:
    return fields if isinstance(fields, Article) and fields.body_text.strip() else None


def choose_text(url: str, response: StoredRecord, dom: StoredRecord | None):
    """(article fields, text_source, record read) for one capture, or None for a non-article.

    The served HTML first; the rendered DOM when the text only exists there.
    """
    served = Page(url=url, status=response.http_status or 200, headers=response.http_headers,
                  body=response.payload)
    from_response = _article(parse(served))
    if from_response is not None and holds_text(served, from_response.body_text):
        return from_response, "response", response
    from_dom = None
    if dom is not None and dom.payload:
        rendered = Page(url=url, status=response.http_status or 200, headers=response.http_headers,
                        body=response.payload, rendered=dom.payload.decode("utf-8", errors="replace"))
        from_dom = _article(parse(rendered))
        if from_dom is not None and holds_text(rendered, from_dom.body_text):
            return from_dom, "rendered-dom", dom
    # Text that no document shows (script data only): the server's bytes are the better source.
    if from_response is not None:
        return from_response, "response", response
    if from_dom is not None:
        return from_dom, "rendered-dom", dom
    return None


def _checked(url: str, text: str, found: list) -> list:
    """The statements whose quote is where they say it is in ``text``; the others
    are logged and left out (subset_of indexes renumbered to match)."""
    keep = [i for i, st in enumerate(found) if text[st.quote_start:st.quote_end] == st.quote]
    if len(keep) == len(found):
        return list(found)
    for i in sorted(set(range(len(found))) - set(keep)):
        log.error("evidence: %s: a statement's quote is not at its offsets in the text; not stored: %r",
                  url, found[i].quote[:60])
    renumber = {old: new for new, old in enumerate(keep)}
    return [dataclasses.replace(found[i], subset_of=renumber.get(found[i].subset_of)) for i in keep]


def extract_capture(capture: StoredRecord, response: StoredRecord, dom: StoredRecord | None,
                    version: str | None = None) -> CaptureEvidence | None:
    """The evidence of one capture.

    ``capture`` is the capture's own response or revisit record; ``response``
    the record holding the payload (``capture`` itself, or the response a
    revisit refers to); ``dom`` the rendered-DOM record of this capture.
    """
    url = capture.target_uri or response.target_uri
    chosen = choose_text(url, response, dom)
    if chosen is None:
        return None
    fields, text_source, source = chosen
    text = fields.body_text
    found = statement_rules.extract_statements(text, published_at=fields.published_at,
                                               publisher=fields.publisher, title=fields.title)
    kept = _checked(url, text, found)
    place = publisher_place(fields.publisher, fields.title, text)
    return CaptureEvidence(
        capture={
            "capture_record_id": capture.record_id,
            "capture_record_type": capture.warc_type,
            "url": url,
            "captured_at": capture.warc_date,
            "warc_filename": source.warc_filename,
            "warc_offset": source.warc_offset,
            "warc_record_id": source.record_id,
            "payload_digest": source.payload_digest,
            "text_source": text_source,
            "source_type": str(fields.source_type),
            "title": fields.title,
            "publisher": fields.publisher,
            "published_at": fields.published_at,
            "published_at_source": fields.published_at_source,
            "language": detect_language("\n".join(filter(None, [fields.title, text]))),
            "publisher_place_code": place.code if place else None,
            "publisher_place_name": place.name if place else None,
            "body_text": text,
            "extractor_version": version or extractor_version(),
        },
        statements=kept,
    )


def evidence_for(archive_dir: str, capture: RecordRef, original: RecordRef | None,
                 dom: RecordRef | None, version: str | None = None,
                 dom_original: RecordRef | None = None) -> CaptureEvidence | None:
    """Read the records named by the refs and extract.

    ``original`` is the response a revisit ``capture`` refers to (None for a
    response); ``dom_original`` the record a revisit ``dom`` refers to.
    """
    return extract_capture(*read_capture(archive_dir, capture, original, dom, dom_original), version)


def read_capture(archive_dir: str, capture: RecordRef, original: RecordRef | None, dom: RecordRef | None,
                 dom_original: RecordRef | None = None) -> tuple[StoredRecord, StoredRecord, StoredRecord | None]:
    """(the capture's own record, the record holding its payload, its rendered DOM holding a payload),
    revisits followed to their originals, each checked to be the record its ref names."""
    own = _expect(read_stored_record(archive_dir, capture.warc_filename, capture.warc_offset), capture)
    if own.warc_type == "revisit":
        response = _original_record(archive_dir, own, original, "response")
        if not response.http_headers and own.http_headers:
            response.http_headers = own.http_headers
    else:
        response = own
    rendered = _expect(read_stored_record(archive_dir, dom.warc_filename, dom.warc_offset), dom) if dom else None
    if rendered is not None and rendered.warc_type == "revisit":
        rendered = _original_record(archive_dir, rendered, dom_original, "rendered-DOM")
    return own, response, rendered


def _original_record(archive_dir: str, revisit: StoredRecord, original: RecordRef | None,
                     what: str) -> StoredRecord:
    """The record holding a revisit's payload, read back and checked to be the one it stands for."""
    if original is None:
        raise EvidenceError(f"{revisit.warc_filename}: {what} revisit {revisit.record_id} refers to no "
                            "record in the collection")
    found = _expect(read_stored_record(archive_dir, original.warc_filename, original.warc_offset), original)
    if revisit.payload_digest and found.payload_digest and revisit.payload_digest != found.payload_digest:
        raise EvidenceError(f"{revisit.warc_filename}: {what} revisit {revisit.record_id} has payload digest "
                            f"{revisit.payload_digest}, its original {found.record_id} {found.payload_digest}")
    return found


# -- the item pipeline ---------------------------------------------------------------


class EvidencePipeline:
    """After RenderedRecordsPipeline (the DOM record is written), before the page log.

    Extraction is a few milliseconds per page, done inline; the stats
    ``evidence/extract_ms_max`` and ``evidence/extract_ms_total`` show it.
    A page that cannot be extracted is logged and the crawl goes on.
    """

    def __init__(self, archive_dir: str, stats=None):
        self.archive_dir = archive_dir
        self.stats = stats
        self.store: EvidenceStore | None = None
        self.records: RecordIndex | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("EVIDENCE_ENABLED", True):
            raise NotConfigured("EVIDENCE_ENABLED is off")
        return cls(crawler.settings.get("ARCHIVE_DIR"), crawler.stats)

    def open_spider(self, spider=None):
        self.store = EvidenceStore(self.archive_dir)
        self.records = RecordIndex(index_path(self.archive_dir))

    def close_spider(self, spider=None):
        for handle in (self.store, self.records):
            if handle is not None:
                handle.close()

    def process_item(self, item, spider=None):
        if getattr(item, "source_type", None) not in ARTICLE_TYPES or not item.response_record_id:
            return item
        # Inline: a few ms per page (benchmarks/extraction_speed.py); a thread only adds GIL contention.
        return self.count(self.extract_and_store(item), item)

    def extract_and_store(self, item) -> tuple:
        """(evidence or None, rows added, error or None, milliseconds); never raises."""
        started = time.perf_counter()
        try:
            evidence = self.extract(item)
            added = self.store.add(evidence) if evidence is not None else 0
        except Exception as exc:  # evidence is a by-product: the capture itself must go on
            return None, 0, str(exc), 0.0
        return evidence, added, None, (time.perf_counter() - started) * 1000

    def count(self, result: tuple, item):
        """Log and count what extract_and_store did; returns the item."""
        evidence, added, error, elapsed = result
        if error is not None:
            log.error("evidence: %s: %s", item.final_url or item.url, error)
            self._inc("evidence/errors")
            return item
        self._inc("evidence/extract_ms_total", round(elapsed, 1))
        if self.stats is not None:
            self.stats.max_value("evidence/extract_ms_max", round(elapsed, 1))
        if evidence is not None:
            self._inc("evidence/captures")
            self._inc("evidence/statements", len(evidence.statements) if added else 0)
            self._inc(f"evidence/text_source/{evidence.capture['text_source']}")
        return item

    def extract(self, item) -> CaptureEvidence | None:
        capture = self.records.get(item.response_record_id)
        if capture is None:
            raise EvidenceError(f"response record {item.response_record_id} is not in the record index")
        original = self.records.original_of(capture) if capture.warc_type == "revisit" else None
        dom = self.records.get(item.dom_record_id) if item.dom_record_id else None
        dom_original = self.records.original_of(dom) if dom is not None and dom.warc_type == "revisit" else None
        return evidence_for(self.archive_dir, capture, original, dom, dom_original=dom_original)

    def _inc(self, key, count=1):
        if self.stats is not None:
            self.stats.inc_value(key, count)
