"""What our warcprox lets through: the network policy of the recording proxy.

warcprox's request handler, subclassed: targets resolving to private
addresses are refused (403, no record), also after connecting (DNS
rebinding), unless allowed; blocked hosts (Chromium's own background calls)
are refused before any TLS handshake; a client cannot steer recording (the
``Warcprox-Meta`` request header is dropped, ``WARCPROX_WRITE_RECORD`` and
``PUTMETA`` are proxied like any method, ``/status`` inside an https tunnel is
the site's page); and warcprox's own error answers are marked as such.
"""

from __future__ import annotations

import json
import logging
import time

import warcprox
import warcprox.warcproxy

from crawler.capture import netpolicy

log = logging.getLogger("bioarchive.proxy")


class Refused(warcprox.RequestBlockedByRule):
    """Raised after a refusal was answered; warcprox then drops the request."""


class _DropRefusalEcho(logging.Filter):
    # warcprox logs every RequestBlockedByRule at INFO; ours are logged once, by us.
    def filter(self, record):
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(arg, Refused) for arg in args)


RESOLVE_TTL = 30.0  # seconds
_RESOLVED: dict[tuple[str, int], tuple[float, str | None]] = {}  # (host, port) -> (expires, private ip)


class CaptureProxyHandler(warcprox.warcproxy.WarcProxyHandler):
    logger = logging.getLogger("warcprox.warcproxy.CaptureProxyHandler")
    allow_private = False  # set from --allow-private by configure_handler()
    blocked_hosts: tuple[str, ...] = ()

    def parse_request(self):
        ok = super().parse_request()
        if ok and self.headers.get("Warcprox-Meta") is not None:
            del self.headers["Warcprox-Meta"]
            log.info("ignored Warcprox-Meta request header from client (%s %s)", self.command, self.path)
        return ok

    def do_GET(self):
        if self.is_connect:  # a site's own /status page, not warcprox's
            return self.do_COMMAND()
        return super().do_GET()

    # Anyone can send these methods (a page's fetch() included): proxy them.
    def do_WARCPROX_WRITE_RECORD(self, warc_type=None):
        return self.do_COMMAND()

    def do_PUTMETA(self):
        return self.do_COMMAND()

    # warcprox answers 502/504 itself when the server sent nothing usable; mark
    # those answers so the crawl never mistakes them for the server's own.
    def send_error(self, code, message=None, explain=None, **kwargs):
        self._answering_for_proxy = True
        try:
            super().send_error(code, message, explain, **kwargs)
        finally:
            self._answering_for_proxy = False

    def end_headers(self):
        if getattr(self, "_answering_for_proxy", False):
            self.send_header("Warcprox-Meta", json.dumps({"proxy-error": True}, separators=(",", ":")))
        super().end_headers()

    def do_CONNECT(self):
        # Refuse a blocked host's tunnel before the TLS handshake: the browser's
        # own background clients do not accept our CA and would fail noisily.
        self.is_connect = True
        try:
            self._determine_host_port()
        except Exception:  # malformed: warcprox's own handler answers it
            return super().do_CONNECT()
        if self._is_blocked_host(self.hostname):
            log.info("refused blocked host %s", self.path)
            try:
                self._refuse({"refused": "blocked-host"}, "request refused by the recording proxy: blocked host")
            except Refused:
                return
        return super().do_CONNECT()

    def _connect_to_remote_server(self):
        if self._is_blocked_host(self.hostname):
            log.info("refused blocked host %s", self.url)
            self._refuse({"refused": "blocked-host"}, "request refused by the recording proxy: blocked host")
        if not self.allow_private:
            ip = self._private_host(self.hostname, int(self.port))
            if ip:
                self._refuse_private(ip)
        sock = super()._connect_to_remote_server()
        if not self.allow_private:
            # The name may resolve differently for the connection (DNS rebinding).
            peer = sock.getpeername()[0]
            if netpolicy.is_private_address(peer):
                try:
                    sock.close()
                finally:
                    self._refuse_private(peer)
        return sock

    def _private_host(self, host: str, port: int) -> str | None:
        # A page pulls dozens of resources from one host: resolve it once a
        # while, not per request. The peer check after connecting still runs
        # every time, so a name that changes its answer is caught there.
        key, now = (host, port), time.monotonic()
        cached = _RESOLVED.get(key)
        if cached is None or cached[0] < now:
            cached = (now + RESOLVE_TTL, netpolicy.private_host(host, port))
            _RESOLVED[key] = cached
        return cached[1]

    def _is_blocked_host(self, host: str) -> bool:
        host = (host or "").lower().rstrip(".")
        return any(host == s or host.endswith("." + s) for s in self.blocked_hosts)

    def _refuse_private(self, ip: str):
        log.warning("refused private target %s (%s)", self.url, ip)
        self._refuse({"refused": "private-target"}, "request refused by the recording proxy: private target")

    def _refuse(self, meta: dict, text: str):
        body = (text + "\n").encode("utf-8")
        self.send_response(403, "Forbidden")
        self.send_header("Content-Type", "text/plain;charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.send_header("Warcprox-Meta", json.dumps(meta, separators=(",", ":")))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.close_connection = True
        raise Refused(text)


CaptureProxyHandler.logger.addFilter(_DropRefusalEcho())


def configure_handler(allow_private: bool, blocked_hosts) -> type[CaptureProxyHandler]:
    CaptureProxyHandler.allow_private = allow_private
    # warcprox's own loopback check: only ever on together with ours.
    CaptureProxyHandler.allow_localhost = allow_private
    CaptureProxyHandler.blocked_hosts = tuple(
        h.strip().lower().lstrip(".").rstrip(".") for h in blocked_hosts or () if h.strip())
    return CaptureProxyHandler
