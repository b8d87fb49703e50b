"""Settings of the bioarchive Scrapy project.

Every knob the README documents lives here; override with ``-s NAME=VALUE``
or environment-specific files as Scrapy allows. Values chosen on purpose for
small government servers, not Scrapy's template defaults.
"""

import os

BOT_NAME = "bioarchive"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- The collection -------------------------------------------------------
# Everything a collection has (WARCs, indexes, state, databases) lives here;
# moving the directory moves the collection.
ARCHIVE_DIR = os.environ.get("ARCHIVE_DIR", "warcs")
COLLECTION_NAME = os.environ.get("COLLECTION_NAME", "bioarchive")
WARC_PREFIX = os.environ.get("WARC_PREFIX", "bioarchive")
WARC_ROLLOVER_SIZE = 1_000_000_000  # bytes; a file is closed and a new one opened past this

# Who runs the crawl: named in every warcinfo record and in the User-Agent.
OPERATOR = os.environ.get("ARCHIVE_OPERATOR", "")
CONTACT = os.environ.get("ARCHIVE_CONTACT", "")
# Left empty, the User-Agent is built from BOT_NAME, version and CONTACT.
USER_AGENT = None

# --- Safety ---------------------------------------------------------------
# Loopback, private and link-local targets are refused (Scrapy's requests and
# the browser's, at the proxy). Tests and the demo switch this on.
ALLOW_PRIVATE_TARGETS = False

# --- Recording proxy (warcprox) -------------------------------------------
# Empty: the crawl starts its own warcprox on a free loopback port and stops it
# at the end. "host:port": use that running warcprox instead.
WARCPROX_ADDRESS = ""
WARCPROX_STARTUP_TIMEOUT = 30  # seconds
# Hosts the browser calls on its own (sync, updates); never part of a capture.
WARCPROX_BLOCKED_HOSTS = [
    "google.com",
    "googleapis.com",
    "gstatic.com",
    "gvt1.com",
    "gvt2.com",
    "googleusercontent.com",
    "doubleclick.net",
]
# Seconds the crawl waits for warcprox to index a page's response record.
RECORD_LOOKUP_TIMEOUT = 10
# An unchanged payload (the next night's copy of a page, image or script) is
# stored as a revisit record naming the record that holds it, through warcprox's
# dedup database (ARCHIVE_DIR/state/dedup.sqlite); off: every payload in full.
WARCPROX_DEDUP = True
# The same for screenshots and rendered DOMs, in the same database.
DEDUP_RENDERED = True
# Seconds a crawl waits for a job holding the collection exclusively; 0 fails at once.
COLLECTION_LOCK_TIMEOUT = 0

# --- Scope ----------------------------------------------------------------
# Links are followed within the seed's host and path prefix, up to this many
# hops from the seed; moving through a list's pages does not count as a hop.
SCOPE_DEPTH = 1
MAX_LIST_PAGES = 200
# Articles are captured, not crawled from: their outlinks go into the capture
# metadata record and are followed only when this is on.
FOLLOW_ARTICLE_LINKS = False

# --- Successive crawls (the nightly crawl) -------------------------------
# Running the same seed file again into the same ARCHIVE_DIR is the next night.
# An unfinished crawl of the seed file (stopped, or killed) is resumed instead
# of starting a new one; off: always a new crawl.
CRAWL_RESUME = True
# Visit again every page visited before from these seeds, linked or not any
# more: a post dropped from its list still gets a status (deleted, ...).
REVISIT_KNOWN_PAGES = True
# A page that is temporarily unavailable (captcha, 访问过于频繁, 5xx, timeout)
# is tried this many more times in the crawl, the first after this many
# seconds, each later one after twice as long; later nights try it again.
UNAVAILABLE_RETRY_TIMES = 2
UNAVAILABLE_RETRY_DELAY = 30

# --- Browser --------------------------------------------------------------
BROWSER_ENABLED = True
BROWSER_EXECUTABLE = "/usr/bin/chromium"  # falls back to Playwright's own when missing
BROWSER_VIEWPORT = {"width": 1280, "height": 900}
BROWSER_SCROLL_STEP = 600  # pixels per scroll step
BROWSER_SCROLL_PAUSE_MS = 120  # between steps, so lazy loaders fire
BROWSER_MAX_SCROLLS = 200  # bound for endless pages
BROWSER_IDLE_MS = 800  # network quiet for this long means "loaded"
BROWSER_RENDER_TIMEOUT = 20  # seconds: bound for the whole behaviour run
BROWSER_SCREENSHOT_MAX_HEIGHT = 20000  # pixels; longer pages are clipped (noted in metadata)

# scrapy-playwright's handler, shared by both schemes (one browser per crawl).
DOWNLOAD_HANDLERS = {
    "http": "crawler.capture.download_handler.BrowserDownloadHandler",
    "https": "crawler.capture.download_handler.BrowserDownloadHandler",
}
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30_000  # ms
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True

# --- Politeness -----------------------------------------------------------
ROBOTSTXT_OBEY = True
# robots.txt rules are matched against this product token.
ROBOTSTXT_USER_AGENT = BOT_NAME
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 0.5
DOWNLOAD_DELAY_JITTER = 0.5  # ±50%, so requests do not beat like a clock
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
# 404, 500 and the like are what happened: capture them like any page.
HTTPERROR_ALLOW_ALL = True
RETRY_ENABLED = True
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 10
# Compression is undone by Scrapy only after warcprox has recorded the wire bytes.
COOKIES_ENABLED = True

