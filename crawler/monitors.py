"""Spidermon monitors of a crawl: did it capture, did it break, did the sites change unusually?

They run when the engine has stopped (``SPIDERMON_ENGINE_STOP_MONITORS``):
by then the recording proxy has closed its files and exited (its exit code is
a stat) and ``pipelines.changes.ChangesOnClose`` has counted the pages' statuses
(``changes/*`` stats). Each monitor reads stats only. ``RecordVerdict`` puts
the verdict where the nightly run report and the exit code find it:
``monitors/verdict`` (PASS or FAIL), ``monitors/failures`` (monitor and
reason of each failure) and ``monitors/passed``.

Thresholds are settings (README, Configuration): MONITOR_MAX_ERROR_RATE,
MONITOR_MIN_DELETIONS, MONITOR_MAX_DELETIONS, MONITOR_MAX_DELETION_SHARE, MONITOR_MAX_BROWSER_RESTARTS.
"""

from __future__ import annotations

import logging

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.extensions import Spidermon
from spidermon.contrib.scrapy.monitors import FinishReasonMonitor
from spidermon.contrib.scrapy.runners import SpiderMonitorResult, SpiderMonitorRunner
from spidermon.core.actions import Action

logger = logging.getLogger(__name__)


def _setting(monitor: Monitor, name: str, default: float) -> float:
    return monitor.data.crawler.settings.getfloat(name, default)


class CrawlMonitor(Monitor):
    """A monitor of a crawl that ran: an unreadable seed file has already been reported, in one line."""

    def setUp(self):
        if self.data.stats.get("archive/seed_error"):
            self.skipTest("nothing was crawled: the seed file could not be used")


@monitors.name("Capture")
class CaptureMonitor(CrawlMonitor):
    @monitors.name("pages were captured")
    def test_pages_captured(self):
        pages = self.data.stats.get("changes/pages", 0)
        captured = self.data.stats.get("changes/captured", 0)
        self.assertGreater(captured, 0, msg=f"no pages captured ({pages} pages visited, none recorded a response)")


@monitors.name("Errors")
class ErrorRateMonitor(CrawlMonitor):
    @monitors.name("error rate below MONITOR_MAX_ERROR_RATE")
    def test_error_rate(self):
        pages = self.data.stats.get("changes/pages", 0)
        errors = self.data.stats.get("changes/errors", 0)
        limit = _setting(self, "MONITOR_MAX_ERROR_RATE", 0.25)
        rate = errors / pages if pages else 0.0
        self.assertLessEqual(rate, limit, msg=f"{errors} of {pages} pages failed without an answer "
                                               f"({rate:.0%}, over MONITOR_MAX_ERROR_RATE {limit:.0%})")


@monitors.name("Deletions")
class DeletionsMonitor(CrawlMonitor):
    """Many posts gone at once is more often a block, a changed notice page or a broken site than a purge."""

    @monitors.name("no unusual number of deletions")
    def test_deletions(self):
        pages = self.data.stats.get("changes/pages", 0)
        newly = self.data.stats.get("changes/newly_deleted", 0)
        fewest = _setting(self, "MONITOR_MIN_DELETIONS", 3)
        most = _setting(self, "MONITOR_MAX_DELETIONS", 10)
        share_limit = _setting(self, "MONITOR_MAX_DELETION_SHARE", 0.25)
        share = newly / pages if pages else 0.0
        # On a short seed list a post or two gone is news, not a fault: the share counts from `fewest` on.
        self.assertFalse(newly >= fewest and (newly > most or share > share_limit),
                         msg=f"unusual number of deletions: {newly} of {pages} pages newly deleted ({share:.0%}; "
                             f"limits MONITOR_MAX_DELETIONS {most:g}, MONITOR_MAX_DELETION_SHARE {share_limit:.0%})")


