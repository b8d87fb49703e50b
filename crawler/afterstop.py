"""Base of the extensions that work on the collection once the crawl's engine has stopped.

Scrapy calls ``engine_stopped`` handlers in the order the extensions were
built, which is EXTENSIONS order: the recording proxy (100) stops first,
closing its WARC files, then these run in turn: the CDXJ index (900), the
custody log (950), the pages' statuses (960), and last the monitors (990).
"""

from __future__ import annotations


class AfterEngineStop:
    def __init__(self, crawler):
        from scrapy import signals

        self.crawler = crawler
        self.archive_dir = crawler.settings.get("ARCHIVE_DIR")
        crawler.signals.connect(self.engine_stopped, signal=signals.engine_stopped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def engine_stopped(self) -> None:
        raise NotImplementedError
