"""The chain-of-custody log: append-only, hash-chained, one capture event per finished WARC file.

Unit tests on the log itself (chain, tampering, concurrent writers, a torn
last line), the capture events for WARC files written by our own writer, and
one crawl of the mock site (browser off: only warcprox is needed) to check
that the extension logs every file the crawl finished, once, after warcprox
closed it.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import subprocess

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.capture.writer import WarcWriter
from crawler.custody import (COLLECTION_LOG, CustodyError, CustodyLog, canonical, check_chain, line_hash,
                             log_new_captures)
from tests.crawling import ROOT, TEST_SETTINGS, crawl_command

WHO = {"operator": "Test Operator", "contact": "ops@example.org", "host": "test-host", "user": "tester"}


def sha256(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_log(tmp_path, n=4) -> CustodyLog:
    log = CustodyLog(str(tmp_path / "custody.jsonl"))
    for i in range(n):
        log.append("capture", {"file": f"f{i}.warc.gz", "bytes": i}, {f"f{i}.warc.gz": f"{i:064x}"}, who=WHO)
    return log


def test_lines_are_canonical_and_chained(tmp_path):
    log = make_log(tmp_path)
    raw = open(log.path, "rb").read()
    assert raw.endswith(b"\n")
    lines = raw[:-1].split(b"\n")
    assert len(lines) == 4
    events = [json.loads(line) for line in lines]
    assert [e["seq"] for e in events] == [0, 1, 2, 3]
    assert events[0]["prev"] is None
    for before, event in zip(lines, events[1:]):
        assert event["prev"] == "sha256:" + hashlib.sha256(before).hexdigest()
    for line, event in zip(lines, events):
        assert canonical(event) == line  # sorted keys, no spaces: the bytes a verifier re-hashes
        assert event["tool"].startswith("bioarchive ")
        assert event["who"] == WHO
        assert set(event) == {"seq", "prev", "at", "event", "who", "tool", "what", "sha256"}
    assert check_chain(log.lines()) == []
    assert check_chain(open(log.path, "rb")) == []  # raw lines with their newline


def test_default_who_names_host_and_user(tmp_path):
    event = CustodyLog(str(tmp_path / "c.jsonl")).append("note", {}, {})
    assert event["who"]["host"] and event["who"]["user"]


@pytest.mark.parametrize("tamper, expected", [
    (lambda ls: ls[:1] + ls[2:], "custody line 2: seq is 2, expected 1"),
    (lambda ls: [ls[0], ls[2], ls[1], ls[3]], "custody line 2: seq is 2, expected 1"),
    (lambda ls: [ls[0], ls[1].replace(b'"bytes":1', b'"bytes":7'), ls[2], ls[3]],
     "custody line 3: prev hash does not match line 2"),
    (lambda ls: ls[:3] + [json.dumps(json.loads(ls[3]), indent=1).replace("\n", " ").encode()],
     "custody line 4: not in canonical form"),
    (lambda ls: ls[:2] + [b"{not json"] + ls[3:], "custody line 3: not JSON"),
])
def test_tampering_breaks_the_chain(tmp_path, tamper, expected):
    lines = list(make_log(tmp_path).lines())
    problems = check_chain(tamper(lines))
    assert any(p.startswith(expected) for p in problems), problems


def test_append_refuses_a_torn_last_line(tmp_path):
    log = make_log(tmp_path, 2)
    with open(log.path, "ab") as f:
        f.write(b'{"seq":2,"half')
    before = open(log.path, "rb").read()
    with pytest.raises(CustodyError, match="unfinished line"):
        log.append("capture", {}, {})
    assert open(log.path, "rb").read() == before  # nothing written, nothing rewritten


def _append_many(path: str, tag: str, n: int) -> None:
    log = CustodyLog(path)
    for i in range(n):
        log.append("capture", {"file": f"{tag}-{i}"}, {f"{tag}-{i}": "0" * 64}, who=WHO)


def test_concurrent_writers_never_fork_the_chain(tmp_path):
    path = str(tmp_path / "custody.jsonl")
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_append_many, args=(path, tag, 40)) for tag in ("a", "b", "c")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    lines = list(CustodyLog(path).lines())
    assert len(lines) == 120
    assert check_chain(lines) == []


def _write_warc(directory: str, n_records: int) -> str:
    writer = WarcWriter(directory, "unit", [("software", "test")])
    for i in range(n_records):
        writer.write_record("resource", f"urn:test:{i}", f"payload {i}".encode(), "text/plain")
    writer.close()
    return writer.files[-1]


def test_capture_events_for_closed_files_only_once(tmp_path):
    archive = str(tmp_path / "coll")
    first = _write_warc(archive, 3)
    second = _write_warc(archive, 5)
    open(os.path.join(archive, "unfinished.warc.gz.open"), "wb").close()
    events = log_new_captures(archive, WHO)
    assert sorted(e["what"]["file"] for e in events) == sorted(os.path.basename(p) for p in (first, second))
    for event in events:
        name = event["what"]["file"]
        path = os.path.join(archive, name)
        assert event["event"] == "capture"
        assert event["sha256"] == {name: sha256(path)}
        assert event["what"]["bytes"] == os.path.getsize(path)
        with open(path, "rb") as f:
            assert event["what"]["records"] == sum(1 for _ in ArchiveIterator(f))  # warcinfo + records
        assert event["who"] == WHO
    assert log_new_captures(archive, WHO) == []  # already logged: nothing again
    third = _write_warc(archive, 1)
    again = log_new_captures(archive, WHO)
    assert [e["what"]["file"] for e in again] == [os.path.basename(third)]
    lines = list(CustodyLog(os.path.join(archive, COLLECTION_LOG)).lines())
    assert len(lines) == 3 and check_chain(lines) == []


# --- the extension in a real crawl ----------------------------------------------------------

@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("custody")
    seeds = base / "seeds.txt"
    seeds.write_text("\n".join([site.urls["wechat_classic"], site.urls["gov_list"]]) + "\n", encoding="utf-8")
    archive = base / "collection"
    settings = [*TEST_SETTINGS, "-s", "BROWSER_ENABLED=0", "-s", "OPERATOR=Custody Test",
                "-s", "WARC_ROLLOVER_SIZE=20000"]  # small files: several are finished during the crawl
    result = subprocess.run(crawl_command(str(seeds), str(archive), *settings), cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return str(archive), result.stdout + result.stderr


def test_crawl_logs_every_finished_warc_once(crawled):
    archive, log_text = crawled
    warcs = sorted(n for n in os.listdir(archive) if n.endswith(".warc.gz"))
    assert len(warcs) >= 2
    assert not [n for n in os.listdir(archive) if n.endswith(".open")]
    log = CustodyLog(os.path.join(archive, COLLECTION_LOG))
    lines = list(log.lines())
    assert check_chain(lines) == []
    events = [json.loads(line) for line in lines]
    assert sorted(e["what"]["file"] for e in events if e["event"] == "capture") == warcs
    for event in events:
        name = event["what"]["file"]
        assert event["sha256"][name] == sha256(os.path.join(archive, name))
        assert event["what"]["recorded_by"] == "crawl"
        assert event["who"]["operator"] == "Custody Test"
        assert event["who"]["contact"] == "tests@bioarchive.invalid"
    assert "custody:" in log_text and "capture event(s) appended" in log_text


def test_second_look_adds_nothing_and_keeps_the_log_bytes(crawled):
    archive, _ = crawled
    path = os.path.join(archive, COLLECTION_LOG)
    before = open(path, "rb").read()
    assert log_new_captures(archive, WHO) == []
    assert open(path, "rb").read() == before
    assert line_hash(before.splitlines()[-1]).startswith("sha256:")
