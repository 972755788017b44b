"""Append-only, hash-chained audit events.

`audit_record` must run inside the caller's transaction so that the event and the write it
describes commit or roll back together. The chain head row is locked for the rest of that
transaction, which serialises appends on PostgreSQL; SQLite serialises writers anyway.
"""

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from . import crypto
from .fields import seal_changes
from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64


def _plain(value: Any) -> Any:
    """Make a value JSON-plain so that what is hashed is exactly what the database gives back."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if hasattr(value, "pk"):
        return _plain(value.pk)
    return str(value)


def event_digest(prev_hash: str, content: dict, algorithm: str = "sha256") -> str:
    """The hash (SHA-256 by default, SM3 as an option) over the previous hash and the event's canonical JSON
    (sorted keys, UTF-8). Each event records its algorithm, so a chain that switched midway still verifies.
    """
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return crypto.hash_algorithm(algorithm).hexdigest((prev_hash + canonical).encode("utf-8"))


def event_content(event: AuditEvent) -> dict:
    """The fields of an event that its hash covers."""
    occurred = event.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "id": event.pk,
        "occurred_at": occurred,
        "actor_id": event.actor_id,
        "actor_username": event.actor_username,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "division_code": event.division_code,
        "changes": event.changes,
        "source": event.source,
        "purpose": event.purpose,
    }


@dataclass(frozen=True)
class Actor:
    """Who did it, for code paths (jobs, commands) that have no request user."""

    pk: int | None
    username: str


SYSTEM = Actor(pk=None, username="system")


def audit_record(
    *,
    actor,
    action: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    division_code: str = "",
    changes: dict | None = None,
    source: str = "web",
    purpose: str = "",
) -> AuditEvent:
    """Append one event to the chain; must be called inside the transaction of the write it records."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the audited write")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    head, _ = AuditChainHead.objects.get_or_create(pk=1)
    head = AuditChainHead.objects.select_for_update().get(pk=1)
    event = AuditEvent(
        id=head.last_event_id + 1,
        occurred_at=timezone.now(),
        actor_id=getattr(actor, "pk", None),
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        division_code=division_code or "",
        changes=_plain(seal_changes(obj._meta.model if obj is not None else None, changes or {})),
        source=source,
        purpose=purpose,
        prev_hash=head.last_hash,
        hash_algorithm=crypto.hash_algorithm().name,
    )
    event.hash = event_digest(event.prev_hash, event_content(event), event.hash_algorithm)
    event.save(force_insert=True)
    head.last_event_id = event.pk
    head.last_hash = event.hash
    head.save(update_fields=["last_event_id", "last_hash"])
    return event


def diff(before: dict, after: dict) -> dict:
    """The changed fields as {field: [old, new]}, the shape audit events store."""
    keys = set(before) | set(after)
    return {k: [_plain(before.get(k)), _plain(after.get(k))] for k in sorted(keys) if before.get(k) != after.get(k)}


@dataclass
class ChainReport:
    """What verify_audit found: how many events it checked and the first broken one, if any."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def audit_verify(*, batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order; the first event whose link, content or numbering is off breaks it."""
    prev_hash = GENESIS_HASH
    expected_id = 1
    checked = 0
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            break
        for event in batch:
            if event.pk != expected_id:
                return ChainReport(checked, expected_id, f"event #{expected_id} is missing (next is #{event.pk})")
            if event.prev_hash != prev_hash:
                return ChainReport(checked, event.pk, "its prev_hash does not match the previous event's hash")
            if event.hash_algorithm not in crypto.HASHES:
                return ChainReport(checked, event.pk, f"its hash algorithm {event.hash_algorithm!r} is unknown")
            if event_digest(prev_hash, event_content(event), event.hash_algorithm) != event.hash:
                return ChainReport(checked, event.pk, "its content does not match its hash")
            prev_hash = event.hash
            expected_id += 1
            checked += 1
            last_id = event.pk
    head = AuditChainHead.objects.filter(pk=1).first()
    if head and (head.last_event_id != last_id or head.last_hash != prev_hash):
        return ChainReport(checked, head.last_event_id, "the chain head names an event that is missing or altered")
    return ChainReport(checked)
