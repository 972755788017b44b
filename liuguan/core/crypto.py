"""Pluggable cryptography: named hash, signature and cipher algorithms, and the keyring of the data keys.

A level-3 system under MLPS 2.0 (等保 2.0, GB/T 22239-2019) is expected to use commercial cryptography
(商用密码) where data is signed, chained or encrypted. Every place that hashes, signs or encrypts asks this
module by name, and settings choose the defaults:

- hashes (`LIUGUAN_HASH`): `sha256` (default) and `sm3` (GB/T 32905), both from `cryptography`'s OpenSSL;
- signatures (`LIUGUAN_SIGNATURE`): `ed25519` (default, `cryptography`) and `sm2` (GB/T 32918, with SM3 and
  the standard's default user ID, from `gmalg`, a maintained pure-Python implementation: `cryptography` has
  no SM2; `gmssl` asks the caller for the random k and its own helper draws it from `random`, not `secrets`);
- ciphers (`LIUGUAN_CIPHER`): `aes-256-gcm` (default) and `sm4-gcm` (GB/T 32907 in GCM, as RFC 8998), both
  from `cryptography`.

What is stored names its algorithm (an audit event its hash, a peer's key its signature scheme, a ciphertext
its cipher and key version), so switching a default never makes old data unreadable or unverifiable.

The data keys (`LIUGUAN_DATA_KEYS` encrypts ID and phone numbers at rest, `LIUGUAN_INDEX_KEYS` keys their blind
index) are `version:base64` pairs separated by commas; the highest version is current. Without them (demo,
development) a key file `data_keys.json` in VAR_DIR is made on first use, like the secret key.
"""

import base64
import binascii
import contextlib
import functools
import hashlib
import hmac as _hmac
import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher as _Cipher
from cryptography.hazmat.primitives.ciphers import algorithms as _algorithms
from cryptography.hazmat.primitives.ciphers import modes as _modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

from .identity import normalize_document_number


class CryptoError(Exception):
    """A ciphertext that does not decrypt, a key version the keyring lacks, an unknown algorithm."""


# ---------------------------------------------------------------------------------------------------------------
# Hashes


@dataclass(frozen=True)
class HashAlgorithm:
    name: str
    code: str  # one letter, for compact tags (the blind index)
    hashlib_name: str

    def new(self, data: bytes = b""):
        return hashlib.new(self.hashlib_name, data)

    def digest(self, data: bytes) -> bytes:
        return hashlib.new(self.hashlib_name, data).digest()

    def hexdigest(self, data: bytes) -> str:
        return hashlib.new(self.hashlib_name, data).hexdigest()

    def hmac(self, key: bytes, data: bytes) -> bytes:
        return _hmac.new(key, data, self.hashlib_name).digest()


HASHES: dict[str, HashAlgorithm] = {
    "sha256": HashAlgorithm("sha256", "s", "sha256"),
    "sm3": HashAlgorithm("sm3", "m", "sm3"),
}


def hash_algorithm(name: str | None = None) -> HashAlgorithm:
    """The named hash, or the configured one (settings.LIUGUAN_HASH)."""
    name = name or getattr(settings, "LIUGUAN_HASH", "sha256")
    try:
        found = HASHES[name]
    except KeyError:
        raise CryptoError(f"unknown hash algorithm {name!r} (known: {', '.join(HASHES)})") from None
    if not _openssl_has(found.hashlib_name):  # pragma: no cover - SM3 is in OpenSSL 1.1.1 and later
        raise CryptoError(f"this Python's OpenSSL has no {name}")
    return found


def hash_names() -> list[str]:
    """Every hash's name, the configured one first: what was made before a switch of LIUGUAN_HASH still matches."""
    current = hash_algorithm().name
    return [current, *(name for name in HASHES if name != current)]


@functools.cache
def _openssl_has(hashlib_name: str) -> bool:
    try:
        hashlib.new(hashlib_name)
    except ValueError:  # pragma: no cover - depends on the system's OpenSSL
        return False
    return True


# ---------------------------------------------------------------------------------------------------------------
# Signatures


def b64encode(raw: bytes) -> str:
    """Standard base64 as text."""
    return base64.b64encode(raw).decode("ascii")


