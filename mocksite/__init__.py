"""bioarchive's mock of the archived sources, served on loopback.

WeChat articles (classic and image-post templates, short links, deleted and
captcha pages, a Referer-checking image host), The Paper's Next.js pages, a
GBK TRS-CMS government portal with JavaScript pagination, and faults.
See site.py for the API and content.py for the data.
"""

from .site import MockSite

__all__ = ["MockSite"]
