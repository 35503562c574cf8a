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
# Per page, in the parse pool (crawler/parsing.py): an HTML page with more tags than this is not
# parsed (real report pages have < 2,000; lxml + trafilatura time grows faster than the count);
# a parse running longer, or a worker needing more address space, is stopped with the reason
# recorded; workers are replaced every NIANBAO_PARSE_RECYCLE pages. 0 turns a limit off.
NIANBAO_PARSE_MAX_ELEMENTS = 50_000
NIANBAO_PARSE_TIMEOUT = 120  # seconds (a long scanned PDF under OCR needs the most)
NIANBAO_PARSE_MAX_MEMORY_MB = 2048
NIANBAO_PARSE_RECYCLE = 200
NIANBAO_JOBDIR = None  # resume journal; default "<ARCHIVE_DB>.crawl/"
NIANBAO_PROGRESS = True  # live progress line and closing summary on stderr
NIANBAO_PROGRESS_LINE = True  # the live line (`nianbao crawl -q`: the summary only)
NIANBAO_PROGRESS_INTERVAL = 1.0
NIANBAO_MAX_LISTING_PAGES = 300  # per listing chain: a calendar-trap guard
NIANBAO_MAX_TRS_PAGES = 500  # pages a TRS createPageHTML call may declare (beyond: recorded, not fetched)
NIANBAO_MAX_NAV_DEPTH = 3  # home → 信息公开 → … → report column
# Private/loopback/link-local addresses (a start URL's own IP address excepted) are never fetched,
# whether linked literally or reached through a host name that resolves there (DNS rebinding):
# False; True allows all; or a list of networks, e.g. "10.0.0.0/8,127.0.0.1"
NIANBAO_ALLOW_PRIVATE = False
NIANBAO_HTML_MAXSIZE = 16 * 1024 * 1024  # HTML pages beyond this are not downloaded (attachments: DOWNLOAD_MAXSIZE)
NIANBAO_RETRY_AFTER_MAX = 60  # seconds; a longer Retry-After gives up and records the error
NIANBAO_RETRY_BACKOFF_BASE = 1.0  # seconds; doubled on each retry when no Retry-After is given
NIANBAO_RETRY_BACKOFF_MAX = 30.0
# One fetch per page: one fingerprint (Scrapy's, on canonicalize_url, with index.html, default
# ports and http/https folded) in the one-process filter and the shared Redis one (crawler/dupefilter.py)
REQUEST_FINGERPRINTER_CLASS = "crawler.dupefilter.PageFingerprinter"
DUPEFILTER_CLASS = "crawler.dupefilter.PageDupeFilter"
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
# Scrapy starts CONCURRENT_ITEMS asyncio tasks for the output of *every* response (100 by default:
# ~105 tasks per page, a quarter of the crawling process's CPU in a profile); a page yields one
# item and a few notes, and the parse pipeline's own pool bounds parallel parsing anyway
CONCURRENT_ITEMS = 8
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
    "crawler.middlewares.SizeGuardMiddleware": 570,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.middlewares.SafeMetaRefreshMiddleware": 580,
}
# the address check of host names (DNS rebinding): Scrapy's caching resolver + NIANBAO_ALLOW_PRIVATE
TWISTED_DNS_RESOLVER = "crawler.policy.GuardedResolver"
ITEM_PIPELINES = {
    "crawler.pipelines.ParsePipeline": 200,  # report candidates parsed in the process pool
    "crawler.pipelines.ArchivePipeline": 300,  # one SQLite writer (distributed workers: RedisItemPipeline)
}
EXTENSIONS = {
    "crawler.extensions.ProgressExtension": 500,
}

# --- JS listings (scrapy-playwright, Debian Chromium) -------------------------------------------
# The handler only launches the browser for requests with meta["playwright"]; others go through
# Scrapy's HTTP/1.1 handler unchanged. crawler.cli removes it when NIANBAO_JS=off.
# crawler.playwright_guard's handler is scrapy-playwright's, with every connection the browser
# makes sent through a proxy in the crawl process that applies the crawl's address policy
# (crawler/browser_proxy.py), service workers and downloads off in every context.
DOWNLOAD_HANDLERS = {
    "http": "crawler.playwright_guard.GuardedPlaywrightHandler",
    "https": "crawler.playwright_guard.GuardedPlaywrightHandler",
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

# --- distributed mode (issue 5; the crawler/distributed/ package) ---------------------------------
# NIANBAO_ROLE=worker (with REDIS_URL) makes this spider one of N workers sharing a Redis
# frontier and duplicate filter, sending page records to the one archive writer
# (`nianbao crawl --redis URL --workers N`). "single": the usual one-process crawl.
ADDONS = {"crawler.distributed.worker.DistributedAddon": 0}
NIANBAO_ROLE = "single"
REDIS_URL = None  # e.g. redis://127.0.0.1:6379/0
NIANBAO_REDIS_PREFIX = None  # Redis key prefix; default nianbao:<run key of the start URLs>
NIANBAO_WORKER_ID = None  # default <hostname>:<pid>
NIANBAO_REDIS_MAX_ITEMS = 2000  # page records waiting for the writer before workers pause
NIANBAO_WRITER_WAIT = 300  # seconds a worker waits for the writer to announce the crawl
NIANBAO_WORKER_MAX_WAITING = 4  # a worker takes no more from the shared queue while this many wait in its download slots (0: no limit)
NIANBAO_HOST_GAP = None  # seconds between requests to one host across ALL workers; default DOWNLOAD_DELAY
