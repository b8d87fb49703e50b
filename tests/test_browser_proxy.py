"""The browser's own requests go through the recording proxy, loopback included.

Chromium is launched exactly as BrowserSetup configures it for a crawl; with
private targets refused, its request for a loopback page is refused at the
proxy (one log line, no record); with them allowed, the page is recorded.
"""

from __future__ import annotations

import asyncio
import json
import os

import pytest
from playwright.async_api import async_playwright

from crawler.capture.browser_setup import CHROMIUM_ARGS
from tests.test_proxy import Proxy, http_origin, https_origin  # noqa: F401 (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium"),
]


async def _visit(proxy_url: str, urls: list[str]) -> list[tuple[int, dict]]:
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=CHROMIUM_ARGS,
            proxy={"server": proxy_url, "bypass": "<-loopback>"},
        )
        try:
            context = await browser.new_context(ignore_https_errors=True)
            page = await context.new_page()
            seen = []
            for url in urls:
                response = await page.goto(url)
                seen.append((response.status, await response.all_headers()))
            return seen
        finally:
            await browser.close()


def test_browser_requests_to_private_targets_are_refused_at_the_proxy(tmp_path, http_origin, https_origin):
    proxy = Proxy(tmp_path / "archive")
    urls = [f"{http_origin}/page", f"{https_origin}/page"]
    try:
        seen = asyncio.run(_visit(proxy.url, urls))
    finally:
        assert proxy.stop() == 0
    for status, headers in seen:
        assert status == 403
        assert json.loads(headers["warcprox-meta"]) == {"refused": "private-target"}
    refusals = [line for line in proxy.stderr().splitlines() if "refused private target" in line]
    for url in urls:
        assert sum(url in line for line in refusals) == 1, refusals
    assert proxy.warcs() == []


def test_browser_requests_are_recorded_when_private_targets_are_allowed(tmp_path, http_origin):
    proxy = Proxy(tmp_path / "archive", "--allow-private")
    try:
        seen = asyncio.run(_visit(proxy.url, [f"{http_origin}/page"]))
    finally:
        assert proxy.stop() == 0
    assert seen[0][0] == 200
    assert proxy.warcs()
