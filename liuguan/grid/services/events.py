"""Grid events from report to closing (发现、传递、处置、反馈), every step checked against the table in
transitions.py, audited, and told to the reporter.

Routing: a category names the office level (community station, street office, county office) or the department
that answers for it; the event goes to that office of the event's own area, or to the department. A unit that
is not responsible must name who is, and the event goes there at once, the refusal kept as a step with its
author. Deadlines are working days (core/workdays.py): acceptance is due `accept_days` after the event reached
the unit (routing a freshly reported event keeps the clock that started at the report), disposal `dispose_days`
after acceptance.
"""

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, Actor, audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.core.workdays import add_working_days
from liuguan.exchange.models import Department
from liuguan.geo.models import Division, Grid
from liuguan.registry.models import House, Person

from ..models import (
    CLOSED_STATES,
    LEVEL_LENGTH,
    Channel,
    EventCategory,
    GridEvent,
    GridEventStep,
    OfficeLevel,
    Source,
    Stage,
    State,
    Supervision,
)
from ..transitions import TABLE
from .notify import notify_step, survey_open

# The reporter answering the survey acts through their link, with no account.
REPORTER = Actor(pk=None, username="reporter")


def _note(text: str | None, limit: int = 500) -> str:
    return " ".join((text or "").split())[:limit]


def _is_system(actor) -> bool:
    return getattr(actor, "pk", None) is None


def _actor_user(actor):
    return None if _is_system(actor) else actor


# -- routing -----------------------------------------------------------------------------------------------------


def route_target(
    event: GridEvent, *, office_level: str = "", department_code: str = ""
) -> tuple[str | None, str | None]:
    """(division code, department code) of the unit that answers: the one named, else the category's."""
    if not office_level and not department_code:
        office_level = event.category.office_level
        department_code = event.category.department_code
    if department_code:
        if not Department.objects.filter(pk=department_code).exists():
            raise InvalidInput([FieldProblem("department_code", "grid.department", _("No such department"))])
        return None, department_code
    if office_level not in LEVEL_LENGTH:
        raise InvalidInput([FieldProblem("office_level", "grid.office_level", _("Name an office level"))])
    code = event.community_id[: LEVEL_LENGTH[OfficeLevel(office_level)]]
    if not Division.objects.filter(pk=code).exists():
        raise InvalidInput([FieldProblem("office_level", "grid.office_level", _("That office does not exist"))])
    return code, None


def in_unit(user, event: GridEvent) -> bool:
    """Whether the user belongs to the unit the event is with now (the office's division, or the department)."""
    if event.assigned_department_id:
        return user.role == Role.DEPARTMENT_USER and user.department_id == event.assigned_department_id
    return bool(event.assigned_division_id) and user.division_id == event.assigned_division_id


def can_take(user, event: GridEvent, action: str) -> bool:
    """The table allows the action from the event's state and the user may take it (role, scope, unit)."""
    transition = TABLE[action]
    if event.state not in transition.sources or not user.can(transition.permission):
        return False
    if transition.who == "unit":
        return in_unit(user, event)
    code = jurisdiction(user)
    return bool(code) and event.community_id.startswith(code)


# -- shared steps ------------------------------------------------------------------------------------------------


def _step(event: GridEvent, action: str, to_state: str, actor, note: str = "", **routed) -> GridEventStep:
    step = GridEventStep.objects.create(
        event=event,
        action=action,
        from_state=event.state if action != "report" else "",
        to_state=to_state,
        actor=_actor_user(actor),
        actor_label=str(getattr(actor, "full_name", "") or getattr(actor, "username", "")),
        note=_note(note),
        **routed,
    )
    event.state = to_state
    event.updated_at = step.at
    return step


def _audit(event: GridEvent, action: str, actor, source: str, **changes) -> None:
    audit_record(
        actor=actor,
        action=f"grid_event.{action}",
        obj=event,
        division_code=event.community_id,
        source=source,
        changes={"number": event.number, "state": event.state, **changes},
    )


def _resolve_cards(event: GridEvent, stage: str) -> None:
    Supervision.objects.filter(event=event, stage=stage, resolved_at__isnull=True).update(resolved_at=timezone.now())


def _send(event: GridEvent, action: str, to_state: str, actor, note: str = "", **routed) -> GridEventStep:
    step = _step(event, action, to_state, actor, note, **routed)
    notify_step(event, step)
    return step


def _refuse(event: GridEvent, action: str) -> InvalidInput:
    return InvalidInput(
        [
            FieldProblem(
                "state",
                "grid.transition",
                _("An event that is %(state)s cannot be given the step “%(action)s”.")
                % {"state": State(event.state).label, "action": action},
            )
        ]
    )


