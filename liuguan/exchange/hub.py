"""The hub's rules, in one place: which grants let a subsystem share what, the access log in the audit chain,
and rate limits. Every way of sharing (verification, query, feed, webhooks, extracts, reports) goes through
`grants_for` and `access_log`; nothing is shared without a grant, and fields outside it are never sent.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liuguan.core.audit import audit_record
from liuguan.core.errors import DomainError
from liuguan.core.identity import china_today

from .models import Grant, RateWindow, Subsystem


class RateLimited(DomainError):
    """The subsystem made more calls this minute than its limit allows (HTTP 429)."""

    def __init__(self, limit: int, retry_after: int):
        super().__init__(f"rate limit of {limit} calls a minute reached")
        self.limit = limit
        self.retry_after = retry_after


def subsystem_of(user) -> Subsystem | None:
    """The subsystem a service account calls for, or None for a person's account."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Subsystem.objects.select_related("department").filter(account=user, active=True).first()


def grants_for(
    subsystem: Subsystem, dataset: str, way: str, *, community_code: str | None = None, today: dt.date | None = None
) -> list[Grant]:
    """The subsystem's grants in force today for a dataset and a way; with a community, only grants whose area
    contains it. An empty list means: share nothing.
    """
    today = today or china_today()
    grants = Grant.objects.filter(
        subsystem=subsystem,
        dataset_id=dataset,
        revoked_at__isnull=True,
        valid_from__lte=today,
        expires_on__gte=today,
    ).select_related("area")
    found = [g for g in grants if way in (g.ways or [])]
    if community_code is not None:
        found = [g for g in found if community_code.startswith(g.area_id)]
    return found


def granted_areas(grants: list[Grant]) -> list[str]:
    """The division codes the grants cover (a community is inside when its code starts with one)."""
    return sorted({g.area_id for g in grants})


def digest(value) -> str:
    """SHA-256 of a request or response, as the log keeps it (the log holds metadata, not payloads)."""
    if not isinstance(value, (bytes, bytearray)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()
    return hashlib.sha256(value).hexdigest()


@dataclass
class CallContext:
    """Who is asking and why: X-Road's client, end user and issue (case), with the stated purpose."""

    subsystem: Subsystem
    end_user: str
    purpose: str
    case_ref: str


def access_log(
    *,
    context: CallContext,
    action: str,
    dataset: str,
    outcome: str,
    request,
    response,
    division_code: str = "",
    obj=None,
    extra: dict | None = None,
) -> None:
    """One event in the audit hash chain per call or page view of shared data (verify_audit checks it): the
    department, subsystem, end user, purpose, case, request and response digests and the outcome.
    """
    changes = {
        "department": context.subsystem.department_id,
        "subsystem": context.subsystem.code,
        "end_user": context.end_user,
        "case_ref": context.case_ref,
        "dataset": dataset,
        "outcome": outcome,
        "request_sha256": digest(request),
        "response_sha256": digest(response),
        **(extra or {}),
    }
    with transaction.atomic():
        audit_record(
            actor=context.subsystem.account,
            action=action,
            obj=obj,
            object_type="" if obj is not None else "exchange.dataset",
            object_id="" if obj is not None else dataset,
            division_code=division_code,
            changes=changes,
            source="api",
            purpose=context.purpose[:200],
        )


def rate_check(subsystem: Subsystem, *, now: dt.datetime | None = None) -> None:
    """Count one call in the subsystem's current minute; refuse it past the limit (counted in the database, so
    every server process shares one count).
    """
    now = now or timezone.now()
    minute = now.replace(second=0, microsecond=0)
    with transaction.atomic():
        window, _created = RateWindow.objects.select_for_update().get_or_create(subsystem=subsystem, minute=minute)
        if window.calls >= subsystem.rate_per_minute:
            raise RateLimited(subsystem.rate_per_minute, 60 - now.second)
        RateWindow.objects.filter(pk=window.pk).update(calls=F("calls") + 1)