def b64decode_exact(value: str, length: int | None = None) -> bytes | None:
    """The bytes of strict base64 (of exactly `length` bytes when given), or None."""
    try:
        raw = base64.b64decode((value or "").strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if length is None or len(raw) == length else None


@dataclass(frozen=True)
class SignatureAlgorithm:
    """A signature scheme: private keys as PEM-like text, public keys and signatures as raw bytes."""

    name: str
    public_key_bytes: int
    signature_bytes: int
    generate: Callable[[], bytes]  # a new private key, serialised
    public_key: Callable[[bytes], bytes]  # serialised private key -> raw public key
    sign: Callable[[bytes, bytes], bytes]  # (serialised private key, message) -> signature
    verify: Callable[[bytes, bytes, bytes], bool]  # (raw public key, message, signature) -> ok
    public_key_valid: Callable[[bytes], bool]


def _ed_load(private: bytes) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(private, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise CryptoError("not an Ed25519 private key")
    return key


def _ed_generate() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _ed_public(private: bytes) -> bytes:
    return _ed_load(private).public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _ed_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _ed_valid(public: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public)
    except ValueError:
        return False
    return True


# SM2: the private key is kept as text "-----BEGIN SM2 PRIVATE KEY-----\n<hex of the 32-byte scalar>\n-----END..."
# (there is no PKCS#8 support for the SM2 curve in `cryptography`); the public key is the uncompressed point
# 04||x||y (65 bytes); the signature is r||s, 32 bytes each. The user ID is GB/T 32918's default.
SM2_UID = b"1234567812345678"
_SM2_BEGIN, _SM2_END = b"-----BEGIN SM2 PRIVATE KEY-----", b"-----END SM2 PRIVATE KEY-----"
_sm2_cache: dict[bytes, object] = {}


def _sm2(private: bytes | None = None, public: bytes | None = None):
    import gmalg

    if private is not None:
        found = _sm2_cache.get(private)
        if found is None:
            body = private.strip()
            if not (body.startswith(_SM2_BEGIN) and body.endswith(_SM2_END)):
                raise CryptoError("not an SM2 private key")
            sk = bytes.fromhex(body[len(_SM2_BEGIN) : -len(_SM2_END)].strip().decode("ascii"))
            found = _sm2_cache[private] = gmalg.SM2(sk=sk, uid=SM2_UID)
        return found
    return gmalg.SM2(pk=public, uid=SM2_UID)


def _sm2_generate() -> bytes:
    import gmalg

    sk, _pk = gmalg.SM2().generate_keypair()
    return _SM2_BEGIN + b"\n" + sk.rjust(32, b"\0").hex().encode("ascii") + b"\n" + _SM2_END + b"\n"


def _sm2_public(private: bytes) -> bytes:
    sm2 = _sm2(private)
    sk = bytes.fromhex(private.strip()[len(_SM2_BEGIN) : -len(_SM2_END)].strip().decode("ascii"))
    return sm2.generate_pk(sk)


def _sm2_sign(private: bytes, message: bytes) -> bytes:
    r, s = _sm2(private).sign(message)
    return r.rjust(32, b"\0") + s.rjust(32, b"\0")


def _sm2_valid(public: bytes) -> bool:
    import gmalg

    if len(public) != 65 or public[0] != 4:
        return False
    try:
        return bool(gmalg.SM2().verify_pk(public))
    except Exception:  # noqa: BLE001 - gmalg raises various errors on points off the curve
        return False


def _sm2_verify(public: bytes, message: bytes, signature: bytes) -> bool:
    if len(signature) != 64 or not _sm2_valid(public):
        return False
    try:
        return bool(_sm2(public=public).verify(message, signature[:32], signature[32:]))
    except Exception:  # noqa: BLE001
        return False


SIGNATURES: dict[str, SignatureAlgorithm] = {
    "ed25519": SignatureAlgorithm("ed25519", 32, 64, _ed_generate, _ed_public, lambda k, m: _ed_load(k).sign(m),
                                  _ed_verify, _ed_valid),
    "sm2": SignatureAlgorithm("sm2", 65, 64, _sm2_generate, _sm2_public, _sm2_sign, _sm2_verify, _sm2_valid),
}  # fmt: skip


def signature_algorithm(name: str | None = None) -> SignatureAlgorithm:
    """The named signature scheme, or the configured one (settings.LIUGUAN_SIGNATURE)."""
    name = name or getattr(settings, "LIUGUAN_SIGNATURE", "ed25519")
    try:
        return SIGNATURES[name]
    except KeyError:
        raise CryptoError(f"unknown signature algorithm {name!r} (known: {', '.join(SIGNATURES)})") from None


# ---------------------------------------------------------------------------------------------------------------
# Ciphers (authenticated encryption)


@dataclass(frozen=True)
class CipherAlgorithm:
    name: str
    key_bytes: int
    nonce_bytes: int
    encrypt: Callable[..., bytes]  # (key, nonce, plaintext, aad=b"") -> ciphertext||tag
    decrypt: Callable[..., bytes]  # (key, nonce, ciphertext||tag, aad=b"") -> plaintext


def _sm4_gcm_encrypt(key: bytes, nonce: bytes, plain: bytes, aad: bytes = b"") -> bytes:
    enc = _Cipher(_algorithms.SM4(key), _modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    return enc.update(plain) + enc.finalize() + enc.tag


def _sm4_gcm_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes = b"") -> bytes:
    if len(data) < 16:
        raise CryptoError("ciphertext too short")
    dec = _Cipher(_algorithms.SM4(key), _modes.GCM(nonce, data[-16:])).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    try:
        return dec.update(data[:-16]) + dec.finalize()
    except InvalidTag:
        raise CryptoError("ciphertext does not authenticate") from None


@functools.lru_cache(maxsize=64)
def _aesgcm(key: bytes) -> AESGCM:
    return AESGCM(key)


def _aes_encrypt(key: bytes, nonce: bytes, plain: bytes, aad: bytes = b"") -> bytes:
    return _aesgcm(key).encrypt(nonce, plain, aad or None)


def _aes_decrypt(key: bytes, nonce: bytes, data: bytes, aad: bytes = b"") -> bytes:
    try:
        return _aesgcm(key).decrypt(nonce, data, aad or None)
    except InvalidTag:
        raise CryptoError("ciphertext does not authenticate") from None


CIPHERS: dict[str, CipherAlgorithm] = {
    "aes-256-gcm": CipherAlgorithm("aes-256-gcm", 32, 12, _aes_encrypt, _aes_decrypt),
    "sm4-gcm": CipherAlgorithm("sm4-gcm", 16, 12, _sm4_gcm_encrypt, _sm4_gcm_decrypt),
}


def cipher_algorithm(name: str | None = None) -> CipherAlgorithm:
    """The named cipher, or the configured one (settings.LIUGUAN_CIPHER)."""
    name = name or getattr(settings, "LIUGUAN_CIPHER", "aes-256-gcm")
    try:
        return CIPHERS[name]
    except KeyError:
        raise CryptoError(f"unknown cipher {name!r} (known: {', '.join(CIPHERS)})") from None


# ---------------------------------------------------------------------------------------------------------------
# The keyring of the data keys


@dataclass(frozen=True)
class Keyring:
    """Versioned keys; the highest version is the current one."""

    keys: dict[int, bytes]

    @property
    def current(self) -> int:
        return max(self.keys)

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise CryptoError(f"key version {version} is not in the keyring") from None


def parse_keys(text: str) -> dict[int, bytes]:
    """`1:<base64>,2:<base64>` as {version: key}; every key at least 32 bytes."""
    keys: dict[int, bytes] = {}
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        version, sep, value = part.partition(":")
        raw = b64decode_exact(value)
        if not sep or not version.strip().isdigit() or raw is None or len(raw) < 32:
            raise CryptoError("a data key must read <version>:<base64 of at least 32 bytes>")
        keys[int(version)] = raw
    return keys


_keyring_lock = threading.Lock()
_keyrings: dict[str, tuple] = {}


def key_file() -> Path:
    return Path(getattr(settings, "LIUGUAN_DATA_KEY_FILE", "") or Path(settings.VAR_DIR) / "data_keys.json")


def write_private(path: Path, content: str | bytes, *, replace: bool) -> None:
    """Write a key file whole to a private (0600) temporary file, then move or link it into place: two processes
    starting at once never see half a key; without `replace` the loser's link fails and it reads the winner's.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "wb" if isinstance(content, bytes) else "w") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        if replace:
            os.replace(tmp, path)
            tmp = ""
        else:
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    finally:
        if tmp:
            os.unlink(tmp)


def _file_keys() -> dict:
    path = key_file()
    if not path.exists():
        fresh = {"data": {"1": b64encode(secrets.token_bytes(32))}, "index": {"1": b64encode(secrets.token_bytes(32))}}
        write_private(path, json.dumps(fresh, indent=1), replace=False)
    return json.loads(path.read_text())


def _stored_keys(stored: dict) -> dict[int, bytes]:
    return {int(v): base64.b64decode(k) for v, k in stored.items()}


def keyrings() -> tuple[Keyring, Keyring]:
    """(the encryption keyring, the blind-index keyring): from the settings, else from the key file.

    Cached; the key file is looked at again at most once a second (a rotation in another process adds a key).
    """
    data_text = getattr(settings, "LIUGUAN_DATA_KEYS", "")
    index_text = getattr(settings, "LIUGUAN_INDEX_KEYS", "")
    # The raw settings, not key_file()'s Path: this runs for every value encrypted, decrypted or indexed.
    setting = (data_text, index_text, getattr(settings, "LIUGUAN_DATA_KEY_FILE", ""), str(settings.VAR_DIR))
    now = time.monotonic()
    cached = _keyrings.get("current")
    if cached and cached[0] == setting and (data_text and index_text or now - cached[1] < 1.0):
        return cached[3]
    path = key_file()
    with _keyring_lock:
        mtime = path.stat().st_mtime_ns if path.exists() else 0
        if cached and cached[0] == setting and cached[2] == mtime:
            _keyrings["current"] = (setting, now, mtime, cached[3])
            return cached[3]
        if data_text and index_text:
            data, index = parse_keys(data_text), parse_keys(index_text)
        else:
            stored = _file_keys()
            mtime = path.stat().st_mtime_ns
            data = parse_keys(data_text) if data_text else _stored_keys(stored["data"])
            index = parse_keys(index_text) if index_text else _stored_keys(stored["index"])
        if not data or not index:
            raise CryptoError("the keyring is empty")
        found = (Keyring(data), Keyring(index))
        _keyrings["current"] = (setting, now, mtime, found)
    return found


def keyrings_reload() -> None:
    """Forget the cached keyrings (after this process changed the key file)."""
    _keyrings.clear()


def keyring_add(kind: str) -> int:
    """Add a new current key of `kind` ("data" or "index") to the key file; the new version. The key file only:
    keys given in the environment are added there by the operator.
    """
    setting = {"data": "LIUGUAN_DATA_KEYS", "index": "LIUGUAN_INDEX_KEYS"}[kind]
    if getattr(settings, setting, ""):
        raise CryptoError(f"{setting} is set: add the new key to it (version:base64) and restart")
    stored = _file_keys()
    version = max(int(v) for v in stored[kind]) + 1
    stored[kind][str(version)] = b64encode(secrets.token_bytes(32))
    write_private(key_file(), json.dumps(stored, indent=1), replace=True)
    keyrings_reload()
    return version


def keyring_remove(kind: str, versions) -> None:
    """Drop old key versions from the key file (after rotation)."""
    setting = {"data": "LIUGUAN_DATA_KEYS", "index": "LIUGUAN_INDEX_KEYS"}[kind]
    if getattr(settings, setting, ""):
        raise CryptoError(f"{setting} is set: remove the old key from it and restart")
    stored = _file_keys()
    for version in versions:
        stored[kind].pop(str(version), None)
    if not stored[kind]:
        raise CryptoError("cannot remove every key")
    write_private(key_file(), json.dumps(stored, indent=1), replace=True)
    keyrings_reload()


def _subkey(master: bytes, cipher: CipherAlgorithm) -> bytes:
    """A key for one cipher, derived from the master key (HMAC-SHA256 as a KDF, labelled by the cipher)."""
    return _derive(master, cipher.name, cipher.key_bytes)


@functools.lru_cache(maxsize=64)
def _derive(master: bytes, name: str, length: int) -> bytes:
    return _hmac.new(master, b"liuguan-data-key:" + name.encode(), "sha256").digest()[:length]


# ---------------------------------------------------------------------------------------------------------------
# Field encryption and the blind index

PREFIX = "v"


def encrypt_text(value: str, *, cipher: str | None = None, version: int | None = None) -> str:
    """`v<key version>:<cipher>:<base64 of nonce||ciphertext||tag>`; empty stays empty."""
    if value is None or value == "":
        return value
    data, _index = keyrings()
    algorithm = cipher_algorithm(cipher)
    version = data.current if version is None else version
    nonce = secrets.token_bytes(algorithm.nonce_bytes)
    sealed = algorithm.encrypt(_subkey(data.key(version), algorithm), nonce, value.encode("utf-8"))
    return f"{PREFIX}{version}:{algorithm.name}:{b64encode(nonce + sealed)}"


def parse_ciphertext(value: str) -> tuple[int, str, bytes] | None:
    """(key version, cipher, nonce||ciphertext) of a stored value, or None when it is not a ciphertext."""
    if not value or not value.startswith(PREFIX):
        return None
    head, sep, rest = value[len(PREFIX) :].partition(":")
    name, sep2, body = rest.partition(":")
    if not (sep and sep2 and head.isdigit() and name in CIPHERS):
        return None
    raw = b64decode_exact(body)
    if raw is None:
        return None
    return int(head), name, raw


def is_encrypted(value) -> bool:
    return isinstance(value, str) and parse_ciphertext(value) is not None


def decrypt_text(value: str) -> str:
    """The plaintext of a stored value; a value that is not a ciphertext (not yet migrated, empty) as it is."""
    parsed = parse_ciphertext(value) if isinstance(value, str) else None
    if parsed is None:
        return value
    version, name, raw = parsed
    data, _index = keyrings()
    algorithm = CIPHERS[name]
    nonce, sealed = raw[: algorithm.nonce_bytes], raw[algorithm.nonce_bytes :]
    return algorithm.decrypt(_subkey(data.key(version), algorithm), nonce, sealed).decode("utf-8")


def key_version(value: str) -> int | None:
    parsed = parse_ciphertext(value) if isinstance(value, str) else None
    return parsed[0] if parsed else None


def normalise(value: str) -> str:
    """The form a number is indexed in: as the registry keeps document numbers (NFKC, no spaces or dashes, upper
    case), so a number stored and the same number looked up give one index.
    """
    return normalize_document_number(value)


INDEX_BYTES = 16


def blind_index(value: str, *, version: int | None = None, hash_name: str | None = None) -> str:
    """`<index key version><hash code>:<hex of 128 bits of HMAC(index key, normalised value)>`; "" for empty."""
    text = normalise(value)
    if not text:
        return ""
    _data, index = keyrings()
    algorithm = hash_algorithm(hash_name)
    version = index.current if version is None else version
    tag = algorithm.hmac(index.key(version), text.encode("utf-8"))[:INDEX_BYTES].hex()
    return f"{version}{algorithm.code}:{tag}"


def blind_index_candidates(value: str) -> list[str]:
    """Every index a stored value may have now: under each index key version of the keyring and each hash.

    Lookups match any of them, so a rotation of the index key (or a switch of LIUGUAN_HASH) needs no lock:
    rows not yet recomputed are still found. In the steady state that is one key and two hashes: `IN (a, b)`.
    """
    text = normalise(value)
    if not text:
        return [""]
    _data, index = keyrings()
    names = hash_names()
    return [blind_index(text, version=v, hash_name=n) for v in sorted(index.keys, reverse=True) for n in names]


def index_is_current(tag: str) -> bool:
    """Whether a stored index was made with the current index key and hash."""
    if not tag:
        return True
    _data, index = keyrings()
    return tag.startswith(f"{index.current}{hash_algorithm().code}:")
