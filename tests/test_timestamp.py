"""RFC 3161 timestamps against a real local authority (OpenSSL's ``ts -reply``, tests/tsa.py).

The test makes its own CA and TSA certificate (extendedKeyUsage critical
timeStamping) and serves them on 127.0.0.1; tokens are checked both with
our verify_token and with the openssl command alone. Trust comes only from
the CA file the checker supplies: a token signed by another CA's TSA is
invalid even though it carries its own certificates.
"""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import threading

import pytest

from crawler.bundle.timestamp import (TimestampError, is_bare_token, request_token, token_certs_pem, token_info,
                                      verify_token)
from tests.tsa import LocalTSA, make_ca_and_tsa

DATA = b"MEUCIQDx2bW0Yw3m0YfYQeA7m7P0e5mYQyq1O4W3s0nR4G3p9gIgN0W1Vx5X2k6e3xHq2p8b5V0s1mF9h7j3k2l1m0n9o8A="


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    with LocalTSA(str(tmp_path_factory.mktemp("tsa"))) as authority:
        yield authority


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory):
    ca, _ = make_ca_and_tsa(str(tmp_path_factory.mktemp("other-ca")), "Other")
    return ca


@pytest.fixture(scope="module")
def token(tsa):
    return request_token(tsa.url, DATA, ca_file=tsa.ca_file)


def openssl_verify(token: bytes, data: bytes, ca_file: str, tmp_path) -> subprocess.CompletedProcess:
    (tmp_path / "t.tsr").write_bytes(token)
    (tmp_path / "data").write_bytes(data)
    return subprocess.run(["openssl", "ts", "-verify", "-in", "t.tsr", "-data", "data", "-CAfile", ca_file],
                          cwd=tmp_path, capture_output=True, text=True)


def test_token_is_a_granted_sha256_response_over_the_data(tsa, token):
    assert tsa.requests >= 1
    assert not is_bare_token(token)  # the whole TimeStampResp, as authsign stores it
    info = token_info(token)
    assert info["status"] == "Granted"
    assert info["hash_algorithm"] == "sha256"
    assert info["imprint"] == hashlib.sha256(DATA).hexdigest()
    assert "Test TSA" in info["tsa"]


def test_openssl_alone_accepts_it_with_the_test_ca(tsa, token, tmp_path):
    done = openssl_verify(token, DATA, tsa.ca_file, tmp_path)
    assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stderr


def test_verify_token_valid_with_the_right_trust_store(tsa, token):
    status, message = verify_token(token, DATA, tsa.ca_file)
    assert status == "valid", message
    assert tsa.ca_file in message


def test_other_data_is_invalid(tsa, token, tmp_path):
    status, message = verify_token(token, DATA + b"x", tsa.ca_file)
    assert status == "invalid" and "other data" in message
    assert openssl_verify(token, DATA + b"x", tsa.ca_file, tmp_path).returncode != 0


def test_embedded_certificates_are_not_trusted(token, other_ca, tmp_path):
    # The token carries the TSA certificate and its CA; neither counts without the checker's own store.
    status, message = verify_token(token, DATA, other_ca)
    assert status == "invalid", message
    assert openssl_verify(token, DATA, other_ca, tmp_path).returncode != 0
    status, message = verify_token(token, DATA, None)
    assert status == "unverifiable" and "no trust store" in message


def test_without_trust_store_other_data_is_still_invalid(token):
    assert verify_token(token, b"something else", None)[0] == "invalid"


def test_tampered_token_is_invalid(tsa, token):
    bad = bytearray(token)
    bad[-12] ^= 0x01  # inside the signature
    status, message = verify_token(bytes(bad), DATA, tsa.ca_file)
    assert status == "invalid", message


def test_bare_token_is_accepted_too(tsa, token, tmp_path):
    (tmp_path / "r.tsr").write_bytes(token)
    subprocess.run(["openssl", "ts", "-reply", "-in", "r.tsr", "-token_out", "-out", "t.p7"], cwd=tmp_path,
                   check=True, capture_output=True)
    bare = (tmp_path / "t.p7").read_bytes()
    assert is_bare_token(bare)
    assert verify_token(bare, DATA, tsa.ca_file)[0] == "valid"


def test_sha1_token_is_refused(tsa, tmp_path):
    (tmp_path / "data").write_bytes(DATA)
    subprocess.run(["openssl", "ts", "-query", "-data", "data", "-sha1", "-cert", "-out", "q.tsq"],
                   cwd=tmp_path, check=True, capture_output=True)
    code, reply = tsa.reply((tmp_path / "q.tsq").read_bytes())
    assert code == 200
    status, message = verify_token(reply, DATA, tsa.ca_file)
    assert status == "invalid" and "SHA-256" in message


def test_token_certificates_are_extracted_as_pem(tsa, token):
    pem = token_certs_pem(token)
    assert pem.count("-----BEGIN CERTIFICATE-----") == 2  # TSA + its CA, as the test TSA sends them
    with open(tsa.tsa_cert) as f:
        assert f.read().strip() in pem


def test_unreachable_authority_is_one_line(tmp_path):
    with pytest.raises(TimestampError) as e:
        request_token("http://127.0.0.1:9/tsa", DATA, timeout=5)
    assert "not reachable" in str(e.value) and "\n" not in str(e.value)


def test_authority_answering_html_is_refused():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = b"<html>not a TSA</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(TimestampError, match="not application/timestamp-reply"):
            request_token(f"http://127.0.0.1:{server.server_address[1]}/", DATA, timeout=5)
    finally:
        server.shutdown()
        server.server_close()


def test_request_checks_the_token_against_the_configured_ca(tsa, other_ca):
    with pytest.raises(TimestampError, match="does not verify"):
        request_token(tsa.url, DATA, ca_file=other_ca)


def test_no_stray_files_left(tsa):
    assert not [n for n in os.listdir(tsa.dir) if n.endswith((".tsq", ".tsr"))]
