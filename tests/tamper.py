"""Make and tamper with WACZ bundles for the verify tests (and the verify benchmark).

``handmade_bundle`` writes a small signed WACZ following /tmp/spec/bundle-format.md
with records built here (request/response pairs, a chunked response, a revisit
and its original, screenshot/DOM/metadata records tied by Concurrent-To and
Refers-To), so every kind of reference is present with known values.

``Bundle`` loads any small WACZ into memory and rewrites it the way a careful
forger would: the changed WARC member is re-gzipped as a clean gzip member,
the zip is rebuilt from scratch with stored members, and, on request, the
record's digest headers, the CDXJ lines, datapackage.json, its digest and even
the signature (with a key of the forger's choice) are brought into line, so
that only the check under test can notice.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import re
import zipfile
import zlib
from datetime import datetime, timedelta, timezone

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.bundle.signing import sign_digest
from crawler.capture.writer import sha256_b32
from crawler.custody import CustodyLog, actor

MANIFEST, DIGEST_FILE = "datapackage.json", "datapackage-digest.json"


# --------------------------------------------------------------------------- WARC records
def warc_record(rec_type: str, uri: str, block: bytes, date: str, *, content_type: str | None = None,
                record_id: str | None = None, headers: dict | None = None, payload_digest: str | None = None,
                block_digest: str | None = None) -> bytes:
    """One gzip member holding one WARC/1.1 record with correct digests (unless given)."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True, warc_version="1.1")
    if payload_digest is None:
        payload_digest = sha256_b32(_entity(block) if content_type and content_type.startswith("application/http")
                                    else block)
    rec_headers = StatusAndHeaders("", [], protocol="WARC/1.1")
    rec_headers.add_header("WARC-Type", rec_type)
    rec_headers.add_header("WARC-Record-ID", record_id or writer._make_warc_id())
    rec_headers.add_header("WARC-Date", date)
    if uri:
        rec_headers.add_header("WARC-Target-URI", uri)
    for name, value in (headers or {}).items():
        for v in value if isinstance(value, list) else [value]:
            rec_headers.add_header(name, v)
    rec_headers.add_header("WARC-Block-Digest", block_digest or sha256_b32(block))
    if payload_digest:
        rec_headers.add_header("WARC-Payload-Digest", payload_digest)
    record = writer.create_warc_record(uri, rec_type, payload=io.BytesIO(block), length=len(block),
                                       warc_headers=rec_headers, warc_content_type=content_type)
    writer.write_record(record)
    return out.getvalue()


def _entity(http_block: bytes) -> bytes:
    """The entity body of an HTTP message, transfer encoding removed (the payload-digest convention)."""
    head, _, body = http_block.partition(b"\r\n\r\n")
    if re.search(rb"(?im)^transfer-encoding:\s*chunked", head):
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if not size:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        return out
    return body


def http_response(body: bytes, content_type: str = "text/html; charset=utf-8", chunked: bool = False) -> bytes:
    if chunked:
        half = len(body) // 2
        parts = [body[:half], body[half:]]
        wire = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"
        return (b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() +
                b"\r\nTransfer-Encoding: chunked\r\n\r\n" + wire)
    return (b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() +
            b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)


def http_request(url: str) -> bytes:
    path = "/" + url.split("/", 3)[3] if url.count("/") >= 3 else "/"
    host = url.split("/")[2]
    return f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bioarchive-test\r\n\r\n".encode()


