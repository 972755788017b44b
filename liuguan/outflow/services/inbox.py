"""The inbox: what a peer instance sends is checked at the door, then applied exactly once.

An envelope is JSON `{"v": 1, "id", "from", "to", "kind", "sent_at", "payload"}` signed with the sender's
key over the exact body bytes (header `X-Liuguan-Signature: ed25519=<base64>`, or `sm2=<base64>` from an
instance that signs with SM2; the sender's configured key says which algorithm verifies it). The door refuses, in
this order: a malformed envelope, an unknown or switched-off sender, an envelope addressed to another
instance, a signature that does not verify with the sender's key, an envelope sent too long ago (or in the
future), a replay of an envelope already accepted, a kind this instance has no handler for. Each refusal is a
`Refusal` row and an audit event. An accepted envelope whose message id this peer sent before is a
duplicate: counted, not applied again. Otherwise the kind's handler applies the payload in the transaction
that records the message. Every answer names the SHA-256 of the request it answers and is signed by this
instance (X-Road: the sender keeps the signed receipt as proof of delivery).
"""

import datetime as dt
import hashlib
import json
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import InvalidInput
from liuguan.core.storable import storable

from .. import keys
from ..models import InboxMessage, Peer, Refusal, SeenEnvelope
from .messages import HANDLERS

VERSION = 1
ENVELOPE_FIELDS = ("v", "id", "from", "to", "kind", "sent_at", "payload")
# The largest envelope the inbox reads; a larger body is answered 413 without being read.
MAX_BODY_BYTES = 1024 * 1024

OK, REFUSED_STATUS = 200, "refused"
REFUSAL_STATUS = {
    Refusal.Reason.MALFORMED: 400,
    Refusal.Reason.UNKNOWN_PEER: 403,
    Refusal.Reason.INACTIVE_PEER: 403,
    Refusal.Reason.NOT_FOR_US: 403,
    Refusal.Reason.BAD_SIGNATURE: 401,
    Refusal.Reason.STALE: 401,
    Refusal.Reason.REPLAY: 409,
    Refusal.Reason.UNKNOWN_KIND: 422,
}


def request_hash(body: bytes) -> str:
    """The SHA-256 (hex) of a request's exact bytes, which the receipt repeats."""
    return hashlib.sha256(body).hexdigest()


