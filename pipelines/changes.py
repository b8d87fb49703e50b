"""Change detection: what one crawl found at each page, against the page's last good capture.

For one crawl (a night), every page URL it visited gets one status:

==============  ==============================================================
``new``         alive, and never captured alive before
``unchanged``   alive; same text and facts as its last good capture
``changed``     alive; its text or its extracted facts differ (``details``
                says what: ``DNA 洛隆县: 17194份 → 17500份``)
``deleted``     gone: HTTP 404/410, or a permanent notice (该内容已被发布者删除,
                此内容因违规无法查看 …); ``previous_*`` point to the last good capture
``unavailable`` not reachable for now: captcha, 访问过于频繁, 429, 5xx, timeouts;
                never called deleted; tried again on later nights
==============  ==============================================================

(crawler.outcome decides alive / gone / temporary.) Nothing here is stored:
it is derived from the page log (visits by crawl), the record index (each
visit's response record: its date, digest and place) and the WARC records
themselves (each article read as the evidence pipeline reads it), so it can
be asked again of any crawl, and it never drops anything: the earlier
capture's evidence stays where it is.

Comparison: the same payload digest means unchanged without reading
anything. Otherwise articles compare title, publication time, body text,
photos and the statements of collection read from the text (both captures at
the current extractor version, so an extractor upgrade is not taken for an
edit); other pages compare their visible text (scripts and styles left out).

``deletions()`` is the timeline across every crawl: which pages disappeared,
when, when each was last seen alive and where that capture is.
"""

from __future__ import annotations

import difflib
import logging
import os
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field

from crawler.afterstop import AfterEngineStop
from crawler.capture.records import RecordIndex, RecordRef, index_path
from crawler.outcome import ALIVE, GONE, visit_outcome
from crawler.sources import Page
from crawler.sources.dom import element_text
from pipelines import statements as statement_rules
from pipelines.evidence import ARTICLE_TYPES, EvidenceError, choose_text, read_capture, read_stored_record
from pipelines.pages import PageLog, Visit

logger = logging.getLogger(__name__)

STATUSES = ("new", "unchanged", "changed", "deleted", "unavailable")
# What ``scrapy changes`` prints, in this order.
COLUMNS = ["url", "status", "captured_at", "previous_captured_at", "previous_record_id", "details"]
# ... and with --wide, these too.
WIDE_COLUMNS = COLUMNS + [
    "crawl_id", "title", "record_id", "warc_filename", "warc_offset", "screenshot_record_id",
    "previous_warc_filename", "previous_warc_offset", "previous_screenshot_record_id", "since",
]


@dataclass
class PageChange:
    url: str
    status: str
    captured_at: str | None
    previous_captured_at: str | None = None
    previous_record_id: str | None = None
    details: str = ""
    crawl_id: str | None = None
    title: str | None = None
    record_id: str | None = None  # this capture's response (or revisit) record
    warc_filename: str | None = None
    warc_offset: int | None = None
    screenshot_record_id: str | None = None
    previous_warc_filename: str | None = None
    previous_warc_offset: int | None = None
    previous_screenshot_record_id: str | None = None
    since: str | None = None  # deleted / unavailable: the first capture of this streak
    newly: bool = False  # deleted / unavailable: the page was alive at its previous visit

    def as_row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Fact:
    """One statement of collection, as compared between captures."""

    biometric: str
    measure: str
    unit: str | None
    place_code: str | None
    cumulative: bool
    value_min: float | None
    value_max: float | None
    qualifier: str
    period_start: str | None
    period_end: str | None
    figure: str = field(compare=False)
    place_name: str | None = field(compare=False)

    @property
    def key(self) -> tuple:
        return self.biometric, self.measure, self.unit, self.place_code, self.cumulative

    def label(self) -> str:
        return " ".join(p for p in (_BIOMETRIC_NAMES.get(self.biometric, self.biometric), self.place_name) if p)


_BIOMETRIC_NAMES = {"dna": "DNA", "iris": "iris", "fingerprint": "fingerprint", "face": "face", "voice": "voice"}


@dataclass
class PageContent:
    """What a capture said, for comparison."""

    title: str | None
    published_at: str | None
    text: str
    facts: list[Fact]
    images: tuple[str, ...] = ()  # an article's photos: a swapped photo is an edit too


# -- text ----------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n")


def normalise(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text or "")).strip()


