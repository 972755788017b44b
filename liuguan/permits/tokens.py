"""The signed token in a permit's QR code: which permit, which printing of it, and a tag nobody can forge.

A token reads `<permit id in base 36>.<the permit's token_nonce>.<tag>`, about 45 characters, so the URL
stays short and the QR code small enough to scan off a card. The tag is 128 bits of HMAC-SHA256 (HMAC-SM3
with LIUGUAN_HASH=sm3; tokens made with either verify after a switch) over the first two parts, keyed by
SECRET_KEY as Django's `salted_hmac` does it, with a salt of its own (a key used for
nothing else); SECRET_KEY_FALLBACKS are tried too, so rotating the key does not void the cards in people's
pockets until the old key is dropped.

Why a keyed tag and not a public-key signature (Ed25519): the token asserts nothing a verifier could use
offline. It carries no name, kind or term, and the answer a checker needs ("revoked as of now") can only
come from the live record, so verification is always online and the server that signs is the server that
checks. A tag is shorter (a denser QR code is harder to scan off a worn card) and needs no new key to keep.

Changing a permit's nonce (a replacement is a new permit with a new nonce) leaves old tokens well signed
but naming a nonce the permit no longer has; the verification page answers "replaced" to those.
"""

import base64
import re
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare

from liuguan.core import crypto

SALT = "liuguan.permits.tokens.qr"
TAG_BYTES = 16
_TOKEN = re.compile(r"([0-9a-z]{1,13})\.([A-Za-z0-9_-]{8,24})\.([A-Za-z0-9_-]{22})")


@dataclass(frozen=True)
class Claim:
    """What a well-signed token says: this permit, printed with this nonce."""

    permit_id: int
    nonce: str


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def _tag(body: str, secret: str, algorithm: str | None = None) -> str:
    # Django's salted_hmac construction (key = hash(salt + secret), then HMAC) with the pluggable hash
    # (settings.LIUGUAN_HASH: SHA-256 or SM3; salted_hmac itself knows only hashlib's attributes, not SM3).
    hash_ = crypto.hash_algorithm(algorithm)
    key = hash_.digest((SALT + secret).encode())
    digest = hash_.hmac(key, body.encode())[:TAG_BYTES]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def _keys() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def token_for(permit) -> str:
    """The token printed in the permit's QR code."""
    body = f"{_base36(permit.pk)}.{permit.token_nonce}"
    return f"{body}.{_tag(body, settings.SECRET_KEY)}"


def token_read(token: str) -> Claim | None:
    """The claim of a token signed with our key, or None for anything else (malformed, altered, forged).

    The tags are compared as text, so a change to any character, even one base64 would decode to the same
    bytes, fails.
    """
    found = _TOKEN.fullmatch(token or "")
    if found is None:
        return None
    permit_part, nonce, tag = found.groups()
    body = f"{permit_part}.{nonce}"
    if not any(constant_time_compare(tag, _tag(body, key, name)) for key in _keys() for name in crypto.hash_names()):
        return None
    return Claim(permit_id=int(permit_part, 36), nonce=nonce)


def public_base_url(request=None) -> str:
    """Where the public reaches this instance: settings.LIUGUAN_PUBLIC_URL (production, behind a proxy),
    else the address of the request (development and demo), else localhost.
    """
    configured = getattr(settings, "LIUGUAN_PUBLIC_URL", "")
    if configured:
        return configured.rstrip("/")
    if request is not None:
        return request.build_absolute_uri("/").rstrip("/")
    return "http://localhost:8000"


def verification_url(permit, *, base_url: str | None = None) -> str:
    """The public verification page of a permit, as its QR code carries it."""
    return (base_url or public_base_url()).rstrip("/") + reverse("permit_verify", args=[token_for(permit)])
