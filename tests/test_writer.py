import errno
import io
import os
import shutil

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.records import RecordIndex, index_path
from crawler.capture.writer import OPEN_SUFFIX, WarcWriteError, WarcWriter, read_record_at, sha256_b32

FIELDS = [("software", "bioarchive-test"), ("operator", "tests")]
RESPONSE_ID = "<urn:uuid:00000000-0000-0000-0000-000000000001>"
PAGE = "http://police.example.cn/notice/1.html"


def records(path):
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        for rec in it:
            body = rec.content_stream().read()
            yield rec, body, it.get_record_offset(), it.get_record_length()


def write_page(writer, png=b"\x89PNG\r\n\x1a\n" + os.urandom(2000)):
    shot = writer.write_record("resource", "urn:screenshot:" + PAGE, png, "image/png",
                               concurrent_to=RESPONSE_ID, refers_to=RESPONSE_ID,
                               refers_to_target_uri=PAGE, refers_to_date="2024-05-01T10:00:00Z")
    dom = writer.write_record("resource", "urn:rendered-dom:" + PAGE, "<p>公告</p>".encode(), "text/html; charset=utf-8",
                              concurrent_to=RESPONSE_ID, extra_headers={"X-Test": "1"})
    meta = writer.write_record("metadata", PAGE, b'{"viewport": [1280, 900]}', "application/json",
                               refers_to=RESPONSE_ID)
    return shot, dom, meta


def test_records_read_back(tmp_path):
    index = RecordIndex(index_path(str(tmp_path)))
    with WarcWriter(str(tmp_path), "t", FIELDS, record_index=index) as w:
        refs = write_page(w)
        assert os.path.exists(w.current_path) and w.current_path.endswith(".warc.gz" + OPEN_SUFFIX)
    (name,) = [n for n in os.listdir(tmp_path) if n.endswith(".warc.gz")]
    assert name.startswith("t-") and name.endswith("-00000-" + name.split("-")[-1])
    assert not [n for n in os.listdir(tmp_path) if n.endswith(OPEN_SUFFIX)]

    recs = list(records(tmp_path / name))
    assert [r.rec_type for r, *_ in recs] == ["warcinfo", "resource", "resource", "metadata"]
    warcinfo = recs[0][0]
    assert b"software: bioarchive-test\r\n" in recs[0][1]
    assert warcinfo.rec_headers.get_header("WARC-Filename") == name
    info_id = warcinfo.rec_headers.get_header("WARC-Record-ID")
    ids = set()
    for rec, body, offset, length in recs:
        h = rec.rec_headers
        assert h.protocol == "WARC/1.1"
        assert h.get_header("WARC-Date").endswith("Z")
        assert h.get_header("WARC-Block-Digest") == sha256_b32(body)  # no HTTP headers: block == payload
        assert h.get_header("WARC-Payload-Digest") == sha256_b32(body)
        assert int(h.get_header("Content-Length")) == len(body)
        ids.add(h.get_header("WARC-Record-ID"))
        if rec.rec_type != "warcinfo":
            assert h.get_header("WARC-Warcinfo-ID") == info_id
    assert len(ids) == 4

    shot, dom, meta = refs
    shot_rec = recs[1][0].rec_headers
    assert shot_rec.get_header("WARC-Concurrent-To") == RESPONSE_ID
    assert shot_rec.get_header("WARC-Refers-To") == RESPONSE_ID
    assert shot_rec.get_header("WARC-Refers-To-Target-URI") == PAGE
    assert shot_rec.get_header("Content-Type") == "image/png"
    assert recs[2][0].rec_headers.get_header("X-Test") == "1"
    assert recs[3][0].rec_headers.get_header("WARC-Refers-To") == RESPONSE_ID

    # RecordRefs and the record index point at the gzip members just read
    for ref, (rec, body, offset, length) in zip(refs, recs[1:]):
        assert (ref.warc_filename, ref.warc_offset, ref.warc_length) == (name, offset, length)
        assert ref.payload_digest == sha256_b32(body)
        again = read_record_at(str(tmp_path / name), ref.warc_offset)
        assert again.rec_headers.get_header("WARC-Record-ID") == ref.record_id
        assert again.content_stream().read() == body
        assert index.get(ref.record_id) == ref
    assert shot.concurrent_to == RESPONSE_ID and meta.refers_to == RESPONSE_ID and dom.content_type.startswith("text/html")
    assert [r.warc_type for r in index.for_file(name)] == ["warcinfo", "resource", "resource", "metadata"]


