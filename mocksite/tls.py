"""A throw-away certificate authority for the mock's HTTPS server.

Generated fresh at every start (trustme), so no private key ever lives in the
repository. Clients trust the mock by loading `ca.pem` from the TLS directory.
"""

import os
import ssl

import trustme


def make_tls(tls_dir, hosts):
    """Create a CA and a server certificate for `hosts`.

    Writes ``ca.pem`` (the CA certificate clients should trust) and
    ``server.pem`` (server key + chain, for other tools) into `tls_dir`.
    Returns (ssl.SSLContext for the server, path of ca.pem).
    """
    os.makedirs(tls_dir, exist_ok=True)
    ca = trustme.CA(organization_name="bioarchive mocksite test CA")
    names = []
    for h in hosts:
        if h and h not in names:
            names.append(h)
    cert = ca.issue_cert(*names)
    ca_path = os.path.join(tls_dir, "ca.pem")
    ca.cert_pem.write_to_path(ca_path)
    server_path = os.path.join(tls_dir, "server.pem")
    cert.private_key_and_cert_chain_pem.write_to_path(server_path)

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert.configure_cert(ctx)
    # Only HTTP/1.1: the mock reproduces HTTP/1.1 framing (chunks, resets).
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx, ca_path

