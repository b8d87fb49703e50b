"""Publication times as ISO 8601 in Beijing time (UTC+8), whatever form they come in."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))

_DATE_RE = re.compile(
    r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})(?!\d)\s*日?"
    r"(?:[\sT]*(?P<H>\d{1,2})\s*[:：时点]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
)


def from_unix(value) -> str | None:
    """Unix seconds (or milliseconds) to ISO 8601 +08:00."""
    try:
        n = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    if n <= 0:
        return None
    if n > 1e11:  # milliseconds (The Paper's publishTime)
        n /= 1000.0
    try:
        return datetime.fromtimestamp(int(n), BEIJING).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def find_datetime(text: str | None) -> str | None:
    """The first date(-time) written in text, as ISO 8601 +08:00 (date-only
    values get 00:00:00). Accepts 2026-04-30 10:00, 2026/08/09 09:30,
    2021年3月10日, full-width digits."""
    if not text:
        return None
    text = unicodedata.normalize("NFKC", str(text))
    for m in _DATE_RE.finditer(text):
        try:
            dt = datetime(int(m["y"]), int(m["m"]), int(m["d"]),
                          int(m["H"] or 0), int(m["M"] or 0), int(m["S"] or 0), tzinfo=BEIJING)
        except ValueError:
            continue
        return dt.isoformat()
    return None
