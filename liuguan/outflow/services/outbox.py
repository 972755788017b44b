"""The outbox: messages to peer instances are written in the transaction of the change that causes them, and
sent afterwards by the worker, with retries, until the peer's signed receipt says they arrived.
"""

from django.utils import timezone

from ..models import OutboxMessage, Peer
from .messages import KINDS


def peer_for_area(code: str) -> Peer | None:
    """The active peer that serves a division code (the longest matching prefix wins), or None."""
    code = (code or "").strip()
    if not code:
        return None
    best, best_len = None, 0
    for peer in Peer.objects.filter(active=True):
        for prefix in peer.area_prefixes:
            if code.startswith(prefix) and len(prefix) > best_len:
                best, best_len = peer, len(prefix)
    return best


def message_enqueue(*, peer: Peer, kind: str, payload: dict, subject: str = "") -> OutboxMessage:
    """Queue a message to a peer; call inside the transaction of the change it reports (the caller audits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind}")
    return OutboxMessage.objects.create(
        peer=peer, kind=kind, payload=payload, subject=subject[:64], next_attempt_at=timezone.now()
    )
