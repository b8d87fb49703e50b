"""Downloader middleware: hold a retry of a temporarily unavailable page for its backoff delay.

The spider asks for another try of a page that answered with a captcha,
访问过于频繁, a 5xx or a timeout (``ArchiveSpider.retry_later``), with
``meta["backoff_delay"]`` doubling from try to try. Scrapy has no per-request
delay, so the wait happens here, before the request reaches the download
slot: the rest of the crawl goes on meanwhile.
"""

from __future__ import annotations

import asyncio


class BackoffMiddleware:
    async def process_request(self, request, spider=None):
        delay = request.meta.get("backoff_delay")
        if delay:
            await asyncio.sleep(float(delay))
        return None