def sentences(text: str) -> list[str]:
    return [s for s in (normalise(p) for p in _SENTENCE_END.split(text or "")) if s]


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _difference(a: str, b: str, context: int = 8) -> tuple[str, str]:
    """The part of two sentences that differs, with a little context on each side."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    lo = max(0, start - context)
    cut = lambda s: ("…" if lo else "") + s[lo:len(s) - max(0, end - context)] + ("…" if end > context else "")  # noqa: E731
    return _clip(cut(a)), _clip(cut(b))


def text_difference(old: str, new: str) -> str | None:
    """A short account of how ``new`` differs from ``old`` (None when the same)."""
    a, b = sentences(old), sentences(new)
    if a == b:
        return None
    counts = Counter()
    first = None
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if tag == "replace":
            counts["changed"] += max(i2 - i1, j2 - j1)
            first = first or "“%s” → “%s”" % _difference(a[i1], b[j1])
        elif tag == "delete":
            counts["removed"] += i2 - i1
            first = first or f"removed “{_clip(a[i1])}”"
        else:
            counts["added"] += j2 - j1
            first = first or f"added “{_clip(b[j1])}”"
    words = ", ".join(f"{n} sentence{'s' if n > 1 else ''} {what}" for what, n in counts.items())
    return f"text: {words} ({first})"


def facts_difference(old: list[Fact], new: list[Fact]) -> list[str]:
    """``DNA 洛隆县: 17194份 → 17500份``, ``added: iris 玉树州 3.2万人``, ``removed: ...``."""
    if Counter(old) == Counter(new):
        return []
    gone, came = list((Counter(old) - Counter(new)).elements()), list((Counter(new) - Counter(old)).elements())
    out = []
    for before in list(gone):
        after = next((f for f in came if f.key == before.key), None)
        if after is not None:
            gone.remove(before)
            came.remove(after)
            out.append(f"{before.label()}: {before.figure} → {after.figure}")
    out += [f"added: {f.label()} {f.figure}" for f in came]
    out += [f"removed: {f.label()} {f.figure}" for f in gone]
    return out


def content_difference(old: PageContent, new: PageContent) -> list[str]:
    parts = []
    if normalise(old.title or "") != normalise(new.title or ""):
        parts.append(f"title: “{_clip(old.title or '')}” → “{_clip(new.title or '')}”")
    if (old.published_at or "") != (new.published_at or ""):
        parts.append(f"published: {old.published_at} → {new.published_at}")
    facts = facts_difference(old.facts, new.facts)
    if facts:
        parts.append("facts: " + "; ".join(facts))
    if old.images != new.images:
        added, removed = set(new.images) - set(old.images), set(old.images) - set(new.images)
        parts.append("images: " + ", ".join(f"{n} {what}" for what, n in
                                            (("added", len(added)), ("removed", len(removed)),
                                             ("reordered", int(not added and not removed))) if n)
                     + (f" (added {_clip(sorted(added)[0], 80)})" if added else ""))
    text = text_difference(old.text, new.text)
    if text:
        parts.append(text)
    return parts


# -- the detector ------------------------------------------------------------------------

class ChangeDetector:
    """Reads a collection's page log, record index and WARC files (read only)."""

    def __init__(self, archive_dir: str):
        self.archive_dir = archive_dir
        self.pages = PageLog(archive_dir)
        self.records = RecordIndex(index_path(archive_dir))
        self._contents: dict[str, PageContent | None] = {}

    def close(self) -> None:
        self.pages.close()
        self.records.close()

    def __enter__(self) -> ChangeDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one crawl -------------------------------------------------------------------

    def crawl_changes(self, crawl_id: str) -> list[PageChange]:
        """One PageChange per page URL the crawl visited, in the order the crawl first visited them."""
        history = self._history()
        out = []
        for url, visits in history.items():
            mine = [v for v in visits if v.crawl_id == crawl_id]
            if not mine:
                continue
            earlier = [v for v in visits if v.visit_id < mine[0].visit_id and v.crawl_id != crawl_id]
            out.append((mine[0].visit_id, self._change(url, mine[-1], len(mine), earlier)))
        return [change for _, change in sorted(out, key=lambda pair: pair[0])]

    def _change(self, url: str, current: Visit, tries: int, earlier: list[Visit]) -> PageChange:
        outcome = visit_outcome(current.status, current.source_type, current.error, current.title)
        ref = self.records.get(current.response_record_id) if current.response_record_id else None
        change = PageChange(
            url=url, status="", captured_at=ref.warc_date if ref else current.visited_at,
            crawl_id=current.crawl_id, title=current.title,
            record_id=ref.record_id if ref else None,
            warc_filename=ref.warc_filename if ref else None, warc_offset=ref.warc_offset if ref else None,
            screenshot_record_id=current.screenshot_record_id,
        )
        last_good = next((v for v in reversed(earlier) if self._outcome(v).kind == ALIVE), None)
        good_ref = self.records.get(last_good.response_record_id) if last_good and last_good.response_record_id else None
        if last_good is not None:
            change.previous_captured_at = good_ref.warc_date if good_ref else last_good.visited_at
            change.previous_record_id = last_good.response_record_id
            change.previous_warc_filename = good_ref.warc_filename if good_ref else None
            change.previous_warc_offset = good_ref.warc_offset if good_ref else None
            change.previous_screenshot_record_id = last_good.screenshot_record_id
        last_seen = (f"last seen alive {change.previous_captured_at} ({change.previous_warc_filename} "
                     f"@ {change.previous_warc_offset})" if last_good else "never captured alive")

        if outcome.kind == ALIVE:
            if last_good is None:
                change.status = "new"
                change.details = "first capture" + (" (earlier visits: " + self._outcome(earlier[-1]).reason + ")"
                                                    if earlier else "")
                return change
            differences = self._compare(last_good, good_ref, current, ref)
            change.status = "changed" if differences else "unchanged"
            change.details = "; ".join(differences) if differences else self._same_how(good_ref, ref)
            if change.status == "changed" and current.title is None:
                change.title = last_good.title
            return change

        # Gone or unavailable: how long, and since when.
        streak = self._streak(earlier, outcome.kind)
        change.since = streak[0].visited_at if streak else change.captured_at
        change.newly = not streak and last_good is not None
        change.title = last_good.title if last_good else None  # the post's, not the notice's
        if outcome.kind == GONE:
            change.status = "deleted"
            change.details = f"{outcome.reason}; {last_seen}"
            if streak:
                change.details += f"; gone since {change.since}"
        else:
            change.status = "unavailable"
            crawls = len({v.crawl_id or v.visit_id for v in streak}) + 1
            change.details = f"{outcome.reason} ({tries} {'try' if tries == 1 else 'tries'}); {last_seen}"
            if streak:
                change.details += f"; unavailable since {change.since} ({crawls} crawls)"
        return change

    def _streak(self, earlier: list[Visit], kind: str) -> list[Visit]:
        """The earlier visits, most recent last, that had this same outcome without a break."""
        streak = []
        for visit in reversed(earlier):
            if self._outcome(visit).kind != kind:
                break
            streak.insert(0, visit)
        return streak

    @staticmethod
    def _outcome(visit: Visit):
        return visit_outcome(visit.status, visit.source_type, visit.error, visit.title)

    @staticmethod
    def _same_how(old: RecordRef | None, new: RecordRef | None) -> str:
        if old and new and old.payload_digest and old.payload_digest == new.payload_digest:
            return "identical payload" + (" (revisit record)" if new.warc_type == "revisit" else "")
        return "same text and facts (the page's bytes differ)"

    def _compare(self, old_visit: Visit, old: RecordRef | None, new_visit: Visit, new: RecordRef | None) -> list[str]:
        if old and new and old.payload_digest and old.payload_digest == new.payload_digest:
            return []
        before, after = self.content(old_visit, old), self.content(new_visit, new)
        if before is None or after is None:
            if before is None and after is None:
                return []
            return ["content: " + ("no readable text before" if before is None else "no readable text now")]
        return content_difference(before, after)

    # -- what a capture said ---------------------------------------------------------

    def content(self, visit: Visit, ref: RecordRef | None) -> PageContent | None:
        if ref is None:
            return None
        if ref.record_id not in self._contents:
            self._contents[ref.record_id] = self._read_content(visit, ref)
        return self._contents[ref.record_id]

    def _read_content(self, visit: Visit, ref: RecordRef) -> PageContent | None:
        if visit.source_type in ARTICLE_TYPES:
            article = self._article(visit, ref)
            if article is not None:
                return article
        return self._document(visit, ref)

    def _article(self, visit: Visit, ref: RecordRef) -> PageContent | None:
        """The article as the evidence pipeline reads it (same records, same choice of text)."""
        original = self.records.original_of(ref) if ref.warc_type == "revisit" else None
        dom = self.records.get(visit.dom_record_id) if visit.dom_record_id else None
        dom_original = self.records.original_of(dom) if dom is not None and dom.warc_type == "revisit" else None
        try:
            own, response, rendered = read_capture(self.archive_dir, ref, original, dom, dom_original)
        except EvidenceError:
            return None
        chosen = choose_text(own.target_uri or visit.url, response, rendered)
        return _article_content(chosen[0]) if chosen is not None else None

    def _document(self, visit: Visit, ref: RecordRef) -> PageContent | None:
        source = self.records.original_of(ref) if ref.warc_type == "revisit" else ref
        if source is None:
            return None
        try:
            record = read_stored_record(self.archive_dir, source.warc_filename, source.warc_offset)
        except EvidenceError:
            return None
        page = Page(url=visit.final_url or visit.url, status=record.http_status or 200,
                    headers=record.http_headers, body=record.payload)
        try:
            text = element_text(page.dom)
        except Exception:  # not HTML (binary, empty): its bytes are all there is
            return None
        return PageContent(title=visit.title, published_at=None, text=text, facts=[])

    # -- every crawl -----------------------------------------------------------------

    def _history(self) -> dict[str, list[Visit]]:
        history: dict[str, list[Visit]] = {}
        for visit in self.pages.visits():
            history.setdefault(visit.url, []).append(visit)
        return history

    def deletions(self) -> list[dict]:
        """Every disappearance of a page that had been captured alive, oldest first.

        One entry per time a page went from alive to gone: when it was found
        gone and why, when it was last seen alive and where that capture is,
        and whether it came back later.
        """
        events = []
        for url, visits in self._history().items():
            last_alive = None
            current = None
            for visit in visits:
                kind = self._outcome(visit).kind
                if kind == ALIVE:
                    if current is not None:
                        current["restored_at"] = visit.visited_at
                        current = None
                    last_alive = visit
                elif kind == GONE and last_alive is not None and current is None:
                    ref = self.records.get(last_alive.response_record_id) if last_alive.response_record_id else None
                    current = {
                        "url": url,
                        "title": last_alive.title,
                        "deleted_at": visit.visited_at,
                        "crawl_id": visit.crawl_id,
                        "reason": self._outcome(visit).reason,
                        "last_seen_alive": ref.warc_date if ref else last_alive.visited_at,
                        "last_crawl_alive": last_alive.crawl_id,
                        "record_id": last_alive.response_record_id,
                        "warc_filename": ref.warc_filename if ref else None,
                        "warc_offset": ref.warc_offset if ref else None,
                        "screenshot_record_id": last_alive.screenshot_record_id,
                        "notice_record_id": visit.response_record_id,
                        "restored_at": None,
                    }
                    events.append(current)
        return sorted(events, key=lambda e: (e["deleted_at"] or "", e["url"]))


