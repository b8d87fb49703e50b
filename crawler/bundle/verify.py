"""Verify a WACZ evidence bundle offline, streaming: ``verify_bundle(path) -> Report``.

Every check of docs/evidence.md "What verify must check", in one read of
the zip: each stored member is read once, and while a WARC member is read its
bytes go both into the member's SHA-256 (the manifest check) and through
warcio's ArchiveIterator (block and payload digests of every record). Only
per-record metadata (ids, references, offsets, digests) is kept, in a
temporary SQLite file, so memory stays flat whatever the bundle's size; the
reference, index and page checks are then joins over that table.

Payload digests follow the WARC 1.1 reading: the HTTP entity body with the
transfer encoding removed (a chunked body is de-chunked, content encoding
kept). A digest over the raw chunked bytes is accepted too, and the report
says how many records matched under each convention.

Exit codes (``Report.exit_code``): 0 valid, 1 invalid (any check failed),
2 could not be verified offline (e.g. a timestamp token and no trust store)
and nothing invalid.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import hashlib
import json
import os
import re
import sqlite3
import sys
import tempfile
import zipfile
import zlib
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed

from crawler.capture.digests import check_record, parse_labelled

MANIFEST = "datapackage.json"
DIGEST_FILE = "datapackage-digest.json"
CUSTODY = "custody/custody.jsonl"
EVIDENCE = "evidence/evidence.jsonl"
WARC_SUFFIXES = (".warc.gz", ".warc")
INDEX_SUFFIXES = (".cdxj", ".cdx", ".cdxj.gz", ".cdx.gz")

_READ = 1 << 20
_WARC_BLOCK = 1 << 16  # compressed bytes per read in ArchiveIterator (bounds the inflated buffer)
_SMALL_MEMBER_LIMIT = 256 << 20  # datapackage*.json are read whole: refuse absurd ones
_MAX_FINDINGS = 200  # per check; the rest are counted, not kept
# Record digests: these algorithms are accepted; a manifest must be SHA-256.
_RECORD_ALGOS = {"sha1", "sha256", "sha384", "sha512"}
# Records that carry captured content must say what their payload's digest is.
_PAYLOAD_REQUIRED = {"response", "revisit", "resource", "conversion"}
_PAGE_RECORD_TYPES = ("response", "revisit", "resource")
PAGE_TS_TOLERANCE = 300  # seconds between a pages.jsonl ts and the nearest capture of its URL

CHECKS = {
    "zip": "the file is a readable zip; members stored",
    "manifest": "the zip holds exactly the files datapackage.json lists; sizes and SHA-256 match",
    "digest": "datapackage-digest.json holds the SHA-256 of datapackage.json",
    "signature": "the signature over that hash is valid for the embedded (or --key) public key",
    "timestamp": "RFC 3161 timestamp token over the signature",
    "records": "every WARC record: framing, required headers, block and payload digests recomputed",
    "record-ids": "WARC-Record-IDs are unique",
    "references": "every Concurrent-To / Refers-To / Warcinfo-ID resolves; every revisit's original is inside",
    "index": "every CDXJ line points at a real record (file, offset, length, digest, URL, date)",
    "pages": "every pages.jsonl entry points at a capture of its URL at its ts",
    "evidence": "every evidence row's records (warc_record_id, capture_record_id) are inside, with that digest",
    "custody": "the custody log's hash chain is unbroken and its bundle event matches the files",
}
_ORDER = list(CHECKS)


class _FileStopped(Exception):
    """A WARC cannot be read past a record (already reported): go on with the next file."""


class BundleUnreadable(Exception):
    """The file is not a zip at all (or is truncated): one line, exit 1."""


# --------------------------------------------------------------------------- report
@dataclass
class Finding:
    status: str  # "fail" | "unverifiable" | "warn"
    message: str
    file: str | None = None  # zip member
    url: str | None = None
    record_id: str | None = None
    offset: int | None = None
    line: int | None = None

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f" line {self.line}" if self.line else "")
                         + (f" @{self.offset}" if self.offset is not None else ""))
        if self.url:
            parts.append(self.url)
        if self.record_id:
            parts.append(self.record_id)
        return " ".join(parts)


@dataclass
class Check:
    name: str
    status: str = "pass"  # pass | fail | unverifiable | warn | none (nothing to check)
    summary: str = ""
    findings: list[Finding] = field(default_factory=list)
    more: int = 0  # findings counted but not kept

    def add(self, finding: Finding) -> None:
        rank = {"warn": 1, "unverifiable": 2, "fail": 3}
        if rank[finding.status] > rank.get(self.status, 0):
            self.status = finding.status
        if len(self.findings) < _MAX_FINDINGS:
            self.findings.append(finding)
        else:
            self.more += 1

    @property
    def failures(self) -> int:
        return sum(f.status == "fail" for f in self.findings) + self.more


@dataclass
class Report:
    path: str
    size: int = 0
    members: int = 0
    checks: dict[str, Check] = field(default_factory=lambda: {n: Check(n) for n in _ORDER})
    fatal: str | None = None  # not a zip / unreadable: nothing else was checked
    payload_convention: str = ("HTTP payload digests are checked over the entity body with transfer "
                               "encoding removed (de-chunked convention)")

    def fail(self, check: str, message: str, **where) -> None:
        self.checks[check].add(Finding("fail", message, **where))

    def warn(self, check: str, message: str, **where) -> None:
        self.checks[check].add(Finding("warn", message, **where))

    def unverifiable(self, check: str, message: str, **where) -> None:
        self.checks[check].add(Finding("unverifiable", message, **where))

    @property
    def verdict(self) -> str:
        if self.fatal or any(c.status == "fail" for c in self.checks.values()):
            return "invalid"
        if any(c.status == "unverifiable" for c in self.checks.values()):
            return "unverifiable"
        return "valid"

    @property
    def exit_code(self) -> int:
        return {"valid": 0, "invalid": 1, "unverifiable": 2}[self.verdict]

    def verdict_line(self) -> str:
        name = os.path.basename(self.path)
        if self.fatal:
            return f"INVALID: {self.fatal}"
        if self.verdict == "valid":
            warned = [n for n, c in self.checks.items() if c.status == "warn"]
            return f"VALID: {name}: every check passed" + (f" (warnings: {', '.join(warned)})" if warned else "")
        failed = {n: c.failures for n, c in self.checks.items() if c.status == "fail"}
        if failed:
            counts = ", ".join(f"{n} {k}" for n, k in failed.items())
            total = sum(failed.values())
            return f"INVALID: {name}: {total} problem{'s' * (total != 1)} ({counts})"
        open_ = [n for n, c in self.checks.items() if c.status == "unverifiable"]
        return f"NOT VERIFIABLE OFFLINE: {name}: nothing invalid, but {', '.join(open_)} could not be checked here"

    def lines(self) -> list[str]:
        if self.fatal:
            return [self.verdict_line()]
        out = [f"Verifying {self.path} ({self.size:,} bytes, {self.members} zip members)"]
        label = {"pass": "ok", "fail": "FAIL", "unverifiable": "OPEN", "warn": "warn", "none": "--"}
        for check in self.checks.values():
            out.append(f"  {label[check.status]:<5} {check.name:<11} {check.summary}")
            for f in check.findings:
                where = f.where()
                out.append(f"        {label[f.status]:<5} {where + ': ' if where else ''}{f.message}")
            if check.more:
                out.append(f"        ... and {check.more} more")
        out.append(self.payload_convention + ".")
        out.append(self.verdict_line())
        return out

    def to_json(self) -> dict:
        return {
            "file": self.path,
            "bytes": self.size,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "message": self.verdict_line(),
            "payload_digest_convention": "de-chunked",
            "checks": [
                {"name": c.name, "checks": CHECKS[c.name], "status": c.status, "summary": c.summary,
                 "findings": [{k: v for k, v in asdict(f).items() if v is not None} for f in c.findings],
                 "more_findings": c.more}
                for c in self.checks.values() if not self.fatal  # nothing was checked
            ],
            **({"error": self.fatal} if self.fatal else {}),
        }


# --------------------------------------------------------------------------- streaming
class HashingReader:
    """Read-through wrapper: every byte read also goes into SHA-256 and a byte count."""

    def __init__(self, raw):
        self.raw = raw
        self.sha256 = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.raw.readline(limit)
        self.sha256.update(data)
        self.size += len(data)
        return data

    def __iter__(self):
        return iter(self.readline, b"")

    def tell(self) -> int:
        return self.size

    def drain(self) -> None:
        while self.read(_READ):
            pass

    def hexdigest(self) -> str:
        return self.sha256.hexdigest()


class _StrictReader(DecompressingBufferedReader):
    """warcio's reader prints gzip errors and carries on with a short block; here they are errors.

    Only the very first bytes of the file may fail to inflate: that is how
    warcio recognises an uncompressed WARC.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.started = False

    def _decompress(self, data):
        if self.decompressor is None or not data:
            return data
        if not self.started:
            self.started = True
            return super()._decompress(data)
        try:
            return self.decompressor.decompress(data)
        except zlib.error as e:
            raise ValueError(f"corrupt gzip data: {e}") from None


