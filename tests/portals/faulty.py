"""A fault-injecting imitation portal, and a launcher that runs `nianbao crawl` behind a network guard.

The portal (`faulty_site()`) is a real HTTP server on 127.0.0.1 (crawler.sample_portal.server)
that logs every request (method, path, Host header) and answers its report column with every
fault a real portal has: 503 + Retry-After, 429, connection resets mid-body, connections closed
without an answer, a page that never answers in time, a body shorter than its Content-Length,
charset declarations that lie (both ways), a redirect loop, 50 MB pages streamed chunk by chunk
(never held in memory), a calendar that links to new dates without end, a malformed table, an
encrypted PDF, an image-only PDF and a zip bomb named .docx.

Run as a script, this file is the launcher (`python tests/portals/faulty.py crawl URL …`): it runs
`nianbao` in this process after two patches of the socket module, for tests only:
- NIANBAO_TEST_HOSTS="name=1.2.3.4,…" makes those names resolve to those addresses (a test DNS,
  for DNS-rebinding cases) without any real lookup;
- every outgoing TCP/UDP connect to an address outside 127.0.0.0/8 is *refused before it is
  made* and written to NIANBAO_TEST_CONNECT_LOG, so a test proves that nothing else was even
  attempted (and nothing is ever sent to 169.254.169.254 even if the crawler were wrong).
"""
from __future__ import annotations

import datetime as dt
import html
import ipaddress
import os
import socket
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent), str(HERE.parent)]

from crawler.sample_portal.server import Portal, PortalServer  # noqa: E402

BIG = 50 * 1024 * 1024  # the 50 MB pages


# --- the launcher's network guard ------------------------------------------------------------

def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def install_network_guard() -> None:
    hosts = dict(kv.split("=", 1) for kv in os.environ.get("NIANBAO_TEST_HOSTS", "").split(",") if "=" in kv)
    log_path = os.environ.get("NIANBAO_TEST_CONNECT_LOG")
    real_gethostbyname, real_getaddrinfo = socket.gethostbyname, socket.getaddrinfo

    def gethostbyname(name: str) -> str:
        if name.lower() in hosts:
            return hosts[name.lower()]
        return real_gethostbyname(name)

    def getaddrinfo(host, port, *args, **kwargs):  # noqa: ANN001
        if isinstance(host, str) and host.lower() in hosts:
            host = hosts[host.lower()]
        return real_getaddrinfo(host, port, *args, **kwargs)

    socket.gethostbyname, socket.getaddrinfo = gethostbyname, getaddrinfo
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refused(sock: socket.socket, address) -> bool:  # noqa: ANN001
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return False  # unix sockets: multiprocessing's forkserver
        host = address[0] if isinstance(address, tuple) else str(address)
        if _loopback(host):
            return False
        if log_path:
            with open(log_path, "a") as f:
                f.write(f"{host} {address[1] if isinstance(address, tuple) else ''}\n")
        return True

    def connect(self, address):  # noqa: ANN001
        if refused(self, address):
            raise ConnectionRefusedError(f"test network guard: {address} is not loopback")
        return real_connect(self, address)

    def connect_ex(self, address):  # noqa: ANN001
        if refused(self, address):
            return 111  # ECONNREFUSED
        return real_connect_ex(self, address)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex


def launcher_cmd(*args: str) -> list[str]:
    """The command line that runs `nianbao ARGS` behind the network guard."""
    return [sys.executable, str(Path(__file__).resolve()), *args]


# --- the portal -------------------------------------------------------------------------------

@dataclass
class FaultySite:
    portal: Portal
    reports: dict[str, str]  # path → a phrase its archived report must contain
    errors: dict[str, str]  # path (as linked) → a phrase of the reason the archive must record
    never: set[str] = field(default_factory=set)
    hosts: list[tuple[str, str, str]] = field(default_factory=list)  # (method, Host header, path)
    big_bytes_sent: dict[str, int] = field(default_factory=dict)

    def requested(self) -> list[str]:
        return self.portal.requested()


def _send_head(h, status: int, headers: dict[str, str]) -> None:  # noqa: ANN001
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.end_headers()


