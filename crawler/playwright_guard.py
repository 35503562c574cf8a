"""scrapy-playwright's download handler, with the rendering browser locked to the crawl's policy.

Before Chromium starts, a `BrowserProxy` (crawler/browser_proxy.py) is started in this process and
Chromium is launched so that it cannot reach anything except through it:

- `--proxy-server=http://127.0.0.1:PORT` with `--proxy-bypass-list=<-loopback>`: every HTTP(S) and
  WebSocket connection, loopback included (Chromium bypasses proxies for loopback by default);
- `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1`: Chromium resolves no name itself (a
  second wall: a direct connection by name has nowhere to go; DNS prefetch sends nothing);
- WebRTC limited to proxied connections (`disable_non_proxied_udp`: no UDP, no STUN/TURN);
- no background networking, prefetch, pings, component updates;
- every browser context blocks service workers and refuses downloads.

The request-abort predicate (PLAYWRIGHT_ABORT_REQUEST) only saves bandwidth (images, fonts): it
never sees navigation redirects, WebSockets or workers' requests, so it is not where policy lives.
"""
from __future__ import annotations

import asyncio
from typing import Any, Optional

from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.browser_proxy import BrowserProxy
from crawler.runtime import context_for

# forced on every browser context, whatever PLAYWRIGHT_CONTEXTS or a request's meta says
CONTEXT_OPTIONS = {"service_workers": "block", "accept_downloads": False}


def chromium_args(proxy_url: str) -> list[str]:
    return [
        f"--proxy-server={proxy_url}",
        "--proxy-bypass-list=<-loopback>",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--enforce-webrtc-ip-permission-check",
        "--dns-prefetch-disable",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-domain-reliability",
        "--disable-sync",
        "--no-pings",
        "--disable-features=NetworkPrediction,NoStatePrefetch,Prerender2,SpeculationRulesPrefetchProxy,"
        "PrefetchPrivacyChanges,InterestFeedContentSuggestions,MediaRouter,OptimizationHints",
    ]


def guarded_launch_options(options: dict[str, Any], proxy_url: str) -> dict[str, Any]:
    """The launch options with our network switches last (Chromium takes the last of a repeated
    switch), and Playwright's own `proxy` option dropped: it would add its own bypass list."""
    opts = {k: v for k, v in options.items() if k != "proxy"}
    own = chromium_args(proxy_url)
    names = {a.split("=", 1)[0] for a in own}
    opts["args"] = [a for a in opts.get("args") or [] if a.split("=", 1)[0] not in names] + own
    return opts


class GuardedPlaywrightHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler: Any) -> None:
        super().__init__(crawler)
        self._crawler = crawler
        self.proxy: Optional[BrowserProxy] = None

    async def _launch(self) -> None:
        # Scrapy makes one handler per scheme (http, https): they share one proxy, so its refusals
        # are all in one place for the spider to record
        ctx = context_for(self._crawler)
        starting = getattr(ctx, "browser_proxy_started", None)
        if starting is None:
            ctx.browser_proxy = BrowserProxy(ctx.policy.for_browser())
            starting = ctx.browser_proxy_started = asyncio.ensure_future(ctx.browser_proxy.start())
        self.proxy = await asyncio.shield(starting)
        self.config.launch_options = guarded_launch_options(self.config.launch_options, self.proxy.url)
        await super()._launch()

    async def _create_browser_context(self, name: str, context_kwargs: Optional[dict], *args: Any,
                                      **kwargs: Any) -> Any:
        return await super()._create_browser_context(name, {**(context_kwargs or {}), **CONTEXT_OPTIONS},
                                                     *args, **kwargs)

    async def _close(self) -> None:
        try:
            await super()._close()
        finally:
            if self.proxy is not None:
                await self.proxy.close()