class _RecordIterator(ArchiveIterator):
    INC_RECORD = ""  # warcio writes this warning to stderr; counted in err_count and reported instead

    def __init__(self, fileobj, **kwargs):
        super().__init__(fileobj, no_record_parse=True, block_size=_WARC_BLOCK, **kwargs)
        self.reader = _StrictReader(self.fh, block_size=_WARC_BLOCK)

    def read_to_end(self, record=None):
        pending = self.record is not None and not self.member_info
        super().read_to_end(record)
        decompressor = self.reader.decompressor if self.reader else None
        if pending and decompressor is not None and not decompressor.eof and not self.next_line:
            raise EOFError(f"gzip member at offset {self.member_info[0]} is cut short (truncated file)")


# --------------------------------------------------------------------------- record metadata
_SCHEMA = """
CREATE TABLE records (id INTEGER PRIMARY KEY, member TEXT, offset INTEGER, length INTEGER, rid TEXT,
    type TEXT, uri TEXT, date TEXT, payload TEXT, warcinfo TEXT, refers_to TEXT, refers_uri TEXT,
    refers_date TEXT, profile TEXT);
CREATE TABLE refs (rec INTEGER, target TEXT);
"""
_INDEXES = """
CREATE INDEX records_rid ON records (rid);
CREATE INDEX records_at ON records (member, offset);
CREATE INDEX records_uri ON records (uri);
CREATE INDEX records_payload ON records (payload);
"""


class RecordTable:
    """Per-record metadata of the whole bundle, on disk (a temporary SQLite file)."""

    def __init__(self):
        self._dir = tempfile.TemporaryDirectory(prefix="bioarchive-verify-")
        self.db = sqlite3.connect(os.path.join(self._dir.name, "records.sqlite"))
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.executescript(_SCHEMA)
        self._rows: list[tuple] = []
        self._refs: list[tuple] = []
        self._next = 1

    def add(self, row: tuple, concurrent: list[str]) -> None:
        rec = self._next
        self._next += 1
        self._rows.append((rec, *row))
        self._refs.extend((rec, target) for target in concurrent)
        if len(self._rows) >= 2000:
            self.flush()

    def flush(self) -> None:
        with self.db:
            self.db.executemany(f"INSERT INTO records VALUES ({','.join('?' * 14)})", self._rows)
            self.db.executemany("INSERT INTO refs VALUES (?, ?)", self._refs)
        self._rows, self._refs = [], []

    def finish(self) -> None:
        self.flush()
        self.db.executescript(_INDEXES)

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM records").fetchone()[0]

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()


# --------------------------------------------------------------------------- helpers
def normalise_digest(value: str | None, default_algo: str | None = None) -> str | None:
    """'sha256:BASE32' / 'sha256:hex' / bare base32 sha1 (old CDX) -> 'algo:hex'; None if unreadable."""
    if not value:
        return None
    value = value.strip()
    if ":" not in value and default_algo:
        value = f"{default_algo}:{value}"
    parsed = parse_labelled(value)
    return f"{parsed[0]}:{parsed[1].hex()}" if parsed else None