def warc_date(base: datetime, seconds: float) -> str:
    return (base + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_id() -> str:
    return WARCWriter(None)._make_warc_id()


# --------------------------------------------------------------------------- the handmade bundle
HOST = "https://police.example.gov.cn"


def handmade_collection(base: datetime | None = None) -> tuple[dict[str, bytes], list[dict], list[dict]]:
    """({archive/NAME: WARC bytes}, pages, evidence rows). Two WARC files: traffic and rendered records."""
    base = base or datetime(2026, 11, 21, 11, 0, 0, tzinfo=timezone.utc)
    traffic, rendered, pages, evidence = [], [], [], []
    info_a, info_b = record_id(), record_id()
    traffic.append(warc_record("warcinfo", "", b"software: bioarchive test\r\nformat: WARC File Format 1.1\r\n",
                               warc_date(base, 0), content_type="application/warc-fields", record_id=info_a,
                               headers={"WARC-Filename": "traffic.warc.gz"}))
    rendered.append(warc_record("warcinfo", "", b"software: bioarchive test (rendered)\r\n", warc_date(base, 0),
                                content_type="application/warc-fields", record_id=info_b,
                                headers={"WARC-Filename": "rendered.warc.gz"}))
    articles = [
        ("/article/1.html", "<html><head><title>采血工作</title></head><body><p>共采集血样17194份。</p></body></html>",
         False),
        ("/article/2.html", "<html><head><title>虹膜采集</title></head><body><p>已采集虹膜3021人。</p></body></html>",
         True),
    ]
    t = 1.0
    css_id, css_date = None, None
    css = b"body { font-family: sans-serif; }\n" * 20
    for path, html, chunked in articles:
        url = HOST + path
        resp_id, req_id = record_id(), record_id()
        date = warc_date(base, t)
        block = http_response(html.encode("utf-8"), chunked=chunked)
        traffic.append(warc_record("request", url, http_request(url), date, record_id=req_id,
                                   content_type="application/http;msgtype=request",
                                   headers={"WARC-Concurrent-To": resp_id, "WARC-Warcinfo-ID": info_a}))
        traffic.append(warc_record("response", url, block, date, record_id=resp_id,
                                   content_type="application/http;msgtype=response",
                                   headers={"WARC-Warcinfo-ID": info_a, "WARC-IP-Address": "192.0.2.7"}))
        css_url = HOST + "/css/site.css"
        css_block = http_response(css, "text/css")
        css_resp, css_req = record_id(), record_id()
        css_time = warc_date(base, t + 0.2)
        traffic.append(warc_record("request", css_url, http_request(css_url), css_time, record_id=css_req,
                                   content_type="application/http;msgtype=request",
                                   headers={"WARC-Concurrent-To": css_resp, "WARC-Warcinfo-ID": info_a}))
        if css_id is None:
            css_id, css_date = css_resp, css_time
            traffic.append(warc_record("response", css_url, css_block, css_time, record_id=css_resp,
                                       content_type="application/http;msgtype=response",
                                       headers={"WARC-Warcinfo-ID": info_a}))
        else:  # the second page's stylesheet is unchanged: a revisit of the first
            head = css_block.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
            traffic.append(warc_record(
                "revisit", css_url, head, css_time, record_id=css_resp,
                content_type="application/http;msgtype=response", payload_digest=sha256_b32(css),
                headers={"WARC-Warcinfo-ID": info_a, "WARC-Refers-To": css_id,
                         "WARC-Refers-To-Target-URI": css_url, "WARC-Refers-To-Date": css_date,
                         "WARC-Profile": "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"}))
        links = {"WARC-Concurrent-To": resp_id, "WARC-Refers-To": resp_id, "WARC-Refers-To-Target-URI": url,
                 "WARC-Warcinfo-ID": info_b}
        png = b"\x89PNG\r\n\x1a\n" + hashlib.sha256(url.encode()).digest() * 64
        rendered.append(warc_record("resource", "urn:screenshot:" + url, png, warc_date(base, t + 1),
                                    content_type="image/png", headers=links))
        rendered.append(warc_record("resource", "urn:rendered-dom:" + url, html.encode("utf-8"),
                                    warc_date(base, t + 1), content_type="text/html; charset=utf-8", headers=links))
        meta = json.dumps({"url": url, "viewport": [1280, 800], "error": None}).encode()
        rendered.append(warc_record("metadata", "urn:pageinfo:" + url, meta, warc_date(base, t + 1),
                                    content_type="application/json", headers=links))
        pages.append({"id": resp_id.strip("<>").split(":")[-1], "url": url,
                      "ts": (base + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "title": re.search(r"<title>(.*?)</title>", html).group(1)})
        figure = re.search(r"\d+", html).group(0)
        evidence.append({"statement_id": f"s{len(evidence) + 1}", "url": url, "captured_at": date,
                         "warc_record_id": resp_id, "capture_record_id": resp_id, "text_source": "response",
                         "payload_digest": sha256_b32(html.encode("utf-8")), "figure": figure,
                         "quote": re.search(r"<p>(.*?)</p>", html).group(1)})
        t += 5
    return ({"archive/test-00000-traffic.warc.gz": b"".join(traffic),
             "archive/test-00001-rendered.warc.gz": b"".join(rendered)}, pages, evidence)


def cdxj_for(warcs: dict[str, bytes]) -> bytes:
    """The CDXJ index over the archive/ members, made by the project's indexer (cdxj-indexer)."""
    from crawler.capture.index import _Indexer

    lines = []
    for member, data in warcs.items():
        out = io.StringIO()
        src = io.BytesIO(data)
        _Indexer(out, [src], filename=member[len("archive/"):], sort=True, post_append=True).process_all()
        lines += out.getvalue().splitlines(keepends=True)
    return "".join(sorted(lines)).encode("utf-8")


def handmade_bundle(path: str, key, workdir: str, timestamp_token=None) -> str:
    """Write a signed WACZ to ``path``; ``timestamp_token(data) -> DER`` adds an RFC 3161 token."""
    warcs, pages, evidence = handmade_collection()
    log = CustodyLog(os.path.join(workdir, "custody.jsonl"))
    who = actor("test operator", "tests@bioarchive.invalid")
    for member, data in warcs.items():
        name = os.path.basename(member)
        log.append("capture", {"file": name, "bytes": len(data), "records": None, "recorded_by": "crawl"},
                   {name: hashlib.sha256(data).hexdigest()}, who=who)
    members = dict(warcs)
    members["indexes/index.cdxj"] = cdxj_for(warcs)
    header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    members["pages/pages.jsonl"] = "".join(json.dumps(p, ensure_ascii=False) + "\n"
                                           for p in [header, *pages]).encode("utf-8")
    columns = list(evidence[0])
    members["evidence/evidence.csv"] = ("".join(",".join(columns) + "\r\n" for _ in [0]) + "".join(
        ",".join(str(row[c]) for c in columns) + "\r\n" for row in evidence)).encode("utf-8")
    members["evidence/evidence.jsonl"] = "".join(json.dumps(row, ensure_ascii=False) + "\n"
                                                 for row in evidence).encode("utf-8")
    log.append("bundle", {"bundle": os.path.basename(path)},
               {m: hashlib.sha256(d).hexdigest() for m, d in members.items()}, who=who)
    members["custody/custody.jsonl"] = b"".join(line + b"\n" for line in log.lines())
    members["README/README.txt"] = b"Test bundle. Verify with: scrapy verify FILE.wacz\n"
    bundle = Bundle(members={**members, MANIFEST: b"", DIGEST_FILE: b""})
    bundle.update_manifest(created=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), rebuild=True)
    bundle.resign(key, timestamp_token=timestamp_token)
    bundle.save(path)
    return path


# --------------------------------------------------------------------------- tampering
class Bundle:
    """A WACZ held in memory as {member: bytes}, in zip order."""

    def __init__(self, path: str | None = None, members: dict[str, bytes] | None = None):
        self.members: dict[str, bytes] = dict(members or {})
        if path:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    self.members[info.filename] = zf.read(info)

    # ---- the zip
    def save(self, path: str) -> str:
        """A brand-new zip, every member stored: no trace of the rewrite at the zip level."""
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
            for name, data in self.members.items():
                info = zipfile.ZipInfo(name, date_time=(2026, 11, 21, 12, 0, 0))
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, data)
        return path

    # ---- the manifest, its digest, the signature
    def manifest(self) -> dict:
        return json.loads(self.members[MANIFEST])

    def update_manifest(self, created: str | None = None, rebuild: bool = False, algo: str = "sha256") -> None:
        """datapackage.json made to match the members as they now are."""
        old = {} if rebuild else self.manifest()
        resources = []
        for name, data in self.members.items():
            if name in (MANIFEST, DIGEST_FILE):
                continue
            digest = hashlib.new(algo, data).hexdigest()
            resources.append({"name": os.path.basename(name).lower(), "path": name,
                              "hash": f"{algo}:{digest}", "bytes": len(data)})
        manifest = {"profile": "data-package", "wacz_version": "1.1.1", "title": "test bundle",
                    "created": created or old.get("created"), "software": "bioarchive 0.1.0 (tests)"}
        manifest.update({k: v for k, v in old.items() if k not in ("resources",)})
        manifest["resources"] = resources
        self.members[MANIFEST] = json.dumps(manifest, indent=1).encode("utf-8")

    def manifest_hash(self) -> str:
        return "sha256:" + hashlib.sha256(self.members[MANIFEST]).hexdigest()

    def update_digest(self) -> None:
        """datapackage-digest.json made to match datapackage.json; the signature left as it was."""
        doc = json.loads(self.members[DIGEST_FILE])
        doc["hash"] = self.manifest_hash()
        if "signedData" in doc:
            doc["signedData"]["hash"] = doc["hash"]
        self.members[DIGEST_FILE] = json.dumps(doc, indent=1).encode("utf-8")

    def resign(self, key, timestamp_token=None) -> None:
        """A new, valid digest and signature with ``key`` (the bundler's own, or a forger's)."""
        signed = sign_digest(key, self.manifest_hash(), created=self.manifest()["created"])
        if timestamp_token is not None:
            signed["timeSignature"] = base64.b64encode(timestamp_token(signed["signature"].encode("ascii"))).decode()
        doc = {"path": MANIFEST, "hash": self.manifest_hash(), "signedData": signed}
        self.members[DIGEST_FILE] = json.dumps(doc, indent=1).encode("utf-8")

    # ---- WARC records
    def warcs(self) -> list[str]:
        return [n for n in self.members if n.startswith("archive/") and n.endswith((".warc.gz", ".warc"))]

    def records(self, member: str) -> list[dict]:
        """[{offset, length, type, id, uri, headers(list), raw(member bytes)}] of one WARC member."""
        data = self.members[member]
        out = []
        it = ArchiveIterator(io.BytesIO(data), no_record_parse=True)
        for rec in it:
            h = rec.rec_headers
            rec.raw_stream.read()
            offset, length = it.get_record_offset(), it.get_record_length()
            out.append({"offset": offset, "length": length, "type": rec.rec_type,
                        "id": h.get_header("WARC-Record-ID"), "uri": h.get_header("WARC-Target-URI"),
                        "date": h.get_header("WARC-Date"), "raw": data[offset:offset + length]})
        return out

    def find(self, predicate) -> tuple[str, dict]:
        for member in self.warcs():
            for rec in self.records(member):
                if predicate(rec):
                    return member, rec
        raise LookupError("no such record in the bundle")

    def replace_record(self, member: str, rec: dict, new_raw: bytes | None) -> None:
        """Put ``new_raw`` (a whole gzip member, or None to drop the record) in place of ``rec``;
        the CDXJ lines for that file are shifted to follow (and the dropped record's line removed)."""
        data = self.members[member]
        start, end = rec["offset"], rec["offset"] + rec["length"]
        new_raw = new_raw or b""
        self.members[member] = data[:start] + new_raw + data[end:]
        delta = len(new_raw) - rec["length"]
        self.edit_index(lambda entry: self._shift(entry, member, start, delta, len(new_raw)))

    @staticmethod
    def _shift(entry: dict, member: str, start: int, delta: int, new_len: int):
        if "archive/" + entry["filename"] != member and entry["filename"] != member:
            return entry
        offset = int(entry["offset"])
        if offset == start:
            if not new_len:
                return None
            entry["length"] = str(new_len)
        elif offset > start:
            entry["offset"] = str(offset + delta)
        return entry

    def index_member(self) -> str:
        return next(n for n in self.members if n.startswith("indexes/") and n.endswith((".cdxj", ".cdx")))

    def edit_index(self, edit) -> None:
        """``edit(entry) -> entry | None`` over every CDXJ line (None drops the line)."""
        name = self.index_member()
        lines = []
        for line in self.members[name].decode("utf-8").splitlines():
            key, ts, blob = line.split(" ", 2)
            entry = edit(json.loads(blob))
            if entry is not None:
                lines.append(f"{key} {ts} {json.dumps(entry)}")
        self.members[name] = "".join(line + "\n" for line in lines).encode("utf-8")


