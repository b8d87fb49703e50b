"""Writing an evidence bundle: a signed WACZ of the whole collection or of a selection.

Members, in the order written (every one ZIP_STORED, hashed while written):

    archive/*.warc.gz          the collection's files as they are, or the selection's new files
    indexes/index.cdxj         CDXJ over archive/ (cdxj-indexer, as the collection's index)
    pages/pages.jsonl          the page visits held (url, ts, title, text from the evidence store)
    evidence/evidence.csv      the evidence rows of the captures held (+ evidence.jsonl)
    custody/custody.jsonl      the collection's custody log, verbatim, + "select" and "bundle" events
    README/SHA256SUMS.txt      sha256sum -c input for everything above
    README/README.txt          plain language, for lawyers (lawyers_readme.py)
    datapackage.json           every member above: path, bytes, sha256
    datapackage-digest.json    SHA-256 of datapackage.json, signed (signing.py), optionally timestamped

Every file lives one folder deep: py-wacz's validator names files by their
last two path components, so a file at the zip root fails its check.

Before anything is written, every whole-collection WARC file (or, for a
selection, every source file) is hashed and compared with its "capture"
event in the custody log: a file that changed after the crawl logged it
stops the bundle. The bundle is written to a temporary file beside the
output and renamed into place; the collection is only read, except for two
appends to its custody log (capture events the crawls had not written yet,
and one "export" event naming the finished bundle and its SHA-256).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import heapq
import io
import json
import os
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass, field

from crawler import SOFTWARE, __version__
from crawler.bundle import lawyers_readme
from crawler.bundle.keys import fingerprint
from crawler.bundle.select import Collection, Selection, SelectionError, parse_time, write_selection
from crawler.bundle.signing import created_now, sign_digest
from crawler.capture.index import BY_FILE_DIR, MANIFEST, _Indexer, check_gzip_members
from crawler.capture.lock import exclusive
from crawler.custody import (COLLECTION_LOG, CustodyError, CustodyLog, canonical, describe_warc, line_hash,
                             log_new_captures, sha256_file)

_CHUNK = 1 << 20
ZIP64_LIMIT = 1 << 31  # above this a member needs ZIP64 sizes from the start
ZIP_COMMENT = b"bioarchive evidence bundle (WACZ). Start with README/README.txt."
PAGES_HEADER = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}


class BundleError(RuntimeError):
    """The bundle cannot be made; one line naming the file, URL or record."""


@dataclass
class Member:
    path: str
    bytes: int
    sha256: str  # hex

    def resource(self) -> dict:
        # "type": "file": frictionless (inside `wacz validate`) then checks bytes and hash only. Otherwise
        # it parses .csv/.jsonl as tables and fails a bundle on its data (an empty evidence.jsonl, a
        # column whose type it guessed from the first rows).
        return {"name": os.path.basename(self.path).lower(), "path": self.path, "type": "file",
                "hash": "sha256:" + self.sha256, "bytes": self.bytes}


@dataclass
class BundleOptions:
    operator: str = ""
    contact: str = ""
    actor: dict | None = None  # custody "who"; built from operator/contact when None
    tsa_url: str = ""
    tsa_ca: str = ""
    tsa_timeout: float = 30
    force: bool = False
    lock_timeout: float | None = 0
    title: str = ""


@dataclass
class BundleResult:
    path: str
    bytes: int
    sha256: str
    members: list[Member]
    fingerprint: str
    created: str
    datapackage_hash: str
    timestamped: bool
    pages: int
    records: int
    evidence_rows: int
    index_lines: int = 0
    bundle_event: str = ""  # line hash of the "bundle" event in the bundle's custody log
    notes: list[str] = field(default_factory=list)


class _ZipWriter:
    """Stored members only; each hashed and sized as it goes in."""

    def __init__(self, fileobj):
        self.zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True)
        self.members: list[Member] = []
        self._date = time.gmtime()[:6]

    def _info(self, path: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, self._date)
        info.compress_type = zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        return info

    def add_file(self, path: str, source: str, expect_sha256: str | None = None) -> Member:
        size = os.path.getsize(source)
        digest, written = hashlib.sha256(), 0
        with open(source, "rb") as src, self.zip.open(self._info(path), "w", force_zip64=size >= ZIP64_LIMIT) as dst:
            for chunk in iter(lambda: src.read(_CHUNK), b""):
                dst.write(chunk)
                digest.update(chunk)
                written += len(chunk)
        member = Member(path, written, digest.hexdigest())
        if expect_sha256 and member.sha256 != expect_sha256:
            raise BundleError(f"{source} changed while being bundled (SHA-256 differs from the one just checked)")
        self.members.append(member)
        return member

    def add_bytes(self, path: str, data: bytes) -> Member:
        self.zip.writestr(self._info(path), data)
        member = Member(path, len(data), hashlib.sha256(data).hexdigest())
        self.members.append(member)
        return member

    def close(self, comment: bytes = ZIP_COMMENT) -> None:
        self.zip.comment = comment
        self.zip.close()


def build_bundle(archive_dir: str, output: str, selection: Selection, key, options: BundleOptions,
                 log=lambda message: None) -> BundleResult:
    """Write ``output`` (a .wacz); ``key`` is the ECDSA private key that signs it."""
    archive_dir = os.path.abspath(archive_dir)
    output = os.path.abspath(output)
    out_dir = os.path.dirname(output)
    if not os.path.isdir(out_dir):
        raise BundleError(f"output directory {out_dir} does not exist")
    if os.path.exists(output) and not options.force:
        raise BundleError(f"{output} exists; use --force to replace it")
    actor = options.actor or _actor(options)
    with exclusive(archive_dir, "collection", options.lock_timeout):
        # Files the crawls did not log (a shared warcprox closes them later) are logged now.
        added = log_new_captures(archive_dir, actor, recorded_by="bundle")
        if added:
            log(f"custody: logged {len(added)} WARC file(s) no crawl had logged yet")
        work = tempfile.mkdtemp(prefix=".bundle-", dir=out_dir)
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(output) + ".", suffix=".tmp", dir=out_dir)
        try:
            with os.fdopen(fd, "wb") as fh:
                result = _write(archive_dir, output, selection, key, options, actor, work, fh, log)
                fh.flush()
                os.fsync(fh.fileno())
            if options.force:
                os.replace(tmp, output)
            else:
                try:
                    os.link(tmp, output)  # fails if the output appeared meanwhile: never overwrite
                except FileExistsError:
                    raise BundleError(f"{output} appeared while bundling; use --force to replace it") from None
                os.remove(tmp)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
            shutil.rmtree(work, ignore_errors=True)
        result.sha256, result.bytes = sha256_file(output)
        try:
            CustodyLog(os.path.join(archive_dir, COLLECTION_LOG)).append(
                "export",
                {"bundle": os.path.basename(output), "bytes": result.bytes, "members": len(result.members),
                 "criteria": selection.criteria, "signing_key": result.fingerprint,
                 "datapackage_hash": result.datapackage_hash, "bundle_event": result.bundle_event,
                 "timestamped": result.timestamped},
                {os.path.basename(output): result.sha256}, who=actor)
        except CustodyError as e:  # the bundle is complete and valid; only the collection's record of it is missing
            result.notes.append(f"bundle written, but the collection's custody log was not updated: {e}")
    return result


def _actor(options: BundleOptions) -> dict:
    from crawler.custody import actor

    return actor(options.operator, options.contact)


def _write(archive_dir, output, selection, key, options, actor, work, fh, log) -> BundleResult:
    zw = _ZipWriter(fh)
    try:
        return _write_members(zw, archive_dir, output, selection, key, options, actor, work, log)
    except BaseException:
        try:  # finish the (discarded) zip now, not in ZipFile.__del__ after its file is closed
            zw.zip.close()
        except Exception:
            pass
        raise


def _write_members(zw, archive_dir, output, selection, key, options, actor, work, log) -> BundleResult:
    custody = CustodyLog(os.path.join(archive_dir, COLLECTION_LOG))
    logged = _logged_hashes(custody)
    notes = list(selection.notes)
    sources: dict[str, str] = {}

    # 1. archive/
    if selection.whole:
        warcs = [(name, os.path.join(archive_dir, name)) for name in selection.files]
        records = 0
        for name, path in warcs:
            digest, size, count = describe_warc(path)
            _check_against_custody(name, digest, logged)
            records += count
            zw.add_file(f"archive/{name}", path, expect_sha256=digest)
        select_event = None
    else:
        source_hashes = {}
        for source in sorted({r.warc_filename for r in selection.records.values()}):
            digest, _size = sha256_file(os.path.join(archive_dir, source))
            _check_against_custody(source, digest, logged)
            source_hashes[source] = digest
        try:
            files = write_selection(selection, archive_dir, work)
        except SelectionError as e:
            raise BundleError(str(e)) from None
        warcs = [(f.name, f.path) for f in files]
        records = sum(f.records for f in files)
        for f in files:
            zw.add_file(f"archive/{f.name}", f.path, expect_sha256=f.sha256)
            sources[f.name] = f.source
        select_event = {
            "criteria": selection.criteria,
            "visits": [{"visit_id": v.visit_id, "url": v.url, "visited_at": v.visited_at} for v in selection.visits],
            "records": records,
            "files": {f.name: {"source": f.source, "source_sha256": source_hashes[f.source], "records": f.records,
                               "bytes": f.bytes, "members": [list(m) for m in f.members]} for f in files},
        }
        select_hashes = {f"archive/{f.name}": f.sha256 for f in files}
    log(f"archive: {len(warcs)} WARC file(s), {records} records")

    # 2. indexes/index.cdxj
    index_path = os.path.join(work, "index.cdxj")
    index_lines = build_cdxj(archive_dir, warcs, selection.whole, index_path)
    zw.add_file("indexes/index.cdxj", index_path)

    # 3. pages/pages.jsonl
    bodies, evidence_rows, evidence_available = _evidence(archive_dir, selection)
    pages = _pages(archive_dir, selection, bodies)
    zw.add_bytes("pages/pages.jsonl", b"".join(
        json.dumps(p, ensure_ascii=False).encode("utf-8") + b"\n" for p in [PAGES_HEADER, *pages]))

    # 4. evidence/
    csv_bytes, jsonl_bytes = _evidence_files(evidence_rows)
    zw.add_bytes("evidence/evidence.csv", csv_bytes)
    zw.add_bytes("evidence/evidence.jsonl", jsonl_bytes)
    if not evidence_available:
        notes.append("no evidence store in the collection: the evidence files hold only their header")

    # 5. custody/custody.jsonl: the collection log verbatim, then this bundle's events
    custody_path = os.path.join(work, "custody.jsonl")
    if os.path.exists(custody.path):
        shutil.copyfile(custody.path, custody_path)
    else:
        open(custody_path, "wb").close()
    bundle_log = CustodyLog(custody_path)
    if select_event is not None:
        bundle_log.append("select", select_event, select_hashes, who=actor)
    key_fp = fingerprint(key)
    bundle_event = bundle_log.append("bundle", {
        "bundle": os.path.basename(output), "whole_collection": selection.whole, "criteria": selection.criteria,
        "records": records, "pages": len(pages), "evidence_rows": len(evidence_rows), "signing_key": key_fp,
        "timestamp_authority": options.tsa_url or None, "notes": notes,
    }, {m.path: m.sha256 for m in zw.members}, who=actor)
    zw.add_file("custody/custody.jsonl", custody_path)
    custody_events = sum(1 for _ in bundle_log.lines())

    # 6. README/: checksums, then the text (which quotes them)
    sums = "".join(f"{m.sha256}  {m.path}\n" for m in zw.members).encode("ascii")
    readme_members = [(m.path, m.bytes, m.sha256) for m in zw.members]
    zw.add_bytes("README/SHA256SUMS.txt", sums)
    created = created_now()
    facts = lawyers_readme.ReadmeFacts(
        bundle_name=os.path.basename(output), created=created, tool=f"{SOFTWARE} {__version__}",
        operator=actor.get("operator", ""), contact=actor.get("contact", ""), host=actor.get("host", ""),
        user=actor.get("user", ""), whole_collection=selection.whole, criteria=selection.criteria,
        fingerprint=key_fp, pages=pages, members=readme_members, warc_records=records, sources=sources,
        evidence_rows=len(evidence_rows), evidence_available=evidence_available, custody_events=custody_events,
        timestamp_url=options.tsa_url or None, notes=notes)
    zw.add_bytes("README/README.txt", lawyers_readme.render(facts).encode("utf-8"))

    # 7. datapackage.json + datapackage-digest.json
    package = {
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "title": options.title or _title(selection),
        "description": "Evidence bundle: captured web pages with their evidence table and chain of custody. "
                       "See README/README.txt.",
        "created": created,
        "software": f"{SOFTWARE} {__version__}",
        "resources": [m.resource() for m in zw.members],
    }
    if not selection.whole and len(selection.criteria.get("urls") or []) == 1 and pages:
        package["mainPageURL"] = pages[0]["url"]
        package["mainPageDate"] = pages[0]["ts"]
    package_bytes = json.dumps(package, indent=2, ensure_ascii=False).encode("utf-8")
    package_hash = "sha256:" + hashlib.sha256(package_bytes).hexdigest()
    signed = sign_digest(key, package_hash, created=created)
    if options.tsa_url:
        signed.update(_timestamp(signed["signature"], options))
        log(f"timestamp: granted by {options.tsa_url}")
    digest_doc = {"path": "datapackage.json", "hash": package_hash, "signedData": signed}
    zw.zip.writestr(zw._info("datapackage.json"), package_bytes)
    zw.zip.writestr(zw._info("datapackage-digest.json"), json.dumps(digest_doc, indent=2).encode("utf-8"))
    zw.close()
    return BundleResult(path=output, bytes=0, sha256="", members=zw.members, fingerprint=key_fp, created=created,
                        datapackage_hash=package_hash, timestamped=bool(options.tsa_url), pages=len(pages),
                        records=records, evidence_rows=len(evidence_rows), index_lines=index_lines,
                        bundle_event=line_hash(canonical(bundle_event)), notes=notes)


def _title(selection: Selection) -> str:
    if selection.whole:
        return "bioarchive evidence bundle: whole collection"
    parts = list(selection.criteria.get("urls") or [])
    if selection.criteria.get("since") or selection.criteria.get("until"):
        parts.append(f"{selection.criteria.get('since') or '…'} to {selection.criteria.get('until') or '…'}")
    return "bioarchive evidence bundle: " + "; ".join(parts)


def _logged_hashes(custody: CustodyLog) -> dict[str, tuple[int, str]]:
    """{WARC file name: (seq, sha256)} from the collection's capture events."""
    found = {}
    for event in custody.events():
        if event.get("event") == "capture" and isinstance(event.get("sha256"), dict):
            for name, digest in event["sha256"].items():
                found[name] = (event.get("seq"), digest)
    return found


