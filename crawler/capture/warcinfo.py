"""What every WARC file of the collection says about how it was made.

Both writers (warcprox's, through our launcher, and ours for rendered
records) open each file with a ``warcinfo`` record built from these fields.
"""

from __future__ import annotations

import json
import platform
import socket
from importlib import metadata

from crawler import SOFTWARE, __version__
from crawler.useragent import honest_user_agent

# Settings worth knowing when judging a capture years later; secrets never go here.
RECORDED_SETTINGS = (
    "BOT_NAME",
    "ARCHIVE_DIR",
    "WARC_PREFIX",
    "WARC_ROLLOVER_SIZE",
    "ALLOW_PRIVATE_TARGETS",
    "ROBOTSTXT_OBEY",
    "SCOPE_DEPTH",
    "MAX_LIST_PAGES",
    "BROWSER_ENABLED",
    "BROWSER_VIEWPORT",
    "BROWSER_SCROLL_STEP",
    "BROWSER_IDLE_MS",
    "BROWSER_RENDER_TIMEOUT",
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "AUTOTHROTTLE_ENABLED",
    "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "DOWNLOAD_DELAY",
    "DOWNLOAD_TIMEOUT",
    "DOWNLOAD_MAXSIZE",
)

_COMPONENTS = ("scrapy", "scrapy-playwright", "playwright", "warcprox", "warcio")


def software_versions() -> str:
    parts = [f"{SOFTWARE}/{__version__}"]
    for name in _COMPONENTS:
        try:
            parts.append(f"{name}/{metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    parts.append(f"python/{platform.python_version()}")
    return " ".join(parts)


def warcinfo_fields(settings, writer: str) -> list[tuple[str, str]]:
    """``settings`` is a Scrapy Settings (or a plain dict); ``writer`` names the component writing the file."""
    get = settings.get
    recorded = {name: get(name) for name in RECORDED_SETTINGS if get(name) is not None}
    fields = [
        ("software", software_versions()),
        ("writer", writer),
        ("format", "WARC File Format 1.1"),
        ("conformsTo", "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"),
        ("operator", get("OPERATOR") or "unspecified"),
        ("contact", get("CONTACT") or "unspecified"),
        ("hostname", socket.getfqdn()),
        # What Scrapy sends (USER_AGENT, or the one built from CONTACT); the
        # browser sends Chromium's string with this appended.
        ("http-header-user-agent", honest_user_agent(settings)),
        ("robots", "obey" if get("ROBOTSTXT_OBEY") else "ignore"),
        ("isPartOf", get("COLLECTION_NAME") or get("BOT_NAME") or SOFTWARE),
        ("crawl-settings", json.dumps(recorded, sort_keys=True, ensure_ascii=False, default=str)),
    ]
    return fields


def format_warc_fields(fields: list[tuple[str, str]]) -> bytes:
    """application/warc-fields: one ``name: value`` line each, CRLF-terminated, UTF-8."""
    lines = []
    for name, value in fields:
        value = str(value).replace("\r", " ").replace("\n", " ")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("utf-8")