def _reset(h) -> None:  # noqa: ANN001
    """Close with RST (SO_LINGER 0): a connection reset, not a clean end."""
    try:
        h.wfile.flush()
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.connection.close()
    except OSError:
        pass
    h.close_connection = True


def malformed_table_page(page: bytes) -> bytes:
    """The report page with its table 3 mangled the way broken CMS editors leave them: unclosed
    cells and rows, a non-numeric rowspan, an absurd colspan, units and prose in number cells."""
    t = page.decode("utf-8")
    i = t.find("一、本年新收政府信息公开申请数量")
    head, tail = t[:i], t[i:]
    tail = tail.replace("<td><p>8</p></td>", "<td><p>8件(含电话咨询若干)", 1)  # unclosed, with prose
    tail = tail.replace('<td rowspan="22">', '<td rowspan="二十二">', 1)
    tail = tail.replace("</tr>", "", 3)  # rows left open
    tail = tail.replace("<td><p>1</p></td>", '<td colspan="99999"><p>1</p></td>', 1)
    head = head.replace('<td colspan="7"', '<td colspan="abc"', 1)
    return (head + tail).encode("utf-8")


def faulty_site() -> FaultySite:
    import make_documents as md  # tests/make_documents.py: reportlab/pikepdf/zipfile documents
    from portals import sites

    p = Portal()
    col = "/gknb/"
    p.set("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    p.set("/", sites.shell("故障区人民政府", '<a href="/gknb/">政府信息公开年报</a> '
                           '<a href="/bmnb/rili?date=2023-01-01">部门年报</a>'))

    gbk_report = sites.XINQIAN_GBK  # GBK bytes, <meta charset=gbk>: will claim utf-8
    reports = {  # path: (title on the listing, body, phrase the report must contain)
        col + "ok.html": ("故障区2021年政府信息公开工作年度报告", sites.XIGANG, "大连市西岗区"),
        col + "busy503.html": ("故障区2020年政府信息公开工作年度报告", sites.FUXIN, "阜新"),
        col + "slow429.html": ("故障区2019年政府信息公开工作年度报告", sites.XIGANG.replace(b"2021", b"2019"), "西岗区"),
        col + "reset_once.html": ("故障区2018年政府信息公开工作年度报告", sites.FUXIN.replace(b"2021", b"2018"), "阜新"),
        # the declaration lies: says gb2312, the bytes are UTF-8
        col + "lying_gb2312.html": ("故障区2017年政府信息公开工作年度报告",
                                    sites.XIGANG.replace(b"charset=utf-8", b"charset=gb2312").replace(b"2021", b"2017"),
                                    "认真贯彻落实"),
        # and the reverse: says utf-8, the bytes are GBK
        col + "lying_utf8.html": ("故障区2016年政府信息公开工作年度报告",
                                  gbk_report.replace(b"charset=gbk", b"charset=utf-8").replace(b"charset=GBK", b"charset=utf-8"),
                                  "新前街道"),
        col + "bad_table.html": ("故障区2015年政府信息公开工作年度报告", malformed_table_page(sites.XIGANG), "西岗区"),
    }
    for path, (_, body, _) in reports.items():
        p.set(path, body, "text/html")  # no charset in the header: the page's own declaration counts
    assert b"charset=utf-8" in reports[col + "lying_utf8.html"][1].lower()

    pdf = md.make_report_pdf()
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        bomb = md.make_zip_bomb(Path(d) / "bomb.docx", mib=200)
    docs = {
        col + "P_encrypted.pdf": ("故障区2014年政府信息公开工作年度报告.pdf", md.make_encrypted_pdf(pdf), "encrypted PDF"),
        col + "P_scanned.pdf": ("故障区2013年政府信息公开工作年度报告.pdf", md.make_image_only_pdf(), "needs OCR"),
        col + "P_bomb.docx": ("故障区2012年政府信息公开工作年度报告.docx", bomb, "zip bomb"),
    }
    for path, (_, body, _) in docs.items():
        p.set(path, body)

    faults = {  # path: (title, reason phrase recorded in the archive)
        col + "always429.html": ("故障区2011年政府信息公开工作年度报告", "HTTP 429 after 2 retries"),
        col + "later503.html": ("故障区2010年政府信息公开工作年度报告", "Retry-After beyond the limit"),
        col + "reset.html": ("故障区2009年政府信息公开工作年度报告", "connection was lost mid-body) (after 2 retries)"),
        col + "hangup.html": ("故障区2008年政府信息公开工作年度报告", "ConnectionLost: Connection to the other side was lost"),
        col + "timeout.html": ("故障区2007年政府信息公开工作年度报告", "took longer than 1.5 seconds. (after 2 retries)"),
        col + "truncated.html": ("故障区2006年政府信息公开工作年度报告", "body shorter than its Content-Length"),
        col + "loop.html": ("故障区2005年政府信息公开工作年度报告", "max redirections"),
        col + "huge_chunked.html": ("故障区2004年政府信息公开工作年度报告", "refused: HTML page exceeds"),
        col + "huge_length.html": ("故障区2003年政府信息公开工作年度报告", "refused: HTML page announces 50 MB"),
        col + "gone.html": ("故障区2002年政府信息公开工作年度报告", "HTTP 404"),
    }
    items = ([(t, u) for u, (t, _, _) in reports.items()] + [(t, u) for u, (t, _, _) in docs.items()]
             + [(t, u) for u, (t, _) in faults.items()])
    # the column listing lies about its charset too (says gb2312, is UTF-8)
    p.set(col, sites.shell("政府信息公开年报", sites.li(items), charset="gb2312").encode("utf-8"), "text/html")

    site = FaultySite(p, {u: phrase for u, (_, _, phrase) in reports.items()},
                      {**{u: why for u, (_, why) in faults.items()},
                       **{u: why for u, (_, _, why) in docs.items()}})
    state: dict[str, int] = {}

    def once(key: str) -> int:
        state[key] = state.get(key, 0) + 1
        return state[key]

    def stream_big(h, path: str, with_length: bool) -> None:  # noqa: ANN001
        headers = {"Content-Type": "text/html; charset=utf-8"}
        headers["Content-Length" if with_length else "Transfer-Encoding"] = str(BIG) if with_length else "chunked"
        _send_head(h, 200, headers)
        chunk = ("<p>" + "故障区政府信息公开工作年度报告正文" * 100 + "</p>\n").encode()[:64 * 1024]
        sent = 0
        try:
            while sent < BIG:
                part = chunk[: min(len(chunk), BIG - sent)]
                if with_length:
                    h.wfile.write(part)
                else:
                    h.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                sent += len(part)
            if not with_length:
                h.wfile.write(b"0\r\n\r\n")
        except OSError:  # the crawler hung up: what it should do
            pass
        site.big_bytes_sent[path] = sent
        h.close_connection = True

    def hook(h, path: str) -> bool:  # noqa: ANN001
        site.hosts.append((h.command, h.headers.get("Host", ""), path))
        if path == col + "busy503.html" and once(path) == 1:
            h.send_plain(503, b"busy", {"Retry-After": "1"})
            return True
        if path == col + "slow429.html" and once(path) <= 2:
            h.send_plain(429, b"too many requests")  # no Retry-After: backoff
            return True
        if path == col + "always429.html":
            h.send_plain(429, b"too many requests", {"Retry-After": "0"})
            return True
        if path == col + "later503.html":
            h.send_plain(503, b"maintenance", {"Retry-After": "3600"})
            return True
        if path == col + "reset.html" or (path == col + "reset_once.html" and once(path) == 1):
            body = sites.FUXIN
            _send_head(h, 200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))})
            h.wfile.write(body[: len(body) // 2])
            _reset(h)
            return True
        if path == col + "hangup.html":  # read the request, then close without a byte
            _reset(h)
            return True
        if path == col + "timeout.html":
            time.sleep(6)
            try:
                h.send_plain(200, sites.XIGANG)
            except OSError:
                pass
            return True
        if path == col + "truncated.html":
            body = sites.FUXIN
            _send_head(h, 200, {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))})
            h.wfile.write(body[: len(body) // 3])
            h.close_connection = True
            return True
        if path in (col + "loop.html", col + "loop2.html"):
            h.send_plain(302, b"", {"Location": col + ("loop2.html" if path.endswith("loop.html") else "loop.html")})
            return True
        if path in (col + "huge_chunked.html", col + "huge_length.html"):
            stream_big(h, path, with_length=path.endswith("length.html"))
            return True
        if path.startswith("/bmnb/rili"):  # the calendar trap: every date links to the next ones
            day = dt.date.fromisoformat(path.split("date=", 1)[1][:10]) if "date=" in path else dt.date(2023, 1, 1)
            nxt = [day + dt.timedelta(days=k) for k in range(1, 8)]
            body = sites.shell(f"部门年报 {day}", "<p>本日无信息</p>" + " ".join(
                f'<a href="/bmnb/rili?date={d}">{d.day}</a>' for d in nxt)
                + f' <a href="/bmnb/rili?date={nxt[0]}">下一页</a>')
            h.send_plain(200, body.encode())
            return True
        return False

    p.hook = hook
    return site


def security_site(other_url: str) -> FaultySite:
    """A portal whose pages and redirects point at what must never be fetched: the cloud metadata
    address 169.254.169.254 (also as ::ffff:… and as the integer 2852039166), 10/8, file://,
    ftp://, javascript:, and another (real, logging) server on 127.0.0.1 at `other_url`."""
    from portals import sites

    p = Portal()
    col = "/gknb/"
    p.set("/robots.txt", "User-agent: *\nAllow: /\n", "text/plain")
    bad_links = [
        ("2021年政府信息公开工作年度报告(元数据)", "http://169.254.169.254/latest/meta-data/iam/"),
        ("2020年政府信息公开工作年度报告(映射)", "http://[::ffff:169.254.169.254]/latest/"),
        ("2019年政府信息公开工作年度报告(整数)", "http://2852039166/latest/"),
        ("政府信息公开年报", "http://10.0.0.1/gknb/"),
        ("2018年政府信息公开工作年度报告(内网)", "http://10.1.2.3/gknb/2018.html"),
        ("2017年政府信息公开工作年度报告(本地)", "file:///etc/passwd"),
        ("2016年政府信息公开工作年度报告.pdf", "ftp://127.0.0.1/pub/2016.pdf"),
        ("2015年政府信息公开工作年度报告(脚本)", "javascript:fetch('http://169.254.169.254/')"),
        ("2014年政府信息公开工作年度报告(他站)", other_url + "gknb/t1.html"),
    ]
    p.set("/", sites.shell("安全区人民政府", '<a href="/gknb/">政府信息公开年报</a>' + sites.li(bad_links)))
    reports = {col + "ok.html": ("安全区2021年政府信息公开工作年度报告", sites.XIGANG, "大连市西岗区")}
    p.set(col + "ok.html", sites.XIGANG)
    redirects = {  # report links that redirect (or meta-refresh) where they must not go
        col + "to_metadata.html": "http://169.254.169.254/latest/meta-data/",
        col + "to_private.html": "http://10.0.0.1/x.html",
        col + "to_other_host.html": other_url + "gknb/t1.html",
        col + "to_file.html": "file:///etc/passwd",
    }
    refresh = col + "refresh_private.html"
    p.set(refresh, '<html><head><meta http-equiv="refresh" content="0;url=http://169.254.169.254/latest/">'
                   "</head><body>跳转中</body></html>")
    items = [(t, u) for u, (t, _, _) in reports.items()] + [
        (f"安全区{2010 + i}年政府信息公开工作年度报告", u) for i, u in enumerate([*redirects, refresh])]
    p.set(col, sites.shell("政府信息公开年报", sites.li(items)))
    site = FaultySite(p, {u: ph for u, (_, _, ph) in reports.items()},
                      {u: "redirected to a refused address" for u in [*redirects, refresh]})

    def hook(h, path: str) -> bool:  # noqa: ANN001
        site.hosts.append((h.command, h.headers.get("Host", ""), path))
        if path in redirects:
            h.send_plain(302, b"", {"Location": redirects[path]})
            return True
        return False

    p.hook = hook
    return site


def serve(site: FaultySite) -> PortalServer:
    return PortalServer(site.portal).start()


if __name__ == "__main__":
    install_network_guard()
    from nianbao.cli import main

    sys.argv[0] = "nianbao"
    raise SystemExit(main())
