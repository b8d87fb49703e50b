"""RFC 3161 timestamps for a bundle's signature, through the ``openssl ts`` command.

A timestamp authority (TSA) signs "these bytes existed at time T": here the
bytes are the bundle signature (the ASCII of signedData["signature"], as
authsign stamps it), so a later holder of the signing key cannot back-date
a bundle. Getting a token needs the TSA (network); checking one works
offline, but only against a trust store the checker supplies: the
certificates inside a token are the TSA's own claim and prove nothing alone.
SHA-256 is set explicitly on both sides (some libraries default to SHA-1).

- ``request_token(url, data)``: ``openssl ts -query -sha256 -cert``, HTTP POST
  (application/timestamp-query), the reply checked (granted, same imprint
  and nonce as asked); returns the DER TimeStampResp.
- ``verify_token(token, data, ca_file, untrusted_pem)``: "valid" only when
  ``openssl ts -verify`` accepts the token's signature, the imprint equals
  our own SHA-256 of ``data``, and the TSA certificate chains to ``ca_file``
  at the time the token names; "unverifiable" when no trust store was given
  (the imprint is still compared); "invalid" otherwise.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

QUERY_TYPE = "application/timestamp-query"
REPLY_TYPE = "application/timestamp-reply"


class TimestampError(RuntimeError):
    """No usable token: the message says what the TSA or openssl answered (one line)."""


def _openssl() -> str:
    path = shutil.which("openssl")
    if not path:
        raise TimestampError("the openssl command is needed for RFC 3161 timestamps and was not found")
    return path


def _run(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([_openssl(), *args], cwd=cwd, capture_output=True, text=True)


def _last_error(done: subprocess.CompletedProcess) -> str:
    """openssl's reason, e.g. "Verify error:self-signed certificate in certificate chain"."""
    reasons = []
    for line in done.stderr.splitlines():
        # "<thread>:error:<code>:<library>:<function>:<reason>:<file>:<line>:<extra>"
        parts = line.split(":")
        if len(parts) >= 6 and parts[1] == "error":
            extra = ":".join(parts[8:]).strip()
            reasons.append(extra or parts[5])
    if reasons:
        return reasons[-1] if "Verify error" in reasons[-1] else reasons[0]
    lines = [ln.strip() for ln in (done.stderr + "\n" + done.stdout).splitlines()
             if ln.strip() and not ln.startswith("Using configuration")]
    return lines[-1] if lines else f"openssl exited with {done.returncode}"


def is_bare_token(der: bytes) -> bool:
    """A TimeStampToken (CMS ContentInfo) starts with an OID; a TimeStampResp with a SEQUENCE (status)."""
    if len(der) < 4 or der[0] != 0x30:
        return False
    i = 1
    if der[i] & 0x80:  # long-form length
        i += 1 + (der[i] & 0x7F)
    else:
        i += 1
    return i < len(der) and der[i] == 0x06


_HEX_LINE = re.compile(r"^\s*[0-9a-f]{4} - (.{47})", re.I)


def parse_text(text: str) -> dict:
    """Fields of ``openssl ts -reply -text`` / ``-query -text`` output we rely on."""
    info: dict = {}
    lines = text.splitlines()
    for n, line in enumerate(lines):
        key, _, value = line.partition(":")
        value = value.strip()
        if key == "Status":
            info["status"] = value.rstrip(".")
        elif key == "Hash Algorithm":
            info["hash_algorithm"] = value.lower()
        elif key == "Time stamp":
            info["time"] = value
        elif key == "Nonce":
            info["nonce"] = value
        elif key == "TSA":
            info["tsa"] = value
        elif key == "Serial number":
            info["serial"] = value
        elif key == "Policy OID":
            info["policy"] = value
        elif key == "Message data":
            hexbytes = []
            for follow in lines[n + 1:]:
                m = _HEX_LINE.match(follow)
                if not m:
                    break
                hexbytes += re.findall(r"[0-9a-f]{2}", m.group(1), re.I)
            info["imprint"] = "".join(hexbytes).lower()
    return info


def gen_time_epoch(time_text: str) -> int | None:
    """``Nov 21 12:12:01 2026 GMT`` (fractions allowed) -> Unix time."""
    m = re.match(r"(\w{3})\s+(\d+) (\d\d):(\d\d):(\d\d)(?:\.\d+)? (\d{4}) GMT", time_text or "")
    if not m:
        return None
    month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"].index(m[1]) + 1
    return calendar.timegm((int(m[6]), month, int(m[2]), int(m[3]), int(m[4]), int(m[5]), 0, 0, 0))


def token_info(token: bytes) -> dict:
    """Status, imprint, time, TSA name... of a TimeStampResp or bare token (empty dict if unreadable)."""
    with tempfile.TemporaryDirectory(prefix="ts-") as d:
        with open(os.path.join(d, "t.der"), "wb") as f:
            f.write(token)
        args = ["ts", "-reply", "-in", "t.der", "-text"] + (["-token_in"] if is_bare_token(token) else [])
        done = _run(args, d)
        return parse_text(done.stdout) if done.returncode == 0 else {}


