"""`scrapy verify`: a good bundle passes (ours and `wacz validate`); every kind of tampering fails,
and the output names the file and, for records, the URL and Record-ID.

Each tampered bundle is rebuilt cleanly (changed gzip member re-compressed,
a new zip with stored members), so that zip- or gzip-level damage cannot be
what gives it away: only the evidence checks can.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from crawler.bundle.keys import key_path, load_or_create_key
from crawler.bundle.signing import fingerprint
from crawler.bundle.verify import run
from crawler.custody import canonical
from tests.crawling import TEST_SETTINGS, crawl_command
from tests.tamper import CUSTODY, DIGEST_FILE, Bundle, change_digit, forge_custody, handmade_bundle, set_header

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.dirname(sys.executable)


@pytest.fixture(scope="module")
def bundler_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def forger_key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def handmade(tmp_path_factory, bundler_key):
    d = tmp_path_factory.mktemp("handmade")
    return handmade_bundle(str(d / "handmade.wacz"), bundler_key, str(d))


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    """A real crawl of the mock site (Chromium, warcprox) and `scrapy bundle` of it, whole and a selection."""
    base = tmp_path_factory.mktemp("crawled")
    groups = site.seed_groups()
    seeds = base / "seeds.txt"
    seeds.write_text("\n".join(groups["wechat"] + groups["gov"]) + "\n", encoding="utf-8")
    archive = str(base / "collection")
    done = subprocess.run(crawl_command(str(seeds), archive, *TEST_SETTINGS, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    paths = {}
    for name, extra in (("whole", []), ("selection", ["--url", groups["wechat"][0]])):
        paths[name] = str(base / f"{name}.wacz")
        done = subprocess.run([os.path.join(BIN, "scrapy"), "bundle", "-o", paths[name], "-s", f"ARCHIVE_DIR={archive}",
                               *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
    key, _ = load_or_create_key(key_path({"ARCHIVE_DIR": archive}))
    return {"whole": paths["whole"], "selection": paths["selection"], "key": key}


@pytest.fixture(params=["handmade", "crawled"])
def source(request, bundler_key):
    """(bundle path, the key it was signed with) for each kind of bundle the tampering tests run on."""
    if request.param == "handmade":
        return request.getfixturevalue("handmade"), bundler_key
    crawled = request.getfixturevalue("crawled")
    return crawled["whole"], crawled["key"]


@pytest.fixture
def bundle(handmade):
    return Bundle(handmade)


@pytest.fixture
def out_path(tmp_path):
    return str(tmp_path / "tampered.wacz")


class Result:
    def __init__(self, path, *args):
        key = tsa = None
        args = list(args)
        if "--key" in args:
            key = args[args.index("--key") + 1]
        if "--tsa-ca" in args:
            tsa = args[args.index("--tsa-ca") + 1]
        text, js = io.StringIO(), io.StringIO()
        self.code = run(path, key, tsa, False, out=text)
        assert run(path, key, tsa, True, out=js) == self.code
        self.text = text.getvalue()
        self.json = json.loads(js.getvalue())
        self.checks = {c["name"]: c for c in self.json.get("checks", [])}

    @property
    def failed(self) -> set[str]:
        return {name for name, c in self.checks.items() if c["status"] == "fail"}

    def findings(self, check: str) -> list[dict]:
        return self.checks[check]["findings"]

    def __repr__(self):
        return self.text


def verify(path, *args) -> Result:
    return Result(path, *args)


def names_record(result: Result, check: str, member: str, url: str, record_id: str) -> bool:
    """The text names file, URL and Record-ID on one line, and the JSON finding carries them."""
    line_ok = any(member in line and url in line and record_id in line for line in result.text.splitlines())
    json_ok = any(f.get("file") == member and f.get("url") == url and f.get("record_id") == record_id
                  for f in result.findings(check))
    return line_ok and json_ok


def article_response(bundle: Bundle):
    """A page's 200 HTML response with digits in its body (preferring one sent without transfer or
    content encoding, so the change is a visible digit): (member, record)."""
    pages = {json.loads(line).get("url") for line in bundle.members["pages/pages.jsonl"].splitlines()[1:]}
    found = []
    for member in bundle.warcs():
        for rec in bundle.records(member):
            if rec["type"] != "response" or rec["uri"] not in pages:
                continue
            http = gzip.decompress(rec["raw"]).split(b"\r\n\r\n", 1)[1]
            head, _, body = http.partition(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200") or b"text/html" not in head.lower() or not re.search(rb"[0-8]", body):
                continue
            encoding = re.search(rb"(?im)^content-encoding:\s*(\S+)", head)
            if encoding and encoding.group(1).lower() not in (b"gzip", b"deflate"):
                continue
            found.append((encoding is not None, member, rec))
    assert found, "no page response to tamper with"
    _, member, rec = min(found, key=lambda f: f[0])
    return member, rec


def edit_first_custody_line(bundle: Bundle) -> None:
    """Change who the first custody event names, keeping the line canonical JSON (a careful edit)."""
    lines = bundle.members[CUSTODY].splitlines(keepends=True)
    event = json.loads(lines[0])
    event["who"]["operator"] = "someone else"
    lines[0] = canonical(event) + b"\n"
    bundle.members[CUSTODY] = b"".join(lines)


# --------------------------------------------------------------------------- good bundles
def test_handmade_bundle_is_valid(handmade, bundler_key):
    result = verify(handmade)
    assert result.code == 0, result
    assert result.text.splitlines()[-1].startswith("VALID")
    assert all(c["status"] in ("pass", "none") for c in result.checks.values()), result
    # the chunked response was checked under the de-chunked convention, and the report says so
    assert "de-chunked" in result.checks["records"]["summary"]
    assert "transfer encoding removed (de-chunked convention)" in result.text
    assert verify(handmade, "--key", fingerprint(bundler_key)).code == 0


@pytest.mark.parametrize("which", ["whole", "selection"])
def test_crawled_bundle_is_valid(crawled, which):
    result = verify(crawled[which], "--key", fingerprint(crawled["key"]))
    assert result.code == 0, result
    assert all(c["status"] in ("pass", "none") for c in result.checks.values()), result
    records = result.checks["records"]["summary"]
    assert "de-chunked" in records or which == "selection", records  # the crawl has chunked responses
    if which == "whole":
        assert "revisit" in records and "0 revisit originals" not in result.checks["references"]["summary"]


@pytest.mark.parametrize("which", ["handmade", "whole", "selection"])
def test_bundle_passes_wacz_validate(request, which):
    path = request.getfixturevalue("handmade") if which == "handmade" else request.getfixturevalue("crawled")[which]
    done = subprocess.run([os.path.join(BIN, "wacz"), "validate", "-f", path], capture_output=True, text=True)
    assert done.returncode == 0 and "Validation succeeded" in done.stdout, done.stdout + done.stderr


def test_command_runs_without_a_project(handmade, tmp_path):
    """From an empty directory: no scrapy.cfg, no ARCHIVE_DIR (a legal team with the bundle alone)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(os.environ, PYTHONPATH=ROOT)
    done = subprocess.run([sys.executable, "-m", "crawler.bundle.verify", handmade], cwd=empty, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith("VALID")


def test_scrapy_verify_in_the_project(handmade):
    done = subprocess.run([os.path.join(BIN, "scrapy"), "verify", handmade, "--json"], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["verdict"] == "valid"


# --------------------------------------------------------------------------- the tampering cases
# Each runs on the handmade bundle and on `scrapy bundle` of a real crawl.
def test_digit_changed_in_a_response(source, out_path):
    bundle = Bundle(source[0])
    member, rec = article_response(bundle)
    bundle.replace_record(member, rec, change_digit(rec["raw"]))
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert names_record(result, "records", member, rec["uri"], rec["id"]), result
    assert any(f["file"] == member and "SHA-256" in f["message"] for f in result.findings("manifest")), result
    assert result.text.splitlines()[-1].startswith("INVALID")


def test_digit_changed_and_manifest_updated(source, out_path):
    bundle = Bundle(source[0])
    member, rec = article_response(bundle)
    bundle.replace_record(member, rec, change_digit(rec["raw"]))
    bundle.update_manifest()
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert "manifest" not in result.failed
    assert "digest" in result.failed and DIGEST_FILE in result.text
    assert names_record(result, "records", member, rec["uri"], rec["id"]), result


def _forge_digit(bundle: Bundle):
    """Change a digit and bring everything but the signature into line (digests, CDXJ, custody, manifest)."""
    member, rec = article_response(bundle)
    new = change_digit(rec["raw"], fix_digests=True)
    bundle.replace_record(member, rec, new)
    payload = gzip_header(new, "WARC-Payload-Digest")

    def fix(entry):
        if "archive/" + entry["filename"] == member and int(entry["offset"]) == rec["offset"]:
            entry["digest"] = payload
        return entry

    bundle.edit_index(fix)
    old_payload = gzip_header(rec["raw"], "WARC-Payload-Digest")
    while True:  # revisits of the record carry its payload digest too
        try:
            r_member, revisit = bundle.find(lambda r: r["type"] == "revisit"
                                            and gzip_header(r["raw"], "WARC-Payload-Digest") == old_payload)
        except LookupError:
            break
        bundle.replace_record(r_member, revisit, set_header(revisit["raw"], "WARC-Payload-Digest", payload))
        moved = next(r for r in bundle.records(r_member) if r["id"] == revisit["id"])
        bundle.edit_index(lambda e, m=r_member, o=moved["offset"]: (
            e.update(digest=payload) if "archive/" + e["filename"] == m and int(e["offset"]) == o else None) or e)
    rows = [json.loads(line) for line in bundle.members["evidence/evidence.jsonl"].splitlines()]
    for row in rows:
        if row.get("warc_record_id") == rec["id"]:
            row["payload_digest"] = payload
    bundle.members["evidence/evidence.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                        for r in rows).encode()
    forge_custody(bundle)
    bundle.update_manifest()
    return member, rec


def test_digit_changed_everything_updated_but_the_signature(source, out_path):
    bundle = Bundle(source[0])
    _forge_digit(bundle)
    bundle.update_digest()
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert result.failed == {"signature"}, result  # only the signature can tell
    assert any(f["file"] == DIGEST_FILE for f in result.findings("signature"))


def test_digit_changed_and_resigned_by_someone_else(source, out_path, forger_key):
    path, key = source
    bundle = Bundle(path)
    _forge_digit(bundle)
    bundle.resign(forger_key)
    path = bundle.save(out_path)
    alone = verify(path)  # valid for the key it carries: the fingerprint shown is the forger's
    assert alone.code == 0 and fingerprint(forger_key) in alone.checks["signature"]["summary"]
    result = verify(path, "--key", fingerprint(key))
    assert result.code == 1, result
    assert result.failed == {"signature"}
    assert fingerprint(forger_key) in result.text and DIGEST_FILE in result.text


@pytest.mark.parametrize("which", [0, 1])
def test_warc_removed_with_manifest_rewritten(source, out_path, which):
    bundle = Bundle(source[0])
    member = bundle.warcs()[which]
    del bundle.members[member]
    bundle.update_manifest()
    bundle.update_digest()
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert "signature" in result.failed
    # the index still points into it, and the custody log's bundle event lists it
    assert any(member in f["message"] for f in result.findings("index")), result
    assert any(member in f["message"] for f in result.findings("custody")), result


def test_custody_line_edited(source, out_path):
    bundle = Bundle(source[0])
    edit_first_custody_line(bundle)
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert any(f["file"] == CUSTODY for f in result.findings("manifest"))
    assert any("custody line 2" in f["message"] and f.get("line") == 2 for f in result.findings("custody")), result


def test_custody_line_edited_in_a_signed_bundle(source, out_path):
    """A bundle signed after the edit (a faulty bundler, or the key holder): the chain still tells."""
    path, key = source
    bundle = Bundle(path)
    edit_first_custody_line(bundle)
    bundle.update_manifest()
    bundle.resign(key)
    result = verify(bundle.save(out_path), "--key", fingerprint(key))
    assert result.code == 1, result
    assert result.failed == {"custody"}, result
    assert f"{CUSTODY} line 2" in result.text and "prev hash does not match line 1" in result.text


def test_revisit_original_missing(source, out_path):
    path, key = source
    bundle = Bundle(path)
    member, revisit = bundle.find(lambda r: r["type"] == "revisit")
    original_id = gzip_header(revisit["raw"], "WARC-Refers-To")
    member_o, original = bundle.find(lambda r: r["id"] == original_id)
    bundle.replace_record(member_o, original, None)  # and its CDXJ line
    forge_custody(bundle)
    bundle.update_manifest()
    bundle.resign(key)  # signed as it is: a bundler that forgot the original
    result = verify(bundle.save(out_path), "--key", fingerprint(key))
    assert result.code == 1, result
    assert names_record(result, "references", member, revisit["uri"], revisit["id"]), result
    assert any("original" in f["message"] and original_id in f["message"] for f in result.findings("references"))


def gzip_header(raw_member: bytes, name: str) -> str:
    head = gzip.decompress(raw_member).split(b"\r\n\r\n", 1)[0].decode()
    return re.search(rf"(?im)^{name}:\s*(\S+)", head).group(1)


# --------------------------------------------------------------------------- single evidence checks
def _resigned(bundle: Bundle, key, path: str) -> str:
    forge_custody(bundle)
    bundle.update_manifest()
    bundle.resign(key)
    return bundle.save(path)


def test_duplicate_record_id(bundle, out_path, bundler_key):
    member, first = bundle.find(lambda r: r["type"] == "request")
    _, second = bundle.find(lambda r: r["type"] == "request" and r["id"] != first["id"])
    bundle.replace_record(member, second, set_header(second["raw"], "WARC-Record-ID", first["id"]))
    result = verify(_resigned(bundle, bundler_key, out_path))
    assert result.code == 1, result
    assert result.failed == {"record-ids"}, result
    assert names_record(result, "record-ids", member, first["uri"], first["id"])
    assert names_record(result, "record-ids", member, second["uri"], first["id"])


def test_dangling_concurrent_to(bundle, out_path, bundler_key):
    member, req = bundle.find(lambda r: r["type"] == "request")
    ghost = "<urn:uuid:00000000-0000-4000-8000-000000000000>"
    bundle.replace_record(member, req, set_header(req["raw"], "WARC-Concurrent-To", ghost))
    result = verify(_resigned(bundle, bundler_key, out_path))
    assert result.code == 1, result
    assert result.failed == {"references"}, result
    assert names_record(result, "references", member, req["uri"], req["id"])
    assert ghost in result.text


def test_cdxj_line_with_wrong_offset(bundle, out_path, bundler_key):
    _, rec = article_response(bundle)

    def shift(entry):
        if entry["url"] == rec["uri"]:
            entry["offset"] = str(int(entry["offset"]) + 1)
        return entry

    bundle.edit_index(shift)
    result = verify(_resigned(bundle, bundler_key, out_path))
    assert result.code == 1, result
    assert result.failed == {"index"}, result
    assert any("indexes/index.cdxj line" in line and rec["uri"] in line and "offset" in line
               for line in result.text.splitlines()), result


def test_page_entry_without_record(bundle, out_path, bundler_key):
    ghost = "https://police.example.gov.cn/article/404.html"
    bundle.members["pages/pages.jsonl"] += json.dumps({"id": "x", "url": ghost, "ts": "2026-11-21T11:00:01Z",
                                                       "title": "never captured"}).encode() + b"\n"
    result = verify(_resigned(bundle, bundler_key, out_path))
    assert result.code == 1, result
    assert result.failed == {"pages"}, result
    assert any("pages/pages.jsonl line 4" in line and ghost in line for line in result.text.splitlines()), result


def test_page_entry_at_another_time(bundle, out_path, bundler_key):
    lines = bundle.members["pages/pages.jsonl"].splitlines(keepends=True)
    entry = json.loads(lines[1])
    entry["ts"] = "2025-01-01T00:00:00Z"
    lines[1] = json.dumps(entry).encode() + b"\n"
    bundle.members["pages/pages.jsonl"] = b"".join(lines)
    result = verify(_resigned(bundle, bundler_key, out_path))
    assert result.code == 1 and result.failed == {"pages"}, result
    assert entry["url"] in result.text


def test_md5_manifest_refused(bundle, out_path, bundler_key):
    bundle.update_manifest(algo="md5")
    bundle.resign(bundler_key)
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert result.failed == {"manifest"}, result
    assert "md5 hash refused" in result.text and "archive/" in result.text


def test_extra_file_not_in_manifest(bundle, out_path, bundler_key):
    bundle.members["archive/extra.txt"] = b"slipped in\n"
    bundle.resign(bundler_key)
    result = verify(bundle.save(out_path))
    assert result.code == 1 and "manifest" in result.failed, result
    assert any(f["file"] == "archive/extra.txt" for f in result.findings("manifest"))


def test_truncated_warc_in_a_signed_bundle(bundle, out_path, bundler_key):
    member = bundle.warcs()[0]
    bundle.members[member] = bundle.members[member][:-200]
    forge_custody(bundle)
    bundle.update_manifest()
    bundle.resign(bundler_key)
    result = verify(bundle.save(out_path))
    assert result.code == 1, result
    assert "records" in result.failed and any(f["file"] == member for f in result.findings("records")), result


def test_unsigned_bundle(bundle, out_path):
    doc = json.loads(bundle.members[DIGEST_FILE])
    del doc["signedData"]
    bundle.members[DIGEST_FILE] = json.dumps(doc).encode()
    result = verify(bundle.save(out_path))
    assert result.code == 1 and result.failed == {"signature"}, result
    assert "not signed" in result.text


def test_wrong_key_given(handmade, forger_key):
    result = verify(handmade, "--key", fingerprint(forger_key))
    assert result.code == 1 and result.failed == {"signature"}, result


def test_truncated_zip(handmade, tmp_path):
    data = open(handmade, "rb").read()
    path = tmp_path / "cut.wacz"
    path.write_bytes(data[: len(data) * 2 // 3])
    out = io.StringIO()
    assert run(str(path), None, None, False, out=out) == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and lines[0].startswith("INVALID"), lines


def test_not_a_zip(tmp_path):
    path = tmp_path / "notes.wacz"
    path.write_text("hello\n")
    out = io.StringIO()
    assert run(str(path), None, None, False, out=out) == 1
    assert out.getvalue().count("\n") == 1 and "not a readable zip" in out.getvalue()


# --------------------------------------------------------------------------- RFC 3161 timestamp
@pytest.fixture(scope="module")
def stamped(tmp_path_factory, bundler_key):
    from crawler.bundle.timestamp import request_token
    from tests.tsa import LocalTSA

    d = tmp_path_factory.mktemp("stamped")
    with LocalTSA(str(d / "tsa")) as tsa, LocalTSA(str(d / "other"), name="Other") as other:
        path = handmade_bundle(str(d / "stamped.wacz"), bundler_key, str(d),
                               timestamp_token=lambda data: request_token(tsa.url, data))
        yield path, tsa.ca_file, other.ca_file


def test_timestamp_without_trust_store_is_not_verifiable_offline(stamped):
    path, _, _ = stamped
    result = verify(path)
    assert result.code == 2, result
    assert result.checks["timestamp"]["status"] == "unverifiable"
    assert result.text.splitlines()[-1].startswith("NOT VERIFIABLE OFFLINE")


def test_timestamp_with_trust_store(stamped):
    path, ca, other_ca = stamped
    assert verify(path, "--tsa-ca", ca).code == 0
    wrong = verify(path, "--tsa-ca", other_ca)
    assert wrong.code == 1 and wrong.failed == {"timestamp"}, wrong


def test_unverifiable_does_not_hide_invalid(stamped, tmp_path):
    path, _, _ = stamped
    bundle = Bundle(path)
    member, rec = article_response(bundle)
    bundle.replace_record(member, rec, change_digit(rec["raw"]))
    result = verify(bundle.save(str(tmp_path / "t.wacz")))
    assert result.code == 1, result


def test_evidence_row_quoting_a_missing_record(bundle, out_path, bundler_key):
    rows = [json.loads(line) for line in bundle.members["evidence/evidence.jsonl"].splitlines()]
    ghost = "<urn:uuid:11111111-1111-4111-8111-111111111111>"
    rows[1]["warc_record_id"] = ghost
    bundle.members["evidence/evidence.jsonl"] = "".join(json.dumps(r, ensure_ascii=False) + "\n"
                                                        for r in rows).encode()
    result = verify(_resigned(bundle, bundler_key, out_path))
    assert result.code == 1 and result.failed == {"evidence"}, result
    assert any("evidence/evidence.jsonl line 2" in line and ghost in line for line in result.text.splitlines())


def test_domain_form_signature_is_not_verifiable_offline(bundle, out_path, bundler_key):
    doc = json.loads(bundle.members[DIGEST_FILE])
    signed = doc["signedData"]
    doc["signedData"] = {"hash": signed["hash"], "created": signed["created"], "software": signed["software"],
                         "signature": signed["signature"], "domain": "archive.example.org",
                         "domainCert": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"}
    bundle.members[DIGEST_FILE] = json.dumps(doc).encode()
    path = bundle.save(out_path)
    alone = verify(path)
    assert alone.code == 2 and alone.checks["signature"]["status"] == "unverifiable", alone
    assert verify(path, "--key", fingerprint(bundler_key)).code == 1
