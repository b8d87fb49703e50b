"""Which links a crawl follows: the seed's host and path prefix."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Links to these are files, not pages: the browser fetches them as page
# requisites when a page uses them; the crawl does not open them as pages.
_NOT_PAGES = (
    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".svg", ".ico", ".bmp",
    ".css", ".js", ".json", ".xml",
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".zip", ".rar", ".7z",
    ".mp3", ".mp4", ".avi", ".mov", ".wmv", ".flv",
)


def _host_port(url: str) -> tuple[str, int] | None:
    parts = urlsplit(url)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port or _DEFAULT_PORTS[parts.scheme]
    except ValueError:
        return None
    return parts.hostname.lower(), port


def path_prefix(url: str) -> str:
    """The directory part of the URL's path: /xwzx/gadt/index.html -> /xwzx/gadt/."""
    path = urlsplit(url).path or "/"
    return path[: path.rfind("/") + 1]


@dataclass(frozen=True)
class Scope:
    """Host and path prefixes a seed's crawl stays within (http and https alike)."""

    areas: tuple[tuple[str, int, str], ...]

    @classmethod
    def of(cls, *urls: str) -> "Scope":
        return cls(()).widened(*urls)

    def widened(self, *urls: str) -> "Scope":
        """Add the area of ``urls`` (e.g. where a short link redirected to)."""
        areas = list(self.areas)
        for url in urls:
            hp = _host_port(url)
            if hp is None:
                continue
            area = (hp[0], hp[1], path_prefix(url))
            if area not in areas:
                areas.append(area)
        return Scope(tuple(areas))

    def contains(self, url: str) -> bool:
        hp = _host_port(url)
        if hp is None:
            return False
        path = urlsplit(url).path or "/"
        return any(hp == (h, p) and path.startswith(prefix) for h, p, prefix in self.areas)


def looks_like_page(url: str) -> bool:
    return not urlsplit(url).path.lower().endswith(_NOT_PAGES)
