"""The ``archive`` spider: visit every seed, render it, follow lists to their articles.

    scrapy crawl archive -a seeds=FILE

The spider decides what to visit and what the browser does on a page; what
crossed the wire is recorded by the proxy, what the browser rendered is
written by RenderedRecordsPipeline from the PageCapture items yielded here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.http import Request

from crawler.capture.behaviours import render
from crawler.capture.browser_setup import CAPTURE_CONTEXT
from crawler.capture.failures import describe_failure
from crawler.capture.records import RecordIndex, index_path
from crawler.capture.writer import read_record_at, record_path
from crawler.items import PageCapture
from crawler.scope import Scope, looks_like_page
from crawler.seeds import SeedFileError, read_seeds
from crawler.sources import Page, SourceType, parse
from crawler.sources.links import outlinks as html_outlinks
from crawler.sources.pagination import article_links, list_pages

# The original payload is read back from the WARC to classify a page as served;
# past this size the rendered DOM is enough to tell what a page is.
RAW_READ_LIMIT = 8 * 1024 * 1024


def _received_at(network, url: str) -> float:
    """When the browser got the final response for ``url`` (now, without a browser)."""
    if network is not None:
        for hop in reversed(network.navigations):
            if hop["url"] == url:
                return hop["received_at"]
    return time.time()


def _warc_date_ceil(moment: float) -> str:
    # warcprox dates records to the second, at the start of the exchange.
    return _warc_date(dt.datetime.fromtimestamp(int(moment) + 1, dt.timezone.utc))


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _now_iso() -> str:
    return _utcnow().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _warc_date(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ArchiveSpider(scrapy.Spider):
    name = "archive"

    def __init__(self, seeds: str | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seeds_path = seeds
        self.seed_error: str | None = None

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.browser = settings.getbool("BROWSER_ENABLED")
        spider.depth_limit = settings.getint("SCOPE_DEPTH")
        spider.max_list_pages = settings.getint("MAX_LIST_PAGES")
        spider.follow_article_links = settings.getbool("FOLLOW_ARTICLE_LINKS")
        spider.lookup_timeout = settings.getfloat("RECORD_LOOKUP_TIMEOUT")
        spider.archive_dir = settings.get("ARCHIVE_DIR")
        spider.records = RecordIndex(index_path(spider.archive_dir))
        spider.list_pages_seen: dict[str, int] = {}
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _closed(self, spider, reason):
        self.records.close()

    # -- seeds ---------------------------------------------------------------

    async def start(self):
        if not self.seeds_path:
            self.seed_error = "no seed file: give one with -a seeds=FILE"
        else:
            try:
                seeds = read_seeds(self.seeds_path)
            except SeedFileError as exc:
                self.seed_error = str(exc)
            else:
                for problem in seeds.problems:
                    self.logger.warning("skipped seed line %s", problem)
                    self.crawler.stats.inc_value("archive/seed_problems")
                if seeds.urls:
                    self.logger.info("%d seeds from %s", len(seeds.urls), self.seeds_path)
                    for url in seeds.urls:
                        yield self.visit(url, seed=url, depth=0, scope=Scope.of(url))
                    return
                self.seed_error = f"{self.seeds_path}: no valid seed URL ({len(seeds.problems)} lines skipped)"
        self.logger.error(self.seed_error)
        self.crawler.stats.set_value("archive/seed_error", self.seed_error)
        raise CloseSpider("seed_file_error")

    # -- visiting a page -----------------------------------------------------

    def visit(self, url: str, *, seed: str, depth: int, scope: Scope, role: str = "page") -> Request:
        meta = {
            "capture": {
                "seed": seed,
                "depth": depth,
                "scope": scope,
                "role": role,
                "since": _warc_date(_utcnow()),
            },
        }
        if self.browser:
            meta.update(
                playwright=True,
                playwright_include_page=True,
                playwright_context=CAPTURE_CONTEXT,
                playwright_page_init_callback="crawler.capture.behaviours.start_network_log",
                playwright_page_goto_kwargs={"wait_until": "load"},
            )
        return Request(url, callback=self.parse_page, errback=self.visit_failed, meta=meta)

    async def parse_page(self, response):
        capture = response.meta["capture"]
        page = response.meta.get("playwright_page")
        network = response.meta.get("capture_network")
        rendered = None
        started = time.monotonic()
        if page is not None:
            try:
                rendered = await render(page, network, self.settings)
            finally:
                await page.close()
        final_url = response.url
        proxy_error = b"proxy-error" in (response.headers.get("Warcprox-Meta") or b"")
        until = _warc_date_ceil(_received_at(network, final_url))
        record = None if proxy_error else await self.find_response_record(final_url, capture["since"], until)
        raw = self.original_payload(record)
        html_now = rendered.html if rendered and rendered.html else response.text if hasattr(response, "text") else ""
        source_page = Page(
            url=final_url,
            status=response.status,
            headers=response.headers,
            body=raw if raw is not None else response.body,
            rendered=html_now,
        )
        fields = parse(source_page)  # classifies, then runs that source's page object
        source_type = fields.source_type if fields is not None else SourceType.UNKNOWN
        links = rendered.outlinks if rendered else html_outlinks(html_now, final_url)

        scope = capture["scope"]
        if capture["depth"] == 0:
            scope = scope.widened(final_url)  # a short link's article is the seed's own
        for request in self.follow(source_page, source_type, links, capture, scope):
            yield request

        error = _missing_record_error(response.status, proxy_error) if record is None else None
        yield PageCapture(
            url=response.request.url,
            seed=capture["seed"],
            depth=capture["depth"],
            final_url=final_url,
            status=None if proxy_error else response.status,
            source_type=str(source_type),
            # A deletion notice or captcha has no title: its message says what happened.
            title=(getattr(fields, "title", None) or getattr(fields, "message", None)) if fields is not None else None,
            started_at=capture["since"],
            response_record_id=record.record_id if record else None,
            response_warc_date=record.warc_date if record else None,
            screenshot_png=rendered.screenshot_png if rendered else None,
            rendered_html=rendered.html if rendered else None,
            metadata={
                "url": response.request.url,
                "error": error,
                "final_url": final_url,
                "status": response.status,
                "seed": capture["seed"],
                "depth": capture["depth"],
                "role": capture["role"],
                "source_type": str(source_type),
                "visit_started": capture["since"],
                "visit_finished": _now_iso(),
                "render_ms": round((time.monotonic() - started) * 1000),
                "response_record_id": record.record_id if record else None,
                "response_record_type": record.warc_type if record else None,
                "redirect_chain": _redirect_chain(response, network),
                "outlinks": links,
                "browser": self.browser_info() if rendered else None,
                "behaviours": rendered.info if rendered else None,
            },
            error=error,
        )

    def follow(self, page: Page, source_type, links: list[str], capture: dict, scope: Scope):
        """Requests for what this page leads to, within scope and depth."""
        depth, seed = capture["depth"], capture["seed"]
        if source_type in _ARTICLE_TYPES:
            if not self.follow_article_links:
                return
            candidates = links
        else:
            # Whatever the page was taken for, if it pages (links written by
            # JavaScript included), its other pages are the same list: no depth.
            for url in list_pages(page):
                seen = self.list_pages_seen.get(seed, 0)
                if url != page.url and scope.contains(url) and seen < self.max_list_pages:
                    self.list_pages_seen[seed] = seen + 1
                    yield self.visit(url, seed=seed, depth=depth, scope=scope, role="list")
            candidates = article_links(page) if source_type == SourceType.GOV_LIST else links
        if depth + 1 > self.depth_limit:
            return
        for url in candidates:
            if scope.contains(url) and looks_like_page(url):
                yield self.visit(url, seed=seed, depth=depth + 1, scope=scope, role="article")

    async def visit_failed(self, failure):
        """A visit that ended without a page: record what happened and go on."""
        request = failure.request
        capture = request.meta.get("capture", {})
        page = request.meta.get("playwright_page")
        if page is not None:
            try:
                await page.close()
            except Exception:  # the browser may be gone with it
                pass
        network = request.meta.get("capture_network")
        error = describe_failure(failure)
        self.logger.warning("visit failed: %s: %s", request.url, error)
        self.logger.debug("visit failure detail for %s:\n%s", request.url, failure.getTraceback())
        self.crawler.stats.inc_value("archive/visits_failed")
        record = self.records.latest(request.url, since=capture.get("since"))
        yield PageCapture(
            url=request.url,
            seed=capture.get("seed", request.url),
            depth=capture.get("depth", 0),
            final_url=None,
            status=record.status if record else None,
            started_at=capture.get("since"),
            response_record_id=record.record_id if record else None,
            response_warc_date=record.warc_date if record else None,
            metadata={
                "url": request.url,
                "seed": capture.get("seed"),
                "depth": capture.get("depth"),
                "role": capture.get("role"),
                "visit_started": capture.get("since"),
                "visit_finished": _now_iso(),
                "error": error,
                "redirect_chain": network.navigations if network else request.meta.get("redirect_urls", []),
                "failed_requests": network.failed[:100] if network else [],
                "browser": self.browser_info() if self.browser else None,
            },
            error=error,
        )

    # -- records -------------------------------------------------------------

    async def find_response_record(self, url: str, since: str, until: str | None = None):
        """The response (or revisit) record warcprox wrote for ``url`` in this visit.

        warcprox indexes a record just after writing it, a little after the
        browser has the response: poll briefly instead of guessing.
        """
        deadline = time.monotonic() + self.lookup_timeout
        while True:
            record = self.records.latest(url, since=since, until=until)
            if record is not None or time.monotonic() > deadline:
                if record is None:
                    self.logger.error("no response record for %s in the record index", url)
                return record
            await asyncio.sleep(0.1)

    def original_payload(self, record) -> bytes | None:
        """The body as served (transfer and content encodings undone), from the WARC itself."""
        if record is None or record.warc_type != "response":
            return None
        try:
            warc = read_record_at(record_path(self.archive_dir, record.warc_filename), record.warc_offset)
            return warc.content_stream().read(RAW_READ_LIMIT)
        except (OSError, ValueError, EOFError) as exc:
            self.logger.warning("could not read back %s from %s: %s", record.record_id, record.warc_filename, exc)
            return None

    def browser_info(self) -> dict:
        contexts = self.settings.getdict("PLAYWRIGHT_CONTEXTS")
        context = contexts.get(CAPTURE_CONTEXT, {})
        return {
            "name": "chromium",
            "version": self.settings.get("BROWSER_VERSION"),
            "user_agent": context.get("user_agent"),
            "viewport": context.get("viewport"),
            "headless": self.settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS").get("headless", True),
        }


_ARTICLE_TYPES = {
    SourceType.WECHAT_ARTICLE,
    SourceType.WECHAT_IMAGE_POST,
    SourceType.THEPAPER_ARTICLE,
    SourceType.GOV_ARTICLE,
    SourceType.WECHAT_NOTICE,
    SourceType.WECHAT_CAPTCHA,
}


def _missing_record_error(status: int, proxy_error: bool) -> str:
    if proxy_error:
        return f"no response from the server (the recording proxy answered {status}: connection reset, refused or timed out)"
    return "response record not found in the record index"


def _redirect_chain(response, network) -> list:
    if network is not None and network.navigations:
        return network.navigations
    urls = response.meta.get("redirect_urls") or []
    return [{"url": u} for u in urls] + [{"url": response.url, "status": response.status}]
