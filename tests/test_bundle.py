"""Evidence bundles, end to end: one crawl of the mock site, then `scrapy keys` and `scrapy bundle`.

Checked as a recipient would: `wacz validate` (py-wacz) passes; the whole-
collection bundle holds the collection's WARC files unchanged; a --url
selection holds the page's records, its rendered records and the resources
it loaded, each gzip member byte-identical to the collection's, every
revisit's original, and nothing unjustified; the signature verifies with the
`cryptography` package alone against the key `scrapy keys` printed; the
custody log's chain holds and starts with the collection's log verbatim;
the collection is not modified; an RFC 3161 timestamp from a local OpenSSL
TSA verifies with `openssl ts -verify` against the test CA only.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from datetime import timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from warcio.archiveiterator import ArchiveIterator

from crawler.bundle.select import dom_references, parse_time, select
from crawler.bundle.timestamp import verify_token
from crawler.custody import check_chain
from tests.crawling import ROOT, SCRAPY, TEST_SETTINGS, crawl_command
from tests.tsa import LocalTSA, make_ca_and_tsa

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.path.exists("/usr/bin/chromium"), reason="needs Debian's chromium (make test installs it)"),
]

WACZ = os.path.join(os.path.dirname(SCRAPY), "wacz")


def scrapy(*args, archive: str, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([SCRAPY, *args, "-s", f"ARCHIVE_DIR={archive}"], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def members_of(data: bytes) -> list[dict]:
    """Every record of a WARC (bytes): id, type, uri, headers, raw gzip member bytes."""
    out = []
    it = ArchiveIterator(io.BytesIO(data))
    for record in it:
        headers = {k.lower(): v for k, v in record.rec_headers.headers}
        referer = record.http_headers.get_header("Referer") if record.http_headers is not None else None
        body = record.content_stream().read() if record.rec_type in ("resource", "metadata") else b""
        it.read_to_end()
        offset, length = it.get_record_offset(), it.get_record_length()
        out.append({"id": headers["warc-record-id"], "type": record.rec_type, "uri": headers.get("warc-target-uri"),
                    "headers": headers, "referer": referer, "body": body, "raw": data[offset:offset + length]})
    return out


def collection_members(archive: str) -> dict[str, dict]:
    found = {}
    for name in sorted(os.listdir(archive)):
        if name.endswith(".warc.gz"):
            with open(os.path.join(archive, name), "rb") as f:
                for m in members_of(f.read()):
                    m["file"] = name
                    found[m["id"]] = m
    return found


def read_bundle(path: str) -> dict:
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
        assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
        return {i.filename: z.read(i.filename) for i in infos}


def wacz_validate(path: str) -> subprocess.CompletedProcess:
    return subprocess.run([WACZ, "validate", "-f", path], capture_output=True, text=True, timeout=300)


def snapshot(archive: str) -> dict:
    """What bundling must never change: the WARC files and the CDXJ index."""
    names = [n for n in os.listdir(archive) if n.endswith(".warc.gz")]
    snap = {n: sha256_file(os.path.join(archive, n)) for n in names}
    snap["indexes/index.cdxj"] = sha256_file(os.path.join(archive, "indexes", "index.cdxj"))
    return snap


@pytest.fixture(scope="module")
def crawled(site, tmp_path_factory):
    base = tmp_path_factory.mktemp("bundle")
    seeds = base / "seeds.txt"
    urls = [site.urls["wechat_classic"], site.urls["wechat_tibetan"], site.urls["wechat_short"], site.urls["thepaper"]]
    seeds.write_text("\n".join(urls) + "\n", encoding="utf-8")
    archive = str(base / "collection")
    result = subprocess.run(crawl_command(str(seeds), archive, *TEST_SETTINGS, "-s", "OPERATOR=Bundle Test",
                                          "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8"),
                            cwd=ROOT, capture_output=True, text=True, timeout=400)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    keys = scrapy("keys", archive=archive)
    assert keys.returncode == 0, keys.stdout + keys.stderr
    fingerprint = re.search(r"Fingerprint: (sha256:[0-9a-f]{64})", keys.stdout).group(1)
    return {"dir": archive, "base": base, "site": site, "fingerprint": fingerprint, "keys_out": keys.stdout,
            "members": collection_members(archive), "before": snapshot(archive)}


@pytest.fixture(scope="module")
def whole(crawled):
    out = str(crawled["base"] / "whole.wacz")
    result = scrapy("bundle", "-o", out, archive=crawled["dir"])
    assert result.returncode == 0, result.stdout + result.stderr
    return {"path": out, "out": result.stdout, "files": read_bundle(out)}


def _with_revisit(crawled) -> str:
    """A page whose selection holds a revisit (pages share scripts and styles; only one fetch is a response)."""
    site = crawled["site"]
    for key in ("wechat_short", "wechat_tibetan", "wechat_classic"):
        sel = select(crawled["dir"], urls=[site.urls[key]])
        if any(r.warc_type == "revisit" for r in sel.records.values()):
            return site.urls[key]
    pytest.fail("no page selection with a revisit record: the crawl did not deduplicate anything")


@pytest.fixture(scope="module")
def selected(crawled):
    url = _with_revisit(crawled)
    out = str(crawled["base"] / "selection.wacz")
    result = scrapy("bundle", "-o", out, "--url", url, archive=crawled["dir"])
    assert result.returncode == 0, result.stdout + result.stderr
    return {"path": out, "url": url, "out": result.stdout, "files": read_bundle(out)}


# --- keys ------------------------------------------------------------------------------------

def test_keys_creates_a_private_p256_key_once(crawled):
    archive = crawled["dir"]
    path = os.path.join(archive, "keys", "bundle-signing-key.pem")
    assert "Created signing key" in crawled["keys_out"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(path, "rb") as f:
        before = f.read()
    key = serialization.load_pem_private_key(before, password=None)
    assert isinstance(key.curve, ec.SECP256R1)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert crawled["fingerprint"] == "sha256:" + hashlib.sha256(spki).hexdigest()
    again = scrapy("keys", archive=archive)
    assert again.returncode == 0 and "Created" not in again.stdout
    assert crawled["fingerprint"] in again.stdout
    with open(path, "rb") as f:
        assert f.read() == before  # never overwritten
    show = scrapy("keys", "--show", archive=archive)
    assert show.returncode == 0 and crawled["fingerprint"] in show.stdout
    pub = os.path.join(archive, "keys", "bundle-signing-key.pub.pem")
    with open(pub, "rb") as f:
        assert serialization.load_pem_public_key(f.read()).public_numbers() == key.public_key().public_numbers()


def test_keys_show_without_a_key_is_one_line(crawled, tmp_path):
    result = subprocess.run([SCRAPY, "keys", "--show", "-s", f"BUNDLE_SIGNING_KEY={tmp_path / 'none.pem'}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout.strip().count("\n") == 0 and "run `scrapy keys`" in result.stdout


# --- both bundles ---------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["whole", "selected"])
def test_wacz_validate_passes(which, request):
    bundle = request.getfixturevalue(which)
    result = wacz_validate(bundle["path"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation succeeded" in result.stdout


@pytest.mark.parametrize("which", ["whole", "selected"])
def test_manifest_lists_every_member_with_its_sha256(which, request):
    files = request.getfixturevalue(which)["files"]
    package = json.loads(files["datapackage.json"])
    assert package["profile"] == "data-package" and package["wacz_version"] == "1.1.1"
    listed = {r["path"]: r for r in package["resources"]}
    assert set(listed) == set(files) - {"datapackage.json", "datapackage-digest.json"}
    for path, data in files.items():
        if path in listed:
            assert listed[path]["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), path
            assert listed[path]["bytes"] == len(data)
    assert all(path.count("/") == 1 for path in listed)  # one folder deep: py-wacz's rule
    for required in ("indexes/index.cdxj", "pages/pages.jsonl", "evidence/evidence.csv", "evidence/evidence.jsonl",
                     "custody/custody.jsonl", "README/README.txt", "README/SHA256SUMS.txt"):
        assert required in listed
    sums = dict(reversed(line.split("  ", 1)) for line in files["README/SHA256SUMS.txt"].decode().splitlines())
    for path, digest in sums.items():
        assert hashlib.sha256(files[path]).hexdigest() == digest


@pytest.mark.parametrize("which", ["whole", "selected"])
def test_signature_verifies_with_cryptography_alone(which, request, crawled):
    files = request.getfixturevalue(which)["files"]
    digest = json.loads(files["datapackage-digest.json"])
    package_hash = "sha256:" + hashlib.sha256(files["datapackage.json"]).hexdigest()
    assert digest["path"] == "datapackage.json" and digest["hash"] == package_hash
    signed = digest["signedData"]
    assert set(signed) == {"hash", "created", "software", "signature", "publicKey"}
    assert signed["hash"] == package_hash
    assert signed["created"] == json.loads(files["datapackage.json"])["created"]
    spki = base64.b64decode(signed["publicKey"])
    assert "sha256:" + hashlib.sha256(spki).hexdigest() == crawled["fingerprint"]
    key = serialization.load_der_public_key(spki)
    raw = base64.b64decode(signed["signature"])
    assert len(raw) == 64  # r||s, as WebCrypto signs in the spec's anonymous form
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key.verify(der, package_hash.encode(), ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        key.verify(der, ("sha256:" + "0" * 64).encode(), ec.ECDSA(hashes.SHA256()))


@pytest.mark.parametrize("which", ["whole", "selected"])
def test_custody_log_is_the_collections_then_the_bundle(which, request, crawled):
    files = request.getfixturevalue(which)["files"]
    lines = files["custody/custody.jsonl"].decode().splitlines()
    assert check_chain([line.encode() for line in lines]) == []
    events = [json.loads(line) for line in lines]
    # The collection's log (capture events of the crawl) comes first, unchanged.
    with open(os.path.join(crawled["dir"], "custody.jsonl"), encoding="utf-8") as f:
        collection = f.read().splitlines()
    prefix = [line for line in lines if json.loads(line)["event"] not in ("select", "bundle")]
    assert collection[:len(prefix)] == prefix
    captures = {e["what"]["file"]: e["sha256"][e["what"]["file"]] for e in events if e["event"] == "capture"}
    for name in os.listdir(crawled["dir"]):
        if name.endswith(".warc.gz"):
            assert captures[name] == sha256_file(os.path.join(crawled["dir"], name))
            assert any(e["who"]["operator"] == "Bundle Test" for e in events if e["event"] == "capture")
    bundle = events[-1]
    assert bundle["event"] == "bundle" and bundle["what"]["signing_key"] == crawled["fingerprint"]
    for path, digest in bundle["sha256"].items():
        assert hashlib.sha256(files[path]).hexdigest() == digest
    assert {p for p in files if p.startswith("archive/")} <= set(bundle["sha256"])


@pytest.mark.parametrize("which", ["whole", "selected"])
def test_readme_names_the_real_hashes_and_fingerprint(which, request, crawled):
    files = request.getfixturevalue(which)["files"]
    readme = files["README/README.txt"].decode()
    assert crawled["fingerprint"] in readme
    for path, data in files.items():
        if path.startswith(("archive/", "custody/", "indexes/")):
            assert hashlib.sha256(data).hexdigest() in readme, path
    for needle in ("sha256sum -c README/SHA256SUMS.txt", "wacz validate -f", "scrapy verify",
                   "does not prove", "fingerprint"):
        assert needle in readme


def test_whole_bundle_holds_the_collection_files_unchanged(whole, crawled):
    archive = crawled["dir"]
    names = sorted(n for n in os.listdir(archive) if n.endswith(".warc.gz"))
    held = sorted(p[len("archive/"):] for p in whole["files"] if p.startswith("archive/"))
    assert held == names
    for name in names:
        assert hashlib.sha256(whole["files"][f"archive/{name}"]).hexdigest() == sha256_file(os.path.join(archive, name))
    pages = [json.loads(line) for line in whole["files"]["pages/pages.jsonl"].decode().splitlines()]
    assert pages[0] == {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
    assert {p["url"] for p in pages[1:]} >= {crawled["site"].urls["wechat_classic"], crawled["site"].urls["thepaper"]}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", p["ts"]) for p in pages[1:])


def test_selection_records_are_byte_identical_copies(selected, crawled):
    collection = crawled["members"]
    seen = set()
    for path, data in selected["files"].items():
        if not path.startswith("archive/"):
            continue
        members = members_of(data)
        assert members[0]["type"] == "warcinfo"  # each new file opens with its source's warcinfo
        source = collection[members[0]["id"]]["file"]
        for m in members:
            assert m["id"] not in seen, f"{m['id']} twice"
            seen.add(m["id"])
            original = collection.get(m["id"])
            assert original is not None, f"{m['id']} is not in the collection"
            assert original["file"] == source
            assert m["raw"] == original["raw"], f"{m['id']} ({m['uri']}) differs from the collection's bytes"


def test_selection_holds_exactly_the_page_and_what_it_needs(selected, crawled):
    records = {}
    for path, data in selected["files"].items():
        if path.startswith("archive/"):
            records.update({m["id"]: m for m in members_of(data)})
    by_type = lambda t: [m for m in records.values() if m["type"] == t]  # noqa: E731
    url = selected["url"]
    site = crawled["site"]
    pages = [json.loads(line) for line in selected["files"]["pages/pages.jsonl"].decode().splitlines()[1:]]
    page_ids = {p["response_record_id"] for p in pages}
    assert pages and page_ids <= set(records)
    # Capture metadata of the visit, or of another visit that rendered the same response record.
    metadata = [json.loads(m["body"]) for m in by_type("metadata")]
    assert metadata and all(meta["response_record_id"] in page_ids for meta in metadata)
    assert any(meta["url"] == url for meta in metadata)
    page_urls = {url} | {meta["final_url"] for meta in metadata} | \
        {h["url"] for meta in metadata for h in meta["redirect_chain"]}
    # HTTP exchanges; a screenshot or DOM revisit (the same page rendered twice) has no request
    responses = [m for m in records.values() if m["type"] in ("response", "revisit") and m["uri"].startswith("http")]
    # the page itself, its rendered records, tied to the page's response
    for m in by_type("resource") + by_type("metadata"):
        assert m["headers"]["warc-refers-to"] in page_ids
    assert {m["uri"].split(":", 1)[0] for m in by_type("resource")} == {"urn"}
    # every resource the rendered page refers to and that was fetched is held
    doms = [m for m in by_type("resource") if m["uri"].startswith("urn:rendered-dom:")]
    referenced = set()
    for dom in doms:
        referenced |= dom_references(dom["body"].decode("utf-8", "replace"), dom["uri"].split(":", 2)[2])
    fetched = {m["uri"] for m in crawled["members"].values() if m["type"] in ("response", "revisit")}
    held = {m["uri"] for m in responses}
    missing = {u for u in referenced & fetched if u.startswith("http")} - held
    assert not missing, missing
    assert any(u.startswith("https://localhost:") for u in held)  # the cross-origin images
    # every revisit's original and every response's request are held
    revisits = by_type("revisit")
    assert revisits
    for m in revisits:
        assert m["headers"]["warc-refers-to"] in records, m["uri"]
    requests = by_type("request")
    answered = {m["headers"]["warc-concurrent-to"] for m in requests}
    assert {m["id"] for m in responses} <= answered
    assert all(r["headers"]["warc-concurrent-to"] in records for r in requests)
    # nothing unjustified: every response is the page, one of its resources, or an original
    originals = {m["headers"]["warc-refers-to"] for m in revisits}
    request_of = {r["headers"]["warc-concurrent-to"]: r for r in requests}
    for m in responses:
        referer = request_of[m["id"]]["referer"]
        justified = (m["uri"] in page_urls or m["id"] in originals or m["uri"] in referenced
                     or referer in page_urls | held)
        assert justified, f"{m['uri']} (Referer {referer}) has no reason to be in the selection"
    other_pages = {site.urls["thepaper"], site.urls["wechat_tibetan"], site.urls["wechat_classic"]} - page_urls
    assert not {m["uri"] for m in responses} & other_pages


def test_selection_index_pages_and_select_event(selected, crawled):
    files = selected["files"]
    index = files["indexes/index.cdxj"].decode().splitlines()
    names = {p[len("archive/"):] for p in files if p.startswith("archive/")}
    assert index and all(json.loads(line.split(" ", 2)[2])["filename"] in names for line in index)
    pages = [json.loads(line) for line in files["pages/pages.jsonl"].decode().splitlines()[1:]]
    assert [p["url"] for p in pages] == [selected["url"]] * len(pages) and pages
    events = [json.loads(line) for line in files["custody/custody.jsonl"].decode().splitlines()]
    select_event = [e for e in events if e["event"] == "select"][-1]
    assert select_event["what"]["criteria"]["urls"] == [selected["url"]]
    for name, info in select_event["what"]["files"].items():
        source = os.path.join(crawled["dir"], info["source"])
        assert info["source_sha256"] == sha256_file(source)
        with open(source, "rb") as f:  # the byte ranges named in the log are the bundle's bytes
            copied = b""
            for offset, length in info["members"]:
                f.seek(offset)
                copied += f.read(length)
        assert copied == files[f"archive/{name}"]
        assert select_event["sha256"][f"archive/{name}"] == hashlib.sha256(copied).hexdigest()


def test_evidence_files_match_the_store(selected, whole, crawled):
    store_module = pytest.importorskip("pipelines.store")
    if not os.path.exists(store_module.evidence_path(crawled["dir"])):
        pytest.skip("the crawl wrote no evidence store (evidence pipeline off)")
    with store_module.EvidenceStore(crawled["dir"]) as store:
        rows = store.rows()
        captures = store.captures()
    for bundle in (selected, whole):
        files = bundle["files"]
        assert files["evidence/evidence.csv"].decode().splitlines()[0].split(",") == store_module.EVIDENCE_COLUMNS
        ids = set()
        for path, data in files.items():
            if path.startswith("archive/"):
                ids |= {m["id"] for m in members_of(data)}
        expected = [r for r in rows if r["capture_record_id"] in ids]
        got = [json.loads(line) for line in files["evidence/evidence.jsonl"].decode().splitlines()]
        assert [g["statement_id"] for g in got] == [r["statement_id"] for r in expected]
        assert len(files["evidence/evidence.csv"].decode().splitlines()) == len(expected) + 1
        texts = {c["capture_record_id"]: c["body_text"] for c in captures}
        for page in [json.loads(line) for line in files["pages/pages.jsonl"].decode().splitlines()[1:]]:
            if page["response_record_id"] in texts:
                assert page["text"] == texts[page["response_record_id"]]
    assert len([json.loads(line) for line in whole["files"]["evidence/evidence.jsonl"].decode().splitlines()]) \
        == len(rows) > 0


def test_bundling_never_modifies_the_collection(whole, selected, crawled):
    assert snapshot(crawled["dir"]) == crawled["before"]
    with open(os.path.join(crawled["dir"], "custody.jsonl"), encoding="utf-8") as f:
        events = [json.loads(line) for line in f]
    exports = [e for e in events if e["event"] == "export"]
    for bundle in (whole, selected):
        name = os.path.basename(bundle["path"])
        assert any(e["sha256"].get(name) == sha256_file(bundle["path"]) for e in exports)


def test_period_selection_holds_every_record_of_the_period(crawled, tmp_path):
    members = crawled["members"]
    dates = sorted({parse_time(m["headers"]["warc-date"]).replace(microsecond=0)
                    for m in members.values() if m["type"] == "response"})
    start = dates[len(dates) // 2]
    end = start + timedelta(seconds=1)
    since, until = (d.strftime("%Y-%m-%dT%H:%M:%SZ") for d in (start, end))
    out = str(tmp_path / "period.wacz")
    result = scrapy("bundle", "-o", out, "--since", since, "--until", until, archive=crawled["dir"])
    assert result.returncode == 0, result.stdout
    assert wacz_validate(out).returncode == 0
    files = read_bundle(out)
    held = {}
    for path, data in files.items():
        if path.startswith("archive/"):
            held.update({m["id"]: m for m in members_of(data)})
    in_period = {i for i, m in members.items() if m["type"] != "warcinfo"
                 and start <= parse_time(m["headers"]["warc-date"]) <= end}
    assert in_period and in_period <= set(held)
    for rid, m in held.items():
        assert m["raw"] == members[rid]["raw"]
        if m["type"] == "revisit":
            assert m["headers"]["warc-refers-to"] in held
    for line in files["evidence/evidence.jsonl"].decode().splitlines():
        row = json.loads(line)
        assert row["capture_record_id"] in held and row["warc_record_id"] in held


def test_our_verifier_accepts_both_bundles(whole, selected, crawled):
    pytest.importorskip("crawler.bundle.verify")
    for bundle in (whole, selected):
        result = subprocess.run([os.path.join(os.path.dirname(SCRAPY), "python"), "-m", "crawler.bundle.verify",
                                 bundle["path"], "--key", crawled["fingerprint"]],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


# --- refusals, one line each ---------------------------------------------------------------

def test_existing_output_is_refused_unless_forced(whole, crawled):
    before = sha256_file(whole["path"])
    again = scrapy("bundle", "-o", whole["path"], archive=crawled["dir"])
    assert again.returncode == 1 and "exists; use --force" in again.stdout
    assert again.stdout.strip().count("\n") == 0
    assert sha256_file(whole["path"]) == before
    forced = scrapy("bundle", "-o", whole["path"], "--force", archive=crawled["dir"])
    assert forced.returncode == 0, forced.stdout
    assert wacz_validate(whole["path"]).returncode == 0
    assert not [n for n in os.listdir(os.path.dirname(whole["path"])) if n.endswith(".tmp")]


def test_a_running_crawl_is_not_bundled_under(crawled, tmp_path):
    from crawler.capture.lock import shared

    with shared(crawled["dir"], "collection"):  # what a crawl holds while it runs
        result = scrapy("bundle", "-o", str(tmp_path / "busy.wacz"), archive=crawled["dir"])
    assert result.returncode == 1
    assert "collection.lock is held" in result.stdout and result.stdout.strip().count("\n") == 0
    assert not os.path.exists(tmp_path / "busy.wacz")


def test_unknown_url_is_one_line(crawled):
    out = str(crawled["base"] / "nothing.wacz")
    result = scrapy("bundle", "-o", out, "--url", "https://127.0.0.1:1/never", archive=crawled["dir"])
    assert result.returncode == 1
    assert result.stdout.strip() == f"bundle: no capture of https://127.0.0.1:1/never in {crawled['dir']} " \
                                    "(see `scrapy captures`)"
    assert not os.path.exists(out)


def test_missing_key_is_created_and_announced(crawled, tmp_path):
    key = tmp_path / "elsewhere" / "key.pem"
    out = str(tmp_path / "b.wacz")
    result = subprocess.run([SCRAPY, "bundle", "-o", out, "--url", crawled["site"].urls["thepaper"],
                             "-s", f"ARCHIVE_DIR={crawled['dir']}", "-s", f"BUNDLE_SIGNING_KEY={key}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout
    assert f"created {key}" in result.stdout and "fingerprint is sha256:" in result.stdout
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    fp = re.search(r"fingerprint is (sha256:[0-9a-f]{64})", result.stdout).group(1)
    assert fp != crawled["fingerprint"]
    with zipfile.ZipFile(out) as z:
        spki = base64.b64decode(json.loads(z.read("datapackage-digest.json"))["signedData"]["publicKey"])
    assert "sha256:" + hashlib.sha256(spki).hexdigest() == fp


def test_a_changed_warc_file_stops_the_bundle(crawled, tmp_path):
    copy = str(tmp_path / "collection")
    shutil.copytree(crawled["dir"], copy)
    victim = sorted(n for n in os.listdir(copy) if n.endswith(".warc.gz"))[0]
    with open(os.path.join(copy, victim), "ab") as f:
        f.write(b"\x00")
    out = str(tmp_path / "tampered.wacz")
    result = scrapy("bundle", "-o", out, archive=copy)
    assert result.returncode == 1
    assert victim in result.stdout and "changed after it was logged" in result.stdout
    assert not os.path.exists(out)


# --- RFC 3161 -------------------------------------------------------------------------------

def test_timestamped_bundle_verifies_with_openssl_against_the_test_ca(crawled, tmp_path):
    other_ca, _ = make_ca_and_tsa(str(tmp_path / "other"), "Other")
    with LocalTSA(str(tmp_path / "tsa")) as tsa:
        out = str(tmp_path / "stamped.wacz")
        result = subprocess.run([SCRAPY, "bundle", "-o", out, "--url", crawled["site"].urls["wechat_tibetan"],
                                 "-s", f"ARCHIVE_DIR={crawled['dir']}", "-s", f"BUNDLE_TSA_URL={tsa.url}",
                                 "-s", f"BUNDLE_TSA_CA={tsa.ca_file}"],
                                cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        assert tsa.requests == 1
    assert wacz_validate(out).returncode == 0
    with zipfile.ZipFile(out) as z:
        signed = json.loads(z.read("datapackage-digest.json"))["signedData"]
    assert set(signed) == {"hash", "created", "software", "signature", "publicKey", "timeSignature", "timestampCert"}
    (tmp_path / "signature.txt").write_bytes(signed["signature"].encode("ascii"))
    token = base64.b64decode(signed["timeSignature"])
    (tmp_path / "timestamp.tsr").write_bytes(token)
    done = subprocess.run(["openssl", "ts", "-verify", "-in", "timestamp.tsr", "-data", "signature.txt",
                           "-CAfile", tsa.ca_file], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr
    assert verify_token(token, signed["signature"].encode("ascii"), tsa.ca_file)[0] == "valid"
    assert verify_token(token, signed["signature"].encode("ascii"), other_ca)[0] == "invalid"
    assert "BEGIN CERTIFICATE" in signed["timestampCert"]
    with zipfile.ZipFile(out) as z:
        assert "RFC 3161 timestamp" in z.read("README/README.txt").decode()


def test_unreachable_tsa_stops_the_bundle(crawled, tmp_path):
    out = str(tmp_path / "nots.wacz")
    result = subprocess.run([SCRAPY, "bundle", "-o", out, "--url", crawled["site"].urls["thepaper"],
                             "-s", f"ARCHIVE_DIR={crawled['dir']}", "-s", "BUNDLE_TSA_URL=http://127.0.0.1:9/tsa"],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1
    assert "not reachable" in result.stdout.strip().splitlines()[-1]
    assert "Traceback" not in result.stdout + result.stderr
    assert not os.path.exists(out)
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp") or n.startswith(".bundle-")]
