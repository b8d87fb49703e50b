"""Misbehaving endpoints under /fault/: what a crawler must survive.

slow (sleeps ?delay= seconds, default 3, capped at 120), reset (TCP RST, no
response), 500, 404, loop (/fault/loop <-> /fault/loop2), big (~5 MB HTML,
generated while sending; ?size= bytes, ?cl=1 to announce a Content-Length),
binary (deterministic random bytes labelled text/html).
"""

import hashlib

from .server import Response, redirect

SMALL_PAGE = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
              '<body><h1>{title}</h1><p>{text}</p></body></html>')

BIG_DEFAULT = 5 * 1024 * 1024
BINARY_SIZE = 64 * 1024


def _page(title, text, status=200):
    return Response(status=status, body=SMALL_PAGE.format(title=title, text=text).encode("utf-8"))


def slow(req, m):
    try:
        delay = float(req.query.get("delay", 3))
    except ValueError:
        delay = 3.0
    resp = _page("慢速页面", f"This page waited {delay:g} seconds before answering.")
    resp.delay = max(0.0, min(delay, 120.0))
    return resp


def reset(req, m):
    return Response(reset=True)


def error_500(req, m):
    return _page("500 Internal Server Error", "服务器内部错误", status=500)


def error_404(req, m):
    return _page("404 Not Found", "您访问的页面不存在", status=404)


def loop(req, m):
    return redirect("/fault/loop2" if m.group(1) == "" else "/fault/loop")


_BIG_HEAD = b'<!DOCTYPE html><html><head><meta charset="utf-8"><title>big</title></head><body>\n'
_BIG_TAIL = b"</body></html>\n"
_ROW = b'<p class="row">%010d \xe5\x85\xac\xe5\xae\x89\xe5\x8a\xa8\xe6\x80\x81 lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n'
_ROW_LEN = len(_ROW % 0)


def _big_body(size):
    """Exactly `size` bytes of HTML, yielded in ~64 KB pieces."""
    body_rows = max(0, (size - len(_BIG_HEAD) - len(_BIG_TAIL)) // _ROW_LEN)
    pad = max(0, size - len(_BIG_HEAD) - len(_BIG_TAIL) - body_rows * _ROW_LEN)
    yield _BIG_HEAD
    batch = []
    for i in range(body_rows):
        batch.append(_ROW % i)
        if len(batch) == 512:
            yield b"".join(batch)
            batch = []
    if batch:
        yield b"".join(batch)
    yield b" " * pad + _BIG_TAIL


def big(req, m):
    try:
        size = int(req.query.get("size", BIG_DEFAULT))
    except ValueError:
        size = BIG_DEFAULT
    size = max(1024, min(size, 200 * 1024 * 1024))
    headers = [("Content-Length", str(size))] if req.query.get("cl") == "1" else []
    resp = Response(body=_big_body(size), headers=headers)
    return resp


def binary_bytes(size=BINARY_SIZE):
    out, i = bytearray(), 0
    while len(out) < size:
        out += hashlib.sha256(b"mocksite-binary-%d" % i).digest()
        i += 1
    return bytes(out[:size])


def binary(req, m):
    return Response(body=binary_bytes(), content_type="text/html")


def add_routes(router):
    router.add(r"/fault/slow", slow)
    router.add(r"/fault/reset", reset)
    router.add(r"/fault/500", error_500)
    router.add(r"/fault/404", error_404)
    router.add(r"/fault/loop(2?)", loop)
    router.add(r"/fault/big", big)
    router.add(r"/fault/binary", binary)


def notable_urls(site):
    u = site.url
    return {
        "fault_slow": u("/fault/slow"),   # default delay: 3 s
        "fault_reset": u("/fault/reset"),
        "fault_500": u("/fault/500"),
        "fault_404": u("/fault/404"),
        "fault_loop": u("/fault/loop"),
        "fault_big": u("/fault/big"),
        "fault_binary": u("/fault/binary"),
    }
