"""HTTP/1.1 plumbing: a route table, a response type, and the wire writer.

Route handlers return a `Response` describing *how* the bytes must cross the
wire (gzip, chunk framing, a delay, a TCP reset), because the point of the
mock is to reproduce transport details a recording proxy has to keep, not
just page text. Everything else (templates, data) lives in other modules.
"""

import gzip
import http.server
import re
import socket
import socketserver
import ssl
import struct
import threading
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Response:
    status: int = 200
    content_type: str = "text/html; charset=UTF-8"   # None: no header at all
    body: object = b""          # bytes, or an iterable of bytes (streamed chunked)
    headers: list = field(default_factory=list)      # extra (name, value) pairs
    gzip: bool = False          # compress when the client accepts gzip
    chunks: int = 0             # >0: send with chunked framing, about this many chunks
    delay: float = 0.0          # seconds to wait before answering
    reset: bool = False         # answer nothing: TCP RST instead
    reason: str = None          # custom reason phrase


@dataclass
class Request:
    method: str
    path: str
    query: dict                 # name -> first value (blank values kept)
    raw_query: str
    headers: object             # http.client.HTTPMessage
    scheme: str
    site: object                # the MockSite, for building absolute URLs

    @property
    def host(self):
        """Host header as sent (host:port), falling back to the page host."""
        return self.headers.get("Host") or self.site.page_netloc(self.scheme)

    @property
    def origin(self):
        return f"{self.scheme}://{self.host}"


def html(body, status=200, **kw):
    return Response(status=status, body=body.encode("utf-8") if isinstance(body, str) else body, **kw)


def redirect(location, status=302):
    body = f'<html><head><title>{status} Found</title></head><body>Found. <a href="{location}">here</a></body></html>'
    return Response(status=status, body=body.encode(), headers=[("Location", location)])


class Router:
    """Ordered list of (compiled regex on the path, handler(Request, match))."""

    def __init__(self):
        self.routes = []

    def add(self, pattern, handler):
        self.routes.append((re.compile(pattern + r"\Z"), handler))

    def dispatch(self, req):
        for rx, handler in self.routes:
            m = rx.match(req.path)
            if m:
                return handler(req, m)
        return None


def _accepts_gzip(value):
    # RFC 9110: no Accept-Encoding header means any coding is acceptable.
    if value is None:
        return True
    for part in value.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and float(q[2:] or 0) == 0)
    return False


def _split(data, n):
    """Split bytes into n uneven pieces (uneven like a real server's flushes)."""
    if n <= 1 or len(data) < n:
        return [data]
    cuts = sorted({max(1, (len(data) * (2 * i + 1)) // (2 * n + 1)) for i in range(n - 1)})
    pieces, start = [], 0
    for c in cuts + [len(data)]:
        pieces.append(data[start:c])
        start = c
    return [p for p in pieces if p]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"      # what the real hosts mostly say
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.mock.verbose:
            super().log_message(fmt, *args)

    def do_GET(self):
        self._handle(head=False)

    def do_HEAD(self):
        self._handle(head=True)

    def do_POST(self):
        # Pages post beacons (the real WeChat page does); swallow them.
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._write(Response(status=204, content_type=None), head=False)

    def _handle(self, head):
        parts = urllib.parse.urlsplit(self.path)
        query = {k: v[0] for k, v in urllib.parse.parse_qs(parts.query, keep_blank_values=True).items()}
        req = Request(self.command, parts.path, query, parts.query, self.headers,
                      self.server.scheme, self.server.mock)
        resp = self.server.router.dispatch(req)
        if resp is None:
            resp = self.server.mock.not_found(req)
        self._write(resp, head)

    def _reset(self):
        # SO_LINGER with a zero timeout makes close() send RST, not FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()            # drop the makefile() reference so close() is real
        self.connection.close()
        self.close_connection = True

    def _write(self, resp, head):
        if resp.delay:
            time.sleep(resp.delay)
        if resp.reset:
            self._reset()
            return
        body = resp.body
        streamed = not isinstance(body, (bytes, bytearray))
        headers = list(resp.headers)
        if resp.gzip and not streamed and _accepts_gzip(self.headers.get("Accept-Encoding")):
            body = gzip.compress(body, mtime=0)    # mtime=0: same bytes every time
            headers.append(("Content-Encoding", "gzip"))
        if resp.gzip:
            headers.append(("Vary", "Accept-Encoding"))
        has_length = any(n.lower() == "content-length" for n, _ in headers)
        chunked = ((streamed or resp.chunks > 0) and not has_length
                   and self.request_version == "HTTP/1.1")
        self.send_response(resp.status, resp.reason)
        if resp.content_type:
            self.send_header("Content-Type", resp.content_type)
        for name, value in headers:
            self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif has_length:
            pass
        elif not streamed:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.close_connection = True   # HTTP/1.0 stream: delimit by close
            self.send_header("Connection", "close")
        self.end_headers()
        if head or resp.status in (204, 304):
            return
        pieces = body if streamed else _split(body, resp.chunks)
        try:
            for piece in pieces:
                if not piece:
                    continue
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                else:
                    self.wfile.write(piece)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, addr, router, mock, ssl_context=None):
        self.router = router
        self.mock = mock
        self.ssl_context = ssl_context
        self.scheme = "https" if ssl_context else "http"
        super().__init__(addr, Handler)

    def finish_request(self, request, client_address):
        # TLS handshake here, in the connection's own thread, so one stalled
        # client cannot block accept() for everybody.
        if self.ssl_context is not None:
            try:
                request.settimeout(30)
                request = self.ssl_context.wrap_socket(request, server_side=True)
                request.settimeout(None)
            except (ssl.SSLError, OSError):
                return
            try:
                super().finish_request(request, client_address)
            finally:
                # The wrapped socket owns the descriptor now; shutdown_request()
                # only sees the detached original, so close this one here.
                try:
                    request.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                request.close()
            return
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address):
        # Clients hanging up mid-response are normal here (faults, crawlers
        # cancelling big downloads); keep stderr quiet unless verbose.
        if self.mock.verbose:
            super().handle_error(request, client_address)


def serve_in_thread(server):
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                         name=f"mocksite-{server.scheme}", daemon=True)
    t.start()
    return t
