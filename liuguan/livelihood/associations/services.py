"""Writes of associations: registering one, its leaders, members, activities, the tasks officers give it, and
volunteers' hours. Each write is checked against the officer's jurisdiction (the association's division) and
audited. A person joins as a member only when they are registered; a leader may be a registered person or a
name and phone.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.geo.models import Division
from liuguan.registry.models import Person

from .models import (
    Activity,
    Association,
    AssociationKind,
    AssociationTask,
    Leader,
    Membership,
    TaskKind,
    TaskStatus,
    VolunteerService,
)


def _problem(field: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(field, rule, message)])


def _require(actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied()


def _association(actor, association_id: int, *, lock: bool = False) -> Association:
    qs = Association.objects.select_for_update() if lock else Association.objects.all()
    found = scoped(qs, actor).filter(pk=association_id).first()
    if found is None:
        raise NotFound()
    return found


def _person(person_id) -> Person:
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise _problem("person_id", "association.person", _("No such person in the registry"))
    return person


def _audit(actor, action: str, obj, association: Association, **changes) -> None:
    audit_record(
        actor=actor,
        action=f"association.{action}",
        obj=obj,
        division_code=association.division_id,
        changes={"association": association.pk, **changes},
    )


@transaction.atomic
def association_register(
    *,
    actor,
    kind: str,
    name: str,
    division_code: str,
    registered_on: dt.date | None = None,
    origin_code: str = "",
    address: str = "",
) -> Association:
    """A hometown association names the area its members come from; every association sits in the officer's area."""
    _require(actor, "association.manage")
    problems = []
    if kind not in AssociationKind.values:
        problems.append(FieldProblem("kind", "association.kind", _("Choose the kind of association")))
    if not (name or "").strip():
        problems.append(FieldProblem("name", "required", _("An association needs a name")))
    division = Division.objects.filter(pk=division_code).first()
    code = jurisdiction(actor) or "-"
    if division is None or not division.code.startswith(code):
        problems.append(FieldProblem("division_code", "association.division", _("Name a division inside your area")))
    origin = Division.objects.filter(pk=origin_code).first() if origin_code else None
    if kind == AssociationKind.HOMETOWN and origin is None:
        problems.append(FieldProblem("origin_code", "association.origin", _("Name the area its members come from")))
    if problems:
        raise InvalidInput(problems)
    if Association.objects.filter(division=division, name=name.strip()).exists():
        raise Conflict(_("An association of that name is already registered here"), field="name")
    association = Association.objects.create(
        kind=kind,
        name=name.strip(),
        division=division,
        origin=origin,
        registered_on=registered_on or china_today(),
        address=address,
    )
    _audit(actor, "register", association, association, kind=kind, name=association.name, origin=origin_code)
    return association


@transaction.atomic
def association_leader_add(
    *, actor, association_id: int, person_id=None, name: str = "", phone: str = "", title: str = ""
) -> Leader:
    """A leader is a registered person, or a name with a phone to reach them."""
    _require(actor, "association.manage")
    association = _association(actor, association_id, lock=True)
    person = _person(person_id) if person_id else None
    if person is None and not ((name or "").strip() and (phone or "").strip()):
        raise _problem("name", "association.leader", _("Name a registered person, or give a name and a phone"))
    leader = Leader.objects.create(
        association=association, person=person, name=(name or "").strip(), phone=(phone or "").strip(), title=title
    )
    _audit(actor, "leader_add", leader, association, person=person_id, title=title)
    return leader


@transaction.atomic
def association_member_add(
    *, actor, association_id: int, person_id: int, joined_on: dt.date | None = None
) -> Membership:
    _require(actor, "association.manage")
    association = _association(actor, association_id, lock=True)
    person = _person(person_id)
    if Membership.objects.filter(association=association, person=person).exists():
        raise Conflict(_("That person is already a member"), field="person_id")
    membership = Membership.objects.create(association=association, person=person, joined_on=joined_on or china_today())
    _audit(actor, "member_add", membership, association, person=person.pk)
    return membership


