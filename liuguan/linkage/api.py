"""Entity resolution over the API: runs, the review queue and merges (OpenAPI under /api/linkage)."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import selectors
from .models import CandidatePair, LinkageRun, LinkageTask, Merge
from .runs import run_enqueue, run_request
from .services import merge as merge_services
from .services import tasks as task_services

router = Router(tags=["linkage"])


class RunIn(Schema):
    review_threshold: float | None = Field(None, description="pairs at or above it are queued for review (0-1)")


class RunOut(Schema):
    id: int
    status: str
    trigger: str
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    model_version: int | None
    review_threshold: float
    auto_threshold: float
    sources: dict[str, int]
    records: int
    pairs: int
    clusters: int
    queued: int
    tasks: int
    seconds: float | None
    error: str


def _run(run: LinkageRun) -> RunOut:
    return RunOut(
        id=run.pk,
        status=run.status,
        trigger=run.trigger,
        requested_at=run.requested_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        model_version=run.model_version.version if run.model_version_id else None,
        review_threshold=run.review_threshold,
        auto_threshold=run.auto_threshold,
        sources=run.sources,
        records=run.records,
        pairs=run.pairs,
        clusters=run.clusters,
        queued=run.queued,
        tasks=run.tasks,
        seconds=run.seconds,
        error=run.error.splitlines()[0] if run.error else "",
    )


class ReasonOut(Schema):
    comparison: str
    level: str
    match_weight: float


class PersonSide(Schema):
    id: int
    name: str
    doc_type: str
    doc_number_masked: str
    sex: str
    birth_date: dt.date
    hukou_code: str
    phone_masked: str


class PairOut(Schema):
    id: int
    status: str
    match_probability: float
    match_weight: float
    near_certain: bool
    people: list[PersonSide]
    reasons: list[ReasonOut]
    proposed_survivor: int | None = None


def _side(person) -> PersonSide:
    return PersonSide(
        id=person.pk,
        name=person.name,
        doc_type=person.doc_type,
        doc_number_masked=person.doc_number_masked,
        sex=person.sex,
        birth_date=person.birth_date,
        hukou_code=person.hukou_code,
        phone_masked=person.phone_masked,
    )


def _pair(pair: CandidatePair, proposed: int | None = None) -> PairOut:
    return PairOut(
        id=pair.pk,
        status=pair.status,
        match_probability=pair.match_probability,
        match_weight=pair.match_weight,
        near_certain=pair.near_certain,
        people=[_side(pair.person_low), _side(pair.person_high)],
        reasons=[
            ReasonOut(comparison=r.get("comparison", ""), level=r.get("level", ""), match_weight=r["match_weight"])
            for r in pair.reasons
        ],
        proposed_survivor=proposed,
    )


class MergeIn(Schema):
    survivor_id: int = Field(..., description="the person record that survives (one of the pair)")


class NoteIn(Schema):
    note: str = ""


class MovedOut(Schema):
    model: str
    field: str
    ids: list[int]


class MergeOut(Schema):
    id: int
    survivor_id: int
    merged_id: int
    pair_id: int | None
    merged_at: dt.datetime
    rules: dict[str, str]
    moved: list[MovedOut]
    kept: list[MovedOut]
    undone_at: dt.datetime | None


def _merge(merge: Merge) -> MergeOut:
    return MergeOut(
        id=merge.pk,
        survivor_id=merge.survivor_id,
        merged_id=merge.merged_id,
        pair_id=merge.pair_id,
        merged_at=merge.merged_at,
        rules=merge.rules,
        moved=merge.moved,
        kept=merge.kept,
        undone_at=merge.undone_at,
    )


class TaskOut(Schema):
    id: int
    number: str
    kind: str
    community_code: str
    record: str
    person_id: int | None
    summary: str
    due_on: dt.date
    status: str


def _task(task: LinkageTask) -> TaskOut:
    return TaskOut(
        id=task.pk,
        number=task.number,
        kind=task.kind,
        community_code=task.community_id,
        record=task.record,
        person_id=task.person_id,
        summary=task.summary,
        due_on=task.due_on,
        status=task.status,
    )


class TaskCloseIn(Schema):
    dismissed: bool = False
    note: str = ""


@router.get("/runs", response=responses(list[RunOut]), summary="The latest batch linkage runs")
@endpoint("linkage.view")
def runs_list(request, limit: int = 50):
    return [_run(r) for r in selectors.run_list(user=request.user, limit=min(max(limit, 1), 200))]


@router.get("/runs/{run_id}", response=responses(RunOut), summary="One linkage run")
@endpoint("linkage.view")
def run_detail(request, run_id: int):
    return _run(selectors.run_get(user=request.user, run_id=run_id))


@router.post("/runs", response=responses(RunOut, 202), summary="Queue a batch linkage run for the worker")
@endpoint("linkage.run")
def run_start(request, payload: RunIn):
    run = run_request(
        actor=request.user,
        trigger=LinkageRun.Trigger.API,
        review_threshold=payload.review_threshold,
        source="api",
    )
    run_enqueue(run)
    return Status(202, _run(run))


@router.get("/pairs", response=responses(list[PairOut]), summary="Likely duplicates in your area to review")
@endpoint("linkage.review")
def pairs_list(request, status: str = "open", limit: int = 100, offset: int = 0):
    found = selectors.review_queue(
        user=request.user, status=status, limit=min(max(limit, 1), 500), offset=max(offset, 0)
    )
    return [_pair(p) for p in found]


@router.get("/pairs/{pair_id}", response=responses(PairOut), summary="A pair with the model's reasons")
@endpoint("linkage.review")
def pair_detail(request, pair_id: int):
    pair = selectors.pair_get(user=request.user, pair_id=pair_id)
    return _pair(pair, selectors.pair_sides(user=request.user, pair=pair)["survivor"].pk)


@router.post("/pairs/{pair_id}/merge", response=responses(MergeOut, 201), summary="Merge the pair into the survivor")
@endpoint("linkage.review")
def pair_merge(request, pair_id: int, payload: MergeIn):
    done = merge_services.pair_merge(actor=request.user, pair_id=pair_id, survivor_id=payload.survivor_id, source="api")
    return Status(201, _merge(done))


@router.post("/pairs/{pair_id}/keep-apart", response=responses(PairOut), summary="Different people: keep apart")
@endpoint("linkage.review")
def pair_keep_apart(request, pair_id: int, payload: NoteIn):
    return _pair(merge_services.pair_keep_apart(actor=request.user, pair_id=pair_id, note=payload.note, source="api"))


@router.get("/merges", response=responses(list[MergeOut]), summary="Merges in your area, newest first")
@endpoint("linkage.review")
def merges_list(request, limit: int = 100):
    return [_merge(m) for m in selectors.merge_list(user=request.user, limit=min(max(limit, 1), 500))]


@router.post("/merges/{merge_id}/undo", response=responses(MergeOut), summary="Undo a merge (refused when unsafe)")
@endpoint("linkage.review")
def merge_undo(request, merge_id: int):
    return _merge(merge_services.merge_undo(actor=request.user, merge_id=merge_id, source="api"))


@router.get("/tasks", response=responses(list[TaskOut]), summary="Candidate omissions and wrong records in your area")
@endpoint("linkage.review")
def tasks_list(request, status: str = "open", kind: str = ""):
    return [_task(t) for t in selectors.task_list(user=request.user, status=status, kind=kind)]


@router.post("/tasks/{task_id}/close", response=responses(TaskOut), summary="Close a task (done or dismissed)")
@endpoint("linkage.review")
def task_close(request, task_id: int, payload: TaskCloseIn):
    done = task_services.task_close(
        actor=request.user, task_id=task_id, dismissed=payload.dismissed, note=payload.note, source="api"
    )
    return _task(done)