def _locked(actor, event_id: int) -> GridEvent:
    qs = GridEvent.objects.select_for_update().select_related("category")
    event = (qs if _is_system(actor) else scoped(qs, actor)).filter(pk=event_id).first()
    if event is None:
        raise NotFound()
    return event


def _check(actor, event: GridEvent, action: str) -> None:
    """Refuse an action the table does not allow from this state, or that this actor may not take."""
    transition = TABLE[action]
    system = _is_system(actor)
    if not system and not actor.can(transition.permission):
        raise PermissionDenied()
    if event.state not in transition.sources:
        raise _refuse(event, action)
    if not system and transition.who == "unit" and not in_unit(actor, event):
        raise PermissionDenied()
    if event.joint and action in ("dispose", "close", "close_not_fixed") and _open_parts(event):
        raise InvalidInput(
            [FieldProblem("state", "grid.joint_parts_open", _("Every part of the joint case must close first"))]
        )


def _open_parts(event: GridEvent) -> bool:
    """A joint case waits for its parts (services/joint.py): none may be open when it is disposed of or closed."""
    from ..models_joint import OPEN_PART_STATES

    return event.parts.filter(state__in=OPEN_PART_STATES).exists()


def _route(event: GridEvent, actor, *, office_level="", department_code="", note="", action="route", fresh=True):
    division, department = route_target(event, office_level=office_level, department_code=department_code)
    event.assigned_division_id, event.assigned_department_id = division, department
    if fresh or event.accept_due is None:
        event.accept_due = add_working_days(china_today(), event.category.accept_days)
        event.accept_overdue = False
    event.dispose_due = None
    event.dispose_overdue = False
    return _send(
        event, action, State.TRANSMITTED, actor, note, routed_division_id=division, routed_department_id=department
    )


# -- services ----------------------------------------------------------------------------------------------------


@transaction.atomic
def event_report(
    *,
    actor,
    category_code: str,
    description: str,
    community_code: str = "",
    grid_code: str = "",
    house_id: int | None = None,
    person_id: int | None = None,
    address: str = "",
    latitude=None,
    longitude=None,
    media_url: str = "",
    source: str = Source.FIELD,
    reporter_name: str = "",
    reporter_phone: str = "",
    reporter_email: str = "",
    channel: str | None = None,
    open311_client=None,
    rule: str = "",
    rule_key: str = "",
    auto_route: bool = False,
    audit_source: str = "web",
) -> GridEvent:
    """A problem is reported in a grid (or, where the grid is unknown, a community) and waits to be routed.

    Staff report inside their own jurisdiction; the reporter hears back in their channel: staff in the portal,
    residents by text message, Open311 clients through their client.
    """
    staff = not _is_system(actor)
    if staff and not actor.can("grid.report"):
        raise PermissionDenied()
    problems = []
    category = EventCategory.objects.filter(pk=category_code, active=True).first()
    if category is None:
        problems.append(FieldProblem("category", "grid.category", _("Choose a category")))
    description = (description or "").strip()
    if not description:
        problems.append(FieldProblem("description", "grid.description", _("Say what the problem is")))
    # The place: a house gives its grid and community, a grid its community; staff only inside their area.
    house = grid = None
    if house_id:
        houses = House.objects.all() if not staff else scoped(House.objects.all(), actor)
        house = houses.select_related("grid").filter(pk=house_id).first()
        if house is None:
            problems.append(FieldProblem("house", "grid.house", _("No such house in your area")))
    if grid_code:
        grids = Grid.objects.all() if not staff else scoped(Grid.objects.all(), actor)
        grid = grids.filter(code=grid_code).first()
        if grid is None:
            problems.append(FieldProblem("grid", "grid.grid", _("No such grid in your area")))
    if house is not None and grid is None:
        grid = house.grid
    community = (grid.community_id if grid else None) or (house.community_id if house else None) or community_code
    if not problems:
        if not community:
            problems.append(FieldProblem("grid", "grid.place", _("Say where: a grid, a house or a community")))
        elif not Division.objects.filter(pk=community, level="community").exists():
            problems.append(FieldProblem("community", "grid.community", _("No such community")))
        elif staff and not community.startswith(jurisdiction(actor) or "-"):
            problems.append(FieldProblem("community", "grid.community_in_scope", _("Outside your area")))
    person = None
    if person_id:
        people = Person.objects.all() if not staff else scoped(Person.objects.all(), actor)
        person = people.filter(pk=person_id).first()
        if person is None:
            problems.append(FieldProblem("person", "grid.person", _("No such person in your area")))
    if problems:
        raise InvalidInput(problems)
    if channel is None:
        if source == Source.OPEN311:
            channel = Channel.OPEN311
        elif staff:
            channel = Channel.PORTAL
        elif reporter_phone:
            channel = Channel.SMS
        else:
            channel = Channel.NONE
    event = GridEvent(
        number=f"tmp-{uuid.uuid4().hex[:20]}",
        community_id=community,
        grid=grid,
        category=category,
        source=source,
        reporter=actor if staff else None,
        reporter_name=_note(reporter_name, 60) or (str(actor) if staff else ""),
        reporter_phone=_note(reporter_phone, 20),
        reporter_email=_note(reporter_email, 120),
        channel=channel,
        open311_client=open311_client,
        description=description[:2000],
        address=_note(address, 200) or (house.address if house else ""),
        latitude=latitude,
        longitude=longitude,
        media_url=media_url,
        house=house,
        person=person,
        rule=rule,
        rule_key=rule_key,
        accept_due=add_working_days(china_today(), category.accept_days),
    )
    event.full_clean(exclude=["number", "community", "grid", "category", "house", "person", "open311_client"])
    event.save()
    event.number = f"GE-{china_today():%Y%m}-{event.pk:06d}"
    _send(event, "report", State.DISCOVERED, actor)
    if auto_route:
        _route(event, SYSTEM, fresh=False)
    event.save()
    _audit(event, "report", actor, audit_source, category=category.code, origin=source, grid=grid.code if grid else "")
    return event


