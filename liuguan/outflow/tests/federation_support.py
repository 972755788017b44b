"""What the federation tests share: a peer's key pair and the envelopes it signs (fixtures: conftest.py)."""

import base64
import datetime as dt
import json
import uuid

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from liuguan.outflow.services.messages import PERSON_QUERY

HERE, THERE = "CN-51", "CN-50"


class PeerKey:
    """A peer instance's key pair, held by the test."""

    def __init__(self):
        self.private = Ed25519PrivateKey.generate()
        raw = self.private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.public_b64 = base64.b64encode(raw).decode()

    def sign(self, body: bytes) -> str:
        return "ed25519=" + base64.b64encode(self.private.sign(body)).decode()


def envelope(key: PeerKey, *, message_id=None, sender=THERE, to=HERE, kind=PERSON_QUERY, sent_at=None, payload=None,
             **extra) -> tuple[bytes, str]:  # fmt: skip
    """The exact bytes of an envelope and its signature header, signed by `key`."""
    data = {
        "v": 1,
        "id": str(message_id or uuid.uuid4()),
        "from": sender,
        "to": to,
        "kind": kind,
        "sent_at": (sent_at or timezone.now()).astimezone(dt.UTC).isoformat(),
        "payload": {"doc_number": "11010519491231002X", "origin_ref": "r1"} if payload is None else payload,
        **extra,
    }
    body = json.dumps(data, ensure_ascii=False).encode()
    return body, key.sign(body)
