"""The downloader middlewares, with a crawler from scrapy.utils.test.get_crawler."""

import asyncio
import logging

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.test import get_crawler

from crawler.capture.middleware import PrivateTargetMiddleware, RecordingProxyMiddleware

PROXY = "http://127.0.0.1:8123"


def recording_mw(**settings):
    return RecordingProxyMiddleware.from_crawler(get_crawler(settings_dict=settings))


def test_sets_the_recording_proxy_on_scrapy_requests():
    mw = recording_mw(CAPTURE_PROXY_URL=PROXY)
    for url in ("http://example.com/a", "https://example.com/b"):
        request = Request(url, meta={"proxy": "http://elsewhere:3128"})
        assert mw.process_request(request) is None
        assert request.meta["proxy"] == PROXY  # no way around the recorder


def test_leaves_browser_and_local_requests_alone():
    mw = recording_mw(CAPTURE_PROXY_URL=PROXY)
    browser = Request("https://example.com/", meta={"playwright": True})
    assert mw.process_request(browser) is None
    assert "proxy" not in browser.meta
    data = Request("data:text/plain,hello")
    assert mw.process_request(data) is None
    assert "proxy" not in data.meta


def test_refuses_when_no_proxy(caplog):
    mw = recording_mw()
    caplog.set_level(logging.INFO)
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("https://example.com/x"))
    assert [r.getMessage() for r in caplog.records] == [
        "refused https://example.com/x: no recording proxy (CAPTURE_PROXY_URL is not set)"]
    assert caplog.records[0].levelno == logging.ERROR
    # Browser requests are not ours to refuse: the browser set-up refuses to start without a proxy.
    assert mw.process_request(Request("https://example.com/", meta={"playwright": True})) is None


def test_refuses_unrecordable_schemes():
    mw = recording_mw(CAPTURE_PROXY_URL=PROXY)
    with pytest.raises(IgnoreRequest):
        mw.process_request(Request("ftp://example.com/file"))


# --- PrivateTargetMiddleware ----------------------------------------------

class FakeLookup:
    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    async def __call__(self, host, port):
        self.calls.append((host, port))
        return self.answers.get(host)


def private_mw(answers=None, **settings):
    crawler = get_crawler(settings_dict=settings)
    mw = PrivateTargetMiddleware.from_crawler(crawler)
    if answers is not None:
        mw._lookup = FakeLookup(answers)
    return crawler, mw


def run(coro):
    return asyncio.run(coro)


def test_refuses_private_targets_with_one_warning(caplog):
    crawler, mw = private_mw({"intranet.example": "10.0.0.7"})
    caplog.set_level(logging.DEBUG)
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(Request("http://intranet.example/admin")))
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.getMessage() for r in warnings] == ["refused private target http://intranet.example/admin (10.0.0.7)"]
    assert crawler.stats.get_value("capture/refused_private") == 1


def test_public_targets_pass_and_lookups_are_cached():
    crawler, mw = private_mw({"intranet.example": "10.0.0.7"})
    for path in ("a", "b", "c"):
        assert run(mw.process_request(Request(f"https://www.gov.example/{path}"))) is None
    for path in ("a", "b"):
        with pytest.raises(IgnoreRequest):
            run(mw.process_request(Request(f"http://INTRANET.example/{path}")))
    assert mw._lookup.calls == [("www.gov.example", 443), ("intranet.example", 80)]
    assert crawler.stats.get_value("capture/refused_private") == 2


def test_real_resolution_of_loopback(caplog):
    crawler, mw = private_mw()
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(Request("http://localhost:8080/")))
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(Request("http://[::1]/")))
    with pytest.raises(IgnoreRequest):
        run(mw.process_request(Request("http://169.254.169.254/latest/meta-data/")))
    # Unresolvable hosts are left to fail on their own.
    assert run(mw.process_request(Request("http://does-not-exist.invalid/"))) is None
    assert crawler.stats.get_value("capture/refused_private") == 3


def test_data_urls_are_not_looked_up():
    _, mw = private_mw({})
    assert run(mw.process_request(Request("data:text/plain,hi"))) is None
    assert mw._lookup.calls == []


def test_disabled_when_private_targets_allowed():
    with pytest.raises(NotConfigured):
        PrivateTargetMiddleware.from_crawler(get_crawler(settings_dict={"ALLOW_PRIVATE_TARGETS": True}))