def _check_against_custody(name: str, digest: str, logged: dict) -> None:
    if name not in logged:
        raise BundleError(f"{name} has no capture event in the custody log; not bundled")
    seq, expected = logged[name]
    if expected != digest:
        raise BundleError(f"{name}: SHA-256 {digest} differs from the custody log's capture event "
                          f"(line {seq + 1 if isinstance(seq, int) else '?'}: {expected}): the file changed after it "
                          "was logged")


# --- index ----------------------------------------------------------------------------

def build_cdxj(archive_dir: str, warcs: list[tuple[str, str]], reuse: bool, out_path: str) -> int:
    """Sorted CDXJ over ``warcs`` [(name in archive/, path)]; reuses the collection's per-file
    indexes when the file is unchanged since they were made (whole-collection bundles)."""
    manifest = {}
    if reuse:
        try:
            with open(os.path.join(archive_dir, BY_FILE_DIR, MANIFEST), encoding="utf-8") as f:
                manifest = json.load(f)
        except (OSError, ValueError):
            manifest = {}
    parts = []
    for name, path in warcs:
        cached = os.path.join(archive_dir, BY_FILE_DIR, name + ".cdxj")
        entry = manifest.get(name, {})
        st = os.stat(path)
        if (reuse and not entry.get("error") and entry.get("size") == st.st_size
                and entry.get("mtime_ns") == st.st_mtime_ns and os.path.exists(cached)):
            parts.append(cached)
            continue
        part = os.path.join(os.path.dirname(out_path), name + ".cdxj")
        _index_one(path, name, part)
        parts.append(part)
    files = [open(p, encoding="utf-8") for p in parts]
    count = 0
    try:
        with open(out_path, "w", encoding="utf-8") as out:
            for line in heapq.merge(*files):
                out.write(line)
                count += 1
    finally:
        for f in files:
            f.close()
    return count


