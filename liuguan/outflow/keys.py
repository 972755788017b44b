"""The identity of this instance and its key pair, and the signatures on federation messages.

The signature algorithm is pluggable (liuguan.core.crypto, settings.LIUGUAN_SIGNATURE): Ed25519 by default,
SM2 (GB/T 32918) as an option. The private key lives in `settings.LIUGUAN_FEDERATION["key_file"]` (Ed25519:
PEM, PKCS#8; SM2: beside it, `federation_sm2.key`), unencrypted, mode 0600, made on first use like the secret
key; it never leaves this machine. Peers know the public key as base64 of its raw bytes, exchanged out of band
(`manage.py federation_identity` prints it): an Ed25519 key as plain base64 of 32 bytes (as before), any other
algorithm's key with its name in front, `sm2:<base64 of the 65-byte point>`. A peer's key thus says its
algorithm, and a message from it is verified with that algorithm whatever this instance signs with.
"""

import threading
from pathlib import Path

from django.conf import settings

from liuguan.core import crypto

SIGNATURE_HEADER = "X-Liuguan-Signature"
SIGNATURE_BYTES = 64  # Ed25519 and SM2 (r||s) alike

_lock = threading.Lock()
# Loaded keys by file path: tests point the setting at other files, so the cache is keyed by path.
_loaded: dict[str, bytes] = {}


def instance_id() -> str:
    """The identity of this instance among its peers, such as CN-51."""
    return settings.LIUGUAN_FEDERATION["instance"]


def algorithm() -> crypto.SignatureAlgorithm:
    return crypto.signature_algorithm()


def key_file() -> Path:
    path = Path(settings.LIUGUAN_FEDERATION["key_file"])
    name = algorithm().name
    return path if name == "ed25519" else path.with_name(f"federation_{name}.key")


def private_key() -> bytes:
    """The serialised signing key of this instance (for the configured algorithm), made on first use."""
    path = key_file()
    with _lock:
        key = _loaded.get(str(path))
        if key is None:
            if not path.exists():
                crypto.write_private(path, algorithm().generate(), replace=False)
            key = path.read_bytes()
            try:
                algorithm().public_key(key)
            except (crypto.CryptoError, ValueError, TypeError):
                raise ValueError(f"{path} does not hold an {algorithm().name} private key") from None
            _loaded[str(path)] = key
    return key


def public_key_b64() -> str:
    """The public key of this instance as peers configure it (Ed25519: plain base64; else `<alg>:<base64>`)."""
    raw = algorithm().public_key(private_key())
    return crypto.b64encode(raw) if algorithm().name == "ed25519" else f"{algorithm().name}:{crypto.b64encode(raw)}"


def decode_b64(value: str, length: int) -> bytes | None:
    """The bytes of strict base64 of exactly `length` bytes, or None."""
    return crypto.b64decode_exact(value, length)


def parse_public_key(value: str) -> tuple[crypto.SignatureAlgorithm, bytes] | None:
    """(algorithm, raw key) of a configured public key, or None when it is not a usable key."""
    value = (value or "").strip()
    name, sep, rest = value.partition(":")
    if not sep:
        name, rest = "ed25519", value
    scheme = crypto.SIGNATURES.get(name)
    if scheme is None:
        return None
    raw = decode_b64(rest, scheme.public_key_bytes)
    if raw is None or not scheme.public_key_valid(raw):
        return None
    return scheme, raw


def public_key_valid(value: str) -> bool:
    """Whether a string is a usable public key: base64 of an Ed25519 key, or `sm2:` and base64 of an SM2 point."""
    return parse_public_key(value) is not None


def sign(body: bytes) -> str:
    """The base64 signature of the exact bytes, with this instance's algorithm."""
    return crypto.b64encode(algorithm().sign(private_key(), body))


def verify(public_key_b64: str, body: bytes, signature_b64: str) -> bool:
    """Whether the signature is the holder of that public key's, over exactly these bytes (with the key's algorithm)."""
    parsed = parse_public_key(public_key_b64)
    if parsed is None:
        return False
    scheme, raw_key = parsed
    raw_signature = decode_b64(signature_b64, scheme.signature_bytes)
    if raw_signature is None:
        return False
    return scheme.verify(raw_key, body, raw_signature)


def signature_header(body: bytes) -> str:
    """The value of the X-Liuguan-Signature header for a body this instance sends: `<algorithm>=<base64>`."""
    return f"{algorithm().name}={sign(body)}"


def signature_from_header(value: str | None) -> str:
    """The base64 signature a header carries, or "" when the header is missing or of an unknown scheme.

    The scheme named in the header is not trusted: the signature is verified with the sender's configured key's
    algorithm.
    """
    value = (value or "").strip()
    name, sep, rest = value.partition("=")
    return rest.strip() if sep and name in crypto.SIGNATURES else ""
