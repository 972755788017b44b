"""Trace-back and feedback (倒查、反馈): a wrong field goes back to whoever set it, with a deadline.

The one who set the field (its last FieldChange, else the record's creator) fixes it or disputes it within
LIUGUAN_QUALITY["feedback_days"] working days; an open task past its deadline goes to the station officer of
its community, and `escalate_after_days` working days later to the street officer of its township. A dispute
is decided by a station or street officer. Every step is a FeedbackEvent and an audit event, so the task's
history is part of the record's history.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.core.workdays import add_working_days
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import Person, Stay
from liuguan.registry.services.corrections import (
    PERSON_CORRECTABLE,
    STAY_CORRECTABLE,
    Setter,
    field_setter,
    record_correct,
)
from liuguan.registry.services.corrections import _clean as clean_value

from ..models import FeedbackEvent, FeedbackTask, SpotCheck

PERSON = "registry.person"
STAY = "registry.stay"
# Which record each correctable field lives on; the names do not overlap.
FIELD_OBJECT = {**{f: PERSON for f in PERSON_CORRECTABLE}, **{f: STAY for f in STAY_CORRECTABLE}}
UNRESOLVED = (FeedbackTask.Status.OPEN, FeedbackTask.Status.DISPUTED)
# Who opens a task of each origin: officers by hand, verifiers from a spot check, grid workers in a sweep.
ORIGIN_PERMISSION = {
    FeedbackTask.Origin.OFFICER: "feedback.open",
    FeedbackTask.Origin.SPOT_CHECK: "spotcheck.verify",
    FeedbackTask.Origin.SWEEP: "sweep.work",
}


def _quality(key: str) -> int:
    return int(settings.LIUGUAN_QUALITY[key])


def _note(text: str | None, limit: int = 300) -> str:
    return " ".join((text or "").split())[:limit]


def desk_officer(role: str, code: str) -> User | None:
    """The active station officer of a community (role station_officer) or street officer of a township."""
    return User.objects.filter(role=role, division_id=code, is_active=True).order_by("id").first()


def station_officer(community: str) -> User | None:
    return desk_officer(Role.STATION_OFFICER, community)


def street_officer(community: str) -> User | None:
    return desk_officer(Role.STREET_OFFICER, community[:9])


def _covers(user: User, community: str) -> bool:
    code = jurisdiction(user)
    return bool(code) and community.startswith(code)


def _first_assignee(setter: Setter, community: str) -> tuple[User | None, int]:
    """The setter when they can still work the task in that community; else the station, else the street."""
    if setter.user_id:
        user = User.objects.filter(pk=setter.user_id, is_active=True).first()
        if user is not None and user.can("feedback.work") and user.can("person.register") and _covers(user, community):
            return user, FeedbackTask.Level.COLLECTOR
    officer = station_officer(community)
    if officer is not None:
        return officer, FeedbackTask.Level.STATION
    officer = street_officer(community)
    if officer is not None:
        return officer, FeedbackTask.Level.STREET
    return None, FeedbackTask.Level.COLLECTOR


def _event(task: FeedbackTask, action: str, actor, note: str = "") -> FeedbackEvent:
    return FeedbackEvent.objects.create(
        task=task,
        action=action,
        actor=actor if getattr(actor, "pk", None) else None,
        note=_note(note),
        assignee_id=task.assignee_id,
    )


def _audit(task: FeedbackTask, action: str, actor, source: str = "web", **changes) -> None:
    audit_record(
        actor=actor,
        action=f"feedback.{action}",
        obj=task,
        division_code=task.community_id,
        source=source,
        changes={"number": task.number, "field": task.field, "status": task.status, **changes},
    )


def _record(object_type: str, object_id: int):
    model = Person if object_type == PERSON else Stay
    return model.objects.filter(pk=object_id).first()


def _stay_for(actor, person: Person, spot_check: SpotCheck | None) -> Stay | None:
    """The stay a person-field task hangs on: the checked one, else the person's latest stay in the actor's area."""
    if spot_check is not None:
        return spot_check.stay
    code = jurisdiction(actor)
    if not code:
        return None
    stays = Stay.objects.filter(within("community_id", code), person=person)
    return (
        stays.filter(departed_on__isnull=True).order_by("-arrived_on", "-id").first()
        or stays.order_by("-arrived_on", "-id").first()
    )


def open_task(
    *,
    actor,
    object_type: str,
    record,
    person: Person,
    stay: Stay | None,
    field: str,
    recorded_value,
    found_value,
    note: str,
    origin: str,
    setter: Setter,
    spot_check: SpotCheck | None = None,
    source: str = "web",
) -> FeedbackTask:
    """Write one task in the caller's transaction; callers have checked permission, scope and the field."""
    community = stay.community_id if stay is not None else record.community_id
    assignee, level = _first_assignee(setter, community)
    today = china_today()
    task = FeedbackTask.objects.create(
        number=f"tmp-{uuid.uuid4().hex[:24]}",
        community_id=community,
        object_type=object_type,
        object_id=record.pk,
        field=field,
        person=person,
        stay=stay,
        recorded_value=recorded_value,
        found_value=found_value,
        note=_note(note),
        origin=origin,
        spot_check=spot_check,
        collector_id=setter.user_id,
        set_at=setter.at,
        set_channel=setter.channel or "",
        assignee=assignee,
        level=level,
        due_on=add_working_days(today, _quality("feedback_days")),
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    task.number = f"FB-{today:%Y%m}-{task.pk:06d}"
    task.save(update_fields=["number"])
    _event(task, "opened", actor, note)
    _audit(task, "open", actor, source, origin=origin, assignee=task.assignee_id, level=level, due_on=task.due_on)
    return task


@transaction.atomic
def task_open(
    *,
    actor,
    object_type: str,
    object_id: int,
    field: str,
    found_value=None,
    note: str,
    origin: str = FeedbackTask.Origin.OFFICER,
    spot_check: SpotCheck | None = None,
    setter: Setter | None = None,
    recorded_value=None,
    source: str = "web",
) -> FeedbackTask:
    """A wrong field goes back to whoever set it, due in `feedback_days` working days; one open task per field.

    Pass `setter` (and `recorded_value`) when the record was already corrected before the task is opened (a
    sweep that fixed it on the spot): otherwise the history names the corrector, not who got it wrong.
    """
    permission = ORIGIN_PERMISSION.get(origin)
    if permission is None:
        raise InvalidInput([FieldProblem("origin", "feedback.origin", _("Unknown origin"))])
    if not actor.can(permission):
        raise PermissionDenied()
    if FIELD_OBJECT.get(field) != object_type:
        raise InvalidInput([FieldProblem("field", "feedback.field", _("This field cannot be sent back"))])
    model = Person if object_type == PERSON else Stay
    record = scoped(model.objects.all(), actor).filter(pk=object_id).first()
    if record is None:
        raise NotFound()
    person = record if model is Person else record.person
    stay = record if model is Stay else _stay_for(actor, person, spot_check)
    problems = []
    if stay is None:
        problems.append(FieldProblem("object_id", "feedback.stay_in_scope", _("This person has no stay in your area")))
    note = _note(note)
    if origin == FeedbackTask.Origin.OFFICER and not note:
        problems.append(FieldProblem("note", "feedback.note_required", _("Say what is wrong")))
    current = getattr(record, field)
    recorded = current if recorded_value is None else recorded_value
    if found_value is not None and str(found_value).strip() != "":
        try:
            found_value = clean_value(field, found_value)
        except InvalidInput as exc:
            problems.extend(FieldProblem("found_value", p.rule, p.message) for p in exc.problems)
        else:
            if found_value == recorded:
                problems.append(
                    FieldProblem("found_value", "feedback.same_value", _("That is what the record already holds"))
                )
    else:
        found_value = None
    if problems:
        raise InvalidInput(problems)
    # An officer cannot open a second task on the same field; a sweep that corrected it may (its own finding).
    if (
        origin == FeedbackTask.Origin.OFFICER
        and FeedbackTask.objects.filter(
            object_type=object_type, object_id=record.pk, field=field, status__in=UNRESOLVED
        ).exists()
    ):
        raise Conflict(_("A feedback task for this field is already open"), field="field", rule="feedback.open_exists")
    setter = setter or field_setter(object_type=object_type, record=record, field=field)
    return open_task(
        actor=actor,
        object_type=object_type,
        record=record,
        person=person,
        stay=stay,
        field=field,
        recorded_value=recorded,
        found_value=found_value,
        note=note,
        origin=origin,
        setter=setter,
        spot_check=spot_check,
        source=source,
    )


def _locked_task(actor, task_id: int) -> FeedbackTask:
    task = scoped(FeedbackTask.objects.select_for_update(), actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    return task


def _workable(actor, task_id: int) -> FeedbackTask:
    """The task if the actor may fix or dispute it: whoever has it now, or the one who set the field.

    Other field workers never see someone else's task (NotFound); an officer who may see it is refused.
    """
    task = _locked_task(actor, task_id)
    if actor.can("feedback.work") and actor.pk in (task.assignee_id, task.collector_id):
        return task
    if actor.can("feedback.open"):
        raise PermissionDenied()
    raise NotFound()


def _close(task: FeedbackTask, status: str, actor) -> None:
    task.status = status
    task.resolved_by = actor if getattr(actor, "pk", None) else None
    task.resolved_at = timezone.now()
    task.save(update_fields=["status", "resolved_by", "resolved_at", "assignee"])


@transaction.atomic
def task_fix(*, actor, task_id: int, value, note: str = "", source: str = "web") -> FeedbackTask:
    """Whoever the task is with (or the collector who set the field) puts the right value on the record."""
    task = _workable(actor, task_id)
    if task.status != FeedbackTask.Status.OPEN:
        raise Conflict(_("This task is no longer open"), rule="feedback.not_open")
    if value is None:
        raise InvalidInput([FieldProblem("value", "feedback.value_required", _("Give the right value"))])
    changes = record_correct(
        actor=actor,
        object_type=task.object_type,
        object_id=task.object_id,
        values={task.field: value},
        reason=_note(f"{task.number} {note}", 200),
        channel=SourceChannel.COLLECTOR,
        source=source,
    )
    _close(task, FeedbackTask.Status.FIXED, actor)
    _event(task, "fixed", actor, note)
    _audit(task, "fix", actor, source, changed=bool(changes))
    return task


@transaction.atomic
def task_dispute(*, actor, task_id: int, note: str, source: str = "web") -> FeedbackTask:
    """The one who set the field says the record was right; a station (else street) officer decides."""
    task = _workable(actor, task_id)
    if task.status != FeedbackTask.Status.OPEN:
        raise Conflict(_("This task is no longer open"), rule="feedback.not_open")
    note = _note(note)
    if not note:
        raise InvalidInput([FieldProblem("note", "feedback.note_required", _("Say why the record is right"))])
    decider = station_officer(task.community_id) or street_officer(task.community_id)
    task.status = FeedbackTask.Status.DISPUTED
    if decider is not None:
        task.assignee = decider
    task.save(update_fields=["status", "assignee"])
    _event(task, "disputed", actor, note)
    _audit(task, "dispute", actor, source, assignee=task.assignee_id)
    return task


def _value_now(task: FeedbackTask):
    record = _record(task.object_type, task.object_id)
    return None if record is None else getattr(record, task.field)


@transaction.atomic
def dispute_decide(*, actor, task_id: int, upheld: bool, value=None, note: str, source: str = "web") -> FeedbackTask:
    """A station or street officer settles a dispute: upheld keeps the recorded value, overruled corrects it.

    When the task's correction is already on the record (a spot check applied it), upholding puts the
    recorded value back and the spot check no longer counts that field as wrong.
    """
    if not (actor.can("feedback.open") and actor.can("person.register")):
        raise PermissionDenied()
    task = _locked_task(actor, task_id)
    if task.status != FeedbackTask.Status.DISPUTED:
        raise Conflict(_("This task is not disputed"), rule="feedback.not_disputed")
    note = _note(note)
    if not note:
        raise InvalidInput([FieldProblem("note", "feedback.note_required", _("Give the reason for the decision"))])
    reason = _note(f"{task.number} {note}", 200)
    if upheld:
        now = _value_now(task)
        if task.found_value is not None and now == task.found_value and now != task.recorded_value:
            record_correct(
                actor=actor,
                object_type=task.object_type,
                object_id=task.object_id,
                values={task.field: task.recorded_value},
                reason=reason,
                channel=SourceChannel.COLLECTOR,
                source=source,
            )
        if task.spot_check_id:
            _uncount(task)
        status = FeedbackTask.Status.UPHELD
    else:
        value = task.found_value if value is None or str(value).strip() == "" else value
        if value is None:
            raise InvalidInput([FieldProblem("value", "feedback.value_required", _("Give the right value"))])
        record_correct(
            actor=actor,
            object_type=task.object_type,
            object_id=task.object_id,
            values={task.field: value},
            reason=reason,
            channel=SourceChannel.COLLECTOR,
            source=source,
        )
        status = FeedbackTask.Status.OVERRULED
    _close(task, status, actor)
    _event(task, "upheld" if upheld else "overruled", actor, note)
    _audit(task, "decide", actor, source, upheld=upheld)
    return task


def _uncount(task: FeedbackTask) -> None:
    """An upheld dispute means the checked field was right after all: the check stops counting it as wrong."""
    check = SpotCheck.objects.select_for_update().get(pk=task.spot_check_id)
    result = dict(check.results.get(task.field) or {})
    if result.get("verdict") != "corrected":
        return
    result.update(verdict="confirmed", dispute="upheld", task=task.number)
    check.results = {**check.results, task.field: result}
    check.fields_corrected = max(0, check.fields_corrected - 1)
    check.save(update_fields=["results", "fields_corrected"])


def _next_holder(task: FeedbackTask) -> tuple[User | None, int]:
    if task.level < FeedbackTask.Level.STATION:
        officer = station_officer(task.community_id)
        if officer is not None:
            return officer, FeedbackTask.Level.STATION
    officer = street_officer(task.community_id)
    return officer, FeedbackTask.Level.STREET


def feedback_escalate(today: dt.date | None = None) -> int:
    """Hand open tasks past their deadline up one level; safe to run as often as the scheduler likes.

    The station officer gets `escalate_after_days` working days counted from the collector's deadline, so a
    run that was missed for a week catches up in one go instead of restarting the clock.
    """
    today = today or china_today()
    after = _quality("escalate_after_days")
    moved = 0
    due = FeedbackTask.objects.filter(
        status=FeedbackTask.Status.OPEN, due_on__lt=today, level__lt=FeedbackTask.Level.STREET
    ).values_list("pk", flat=True)
    for pk in list(due.order_by("pk")):
        with transaction.atomic():
            task = FeedbackTask.objects.select_for_update().filter(pk=pk, status=FeedbackTask.Status.OPEN).first()
            while task is not None and task.due_on < today and task.level < FeedbackTask.Level.STREET:
                holder, level = _next_holder(task)
                if holder is None:
                    break
                task.assignee, task.level = holder, level
                if level == FeedbackTask.Level.STATION:
                    task.due_on = add_working_days(task.due_on, after)
                task.save(update_fields=["assignee", "level", "due_on"])
                _event(task, "escalated", SYSTEM)
                _audit(task, "escalate", SYSTEM, "job", level=level, assignee=holder.pk, due_on=task.due_on)
                moved += 1
    return moved