def _index_one(path: str, name: str, out_path: str) -> None:
    with open(path, "rb") as warc, open(out_path, "w", encoding="utf-8") as out:
        if name.endswith(".gz"):
            try:
                check_gzip_members(warc)
            except (ValueError, EOFError) as e:
                raise BundleError(f"{path}: {e}") from None
            warc.seek(0)
        try:
            _Indexer(out, [warc], filename=name, sort=True, post_append=True).process_all()
        except (ValueError, KeyError, IndexError, UnicodeError):
            warc.seek(0)  # an unparsable POST body: index without folding it, as the collection does
            out.seek(0)
            out.truncate()
            _Indexer(out, [warc], filename=name, sort=True).process_all()


# --- pages and evidence ------------------------------------------------------------------

def _rfc3339(date: str | None) -> str | None:
    if not date:
        return None
    moment = parse_time(date)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond:06d}".rstrip("0")
    return text + "Z"


def _pages(archive_dir: str, selection: Selection, bodies: dict[str, str]) -> list[dict]:
    if not selection.visits:
        return []
    coll = Collection(archive_dir)
    try:
        pages = []
        for visit in selection.visits:
            ref = coll.get(visit.response_record_id)
            page = {
                "id": f"visit-{visit.visit_id}",
                "url": visit.url,
                "ts": _rfc3339(ref.warc_date if ref else visit.visited_at),
                "title": visit.title or "",
            }
            text = bodies.get(visit.response_record_id)
            if text:
                page["text"] = text
            page.update({"final_url": visit.final_url, "status": visit.status, "source_type": visit.source_type,
                         "response_record_id": visit.response_record_id})
            pages.append(page)
        return pages
    finally:
        coll.close()


