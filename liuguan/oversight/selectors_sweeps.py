"""Reads of verification sweeps: the sweeps a user may see, progress by grid, a worker's houses, the report.

Sweeps belong to an area (visible to officers at or above it and to field workers inside it); their tasks are
scoped like any located record, and the worker a task is given to always sees it.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.scoping import get_scoped, jurisdiction, scoped, within
from liuguan.geo.models import CODE_LENGTHS, Division, Grid
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import Stay

from .models import Sweep, SweepTask

OUTCOMES = tuple(SweepTask.Outcome.values)
FIELD_ROLES = (Role.GRID_WORKER, Role.COLLECTOR)
# The contract of the scorecards: the length of the division code that keys each area level.
AREA_LEVELS = {"city": 4, "county": 6, "street": 9, "community": 12}
UNIT_LEVELS = (*AREA_LEVELS, "point", "collector")
_CHUNK = 900  # ids per IN (...) list: SQLite allows 999 parameters in a statement


def _ancestors(code: str) -> list[str]:
    return [code[:n] for n in (2, 4, 6, 9) if n < len(code)]


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


# -- sweeps -----------------------------------------------------------------------------------------------------


def sweep_list(*, user, status: str = "") -> list[Sweep]:
    """Sweeps of the user's area, of areas inside it and of areas around it, newest window first, with counts."""
    qs = scoped(Sweep.objects.select_related("division"), user)
    if status in Sweep.Status.values:
        qs = qs.filter(status=status)
    return list(
        qs.annotate(
            task_count=Count("tasks"),
            done_count=Count("tasks", filter=~Q(tasks__outcome="")),
            unassigned_count=Count("tasks", filter=Q(tasks__worker__isnull=True, tasks__outcome="")),
        )[:200]
    )


def sweep_get(*, user, sweep_id: int) -> Sweep:
    """One sweep the user may see; outside and missing both raise NotFound."""
    return get_scoped(Sweep.objects.select_related("division", "created_by", "closed_by"), user, pk=sweep_id)


def sweep_manageable(*, user, sweep: Sweep) -> bool:
    """An officer manages (assigns, closes) a sweep of their own area or of an area inside it."""
    own = jurisdiction(user)
    return bool(own) and user.can("sweep.manage") and sweep.division_id.startswith(own)


def area_choices(*, user) -> list[Division]:
    """The areas an officer may sweep: their own, and the two levels below it."""
    own = jurisdiction(user)
    if not own:
        return []
    levels = [CODE_LENGTHS[n] for n in sorted(CODE_LENGTHS) if n >= len(own)][:3]
    qs = Division.objects.filter(code__startswith=own, level__in=levels)
    return list(scoped(qs, user).order_by("code")[:3000])


@dataclass
class GridProgress:
    """How far a sweep has got in one grid (or among one community's houses without a grid)."""

    community_code: str
    community_name: str = ""
    grid_id: int | None = None
    grid_name: str = ""
    workers: list[str] = field(default_factory=list)
    tasks: int = 0
    done: int = 0
    unassigned: int = 0
    outcomes: dict = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.tasks) if self.tasks else 0


