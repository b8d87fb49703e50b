"""Write what the browser rendered into the collection's WARC files.

For each PageCapture: the full-page screenshot and the rendered DOM as
``resource`` records, and the capture's metadata (browser, viewport, timings,
redirect chain, outlinks) as a ``metadata`` record, each tied to the page's
response record by its Record-ID (WARC-Concurrent-To and WARC-Refers-To).
All three get ``urn:`` target URIs (urn:screenshot:, urn:rendered-dom:,
urn:pageinfo: + the page URL, as Browsertrix does) so a replay tool never
mistakes them for the page the server sent; WARC-Refers-To-Target-URI names
the page itself.

With ``DEDUP_RENDERED`` (default on) a screenshot or DOM whose bytes the
collection already holds (an unchanged page, the next night) is written as a
``revisit`` of the record holding them, through warcprox's dedup database
(state/dedup.sqlite); it stays tied to this visit's response by
WARC-Concurrent-To, while its WARC-Refers-To names that original.
"""

from __future__ import annotations

import json

from scrapy.exceptions import DropItem

from crawler.capture.dedup import PayloadDedup, dedup_path
from crawler.capture.diskspace import DISK_FULL, RECORDING_FAILED, is_disk_full, stop_crawl, write_error_message
from crawler.capture.records import RecordIndex, index_path
from crawler.capture.warcinfo import warcinfo_fields
from crawler.capture.writer import WarcWriter, WarcWriteError

SCREENSHOT_URN = "urn:screenshot:"
DOM_URN = "urn:rendered-dom:"
PAGEINFO_URN = "urn:pageinfo:"


class RenderedRecordsPipeline:
    def __init__(self, settings):
        self.settings = settings
        self.writer: WarcWriter | None = None
        self.records: RecordIndex | None = None
        self.crawler = None  # set by from_crawler: a write error stops the crawl
        self._stopped = False

    @classmethod
    def from_crawler(cls, crawler):
        pipeline = cls(crawler.settings)
        pipeline.crawler = crawler
        return pipeline

    def open_spider(self, spider=None):
        archive_dir = self.settings.get("ARCHIVE_DIR")
        self.records = RecordIndex(index_path(archive_dir))
        fields = warcinfo_fields(self.settings, writer="bioarchive rendered-page writer (warcio)")
        self.writer = WarcWriter(
            directory=archive_dir,
            prefix=self.settings.get("WARC_PREFIX"),
            warcinfo_fields=fields,
            rollover_size=self.settings.getint("WARC_ROLLOVER_SIZE"),
            record_index=self.records,
            name_suffix="-rendered",
            dedup=PayloadDedup(dedup_path(archive_dir)) if self.settings.getbool("DEDUP_RENDERED", True) else None,
        )

    def close_spider(self, spider=None):
        try:
            if self.writer is not None:
                self.writer.close()
        except WarcWriteError as e:  # the file stays .open and is repaired on the next start
            if self.crawler is None:
                raise
            stop_crawl(self.crawler, DISK_FULL if is_disk_full(e) else RECORDING_FAILED,
                       write_error_message("closing the rendered-records WARC file", e))
        finally:
            if self.records is not None:
                self.records.close()

    def process_item(self, item, spider=None):
        try:
            return self._write_rendered(item)
        except WarcWriteError as e:
            # A full disk (or a failing one): the writer has left its file .open and stopped.
            # One line and a clean stop, not a traceback per item; the item goes no further.
            item.screenshot_png = None
            item.rendered_html = None
            if not self._stopped:
                self._stopped = True
                if self.crawler is None:
                    raise
                stop_crawl(self.crawler, DISK_FULL if is_disk_full(e) else RECORDING_FAILED,
                           write_error_message("writing the rendered records (screenshot, DOM, metadata)", e))
            raise DropItem(f"rendered records of {item.final_url or item.url} not written: {e.strerror or e}") from None

    def _write_rendered(self, item):
        page_url = item.final_url or item.url
        link = {}
        if item.response_record_id:
            link = {
                "concurrent_to": item.response_record_id,
                "refers_to": item.response_record_id,
                "refers_to_target_uri": page_url,
                "refers_to_date": item.response_warc_date,
            }
        if item.screenshot_png:
            ref = self.writer.write_record("resource", SCREENSHOT_URN + page_url, item.screenshot_png, "image/png", **link)
            item.screenshot_record_id = ref.record_id
        if item.rendered_html is not None:
            body = item.rendered_html.encode("utf-8")
            ref = self.writer.write_record("resource", DOM_URN + page_url, body, "text/html; charset=utf-8", **link)
            item.dom_record_id = ref.record_id
        metadata = dict(item.metadata)
        metadata["screenshot_record_id"] = item.screenshot_record_id
        metadata["dom_record_id"] = item.dom_record_id
        payload = json.dumps(metadata, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
        ref = self.writer.write_record("metadata", PAGEINFO_URN + page_url, payload, "application/json", **link)
        item.metadata_record_id = ref.record_id
        # The bytes are on disk now; keep them out of memory and out of later pipelines.
        item.screenshot_png = None
        item.rendered_html = None
        return item