@transaction.atomic
def event_route(
    *, actor, event_id: int, office_level: str = "", department_code: str = "", note: str = "", source: str = "web"
) -> GridEvent:
    """A desk officer sends the event to the unit that answers for it: the category's, or the one they name."""
    event = _locked(actor, event_id)
    _check(actor, event, "route")
    first = event.state == State.DISCOVERED
    _route(event, actor, office_level=office_level, department_code=department_code, note=note, fresh=not first)
    if not first:
        _resolve_cards(event, Stage.ACCEPT)
    event.save()
    _audit(event, "route", actor, source, division=event.assigned_division_id, department=event.assigned_department_id)
    return event


def _unit_step(actor, event_id: int, action: str, note: str, source: str, require_note: bool = False) -> GridEvent:
    event = _locked(actor, event_id)
    _check(actor, event, action)
    note = _note(note)
    if require_note and not note:
        raise InvalidInput([FieldProblem("note", "grid.note_required", _("Say what was done"))])
    today = china_today()
    if action == "accept":
        event.accept_overdue = event.accept_overdue or (event.accept_due is not None and today > event.accept_due)
        event.dispose_due = add_working_days(today, event.category.dispose_days)
        _resolve_cards(event, Stage.ACCEPT)
    if action == "dispose":
        event.dispose_overdue = event.dispose_overdue or (event.dispose_due is not None and today > event.dispose_due)
        _resolve_cards(event, Stage.DISPOSE)
    _send(event, action, TABLE[action].target, actor, note)
    event.save()
    _audit(event, action, actor, source)
    return event


@transaction.atomic
def event_accept(*, actor, event_id: int, note: str = "", source: str = "web") -> GridEvent:
    """The unit takes the event on; its disposal deadline starts today."""
    return _unit_step(actor, event_id, "accept", note, source)


@transaction.atomic
def event_start(*, actor, event_id: int, note: str = "", source: str = "web") -> GridEvent:
    """The unit has started work on it."""
    return _unit_step(actor, event_id, "start", note, source)


@transaction.atomic
def event_dispose(*, actor, event_id: int, note: str, source: str = "web") -> GridEvent:
    """The unit says what it did; a grid worker then checks on the spot and feeds back."""
    return _unit_step(actor, event_id, "dispose", note, source, require_note=True)


@transaction.atomic
def event_not_responsible(
    *, actor, event_id: int, note: str, office_level: str = "", department_code: str = "", source: str = "web"
) -> GridEvent:
    """A unit that does not answer for the event must say who does; the event goes there at once."""
    event = _locked(actor, event_id)
    _check(actor, event, "not_responsible")
    note = _note(note)
    problems = []
    if not office_level and not department_code:
        problems.append(
            FieldProblem("responsible", "grid.name_responsible", _("Name the office or department that is responsible"))
        )
    if not note:
        problems.append(FieldProblem("note", "grid.note_required", _("Say why your unit is not responsible")))
    if problems:
        raise InvalidInput(problems)
    division, department = route_target(event, office_level=office_level, department_code=department_code)
    if (division, department) == (event.assigned_division_id, event.assigned_department_id):
        raise InvalidInput(
            [FieldProblem("responsible", "grid.same_unit", _("Name another unit than the one the event is with"))]
        )
    refused_by = (event.assigned_division_id, event.assigned_department_id)
    _resolve_cards(event, Stage.ACCEPT)
    _resolve_cards(event, Stage.DISPOSE)
    _send(event, "not_responsible", State.NOT_RESPONSIBLE, actor, note)
    _route(event, SYSTEM, office_level=office_level, department_code=department_code, note=_("Re-routed"))
    event.save()
    _audit(
        event,
        "not_responsible",
        actor,
        source,
        refused_by=list(refused_by),
        division=event.assigned_division_id,
        department=event.assigned_department_id,
    )
    return event


