"""``scrapy crawl``, with an exit status a scheduler can trust.

Scrapy's own command exits 0 whenever the crawler started, even when the
spider closed because its seed file was unreadable or the run was cut short.
Here any close reason other than ``finished`` exits 1.
"""

from __future__ import annotations

from scrapy import signals
from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError


class Command(ScrapyCrawl):
    def run(self, args, opts):
        if len(args) != 1:
            raise UsageError("give exactly one spider name, e.g. scrapy crawl archive -a seeds=FILE")
        crawler = self._create_crawler(args[0])
        reasons: list[str] = []
        crawler.signals.connect(lambda spider, reason: reasons.append(reason), signal=signals.spider_closed, weak=False)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or reasons != ["finished"]:
            self.exitcode = 1
