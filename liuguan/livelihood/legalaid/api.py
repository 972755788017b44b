"""Legal aid as JSON: the network and its figures, requests in scope, opening one and taking a step."""

from django.http import Http404
from ninja import Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.identity import mask_name
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import selectors
from .services import legal_aid_request_act, legal_aid_request_open

router = Router(tags=["legal aid"])


class LegalAidUnitOut(Schema):
    id: int
    kind: str
    name: str
    division_code: str
    address: str
    phone: str
    hours: str
    active: bool


class LegalAidFigureRowOut(Schema):
    code: str
    name: str
    centre: int
    workstation: int
    liaison: int
    total: int


class LegalAidFiguresOut(Schema):
    area: dict
    at_area: LegalAidFigureRowOut
    rows: list[LegalAidFigureRowOut]
    total: LegalAidFigureRowOut


class LegalAidStepOut(Schema):
    action: str
    from_status: str
    to_status: str
    unit: str
    by: str
    at: str
    note: str


class LegalAidRequestOut(Schema):
    id: int
    kind: str
    status: str
    status_display: str
    person_masked: str
    community_code: str
    channel: str
    unit_id: int | None
    unit: str
    accept_due: str | None
    handle_due: str | None
    overdue: bool
    outcome: str
    created_at: str
    updated_at: str
    allowed_actions: list[str] = []
    steps: list[LegalAidStepOut] = []


class LegalAidRequestIn(Schema):
    person_id: int | None = None
    kind: str
    description: str
    phone: str = ""
    community_code: str = ""
    channel: str = "station"


class LegalAidActIn(Schema):
    note: str = ""


def _unit_out(u) -> LegalAidUnitOut:
    return LegalAidUnitOut(
        id=u.pk,
        kind=u.kind,
        name=u.name,
        division_code=u.division_id,
        address=u.address,
        phone=u.phone,
        hours=u.hours,
        active=u.active,
    )


def _out(r, *, user=None, full: bool = False) -> LegalAidRequestOut:
    out = LegalAidRequestOut(
        id=r.pk,
        kind=r.kind,
        status=r.status,
        status_display=str(r.get_status_display()),
        person_masked=mask_name(r.person.name),
        community_code=r.community_id,
        channel=r.channel,
        unit_id=r.unit_id,
        unit=r.unit.name if r.unit_id else "",
        accept_due=r.accept_due.isoformat() if r.accept_due else None,
        handle_due=r.handle_due.isoformat() if r.handle_due else None,
        overdue=r.overdue,
        outcome=r.outcome,
        created_at=r.created_at.isoformat(),
        updated_at=r.updated_at.isoformat(),
    )
    if full:
        out.allowed_actions = selectors.allowed_actions(user=user, request=r)
        out.steps = [
            LegalAidStepOut(
                action=s.action,
                from_status=s.from_status,
                to_status=s.to_status,
                unit=s.unit.name if s.unit_id else "",
                by=s.actor_label,
                at=s.at.isoformat(),
                note=s.note,
            )
            for s in selectors.request_steps(request=r)
        ]
    return out


def _get(user, request_id):
    try:
        return selectors.request_get(user=user, request_id=request_id)
    except NotFound as exc:
        raise Http404 from exc


@router.get("/units", response=responses(list[LegalAidUnitOut]), summary="Legal aid units in the caller's scope")
@endpoint("legalaid.view")
def units(request, kind: str = "", code: str = ""):
    return [_unit_out(u) for u in selectors.unit_list(user=request.user, kind=kind, code=code)]


@router.get("/units/figures", response=responses(LegalAidFiguresOut), summary="Legal aid units by kind per area")
@endpoint("legalaid.view")
def figures(request, code: str = ""):
    try:
        return selectors.units_by_area(user=request.user, code=code)
    except NotFound as exc:
        raise Http404 from exc


@router.get("/requests", response=responses(list[LegalAidRequestOut]), summary="Legal aid requests, overdue first")
@endpoint("legalaid.view")
def requests_(request, unit_id: int | None = None, status: str = "", mine: bool = False):
    rows = selectors.request_queue(user=request.user, unit_id=unit_id, status=status, mine=mine)
    return [_out(r) for r in rows]


@router.get("/requests/{request_id}", response=responses(LegalAidRequestOut), summary="One request with its steps")
@endpoint("legalaid.view")
def request_one(request, request_id: int):
    return _out(_get(request.user, request_id), user=request.user, full=True)


@router.post("/requests", response=responses(LegalAidRequestOut, 201), summary="Open a legal aid request")
@endpoint("legalaid.open")
def request_open(request, body: LegalAidRequestIn):
    made = legal_aid_request_open(
        actor=request.user,
        person_id=body.person_id,
        kind=body.kind,
        description=body.description,
        phone=body.phone,
        community_code=body.community_code,
        channel=body.channel,
        source="api",
    )
    steps = selectors.request_steps(request=made)
    out = _out(made)
    out.steps = [
        LegalAidStepOut(
            action=s.action,
            from_status=s.from_status,
            to_status=s.to_status,
            unit=s.unit.name if s.unit_id else "",
            by=s.actor_label,
            at=s.at.isoformat(),
            note=s.note,
        )
        for s in steps
    ]
    return Status(201, out)


@router.post("/requests/{request_id}/{action}", response=responses(LegalAidRequestOut), summary="Take one step")
@endpoint("legalaid.handle")
def request_act(request, request_id: int, action: str, body: LegalAidActIn):
    legal_aid_request_act(actor=request.user, request_id=request_id, action=action, note=body.note, source="api")
    return _out(_get(request.user, request_id), user=request.user, full=True)