def _article_content(article) -> PageContent:
    text = article.body_text or ""
    found = statement_rules.extract_statements(text, published_at=article.published_at,
                                               publisher=article.publisher, title=article.title)
    facts = [Fact(biometric=s.biometric, measure=s.measure, unit=s.unit, place_code=s.place_code,
                  cumulative=bool(s.cumulative), value_min=s.value_min, value_max=s.value_max,
                  qualifier=s.qualifier, period_start=s.period_start, period_end=s.period_end,
                  figure=s.figure, place_name=s.place_name) for s in found]
    return PageContent(title=article.title, published_at=article.published_at, text=text, facts=facts,
                       images=tuple(article.images or ()))


def summary(changes: list[PageChange]) -> dict:
    """{status: count} for every status, zeros included, and the newly deleted."""
    counts = Counter(c.status for c in changes)
    out = {status: counts.get(status, 0) for status in STATUSES}
    out["newly_deleted"] = sum(1 for c in changes if c.status == "deleted" and c.newly)
    return out


class ChangesOnClose(AfterEngineStop):
    """Scrapy extension: count the crawl's statuses into its stats once the engine has stopped.

    After the recording proxy and the custody log (EXTENSIONS order 960),
    before the monitors (Spidermon, 990) that read them. Settings: ARCHIVE_DIR,
    CRAWL_ID (set by crawler.jobs.CrawlJob). Stats: ``changes/pages``,
    ``changes/captured`` (pages with a recorded response), ``changes/errors``
    (pages whose visit got no answer), and ``changes/<status>`` for each status
    plus ``changes/newly_deleted``.
    """

    def engine_stopped(self):
        crawl_id = self.crawler.settings.get("CRAWL_ID")
        stats = self.crawler.stats
        if not crawl_id or not os.path.exists(index_path(self.archive_dir)):
            return
        try:
            with ChangeDetector(self.archive_dir) as detector:
                changes = detector.crawl_changes(crawl_id)
                last = {v.url: v for v in detector.pages.visits(crawl_id=crawl_id)}
        except Exception as e:  # the captures are safe; `scrapy changes` can say it later
            logger.error("changes of crawl %s not counted: %s", crawl_id, e)
            return
        counts = summary(changes)
        stats.set_value("changes/pages", len(changes))
        stats.set_value("changes/captured", sum(1 for c in changes if c.record_id))
        stats.set_value("changes/errors", sum(1 for v in last.values() if v.error))
        for name, count in counts.items():
            stats.set_value(f"changes/{name}", count)
        logger.info(
            "crawl %s: %d pages: %s", crawl_id, len(changes),
            ", ".join(f"{counts[s]} {s}" for s in STATUSES))
