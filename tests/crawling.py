"""Run the crawl as the README says, for tests: ``scrapy crawl archive`` in the project."""

from __future__ import annotations

import os
import socket
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRAPY = os.path.join(os.path.dirname(sys.executable), "scrapy")

# The mock site is on loopback; politeness would only slow the tests down.
TEST_SETTINGS = [
    "-s", "ALLOW_PRIVATE_TARGETS=1",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=0",
    "-s", "RETRY_TIMES=0",
    # Temporarily unavailable pages are still tried again, after half a second, not half a minute.
    "-s", "UNAVAILABLE_RETRY_DELAY=0.5",
    "-s", "CONTACT=tests@bioarchive.invalid",
]


def crawl_command(seeds_path, archive_dir, *settings: str) -> list[str]:
    return [SCRAPY, "crawl", "archive", "-a", f"seeds={seeds_path}", "-s", f"ARCHIVE_DIR={archive_dir}", *settings]


def free_port() -> int:
    """A loopback port nothing listens on (for a server a test starts, or a seed that must fail)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