def answer_encode(answer: dict) -> tuple[bytes, str]:
    """An answer's exact bytes and the signature header that goes with them."""
    body = json.dumps(answer, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()
    return body, keys.signature_header(body)


def _clip(value, length: int) -> str:
    """Claimed text, cut to its column and without what no column holds (NUL, lone surrogates)."""
    if not isinstance(value, str):
        return ""
    return value[:length].replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


def _parse_time(value) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _malformed(body: bytes) -> tuple[dict | None, str]:
    """The envelope, or None and what is wrong with it."""
    try:
        envelope = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: JSON nested thousands deep
        return None, "not JSON"
    if not isinstance(envelope, dict):
        return None, "not a JSON object"
    try:
        fits = storable(envelope)
    except RecursionError:
        fits = False
    if not fits:
        return None, "text with a NUL character or a lone surrogate, or a number that is not finite"
    missing = [name for name in ENVELOPE_FIELDS if name not in envelope]
    if missing:
        return envelope, "missing " + ", ".join(missing)
    if envelope["v"] != VERSION or isinstance(envelope["v"], bool):
        return envelope, f"version {str(envelope['v'])[:20]} is not {VERSION}"
    for name in ("from", "to", "kind"):
        if not isinstance(envelope[name], str) or not envelope[name]:
            return envelope, f"{name} is not a string"
    try:
        uuid.UUID(envelope["id"])
    except (AttributeError, TypeError, ValueError):
        return envelope, "id is not a UUID"
    if _parse_time(envelope["sent_at"]) is None:
        return envelope, "sent_at is not an ISO 8601 time with its offset"
    if not isinstance(envelope["payload"], dict):
        return envelope, "payload is not an object"
    return envelope, ""


def _answer(http_status: int, body: bytes, envelope: dict | None, **fields) -> tuple[int, dict]:
    answer = {"instance": keys.instance_id(), "request_hash": request_hash(body), **fields}
    if envelope is not None and isinstance(envelope.get("id"), str):
        answer["id"] = envelope["id"][:64]
    return http_status, answer


def _refuse(reason: str, *, body: bytes, envelope: dict | None, remote_addr: str, detail: str = "") -> tuple:
    envelope = envelope if isinstance(envelope, dict) else None
    claimed = envelope or {}
    with transaction.atomic():
        refusal = Refusal.objects.create(
            reason=reason,
            claimed_peer=_clip(claimed.get("from"), 40),
            message_id=_clip(claimed.get("id"), 64),
            kind=_clip(claimed.get("kind"), 40),
            remote_addr=_clip(remote_addr, 64),
            detail=_clip(detail, 300),
        )
        audit_record(
            actor=SYSTEM,
            action="federation.refuse",
            obj=refusal,
            changes={
                "reason": reason,
                "claimed_peer": refusal.claimed_peer,
                "message_id": refusal.message_id,
                "kind": refusal.kind,
                "remote_addr": refusal.remote_addr,
                "detail": refusal.detail,
                "request_hash": request_hash(body),
            },
            source="federation",
        )
    return _answer(REFUSAL_STATUS[reason], body, envelope, status=REFUSED_STATUS, reason=reason)


def _problems(exc: InvalidInput) -> list[dict]:
    return [{"field": p.field, "rule": p.rule, "message": str(p.message)} for p in exc.problems]


def _apply(inbox: InboxMessage, *, peer: Peer, envelope: dict) -> None:
    """Run the kind's handler in a savepoint: its writes stay only when it succeeds."""
    try:
        with transaction.atomic():
            message_id = uuid.UUID(str(inbox.message_id))
            result = HANDLERS[inbox.kind](peer=peer, message_id=message_id, payload=envelope["payload"])
    except InvalidInput as exc:
        inbox.status = InboxMessage.Status.REJECTED
        inbox.result = {"problems": _problems(exc)}
    else:
        inbox.status = InboxMessage.Status.APPLIED
        inbox.result = json.loads(json.dumps(result or {}, cls=DjangoJSONEncoder))
    audit_record(
        actor=SYSTEM,
        action="federation.receive",
        obj=inbox,
        changes={
            "peer": peer.code,
            "message_id": str(inbox.message_id),
            "kind": inbox.kind,
            "status": inbox.status,
            "result": inbox.result,
        },
        source=f"federation:{peer.code}",
    )


def _outcome(inbox: InboxMessage, body: bytes, envelope: dict) -> tuple[int, dict]:
    if inbox.status == InboxMessage.Status.REJECTED:
        return _answer(422, body, envelope, status="rejected", problems=inbox.result.get("problems", []))
    return _answer(OK, body, envelope, status="applied", result=inbox.result)


class _Replay(Exception):
    pass


def _seen(digest: str, now: dt.datetime) -> None:
    try:
        with transaction.atomic():
            SeenEnvelope.objects.create(digest=digest, seen_at=now)
    except IntegrityError:
        raise _Replay() from None


def _receive_again(*, peer: Peer, envelope: dict, digest: str, body: bytes, now: dt.datetime) -> tuple[int, dict]:
    """A message id this peer sent before: applied ones are only counted; a rejected one is tried again, since
    its rejection left nothing behind (the sender retries it when the administrator there asks).
    """
    with transaction.atomic():
        inbox = InboxMessage.objects.select_for_update().get(peer=peer, message_id=envelope["id"])
        _seen(digest, now)
        if inbox.status == InboxMessage.Status.APPLIED:
            InboxMessage.objects.filter(pk=inbox.pk).update(duplicates=inbox.duplicates + 1)
            return _answer(OK, body, envelope, status="duplicate", result=inbox.result)
        inbox.duplicates += 1
        _apply(inbox, peer=peer, envelope=envelope)
        inbox.save(update_fields=["status", "result", "duplicates"])
    return _outcome(inbox, body, envelope)


def seen_envelopes_prune(*, now=None) -> int:
    """Forget the digests of envelopes too old to be accepted again anyway (the staleness check refuses them);
    kept a day, far longer than the window of twice the allowed clock skew.
    """
    now = now or timezone.now()
    keep = max(dt.timedelta(days=1), 2 * dt.timedelta(seconds=settings.LIUGUAN_FEDERATION["max_skew_seconds"]))
    deleted, _ = SeenEnvelope.objects.filter(seen_at__lt=now - keep).delete()
    return deleted


def envelope_receive(*, body: bytes, signature_header: str, remote_addr: str, now=None) -> tuple[int, dict]:
    """Check an envelope at the door and apply it once; returns the HTTP status and the answer to sign."""
    now = now or timezone.now()
    envelope, problem = _malformed(body)
    context = {"body": body, "envelope": envelope, "remote_addr": remote_addr}
    if problem:
        return _refuse(Refusal.Reason.MALFORMED, detail=problem, **context)
    peer = Peer.objects.filter(code=envelope["from"]).first()
    if peer is None:
        return _refuse(Refusal.Reason.UNKNOWN_PEER, **context)
    if not peer.active:
        return _refuse(Refusal.Reason.INACTIVE_PEER, **context)
    if envelope["to"] != keys.instance_id():
        return _refuse(Refusal.Reason.NOT_FOR_US, detail=f"addressed to {envelope['to'][:40]}", **context)
    signature = keys.signature_from_header(signature_header)
    if not keys.verify(peer.public_key, body, signature):
        return _refuse(Refusal.Reason.BAD_SIGNATURE, **context)
    skew = abs((now - _parse_time(envelope["sent_at"])).total_seconds())
    if skew > settings.LIUGUAN_FEDERATION["max_skew_seconds"]:
        return _refuse(Refusal.Reason.STALE, detail=f"{int(skew)} s away from this server's clock", **context)
    # The signature's raw bytes, not its base64 text: two spellings of one signature are one envelope.
    digest = hashlib.sha256(keys.decode_b64(signature, keys.SIGNATURE_BYTES)).hexdigest()
    if SeenEnvelope.objects.filter(digest=digest).exists():
        return _refuse(Refusal.Reason.REPLAY, **context)
    if envelope["kind"] not in HANDLERS:
        return _refuse(Refusal.Reason.UNKNOWN_KIND, **context)

    arguments = {"peer": peer, "envelope": envelope, "digest": digest, "body": body, "now": now}
    try:
        if InboxMessage.objects.filter(peer=peer, message_id=envelope["id"]).exists():
            return _receive_again(**arguments)
        with transaction.atomic():
            _seen(digest, now)
            # The row first: a second delivery of the same message at the same time waits on its unique key
            # and then fails, before its handler runs.
            inbox = InboxMessage.objects.create(
                peer=peer,
                message_id=envelope["id"],
                kind=envelope["kind"],
                payload=envelope["payload"],
                sent_at=_parse_time(envelope["sent_at"]),
                received_at=now,
                status=InboxMessage.Status.APPLIED,
            )
            _apply(inbox, peer=peer, envelope=envelope)
            inbox.save(update_fields=["status", "result"])
        return _outcome(inbox, body, envelope)
    except _Replay:
        return _refuse(Refusal.Reason.REPLAY, detail="received twice at once", **context)
    except IntegrityError:
        # The same message id arrived in another envelope at the same time and that one was applied.
        if not InboxMessage.objects.filter(peer=peer, message_id=envelope["id"]).exists():
            raise
        try:
            return _receive_again(**arguments)
        except _Replay:
            return _refuse(Refusal.Reason.REPLAY, detail="received twice at once", **context)
