"""The run report of a nightly crawl: what it did and what it found, as JSON and as a few lines of text.

Written by ``scrapy nightly`` into ``ARCHIVE_DIR/reports/``: ``<crawl id>.json``
and ``<crawl id>.txt``, and copies named ``latest.json`` / ``latest.txt``
(replaced atomically, so a reader never sees half a report). The JSON holds
the figures (pages, statuses, errors, bytes written, duration), the monitors'
verdict, any recovery at start (resumed crawl, torn WARC files repaired), the
pages that changed, were deleted or were unavailable with where their
captures are, and the deletions timeline of the whole collection. The text
is the short summary an operator reads in the morning (and the log keeps).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone

from crawler import SOFTWARE, __version__
from crawler.capture.atomic import write_text
from crawler.capture.index import closed_warcs, unfinished_warcs

REPORTS_DIR = "reports"
# How many pages of each kind the text summary names (the JSON has them all).
TEXT_LIMIT = 20


def warc_bytes(archive_dir: str) -> int:
    """Bytes in the collection's WARC files, finished and being written."""
    total = 0
    for name in closed_warcs(archive_dir) + unfinished_warcs(archive_dir):
        try:
            total += os.path.getsize(os.path.join(archive_dir, name))
        except OSError:  # renamed between the listing and the stat
            continue
    return total


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_report(*, archive_dir: str, seeds: str, started: float, finished: float, bytes_before: int,
                 bytes_after: int, stats: dict, close_reason: str | None, refused: str | None,
                 changes: list, deletions: list[dict]) -> dict:
    """The report as a dict; ``changes`` are pipelines.changes.PageChange of this crawl."""
    from pipelines.changes import summary

    statuses = summary(changes)
    monitors = {
        "verdict": stats.get("monitors/verdict", "NOT RUN"),
        "passed": stats.get("monitors/passed", []),
        "failures": stats.get("monitors/failures", []),
    }
    failures = []
    if refused:
        failures.append(f"crawl not started: {refused}")
    elif close_reason != "finished":
        why = stats.get("capture/stop_message") or stats.get("archive/seed_error")
        failures.append(f"crawl ended as {close_reason!r}" + (f": {why}" if why else ""))
    if monitors["verdict"] == "FAIL":
        failures += [f"monitor {f['monitor']}: {f['reason']}" for f in monitors["failures"]]
    elif monitors["verdict"] != "PASS" and not failures:  # the monitors did not run, and nothing says why
        failures.append(f"monitors: {monitors['verdict']}")

    def pages(status: str) -> list[dict]:
        return [c.as_row() for c in changes if c.status == status]

    crawl_id = stats.get("crawl/id")
    return {
        "report": "bioarchive nightly run",
        "software": f"{SOFTWARE} {__version__}",
        "collection": os.path.abspath(archive_dir),
        "crawl_id": crawl_id,
        "seeds": seeds,
        "started_at": iso(started),
        "finished_at": iso(finished),
        "duration_s": round(finished - started, 1),
        "result": "failed" if failures else "ok",
        "failures": failures,
        "close_reason": close_reason,
        "resumed": stats.get("crawl/resumed"),
        "pages": len(changes),
        "statuses": statuses,
        "errors": stats.get("changes/errors", 0),
        "log_errors": stats.get("log_count/ERROR", 0),
        "bytes_written": max(0, bytes_after - bytes_before),
        "collection_warc_bytes": bytes_after,
        "evidence": {"captures": stats.get("evidence/captures", 0), "statements": stats.get("evidence/statements", 0),
                     "errors": stats.get("evidence/errors", 0)},
        "monitors": monitors,
        "recovery": {
            "resumed": stats.get("crawl/resumed"),
            "pages_already_captured": stats.get("archive/resume_captured", 0),
            "stale_jobdir": stats.get("crawl/stale_jobdir"),
            "repaired": stats.get("recovery/repaired", []),
            "failed": stats.get("recovery/failed", []),
        },
        "stop_message": stats.get("capture/stop_message"),
        "new": pages("new"),
        "changed": pages("changed"),
        "deleted": pages("deleted"),
        "unavailable": pages("unavailable"),
        "deletions_timeline": [dict(d, tonight=d.get("crawl_id") == crawl_id) for d in deletions],
    }


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s" if minutes else f"{secs} s"


def summary_text(report: dict, report_path: str | None = None) -> str:
    s = report["statuses"]
    lines = [
        f"bioarchive nightly run {report['started_at']}: {'OK' if report['result'] == 'ok' else 'FAILED'}",
        f"crawl {report['crawl_id'] or '-'} of {report['seeds']} into {report['collection']}: "
        f"{report['close_reason'] or 'not started'} in {_duration(report['duration_s'])}, "
        f"{_size(report['bytes_written'])} written",
        f"pages {report['pages']}: {s['new']} new, {s['changed']} changed, {s['unchanged']} unchanged, "
        f"{s['deleted']} deleted ({s['newly_deleted']} newly), {s['unavailable']} unavailable; "
        f"{report['errors']} errors",
    ]
    monitors = report["monitors"]
    if monitors["verdict"] == "PASS":
        lines.append(f"monitors: PASS ({len(monitors['passed'])} checks)")
    else:
        lines.append(f"monitors: {monitors['verdict']}" + "".join(f"; {f['reason']}" for f in monitors["failures"]))
    for failure in report["failures"]:
        if not failure.startswith("monitor "):
            lines.append(f"FAILED: {failure}")
    recovery = report["recovery"]
    if recovery["resumed"]:
        lines.append(f"resumed a crawl that was {recovery['resumed']} "
                     f"({recovery['pages_already_captured']} pages already captured, not fetched again)")
    for repair in recovery["repaired"]:
        lines.append(f"torn WARC repaired: {repair.get('original')} kept; {repair.get('repaired')} holds "
                     f"{repair.get('records')} complete records ({repair.get('bytes_dropped')} bytes dropped)")
    for failed in recovery["failed"]:
        lines.append(f"torn WARC NOT repaired: {failed.get('file')}: {failed.get('error')}")
    for status in ("changed", "deleted", "unavailable", "new"):
        pages = report[status]
        if not pages:
            continue
        lines.append(f"{status}:")
        for page in pages[:TEXT_LIMIT]:
            title = f" {page['title']}" if page.get("title") else ""
            lines.append(f"  {page['url']}{title} — {page['details']}")
        if len(pages) > TEXT_LIMIT:
            lines.append(f"  … and {len(pages) - TEXT_LIMIT} more (see the JSON report)")
    if report_path:
        lines.append(f"report: {report_path}")
    return "\n".join(lines) + "\n"


def write_report(archive_dir: str, report: dict) -> tuple[str, str]:
    """Write ``<crawl id>.json`` and ``.txt`` (and latest.*); returns the two paths."""
    folder = os.path.join(archive_dir, REPORTS_DIR)
    os.makedirs(folder, exist_ok=True)
    name = report["crawl_id"] or "not-started-" + report["started_at"].replace(":", "")
    json_path, text_path = os.path.join(folder, name + ".json"), os.path.join(folder, name + ".txt")
    data = json.dumps(report, ensure_ascii=False, indent=1, default=str) + "\n"
    text = summary_text(report, json_path)
    for path, content in ((json_path, data), (text_path, text),
                          (os.path.join(folder, "latest.json"), data), (os.path.join(folder, "latest.txt"), text)):
        write_text(path, content)
    return json_path, text_path
