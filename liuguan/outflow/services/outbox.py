"""The outbox: messages to peer instances are written in the transaction of the change that causes them, and
sent afterwards by the worker, with retries, until the peer's signed receipt says they arrived.
"""

import datetime as dt
import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, NotFound, PermissionDenied

from .. import keys
from ..models import OutboxMessage, Peer
from .inbox import VERSION, request_hash
from .messages import KINDS


class PeerAreas:
    """The active peers, read once (for one message or a whole batch); the longest matching prefix wins."""

    def __init__(self):
        self.peers = list(Peer.objects.filter(active=True))

    def for_area(self, code: str) -> Peer | None:
        code = (code or "").strip()
        best, best_len = None, 0
        for peer in self.peers if code else ():
            for prefix in peer.area_prefixes:
                if code.startswith(prefix) and len(prefix) > best_len:
                    best, best_len = peer, len(prefix)
        return best


def peer_for_area(code: str) -> Peer | None:
    """The active peer that serves a division code, or None."""
    return PeerAreas().for_area(code) if (code or "").strip() else None


def message_enqueue(*, peer: Peer, kind: str, payload: dict, subject: str = "") -> OutboxMessage:
    """Queue a message to a peer; call inside the transaction of the change it reports (the caller audits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind}")
    return OutboxMessage.objects.create(
        peer=peer, kind=kind, payload=payload, subject=subject[:64], next_attempt_at=timezone.now()
    )


# Sending -----------------------------------------------------------------------------------------------------

BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=6)
# A message the peer has not acknowledged this long after it was written is given up (an administrator may
# send it again from the outbox page).
GIVE_UP_AFTER = dt.timedelta(days=7)
# A message being sent is leased for this long, so two workers never send it at once.
LEASE = dt.timedelta(seconds=60)
# The longest answer read from a peer.
MAX_ANSWER_BYTES = 1024 * 1024
USER_AGENT = "liuguan-federation/1"


def envelope_encode(message: OutboxMessage, *, sent_at: dt.datetime) -> bytes:
    """The exact bytes of a message's envelope for one attempt (each attempt is signed afresh)."""
    envelope = {
        "v": VERSION,
        "id": str(message.message_id),
        "from": keys.instance_id(),
        "to": message.peer.code,
        "kind": message.kind,
        "sent_at": sent_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "payload": message.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def inbox_url(base: str) -> str:
    return base.rstrip("/") + "/federation/inbox"


@dataclass
class PeerAnswer:
    """What came back from one POST: the HTTP status (None when nothing came), the body and its signature."""

    status: int | None
    body: bytes = b""
    signature: str = ""
    error: str = ""


def _post(url: str, body: bytes, headers: dict, timeout: float) -> PeerAnswer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http/https only)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return PeerAnswer(
                response.status, response.read(MAX_ANSWER_BYTES), response.headers.get(keys.SIGNATURE_HEADER, "")
            )
    except urllib.error.HTTPError as exc:
        try:
            answer = exc.read(MAX_ANSWER_BYTES)
        except OSError:
            answer = b""
        return PeerAnswer(exc.code, answer, exc.headers.get(keys.SIGNATURE_HEADER, ""), f"HTTP {exc.code}")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return PeerAnswer(None, error=str(getattr(exc, "reason", exc))[:300])


def receipt_check(*, peer: Peer, message: OutboxMessage, request_body: bytes, answer: PeerAnswer) -> dict | None:
    """The peer's answer when it is the peer's signed answer to exactly this request; None otherwise."""
    if not keys.verify(peer.public_key, answer.body, keys.signature_from_header(answer.signature)):
        return None
    try:
        receipt = json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(receipt, dict):
        return None
    if receipt.get("request_hash") != request_hash(request_body) or receipt.get("id") != str(message.message_id):
        return None
    return receipt


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the n-th failed attempt: 30 s, doubling, at most 6 hours."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _lease(message: OutboxMessage, now: dt.datetime) -> bool:
    """Claim the message for this worker; False when another worker has it or it is settled or not due."""
    claimed = (
        OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_until=now + LEASE)
    )
    return claimed == 1


def _settle(message: OutboxMessage, *, now: dt.datetime, status: str, error: str, receipt, source: str) -> str:
    """Record one attempt's outcome; a failure is retried later, or given up once the message is too old."""
    message.attempts += 1
    message.last_error = error[:300]
    message.lease_until = None
    if status == "retry":
        if now - message.created_at >= GIVE_UP_AFTER:
            status = OutboxMessage.Status.DEAD.value
        else:
            message.next_attempt_at = now + backoff(message.attempts)
    if status != "retry":
        message.status = status
        message.receipt = receipt
    if status == OutboxMessage.Status.DELIVERED:
        message.delivered_at = now
        message.last_error = ""
    fields = ["attempts", "last_error", "lease_until", "next_attempt_at", "status", "receipt", "delivered_at"]
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING).update(
            **{name: getattr(message, name) for name in fields}
        )
        if updated and status != "retry":
            audit_record(
                actor=SYSTEM,
                action=SETTLED_ACTIONS[status],
                obj=message,
                changes={
                    "peer": message.peer.code,
                    "message_id": str(message.message_id),
                    "kind": message.kind,
                    "attempts": message.attempts,
                    "status": [OutboxMessage.Status.PENDING, status],
                    "error": message.last_error,
                },
                source=source,
            )
    return str(status)


