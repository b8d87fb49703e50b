"""The image host (stands in for mmbiz.qpic.cn): tiny encoders and its route.

Images are generated, not stored: a baseline JPEG encoder for flat 8x8 blocks
and a zlib PNG writer are enough to make small, valid, distinct pictures from
an id, byte-for-byte the same on every run. The host applies the real one's
hot-link rule: only requests whose Referer is the article site get the photo;
anything else (no Referer, a foreign one) gets a placeholder image carrying
"此图片来自微信公众平台 未经允许不可引用", still with status 200, which is the
trap: a crawler fetching images on its own archives the placeholder.
"""

import functools
import hashlib
import struct
import urllib.parse
import zlib

from .server import Response

PLACEHOLDER_TEXT = "此图片来自微信公众平台 未经允许不可引用"

# Hosts whose pages may embed the images (besides the mock's own page host).
ALLOWED_REFERER_HOSTS = ("mp.weixin.qq.com",)


# --- PNG ----------------------------------------------------------------------

def _png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, pixel, text=None):
    """RGB PNG; pixel(x, y) -> (r, g, b). `text` goes into an iTXt chunk."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        for x in range(width):
            rows.extend(pixel(x, y))
    out = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if text:
        out += _png_chunk(b"iTXt", b"Description\x00\x00\x00zh\x00\x00" + text.encode("utf-8"))
    out += _png_chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + _png_chunk(b"IEND", b"")
    return out


# --- JPEG (baseline, 3 components, no subsampling, DC-only blocks) -------------

_DC_BITS = (0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0)   # standard luminance DC table
_DC_VALS = tuple(range(12))
_AC_BITS = (1,) + (0,) * 15                                   # one symbol: EOB, code "0"
_AC_VALS = (0x00,)


def _huff_codes(bits, vals):
    codes, code, k = {}, 0, 0
    for length, count in enumerate(bits, start=1):
        for _ in range(count):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class _BitWriter:
    def __init__(self):
        self.out = bytearray()
        self.acc = 0
        self.n = 0

    def put(self, value, length):
        self.acc = (self.acc << length) | (value & ((1 << length) - 1))
        self.n += length
        while self.n >= 8:
            self.n -= 8
            byte = (self.acc >> self.n) & 0xFF
            self.out.append(byte)
            if byte == 0xFF:
                self.out.append(0)   # byte stuffing
        self.acc &= (1 << self.n) - 1

    def flush(self):
        if self.n:
            self.put((1 << (8 - self.n)) - 1, 8 - self.n)   # pad with 1-bits
        return bytes(self.out)


def _segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg(width, height, block_rgb):
    """Baseline JPEG whose 8x8 blocks are flat colours; block_rgb(bx, by) -> (r,g,b).

    A flat block has only a DC coefficient, so the entropy coding reduces to
    DC differences plus an end-of-block code: valid for every decoder.
    """
    assert width % 8 == 0 and height % 8 == 0
    dc = _huff_codes(_DC_BITS, _DC_VALS)
    eob = _huff_codes(_AC_BITS, _AC_VALS)[0]
    w = _BitWriter()
    pred = [0, 0, 0]
    for by in range(height // 8):
        for bx in range(width // 8):
            r, g, b = block_rgb(bx, by)
            ycc = (0.299 * r + 0.587 * g + 0.114 * b,
                   128 - 0.168736 * r - 0.331264 * g + 0.5 * b,
                   128 + 0.5 * r - 0.418688 * g - 0.081312 * b)
            for c in range(3):
                # DCT DC of a flat block = 8*(v-128); quantiser 8 -> v-128.
                v = max(-128, min(127, int(round(ycc[c])) - 128))
                diff, pred[c] = v - pred[c], v
                cat = abs(diff).bit_length()
                w.put(*dc[cat])
                if cat:
                    w.put(diff if diff > 0 else diff + (1 << cat) - 1, cat)
                w.put(*eob)
    scan = w.flush()
    quant = bytes([8] + [16] * 63)
    return b"".join((
        b"\xff\xd8",
        _segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _segment(0xDB, b"\x00" + quant),
        _segment(0xC0, struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"),
        _segment(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALS)),
        _segment(0xC4, b"\x10" + bytes(_AC_BITS) + bytes(_AC_VALS)),
        _segment(0xDA, b"\x03\x01\x00\x02\x00\x03\x00\x00\x3f\x00"),
        scan,
        b"\xff\xd9",
    ))


# --- the photos ---------------------------------------------------------------

def _palette(image_id):
    h = hashlib.sha256(image_id.encode()).digest()
    return h


@functools.lru_cache(maxsize=256)
def photo(image_id, fmt="jpeg", width=640):
    """A distinct, deterministic 'photo' for an id: gradient plus an id stripe."""
    h = _palette(image_id)
    height = (width * 3 // 4) // 8 * 8
    base = (h[0], h[1], h[2])
    bits = int.from_bytes(h[3:11], "big")

    def block(bx, by):
        # A sky/ground split and a 64-block barcode of the id: distinct images.
        if by == 2 and bx < 64:
            on = (bits >> bx) & 1
            return (250, 250, 250) if on else (20, 20, 20)
        t = by * 8 / height
        return tuple(int(c * (1 - t) + (255 - c) * t) & 0xFF for c in base)

    if fmt == "png":
        return png(width // 8, height // 8, block)
    return jpeg(width, height, block)


@functools.lru_cache(maxsize=1)
def placeholder():
    """Grey card with a darker band: what the host sends to foreign Referers."""
    def pixel(x, y):
        if 60 <= y < 100 and 40 <= x < 280:
            return (178, 178, 178)
        return (238, 238, 238)
    return png(320, 160, pixel, text=PLACEHOLDER_TEXT)


def referer_allowed(req):
    ref = req.headers.get("Referer")
    if not ref:
        return False
    host = urllib.parse.urlsplit(ref).hostname or ""
    return host == req.site.page_host or host in ALLOWED_REFERER_HOSTS


def image_route(req, m):
    """/mmbiz_jpg/<id>/<size>?wx_fmt=jpeg (and mmbiz_png, mmbiz_gif)."""
    kind, image_id, size = m.group(1), m.group(2), m.group(3)
    headers = [("Cache-Control", "max-age=2592000"), ("Access-Control-Allow-Origin", "*")]
    if not referer_allowed(req):
        return Response(content_type="image/png", body=placeholder(), headers=headers)
    fmt = req.query.get("wx_fmt") or ("png" if kind == "png" else "jpeg")
    width = 640 if size in ("0", "640") else 300
    if fmt == "png":
        return Response(content_type="image/png", body=photo(image_id, "png", width), headers=headers)
    return Response(content_type="image/jpeg", body=photo(image_id, "jpeg", width), headers=headers)


def plain_image_route(req, m):
    """Images of the other sites: no hot-link rule."""
    return Response(content_type="image/jpeg", body=photo(m.group(1), "jpeg", 640),
                    headers=[("Cache-Control", "max-age=2592000")])


def add_routes(router):
    router.add(r"/mmbiz_(jpg|png|gif)/([A-Za-z0-9_-]+)/(\d+)", image_route)
    router.add(r"/imagecloud/thepaper/image/([A-Za-z0-9]+)\.jpg", plain_image_route)
