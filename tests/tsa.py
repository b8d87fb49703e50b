"""A real RFC 3161 timestamp authority on 127.0.0.1 for the tests: OpenSSL's ``ts -reply``.

``LocalTSA(workdir)`` makes a throw-away CA and a TSA certificate it signs
(extendedKeyUsage critical timeStamping), then serves POSTed
application/timestamp-query bodies by running ``openssl ts -reply`` on them.
Nothing is simulated: the reply is what OpenSSL's TSA implementation signs.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import tempfile
import threading

_TS_CONFIG = """\
[ tsa ]
default_tsa = tsa_config1

[ tsa_config1 ]
dir = {dir}
serial = $dir/tsaserial
crypto_device = builtin
signer_cert = $dir/tsa.pem
certs = $dir/ca.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
other_policies = 1.3.6.1.4.1.99999.2
digests = sha1, sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""

_TSA_EXT = """\
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""


def _openssl(*args: str, cwd: str) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_ca_and_tsa(d: str, name: str = "Test") -> tuple[str, str]:
    """CA and TSA certificates in ``d``; returns (ca.pem, tsa.pem) paths."""
    os.makedirs(d, exist_ok=True)
    _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", f"/CN={name} Timestamp Root CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
             cwd=d)
    _openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", f"/CN={name} TSA", cwd=d)
    with open(os.path.join(d, "tsa.ext"), "w") as f:
        f.write(_TSA_EXT)
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "tsa.pem", "-days", "30", "-extfile", "tsa.ext", cwd=d)
    with open(os.path.join(d, "tsaserial"), "w") as f:
        f.write("01\n")
    with open(os.path.join(d, "ts.cnf"), "w") as f:
        f.write(_TS_CONFIG.format(dir=d))
    return os.path.join(d, "ca.pem"), os.path.join(d, "tsa.pem")


class LocalTSA:
    """Context manager: ``url``, ``ca_file`` (trust store), ``tsa_cert``, ``requests`` (count served)."""

    def __init__(self, workdir: str | None = None, name: str = "Test"):
        self.dir = os.path.abspath(workdir or tempfile.mkdtemp(prefix="tsa-"))
        self.ca_file, self.tsa_cert = make_ca_and_tsa(self.dir, name)
        self.requests = 0
        self._lock = threading.Lock()

    def reply(self, query: bytes) -> tuple[int, bytes]:
        with self._lock:  # the serial file is shared
            fd, qpath = tempfile.mkstemp(dir=self.dir, suffix=".tsq")
            with os.fdopen(fd, "wb") as f:
                f.write(query)
            rpath = qpath[:-4] + ".tsr"
            try:
                done = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(self.dir, "ts.cnf"),
                                       "-queryfile", qpath, "-out", rpath], capture_output=True)
                if done.returncode != 0:
                    return 400, done.stderr
                with open(rpath, "rb") as f:
                    self.requests += 1
                    return 200, f.read()
            finally:
                for p in (qpath, rpath):
                    if os.path.exists(p):
                        os.remove(p)

    def __enter__(self) -> "LocalTSA":
        tsa = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    code, data, ctype = 415, b"expected application/timestamp-query", "text/plain"
                else:
                    code, data = tsa.reply(body)
                    ctype = "application/timestamp-reply" if code == 200 else "text/plain"
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/tsa"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