def test_record_ids_get_brackets_and_bad_input_is_refused(tmp_path):
    with WarcWriter(str(tmp_path), "t", FIELDS) as w:
        ref = w.write_record("conversion", "urn:text:" + PAGE, b"text", "text/plain", concurrent_to="urn:uuid:x")
        assert ref.concurrent_to == "<urn:uuid:x>"
        with pytest.raises(ValueError):
            w.write_record("response", PAGE, b"", "text/html")
        with pytest.raises(ValueError):
            w.write_record("resource", PAGE, b"", "text/html", extra_headers={"WARC-Record-ID": "<x>"})
    with pytest.raises(ValueError):
        w.write_record("resource", PAGE, b"", "text/html")
    w.close()  # idempotent


def test_rollover(tmp_path):
    with WarcWriter(str(tmp_path), "t", FIELDS, rollover_size=5000) as w:
        refs = [write_page(w, png=os.urandom(3000)) for _ in range(4)]
    names = sorted(n for n in os.listdir(tmp_path) if n.endswith(".warc.gz"))
    assert len(names) > 1
    assert [n.split("-")[2] for n in names] == [f"{i:05d}" for i in range(len(names))]
    for name in names:
        recs = list(records(tmp_path / name))
        assert recs[0][0].rec_type == "warcinfo"
        info_id = recs[0][0].rec_headers.get_header("WARC-Record-ID")
        assert all(r.rec_headers.get_header("WARC-Warcinfo-ID") == info_id for r, *_ in recs[1:])
    for ref in (r for page in refs for r in page):
        assert read_record_at(str(tmp_path / ref.warc_filename), ref.warc_offset).rec_headers.get_header(
            "WARC-Record-ID") == ref.record_id


def test_name_suffix_and_refuses_existing_file(tmp_path, monkeypatch):
    import crawler.capture.writer as mod

    monkeypatch.setattr(mod.secrets, "choice", lambda alphabet: "a")  # every file gets the same token
    w = WarcWriter(str(tmp_path), "t", FIELDS, name_suffix="-rendered")
    w.write_record("resource", PAGE, b"x", "text/plain")
    path = w.current_path[: -len(OPEN_SUFFIX)]
    assert path.endswith("-aaaaaaaa-rendered.warc.gz")
    w.close()
    before = open(path, "rb").read()
    # a second writer landing on the same name (same second, serial and token) must not touch it
    monkeypatch.setattr(mod, "datetime", _FrozenDatetime.of(path))
    w2 = WarcWriter(str(tmp_path), "t", FIELDS, name_suffix="-rendered")
    with pytest.raises(FileExistsError):
        w2.write_record("resource", PAGE, b"y", "text/plain")
    # ... nor an .open file of that name
    os.rename(path, path + "-moved")
    open(path + OPEN_SUFFIX, "wb").write(b"someone else's")
    with pytest.raises(WarcWriteError, match="cannot create"):
        w2.write_record("resource", PAGE, b"y", "text/plain")
    assert open(path + OPEN_SUFFIX, "rb").read() == b"someone else's"
    assert open(path + "-moved", "rb").read() == before


class _FrozenDatetime:
    @staticmethod
    def of(path):
        import datetime as dt

        stamp = os.path.basename(path).split("-")[1]
        frozen = dt.datetime.strptime(stamp[:14], "%Y%m%d%H%M%S").replace(
            microsecond=int(stamp[14:]) * 1000, tzinfo=dt.timezone.utc)

        class Frozen(dt.datetime):
            @classmethod
            def now(cls, tz=None):
                return frozen

        return Frozen


def test_crash_leaves_written_records_readable(tmp_path):
    w = WarcWriter(str(tmp_path / "live"), "t", FIELDS)
    refs = write_page(w) + write_page(w)
    # a crash now: the process dies without close(); what is on disk is what a reader gets
    crashed = tmp_path / "crashed.warc.gz"
    shutil.copy(w.current_path, crashed)
    recs = list(records(crashed))
    assert [r.rec_headers.get_header("WARC-Record-ID") for r, *_ in recs[1:]] == [r.record_id for r in refs]
    for ref in refs:
        assert read_record_at(str(crashed), ref.warc_offset).rec_headers.get_header("WARC-Record-ID") == ref.record_id
    w.close()


class _FullDisk(io.RawIOBase):
    """Accepts `room` bytes, then fails like a full disk."""

    def __init__(self, real, room):
        self.real, self.room = real, room

    def write(self, data):
        if self.room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        n = self.real.write(bytes(data[: self.room]))
        self.room -= n
        return n

    def fileno(self):
        return self.real.fileno()

    def close(self):
        self.real.close()


