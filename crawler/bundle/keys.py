"""The bundle signing key store: one ECDSA P-256 private key, PEM, readable by its owner only.

Default place ``ARCHIVE_DIR/keys/bundle-signing-key.pem``; the setting
``BUNDLE_SIGNING_KEY`` names another file (a key kept off the collection
disk, say). Beside it, ``<name>.pub.pem`` holds the public key to give to
recipients together with its fingerprint: the fingerprint, sent by another
channel (letter, phone, a separate e-mail), is what lets them know the
bundle was signed by this key and not by someone who swapped key and signature.

A key is created once and never overwritten; losing it only means new
bundles carry a new fingerprint, old bundles still verify.
"""

from __future__ import annotations

import hashlib
import os
import stat

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

DEFAULT_KEY = os.path.join("keys", "bundle-signing-key.pem")


class KeyError_(ValueError):
    """The key file is unreadable or not an ECDSA P-256 key; the message names the file."""


def key_path(settings) -> str:
    """Where the signing key lives for these Scrapy settings."""
    explicit = (settings.get("BUNDLE_SIGNING_KEY") or "").strip()
    if explicit:
        return os.path.abspath(os.path.expanduser(explicit))
    return os.path.abspath(os.path.join(settings.get("ARCHIVE_DIR") or "warcs", DEFAULT_KEY))


def public_key_path(path: str) -> str:
    base = path[:-4] if path.endswith(".pem") else path
    return base + ".pub.pem"


def spki_der(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key) -> str:
    """``sha256:<hex>`` of the SubjectPublicKeyInfo DER; accepts a public or private key, or SPKI bytes."""
    if isinstance(key, (bytes, bytearray)):
        der = bytes(key)
    else:
        if hasattr(key, "public_key"):
            key = key.public_key()
        der = spki_der(key)
    return "sha256:" + hashlib.sha256(der).hexdigest()


def load_key(path: str):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise KeyError_(f"cannot read signing key {path}: {e.strerror or e}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as e:
        raise KeyError_(f"{path} is not an unencrypted PEM private key ({e})") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyError_(f"{path} is not an ECDSA P-256 key")
    return key


def create_key(path: str):
    """A new P-256 key at ``path`` (mode 0600, created exclusively) and its public PEM beside it."""
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, mode=0o700, exist_ok=True)
    # O_EXCL: never replace a key someone already gave the fingerprint of.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, pem)
        os.fsync(fd)
    finally:
        os.close(fd)
    write_public_key(path, key)
    return key


def write_public_key(path: str, key) -> str:
    pub = public_key_path(path)
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        with open(pub, "rb") as f:
            if f.read() == pem:
                return pub
    except OSError:
        pass
    tmp = pub + ".tmp"
    with open(tmp, "wb") as f:
        f.write(pem)
    os.chmod(tmp, 0o644)
    os.replace(tmp, pub)
    return pub


def load_or_create_key(path: str):
    """(private key, created: bool). Never overwrites an existing file."""
    if os.path.exists(path):
        return load_key(path), False
    try:
        return create_key(path), True
    except FileExistsError:  # another process made it meanwhile: use theirs
        return load_key(path), False


def permission_warning(path: str) -> str | None:
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None
    if mode & 0o077:
        return f"warning: {path} is readable by others (mode {mode:04o}); run: chmod 600 {path}"
    return None
