"""The Scrapy project: spider `reports`, middlewares, item pipelines, the sample portal."""
import sys

# sqlite-utils imports pandas (and numpy) whenever they are installed (cpca brings them), only
# to recognise their types on insert. The crawl never inserts them, and pandas costs every crawl
# process ~50 MB of the 300 MB budget, so the crawl processes go without it.
sys.modules.setdefault("pandas", None)
