"""Verification sweeps (集中清理): every house with open stays and every let house of an area, visited in a window.

Making a sweep writes one task per house in a few bulk queries (a county holds tens of thousands of houses).
The house's grid worker gets it; houses of a grid without a worker go round-robin to the community's grid
workers, else to its collectors, else they wait on the sweep page for an officer to assign them. At the house
the worker accounts for every stay expected there: present (confirmed, which restarts its staleness) or left
(ended). Fields found wrong are corrected, and each correction goes back as a feedback task to whoever set the
field; anyone new is registered through the ordinary registration page and counted for the task. Closing the
sweep writes what it changed.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import OFFICERS
from liuguan.compliance.codes import TenancyStatus
from liuguan.compliance.models import TenancyFiling
from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.geo.models import Division, Grid
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import House, Person, Stay
from liuguan.registry.services.corrections import (
    PERSON_CORRECTABLE,
    STAY_CORRECTABLE,
    field_setter,
    record_correct,
    stay_verify,
)
from liuguan.registry.services.stays import stay_depart

from ..models import FeedbackTask, Sweep, SweepTask
from ..selectors_sweeps import FIELD_ROLES, sweep_report_compute, task_stays
from .feedback import task_open

NUMBER_PREFIX = "QL"
NUMBER_RETRIES = 5
BATCH = 2000
CORRECTABLE = {"registry.person": PERSON_CORRECTABLE, "registry.stay": STAY_CORRECTABLE}


# -- making a sweep ---------------------------------------------------------------------------------------------


@dataclass
class _House:
    id: int
    community: str
    grid: int | None
    address: str
    stays: list[int] = field(default_factory=list)


def _houses_to_visit(code: str, starts_on: dt.date, ends_on: dt.date) -> list[_House]:
    """Houses of the area with open stays, rented out, or under a tenancy filing in force in the window."""
    stays: dict[int, list[int]] = defaultdict(list)
    stay_grids: dict[int, Counter] = defaultdict(Counter)
    open_stays = Stay.objects.filter(within("community_id", code), departed_on__isnull=True, house__isnull=False)
    for stay_id, house_id, grid_id in open_stays.values_list("id", "house_id", "grid_id").order_by("id"):
        stays[house_id].append(stay_id)
        if grid_id:
            stay_grids[house_id][grid_id] += 1
    filed = TenancyFiling.objects.filter(
        house=OuterRef("pk"), status=TenancyStatus.ACTIVE, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    lived_in = Stay.objects.filter(house=OuterRef("pk"), departed_on__isnull=True)
    rows = (
        House.objects.filter(within("community_id", code))
        .filter(Q(is_rented=True) | Exists(filed) | Exists(lived_in))
        .values_list("id", "community_id", "grid_id", "address")
        .order_by("community_id", "address", "id")
    )
    houses = []
    for house_id, community, grid_id, address in rows:
        if grid_id is None and stay_grids[house_id]:
            # The most common grid of the people living there; ties go to the lower id, so a re-run agrees.
            grid_id = min(stay_grids[house_id].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        houses.append(_House(house_id, community, grid_id, address, stays.get(house_id, [])))
    return houses


class _Assigner:
    """Who visits a house: its grid's worker, else the community's grid workers in turn, else its collectors."""

    def __init__(self, code: str):
        self.grid_worker = dict(
            Grid.objects.filter(within("community_id", code), worker__isnull=False).values_list("id", "worker_id")
        )
        ancestors = [code[:n] for n in (2, 4, 6, 9) if n < len(code)]
        self.division_of: dict[int, str] = {}
        pools: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        workers = (
            User.objects.filter(is_active=True, role__in=FIELD_ROLES)
            .filter(Q(division__code__startswith=code) | Q(division_id__in=ancestors))
            .values_list("id", "role", "division_id")
            .order_by("id")
        )
        for pk, role, division in workers:
            self.division_of[pk] = division
            pools[division][role].append(pk)
        self.pools = pools
        self.turn: Counter = Counter()

    def __call__(self, house: _House) -> int | None:
        worker = self.grid_worker.get(house.grid)
        if worker is not None and house.community.startswith(self.division_of.get(worker, "-")):
            return worker
        pool = self.pools.get(house.community, {})
        people = pool.get("grid_worker") or pool.get("collector") or []
        if not people:
            return None
        worker = people[self.turn[house.community] % len(people)]
        self.turn[house.community] += 1
        return worker


def _save_numbered(sweep: Sweep, prefix: str) -> None:
    for attempt in range(NUMBER_RETRIES):
        last = (
            Sweep.objects.filter(number__startswith=prefix).order_by("-number").values_list("number", flat=True)
        ).first()
        sweep.number = f"{prefix}{int(last[len(prefix) :]) + 1 if last else 1:04d}"
        try:
            with transaction.atomic():
                sweep.save(force_insert=True)
            return
        except IntegrityError:
            if attempt == NUMBER_RETRIES - 1:
                raise


def _window_problems(name: str, starts_on, ends_on) -> list[FieldProblem]:
    problems = []
    if not name or len(name) > 100:
        problems.append(FieldProblem("name", "sweep.name", _("Name the sweep (at most 100 characters)")))
    if starts_on is None:
        problems.append(FieldProblem("starts_on", "sweep.starts_required", _("Give the first day of the sweep")))
    if ends_on is None:
        problems.append(FieldProblem("ends_on", "sweep.ends_required", _("Give the last day of the sweep")))
    if starts_on and ends_on:
        if ends_on < starts_on:
            problems.append(FieldProblem("ends_on", "sweep.window_order", _("The sweep ends before it starts")))
        elif ends_on < china_today():
            problems.append(FieldProblem("ends_on", "sweep.window_past", _("The sweep would end in the past")))
    return problems


@transaction.atomic
def sweep_create(
    *, actor, division_code: str, name: str, starts_on: dt.date | None, ends_on: dt.date | None, source: str = "web"
) -> Sweep:
    """A sweep of an area inside the officer's jurisdiction: one task per house with open stays or let in the window,
    each given to the worker of the house's grid (or the community's grid workers in turn, or its collectors).
    """
    if not actor.can("sweep.manage"):
        raise PermissionDenied()
    own = jurisdiction(actor)
    code = (division_code or "").strip()
    area = Division.objects.filter(code=code).first() if own and code.startswith(own) else None
    name = " ".join((name or "").split())
    problems = _window_problems(name, starts_on, ends_on)
    if area is None:
        problems.insert(
            0, FieldProblem("division_code", "sweep.area_in_scope", _("Choose an area inside your jurisdiction"))
        )
    if problems:
        raise InvalidInput(problems)
    houses = _houses_to_visit(area.code, starts_on, ends_on)
    if not houses:
        raise InvalidInput(
            [
                FieldProblem(
                    "division_code", "sweep.nothing_to_visit", _("No house in this area has open stays or is let")
                )
            ]
        )
    sweep = Sweep(name=name, division=area, starts_on=starts_on, ends_on=ends_on, created_by=actor)
    _save_numbered(sweep, f"{NUMBER_PREFIX}{area.padded}{starts_on.year}")
    assign = _Assigner(area.code)
    tasks = [
        SweepTask(
            sweep=sweep,
            house_id=h.id,
            community_id=h.community,
            grid_id=h.grid,
            worker_id=assign(h),
            stays_expected=len(h.stays),
            details={"expected": h.stays},
        )
        for h in houses
    ]
    SweepTask.objects.bulk_create(tasks, batch_size=BATCH)
    unassigned = sum(1 for t in tasks if t.worker_id is None)
    audit_record(
        actor=actor,
        action="sweep.create",
        obj=sweep,
        division_code=area.code,
        source=source,
        changes={
            "number": sweep.number,
            "name": name,
            "area": area.code,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "tasks": len(tasks),
            "stays_expected": sum(t.stays_expected for t in tasks),
            "workers": len({t.worker_id for t in tasks} - {None}),
            "unassigned": unassigned,
        },
    )
    return sweep


# -- giving houses to workers -----------------------------------------------------------------------------------


@transaction.atomic
def sweep_task_assign(*, actor, task_ids: list[int], worker_id: int | None, source: str = "web") -> int:
    """An officer gives houses of an open sweep to a field worker whose area covers every one of them."""
    if not actor.can("sweep.manage"):
        raise PermissionDenied()
    ids = {int(pk) for pk in task_ids or []}
    if not ids:
        raise InvalidInput([FieldProblem("task_ids", "sweep.tasks_required", _("Choose the houses to assign"))])
    tasks = list(scoped(SweepTask.objects.select_for_update(), actor).filter(pk__in=ids))
    own = jurisdiction(actor) or "-"
    if len(tasks) != len(ids) or any(not t.community_id.startswith(own) for t in tasks):
        raise NotFound()
    problems = []
    if Sweep.objects.filter(pk__in={t.sweep_id for t in tasks}).exclude(status=Sweep.Status.OPEN).exists():
        problems.append(FieldProblem("task_ids", "sweep.closed", _("This sweep is closed")))
    if any(t.outcome for t in tasks):
        problems.append(FieldProblem("task_ids", "sweep.task_done", _("A house already visited cannot be reassigned")))
    worker = User.objects.filter(pk=worker_id, is_active=True, role__in=FIELD_ROLES).first() if worker_id else None
    if (
        worker is None
        or not worker.division_id
        or any(not t.community_id.startswith(worker.division_id) for t in tasks)
    ):
        problems.append(
            FieldProblem("worker_id", "sweep.worker_covers", _("Choose a field worker whose area covers these houses"))
        )
    if problems:
        raise InvalidInput(problems)
    SweepTask.objects.filter(pk__in=ids).update(worker=worker)
    for sweep_id in sorted({t.sweep_id for t in tasks}):
        mine = sorted(t.pk for t in tasks if t.sweep_id == sweep_id)
        audit_record(
            actor=actor,
            action="sweep_task.assign",
            object_type="oversight.sweep",
            object_id=str(sweep_id),
            division_code=own,
            source=source,
            changes={"tasks": mine, "worker": worker.pk},
        )
    return len(ids)


# -- the visit --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Correction:
    """A field found wrong at the house: the record, the field and what it really is."""

    object_type: str
    object_id: int
    field: str
    value: str


def _as_correction(raw) -> Correction:
    if isinstance(raw, Correction):
        return raw
    return Correction(str(raw["object_type"]), int(raw["object_id"]), str(raw["field"]), raw.get("value", ""))


def _visit_problems(*, stays, present, left, new, corrections) -> list[FieldProblem]:
    problems = []
    marked = Counter([*present, *left, *new])
    if any(n > 1 for n in marked.values()):
        problems.append(FieldProblem("present", "sweep.stay_twice", _("Each person is present, has left, or is new")))
    if (set(present) | set(left)) - {s.pk for s in stays.expected + stays.others}:
        problems.append(
            FieldProblem("present", "sweep.stay_elsewhere", _("Someone marked is not registered at this house"))
        )
    if set(new) - {s.pk for s in stays.new}:
        problems.append(
            FieldProblem(
                "new_stays", "sweep.not_new", _("Only people registered at this house during the sweep count as new")
            )
        )
    missing = {s.pk for s in stays.expected} - set(present) - set(left)
    if missing:
        problems.append(
            FieldProblem(
                "present",
                "sweep.unaccounted",
                _("Say for everyone expected at this house whether they are present or have left"),
            )
        )
    for stay_id, day in left.items():
        if day is None:
            problems.append(FieldProblem(f"left.{stay_id}", "stay.departed_required", _("Departure date is required")))
    for c in corrections:
        targets = stays.person_ids if c.object_type == "registry.person" else stays.open_ids
        if c.object_type not in CORRECTABLE or c.object_id not in targets:
            problems.append(
                FieldProblem("corrections", "sweep.correction_target", _("Correct only the people at this house"))
            )
        elif c.field not in CORRECTABLE[c.object_type]:
            problems.append(FieldProblem("corrections", "correction.field", _("This field cannot be corrected here")))
    return problems


def _feedback_open(*, actor, object_type: str, record, field_name: str, old, new, setter, sweep, source):
    """Send a corrected field back to whoever set it (倒查): a feedback task of origin "sweep"."""
    return task_open(
        actor=actor,
        object_type=object_type,
        object_id=record.pk,
        field=field_name,
        found_value=new,
        recorded_value=old,
        setter=setter,
        origin=FeedbackTask.Origin.SWEEP,
        note=str(_("Verification sweep %(number)s") % {"number": sweep.number}),
        source=source,
    )


def _correct(*, actor, sweep, corrections: list[Correction], source) -> tuple[list, list]:
    """Apply the corrections record by record; returns what changed and the feedback tasks opened."""
    grouped: dict[tuple[str, int], dict] = defaultdict(dict)
    for c in corrections:
        grouped[(c.object_type, c.object_id)][c.field] = c.value
    changed, feedback = [], []
    reason = str(_("Verification sweep %(number)s") % {"number": sweep.number})
    for (object_type, object_id), values in grouped.items():
        model = Person if object_type == "registry.person" else Stay
        record = model.objects.get(pk=object_id)
        # Who set each field is read before the correction makes this worker its latest setter.
        setters = {f: field_setter(object_type=object_type, record=record, field=f) for f in values}
        try:
            changes = record_correct(
                actor=actor,
                object_type=object_type,
                object_id=object_id,
                values=values,
                reason=reason,
                channel=SourceChannel.COLLECTOR,
                source=source,
            )
        except InvalidInput as exc:
            raise InvalidInput(
                [FieldProblem(f"corrections.{p.field}", p.rule, p.message) for p in exc.problems]
            ) from exc
        for field_name, (old, new) in changes.items():
            changed.append({"object": f"{object_type}:{object_id}", "field": field_name})
            opened = _feedback_open(
                actor=actor,
                object_type=object_type,
                record=record,
                field_name=field_name,
                old=old,
                new=new,
                setter=setters[field_name],
                sweep=sweep,
                source=source,
            )
            feedback.append(opened.number)
    return changed, feedback


def _outcome(*, corrected, new, left) -> str:
    if corrected:
        return SweepTask.Outcome.CORRECTED
    if new:
        return SweepTask.Outcome.NEW_PERSON
    if left:
        return SweepTask.Outcome.LEFT
    return SweepTask.Outcome.PRESENT


@transaction.atomic
def sweep_task_complete(
    *,
    actor,
    task_id: int,
    present: list[int],
    left: dict[int, dt.date],
    corrections: list,
    new_stays: list[int],
    note: str = "",
    source: str = "web",
) -> SweepTask:
    """The visit's result: every stay expected at the house present (confirmed today) or left (ended), fields
    corrected (each sent back to whoever set it), people registered here during the sweep counted as new.
    Only the task's worker, or an officer whose jurisdiction holds the house, completes it.
    """
    if not actor.can("sweep.work"):
        raise PermissionDenied()
    task = scoped(SweepTask.objects.select_for_update(), actor).filter(pk=task_id).first()
    if task is None:
        raise NotFound()
    if task.worker_id != actor.pk and actor.role not in OFFICERS:
        raise PermissionDenied()
    sweep = Sweep.objects.get(pk=task.sweep_id)
    today = china_today()
    if sweep.status != Sweep.Status.OPEN:
        raise InvalidInput([FieldProblem("task", "sweep.closed", _("This sweep is closed"))])
    if task.outcome:
        raise Conflict(_("This house has already been visited in this sweep"), field="task", rule="sweep.task_done")
    if today < sweep.starts_on:
        raise InvalidInput([FieldProblem("task", "sweep.not_started", _("The sweep has not started yet"))])
    present = [int(pk) for pk in present or []]
    left = {int(pk): day for pk, day in (left or {}).items()}
    new_stays = [int(pk) for pk in new_stays or []]
    corrections = [_as_correction(c) for c in corrections or []]
    stays = task_stays(task=task, sweep=sweep, actor=actor)
    problems = _visit_problems(stays=stays, present=present, left=left, new=new_stays, corrections=corrections)
    if problems:
        raise InvalidInput(problems)
    reason = str(_("Verification sweep %(number)s") % {"number": sweep.number})
    if present:
        stay_verify(actor=actor, stay_ids=present, on=today, reason=reason, source=source)
    for stay_id, day in sorted(left.items()):
        try:
            stay_depart(actor=actor, stay_id=stay_id, departed_on=day, source=source)
        except InvalidInput as exc:
            raise InvalidInput([FieldProblem(f"left.{stay_id}", p.rule, p.message) for p in exc.problems]) from exc
    changed, feedback = _correct(actor=actor, sweep=sweep, corrections=corrections, source=source)
    task.outcome = _outcome(corrected=changed, new=new_stays, left=left)
    task.details = {
        "expected": task.details.get("expected", []),
        "present": sorted(present),
        "left": sorted(left),
        "departed_on": {str(pk): day.isoformat() for pk, day in sorted(left.items())},
        "new": sorted(new_stays),
        "ended": sorted(s.pk for s in stays.ended),
        "corrected": changed,
        "feedback": feedback,
    }
    task.note = (note or "").strip()[:200]
    task.done_by = actor
    task.done_at = timezone.now()
    task.save(update_fields=["outcome", "details", "note", "done_by", "done_at"])
    audit_record(
        actor=actor,
        action="sweep_task.complete",
        obj=task,
        division_code=task.community_id,
        source=source,
        changes={"sweep": sweep.number, "house": task.house_id, "outcome": task.outcome, **task.details},
    )
    return task


# -- closing ----------------------------------------------------------------------------------------------------


@transaction.atomic
def sweep_close(*, actor, sweep_id: int, source: str = "web") -> Sweep:
    """Close a sweep and write what it changed; houses not visited are counted in the report, not hidden."""
    if not actor.can("sweep.manage"):
        raise PermissionDenied()
    sweep = scoped(Sweep.objects.select_for_update(), actor).filter(pk=sweep_id).first()
    if sweep is None:
        raise NotFound()
    own = jurisdiction(actor) or "-"
    if not sweep.division_id.startswith(own):
        raise PermissionDenied()
    if sweep.status != Sweep.Status.OPEN:
        raise Conflict(_("This sweep is already closed"), field="sweep", rule="sweep.closed")
    report = sweep_report_compute(sweep)
    now = timezone.now()
    report["closed_on"] = timezone.localdate(now).isoformat()
    sweep.report = report
    sweep.status = Sweep.Status.CLOSED
    sweep.closed_by = actor
    sweep.closed_at = now
    sweep.save(update_fields=["report", "status", "closed_by", "closed_at"])
    audit_record(
        actor=actor,
        action="sweep.close",
        obj=sweep,
        division_code=sweep.division_id,
        source=source,
        changes={"number": sweep.number, **report["totals"]},
    )
    return sweep