def sweep_progress(*, user, sweep: Sweep) -> tuple[list[GridProgress], GridProgress]:
    """Tasks, done, unassigned and outcomes per grid among the sweep's tasks the user may see, and the total."""
    rows = (
        scoped(SweepTask.objects.filter(sweep=sweep), user)
        .values("community_id", "grid_id", "worker_id", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    grids: dict[tuple, GridProgress] = {}
    workers: dict[tuple, set] = defaultdict(set)
    total = GridProgress(community_code=sweep.division_id)
    for row in rows:
        key = (row["community_id"], row["grid_id"])
        cell = grids.setdefault(key, GridProgress(community_code=row["community_id"], grid_id=row["grid_id"]))
        for target in (cell, total):
            target.tasks += row["n"]
            if row["outcome"]:
                target.done += row["n"]
                target.outcomes[row["outcome"]] += row["n"]
            elif row["worker_id"] is None:
                target.unassigned += row["n"]
        if row["worker_id"]:
            workers[key].add(row["worker_id"])
    names = _names(
        communities={k[0] for k in grids}, grid_ids={k[1] for k in grids}, user_ids=set().union(*workers.values())
    )
    for key, cell in grids.items():
        cell.community_name = names["communities"].get(cell.community_code, cell.community_code)
        cell.grid_name = names["grids"].get(cell.grid_id, "")
        cell.workers = sorted(names["users"].get(pk, str(pk)) for pk in workers[key])
    ordered = sorted(grids.values(), key=lambda c: (c.community_code, c.grid_name, c.grid_id or 0))
    return ordered, total


def _names(*, communities=(), grid_ids=(), user_ids=()) -> dict:
    grid_ids = [g for g in grid_ids if g is not None]
    return {
        "communities": dict(Division.objects.filter(code__in=list(communities)).values_list("code", "name"))
        if communities
        else {},
        "grids": dict(Grid.objects.filter(pk__in=grid_ids).values_list("id", "name")) if grid_ids else {},
        "users": {
            pk: full_name or username
            for pk, full_name, username in User.objects.filter(pk__in=list(user_ids)).values_list(
                "id", "full_name", "username"
            )
        }
        if user_ids
        else {},
    }


def sweep_unassigned(*, user, sweep: Sweep, limit: int = 500) -> list[SweepTask]:
    """Houses nobody was found for when the sweep was made: the officer gives them to someone."""
    return list(
        scoped(SweepTask.objects.filter(sweep=sweep, worker__isnull=True, outcome=""), user)
        .select_related("house", "community", "grid")
        .order_by("community_id", "house__address", "id")[:limit]
    )


def worker_choices(*, user, sweep: Sweep) -> list[User]:
    """Field workers who could take houses of this sweep that the officer sees: bound inside it or above it."""
    own = jurisdiction(user) or ""
    area = sweep.division_id
    if own.startswith(area):
        area = own
    elif not area.startswith(own):
        return []
    return list(
        User.objects.filter(is_active=True, role__in=FIELD_ROLES)
        .filter(Q(division__code__startswith=area) | Q(division_id__in=_ancestors(area)))
        .order_by("division_id", "full_name", "username")[:1000]
    )


# -- a worker's tasks -------------------------------------------------------------------------------------------


def my_sweep_tasks(*, user, include_done: bool = True) -> list[SweepTask]:
    """The houses given to a field worker in sweeps under way: still to visit first, by address."""
    qs = (
        scoped(SweepTask.objects.filter(worker_id=user.pk, sweep__status=Sweep.Status.OPEN), user)
        .select_related("house", "sweep", "grid", "community")
        .annotate(is_done=Case(When(outcome="", then=Value(0)), default=Value(1), output_field=IntegerField()))
    )
    if not include_done:
        qs = qs.filter(outcome="")
    return list(qs.order_by("is_done", "house__address", "id")[:2000])


def sweep_task_get(*, user, task_id: int) -> SweepTask:
    """One sweep task the user may see (their own, or one inside their jurisdiction)."""
    return get_scoped(
        SweepTask.objects.select_related("sweep", "house", "grid", "community", "worker", "done_by"), user, pk=task_id
    )


@dataclass
class TaskStays:
    """The stays at a task's house, as the worker must account for them.

    expected: open stays that were registered here when the sweep was made (each must be present or left);
    ended: expected stays that ended (or moved to another house) since, through another channel: accounted for;
    new: open stays registered here during the sweep by the task's worker (or whoever completes it);
    others: other open stays here now (registered by someone else meanwhile): may be confirmed, need not be.
    """

    expected: list[Stay] = field(default_factory=list)
    ended: list[Stay] = field(default_factory=list)
    new: list[Stay] = field(default_factory=list)
    others: list[Stay] = field(default_factory=list)

    @property
    def open_ids(self) -> set[int]:
        return {s.pk for s in self.expected + self.new + self.others}

    @property
    def person_ids(self) -> set[int]:
        return {s.person_id for s in self.expected + self.new + self.others}


def task_stays(*, task: SweepTask, sweep: Sweep, actor=None) -> TaskStays:
    """Sort the stays at the task's house into expected, ended meanwhile, new and others (one query)."""
    expected_ids = {int(i) for i in (task.details or {}).get("expected", [])}
    finders = {task.worker_id, getattr(actor, "pk", None)} - {None}
    qs = (
        Stay.objects.filter(Q(pk__in=expected_ids) | Q(house_id=task.house_id, departed_on__isnull=True))
        .select_related("person")
        .order_by("person__name", "id")
    )
    out = TaskStays()
    for stay in qs:
        if stay.pk in expected_ids:
            here = stay.departed_on is None and stay.house_id == task.house_id
            (out.expected if here else out.ended).append(stay)
        elif (
            stay.collector_id in finders
            and stay.source_channel == SourceChannel.COLLECTOR
            and timezone.localdate(stay.registered_at) >= sweep.starts_on
        ):
            out.new.append(stay)
        else:
            out.others.append(stay)
    return out


# -- what a sweep changed ---------------------------------------------------------------------------------------


def _blank_counts() -> dict:
    return {
        "tasks": 0,
        "done": 0,
        "not_done": 0,
        "unassigned": 0,
        "outcomes": dict.fromkeys(OUTCOMES, 0),
        "stays_expected": 0,
        "stays_confirmed": 0,
        "stays_ended": 0,
        "ended_elsewhere": 0,
        "new_people": 0,
        "fields_corrected": 0,
        "feedback_tasks": 0,
    }


def _add(counts: dict, row: dict) -> None:
    details = row["details"] or {}
    counts["tasks"] += 1
    counts["stays_expected"] += row["stays_expected"]
    if not row["outcome"]:
        counts["not_done"] += 1
        counts["unassigned"] += row["worker_id"] is None
        return
    counts["done"] += 1
    counts["outcomes"][row["outcome"]] += 1
    counts["stays_confirmed"] += len(details.get("present", []))
    counts["stays_ended"] += len(details.get("left", []))
    counts["ended_elsewhere"] += len(details.get("ended", []))
    counts["new_people"] += len(details.get("new", []))
    counts["fields_corrected"] += len(details.get("corrected", []))
    counts["feedback_tasks"] += len(details.get("feedback", []))


def sweep_report_compute(sweep: Sweep) -> dict:
    """What the sweep changed, in total and per grid: tasks done and not, outcomes, stays confirmed and ended,
    people found, fields corrected. Reads every task once (a county's sweep: tens of thousands of small rows).
    """
    totals = _blank_counts()
    grids: dict[tuple, dict] = {}
    workers: dict[tuple, set] = defaultdict(set)
    rows = (
        SweepTask.objects.filter(sweep=sweep)
        .values("community_id", "grid_id", "worker_id", "outcome", "stays_expected", "details")
        .order_by("id")
    )
    for row in rows.iterator(chunk_size=2000):
        key = (row["community_id"], row["grid_id"])
        cell = grids.setdefault(key, {"community": row["community_id"], "grid": row["grid_id"], **_blank_counts()})
        _add(cell, row)
        _add(totals, row)
        if row["worker_id"]:
            workers[key].add(row["worker_id"])
    names = _names(
        communities={k[0] for k in grids}, grid_ids={k[1] for k in grids}, user_ids=set().union(*workers.values())
    )
    per_grid = []
    for key, cell in sorted(grids.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)):
        cell["community_name"] = names["communities"].get(cell["community"], cell["community"])
        cell["grid_name"] = names["grids"].get(cell["grid"], "")
        cell["workers"] = sorted(names["users"].get(pk, str(pk)) for pk in workers[key])
        per_grid.append(cell)
    return {"totals": totals, "grids": per_grid}


def sweep_report(*, sweep: Sweep) -> dict:
    """The closing report once the sweep is closed; until then the same figures as they stand."""
    if sweep.status == Sweep.Status.CLOSED and sweep.report:
        return sweep.report
    return sweep_report_compute(sweep)


def sweep_found_by_area(
    *, user, level: str, parent: str | None = None, start: dt.date | None = None, end: dt.date | None = None
) -> dict:
    """New people found and stays ended by sweeps, per unit of a level inside `parent` (default: the user's area).

    Keys follow the scorecards' contract: the division code of the level for area levels, the collection point's
    Office id for "point" and the collector's User id for "collector" (the stay's own: for a person found, the
    worker who registered them; for a stay ended, whoever had registered it). `start`/`end` bound the day the
    house was visited. Returns {key: {"new_people": n, "stays_ended": m}}.
    """
    if level not in UNIT_LEVELS:
        raise ValueError(f"unknown level {level!r}")
    own = jurisdiction(user)
    if not own:
        return {}
    area = parent or own
    if own.startswith(area):
        area = own
    elif not area.startswith(own):
        return {}
    tasks = SweepTask.objects.filter(within("community_id", area)).exclude(outcome="")
    if start:
        tasks = tasks.filter(done_at__date__gte=start)
    if end:
        tasks = tasks.filter(done_at__date__lte=end)
    kind_of: dict[int, str] = {}
    for details in tasks.values_list("details", flat=True).iterator(chunk_size=2000):
        for pk in (details or {}).get("new", []):
            kind_of[int(pk)] = "new_people"
        for pk in (details or {}).get("left", []):
            kind_of[int(pk)] = "stays_ended"
    found: dict = defaultdict(Counter)
    column = {"point": "collection_point_id", "collector": "collector_id"}.get(level, "community_id")
    for chunk in _chunks(sorted(kind_of)):
        for pk, value in Stay.objects.filter(pk__in=chunk).values_list("id", column):
            if value is None:
                continue
            key = value[: AREA_LEVELS[level]] if level in AREA_LEVELS else value
            found[key][kind_of[pk]] += 1
    return {key: {"new_people": c["new_people"], "stays_ended": c["stays_ended"]} for key, c in found.items()}