def gunzip_member(raw: bytes) -> bytes:
    return gzip.decompress(raw)


def change_digit(raw_member: bytes, fix_digests: bool = False) -> bytes:
    """The response with one digit of its content changed, cleanly re-encoded and re-gzipped.

    The digit is changed in the content as a reader sees it: a chunked body
    is de-chunked and a gzip/deflate content encoding undone first, then the
    body is encoded the same way again (Content-Length headers follow).
    ``fix_digests``: also rewrite WARC-Block-Digest and WARC-Payload-Digest to
    match the changed bytes, as a forger would.
    """
    record = gunzip_member(raw_member)
    head_end = record.index(b"\r\n\r\n") + 4  # end of the WARC headers
    warc_head = record[:head_end]
    length = int(re.search(rb"(?im)^Content-Length:\s*(\d+)", warc_head).group(1))
    block = record[head_end:head_end + length]
    http_end = block.index(b"\r\n\r\n") + 4
    http_head = block[:http_end]
    chunked = re.search(rb"(?im)^transfer-encoding:\s*chunked", http_head) is not None
    entity = _entity(block)
    encoding = re.search(rb"(?im)^content-encoding:\s*(\S+)", http_head)
    encoding = encoding.group(1).lower() if encoding else b"identity"
    codec = {b"identity": (lambda b: b, lambda b: b), b"gzip": (gzip.decompress, gzip.compress),
             b"deflate": (zlib.decompress, zlib.compress)}[encoding]
    content = codec[0](entity)
    body_at = content.find(b"<body")
    match = re.compile(rb"[0-8]").search(content, max(body_at, 0))
    assert match, "no digit in the content to change"
    at = match.start()
    content = content[:at] + bytes([content[at] + 1]) + content[at + 1:]
    new_entity = content if encoding == b"identity" else codec[1](content)
    if chunked:
        body = b"%x\r\n" % len(new_entity) + new_entity + b"\r\n0\r\n\r\n"
    else:
        body = new_entity
        http_head = re.sub(rb"(?im)^(Content-Length:\s*)\d+", lambda m: m.group(1) + str(len(body)).encode(),
                           http_head)
    block = http_head + body
    warc_head = re.sub(rb"(?im)^(Content-Length:\s*)\d+", lambda m: m.group(1) + str(len(block)).encode(), warc_head)
    if fix_digests:
        new_block = sha256_b32(block).encode()
        new_payload = sha256_b32(_entity(block)).encode()
        warc_head = re.sub(rb"(?im)^(WARC-Block-Digest:\s*)\S+", lambda m: m.group(1) + new_block, warc_head)
        warc_head = re.sub(rb"(?im)^(WARC-Payload-Digest:\s*)\S+", lambda m: m.group(1) + new_payload, warc_head)
    return gzip.compress(warc_head + block + b"\r\n\r\n")