SETTLED_ACTIONS = {
    OutboxMessage.Status.DELIVERED: "federation.deliver",
    OutboxMessage.Status.REJECTED: "federation.reject",
    OutboxMessage.Status.DEAD: "federation.dead",
}


def _attempt(message: OutboxMessage, *, now: dt.datetime, timeout: float, source: str) -> str:
    """POST one message and settle it by the peer's signed answer."""
    peer = message.peer
    # The envelope carries the real clock, whatever `now` the schedule is computed for: the peer checks it.
    body = envelope_encode(message, sent_at=timezone.now())
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        keys.SIGNATURE_HEADER: keys.signature_header(body),
        "User-Agent": USER_AGENT,
    }
    answer = _post(inbox_url(peer.url), body, headers, timeout)
    if answer.status is None:
        return _settle(message, now=now, status="retry", error=answer.error or "no answer", receipt=None, source=source)
    receipt = receipt_check(peer=peer, message=message, request_body=body, answer=answer)
    if receipt is None:
        error = f"HTTP {answer.status}: the answer is not a receipt signed by {peer.code} for this request"
        return _settle(message, now=now, status="retry", error=error, receipt=None, source=source)
    if answer.status == 200 and receipt.get("status") in ("applied", "duplicate"):
        delivered = OutboxMessage.Status.DELIVERED
        return _settle(message, now=now, status=delivered, error="", receipt=receipt, source=source)
    if answer.status == 422:
        reason = receipt.get("reason") or "; ".join(
            f"{p.get('field')}: {p.get('message')}" for p in receipt.get("problems", []) if isinstance(p, dict)
        )
        rejected = OutboxMessage.Status.REJECTED
        return _settle(message, now=now, status=rejected, error=f"rejected: {reason}", receipt=receipt, source=source)
    # A refusal (bad signature, unknown peer, ...) means the two instances' configurations disagree; an
    # administrator fixes them and the retries carry on.
    error = f"HTTP {answer.status}: {receipt.get('status', '')} {receipt.get('reason', '')}".strip()
    return _settle(message, now=now, status="retry", error=error, receipt=None, source=source)


def outbox_send(*, now: dt.datetime | None = None, limit: int = 200, source: str = "task") -> dict:
    """Send the due messages, each peer's in the order they were written: a message that must wait (not due,
    or failed just now) holds back the later ones to the same peer, so a departure never overtakes the
    registration it ends. Returns counts by outcome.
    """
    now = now or timezone.now()
    timeout = settings.LIUGUAN_FEDERATION["timeout_seconds"]
    counts = {"delivered": 0, "rejected": 0, "retry": 0, "dead": 0}
    due_peers = (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now, peer__active=True)
        .values_list("peer_id", flat=True)
        .distinct()
    )
    sent = 0
    for peer in Peer.objects.filter(pk__in=list(due_peers)).order_by("code"):
        waiting = OutboxMessage.objects.filter(peer=peer, status=OutboxMessage.Status.PENDING).order_by(
            "created_at", "pk"
        )
        for message in waiting[: max(limit - sent, 0)]:
            if message.next_attempt_at > now or not _lease(message, now):
                break
            message.peer = peer
            outcome = _attempt(message, now=now, timeout=timeout, source=source)
            counts[outcome] += 1
            sent += 1
            if outcome == "retry":
                break
        if sent >= limit:
            break
    return counts


@transaction.atomic
def outbox_retry(*, actor, message_id, source: str = "web") -> OutboxMessage:
    """Send a given-up or rejected message again, now (same message id: the peer applies it at most once)."""
    if actor is not SYSTEM and not actor.can("federation.admin"):
        raise PermissionDenied()
    message = OutboxMessage.objects.select_for_update().select_related("peer").filter(message_id=message_id).first()
    if message is None:
        raise NotFound()
    if message.status not in (OutboxMessage.Status.DEAD, OutboxMessage.Status.REJECTED):
        raise Conflict(_("Only a given-up or rejected message can be sent again."), field="status")
    before = message.status
    message.status = OutboxMessage.Status.PENDING
    message.next_attempt_at = timezone.now()
    message.lease_until = None
    message.save(update_fields=["status", "next_attempt_at", "lease_until"])
    audit_record(
        actor=actor,
        action="federation.retry",
        obj=message,
        changes={
            "peer": message.peer.code,
            "message_id": str(message.message_id),
            "kind": message.kind,
            "status": [before, message.status],
            "last_error": message.last_error,
        },
        source=source,
    )
    return message