def request_token(tsa_url: str, data: bytes, timeout: float = 30, ca_file: str | None = None) -> bytes:
    """A DER TimeStampResp over SHA-256(``data``) from the TSA at ``tsa_url``; checked against ``ca_file`` if given."""
    with tempfile.TemporaryDirectory(prefix="ts-") as d:
        with open(os.path.join(d, "data"), "wb") as f:
            f.write(data)
        done = _run(["ts", "-query", "-data", "data", "-sha256", "-cert", "-out", "q.tsq"], d)
        if done.returncode != 0:
            raise TimestampError(f"openssl ts -query failed: {_last_error(done)}")
        with open(os.path.join(d, "q.tsq"), "rb") as f:
            query = f.read()
        request = urllib.request.Request(tsa_url, data=query, method="POST",
                                         headers={"Content-Type": QUERY_TYPE, "Accept": REPLY_TYPE})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                reply = response.read()
                ctype = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            raise TimestampError(f"timestamp authority {tsa_url} answered HTTP {e.code}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise TimestampError(f"timestamp authority {tsa_url} not reachable: {reason}") from None
        if REPLY_TYPE not in ctype:
            raise TimestampError(f"timestamp authority {tsa_url} answered {ctype or 'no Content-Type'}, "
                                 f"not {REPLY_TYPE}")
        with open(os.path.join(d, "r.tsr"), "wb") as f:
            f.write(reply)
        asked = parse_text(_run(["ts", "-query", "-in", "q.tsq", "-text"], d).stdout)
        got_run = _run(["ts", "-reply", "-in", "r.tsr", "-text"], d)
        if got_run.returncode != 0:
            raise TimestampError(f"timestamp authority {tsa_url} sent no readable reply: {_last_error(got_run)}")
        got = parse_text(got_run.stdout)
        if not got.get("status", "").startswith("Granted"):
            raise TimestampError(f"timestamp authority {tsa_url} refused: {got.get('status') or 'no status'}")
        if got.get("imprint") != asked.get("imprint") or got.get("nonce") != asked.get("nonce"):
            raise TimestampError(f"timestamp authority {tsa_url} answered for other data (imprint or nonce differ)")
        if got.get("hash_algorithm") != "sha256":
            raise TimestampError(f"timestamp authority {tsa_url} used {got.get('hash_algorithm')}, not sha256")
    if ca_file:
        status, message = verify_token(reply, data, ca_file)
        if status != "valid":
            raise TimestampError(f"token from {tsa_url} does not verify against {ca_file}: {message}")
    return reply


def verify_token(token: bytes, data: bytes, ca_file: str | None = None,
                 untrusted_pem: str | None = None) -> tuple[str, str]:
    """("valid" | "invalid" | "unverifiable", one-line message) for a token over ``data``."""
    digest = hashlib.sha256(data).hexdigest()
    bare = is_bare_token(token)
    info = token_info(token)
    if not info:
        return "invalid", "timestamp token is not a readable RFC 3161 response or token"
    if not bare and not info.get("status", "").startswith("Granted"):
        return "invalid", f"timestamp response is not a granted token (status {info.get('status')})"
    if info.get("hash_algorithm") != "sha256":
        return "invalid", f"timestamp uses {info.get('hash_algorithm') or 'an unknown hash'}, not SHA-256"
    if info.get("imprint") != digest:
        return "invalid", "timestamp was issued for other data (message imprint differs from SHA-256 of the signature)"
    when = f"{info.get('time', '?')} by {info.get('tsa') or 'an unnamed TSA'}"
    if not ca_file:
        return "unverifiable", (f"timestamp {when} covers the signature, but its TSA signature and certificate "
                                "were not checked: no trust store given (--tsa-ca)")
    if not os.path.exists(ca_file):
        return "unverifiable", f"trust store {ca_file} not found"
    with tempfile.TemporaryDirectory(prefix="ts-") as d:
        with open(os.path.join(d, "t.der"), "wb") as f:
            f.write(token)
        args = ["ts", "-verify", "-digest", digest, "-in", "t.der", "-CAfile", os.path.abspath(ca_file)]
        if bare:
            args.append("-token_in")
        if untrusted_pem:
            args += ["-untrusted", os.path.abspath(untrusted_pem)]
        at = gen_time_epoch(info.get("time", ""))
        if at is not None and at <= time.time() + 60:
            # Judge the TSA certificate at the time it signed, so the token still checks after it expires.
            args += ["-attime", str(at)]
        done = _run(args, d)
    if done.returncode == 0 and "Verification: OK" in done.stdout:
        return "valid", f"timestamp {when}, signed by a TSA certificate that chains to {ca_file}"
    return "invalid", f"timestamp {when} does not verify against {ca_file}: {_last_error(done)}"


def token_certs_pem(token: bytes) -> str:
    """PEM of the certificates the TSA put in its token (informational: never a trust anchor)."""
    with tempfile.TemporaryDirectory(prefix="ts-") as d:
        with open(os.path.join(d, "t.der"), "wb") as f:
            f.write(token)
        if is_bare_token(token):
            os.replace(os.path.join(d, "t.der"), os.path.join(d, "t.p7"))
        else:
            done = _run(["ts", "-reply", "-in", "t.der", "-token_out", "-out", "t.p7"], d)
            if done.returncode != 0:
                return ""
        done = _run(["pkcs7", "-inform", "DER", "-in", "t.p7", "-print_certs"], d)
    if done.returncode != 0:
        return ""
    # Keep the PEM blocks only (openssl prints subject/issuer lines before each).
    blocks = re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n?", done.stdout, re.S)
    return "".join(b if b.endswith("\n") else b + "\n" for b in blocks)
