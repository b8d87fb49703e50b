"""The ``archive`` spider: visit every seed, render it, follow lists to their articles.

    scrapy crawl archive -a seeds=FILE

The spider decides what to visit and what the browser does on a page; what
crossed the wire is recorded by the proxy, what the browser rendered is
written by RenderedRecordsPipeline from the PageCapture items yielded here.

Run again into the same collection (the next night), it also visits every
page it has visited before from these seeds, linked or not any more, so a
post that vanished from its list still gets a status (pipelines.changes). A
page that answers with a temporary failure (captcha, 访问过于频繁, 5xx, a
timeout) is tried again later in the crawl, after a growing delay. A crawl
resumed after a stop or a crash (crawler.jobs) does not fetch again what the
page log says it already captured: it queues what those pages led to.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import scrapy
from scrapy import signals
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Request

from crawler.capture.behaviours import render
from crawler.capture.browser_setup import CAPTURE_CONTEXT
from crawler.capture.failures import describe_failure
from crawler.capture.records import RecordIndex, index_path
from crawler.capture.writer import read_record_at, record_path
from crawler.items import PageCapture
from crawler.outcome import TEMPORARY, visit_outcome
from crawler.scope import Scope, looks_like_page
from crawler.seeds import SeedFileError, read_seeds
from crawler.sources import Page, SourceType, parse
from crawler.sources.links import outlinks as html_outlinks
from crawler.sources.pagination import article_links, list_pages
from pipelines.pages import PageLog

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
        self.crawl_id: str | None = None

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
        spider.revisit_known = settings.getbool("REVISIT_KNOWN_PAGES", True)
        spider.retry_times = settings.getint("UNAVAILABLE_RETRY_TIMES", 2)
        spider.retry_delay = settings.getfloat("UNAVAILABLE_RETRY_DELAY", 30)
        spider.records = RecordIndex(index_path(spider.archive_dir))
        spider.page_log = PageLog(spider.archive_dir)
        spider.list_pages_seen: dict[str, int] = {}
        spider.captured: dict[str, object] = {}  # url -> its final visit in this crawl (resume)
        spider._replayed: set[str] = set()
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    def _closed(self, spider, reason):
        self.records.close()
        self.page_log.close()

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
                    self.crawl_id = self.settings.get("CRAWL_ID")
                    self.captured = self.captured_in_crawl()
                    for url in seeds.urls:
                        for request in self.visit_or_replay(url, seed=url, depth=0, scope=Scope.of(url)):
                            yield request
                    if self.revisit_known:
                        for request in self.known_pages(seeds.urls):
                            yield request
                    return
                self.seed_error = f"{self.seeds_path}: no valid seed URL ({len(seeds.problems)} lines skipped)"
        self.logger.error(self.seed_error)
        self.crawler.stats.set_value("archive/seed_error", self.seed_error)
        raise CloseSpider("seed_file_error")

    # -- resuming, revisiting ------------------------------------------------

    def captured_in_crawl(self) -> dict:
        """{url: last visit} of the pages this crawl has already captured (none for a new crawl).

        A visit that ended in a temporary failure with retries left does not count.
        """
        if not self.crawl_id:
            return {}
        last = {}
        for visit in self.page_log.visits(crawl_id=self.crawl_id):
            last[visit.url] = visit
        done = {url: v for url, v in last.items()
                if visit_outcome(v.status, v.source_type, v.error, v.title).kind != TEMPORARY
                or (v.attempt or 1) > self.retry_times}
        if done:
            self.logger.info("crawl %s resumed: %d pages already captured are not fetched again",
                             self.crawl_id, len(done))
            self.crawler.stats.set_value("archive/resume_captured", len(done))
        return done

    def visit_or_replay(self, url: str, *, seed: str, depth: int, scope: Scope, role: str = "page"):
        """A request for ``url``, or, when this crawl captured it already, what that visit led to."""
        visit = self.captured.get(url)
        if visit is None:
            yield self.visit(url, seed=seed, depth=depth, scope=scope, role=role)
            return
        if url in self._replayed:
            return
        self._replayed.add(url)
        self.crawler.stats.inc_value("archive/resume_skipped")
        followed_in = Scope(tuple(tuple(a) for a in visit.scope)) if visit.scope else scope
        for f_url, f_depth, f_role in visit.followups or []:
            yield from self.visit_or_replay(f_url, seed=seed, depth=f_depth, scope=followed_in, role=f_role)

    def known_pages(self, seeds: list[str]):
        """Every page visited before from these seeds, whether or not anything links to it now."""
        queued = set(seeds)
        for visit in self.page_log.known_pages(seeds):
            if visit.url in queued:
                continue
            queued.add(visit.url)
            scope = Scope(tuple(tuple(a) for a in visit.scope)) if visit.scope else Scope.of(visit.seed)
            self.crawler.stats.inc_value("archive/known_pages")
            yield from self.visit_or_replay(visit.url, seed=visit.seed, depth=visit.depth or 0, scope=scope,
                                            role=visit.role or "page")

    # -- visiting a page -----------------------------------------------------

    def visit(self, url: str, *, seed: str, depth: int, scope: Scope, role: str = "page",
              attempt: int = 1) -> Request:
        meta = {
            "capture": {
                "seed": seed,
                "depth": depth,
                "scope": scope,
                "role": role,
                "attempt": attempt,
                "since": _warc_date(_utcnow()),
            },
        }
        if attempt > 1:
            # Each try waits longer: a captcha or 访问过于频繁 means "not so fast".
            meta["backoff_delay"] = self.retry_delay * 2 ** (attempt - 2)
        if self.browser:
            meta.update(
                playwright=True,
                playwright_include_page=True,
                playwright_context=CAPTURE_CONTEXT,
                playwright_page_init_callback="crawler.capture.behaviours.start_network_log",
                playwright_page_goto_kwargs={"wait_until": "load"},
            )
        return Request(url, callback=self.parse_page, errback=self.visit_failed, meta=meta,
                       dont_filter=attempt > 1)

    def retry_later(self, capture: dict, url: str, outcome) -> Request | None:
        """Another try of a page that was temporarily unavailable, while tries are left."""
        attempt = capture.get("attempt", 1)
        if attempt > self.retry_times:
            return None
        self.crawler.stats.inc_value("archive/retries")
        self.logger.info("%s unavailable (%s): trying again later (try %d of %d)",
                         url, outcome.reason, attempt + 1, self.retry_times + 1)
        return self.visit(url, seed=capture["seed"], depth=capture["depth"], scope=capture["scope"],
                          role=capture["role"], attempt=attempt + 1)

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
        followups = []
        for url, depth, role in self.follow(source_page, source_type, links, capture, scope):
            followups.append([url, depth, role])
            for request in self.visit_or_replay(url, seed=capture["seed"], depth=depth, scope=scope, role=role):
                yield request

        error = _missing_record_error(response.status, proxy_error) if record is None else None
        status = None if proxy_error else response.status
        # The page asked for: without the browser, Scrapy's redirects replace the request.
        requested = (response.meta.get("redirect_urls") or [response.request.url])[0]
        # A deletion notice or captcha has no title: its message says what happened.
        title = (getattr(fields, "title", None) or getattr(fields, "message", None)) if fields is not None else None
        outcome = visit_outcome(status, str(source_type), error, title)
        if outcome.kind == TEMPORARY:
            retry = self.retry_later(capture, requested, outcome)
            if retry is not None:
                yield retry
        yield PageCapture(
            url=requested,
            seed=capture["seed"],
            depth=capture["depth"],
            final_url=final_url,
            status=status,
            source_type=str(source_type),
            title=title,
            started_at=capture["since"],
            crawl_id=self.crawl_id,
            attempt=capture.get("attempt", 1),
            role=capture["role"],
            scope=[list(a) for a in scope.areas],
            followups=followups,
            response_record_id=record.record_id if record else None,
            response_warc_date=record.warc_date if record else None,
            screenshot_png=rendered.screenshot_png if rendered else None,
            rendered_html=rendered.html if rendered else None,
            metadata={
                "url": requested,
                "error": error,
                "final_url": final_url,
                "status": response.status,
                "seed": capture["seed"],
                "depth": capture["depth"],
                "role": capture["role"],
                "crawl_id": self.crawl_id,
                "attempt": capture.get("attempt", 1),
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
        """(url, depth, role) of what this page leads to, within scope and depth."""
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
                    yield url, depth, "list"
            candidates = article_links(page) if source_type == SourceType.GOV_LIST else links
        if depth + 1 > self.depth_limit:
            return
        for url in candidates:
            if scope.contains(url) and looks_like_page(url):
                yield url, depth + 1, "article"

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
        # A request we refused ourselves (private target, robots.txt) will be refused again.
        if capture and not failure.check(IgnoreRequest):
            retry = self.retry_later(capture, request.url, visit_outcome(None, None, error))
            if retry is not None:
                yield retry
        scope = capture.get("scope")
        yield PageCapture(
            url=request.url,
            seed=capture.get("seed", request.url),
            depth=capture.get("depth", 0),
            final_url=None,
            status=record.status if record else None,
            started_at=capture.get("since"),
            crawl_id=self.crawl_id,
            attempt=capture.get("attempt", 1),
            role=capture.get("role"),
            scope=[list(a) for a in scope.areas] if scope is not None else None,
            followups=[],
            response_record_id=record.record_id if record else None,
            response_warc_date=record.warc_date if record else None,
            metadata={
                "url": request.url,
                "seed": capture.get("seed"),
                "depth": capture.get("depth"),
                "role": capture.get("role"),
                "crawl_id": self.crawl_id,
                "attempt": capture.get("attempt", 1),
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
