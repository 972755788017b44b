"""Reconciliation: what the origin offices must follow up, as tasks (idempotent: one open task per record and kind).

- `unconfirmed`: reported by the origin, and no destination has confirmed it `confirm_days` after the report.
- `unknown`: whereabouts unknown (reported but unconfirmed, or departed from the destination) and nothing heard
  for `unknown_months` months. A confirmed record is known: the destination has them registered.
- `missed`: an inflow the origin had not recorded (the destination reported it first): complete the record.

A task whose condition no longer holds is closed by the system with a note. A task an officer marked done is
not opened again for the same record and kind for a while: `confirm_days` for unconfirmed, `unknown_months`
for unknown, never for missed (the gap was the origin's, and it has been worked).
"""

import calendar
import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today
from liuguan.core.workdays import add_working_days

from ..models import OutflowRecord, OutflowTask
from .records import task_division_code

Kind = OutflowTask.Kind
Status = OutflowRecord.Status


@dataclass
class ReconcileResult:
    """How many tasks a run opened (per kind) and closed because their condition went away."""

    opened: dict[str, int] = field(default_factory=dict)
    closed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.closed or any(self.opened.values()))


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def unknown_since(today: dt.date, months: int | None = None) -> dt.date:
    """Whereabouts last known before this day are unknown for too long."""
    return months_before(today, settings.LIUGUAN_OUTFLOW["unknown_months"] if months is None else months)


def unknown_condition(today: dt.date, months: int | None = None) -> Q:
    """Open records whose whereabouts are unknown and not heard of for `months` months."""
    return Q(status__in=[Status.UNCONFIRMED, Status.DEPARTED], last_heard_on__lt=unknown_since(today, months))


def _conditions(today: dt.date) -> dict[str, Q]:
    confirm_days = settings.LIUGUAN_OUTFLOW["confirm_days"]
    reported_before = start_of(today - dt.timedelta(days=confirm_days - 1))
    return {
        Kind.UNCONFIRMED: Q(status=Status.UNCONFIRMED, confirmed_at__isnull=True, created_at__lt=reported_before),
        Kind.UNKNOWN: unknown_condition(today),
        Kind.MISSED: Q(prior_record=False),
    }


def _snoozed_since(today: dt.date) -> dict[str, dt.datetime | None]:
    """A task an officer closed after this moment keeps its kind from reopening (None: ever)."""
    return {
        Kind.UNCONFIRMED: start_of(today - dt.timedelta(days=settings.LIUGUAN_OUTFLOW["confirm_days"])),
        Kind.UNKNOWN: start_of(unknown_since(today)),
        Kind.MISSED: None,
    }


@transaction.atomic
def reconcile(*, area_code: str | None = None, today: dt.date | None = None) -> ReconcileResult:
    """Open the tasks the records call for and close those no longer called for, for one origin area or all."""
    today = today or china_today()
    area = Q(origin__code__startswith=area_code) if area_code else Q()
    open_records = OutflowRecord.objects.filter(area, status__in=OutflowRecord.OPEN)
    wanted: dict[str, dict[int, str]] = {
        kind: dict(open_records.filter(condition).values_list("pk", "origin_id"))
        for kind, condition in _conditions(today).items()
    }
    task_area = Q(record__origin__code__startswith=area_code) if area_code else Q()
    open_tasks = {
        (t.record_id, t.kind): t
        for t in OutflowTask.objects.select_for_update().filter(task_area, status=OutflowTask.Status.OPEN)
    }
    snoozed: set[tuple[int, str]] = set()
    for kind, since in _snoozed_since(today).items():
        done = OutflowTask.objects.filter(task_area, kind=kind, status=OutflowTask.Status.DONE, done_by__isnull=False)
        if since is not None:
            done = done.filter(done_at__gte=since)
        snoozed.update((pk, kind) for pk in done.values_list("record_id", flat=True))
    due_on = add_working_days(today, settings.LIUGUAN_OUTFLOW["task_days"])
    new_tasks = []
    result = ReconcileResult(opened={kind: 0 for kind in Kind.values})
    for kind, records in wanted.items():
        for record_id, origin_id in records.items():
            if (record_id, kind) in open_tasks or (record_id, kind) in snoozed:
                continue
            new_tasks.append(
                OutflowTask(record_id=record_id, kind=kind, division_id=task_division_code(origin_id), due_on=due_on)
            )
            result.opened[kind] += 1
    OutflowTask.objects.bulk_create(new_tasks)
    stale = [t.pk for (record_id, kind), t in open_tasks.items() if record_id not in wanted[kind]]
    if stale:
        result.closed = OutflowTask.objects.filter(pk__in=stale).update(
            status=OutflowTask.Status.DONE,
            done_at=timezone.now(),
            done_by=None,
            note=gettext("Closed by reconciliation: the condition no longer holds"),
        )
    if result.changed:
        audit_record(
            actor=SYSTEM,
            action="outflow.reconcile",
            object_type=OutflowTask._meta.label_lower,
            division_code=area_code or "",
            source="job",
            changes={"opened": result.opened, "closed": result.closed, "today": today},
        )
    return result
