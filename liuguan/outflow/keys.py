"""The identity of this instance and its Ed25519 key pair, and the signatures on federation messages.

The private key lives in `settings.LIUGUAN_FEDERATION["key_file"]` (PEM, PKCS#8, unencrypted, mode 0600),
made on first use like the secret key; it never leaves this machine. Peers know the public key as base64 of
its raw 32 bytes, exchanged out of band (`manage.py federation_identity` prints it).
"""

import base64
import binascii
import contextlib
import os
import tempfile
import threading
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

SIGNATURE_HEADER = "X-Liuguan-Signature"
SIGNATURE_SCHEME = "ed25519="
PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64

_lock = threading.Lock()
# Loaded keys by file path: tests point the setting at other files, so the cache is keyed by path.
_loaded: dict[str, Ed25519PrivateKey] = {}


def instance_id() -> str:
    """The identity of this instance among its peers, such as CN-51."""
    return settings.LIUGUAN_FEDERATION["instance"]


def key_file() -> Path:
    return Path(settings.LIUGUAN_FEDERATION["key_file"])


def _create(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole to a private temporary file, then linked into place: two processes starting at once never
    # see half a key or overwrite each other's (the loser's link fails and it reads the winner's).
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".federation-key-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


def private_key() -> Ed25519PrivateKey:
    """The signing key of this instance, made on first use."""
    path = key_file()
    with _lock:
        key = _loaded.get(str(path))
        if key is None:
            if not path.exists():
                _create(path)
            loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(loaded, Ed25519PrivateKey):
                raise ValueError(f"{path} does not hold an Ed25519 private key")
            key = _loaded[str(path)] = loaded
    return key


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def public_key_b64() -> str:
    """The public key of this instance as peers configure it: base64 of the raw 32 bytes."""
    raw = private_key().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _b64(raw)


def decode_b64(value: str, length: int) -> bytes | None:
    """The bytes of strict base64 of exactly `length` bytes, or None."""
    try:
        raw = base64.b64decode((value or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == length else None


def public_key_valid(value: str) -> bool:
    """Whether a string is base64 of a usable Ed25519 public key."""
    raw = decode_b64(value, PUBLIC_KEY_BYTES)
    if raw is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        return False
    return True


def sign(body: bytes) -> str:
    """The base64 Ed25519 signature of the exact bytes."""
    return _b64(private_key().sign(body))


def verify(public_key_b64: str, body: bytes, signature_b64: str) -> bool:
    """Whether the signature is the holder of that public key's, over exactly these bytes."""
    raw_key = decode_b64(public_key_b64, PUBLIC_KEY_BYTES)
    raw_signature = decode_b64(signature_b64, SIGNATURE_BYTES)
    if raw_key is None or raw_signature is None:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(raw_key).verify(raw_signature, body)
    except (InvalidSignature, ValueError):
        return False
    return True


def signature_header(body: bytes) -> str:
    """The value of the X-Liuguan-Signature header for a body this instance sends."""
    return SIGNATURE_SCHEME + sign(body)


def signature_from_header(value: str | None) -> str:
    """The base64 signature a header carries, or "" when the header is missing or of another scheme."""
    value = (value or "").strip()
    return value[len(SIGNATURE_SCHEME) :].strip() if value.startswith(SIGNATURE_SCHEME) else ""
