"""Grid events as JSON: list and read in scope, report, take a step, and supervision cards per unit."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import selectors, selectors_day
from .services.events import event_act, event_report

router = Router(tags=["grid"])


class GridEventStepOut(Schema):
    action: str
    from_state: str
    to_state: str
    by: str
    at: str
    note: str
    routed_to: str


class GridEventOut(Schema):
    id: int
    number: str
    category: str
    state: str
    source: str
    community_code: str
    grid_code: str | None
    description: str
    address: str
    responsible: str
    accept_due: str | None
    dispose_due: str | None
    overdue: bool
    created_at: str
    allowed_actions: list[str] = []
    steps: list[GridEventStepOut] = []


class GridEventReportIn(Schema):
    category: str
    description: str
    grid_code: str = ""
    community_code: str = ""
    house_id: int | None = None
    person_id: int | None = None
    address: str = ""


class GridEventActIn(Schema):
    note: str = ""
    office_level: str = ""
    department_code: str = ""


class WorkerDayItemOut(Schema):
    kind: str
    what: str
    detail: str
    due: dt.date | None
    days_left: int | None
    overdue: bool
    address: str
    person: str
    url: str
    stay_id: int | None = None


class GridSupervisionUnitOut(Schema):
    kind: str
    code: str
    name: str
    yellow: int
    red: int
    unsolved: int


def _out(event, *, user=None, full: bool = False) -> GridEventOut:
    today = china_today()
    due = event.due
    out = GridEventOut(
        id=event.pk,
        number=event.number,
        category=event.category_id,
        state=event.state,
        source=event.source,
        community_code=event.community_id,
        grid_code=event.grid.code if event.grid_id else None,
        description=event.description,
        address=event.address,
        responsible=event.responsible_label,
        accept_due=event.accept_due.isoformat() if event.accept_due else None,
        dispose_due=event.dispose_due.isoformat() if event.dispose_due else None,
        overdue=bool(event.accept_overdue or event.dispose_overdue or (due is not None and due < today)),
        created_at=event.created_at.isoformat(),
    )
    if full:
        out.allowed_actions = selectors.allowed_actions(user=user, event=event)
        out.steps = [
            GridEventStepOut(
                action=s.action,
                from_state=s.from_state,
                to_state=s.to_state,
                by=s.actor_label,
                at=s.at.isoformat(),
                note=s.note,
                routed_to=s.routed_label,
            )
            for s in selectors.event_steps(event=event)
        ]
    return out


@router.get("/events", response=responses(list[GridEventOut]), summary="Grid events in the caller's scope")
@endpoint("grid.view")
def events(request, state: str = "", overdue: bool = False, mine: bool = False, category: str = ""):
    rows = selectors.event_list(user=request.user, state=state, overdue=overdue, mine=mine, category=category)
    return [_out(e) for e in rows]


@router.get("/events/{event_id}", response=responses(GridEventOut), summary="One grid event with its steps")
@endpoint("grid.view")
def event(request, event_id: int):
    try:
        found = selectors.event_get(user=request.user, event_id=event_id)
    except NotFound as exc:
        raise Http404 from exc
    return _out(found, user=request.user, full=True)


@router.post("/events", response=responses(GridEventOut, 201), summary="Report a grid event")
@endpoint("grid.report")
def report(request, body: GridEventReportIn):
    created = event_report(
        actor=request.user,
        category_code=body.category,
        description=body.description,
        grid_code=body.grid_code,
        community_code=body.community_code,
        house_id=body.house_id,
        person_id=body.person_id,
        address=body.address,
        audit_source="api",
    )
    return Status(201, _out(created, user=request.user, full=True))


@router.post("/events/{event_id}/{action}", response=responses(GridEventOut), summary="Take one step of a grid event")
@endpoint("grid.view")
def act(request, event_id: int, action: str, body: GridEventActIn):
    event_act(
        actor=request.user,
        event_id=event_id,
        action=action,
        note=body.note,
        office_level=body.office_level,
        department_code=body.department_code,
    )
    return _out(selectors.event_get(user=request.user, event_id=event_id), user=request.user, full=True)


@router.get(
    "/supervision/units",
    response=responses(list[GridSupervisionUnitOut]),
    summary="Supervision cards per unit (for scorecards)",
)
@endpoint("grid.supervise")
def supervision_units(request, since: dt.date | None = None, until: dt.date | None = None):
    return selectors.supervision_by_unit(user=request.user, since=since, until=until)


@router.get(
    "/today",
    response=responses(list[WorkerDayItemOut]),
    summary="A worker's day: every task waiting on the caller, by deadline, overdue first",
)
@endpoint("grid.view")
def today(request):
    return [
        WorkerDayItemOut(
            kind=i.kind,
            what=i.what,
            detail=i.detail,
            due=i.due,
            days_left=i.days_left,
            overdue=i.overdue,
            address=i.address,
            person=i.person,
            url=i.url,
            stay_id=i.stay_id,
        )
        for i in selectors_day.worker_day(user=request.user)
    ]