def _date_digits(value: str | None) -> str:
    return re.sub(r"\D", "", value or "")


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        digits = _date_digits(value)
        if len(digits) < 14:
            return None
        try:
            parsed = datetime.strptime(digits[:14], "%Y%m%d%H%M%S")
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def normalise_fingerprint(value: str) -> str:
    text = value.strip().lower()
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    text = re.sub(r"[\s:]", "", text)
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValueError(f"not a key fingerprint (sha256:<64 hex digits>): {value!r}")
    return "sha256:" + text


def _sha256_label(value) -> str | None:
    """A manifest hash must be 'sha256:<hex>' (base32 tolerated); anything else -> None."""
    if not isinstance(value, str):
        return None
    parsed = parse_labelled(value)
    if not parsed or parsed[0] != "sha256":
        return None
    return parsed[1].hex()


# --------------------------------------------------------------------------- the verifier
class BundleVerifier:
    def __init__(self, path: str, key: str | None = None, tsa_ca: str | None = None):
        self.path = path
        self.key = normalise_fingerprint(key) if key else None
        self.tsa_ca = tsa_ca
        self.report = Report(path)
        self.hashes: dict[str, tuple[str, int]] = {}  # member -> (sha256 hex, size)
        self.small: dict[str, bytes] = {}  # datapackage.json, datapackage-digest.json
        self.custody_lines: list[bytes] = []
        self.manifest: dict | None = None
        self.zip_names: set[str] = set()
        self.table = RecordTable()
        self.stats: Counter = Counter()

    def run(self) -> Report:
        try:
            self._run()
        finally:
            self.table.close()
        return self.report

    def _run(self) -> None:
        report = self.report
        try:
            report.size = os.path.getsize(self.path)
            zf = zipfile.ZipFile(self.path)
        except FileNotFoundError:
            raise BundleUnreadable(f"{self.path}: no such file") from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
            raise BundleUnreadable(f"{self.path}: not a readable zip file, or truncated ({e})") from None
        with zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
            report.members = len(infos)
            self.zip_names = {i.filename for i in infos}
            self._check_zip(infos)
            warcs = [i for i in infos if self._kind(i.filename) == "warc"]
            others = [i for i in infos if self._kind(i.filename) != "warc"]
            for info in warcs:
                self._read_member(zf, info)
            self.table.finish()
            for info in others:
                self._read_member(zf, info)
        for kind, where in (("index", "indexes/"), ("pages", "pages/")):
            if not any(self._kind(n) == kind for n in self.zip_names):
                self.report.fail(kind, f"no {kind} file under {where}: a WACZ must have one")
        if EVIDENCE not in self.zip_names:
            self.report.checks["evidence"].status = "none"
            self.report.checks["evidence"].summary = f"no {EVIDENCE} in the bundle"
        self._check_manifest(infos)
        self._check_signature()
        self._summarise_records(len(warcs))
        self._check_ids()
        self._check_references()
        self._check_custody()

    # ---------------------------------------------------------------- members
    @staticmethod
    def _kind(name: str) -> str:
        if name in (MANIFEST, DIGEST_FILE):
            return "small"
        if name.startswith("archive/") and name.endswith(WARC_SUFFIXES):
            return "warc"
        if name.startswith("indexes/") and name.endswith(INDEX_SUFFIXES):
            return "index"
        if name.startswith("pages/") and name.endswith(".jsonl"):
            return "pages"
        if name == CUSTODY:
            return "custody"
        if name == EVIDENCE:
            return "evidence"
        return "other"

    def _read_member(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        kind = self._kind(info.filename)
        reader = getattr(self, f"_read_{kind}")
        try:
            with zf.open(info) as raw:
                tee = HashingReader(raw)
                try:
                    reader(info.filename, tee)
                except (ValueError, OSError, EOFError, zlib.error) as e:  # its content, not the zip (BadZipFile)
                    check = {"small": "manifest", "other": "zip", "warc": "records"}.get(kind, kind)
                    self.report.fail(check, f"unreadable: {' '.join(str(e).split())[:300]}", file=info.filename)
                tee.drain()  # whatever the parser left (or choked on) still counts for the hash
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError, NotImplementedError) as e:
            self.report.fail("zip", f"member cannot be read from the zip: {e}", file=info.filename)
            return
        self.hashes[info.filename] = (tee.hexdigest(), tee.size)

    def _read_small(self, name: str, tee: HashingReader) -> None:
        data = tee.read(_SMALL_MEMBER_LIMIT + 1)
        if len(data) > _SMALL_MEMBER_LIMIT:
            raise ValueError(f"{name} is larger than {_SMALL_MEMBER_LIMIT} bytes")
        self.small[name] = data

    def _read_other(self, name: str, tee: HashingReader) -> None:
        pass  # hashed by _read_member's drain

    def _check_zip(self, infos: list[zipfile.ZipInfo]) -> None:
        check = self.report.checks["zip"]
        names = Counter(i.filename for i in infos)
        for name, n in names.items():
            if n > 1:
                self.report.fail("zip", f"{n} zip members have this name: tools disagree on which one counts",
                                 file=name)
        compressed = [i.filename for i in infos if i.compress_type != zipfile.ZIP_STORED]
        for name in compressed:
            self.report.warn("zip", "member is compressed; WACZ stores members uncompressed", file=name)
        for info in infos:
            if info.flag_bits & 0x1:
                self.report.fail("zip", "member is encrypted", file=info.filename)
        check.summary = f"{len(infos)} members" + ("" if compressed else ", all stored")

    # ---------------------------------------------------------------- 1. manifest
    def _check_manifest(self, infos: list[zipfile.ZipInfo]) -> None:
        report, check = self.report, self.report.checks["manifest"]
        data = self.small.get(MANIFEST)
        if data is None:
            report.fail("manifest", f"no {MANIFEST} in the bundle", file=MANIFEST)
            check.summary = "no manifest"
            return
        try:
            manifest = json.loads(data)
            self.manifest = manifest
            resources = manifest["resources"]
            if not isinstance(resources, list):
                raise TypeError("resources is not a list")
        except (ValueError, KeyError, TypeError) as e:
            report.fail("manifest", f"not a data package manifest: {e}", file=MANIFEST)
            check.summary = "unreadable manifest"
            return
        listed: dict[str, dict] = {}
        for n, res in enumerate(resources):
            path = res.get("path") if isinstance(res, dict) else None
            if not isinstance(path, str):
                report.fail("manifest", f"resource {n} has no path", file=MANIFEST)
                continue
            if path in listed:
                report.fail("manifest", "listed twice in datapackage.json", file=path)
            listed[path] = res
        present = {i.filename for i in infos} - {MANIFEST, DIGEST_FILE}
        for name in sorted(present - set(listed)):
            report.fail("manifest", "in the zip but not listed in datapackage.json", file=name)
        for name in sorted(set(listed) - present):
            report.fail("manifest", "listed in datapackage.json but missing from the zip", file=name)
        weak = 0
        for path, res in listed.items():
            expected = _sha256_label(res.get("hash"))
            if expected is None:
                algo = str(res.get("hash") or "").split(":", 1)[0]
                report.fail("manifest", (f"{algo} hash refused" if algo else "no hash") +
                            ": the manifest must give SHA-256 hashes", file=path)
                weak += 1
                continue
            if path not in self.hashes:
                continue  # missing (reported above) or unreadable (reported under zip)
            actual, size = self.hashes[path]
            if res.get("bytes") != size:
                report.fail("manifest", f"size {size} bytes, datapackage.json says {res.get('bytes')}", file=path)
            if actual != expected:
                report.fail("manifest", f"SHA-256 does not match datapackage.json (listed sha256:{expected}, "
                                        f"file sha256:{actual})", file=path)
        check.summary = (f"{len(listed)} files listed in {MANIFEST}; "
                         + ("all present, none extra, sizes and SHA-256 match" if check.status == "pass"
                            else f"{check.failures} problem{'s' * (check.failures != 1)}"))
        if weak:
            check.summary += f"; {weak} non-SHA-256 hashes refused"

    # ---------------------------------------------------------------- 2. digest, signature, timestamp
    def _check_signature(self) -> None:
        report = self.report
        manifest = self.small.get(MANIFEST)
        raw = self.small.get(DIGEST_FILE)
        if raw is None:
            report.fail("digest", f"no {DIGEST_FILE}: nothing ties datapackage.json to a signature", file=DIGEST_FILE)
            report.fail("signature", "bundle is not signed", file=DIGEST_FILE)
            report.checks["digest"].summary = report.checks["signature"].summary = "missing"
            report.checks["timestamp"].status, report.checks["timestamp"].summary = "none", "no token (unsigned)"
            return
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
        except ValueError as e:
            report.fail("digest", f"unreadable: {e}", file=DIGEST_FILE)
            report.fail("signature", "no readable signature", file=DIGEST_FILE)
            report.checks["timestamp"].status = "none"
            return
        if manifest is not None:
            actual = hashlib.sha256(manifest).hexdigest()
            stated = _sha256_label(doc.get("hash"))
            if doc.get("path", MANIFEST) != MANIFEST:
                report.fail("digest", f"names {doc.get('path')!r}, not {MANIFEST}", file=DIGEST_FILE)
            if stated is None:
                report.fail("digest", f"hash {doc.get('hash')!r} is not a SHA-256 hash", file=DIGEST_FILE)
            elif stated != actual:
                report.fail("digest", f"hash sha256:{stated} does not match {MANIFEST} (sha256:{actual}): "
                                      f"the manifest was changed after packaging", file=DIGEST_FILE)
            report.checks["digest"].summary = (f"{MANIFEST} sha256:{actual}" if report.checks["digest"].status == "pass"
                                               else "does not match")
        else:
            report.checks["digest"].summary = f"no {MANIFEST} to compare"
        self._check_signed_data(doc)

    def _check_signed_data(self, doc: dict) -> None:
        report = self.report
        sig_check, ts_check = report.checks["signature"], report.checks["timestamp"]
        signed = doc.get("signedData")
        if not isinstance(signed, dict) or not signed:
            report.fail("signature", "bundle is not signed (no signedData): nothing shows who packaged it",
                        file=DIGEST_FILE)
            sig_check.summary = "unsigned"
            ts_check.status, ts_check.summary = "none", "no token (unsigned)"
            return
        created = self.manifest.get("created") if isinstance(self.manifest, dict) else None
        if created is not None and signed.get("created") != created:
            # Not covered by the signature, but `wacz validate` rejects the bundle for it.
            report.warn("signature", f"signedData.created {signed.get('created')!r} differs from "
                                     f"{MANIFEST} created {created!r}", file=DIGEST_FILE)
        if signed.get("hash") != doc.get("hash"):
            report.fail("signature", f"signedData.hash {signed.get('hash')!r} differs from hash {doc.get('hash')!r}",
                        file=DIGEST_FILE)
        if "publicKey" not in signed and "domainCert" in signed and not self.key:
            # Certificate-backed (domain) form: who signed depends on a certificate chain to trusted roots.
            report.unverifiable("signature", "domain-form (certificate-backed) signature: its certificate chain "
                                             "cannot be checked offline by this tool", file=DIGEST_FILE)
            sig_check.summary = "domain-form signature, not verified"
            self._check_timestamp(signed)
            return
        try:
            from crawler.bundle.signing import verify_signed_data
        except ImportError as e:  # the tool is broken, not the bundle
            report.unverifiable("signature", f"signature code unavailable: {e}", file=DIGEST_FILE)
            sig_check.summary = "not checked"
        else:
            try:
                ok, message = verify_signed_data(signed, self.key)
            except Exception as e:  # malformed key/signature fields must name the file, not traceback
                ok, message = False, f"{type(e).__name__}: {e}"
            if not ok:
                report.fail("signature", message, file=DIGEST_FILE)
            if sig_check.status == "pass":
                sig_check.summary = message
            else:
                sig_check.summary = "INVALID"
        self._check_timestamp(signed)

    def _check_timestamp(self, signed: dict) -> None:
        report, check = self.report, self.report.checks["timestamp"]
        token_b64 = signed.get("timeSignature")
        if not token_b64:
            check.status = "none"
            check.summary = "no RFC 3161 token in the bundle" + (" (--tsa-ca not used)" if self.tsa_ca else "")
            return
        try:
            token = base64.b64decode(token_b64, validate=True)
        except ValueError as e:
            report.fail("timestamp", f"timeSignature is not base64: {e}", file=DIGEST_FILE)
            return
        # The token stamps the ASCII text of the signature (as authsign does), not its decoded bytes.
        signature = str(signed.get("signature") or "").encode("ascii", "replace")
        try:
            from crawler.bundle.timestamp import verify_token
        except ImportError as e:
            report.unverifiable("timestamp", f"timestamp code unavailable: {e}", file=DIGEST_FILE)
            return
        try:
            with tempfile.TemporaryDirectory(prefix="bioarchive-verify-") as tmp:
                untrusted = None
                if isinstance(signed.get("timestampCert"), str) and signed["timestampCert"].strip():
                    # Only offered to openssl to build the chain; trust comes from --tsa-ca alone.
                    untrusted = os.path.join(tmp, "tsa-certs.pem")
                    with open(untrusted, "w", encoding="ascii", errors="replace") as f:
                        f.write(signed["timestampCert"])
                status, message = verify_token(token, signature, self.tsa_ca, untrusted)
        except Exception as e:
            status, message = "invalid", f"{type(e).__name__}: {e}"
        if status == "valid":
            check.summary = message
        elif status == "unverifiable":
            hint = "" if self.tsa_ca else " (give the TSA's CA certificate with --tsa-ca to check it)"
            report.unverifiable("timestamp", f"not verifiable offline: {message}{hint}", file=DIGEST_FILE)
            check.summary = "present, not verified"
        else:
            report.fail("timestamp", message, file=DIGEST_FILE)
            check.summary = "INVALID"

    # ---------------------------------------------------------------- 3. records
    def _read_warc(self, name: str, tee: HashingReader) -> None:
        it = _RecordIterator(tee)
        try:
            for record in it:
                self._check_record(name, it, record)
        except _FileStopped:  # reported, naming the record
            self.stats["unreadable_files"] += 1
        except (ArchiveLoadFailed, ValueError, EOFError, zlib.error, KeyError, IndexError) as e:
            offset = it.offset  # where the record that cannot be parsed starts
            message = " ".join(str(e).split())[:300] or type(e).__name__
            self.report.fail("records", f"WARC unreadable from offset {offset}: {message}", file=name, offset=offset)
            self.stats["unreadable_files"] += 1
        self.stats["warc_files"] += 1

    def _check_record(self, name: str, it: _RecordIterator, record) -> None:
        h = record.rec_headers
        get = h.get_header
        rid, rtype, uri, date = get("WARC-Record-ID"), record.rec_type, get("WARC-Target-URI"), get("WARC-Date")
        offset = it.offset
        where = {"file": name, "offset": offset, "url": uri, "record_id": rid}
        errors_before = it.err_count
        concurrent = [v.strip() for k, v in h.headers if k.lower() == "warc-concurrent-to"]
        block_label, payload_label = get("WARC-Block-Digest"), get("WARC-Payload-Digest")
        length = get("Content-Length")

        try:
            result = check_record(record)  # reads the block (raw stream) through
            short = getattr(record.raw_stream, "limit", 0) > 0
            it.read_to_end()  # gzip trailer, blank lines: now offset/length are known
        except (ValueError, EOFError, zlib.error) as e:
            self.report.fail("records", f"record cannot be read to its end: {e}", **where)
            raise _FileStopped from None
        self.stats["records"] += 1
        self.stats[f"type:{rtype}"] += 1

        problems = []
        for header, value in (("WARC-Record-ID", rid), ("WARC-Type", rtype), ("WARC-Date", date),
                              ("Content-Length", length)):
            if not value:
                problems.append(f"no {header}")
        if short:
            problems.append("block is shorter than its Content-Length (truncated)")
        if it.err_count != errors_before:
            problems.append("record not followed by the blank lines WARC requires (wrong Content-Length?)")
        has_block = bool(length) and length.strip() != "0"
        block_parsed = parse_labelled(block_label) if block_label else None
        payload_parsed = parse_labelled(payload_label) if payload_label else None
        problems += self._digest_problems("block", block_label, block_parsed, result.block_ok, required=has_block)
        if result.block_ok:
            self.stats["block_ok"] += 1
        if rtype == "revisit":
            problems += self._digest_problems("payload", payload_label, payload_parsed, True, required=True)
        else:
            problems += self._digest_problems("payload", payload_label, payload_parsed, result.payload_ok,
                                              required=rtype in _PAYLOAD_REQUIRED and has_block,
                                              detail=result.problem)
            if result.payload_ok:
                self.stats[f"payload:{result.payload_convention}"] += 1
        for problem in problems:
            self.report.fail("records", problem, **where)
        if problems:
            self.stats["bad_records"] += 1

        payload = f"{payload_parsed[0]}:{payload_parsed[1].hex()}" if payload_parsed else None
        self.table.add((name, it.get_record_offset(), it.get_record_length(), rid, rtype, uri, date, payload,
                        get("WARC-Warcinfo-ID"), get("WARC-Refers-To"), get("WARC-Refers-To-Target-URI"),
                        get("WARC-Refers-To-Date"), get("WARC-Profile")),
                       concurrent)

    @staticmethod
    def _digest_problems(kind: str, label: str | None, parsed, ok: bool | None, required: bool,
                         detail: str | None = None) -> list[str]:
        header = f"WARC-{kind.capitalize()}-Digest"
        if not label:
            return [f"no {header}"] if required else []
        if parsed is None:
            return [f"{header} {label!r} is not a readable digest"]
        if parsed[0] not in _RECORD_ALGOS:
            return [f"{header} uses {parsed[0]}, refused (accepted: {', '.join(sorted(_RECORD_ALGOS))})"]
        if ok is False:
            return [f"{kind} digest does not match the record's bytes ({header}: {label})"
                    + (f": {detail}" if detail else "")]
        return []

    def _summarise_records(self, n_files: int) -> None:
        check, s = self.report.checks["records"], self.stats
        if not n_files:
            self.report.fail("records", "no WARC files under archive/")
        conventions = [f"{s[f'payload:{c}']} {label}" for c, label in
                       (("identical", "without transfer encoding"), ("de-chunked", "chunked, de-chunked"),
                        ("raw", "chunked, over the raw chunked bytes")) if s[f"payload:{c}"]]
        check.summary = (f"{s['records']} records in {n_files} WARC files; block digests recomputed "
                         f"{s['block_ok']}/{s['records']}, payload digests recomputed "
                         f"{sum(s[f'payload:{c}'] for c in ('identical', 'de-chunked', 'raw'))}"
                         + (f" ({', '.join(conventions)})" if conventions else "")
                         + (f"; {s['type:revisit']} revisit records (no payload: checked against their originals)"
                            if s["type:revisit"] else ""))
        if s["bad_records"]:
            check.summary += f"; {s['bad_records']} records failed"
        if s["payload:raw"]:
            self.report.payload_convention += (f"; {s['payload:raw']} chunked records carry a digest of the raw "
                                               "chunked bytes instead, accepted and counted separately")

    # ---------------------------------------------------------------- ids and references
    def _check_ids(self) -> None:
        db, check = self.table.db, self.report.checks["record-ids"]
        dupes = db.execute("SELECT rid, count(*) FROM records WHERE rid IS NOT NULL GROUP BY rid HAVING count(*) > 1")
        n = 0
        for rid, count in dupes.fetchall():
            n += 1
            for member, offset, uri in db.execute("SELECT member, offset, uri FROM records WHERE rid = ? "
                                                  "ORDER BY member, offset", (rid,)):
                self.report.fail("record-ids", f"Record-ID used by {count} records", file=member, offset=offset,
                                 url=uri, record_id=rid)
        total = db.execute("SELECT count(DISTINCT rid) FROM records").fetchone()[0]
        check.summary = f"{total} distinct Record-IDs" + (f"; {n} used more than once" if n else ", none repeated")

    def _record_where(self, row) -> dict:
        member, offset, uri, rid = row[:4]
        return {"file": member, "offset": offset, "url": uri, "record_id": rid}

    def _check_references(self) -> None:
        db, report = self.table.db, self.report
        counts = Counter()
        cols = "r.member, r.offset, r.uri, r.rid"
        missing = "NOT EXISTS (SELECT 1 FROM records t WHERE t.rid = {})"
        for row in db.execute(f"SELECT {cols}, r.warcinfo, (SELECT group_concat(DISTINCT type) FROM records t "
                              f"WHERE t.rid = r.warcinfo) FROM records r WHERE r.warcinfo IS NOT NULL"):
            counts["warcinfo"] += 1
            if row[5] is None:
                report.fail("references", f"WARC-Warcinfo-ID {row[4]} is not in the bundle", **self._record_where(row))
            elif row[5] != "warcinfo":
                report.fail("references", f"WARC-Warcinfo-ID {row[4]} names a {row[5]} record",
                            **self._record_where(row))
        for row in db.execute(f"SELECT {cols}, f.target, {missing.format('f.target')} FROM refs f "
                              f"JOIN records r ON r.id = f.rec"):
            counts["concurrent"] += 1
            if row[5]:
                report.fail("references", f"WARC-Concurrent-To {row[4]} is not in the bundle",
                            **self._record_where(row))
        for row in db.execute(f"SELECT {cols}, r.refers_to, {missing.format('r.refers_to')} FROM records r "
                              f"WHERE r.refers_to IS NOT NULL AND r.type != 'revisit'"):
            counts["refers"] += 1
            if row[5]:
                report.fail("references", f"WARC-Refers-To {row[4]} is not in the bundle", **self._record_where(row))
        for row in db.execute(f"SELECT {cols}, r.refers_to, r.refers_uri, r.refers_date, r.payload, r.profile "
                              f"FROM records r WHERE r.type = 'revisit'").fetchall():
            counts["revisit"] += 1
            self._check_revisit(row)
        report.checks["references"].summary = (
            f"{counts['warcinfo']} Warcinfo-ID, {counts['concurrent']} Concurrent-To, {counts['refers']} Refers-To, "
            f"{counts['revisit']} revisit originals"
            + (" all resolve inside the bundle" if report.checks["references"].status == "pass" else ""))

    def _check_revisit(self, row) -> None:
        db, where = self.table.db, self._record_where(row)
        refers_to, refers_uri, refers_date, payload, profile = row[4:]
        cols = "rid, type, uri, date, payload"
        original, how = None, ""
        if refers_to:
            original = db.execute(f"SELECT {cols} FROM records WHERE rid = ? LIMIT 1", (refers_to,)).fetchone()
            how = f"WARC-Refers-To {refers_to}"
        elif refers_uri and refers_date:
            want = _date_digits(refers_date)[:14]
            for cand in db.execute(f"SELECT {cols} FROM records WHERE uri = ? AND type != 'revisit' "
                                   f"AND type != 'request'", (refers_uri,)):
                if _date_digits(cand[3])[:14] == want:
                    original = cand
                    break
            how = f"{refers_uri} at {refers_date}"
        elif payload:
            original = db.execute(f"SELECT {cols} FROM records WHERE payload = ? AND type IN ('response', 'resource') "
                                  f"ORDER BY uri = ? DESC LIMIT 1", (payload, where["url"])).fetchone()
            how = f"a capture with payload digest {payload}"
        else:
            self.report.fail("references", "revisit names no original (no Refers-To, Target-URI/Date or digest)",
                             **where)
            return
        if original is None:
            self.report.fail("references", f"revisit's original ({how}) is not in the bundle", **where)
            return
        if original[1] in ("request", "warcinfo"):
            self.report.fail("references", f"revisit refers to a {original[1]} record {original[0]}", **where)
        elif (payload and original[4] and payload != original[4]
              and "identical-payload-digest" in (profile or "")):
            self.report.fail("references", f"revisit's payload digest differs from its original's ({original[0]})",
                             **where)

    # ---------------------------------------------------------------- 4. index and pages
    def _read_index(self, name: str, tee: HashingReader) -> None:
        check = self.report.checks["index"]
        stream = gzip.GzipFile(fileobj=tee, mode="rb") if name.endswith(".gz") else tee
        n = 0
        for n, raw in enumerate(stream, 1):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.strip() or line.startswith(" CDX"):
                continue
            problem = self._index_line(line)
            if problem:
                message, where = problem
                self.report.fail("index", message, file=name, line=n, **where)
        self.stats["index_lines"] += n
        self.stats["index_files"] += 1
        check.summary = (f"{self.stats['index_lines']} lines in {self.stats['index_files']} index files"
                         + (", each points at its record" if check.status == "pass" else ""))

    def _index_line(self, line: str):
        try:
            _urlkey, ts, blob = line.split(" ", 2)
            entry = json.loads(blob)
            filename, offset, length = entry["filename"], int(entry["offset"]), int(entry["length"])
        except (ValueError, KeyError, TypeError) as e:
            return f"not a CDXJ line with filename, offset and length ({type(e).__name__})", {}
        url = entry.get("url")
        member = filename if filename.startswith("archive/") else "archive/" + filename
        where = {"url": url}
        row = self.table.db.execute("SELECT rid, uri, date, length, payload FROM records WHERE member = ? AND "
                                    "offset = ?", (member, offset)).fetchone()
        if row is None:
            if member not in self.zip_names:
                return f"points at {member}, which is not in the bundle", where
            known = self.table.db.execute("SELECT 1 FROM records WHERE member = ? LIMIT 1", (member,)).fetchone()
            if not known:
                return f"points at {member}, which holds no readable records", where
            return f"no record starts at offset {offset} in {member}", where
        rid, uri, date, rec_length, payload = row
        where["record_id"] = rid
        if rec_length != length:
            return f"length {length}, but the record at {member} @{offset} is {rec_length} bytes", where
        if url is not None and url != uri:
            return f"record at {member} @{offset} is for {uri}", where
        if not _date_digits(date).startswith(ts[:14]):
            return f"timestamp {ts}, but the record is dated {date}", where
        digest = entry.get("digest")
        if digest and payload:
            stated = normalise_digest(digest, default_algo="sha1")
            if stated != payload:
                return f"digest {digest} differs from the record's payload digest", where
        return None

    def _read_pages(self, name: str, tee: HashingReader) -> None:
        check = self.report.checks["pages"]
        n = entries = 0
        for n, raw in enumerate(tee, 1):
            if not raw.strip():
                continue
            try:
                entry = json.loads(raw)
                if not isinstance(entry, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                self.report.fail("pages", f"not a JSON line: {e}", file=name, line=n)
                continue
            if "format" in entry and "url" not in entry:
                continue  # the header line
            entries += 1
            problem = self._page_entry(entry)
            if problem:
                self.report.fail("pages", problem, file=name, line=n, url=entry.get("url"))
        self.stats["pages"] += entries
        check.summary = (f"{self.stats['pages']} page entries"
                         + (", each has a capture of its URL at its ts" if check.status == "pass" else ""))

    def _page_entry(self, entry: dict) -> str | None:
        url, ts = entry.get("url"), entry.get("ts")
        if not isinstance(url, str) or not url:
            return "entry has no url"
        if entry.get("response_record_id"):  # our bundles name the capture: check that very record
            return self._page_record(entry)
        marks = ",".join("?" * len(_PAGE_RECORD_TYPES))
        rows = self.table.db.execute(f"SELECT rid, date FROM records WHERE uri = ? AND type IN ({marks})",
                                     (url, *_PAGE_RECORD_TYPES)).fetchall()
        if not rows:
            return "no response, revisit or resource record for this URL in the bundle"
        if ts is None:
            return None
        when = _parse_time(str(ts))
        if when is None:
            return f"ts {ts!r} is not an RFC 3339 time"
        gaps = [(abs((t - when).total_seconds()), rid, date) for rid, date in rows if (t := _parse_time(date))]
        if not gaps:
            return None
        gap, rid, date = min(gaps)
        if gap > PAGE_TS_TOLERANCE:
            return f"no capture of this URL at {ts} (nearest: {date}, {rid})"
        return None

    def _page_record(self, entry: dict) -> str | None:
        rid = entry["response_record_id"]
        row = self.table.db.execute("SELECT type, uri, date FROM records WHERE rid = ? LIMIT 1", (rid,)).fetchone()
        if row is None:
            return f"its response_record_id {rid} is not in the bundle"
        rtype, uri, date = row
        if rtype not in _PAGE_RECORD_TYPES:
            return f"its response_record_id {rid} is a {rtype} record"
        # the visit may have been redirected: the response is then for the final URL
        if uri not in (entry["url"], entry.get("final_url")):
            return f"its response_record_id {rid} is a capture of {uri}"
        when, at = _parse_time(str(entry.get("ts") or "")), _parse_time(date)
        if entry.get("ts") is not None and (when is None or at is None or abs((when - at).total_seconds()) >= 1):
            return f"ts {entry.get('ts')} is not the date of its record {rid} ({date})"
        return None

    def _read_evidence(self, name: str, tee: HashingReader) -> None:
        check, n, rows = self.report.checks["evidence"], 0, 0
        for n, raw in enumerate(tee, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
            except ValueError as e:
                self.report.fail("evidence", f"not a JSON line: {e}", file=name, line=n)
                continue
            rows += 1
            for problem in self._evidence_row(row):
                self.report.fail("evidence", f"statement {row.get('statement_id')}: {problem}", file=name, line=n,
                                 url=row.get("url"), record_id=row.get("warc_record_id"))
        check.summary = f"{rows} evidence rows" + (", each quotes a record inside the bundle"
                                                   if rows and check.status == "pass" else "")

    def _evidence_row(self, row: dict) -> list[str]:
        problems = []
        for column in ("warc_record_id", "capture_record_id"):
            rid = row.get(column)
            if not rid:
                if column == "warc_record_id":
                    problems.append("no warc_record_id: the quote names no record")
                continue
            found = self.table.db.execute("SELECT payload FROM records WHERE rid = ? LIMIT 1", (rid,)).fetchone()
            if found is None:
                problems.append(f"its {column} {rid} is not in the bundle")
            elif column == "warc_record_id" and row.get("payload_digest") and found[0]:
                if normalise_digest(str(row["payload_digest"])) != found[0]:
                    problems.append(f"payload_digest {row['payload_digest']} is not that of record {rid}")
        return problems

    # ---------------------------------------------------------------- 5. custody
    def _read_custody(self, name: str, tee: HashingReader) -> None:
        self.custody_lines = list(tee)

    def _check_custody(self) -> None:
        report, check = self.report, self.report.checks["custody"]
        if CUSTODY not in self.hashes:
            report.fail("custody", "no custody log in the bundle", file=CUSTODY)
            check.summary = "missing"
            return
        lines = self.custody_lines
        try:
            from crawler.custody import check_chain
        except ImportError as e:
            report.unverifiable("custody", f"custody code unavailable: {e}", file=CUSTODY)
            return
        try:
            problems = check_chain(lines)
        except Exception as e:
            problems = [f"custody log unreadable: {type(e).__name__}: {e}"]
        for problem in problems:
            report.fail("custody", problem, file=CUSTODY, line=_line_number(problem))
        self._check_logged_hashes(lines)
        check.summary = (f"{len(lines)} events" + (", hash chain unbroken, bundle event matches the files"
                                                   if check.status == "pass" else ""))

    def _check_logged_hashes(self, lines: list[bytes]) -> None:
        """The hashes the log gives must be those of the files in the zip.

        A ``capture`` event names a WARC file of the collection; a bundle that
        holds a file of that name (a whole-collection bundle) must hold it byte
        for byte. The last ``bundle`` event lists the members written before it.
        """
        warcs = {os.path.basename(m): m for m in self.hashes if m.startswith("archive/")}
        event, at = None, 0
        for n, raw in enumerate(lines, 1):
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if not isinstance(entry, dict):
                continue
            if entry.get("event") == "bundle":
                event, at = entry, n
            if entry.get("event") == "select" and isinstance(entry.get("sha256"), dict):
                for member, digest in entry["sha256"].items():  # the new WARC files a selection wrote
                    if member not in self.hashes:
                        self.report.fail("custody", f"select event (line {n}) lists {member}, which is not in the zip",
                                         file=CUSTODY, line=n)
                    elif str(digest).lower().removeprefix("sha256:") != self.hashes[member][0]:
                        self.report.fail("custody", f"select event (line {n}) gives another SHA-256 for {member}",
                                         file=CUSTODY, line=n)
            elif entry.get("event") == "capture" and isinstance(entry.get("sha256"), dict):
                for name, digest in entry["sha256"].items():
                    member = warcs.get(name)
                    if member and str(digest).lower().removeprefix("sha256:") != self.hashes[member][0]:
                        self.report.fail("custody", f"{member} is not the file logged at capture (line {n})",
                                         file=CUSTODY, line=n)
        if event is None:
            self.report.fail("custody", "no bundle event in the custody log", file=CUSTODY)
            return
        hashes = event.get("sha256") if isinstance(event.get("sha256"), dict) else {}
        for listed, digest in hashes.items():
            member = listed if listed in self.hashes else next(
                (m for m in self.hashes if m.startswith("archive/") and os.path.basename(m) == listed), None)
            if member is None:
                if listed in (CUSTODY, MANIFEST, DIGEST_FILE) or listed.startswith("custody/"):
                    continue  # written after the event (the log itself, the manifest and its digest)
                self.report.fail("custody", f"bundle event (line {at}) lists {listed}, which is not in the zip",
                                 file=CUSTODY, line=at)
            elif member != CUSTODY and str(digest).lower().removeprefix("sha256:") != self.hashes[member][0]:
                self.report.fail("custody", f"bundle event (line {at}) gives another SHA-256 for {member}",
                                 file=CUSTODY, line=at)


def _line_number(problem: str) -> int | None:
    match = re.search(r"line (\d+)", problem)
    return int(match.group(1)) if match else None


def verify_bundle(path: str, key: str | None = None, tsa_ca: str | None = None) -> Report:
    """Verify ``path``; a file that is not a zip gives a Report with ``fatal`` set (exit 1)."""
    verifier = BundleVerifier(path, key=key, tsa_ca=tsa_ca)  # may raise ValueError for a bad --key
    try:
        return verifier.run()
    except BundleUnreadable as e:
        report = Report(path)
        report.fatal = str(e)
        if os.path.isfile(path):
            report.size = os.path.getsize(path)
        return report


# --------------------------------------------------------------------------- command line
def add_arguments(parser) -> None:
    parser.add_argument("--key", metavar="FINGERPRINT",
                        help="the signer's key fingerprint (sha256:<hex>), received by another channel")
    parser.add_argument("--tsa-ca", metavar="PEM", help="trust store (CA certificates) for the RFC 3161 timestamp")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(path: str, key: str | None, tsa_ca: str | None, as_json: bool, out=None) -> int:
    """Verify and print; returns the exit code."""
    out = out or sys.stdout
    if tsa_ca and not os.path.isfile(tsa_ca):
        print(f"--tsa-ca {tsa_ca}: no such file", file=sys.stderr)
        return 2
    try:
        report = verify_bundle(path, key=key, tsa_ca=tsa_ca)
    except ValueError as e:  # bad --key
        print(f"--key: {e}", file=sys.stderr)
        return 2
    if as_json:
        json.dump(report.to_json(), out, ensure_ascii=False, indent=1)
        out.write("\n")
    else:
        out.write("\n".join(report.lines()) + "\n")
    return report.exit_code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.bundle.verify",
                                     description="Verify a bioarchive WACZ evidence bundle, offline.")
    parser.add_argument("bundle", metavar="FILE.wacz")
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args.bundle, args.key, args.tsa_ca, args.json)


if __name__ == "__main__":
    sys.exit(main())