@transaction.atomic
def association_member_remove(*, actor, association_id: int, person_id: int) -> None:
    _require(actor, "association.manage")
    association = _association(actor, association_id, lock=True)
    membership = Membership.objects.filter(association=association, person_id=person_id).first()
    if membership is None:
        raise NotFound()
    _audit(actor, "member_remove", membership, association, person=person_id)
    membership.delete()


@transaction.atomic
def association_activity_record(
    *, actor, association_id: int, date: dt.date, title: str, participants: int = 0
) -> Activity:
    _require(actor, "association.manage")
    association = _association(actor, association_id, lock=True)
    if not (title or "").strip():
        raise _problem("title", "required", _("Say what the activity was"))
    if participants is None or int(participants) < 0:
        raise _problem("participants", "association.participants", _("Participants cannot be negative"))
    activity = Activity.objects.create(
        association=association, date=date, title=title.strip(), participants=int(participants)
    )
    _audit(
        actor, "activity", activity, association, date=date, title=activity.title, participants=activity.participants
    )
    return activity


@transaction.atomic
def association_task_give(
    *, actor, association_id: int, kind: str, title: str, description: str = "", due_on: dt.date | None = None
) -> AssociationTask:
    """An officer asks an association to help: with a sweep, by spreading a notice, or otherwise."""
    _require(actor, "association.task")
    association = _association(actor, association_id, lock=True)
    problems = []
    if kind not in TaskKind.values:
        problems.append(FieldProblem("kind", "association.task_kind", _("Choose the kind of task")))
    if not (title or "").strip():
        problems.append(FieldProblem("title", "required", _("Say what the task is")))
    if not association.active:
        problems.append(FieldProblem("association_id", "association.inactive", _("The association is not active")))
    if problems:
        raise InvalidInput(problems)
    task = AssociationTask.objects.create(
        association=association, kind=kind, title=title.strip(), description=description, due_on=due_on, given_by=actor
    )
    _audit(actor, "task_give", task, association, kind=kind, title=task.title)
    return task


@transaction.atomic
def association_task_complete(*, actor, task_id: int, report: str) -> AssociationTask:
    """A task is done with a report of what the association did; a done task stays done."""
    _require(actor, "association.manage")
    task = (
        scoped(AssociationTask.objects.select_for_update(), actor)
        .filter(pk=task_id)
        .select_related("association")
        .first()
    )
    if task is None:
        raise NotFound()
    if task.status == TaskStatus.DONE:
        raise _problem("status", "association.task_done", _("The task is already done"))
    if not (report or "").strip():
        raise _problem("report", "required", _("Report what was done"))
    task.status = TaskStatus.DONE
    task.report = report.strip()
    task.done_at = timezone.now()
    task.save()
    _audit(actor, "task_done", task, task.association)
    return task


@transaction.atomic
def volunteer_hours_record(
    *, actor, association_id: int, date: dt.date, hours, person_id=None, name: str = "", what: str = ""
) -> VolunteerService:
    """Hours a volunteer served (more than 0, at most 24 a day), for a registered person or a named one."""
    _require(actor, "association.manage")
    association = _association(actor, association_id, lock=True)
    try:
        hours = Decimal(str(hours))
    except (InvalidOperation, ValueError) as exc:
        raise _problem("hours", "association.hours", _("Give the hours as a number")) from exc
    if not Decimal("0") < hours <= Decimal("24"):
        raise _problem("hours", "association.hours", _("Hours must be more than 0 and at most 24"))
    person = _person(person_id) if person_id else None
    if person is None and not (name or "").strip():
        raise _problem("name", "association.volunteer", _("Name the volunteer"))
    service = VolunteerService.objects.create(
        association=association, person=person, name=(name or "").strip(), date=date, hours=hours, what=what
    )
    _audit(actor, "volunteer_hours", service, association, hours=str(hours), person=person_id)
    return service