@monitors.name("Recording proxy")
class RecordingMonitor(CrawlMonitor):
    @monitors.name("the recording proxy ran and stopped cleanly")
    def test_proxy(self):
        failed = self.data.stats.get("capture/proxy_failed")  # its exit code, when it died mid-crawl
        why = self.data.stats.get("capture/stop_message") or "see ARCHIVE_DIR/logs/warcprox.log"
        self.assertFalse(failed, msg=f"recording proxy failed during the crawl (exit code {failed}): {why}")
        code = self.data.stats.get("capture/proxy_exit_code")
        self.assertIn(code, (None, 0), msg=f"recording proxy exited with code {code} (see ARCHIVE_DIR/logs/warcprox.log)")


@monitors.name("Browser")
class BrowserMonitor(CrawlMonitor):
    @monitors.name("the browser started and did not crash")
    def test_browser(self):
        settings = self.data.crawler.settings
        if not settings.getbool("BROWSER_ENABLED", True):
            return
        launched = self.data.stats.get("playwright/browser_count", 0)
        visited = self.data.stats.get("changes/pages", 0)
        self.assertFalse(visited and not launched, msg="the browser never started")
        restarts = max(0, launched - 1)
        most = _setting(self, "MONITOR_MAX_BROWSER_RESTARTS", 0)
        self.assertLessEqual(restarts, most, msg=f"the browser crashed and was restarted {restarts} time(s) "
                                                  f"(MONITOR_MAX_BROWSER_RESTARTS {most:g})")


@monitors.name("Finish reason")
class FinishMonitor(CrawlMonitor, FinishReasonMonitor):
    """Spidermon's own check of the close reason (SPIDERMON_EXPECTED_FINISH_REASONS)."""


class RecordVerdict(Action):
    """Put the monitors' verdict in the crawl's stats and one line in its log."""

    def run_action(self):
        failures = [{"monitor": r.monitor.name, "reason": _reason(r.reason)} for r in self.result.monitors_failed_results]
        passed = [r.monitor.name for r in self.result.monitors_passed_results if r.status != "SKIPPED"]
        stats = self.data.crawler.stats
        ran = failures or passed
        stats.set_value("monitors/verdict", "FAIL" if failures else "PASS" if ran else "SKIPPED")
        stats.set_value("monitors/failures", failures)
        stats.set_value("monitors/passed", passed)
        if failures:
            logger.error("monitors: FAIL: %s", "; ".join(f["reason"] for f in failures))
        elif passed:
            logger.info("monitors: PASS (%d checks)", len(passed))


def _reason(text) -> str:
    """The assertion's own message, without unittest's "x is not less than y : " prefix."""
    text = str(text or "").strip().splitlines()[-1] if text else ""
    return text.split(" : ", 1)[1] if " : " in text else text


class CrawlMonitors(MonitorSuite):
    monitors = [CaptureMonitor, ErrorRateMonitor, DeletionsMonitor, RecordingMonitor, BrowserMonitor, FinishMonitor]
    monitors_finished_actions = [RecordVerdict]


# -- Spidermon, reporting in one line per failure ---------------------------------

class OneLineResult(SpiderMonitorResult):
    """Spidermon's report in the crawl log, with a failed monitor as one line, not a unittest traceback."""

    def write_errors(self):
        for status in self.step.error_statuses:
            for item in self.step.items_for_status(status):
                self.log_error(f"{item.status}: {item.item.name}: {_reason(item.error)}")

    def log(self, msg, level=logging.DEBUG):
        # Spider.log() is deprecated in Scrapy 2.19; the spider's logger is the same log.
        self.spider.logger.log(level, "[Spidermon] %s", msg)


class OneLineRunner(SpiderMonitorRunner):
    def create_result(self):
        return OneLineResult(self.spider)


class Monitoring(Spidermon):
    """Spidermon's extension (SPIDERMON_* settings), its report written by OneLineResult."""

    def _run_suites(self, spider, suites):
        data = self._generate_data_for_spider(spider)
        for suite in suites:
            OneLineRunner(spider=spider).run(suite, **data)
