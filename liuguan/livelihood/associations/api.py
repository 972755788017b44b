"""Associations as JSON: list and figures in scope, one association, registering, giving and completing tasks."""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import selectors, services

router = Router(tags=["associations"])


class AssociationOut(Schema):
    id: int
    kind: str
    name: str
    division_code: str
    origin_code: str | None
    registered_on: dt.date
    active: bool
    members: int


class AssociationFigureRowOut(Schema):
    code: str
    name: str
    hometown: int
    workers_club: int
    volunteers: int
    members: int
    activities: int
    tasks_done: int
    hours: float


class AssociationFiguresOut(Schema):
    area: dict
    at_area: AssociationFigureRowOut
    rows: list[AssociationFigureRowOut]
    total: AssociationFigureRowOut


class AssociationRegisterIn(Schema):
    kind: str
    name: str
    division_code: str
    origin_code: str = ""
    registered_on: dt.date | None = None
    address: str = ""


class AssociationTaskIn(Schema):
    kind: str
    title: str
    description: str = ""
    due_on: dt.date | None = None


class AssociationTaskDoneIn(Schema):
    report: str


class AssociationTaskOut(Schema):
    id: int
    association_id: int
    kind: str
    title: str
    due_on: dt.date | None
    status: str
    report: str


def _out(a, members: int | None = None) -> AssociationOut:
    return AssociationOut(
        id=a.pk,
        kind=a.kind,
        name=a.name,
        division_code=a.division_id,
        origin_code=a.origin_id,
        registered_on=a.registered_on,
        active=a.active,
        members=members if members is not None else getattr(a, "member_count", 0),
    )


def _task_out(t) -> AssociationTaskOut:
    return AssociationTaskOut(
        id=t.pk,
        association_id=t.association_id,
        kind=t.kind,
        title=t.title,
        due_on=t.due_on,
        status=t.status,
        report=t.report,
    )


@router.get("", response=responses(list[AssociationOut]), summary="Associations in the caller's scope")
@endpoint("association.view")
def associations(request, kind: str = "", code: str = ""):
    return [_out(a) for a in selectors.association_list(user=request.user, kind=kind, code=code)]


@router.get("/figures", response=responses(AssociationFiguresOut), summary="Associations, members, activities per area")
@endpoint("association.view")
def figures(request, code: str = ""):
    try:
        return selectors.figures_by_area(user=request.user, code=code)
    except NotFound as exc:
        raise Http404 from exc


@router.get("/tasks", response=responses(list[AssociationTaskOut]), summary="Tasks given to associations in scope")
@endpoint("association.view")
def tasks(request, status: str = ""):
    return [_task_out(t) for t in selectors.task_list(user=request.user, status=status)]


@router.get("/{association_id}", response=responses(AssociationOut), summary="One association")
@endpoint("association.view")
def association(request, association_id: int):
    try:
        found = selectors.association_get(user=request.user, association_id=association_id)
    except NotFound as exc:
        raise Http404 from exc
    return _out(found, members=len(selectors.association_detail(association=found)["members"]))


@router.post("", response=responses(AssociationOut, 201), summary="Register an association")
@endpoint("association.manage")
def register(request, body: AssociationRegisterIn):
    made = services.association_register(actor=request.user, **body.dict())
    return Status(201, _out(made, members=0))


@router.post("/{association_id}/tasks", response=responses(AssociationTaskOut, 201), summary="Give a task")
@endpoint("association.task")
def task_give(request, association_id: int, body: AssociationTaskIn):
    task = services.association_task_give(actor=request.user, association_id=association_id, **body.dict())
    return Status(201, _task_out(task))


@router.post("/tasks/{task_id}/done", response=responses(AssociationTaskOut), summary="Complete a task with a report")
@endpoint("association.manage")
def task_done(request, task_id: int, body: AssociationTaskDoneIn):
    return _task_out(services.association_task_complete(actor=request.user, task_id=task_id, report=body.report))
