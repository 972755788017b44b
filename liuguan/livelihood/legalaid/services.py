"""Writes of legal aid: the network's units, and requests from opening to closing, every step audited.

Referral (the documented rule): a request goes to the nearest active unit of the network: one at the request's
own community, else at its township, else at its county, else the city's centre (a centre placed at the
prefecture). At one level the most capable kind is chosen first (centre, then workstation, then liaison), then
the oldest unit. A unit that declines passes the request upward: the search starts at the level above the
declining unit, and a unit that declined the request once is never chosen for it again.

Deadlines are working days (core/workdays.py, holidays and make-up days included): a unit must accept within
`LEGALAID_ACCEPT_DAYS` (2) after the referral and handle within `LEGALAID_HANDLE_DAYS` (20) after accepting.
The migrant is told of every change of status in the portal when they have a portal account.
"""

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.core.workdays import add_working_days
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Person, Stay

from .models import Channel, LegalAidRequest, LegalAidStep, LegalAidUnit, RequestKind, Status, UnitKind
from .transitions import TABLE

# Division code lengths from the request's community upward; the city's level takes only a centre.
LEVELS = (12, 9, 6, 4)
KIND_RANK = {UnitKind.CENTRE: 0, UnitKind.WORKSTATION: 1, UnitKind.LIAISON: 2}


def accept_days() -> int:
    return int(getattr(settings, "LEGALAID_ACCEPT_DAYS", 2))


def handle_days() -> int:
    return int(getattr(settings, "LEGALAID_HANDLE_DAYS", 20))


def _is_system(actor) -> bool:
    return getattr(actor, "pk", None) is None


def _problem(field: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(field, rule, message)])


def _note(text: str | None) -> str:
    return " ".join((text or "").split())[:500]


# -- the network -------------------------------------------------------------------------------------------------


def _check_unit_input(kind: str, name: str, division_code: str, user) -> Division:
    if kind not in UnitKind.values:
        raise _problem("kind", "legalaid.unit_kind", _("Choose centre, workstation or liaison"))
    if not (name or "").strip():
        raise _problem("name", "required", _("A unit needs a name"))
    division = Division.objects.filter(pk=division_code).first()
    if division is None:
        raise _problem("division_code", "legalaid.division", _("No such division"))
    if user is not None:
        code = jurisdiction(user)
        if not code or not division.code.startswith(code):
            raise NotFound()
    return division


@transaction.atomic
def legal_aid_unit_create(
    *, actor, kind: str, name: str, division_code: str, address: str = "", phone: str = "", hours: str = ""
) -> LegalAidUnit:
    """A unit of the network is placed at a division inside the officer's jurisdiction."""
    if not actor.can("legalaid.manage"):
        raise PermissionDenied()
    division = _check_unit_input(kind, name, division_code, actor)
    unit = LegalAidUnit.objects.create(
        kind=kind, name=name.strip(), division=division, address=address, phone=phone, hours=hours
    )
    audit_record(
        actor=actor,
        action="legal_aid_unit.create",
        obj=unit,
        division_code=division.code,
        changes={"kind": kind, "name": unit.name, "division": division.code},
    )
    return unit


@transaction.atomic
def legal_aid_unit_set_active(*, actor, unit_id: int, active: bool) -> LegalAidUnit:
    """A unit that stops working is made inactive, not deleted: its requests keep their history."""
    if not actor.can("legalaid.manage"):
        raise PermissionDenied()
    unit = scoped(LegalAidUnit.objects.select_for_update(), actor).filter(pk=unit_id).first()
    if unit is None:
        raise NotFound()
    unit.active = bool(active)
    unit.save(update_fields=["active"])
    audit_record(
        actor=actor,
        action="legal_aid_unit.set_active",
        obj=unit,
        division_code=unit.division_id,
        changes={"active": unit.active},
    )
    return unit


@transaction.atomic
def legal_aid_units_load(*, actor=SYSTEM, rows: list[dict], source: str = "demo") -> int:
    """Many units at once (the demo's network, an import): one audit event for the batch."""
    units = [
        LegalAidUnit(
            kind=row["kind"],
            name=row["name"],
            division_id=row["division_code"],
            address=row.get("address", ""),
            phone=row.get("phone", ""),
            hours=row.get("hours", ""),
        )
        for row in rows
    ]
    LegalAidUnit.objects.bulk_create(units, batch_size=1000)
    counts = {kind: sum(1 for u in units if u.kind == kind) for kind in UnitKind.values}
    audit_record(
        actor=actor,
        action="legal_aid_unit.load",
        object_type="legalaid.legalaidunit",
        object_id="batch",
        changes=counts,
        source=source,
    )
    return len(units)


# -- referral ----------------------------------------------------------------------------------------------------


