"""What a crawl yields for each page it visits."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PageCapture:
    """One visit of one page URL: what was recorded and what the browser made of it.

    The HTTP exchange itself is already in the WARC files (warcprox wrote it);
    this item carries what still has to be written (screenshot, rendered DOM,
    capture metadata) and a summary for the page log.
    """

    url: str  # as requested
    seed: str
    depth: int
    final_url: str | None = None  # after redirects
    status: int | None = None  # HTTP status of the final response
    source_type: str | None = None
    title: str | None = None
    started_at: str | None = None  # ISO 8601 UTC, when the visit began
    response_record_id: str | None = None  # WARC-Record-ID of the final response (or revisit)
    response_warc_date: str | None = None
    screenshot_png: bytes | None = field(default=None, repr=False)
    rendered_html: str | None = field(default=None, repr=False)
    metadata: dict = field(default_factory=dict, repr=False)  # browser, timings, redirects, outlinks
    error: str | None = None  # what went wrong, when it did (timeout, reset, loop, ...)
    # Which crawl, which try, and what the visit led to (for resume and change detection):
    crawl_id: str | None = None
    attempt: int = 1
    role: str | None = None  # page, list, article, known
    scope: list | None = field(default=None, repr=False)  # Scope.areas its follow-ups were queued in
    followups: list | None = field(default=None, repr=False)  # [[url, depth, role], ...]
    # Filled by RenderedRecordsPipeline once written:
    screenshot_record_id: str | None = None
    dom_record_id: str | None = None
    metadata_record_id: str | None = None
