"""What a visit says about its page: alive, gone for good, or not reachable for now.

One rule, used by the spider (retry a temporary failure later in the crawl),
by resume (a visit with a final outcome is not made again) and by change
detection (pipelines.changes: new / unchanged / changed / deleted /
unavailable). It reads only what the page log keeps of a visit: the HTTP
status of the final response, the source type the page objects gave it, and
the error, if the visit failed.

Gone (the page's ``deleted`` status) needs positive evidence: 404 or 410, or a
permanent notice in the page's own markup (WeChat's 该内容已被发布者删除,
此内容因违规无法查看 …). Anything that may pass — a captcha, 访问过于频繁,
429, 403 (The Paper answers automated clients so at times), a 5xx, a timeout,
a reset, a redirect loop, an answer from our own proxy — is temporary and is
never taken for a deletion.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawler.sources import SourceType

ALIVE, GONE, TEMPORARY = "alive", "gone", "temporary"

GONE_STATUSES = {404, 410}
# 451: withheld for legal reasons is a removal too, as far as the record goes.
GONE_STATUSES_LEGAL = {451}


@dataclass(frozen=True)
class Outcome:
    kind: str  # alive | gone | temporary
    reason: str  # in words, for an operator: "HTTP 404", "该内容已被发布者删除", "captcha", ...

    @property
    def alive(self) -> bool:
        return self.kind == ALIVE


def visit_outcome(status: int | None, source_type: str | None, error: str | None,
                  message: str | None = None) -> Outcome:
    """The outcome of one visit. ``message`` is what the page said (a notice's text; the page log's title)."""
    if error or status is None:
        return Outcome(TEMPORARY, error or "no response")
    if status in GONE_STATUSES or status in GONE_STATUSES_LEGAL:
        return Outcome(GONE, f"HTTP {status}")
    if source_type == str(SourceType.WECHAT_NOTICE):
        return Outcome(GONE, message or "permanent notice")
    if source_type == str(SourceType.WECHAT_CAPTCHA):
        return Outcome(TEMPORARY, message or "captcha")
    if status >= 400:
        return Outcome(TEMPORARY, f"HTTP {status}")
    return Outcome(ALIVE, f"HTTP {status}")