def test_disk_full_leaves_the_file_open_and_keeps_earlier_records(tmp_path):
    from crawler.capture.repair import has_live_writer

    w = WarcWriter(str(tmp_path), "t", FIELDS)
    first = write_page(w)
    open_path = w.current_path
    before = open(open_path, "rb").read()
    w._fh = _FullDisk(w._fh, room=50)  # the next record is cut off after 50 bytes
    with pytest.raises(WarcWriteError, match="No space left") as err:
        w.write_record("resource", PAGE, os.urandom(1000), "image/png")
    assert err.value.errno == errno.ENOSPC and open_path in str(err.value)
    # It may end in a partial record, so it never gets its final name: it stays .open, closed and unlocked,
    # for the repair on the next start; nothing was truncated.
    final = open_path[: -len(OPEN_SUFFIX)]
    assert os.path.exists(open_path) and not os.path.exists(final)
    assert not has_live_writer(open_path)
    data = open(open_path, "rb").read()
    assert data[: len(before)] == before and len(data) == len(before) + 50
    for ref in first:
        assert read_record_at(open_path, ref.warc_offset).rec_headers.get_header("WARC-Record-ID") == ref.record_id
    # Nothing more is written: on a full disk each try would only leave another torn file.
    with pytest.raises(WarcWriteError, match="an earlier write failed") as again:
        w.write_record("resource", PAGE, b"after", "text/plain")
    assert again.value.errno == errno.ENOSPC
    w.close()
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(open_path)]