def nearest_unit(community_code: str, *, above: str = "", exclude=()) -> LegalAidUnit | None:
    """The unit a request of this community goes to (the rule in this module's docstring)."""
    exclude = set(exclude)
    for length in LEVELS:
        if above and length >= len(above):
            continue
        code = community_code[:length]
        candidates = LegalAidUnit.objects.filter(division_id=code, active=True).exclude(pk__in=exclude)
        if length == 4:
            candidates = candidates.filter(kind=UnitKind.CENTRE)
        found = sorted(candidates, key=lambda u: (KIND_RANK[UnitKind(u.kind)], u.pk))
        if found:
            return found[0]
    return None


def _declined_units(request: LegalAidRequest) -> set[int]:
    return set(request.steps.filter(action="decline").values_list("unit_id", flat=True))


# -- requests ----------------------------------------------------------------------------------------------------


def _tell(request: LegalAidRequest) -> None:
    """Tell the migrant of the new status in the portal, when they have a portal account."""
    if not User.objects.filter(person_id=request.person_id, role=Role.MIGRANT, is_active=True).exists():
        return
    from liuguan.portal.services import notify

    status = Status(request.status).label
    body = {
        Status.OPENED: _("Your request was received; no legal aid unit could be found for it yet."),
        Status.REFERRED: _("Your request went to %(unit)s, which answers by %(due)s."),
        Status.ACCEPTED: _("%(unit)s took on your request and will handle it by %(due)s."),
        Status.HANDLED: _("%(unit)s has handled your request."),
        Status.CLOSED: _("Your request is closed."),
        Status.DECLINED: _("%(unit)s could not take your request; it is being passed on."),
    }[Status(request.status)]
    unit = request.unit
    text = body % {
        "unit": f"{unit.name} ({unit.phone})" if unit and unit.phone else (unit.name if unit else ""),
        "due": request.due.isoformat() if request.due else "",
    }
    notify(
        person=request.person,
        title=_("Legal aid request: %(status)s") % {"status": status},
        body=text
        + (f" {request.outcome}" if request.status in (Status.HANDLED, Status.CLOSED) and request.outcome else ""),
        link="/portal/",
    )


def _step(request: LegalAidRequest, action: str, to_status: str, actor, note: str = "") -> LegalAidStep:
    step = LegalAidStep.objects.create(
        request=request,
        action=action,
        from_status=request.status if action != "open" else "",
        to_status=to_status,
        unit=request.unit,
        actor=None if _is_system(actor) else actor,
        actor_label=str(getattr(actor, "full_name", "") or getattr(actor, "username", "")),
        note=_note(note),
    )
    request.status = to_status
    return step


def _audit(request: LegalAidRequest, action: str, actor, source: str, **changes) -> None:
    audit_record(
        actor=actor,
        action=f"legal_aid_request.{action}",
        obj=request,
        division_code=request.community_id,
        source=source,
        changes={"status": request.status, "unit": request.unit_id, **changes},
    )


def _refer(request: LegalAidRequest, actor, *, above: str = "", note: str = "") -> bool:
    """Send the request to the nearest unit left; False (and nothing changed) when there is none."""
    unit = nearest_unit(request.community_id, above=above, exclude=_declined_units(request))
    if unit is None:
        return False
    request.unit = unit
    request.accept_due = add_working_days(china_today(), accept_days())
    request.accept_overdue = False
    request.handle_due = None
    request.handle_overdue = False
    _step(request, "refer", Status.REFERRED, actor, note)
    return True


def _open_stay(person: Person):
    return (
        Stay.objects.filter(person=person, departed_on__isnull=True)
        .select_related("grid")
        .order_by("-arrived_on")
        .first()
    )


def _whom(actor, person_id) -> tuple[Person, str, object]:
    """(person, channel, their open stay) for this actor, or NotFound when the person is not theirs to act for."""
    if actor.role == Role.MIGRANT:
        if actor.person_id is None or (person_id is not None and int(person_id) != actor.person_id):
            raise NotFound()
        person = Person.objects.get(pk=actor.person_id)
        return person, Channel.PORTAL, _open_stay(person)
    if person_id is None:
        raise _problem("person_id", "required", _("Name the person who asks for legal aid"))
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    stay = _open_stay(person)
    code = jurisdiction(actor)
    if stay is None or not code or not stay.community_id.startswith(code):
        raise NotFound()
    if actor.role == Role.GRID_WORKER:
        grid = stay.grid
        if grid is None or actor.pk not in (grid.worker_id, grid.deputy_id):
            raise NotFound()
        return person, Channel.GRID, stay
    return person, Channel.STATION, stay


