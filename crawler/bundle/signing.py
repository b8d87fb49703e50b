"""Signing a bundle's manifest digest: the anonymous form of the WACZ signing spec.

specs.webrecorder.net/wacz-auth/0.1.0: ``datapackage-digest.json`` holds
``signedData`` = {hash, created, software, signature, publicKey}. The
signature is ECDSA (P-256 here) with SHA-256 over the UTF-8 bytes of the
``hash`` string ("sha256:<hex of datapackage.json>"), base64 of the raw
r||s form (IEEE P1363), which is what the spec's anonymous-form tools
(ArchiveWeb.page signs, ReplayWeb.page verifies, both with WebCrypto) use;
``publicKey`` is base64 of the SubjectPublicKeyInfo DER. Verification also
accepts DER signatures (authsign's encoding).

An anonymous signature proves the manifest was signed by whoever holds the
private key, nothing more: the embedded public key must be compared with a
fingerprint obtained another way.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from crawler import SOFTWARE, __version__
from crawler.bundle.keys import fingerprint, load_or_create_key, spki_der

__all__ = ["created_now", "fingerprint", "load_or_create_key", "sign_digest", "verify_signed_data"]

ANONYMOUS_KEYS = {"hash", "created", "software", "version", "signature", "publicKey",
                  "timeSignature", "timestampCert"}


def created_now() -> str:
    """The spec's ``created``: UTC, whole seconds, as py-wacz writes it (and compares it)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _coordinate_bytes(public_key) -> int:
    return (public_key.curve.key_size + 7) // 8


def sign_digest(private_key, hash_string: str, created: str | None = None, software: str | None = None) -> dict:
    """signedData for ``hash_string``; ``created`` must be datapackage.json's ``created``."""
    der = private_key.sign(hash_string.encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    size = _coordinate_bytes(private_key.public_key())
    raw = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    return {
        "hash": hash_string,
        "created": created or created_now(),
        "software": software or f"{SOFTWARE} {__version__}",
        "signature": base64.b64encode(raw).decode("ascii"),
        "publicKey": base64.b64encode(spki_der(private_key.public_key())).decode("ascii"),
    }


def verify_signed_data(signed_data: dict, expected_fingerprint: str | None = None) -> tuple[bool, str]:
    """Check an anonymous signedData; (ok, one-line message). The caller checks ``hash`` against the manifest."""
    if not isinstance(signed_data, dict):
        return False, "signedData is not an object"
    if "publicKey" not in signed_data:
        if "domainCert" in signed_data:
            return False, "domain-form signature (certificate-backed): not checked by this tool"
        return False, "signedData has no publicKey"
    for name in ("hash", "signature"):
        if not isinstance(signed_data.get(name), str):
            return False, f"signedData has no {name}"
    try:
        der_key = base64.b64decode(signed_data["publicKey"], validate=True)
        public_key = serialization.load_der_public_key(der_key)
    except (ValueError, binascii.Error) as e:
        return False, f"publicKey is not a base64 SubjectPublicKeyInfo ({e})"
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        return False, "publicKey is not an ECDSA key"
    key_fp = fingerprint(der_key)
    try:
        sig = base64.b64decode(signed_data["signature"], validate=True)
    except (ValueError, binascii.Error):
        return False, "signature is not base64"
    size = _coordinate_bytes(public_key)
    if len(sig) == 2 * size:  # raw r||s (WebCrypto, what we write)
        sig = encode_dss_signature(int.from_bytes(sig[:size], "big"), int.from_bytes(sig[size:], "big"))
    try:
        public_key.verify(sig, signed_data["hash"].encode("utf-8"), ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False, f"signature does not verify with the embedded public key {key_fp}"
    curve = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(public_key.curve.name,
                                                                                public_key.curve.name)
    if expected_fingerprint:
        if expected_fingerprint.strip().lower() != key_fp:
            return False, (f"signature is valid but made with key {key_fp}, "
                           f"not the expected {expected_fingerprint.strip()}")
        return True, f"signature valid (ECDSA {curve}), key {key_fp} is the expected one"
    return True, (f"signature valid (ECDSA {curve}) for the embedded key {key_fp}; "
                  "compare this fingerprint with the one the sender gave you")
