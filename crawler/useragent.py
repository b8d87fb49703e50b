"""An honest User-Agent: the project's name, version and a way to reach the operator."""

from __future__ import annotations

from scrapy import signals

from crawler import SOFTWARE, __version__


def honest_user_agent(settings) -> str:
    if settings.get("USER_AGENT"):
        return settings.get("USER_AGENT")
    contact = settings.get("CONTACT") or "contact not configured"
    return f"{SOFTWARE}/{__version__} (+{contact}; web archiving for human-rights research)"


def browser_user_agent(settings, chromium_version: str | None) -> str:
    """Chromium's usual string, so pages render as for a person, with our name appended."""
    major = (chromium_version or "0").split(".")[0]
    return (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        f"Chrome/{major}.0.0.0 Safari/537.36 {honest_user_agent(settings)}"
    )


class HonestUserAgentMiddleware:
    """Scrapy's UserAgentMiddleware, with the User-Agent built from CONTACT when not set."""

    def __init__(self, user_agent: str):
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler):
        mw = cls(honest_user_agent(crawler.settings))
        crawler.signals.connect(mw.spider_opened, signal=signals.spider_opened)
        return mw

    def spider_opened(self, spider):
        if not spider.settings.get("CONTACT"):
            spider.logger.warning("CONTACT is not set: site operators cannot reach you (set -s CONTACT=...)")

    def process_request(self, request, spider=None):
        request.headers.setdefault(b"User-Agent", self.user_agent)