def set_header(raw_member: bytes, name: str, value: str) -> bytes:
    """Re-gzipped record with one WARC header's value replaced (the block, and so its digests, untouched)."""
    record = gunzip_member(raw_member)
    head_end = record.index(b"\r\n\r\n") + 4
    head = re.sub(rb"(?im)^(" + re.escape(name.encode()) + rb":\s*)[^\r\n]*", lambda m: m.group(1) + value.encode(),
                  record[:head_end], count=1)
    return gzip.compress(head + record[head_end:])


CUSTODY = "custody/custody.jsonl"


def forge_custody(bundle: Bundle, edit=None) -> None:
    """Rewrite the bundle's custody log as a forger would: every hash it gives for a file now in the
    bundle set to that file's current hash (files gone: dropped), ``edit(event)`` applied, chain re-linked."""
    from crawler.custody import canonical, line_hash

    current = {n: hashlib.sha256(d).hexdigest() for n, d in bundle.members.items()}
    by_base = {os.path.basename(n): h for n, h in current.items() if n.startswith("archive/")}
    prev, out = None, []
    for raw in bundle.members[CUSTODY].splitlines():
        event = json.loads(raw)
        hashes = {}
        for name in event["sha256"]:
            if name in current or name in by_base:
                hashes[name] = current.get(name) or by_base[name]
        event["sha256"] = hashes
        if edit:
            edit(event)
        event["prev"] = prev
        line = canonical(event)
        prev = line_hash(line)
        out.append(line + b"\n")
    bundle.members[CUSTODY] = b"".join(out)
