import json
import logging
import os
import shutil
import zlib
from io import BytesIO

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.capture.index import IndexOnClose, update_collection_index
from crawler.capture.writer import WarcWriter, read_record_at

FIELDS = [("software", "bioarchive-test")]
PAGE = "http://police.example.cn/notice/1.html"


def wire_warc(path):
    """What warcprox writes: request + response pairs (one a POST), gzip per record."""
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="1.1")
        for url, method, body in [(PAGE, "GET", b""), ("http://police.example.cn/search", "POST", b"q=%E5%85%AC")]:
            html = "<html><title>通告</title></html>".encode()
            resp = w.create_warc_record(url, "response", payload=BytesIO(html), http_headers=StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(html)))],
                protocol="HTTP/1.1"))
            req = w.create_warc_record(url, "request", payload=BytesIO(body), http_headers=StatusAndHeaders(
                f"{method} /{url.split('/', 3)[3]} HTTP/1.1",
                [("Host", "police.example.cn"), ("Content-Type", "application/x-www-form-urlencoded"),
                 ("Content-Length", str(len(body)))], is_http_request=True))
            w.write_request_response_pair(req, resp)
    return resp.rec_headers.get_header("WARC-Record-ID")


def collection(tmp_path):
    d = str(tmp_path)
    resp_id = wire_warc(os.path.join(d, "wire-00000.warc.gz"))
    with WarcWriter(d, "bio", FIELDS, rollover_size=3000, name_suffix="-rendered") as w:
        for i in range(3):
            w.write_record("resource", f"urn:screenshot:{PAGE}?{i}", os.urandom(2000), "image/png",
                           concurrent_to=resp_id, refers_to=resp_id)
            w.write_record("metadata", f"{PAGE}?{i}", b"{}", "application/json", refers_to=resp_id)
    return d


def lines(d):
    with open(os.path.join(d, "indexes", "index.cdxj"), encoding="utf-8") as f:
        return f.read().splitlines()


def test_index_points_at_real_records(tmp_path):
    d = collection(tmp_path)
    open(os.path.join(d, "bio-inprogress.warc.gz.open"), "wb").write(b"half a record")
    report = update_collection_index(d)
    assert report.files_failed == [] and report.files == len(report.files_indexed) >= 3
    got = lines(d)
    assert report.lines == len(got) == 2 + 6  # 2 responses (requests not indexed) + 3 screenshots + 3 metadata
    assert got == sorted(got)
    kinds = set()
    for line in got:
        key, ts, data = line.split(" ", 2)
        entry = json.loads(data)
        assert len(ts) == 14
        path = os.path.join(d, entry["filename"])
        rec = read_record_at(path, int(entry["offset"]))
        assert rec.rec_headers.get_header("WARC-Target-URI") == entry["url"]
        assert rec.rec_headers.get_header("WARC-Payload-Digest") == entry["digest"]
        with open(path, "rb") as f:  # length covers exactly one complete gzip member
            f.seek(int(entry["offset"]))
            member = f.read(int(entry["length"]))
        z = zlib.decompressobj(zlib.MAX_WBITS | 16)
        z.decompress(member)
        assert z.eof and z.unused_data == b""
        kinds.add((rec.rec_type, entry.get("mime"), entry.get("method")))
    assert ("resource", "image/png", None) in kinds and ("metadata", "application/json", None) in kinds
    assert ("response", "text/html", "POST") in kinds  # POST body folded into the key (post_append)
    assert not any(".open" in line for line in got)


def test_incremental(tmp_path):
    d = collection(tmp_path)
    first = update_collection_index(d)
    stamp = os.stat(os.path.join(d, "indexes", "by-file", "wire-00000.warc.gz.cdxj")).st_mtime_ns
    again = update_collection_index(d)
    assert again.files_indexed == [] and again.lines == first.lines
    assert os.stat(os.path.join(d, "indexes", "by-file", "wire-00000.warc.gz.cdxj")).st_mtime_ns == stamp
    # a new file is indexed alone; the merged index grows
    with WarcWriter(d, "late", FIELDS) as w:
        w.write_record("resource", "urn:screenshot:" + PAGE, b"png", "image/png")
    third = update_collection_index(d)
    assert len(third.files_indexed) == 1 and third.lines == first.lines + 1
    # a WARC that went away leaves the index
    os.remove(os.path.join(d, "wire-00000.warc.gz"))
    assert update_collection_index(d).lines == first.lines + 1 - 2


def test_corrupt_and_truncated_files_are_skipped(tmp_path, caplog):
    d = collection(tmp_path)
    good = sorted(n for n in os.listdir(d) if n.endswith("-rendered.warc.gz"))[0]
    data = open(os.path.join(d, good), "rb").read()
    open(os.path.join(d, "truncated.warc.gz"), "wb").write(data[:-20])
    open(os.path.join(d, "garbage.warc.gz"), "wb").write(b"this is not a warc" * 10)
    open(os.path.join(d, "plain-truncated.warc"), "wb").write(
        b"WARC/1.1\r\nWARC-Type: resource\r\nWARC-Target-URI: urn:x\r\nContent-Length: 100\r\n\r\nshort")
    with caplog.at_level(logging.ERROR, logger="crawler.capture.index"):
        report = update_collection_index(d)
    assert sorted(report.files_failed) == ["garbage.warc.gz", "plain-truncated.warc", "truncated.warc.gz"]
    errors = [r.getMessage() for r in caplog.records]
    assert len(errors) == 3 and all(any(n in m for m in errors) for n in report.files_failed)
    assert report.lines == 8 and not any("truncated" in line or "garbage" in line for line in lines(d))
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="crawler.capture.index"):
        again = update_collection_index(d)  # remembered, not reread nor logged again; still reported
    assert again.files_indexed == [] and len(again.files_failed) == 3 and caplog.records == []
    shutil.copy(os.path.join(d, good), os.path.join(d, "truncated.warc.gz"))  # repaired copy: reindexed
    fixed = update_collection_index(d)
    assert fixed.files_indexed == ["truncated.warc.gz"] and len(fixed.files_failed) == 2


def test_extension_runs_on_engine_stopped(tmp_path):
    from scrapy import signals
    from scrapy.utils.test import get_crawler

    d = collection(tmp_path)
    crawler = get_crawler(settings_dict={"ARCHIVE_DIR": d})
    ext = IndexOnClose.from_crawler(crawler)
    crawler.signals.send_catch_log(signals.engine_stopped)
    assert os.path.exists(os.path.join(d, "indexes", "index.cdxj"))
    assert crawler.stats.get_value("capture/index_lines") == 8
    assert ext.archive_dir == d


def test_unparsable_post_body_still_indexed(tmp_path):
    url = "http://police.example.cn/upload"
    with open(tmp_path / "mp.warc.gz", "wb") as fh:
        w = WARCWriter(fh, gzip=True, warc_version="1.1")
        resp = w.create_warc_record(url, "response", payload=BytesIO(b"ok"), http_headers=StatusAndHeaders(
            "200 OK", [("Content-Type", "text/html"), ("Content-Length", "2")], protocol="HTTP/1.1"))
        body = b'--XYZ\r\nContent-Disposition: form-data; name="a"\r\n\r\nno closing boundary'
        req = w.create_warc_record(url, "request", payload=BytesIO(body), http_headers=StatusAndHeaders(
            "POST /upload HTTP/1.1", [("Content-Type", "multipart/form-data; boundary=XYZ"),
                                      ("Content-Length", str(len(body)))], is_http_request=True))
        w.write_request_response_pair(req, resp)
    report = update_collection_index(str(tmp_path))
    assert report.files_failed == [] and report.lines == 1
