"""Browser behaviours: what a page needs before it is captured as a person saw it.

Scroll the whole page so lazy images load, wait (bounded) for the network to
go quiet, then take the full-page screenshot and the rendered DOM. The bytes
of every request these behaviours cause are recorded by the proxy; this
module only drives the page and reports what it did.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

_PAGE_HEIGHT_JS = "() => Math.max(document.body ? document.body.scrollHeight : 0, document.documentElement.scrollHeight)"
_SCROLL_JS = """(step) => {
    window.scrollBy(0, step);
    const h = Math.max(document.body ? document.body.scrollHeight : 0, document.documentElement.scrollHeight);
    return window.scrollY + window.innerHeight >= h - 2;
}"""
_OUTLINKS_JS = "() => Array.from(document.querySelectorAll('a[href]'), a => a.href).filter(h => /^https?:/i.test(h))"
# Images a lazy loader has not filled yet (WeChat's data-src convention and the generic one).
_PENDING_LAZY = """Array.from(document.querySelectorAll('img[data-src]'))
    .filter(img => !img.currentSrc || img.currentSrc.startsWith('data:') || !img.complete || img.naturalWidth === 0)"""
_PENDING_LAZY_JS = f"() => {_PENDING_LAZY}.map(img => img.getAttribute('data-src'))"
_SHOW_PENDING_JS = f"""(i) => {{
    const img = {_PENDING_LAZY}[i];
    if (img) img.scrollIntoView({{block: 'center'}});
    return !!img;
}}"""
_TIMING_JS = """() => {
    const t = performance.getEntriesByType('navigation')[0];
    return t ? {dom_content_loaded_ms: Math.round(t.domContentLoadedEventEnd),
                load_ms: Math.round(t.loadEventEnd), transfer_size: t.transferSize} : {};
}"""


class NetworkLog:
    """Every request of one page, to know when the network is quiet and what failed."""

    def __init__(self):
        self.started = time.monotonic()
        self.inflight: set = set()
        self.last_activity = self.started
        self.count = 0
        self.failed: list[dict] = []
        self.navigations: list[dict] = []  # main-frame document responses, redirects included

    def attach(self, page: Page) -> "NetworkLog":
        page.on("request", self._on_request)
        page.on("requestfinished", self._on_done)
        page.on("requestfailed", self._on_failed)
        page.on("response", lambda response: self._on_response(page, response))
        return self

    def _on_request(self, request):
        self.count += 1
        self.inflight.add(request)
        self.last_activity = time.monotonic()

    def _on_done(self, request):
        self.inflight.discard(request)
        self.last_activity = time.monotonic()

    def _on_failed(self, request):
        self._on_done(request)
        self.failed.append({"url": request.url, "resource_type": request.resource_type, "error": request.failure})

    def _on_response(self, page, response):
        request = response.request
        if request.is_navigation_request() and request.frame == page.main_frame:
            self.navigations.append(
                {
                    "url": response.url,
                    "status": response.status,
                    "location": response.headers.get("location"),
                    "received_at": time.time(),
                }
            )

    async def wait_quiet(self, idle_ms: int, timeout: float) -> bool:
        """True once no request has been in flight for ``idle_ms``; False at the timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            quiet_for = time.monotonic() - self.last_activity
            if not self.inflight and quiet_for * 1000 >= idle_ms:
                return True
            await asyncio.sleep(0.05)
        return False


async def start_network_log(page: Page, request) -> None:
    """scrapy-playwright page-init callback: runs before navigation starts."""
    request.meta["capture_network"] = NetworkLog().attach(page)


@dataclass
class Rendered:
    screenshot_png: bytes | None
    html: str | None
    outlinks: list[str]
    info: dict = field(default_factory=dict)  # timings, scroll, screenshot geometry, pending lazy images


async def scroll_through(page: Page, step: int, pause_ms: int, max_scrolls: int) -> dict:
    """Scroll to the bottom in steps (the page may grow as it loads), then back to the top."""
    steps, reached_bottom = 0, False
    while steps < max_scrolls:
        steps += 1
        reached_bottom = await page.evaluate(_SCROLL_JS, step)
        await asyncio.sleep(pause_ms / 1000)
        if reached_bottom:
            # Give lazy loaders a moment to extend the page before deciding it ends here.
            await asyncio.sleep(pause_ms / 1000)
            if await page.evaluate(_SCROLL_JS, 0):
                break
    await page.evaluate("() => window.scrollTo(0, 0)")
    return {"scroll_steps": steps, "reached_bottom": reached_bottom}