DOWNLOADER_MIDDLEWARES = {
    # Waits out a retry's backoff delay before anything else (see UNAVAILABLE_RETRY_*).
    "crawler.backoff.BackoffMiddleware": 40,
    "crawler.capture.middleware.PrivateTargetMiddleware": 50,
    "crawler.useragent.HonestUserAgentMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": None,
    "crawler.capture.middleware.RecordingProxyMiddleware": 740,
}

# Order matters: the proxy starts before the browser is pointed at it, and
# is stopped (closing its WARC files) before the collection index is updated.
EXTENSIONS = {
    # Shared for the run: other crawls may add to the collection, a job that
    # needs it alone (repair, bundling) takes it exclusively.
    "crawler.capture.lock.CollectionLock": 50,
    # Torn .open files an interrupted crawl left: repaired (originals kept) before anything is written.
    "crawler.capture.repair.RecoverOnStart": 60,
    # Stops the crawl (disk_full) before ARCHIVE_DIR's disk fills, or when a write finds it full.
    "crawler.capture.diskspace.DiskSpaceGuard": 70,
    # The crawl's id and Scrapy JOBDIR; resumes an unfinished crawl of the same seed file.
    "crawler.jobs.CrawlJob": 55,
    "crawler.capture.proxy.RecordingProxy": 100,
    "crawler.capture.browser_setup.BrowserSetup": 110,
    "crawler.capture.index.IndexOnClose": 900,
    # Custody: after the proxy has closed its files, log each finished WARC (hash, size, records).
    "crawler.custody.CustodyOnClose": 950,
    # Each page's status in this crawl (new, changed, deleted, ...) counted into the stats,
    "pipelines.changes.ChangesOnClose": 960,
    # then read by the monitors (SPIDERMON_ENGINE_STOP_MONITORS).
    "crawler.monitors.Monitoring": 990,
}

# --- Monitors (Spidermon) -------------------------------------------------
# Run when the crawl has stopped; their verdict is in the stats, the log, the
# nightly run report and `scrapy nightly`'s exit code.
SPIDERMON_ENABLED = True
SPIDERMON_ENGINE_STOP_MONITORS = ["crawler.monitors.CrawlMonitors"]
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
# Share of the pages visited whose visit got no answer (timeouts, resets).
MONITOR_MAX_ERROR_RATE = 0.25
# Newly deleted pages in one crawl past which the deletions are "unusual":
# more than this many, or more than this share of the pages visited; fewer
# than MONITOR_MIN_DELETIONS never are (on a short seed list, one or two posts
# gone is news for the report, not a fault).
MONITOR_MIN_DELETIONS = 3
MONITOR_MAX_DELETIONS = 10
MONITOR_MAX_DELETION_SHARE = 0.25
# Browser crashes (restarted by scrapy-playwright) a crawl may have.
MONITOR_MAX_BROWSER_RESTARTS = 0

# --- Disk space (crawler.capture.diskspace) --------------------------------
# The crawl stops cleanly (reason disk_full, every WARC file closed) when
# ARCHIVE_DIR's filesystem has less free than this, in bytes; 0: never (a
# write that finds the disk full still stops it). 512 MB is what the requests
# in flight may need to be written out whole: CONCURRENT_REQUESTS (8) x
# DOWNLOAD_MAXSIZE (64 MB); screenshots, the databases and the index at the
# end take far less.
MIN_FREE_SPACE = 512_000_000
DISK_CHECK_INTERVAL = 5  # seconds between checks

# --- Evidence bundles (scrapy bundle / scrapy keys) ----------------------
# The ECDSA P-256 key that signs bundles; empty: ARCHIVE_DIR/keys/bundle-signing-key.pem.
BUNDLE_SIGNING_KEY = os.environ.get("BUNDLE_SIGNING_KEY", "")
# RFC 3161 timestamp authority URL; empty: bundles carry no timestamp.
BUNDLE_TSA_URL = os.environ.get("BUNDLE_TSA_URL", "")
# PEM file of the authority's CA (trust store) to check each new token with; empty: not checked.
BUNDLE_TSA_CA = os.environ.get("BUNDLE_TSA_CA", "")
BUNDLE_TSA_TIMEOUT = 30  # seconds

ITEM_PIPELINES = {
    "crawler.capture.rendered.RenderedRecordsPipeline": 100,
    # Evidence: after the DOM record is written (100), before the page log (800).
    "pipelines.evidence.EvidencePipeline": 300,
    "pipelines.pages.PageLogPipeline": 800,
}

# --- Evidence (evidence store, scrapy evidence / scrapy reextract) ---------
# Extract each captured article's fields and statements of biometric collection
# into ARCHIVE_DIR/state/evidence.sqlite during the crawl; off: only
# `scrapy reextract` does it, later, from the WARC files.
EVIDENCE_ENABLED = True

# --- Replay (scrapy replay) -------------------------------------------------
# pywb's `wayback` in its own venv (it pins an old redis) and ReplayWeb.page's
# static files from npm, both put in place by `make setup`. Empty: those.
REPLAY_WAYBACK = ""
REPLAY_VIEWER_DIR = ""
REPLAY_STARTUP_TIMEOUT = 30  # seconds to wait for pywb to answer

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
