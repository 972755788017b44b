"""Outflow record writes on the origin side: report, update, returned, closed, transferred, and the office's tasks.

Every write runs in one transaction, leaves a history step (OutflowEvent) on the record and an audit event,
and sees only records whose origin lies inside the actor's jurisdiction (outside answers like missing).
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped, within
from liuguan.registry.codes import Reason, SourceChannel
from liuguan.registry.models import Person, Stay
from liuguan.registry.services.people import PersonInput, person_save_new

from ..models import OutflowEvent, OutflowRecord, OutflowTask, Reporter
from . import messages
from .checks import (
    destination_check,
    hukou_check,
    left_on_check,
    origin_check,
    person_resolve,
    phone_check,
)
from .common import event_add, full_name, in_province, person_block, province_code, user_fk
from .flows import record_confirm_by_stay
from .outbox import message_enqueue, peer_for_area

UNSET = object()
REASONS = frozenset(Reason.values)
REPORTERS = frozenset(Reporter.values)


class CloseReason:
    HUKOU_MOVED = "hukou_moved"
    DIED = "died"
    ERROR = "error"
    CHOICES = (
        (HUKOU_MOVED, _("Hukou moved away")),
        (DIED, _("Died")),
        (ERROR, _("Entered in error")),
    )
    VALUES = frozenset(code for code, _label in CHOICES)


def _can_edit(actor) -> bool:
    return actor.can("outflow.record") or actor.can("outflow.task")


def _open_record_conflict(person: Person, actor) -> None:
    existing = OutflowRecord.objects.filter(person=person, status__in=OutflowRecord.OPEN).first()
    if existing is not None:
        visible = scoped(OutflowRecord.objects.filter(pk=existing.pk), actor).exists()
        raise Conflict(
            _("This person already has an open outflow record"),
            field="person_id",
            rule="outflow.one_open",
            existing_id=existing.pk if visible else None,
        )


def _audit_values(record: OutflowRecord) -> dict:
    return {
        "person": record.person_id,
        "origin": record.origin_id,
        "destination_code": record.destination_code,
        "destination_place": record.destination_place,
        "destination_country": record.destination_country,
        "left_on": record.left_on,
        "reason": record.reason,
        "reported_by": record.reported_by,
        "status": record.status,
        "prior_record": record.prior_record,
    }


def _notify_destination(record: OutflowRecord, *, actor) -> OutflowEvent | None:
    """Tell the peer that serves the destination that one of ours lives (or is going) there."""
    peer = peer_for_area(record.destination_code) if not in_province(record.destination_code) else None
    if peer is None:
        return None
    person = record.person
    message = message_enqueue(
        peer=peer,
        kind=messages.OUTFLOW_NOTICE,
        payload={
            "person": person_block(person),
            "origin_ref": str(record.pk),
            "expected_code": record.destination_code,
            "left_on": record.left_on.isoformat(),
            "reason": record.reason,
            "phone": record.phone,
        },
        subject=f"person:{person.pk}",
    )
    return event_add(
        record,
        OutflowEvent.Kind.NOTIFIED,
        actor=actor,
        peer_code=peer.code,
        data={"message_id": str(message.message_id), "expected_code": record.destination_code},
    )


def _confirm_locally(record: OutflowRecord, *, actor, source: str) -> bool:
    """A destination inside the province: an open stay of the person there confirms the record at once."""
    if not in_province(record.destination_code):
        return False
    stay = (
        Stay.objects.filter(
            within("community_id", record.destination_code), person_id=record.person_id, departed_on__isnull=True
        )
        .order_by("-arrived_on", "-pk")
        .first()
    )
    if stay is None:
        return False
    record_confirm_by_stay(record, stay, actor=actor, source=source)
    return True


@transaction.atomic
def outflow_report(
    *,
    actor,
    person_id: int | None = None,
    person: PersonInput | None = None,
    origin_code: str,
    destination_code: str = "",
    destination_place: str = "",
    destination_country: str = "CHN",
    left_on: dt.date,
    reason: str,
    phone: str = "",
    contact_name: str = "",
    contact_phone: str = "",
    reported_by: str,
    reporter_note: str = "",
    source: str = "web",
) -> OutflowRecord:
    """Record that one of our people lives elsewhere; one open record per person.

    A person not yet on the register is registered from `person` (without a stay). A destination that a peer
    instance serves is told at once (an outflow notice); one inside the province is confirmed at once when
    the person already has an open stay there.
    """
    if not actor.can("outflow.record"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    origin = origin_check(origin_code, actor, problems)
    found, new_values = person_resolve(actor=actor, person_id=person_id, person=person, problems=problems)
    hukou = found.hukou_code if found is not None else (new_values or {}).get("hukou_code", "")
    hukou_check(hukou, origin, problems)
    destination = destination_check(
        code=destination_code, place=destination_place, country=destination_country, origin=origin, problems=problems
    )
    birth = found.birth_date if found is not None else (new_values or {}).get("birth_date")
    left_on_check(left_on, birth, problems)
    if reason not in REASONS:
        problems.append(FieldProblem("reason", "outflow.reason", _("Choose a reason")))
    if reported_by not in REPORTERS:
        problems.append(FieldProblem("reported_by", "outflow.reported_by", _("Say who reported it")))
    phones = {f: phone_check(v, f, problems) for f, v in (("phone", phone), ("contact_phone", contact_phone))}
    if problems:
        raise InvalidInput(problems)
    if found is not None:
        _open_record_conflict(found, actor)
        subject = found
    else:
        subject = person_save_new(
            actor=actor, values=new_values, channel=SourceChannel.COLLECTOR, division_code=origin.code, source=source
        )
    today = china_today()
    record = OutflowRecord(
        person=subject,
        origin=origin,
        left_on=left_on,
        reason=reason,
        phone=phones["phone"] or subject.phone,
        contact_name=" ".join((contact_name or "").split())[:60],
        contact_phone=phones["contact_phone"],
        reported_by=reported_by,
        reporter_note=(reporter_note or "").strip()[:200],
        status=OutflowRecord.Status.UNCONFIRMED,
        last_heard_on=today,
        prior_record=True,
        created_by=user_fk(actor),
        **destination,
    )
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        raise Conflict(
            _("This person already has an open outflow record"), field="person_id", rule="outflow.one_open"
        ) from exc
    event_add(record, OutflowEvent.Kind.REPORTED, actor=actor, data={"reported_by": reported_by})
    audit_record(
        actor=actor,
        action="outflow.report",
        obj=record,
        division_code=origin.code,
        source=source,
        changes={k: [None, v] for k, v in _audit_values(record).items()},
    )
    _notify_destination(record, actor=actor)
    _confirm_locally(record, actor=actor, source=source)
    return record


def _record_for_edit(actor, record_id: int, *, must_be_open: bool = True) -> OutflowRecord:
    if not _can_edit(actor):
        raise PermissionDenied()
    record = (
        scoped(OutflowRecord.objects.select_for_update(of=("self",)), actor)
        .select_related("person")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise NotFound()
    if must_be_open and record.status not in OutflowRecord.OPEN:
        raise InvalidInput([FieldProblem("status", "outflow.not_open", _("This outflow record is no longer open"))])
    return record


def _tasks_close(record: OutflowRecord, *, actor, note: str) -> int:
    return OutflowTask.objects.filter(record=record, status=OutflowTask.Status.OPEN).update(
        status=OutflowTask.Status.DONE, done_at=timezone.now(), done_by=user_fk(actor), note=note[:300]
    )


@transaction.atomic
def outflow_update(
    *,
    actor,
    record_id: int,
    destination_code=UNSET,
    destination_place=UNSET,
    destination_country=UNSET,
    phone=UNSET,
    contact_name=UNSET,
    contact_phone=UNSET,
    reason=UNSET,
    heard_on: dt.date | None = None,
    note: str = "",
    source: str = "web",
) -> OutflowRecord:
    """Change where a person went, how to reach them or why; `heard_on` is a day the office learnt their
    whereabouts (from the person or the family). A new destination is unconfirmed until a destination confirms
    it: one that a peer serves is notified again, one in the province with an open stay confirms at once.
    """
    record = _record_for_edit(actor, record_id)
    problems: list[FieldProblem] = []
    wanted: dict = {}
    if destination_code is not UNSET or destination_place is not UNSET or destination_country is not UNSET:
        wanted.update(
            destination_check(
                code=record.destination_code if destination_code is UNSET else destination_code,
                place=record.destination_place if destination_place is UNSET else destination_place,
                country=record.destination_country if destination_country is UNSET else destination_country,
                origin=record.origin,
                problems=problems,
            )
        )
    if phone is not UNSET:
        wanted["phone"] = phone_check(phone, "phone", problems)
    if contact_phone is not UNSET:
        wanted["contact_phone"] = phone_check(contact_phone, "contact_phone", problems)
    if contact_name is not UNSET:
        wanted["contact_name"] = " ".join((contact_name or "").split())[:60]
    if reason is not UNSET:
        if reason not in REASONS:
            problems.append(FieldProblem("reason", "outflow.reason", _("Choose a reason")))
        wanted["reason"] = reason
    if heard_on is not None:
        if heard_on > china_today():
            problems.append(FieldProblem("heard_on", "outflow.heard_on_future", _("That day is in the future")))
        elif heard_on < record.left_on:
            problems.append(FieldProblem("heard_on", "outflow.heard_on_before_left", _("That day is before they left")))
        elif heard_on > record.last_heard_on:
            wanted["last_heard_on"] = heard_on
    if problems:
        raise InvalidInput(problems)
    moved = "destination_code" in wanted and wanted["destination_code"] != record.destination_code
    if moved and record.status != OutflowRecord.Status.UNCONFIRMED:
        # The office knows of a move the destination has not confirmed: the old confirmation no longer holds.
        wanted.update(status=OutflowRecord.Status.UNCONFIRMED, stay_id=None, remote_ref="", confirmed_by="")
    changes = {k: (getattr(record, k), v) for k, v in wanted.items() if getattr(record, k) != v}
    if not changes:
        return record
    for name, (_old, new) in changes.items():
        setattr(record, name, new)
    record.save()
    data = diff({k: old for k, (old, _new) in changes.items()}, {k: new for k, (_old, new) in changes.items()})
    event_add(record, OutflowEvent.Kind.UPDATED, actor=actor, note=note, data=data)
    audit_record(
        actor=actor, action="outflow.update", obj=record, division_code=record.origin_id, source=source, changes=data
    )
    if "destination_code" in changes and record.destination_code:
        _notify_destination(record, actor=actor)
        _confirm_locally(record, actor=actor, source=source)
    return record


@transaction.atomic
def outflow_return(
    *, actor, record_id: int, returned_on: dt.date, note: str = "", source: str = "web"
) -> OutflowRecord:
    """The person came home: the record ends as returned (its history stays) and its open tasks are done."""
    record = _record_for_edit(actor, record_id)
    problems = []
    if returned_on is None:
        problems.append(
            FieldProblem("returned_on", "outflow.returned_required", _("The day they came back is required"))
        )
    elif returned_on > china_today():
        problems.append(
            FieldProblem("returned_on", "outflow.returned_future", _("The day they came back is in the future"))
        )
    elif returned_on < record.left_on:
        problems.append(
            FieldProblem("returned_on", "outflow.returned_before_left", _("The day they came back is before they left"))
        )
    if problems:
        raise InvalidInput(problems)
    before = record.status
    record.status = OutflowRecord.Status.RETURNED
    record.last_heard_on = max(record.last_heard_on, returned_on)
    record.save()
    event_add(record, OutflowEvent.Kind.RETURNED, actor=actor, note=note, data={"returned_on": returned_on.isoformat()})
    closed = _tasks_close(record, actor=actor, note=str(_("Returned home")))
    audit_record(
        actor=actor,
        action="outflow.return",
        obj=record,
        division_code=record.origin_id,
        source=source,
        changes={"status": [before, record.status], "returned_on": returned_on, "tasks_closed": closed},
    )
    return record


@transaction.atomic
def outflow_close(*, actor, record_id: int, reason: str, note: str = "", source: str = "web") -> OutflowRecord:
    """Close a record that no longer concerns this origin: hukou moved away, died, or entered in error."""
    record = _record_for_edit(actor, record_id)
    if reason not in CloseReason.VALUES:
        raise InvalidInput(
            [
                FieldProblem(
                    "reason", "outflow.close_reason", _("Choose why: hukou moved away, died, or entered in error")
                )
            ]
        )
    before = record.status
    record.status = OutflowRecord.Status.CLOSED
    record.save()
    event_add(record, OutflowEvent.Kind.CLOSED, actor=actor, note=note, data={"reason": reason})
    closed = _tasks_close(record, actor=actor, note=str(_("Record closed")))
    audit_record(
        actor=actor,
        action="outflow.close",
        obj=record,
        division_code=record.origin_id,
        source=source,
        changes={"status": [before, record.status], "reason": reason, "note": note[:200], "tasks_closed": closed},
    )
    return record


@transaction.atomic
def outflow_transfer(*, actor, record_id: int, new_origin_code: str, note: str, source: str = "web") -> OutflowRecord:
    """Move a record to another origin division (DHIS2's ownership transfer), keeping its history.

    The rule: the actor must be allowed to edit outflow records and their jurisdiction must contain both the
    current origin and the new one. A township moves records between its villages; a move between townships
    is the county's; a move between counties needs the city or the province, so that no county can take a
    record from another or push one onto it alone. A reason is required; the step keeps both origins.
    Open tasks move with the record to the new origin office.
    """
    record = _record_for_edit(actor, record_id)
    problems: list[FieldProblem] = []
    new_origin = origin_check(new_origin_code, actor, problems, field="new_origin_code")
    note = " ".join((note or "").split())
    if len(note) < 4:
        problems.append(
            FieldProblem("note", "outflow.transfer_reason", _("State why the record moves (at least 4 characters)"))
        )
    if new_origin is not None and new_origin.code == record.origin_id:
        problems.append(
            FieldProblem("new_origin_code", "outflow.transfer_same", _("The record already belongs to this division"))
        )
    if problems:
        raise InvalidInput(problems)
    old_origin = record.origin_id
    record.origin = new_origin
    record.save()
    tasks = OutflowTask.objects.filter(record=record, status=OutflowTask.Status.OPEN)
    tasks.update(division_id=task_division_code(new_origin.code))
    event_add(
        record,
        OutflowEvent.Kind.TRANSFERRED,
        actor=actor,
        note=note,
        data={
            "from": old_origin,
            "from_name": full_name(old_origin),
            "to": new_origin.code,
            "to_name": full_name(new_origin.code),
        },
    )
    audit_record(
        actor=actor,
        action="outflow.transfer",
        obj=record,
        division_code=new_origin.code,
        source=source,
        changes={"origin": [old_origin, new_origin.code], "note": note[:200]},
    )
    return record


def task_division_code(origin_code: str) -> str:
    """The office that works an origin's tasks: the township of a village, else the origin itself."""
    return origin_code[:9] if len(origin_code) == 12 else origin_code


@transaction.atomic
def outflow_task_done(*, actor, task_id: int, note: str, source: str = "web") -> OutflowTask:
    """The origin office marks a reconciliation task done, saying what it did."""
    if not actor.can("outflow.task"):
        raise PermissionDenied()
    task = scoped(OutflowTask.objects.select_for_update(of=("self",)), actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    problems = []
    if task.status != OutflowTask.Status.OPEN:
        problems.append(FieldProblem("status", "outflow_task.not_open", _("This task is already done")))
    note = " ".join((note or "").split())
    if len(note) < 2:
        problems.append(FieldProblem("note", "outflow_task.note_required", _("Say what was done")))
    if problems:
        raise InvalidInput(problems)
    task.status, task.done_at, task.done_by, task.note = (
        OutflowTask.Status.DONE,
        timezone.now(),
        user_fk(actor),
        note[:300],
    )
    task.save(update_fields=["status", "done_at", "done_by", "note"])
    audit_record(
        actor=actor,
        action="outflow.task_done",
        obj=task,
        division_code=task.division_id,
        source=source,
        changes={
            "status": [OutflowTask.Status.OPEN, OutflowTask.Status.DONE],
            "record": task.record_id,
            "note": task.note,
        },
    )
    return task


__all__ = [
    "CloseReason",
    "outflow_close",
    "outflow_report",
    "outflow_return",
    "outflow_task_done",
    "outflow_transfer",
    "outflow_update",
    "province_code",
    "task_division_code",
]