def test_threads_share_one_writer(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    with WarcWriter(str(tmp_path), "t", FIELDS, rollover_size=20_000) as w:
        with ThreadPoolExecutor(4) as pool:
            refs = list(pool.map(lambda i: w.write_record("resource", f"urn:x:{i}", os.urandom(1500), "image/png"),
                                 range(60)))
    assert len({r.record_id for r in refs}) == 60
    for ref in refs:
        rec = read_record_at(str(tmp_path / ref.warc_filename), ref.warc_offset)
        assert rec.rec_headers.get_header("WARC-Target-URI") == ref.target_uri
        assert sha256_b32(rec.content_stream().read()) == ref.payload_digest


# --- revisits: an unchanged screenshot or DOM, through the collection's dedup database ---

NEXT_RESPONSE_ID = "<urn:uuid:00000000-0000-0000-0000-000000000002>"


def _dedup_writer(directory, index=None):
    from crawler.capture.dedup import PayloadDedup, dedup_path

    return WarcWriter(str(directory), "t", FIELDS, record_index=index, name_suffix="-rendered",
                      dedup=PayloadDedup(dedup_path(str(directory))))


def _shot(writer, png, response_id):
    return writer.write_record("resource", "urn:screenshot:" + PAGE, png, "image/png",
                               concurrent_to=response_id, refers_to=response_id,
                               refers_to_target_uri=PAGE, refers_to_date="2024-05-01T10:00:00Z")


def _dedup_rows(directory):
    import json
    import sqlite3

    from crawler.capture.dedup import dedup_path

    with sqlite3.connect(dedup_path(str(directory))) as db:
        return {key: json.loads(value) for key, value in db.execute("SELECT key, value FROM dedup")}


def test_unchanged_resource_is_a_revisit_of_the_original(tmp_path):
    from crawler.capture.digests import check_record

    index = RecordIndex(index_path(str(tmp_path)))
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(5000)
    with _dedup_writer(tmp_path, index) as night1:  # first night: the payload is new
        original = _shot(night1, png, RESPONSE_ID)
    with _dedup_writer(tmp_path, index) as night2:  # next night, a new file: the same bytes again
        revisit = _shot(night2, png, NEXT_RESPONSE_ID)
    assert original.warc_type == "resource" and revisit.warc_type == "revisit"
    assert revisit.warc_filename != original.warc_filename

    rec = read_record_at(str(tmp_path / revisit.warc_filename), revisit.warc_offset)
    h = rec.rec_headers
    assert h.protocol == "WARC/1.1" and rec.rec_type == "revisit"
    assert h.get_header("WARC-Profile") == "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
    assert h.get_header("WARC-Target-URI") == "urn:screenshot:" + PAGE
    # Refers-To names the record holding the bytes; the link to this visit's page stays in Concurrent-To.
    assert h.get_header("WARC-Refers-To") == original.record_id
    assert h.get_header("WARC-Refers-To-Target-URI") == original.target_uri
    assert h.get_header("WARC-Refers-To-Date") == original.warc_date
    assert h.get_header("WARC-Concurrent-To") == NEXT_RESPONSE_ID
    assert h.get_header("WARC-Payload-Digest") == sha256_b32(png) == original.payload_digest
    assert h.get_header("WARC-Block-Digest") == sha256_b32(b"")
    assert h.get_header("Content-Length") == "0" and rec.content_stream().read() == b""
    assert h.get_header("Content-Type") is None  # an empty block has no type
    assert h.get_header("WARC-Warcinfo-ID")
    with open(tmp_path / revisit.warc_filename, "rb") as fh:  # the empty block's digest holds
        fh.seek(revisit.warc_offset)
        assert check_record(next(iter(ArchiveIterator(fh, no_record_parse=True)))).block_ok

    # The record index row, as the evidence pipeline and bundles read it.
    row = index.get(revisit.record_id)
    assert row == revisit
    assert (row.warc_type, row.refers_to, row.payload_digest, row.concurrent_to) == (
        "revisit", original.record_id, original.payload_digest, NEXT_RESPONSE_ID)
    assert row.content_type == "image/png"  # of the payload it stands for
    # The database names the original, in warcprox's own key and value format; a revisit never replaces it.
    assert _dedup_rows(tmp_path) == {sha256_b32(png) + "|": {
        "id": original.record_id, "url": original.target_uri, "date": original.warc_date}}


def test_metadata_and_changed_or_empty_payloads_are_written_in_full(tmp_path):
    with _dedup_writer(tmp_path) as w:
        metas = [w.write_record("metadata", "urn:pageinfo:" + PAGE, b'{"same": true}', "application/json",
                                concurrent_to=RESPONSE_ID) for _ in range(2)]
        doms = [w.write_record("resource", "urn:rendered-dom:" + PAGE, body, "text/html; charset=utf-8")
                for body in (b"<p>1</p>", b"<p>2</p>")]
        empties = [w.write_record("resource", "urn:screenshot:" + PAGE, b"", "image/png") for _ in range(2)]
    assert [r.warc_type for r in metas + doms + empties] == ["metadata"] * 2 + ["resource"] * 4
    for ref in metas:
        body = read_record_at(str(tmp_path / ref.warc_filename), ref.warc_offset).content_stream().read()
        assert body == b'{"same": true}'
    # Only the non-empty resources are in the database: metadata never is.
    assert set(_dedup_rows(tmp_path)) == {sha256_b32(b"<p>1</p>") + "|", sha256_b32(b"<p>2</p>") + "|"}


def test_a_payload_warcprox_stored_becomes_a_revisit_of_its_response(tmp_path):
    """One database for the collection: a DOM identical to a response warcprox wrote refers to that response."""
    import warcprox
    from hanzo import warctools
    from warcprox.dedup import DedupDb

    from crawler.capture.dedup import dedup_path

    body = b"<html><body>unchanged</body></html>"
    os.makedirs(tmp_path / "state")
    warcprox_db = DedupDb(dedup_path(str(tmp_path)), options=warcprox.Options(base32=True))
    warcprox_db.start()
    response = warctools.WarcRecord(headers=[(warctools.WarcRecord.ID, RESPONSE_ID.encode()),
                                             (warctools.WarcRecord.URL, PAGE.encode()),
                                             (warctools.WarcRecord.DATE, b"2024-05-01T10:00:00Z")])
    warcprox_db.save(sha256_b32(body).encode(), response)  # as warcprox's storer does after writing it
    with _dedup_writer(tmp_path) as w:
        ref = w.write_record("resource", "urn:rendered-dom:" + PAGE, body, "text/html",
                             concurrent_to=NEXT_RESPONSE_ID)
    rec = read_record_at(str(tmp_path / ref.warc_filename), ref.warc_offset)
    assert ref.warc_type == "revisit" and ref.refers_to == RESPONSE_ID
    assert rec.rec_headers.get_header("WARC-Refers-To-Target-URI") == PAGE
    assert rec.rec_headers.get_header("WARC-Refers-To-Date") == "2024-05-01T10:00:00Z"


def test_an_unreadable_dedup_database_never_costs_a_record(tmp_path, caplog):
    png = os.urandom(3000)
    with _dedup_writer(tmp_path) as w:
        first = _shot(w, png, RESPONSE_ID)
        path = w.dedup.path
        with open(path, "r+b") as fh:  # the database file is damaged under the writer
            fh.write(b"not a database" * 100)
        again = _shot(w, png, NEXT_RESPONSE_ID)
    assert (first.warc_type, again.warc_type) == ("resource", "resource")
    assert read_record_at(str(tmp_path / again.warc_filename), again.warc_offset).content_stream().read() == png
    assert "dedup lookup" in caplog.text and "writing the payload in full" in caplog.text


def test_without_a_dedup_database_every_copy_is_written(tmp_path):
    png = os.urandom(3000)
    with WarcWriter(str(tmp_path), "t", FIELDS) as w:
        refs = [_shot(w, png, rid) for rid in (RESPONSE_ID, NEXT_RESPONSE_ID)]
    assert [r.warc_type for r in refs] == ["resource", "resource"]
    assert not os.path.exists(tmp_path / "state")
