"""Downloader middlewares: nothing is fetched unrecorded, nothing private is fetched.

- PrivateTargetMiddleware (early, priority 50): refuses requests whose host
  resolves to a loopback/private/link-local/... address, unless
  ALLOW_PRIVATE_TARGETS. The proxy refuses them too (and catches the browser's
  sub-requests and DNS rebinding); refusing here saves a round trip and keeps
  one clear log line per refused URL.
- RecordingProxyMiddleware (740, before Scrapy's HttpProxyMiddleware at 750):
  routes every non-browser request through the recording proxy
  (CAPTURE_PROXY_URL, published by the RecordingProxy extension). Playwright
  requests are left alone: the browser has its own proxy configuration.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.reactor import is_reactor_installed
from twisted.internet.threads import deferToThread

from crawler.capture import netpolicy

logger = logging.getLogger(__name__)

# Schemes that go over the network and that the proxy records.
RECORDED_SCHEMES = ("http", "https")
# Schemes Scrapy answers without the network: nothing to record.
LOCAL_SCHEMES = ("data", "about")


class RecordingProxyMiddleware:
    def __init__(self, proxy_url: str | None):
        self.proxy_url = proxy_url

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.get("CAPTURE_PROXY_URL"))

    def process_request(self, request):
        if request.meta.get("playwright"):
            return None
        scheme = urlsplit(request.url).scheme.lower()
        if scheme in LOCAL_SCHEMES:
            return None
        if scheme not in RECORDED_SCHEMES:
            logger.error("refused %s: the recording proxy records http and https only", request.url)
            raise IgnoreRequest(f"not recordable: {request.url}")
        if not self.proxy_url:
            logger.error("refused %s: no recording proxy (CAPTURE_PROXY_URL is not set)", request.url)
            raise IgnoreRequest(f"no recording proxy for {request.url}")
        request.meta["proxy"] = self.proxy_url
        return None


class PrivateTargetMiddleware:
    def __init__(self, stats=None, lookup=None):
        self.stats = stats
        # (host, port) -> the private address it resolved to, or None; for the whole crawl.
        self.cache: dict[tuple[str, int | None], str | None] = {}
        self._lookup = lookup or _lookup_in_thread

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.getbool("ALLOW_PRIVATE_TARGETS"):
            raise NotConfigured("ALLOW_PRIVATE_TARGETS is on")
        return cls(stats=crawler.stats)

    async def process_request(self, request):
        host, port = netpolicy.host_port(request.url)
        if not host:
            return None
        key = (host.lower(), port)
        if key not in self.cache:
            self.cache[key] = await self._lookup(host, port)
        ip = self.cache[key]
        if ip is None:
            return None
        logger.warning("refused private target %s (%s)", request.url, ip)
        if self.stats is not None:
            self.stats.inc_value("capture/refused_private")
        raise IgnoreRequest(f"private target {request.url} ({ip})")


async def _lookup_in_thread(host: str, port: int | None) -> str | None:
    # getaddrinfo blocks; the reactor (and the browser driven from it) must not.
    if is_reactor_installed():
        return await maybe_deferred_to_future(deferToThread(netpolicy.private_host, host, port))
    return await asyncio.to_thread(netpolicy.private_host, host, port)  # Scrapy's reactorless mode