async def sweep_lazy_images(page: Page, network: NetworkLog | None, pause_ms: int, idle_ms: int, rounds: int = 3) -> int:
    """Bring every still-unloaded lazy image into view, one by one.

    A fast scroll on a busy machine can pass an image before its lazy
    loader's observer fires; this second pass waits at each one instead.
    Returns how many were still pending at the start.
    """
    first = None
    for _ in range(rounds):
        pending = await page.evaluate(_PENDING_LAZY_JS)
        if first is None:
            first = len(pending)
        if not pending:
            break
        for i in range(len(pending)):
            # Index 0 each time: an image that started loading drops out of the list.
            if not await page.evaluate(_SHOW_PENDING_JS, 0):
                break
            await asyncio.sleep(pause_ms * 3 / 1000)
        if network is not None:
            await network.wait_quiet(idle_ms, 5)
    await page.evaluate("() => window.scrollTo(0, 0)")
    return first or 0


async def render(page: Page, network: NetworkLog | None, settings) -> Rendered:
    """Run the behaviours within BROWSER_RENDER_TIMEOUT, then capture what the page shows.

    Whatever a behaviour fails to do (a page that never goes quiet, a script
    that breaks scrolling) is noted in ``info`` and the capture still happens:
    a partial rendering is evidence too, the original response is on disk anyway.
    """
    info: dict = {}
    budget = settings.getfloat("BROWSER_RENDER_TIMEOUT")
    pause_ms = settings.getint("BROWSER_SCROLL_PAUSE_MS")
    idle_ms = settings.getint("BROWSER_IDLE_MS")
    t0 = time.monotonic()
    try:
        # Only the front page of a browser renders at full rate.
        await page.bring_to_front()
        info.update(
            await asyncio.wait_for(
                scroll_through(page, settings.getint("BROWSER_SCROLL_STEP"), pause_ms, settings.getint("BROWSER_MAX_SCROLLS")),
                timeout=budget,
            )
        )
        remaining = max(1.0, budget - (time.monotonic() - t0))
        info["lazy_images_swept"] = await asyncio.wait_for(
            sweep_lazy_images(page, network, pause_ms, idle_ms), timeout=remaining
        )
    except (asyncio.TimeoutError, PlaywrightError) as exc:
        info["scroll_error"] = f"{type(exc).__name__}: {exc}".splitlines()[0]
    info["scroll_ms"] = round((time.monotonic() - t0) * 1000)
    if network is not None:
        remaining = max(1.0, budget - (time.monotonic() - t0))
        info["network_quiet"] = await network.wait_quiet(idle_ms, remaining)
        info["requests"] = network.count
        info["failed_requests"] = network.failed[:100]
    info["behaviours_ms"] = round((time.monotonic() - t0) * 1000)
    info.update(await _safe(page.evaluate(_TIMING_JS), {}))
    info["lazy_images_pending"] = await _safe(page.evaluate(_PENDING_LAZY_JS), [])

    png = await _screenshot(page, settings, info)
    html = await _safe(page.content(), None)
    outlinks = await _safe(page.evaluate(_OUTLINKS_JS), [])
    return Rendered(screenshot_png=png, html=html, outlinks=list(dict.fromkeys(outlinks)), info=info)


async def _screenshot(page: Page, settings, info: dict) -> bytes | None:
    max_height = settings.getint("BROWSER_SCREENSHOT_MAX_HEIGHT")
    height = await _safe(page.evaluate(_PAGE_HEIGHT_JS), 0)
    viewport = page.viewport_size or {"width": 1280, "height": 900}
    # An unchanged page must give the same bytes night after night (stored once, then revisits):
    # finite animations are shown finished, infinite ones (spinners, carousels) at their start,
    # and no text caret blinks.
    kwargs: dict = {"full_page": True, "type": "png", "timeout": 30_000, "animations": "disabled", "caret": "hide"}
    if height and height > max_height:
        # A screenshot of a 5 MB page would be hundreds of MB: keep the top, say so.
        kwargs["clip"] = {"x": 0, "y": 0, "width": viewport["width"], "height": max_height}
        info["screenshot_clipped_at"] = max_height
    t0 = time.monotonic()
    try:
        png = await page.screenshot(**kwargs)
    except PlaywrightError as exc:
        info["screenshot_error"] = str(exc).splitlines()[0]
        return None
    info["screenshot_ms"] = round((time.monotonic() - t0) * 1000)
    info["screenshot"] = {"width": viewport["width"], "height": min(height or 0, max_height), "page_height": height}
    return png


async def _safe(awaitable, default):
    try:
        return await awaitable
    except PlaywrightError:
        return default
