"""Point the browser at the recording proxy, before Scrapy freezes its settings.

Runs as an extension ordered after RecordingProxy, which has by then started
warcprox and published CAPTURE_PROXY_URL. Every request Chromium makes
(documents, scripts, styles, images, XHR) must go through that proxy, loopback
included (Chromium bypasses proxies for loopback unless told ``<-loopback>``).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess

from scrapy.exceptions import NotConfigured

from crawler.useragent import browser_user_agent

logger = logging.getLogger(__name__)

CAPTURE_CONTEXT = "capture"

# Without these, Chromium keeps calling Google hosts that are unreachable here
# and that must never end up in a capture (stack.md).
CHROMIUM_ARGS = [
    "--disable-gpu",
    "--disable-quic",
    "--disable-sync",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
    "--hide-scrollbars",
    "--font-render-hinting=none",
    # Every https connection Chromium makes ends at warcprox, which presents
    # certificates from its own CA; the origin's certificate is warcprox's to
    # face. Without this, the browser's non-page fetches (favicons) fail TLS.
    "--ignore-certificate-errors",
]


def chromium_version(executable: str | None) -> str | None:
    if not executable:
        return None
    try:
        out = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for token in out.split():
        if token[:1].isdigit() and "." in token:
            return token
    return None


def browser_executable(settings) -> str | None:
    """The system Chromium when there is one; None lets Playwright use its own build."""
    path = settings.get("BROWSER_EXECUTABLE") or ""
    if path and os.path.exists(path):
        return path
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


class BrowserSetup:
    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.getbool("BROWSER_ENABLED"):
            # Scrapy's own handlers: scrapy-playwright would launch Chromium anyway.
            settings.set("DOWNLOAD_HANDLERS", {}, priority="cmdline")
            raise NotConfigured("BROWSER_ENABLED is off")
        proxy_url = settings.get("CAPTURE_PROXY_URL")
        if not proxy_url:
            raise RuntimeError("the recording proxy is not running: refusing to start a browser that would not be recorded")
        executable = browser_executable(settings)
        version = chromium_version(executable)
        launch = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
        launch.setdefault("headless", True)
        launch["args"] = list(launch.get("args", [])) + CHROMIUM_ARGS
        launch["proxy"] = {"server": proxy_url, "bypass": "<-loopback>"}
        if executable:
            launch["executable_path"] = executable
        context = {
            # warcprox answers https with its own CA: the bytes it records are
            # the origin's; the browser only needs to accept the proxy's certificate.
            "ignore_https_errors": True,
            "viewport": dict(settings.getdict("BROWSER_VIEWPORT")),
            "user_agent": browser_user_agent(settings, version),
            "locale": "zh-CN",
            "timezone_id": "Asia/Shanghai",
            # A service worker could answer from its own cache, around the proxy.
            "service_workers": "block",
        }
        contexts = dict(settings.getdict("PLAYWRIGHT_CONTEXTS"))
        contexts[CAPTURE_CONTEXT] = {**context, **contexts.get(CAPTURE_CONTEXT, {})}
        settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", launch, priority="cmdline")
        settings.set("PLAYWRIGHT_CONTEXTS", contexts, priority="cmdline")
        # Keep the browser's own headers: the navigation request then looks like
        # every other request of the page (scrapy-playwright would put Scrapy's).
        settings.set("PLAYWRIGHT_PROCESS_REQUEST_HEADERS", None, priority="cmdline")
        settings.set("BROWSER_VERSION", version or "unknown", priority="cmdline")
        logger.info("Browser: %s (%s), through recording proxy %s", executable or "playwright's chromium", version, proxy_url)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)
