"""Name what went wrong with a visit in words an operator can act on."""

from __future__ import annotations

from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionLost, ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

try:  # playwright is only there when the browser is
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeout
except ImportError:  # pragma: no cover
    PlaywrightError = PlaywrightTimeout = ()

# Chromium's net:: errors, as Playwright reports them.
_CHROMIUM = {
    "ERR_TOO_MANY_REDIRECTS": "redirect loop",
    "ERR_CONNECTION_RESET": "connection reset",
    "ERR_EMPTY_RESPONSE": "connection closed without a response",
    "ERR_CONNECTION_CLOSED": "connection closed",
    "ERR_CONNECTION_REFUSED": "connection refused",
    "ERR_NAME_NOT_RESOLVED": "DNS lookup failed",
    "ERR_TIMED_OUT": "timeout",
    "ERR_TUNNEL_CONNECTION_FAILED": "proxy could not connect",
    "ERR_INVALID_RESPONSE": "invalid response",
}


def describe_failure(failure) -> str:
    exc = failure.value
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if isinstance(exc, HttpError):
        return f"HTTP {exc.response.status}"
    if PlaywrightTimeout and isinstance(exc, PlaywrightTimeout):
        return f"timeout: {text}"
    if PlaywrightError and isinstance(exc, PlaywrightError):
        for code, words in _CHROMIUM.items():
            if code in text:
                return f"{words} ({code})"
        return f"browser error: {text}"
    if isinstance(exc, (TimeoutError, TCPTimedOutError)):
        return f"timeout: {text}"
    if isinstance(exc, DNSLookupError):
        return "DNS lookup failed"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (ConnectionLost, ResponseFailed, ResponseNeverReceived)):
        return f"connection reset or lost: {text}"
    return f"{type(exc).__name__}: {text}"
