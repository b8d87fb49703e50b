"""scrapy-playwright's download handler, one per crawl instead of one per scheme.

Scrapy builds a download handler for each URL scheme, and scrapy-playwright's
launches a browser in each: http and https pages would render in two
Chromiums, with twice the memory and two cookie jars. Here both schemes get
the same handler, so one browser renders every page of the crawl.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler


class BrowserDownloadHandler(ScrapyPlaywrightDownloadHandler):
    _per_crawler: "WeakKeyDictionary" = WeakKeyDictionary()

    @classmethod
    def from_crawler(cls, crawler):
        handler = cls._per_crawler.get(crawler)
        if handler is None:
            handler = cls._per_crawler[crawler] = cls(crawler)
        return handler

    async def close(self) -> None:
        # Scrapy closes each scheme's handler: the shared one closes once.
        if getattr(self, "_closed", False):
            return
        self._closed = True
        await super().close()