def _evidence(archive_dir: str, selection: Selection) -> tuple[dict[str, str], list[dict], bool]:
    """(body text by capture record id, evidence rows of the captures held, store available)."""
    try:
        from pipelines.store import EvidenceStore, evidence_path
    except ImportError:
        return {}, [], False
    if not os.path.exists(evidence_path(archive_dir)):
        return {}, [], False
    held = None if selection.whole else selection.record_ids()
    with EvidenceStore(archive_dir) as store:
        captures = store.captures()
        rows = store.rows()
    bodies = {c["capture_record_id"]: c.get("body_text") or "" for c in captures
              if held is None or c["capture_record_id"] in held}
    # A row is held when its capture and the record its text was read from are both in the bundle.
    rows = [r for r in rows if held is None or
            (r.get("capture_record_id") in held and r.get("warc_record_id") in held)]
    return bodies, rows, True


def _evidence_files(rows: list[dict]) -> tuple[bytes, bytes]:
    """CSV and JSONL exactly as ``scrapy evidence --format csv|jsonl`` writes them."""
    try:
        from pipelines.store import EVIDENCE_COLUMNS
    except ImportError:  # no evidence pipeline in this checkout: the README says so
        return b"", b""
    out_csv, out_jsonl = io.StringIO(newline=""), io.StringIO()
    try:
        from crawler.commands.evidence import write_rows
    except ImportError:
        csv.writer(out_csv, lineterminator="\n").writerow(EVIDENCE_COLUMNS)
        return out_csv.getvalue().encode("utf-8"), b""
    write_rows(rows, EVIDENCE_COLUMNS, "csv", out_csv)
    write_rows(rows, EVIDENCE_COLUMNS, "jsonl", out_jsonl)
    return out_csv.getvalue().encode("utf-8"), out_jsonl.getvalue().encode("utf-8")


def _timestamp(signature: str, options: BundleOptions) -> dict:
    from crawler.bundle.timestamp import TimestampError, request_token, token_certs_pem

    try:
        token = request_token(options.tsa_url, signature.encode("ascii"), timeout=options.tsa_timeout,
                              ca_file=options.tsa_ca or None)
    except TimestampError as e:
        raise BundleError(f"{e} (unset BUNDLE_TSA_URL to bundle without a timestamp)") from None
    extra = {"timeSignature": base64.b64encode(token).decode("ascii")}
    certs = token_certs_pem(token)
    if certs:
        extra["timestampCert"] = certs
    return extra