@transaction.atomic
def legal_aid_request_open(
    *,
    actor,
    person_id=None,
    kind: str,
    description: str,
    phone: str = "",
    community_code: str = "",
    channel: str = "station",
    source: str = "web",
) -> LegalAidRequest:
    """A migrant asks for themself; a grid worker for a person living in their grid; a desk for a person in
    scope. The request is referred to the nearest unit at once.
    """
    if not actor.can("legalaid.open"):
        raise PermissionDenied()
    person, actor_channel, stay = _whom(actor, person_id)
    if actor_channel != Channel.STATION:
        channel = actor_channel
    elif channel not in Channel.values:
        channel = Channel.STATION
    problems = []
    if kind not in RequestKind.values:
        problems.append(FieldProblem("kind", "legalaid.kind", _("Choose what the request is about")))
    if not (description or "").strip():
        problems.append(FieldProblem("description", "required", _("Say what happened")))
    community_code = (community_code or "").strip() or (stay.community_id if stay else "")
    community = Division.objects.filter(pk=community_code, level=Level.COMMUNITY).first() if community_code else None
    if community is None:
        problems.append(FieldProblem("community_code", "legalaid.community", _("Name the community the matter is in")))
    elif actor.role != Role.MIGRANT and not community.code.startswith(jurisdiction(actor) or "-"):
        problems.append(FieldProblem("community_code", "legalaid.community", _("That community is outside your area")))
    if problems:
        raise InvalidInput(problems)
    request = LegalAidRequest.objects.create(
        person=person,
        kind=kind,
        description=description.strip()[:4000],
        phone=(phone or person.phone or "").strip()[:30],
        community=community,
        channel=channel,
        opened_by=actor,
    )
    _step(request, "open", Status.OPENED, actor)
    _refer(request, SYSTEM)
    request.save()
    _audit(request, "open", actor, source, kind=kind, channel=channel, person=person.pk)
    _tell(request)
    return request


def may_act(user, request: LegalAidRequest, action: str) -> bool:
    """The table allows the action from the request's status and the user may take it (role, scope, unit)."""
    transition = TABLE.get(action)
    if transition is None or request.status not in transition.sources or not user.can("legalaid.handle"):
        return False
    code = jurisdiction(user)
    if not code:
        return False
    if transition.who == "unit":
        return request.unit is not None and request.unit.division_id.startswith(code)
    return request.community_id.startswith(code)


@transaction.atomic
def legal_aid_request_act(
    *, actor, request_id: int, action: str, note: str = "", source: str = "web"
) -> LegalAidRequest:
    """Take one step of the table; a refused step changes nothing."""
    if not actor.can("legalaid.handle"):
        raise PermissionDenied()
    request = (
        scoped(LegalAidRequest.objects.select_for_update(of=("self",)), actor)
        .select_related("unit", "person")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound()
    transition = TABLE.get(action)
    if transition is None:
        raise _problem("action", "legalaid.action", _("No such step"))
    if request.status not in transition.sources:
        raise _problem(
            "status",
            "legalaid.transition",
            _("A request that is %(status)s cannot be given the step “%(action)s”.")
            % {"status": Status(request.status).label, "action": action},
        )
    if not may_act(actor, request, action):
        raise PermissionDenied()
    if action in ("decline", "close_unplaced") and not _note(note):
        raise _problem("note", "required", _("Give the reason"))
    if action == "handle" and not _note(note):
        raise _problem("note", "required", _("Say how the request was handled"))
    if action == "refer":
        if not _refer(request, actor, note=note):
            raise _problem("unit", "legalaid.no_unit", _("No legal aid unit is left to take this request"))
    elif action == "decline":
        declining = request.unit
        _step(request, "decline", Status.DECLINED, actor, note)
        request.accept_due = None
        if nearest_unit(request.community_id, above=declining.division_id, exclude=_declined_units(request)):
            _tell(request)  # the decline, then the referral upward below
            _refer(request, SYSTEM, above=declining.division_id, note=_("Passed on after a decline"))
    else:
        _step(request, action, transition.target, actor, note)
        if action == "accept":
            request.handle_due = add_working_days(china_today(), handle_days())
            request.accept_overdue = False
        elif action == "handle":
            request.outcome = _note(note)
            request.handle_overdue = False
    request.save()
    _audit(request, action, actor, source, note=_note(note))
    _tell(request)
    return request


@transaction.atomic
def legal_aid_mark_overdue(*, today=None) -> dict:
    """Mark the requests whose stage is past its deadline (the daily job); a mark stays until the stage ends."""
    today = today or china_today()
    accept = LegalAidRequest.objects.filter(status=Status.REFERRED, accept_due__lt=today, accept_overdue=False)
    handle = LegalAidRequest.objects.filter(status=Status.ACCEPTED, handle_due__lt=today, handle_overdue=False)
    ids = list(accept.values_list("pk", flat=True)), list(handle.values_list("pk", flat=True))
    LegalAidRequest.objects.filter(pk__in=ids[0]).update(accept_overdue=True)
    LegalAidRequest.objects.filter(pk__in=ids[1]).update(handle_overdue=True)
    if ids[0] or ids[1]:
        audit_record(
            actor=SYSTEM,
            action="legal_aid_request.overdue",
            object_type="legalaid.legalaidrequest",
            object_id="batch",
            changes={"accept": ids[0], "handle": ids[1]},
            source="job",
        )
    return {"accept": len(ids[0]), "handle": len(ids[1])}
