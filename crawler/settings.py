"""Scrapy settings for nianbao's `reports` spider (`scrapy.cfg` points here).

Every setting can be overridden with `-s NAME=value` (scrapy) or `--set NAME=value` (nianbao).
"""

BOT_NAME = "nianbao"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = "nianbao/0.1 (+archival crawler of 政府信息公开工作年度报告; research use)"

# --- where results go ------------------------------------------------------------------------
ARCHIVE_DB = "archive.db"  # the SQLite archive (archive.store.Archive)
NIANBAO_ARCHIVE_CLASS = "archive.store:Archive"
NIANBAO_PARSER = "parsers:parse_bytes"  # runs in the parse process pool
NIANBAO_PARSE_WORKERS = 0  # 0 = one per core; -1 = in-process thread (debugging)
NIANBAO_JOBDIR = None  # resume journal; default "<ARCHIVE_DB>.crawl/"
NIANBAO_PROGRESS = True  # live progress line on stderr
NIANBAO_PROGRESS_INTERVAL = 1.0
NIANBAO_MAX_LISTING_PAGES = 300  # per listing chain: a calendar-trap guard
NIANBAO_MAX_NAV_DEPTH = 3  # home → 信息公开 → … → report column
NIANBAO_ALLOW_PRIVATE = False  # private/link-local addresses are fetched only when they are start hosts
NIANBAO_RETRY_AFTER_MAX = 60  # seconds; a longer Retry-After gives up and records the error
NIANBAO_RETRY_BACKOFF_BASE = 1.0  # seconds; doubled on each retry when no Retry-After is given
NIANBAO_RETRY_BACKOFF_MAX = 30.0
# Duplicate requests are filtered by the spider itself (a set that survives resume), so Scrapy's
# filter is bypassed (it would hide a redirect loop's second hop). A shared scrapy-redis
# dupefilter (issue 5) needs False here.
NIANBAO_SPIDER_DEDUP = True
# JS-rendered listings: "auto" renders a listing with Chromium only when its static HTML has no
# report or pagination links (or the portal entry says js_listing); "off" never.
NIANBAO_JS = "auto"

# --- politeness --------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4  # per host: one download slot per host
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 64 * 1024 * 1024
DOWNLOAD_WARNSIZE = 16 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True  # a truncated body is an error, never a report
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 5
METAREFRESH_ENABLED = True
METAREFRESH_MAXDELAY = 30
HTTPERROR_ALLOWED_CODES = [304, 404, 410]
# Responses waiting for the parse pool count here: 1 MB (≈ 60 report pages) keeps both workers
# fed; Scrapy's 5 MB default let ~300 pages pile up and cost ~60 MB of RSS for nothing.
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 1_000_000
DEPTH_LIMIT = 16  # backstop; discovery has its own, tighter limits
DEPTH_PRIORITY = 0
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"
FEED_EXPORT_ENCODING = "utf-8"

DOWNLOADER_MIDDLEWARES = {
    # our host guard replaces OffsiteMiddleware: it checks host AND port and the scheme, and runs
    # before robots.txt, so another host is never even asked for its robots.txt
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.middlewares.HostGuardMiddleware": 50,
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawler.middlewares.BackoffRetryMiddleware": 550,
    "crawler.middlewares.ConditionalRequestMiddleware": 560,
}
ITEM_PIPELINES = {
    "crawler.pipelines.ArchivePipeline": 300,
}
EXTENSIONS = {
    "crawler.extensions.ProgressExtension": 500,
}

# --- JS listings (scrapy-playwright, Debian Chromium) -------------------------------------------
# The handler only launches the browser for requests with meta["playwright"]; others go through
# Scrapy's HTTP/1.1 handler unchanged. crawler.cli removes it when NIANBAO_JS=off.
DOWNLOAD_HANDLERS = {
    "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
    "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": "/usr/lib/chromium/chromium",
    "headless": True,
    "args": ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
}
PLAYWRIGHT_MAX_CONTEXTS = 1
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 2
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 30000
PLAYWRIGHT_ABORT_REQUEST = "crawler.middlewares.playwright_abort_request"

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
