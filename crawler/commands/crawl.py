"""``scrapy crawl``, with an exit status a scheduler can trust.

Scrapy's own command exits 0 whenever the crawler started, even when the
spider closed because its seed file was unreadable or the run was cut short.
Here any close reason other than ``finished`` exits 1, and a crawl that is
refused before it starts (the collection or this seed list's job is locked by
another run, the recording proxy did not come up) says why in one line
instead of a traceback, and exits 1.
"""

from __future__ import annotations

import logging
import sys

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from crawler.capture.lock import LockTimeout
from crawler.capture.proxy import RecordingProxyError
from crawler.jobs import CrawlRefused

logger = logging.getLogger(__name__)

# Expected reasons not to start: one line, not a traceback.
REFUSALS = (CrawlRefused, LockTimeout, RecordingProxyError)


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. scrapy crawl archive -a seeds=FILE")
        self.start_crawl(args[0], opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or self.refused or self.reasons != ["finished"]:
            self.exitcode = 1

    def start_crawl(self, spider: str, spargs: dict):
        """Queue one crawl; its close reasons land in ``self.reasons``, a refusal in ``self.refused``."""
        crawler = self._create_crawler(spider)
        self.reasons: list[str] = []
        self.refused: str | None = None
        crawler.signals.connect(lambda spider, reason: self.reasons.append(reason),
                                signal=signals.spider_closed, weak=False)
        running = self.crawler_process.crawl(crawler, **spargs)
        if hasattr(running, "addErrback"):  # CrawlerProcess: a Deferred
            running.addErrback(lambda failure: self._not_started(failure.value))
        else:  # AsyncCrawlerProcess: an asyncio Task
            running.add_done_callback(lambda task: task.cancelled() or self._not_started(task.exception()))
        return crawler

    def _not_started(self, exc: BaseException | None) -> None:
        if exc is None:
            return
        if isinstance(exc, REFUSALS):
            self.refused = str(exc)
            print(f"crawl not started: {self.refused}", file=sys.stderr)
            return
        self.refused = f"{type(exc).__name__}: {exc}"
        logger.error("crawl failed to start: %s", self.refused, exc_info=exc)  # a bug: keep its traceback