@transaction.atomic
def event_feedback(*, actor, event_id: int, note: str, source: str = "web") -> GridEvent:
    """The grid worker (or desk) checks the disposal on the spot and feeds back what they found."""
    event = _locked(actor, event_id)
    _check(actor, event, "feedback")
    note = _note(note)
    if not note:
        raise InvalidInput([FieldProblem("note", "grid.note_required", _("Say what you found on the spot"))])
    _send(event, "feedback", State.FED_BACK, actor, note)
    event.save()
    _audit(event, "feedback", actor, source)
    return event


def _disposer(event: GridEvent) -> tuple[str | None, str | None]:
    """The unit the event is with when it closes: routing only happens before acceptance, so it disposed of it."""
    return event.assigned_division_id, event.assigned_department_id


@transaction.atomic
def event_close(*, actor, event_id: int, fixed: bool = True, note: str = "", source: str = "web") -> GridEvent:
    """The desk closes the event, fixed or not fixed (unable to fix: the note says why); the reporter is asked."""
    action = "close" if fixed else "close_not_fixed"
    event = _locked(actor, event_id)
    _check(actor, event, action)
    note = _note(note)
    if not fixed and not note:
        raise InvalidInput([FieldProblem("note", "grid.note_required", _("Say why it cannot be fixed"))])
    disposer = _disposer(event)
    for stage in Stage:
        _resolve_cards(event, stage)
    _send(event, action, TABLE[action].target, actor, note)
    event.closed_at = timezone.now()
    event.save()
    survey_open(event, disposer)
    _audit(event, action, actor, source)
    return event


@transaction.atomic
def event_reopen(*, actor, event_id: int, note: str, source: str = "web") -> GridEvent:
    """A closed event is opened again and goes back to the unit that had it, with a fresh acceptance deadline."""
    event = _locked(actor, event_id)
    _check(actor, event, "reopen")
    note = _note(note)
    if not note:
        raise InvalidInput([FieldProblem("note", "grid.note_required", _("Say why it is reopened"))])
    return _reopen(event, actor, note, source)


def _reopen(event: GridEvent, actor, note: str, source: str) -> GridEvent:
    last = (event.assigned_division_id, event.assigned_department_id)
    _send(event, "reopen", State.REOPENED, actor, note)
    level = next((lv for lv, n in LEVEL_LENGTH.items() if last[0] and len(last[0]) == n), "")
    _route(event, SYSTEM, office_level="" if last[1] else level, department_code=last[1] or "")
    event.closed_at = None
    event.save()
    _audit(event, "reopen", actor, source)
    return event


def reopen_for_reporter(event: GridEvent, note: str) -> GridEvent:
    """The reporter answered "not solved": the event reopens in their name (inside the survey's transaction)."""
    event = GridEvent.objects.select_for_update().select_related("category").get(pk=event.pk)
    if event.state != State.CLOSED:
        raise InvalidInput([FieldProblem("state", "grid.transition", _("Only a closed event can be reopened"))])
    return _reopen(event, REPORTER, note, "public")


SERVICES = {
    "accept": event_accept,
    "start": event_start,
    "dispose": event_dispose,
    "feedback": event_feedback,
}


def event_act(*, actor, event_id: int, action: str, note: str = "", office_level: str = "", department_code: str = ""):
    """One entry for pages and the API: the action's own service, by the table's name for it."""
    if action not in TABLE:
        raise InvalidInput([FieldProblem("action", "grid.action", _("No such action"))])
    if action == "route":
        return event_route(
            actor=actor, event_id=event_id, office_level=office_level, department_code=department_code, note=note
        )
    if action == "not_responsible":
        return event_not_responsible(
            actor=actor, event_id=event_id, note=note, office_level=office_level, department_code=department_code
        )
    if action in ("close", "close_not_fixed"):
        return event_close(actor=actor, event_id=event_id, fixed=action == "close", note=note)
    if action == "reopen":
        return event_reopen(actor=actor, event_id=event_id, note=note)
    return SERVICES[action](actor=actor, event_id=event_id, note=note)


def open_states() -> list[str]:
    return [s for s in State if s not in CLOSED_STATES]
