"""Reads of spot checks and feedback tasks, and the error rate estimated from the checks.

The record-level error rate is the share of checked records with at least one field corrected. For an
area it is a stratified estimate (strata: collector x community within a round; size = the stratum's
records, sampled = its checks done, hits = the wrong ones), so each collector weighs as much as they
registered; for one collector it is the plain share with Wilson's interval. Field-level rates are
corrected / checked per field, unweighted. A person the verifier could not find is counted apart and is
neither right nor wrong. Validation rejections at entry are not in these figures.

Units and levels (the scorecard contract): "city", "county", "street", "community" keyed by the 4, 6, 9
or 12 digits of the division code, "point" by geo.Office id (the stay's collection point), "collector"
by accounts.User id.
"""

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.models import User
from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today, mask_phone
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.geo.models import Division
from liuguan.registry.codes import ETHNICITIES, Education, Marital
from liuguan.registry.models import Person, Stay

from .models import FeedbackEvent, FeedbackTask, SpotCheck, SpotCheckRound, SpotCheckStratum
from .services.feedback import FIELD_OBJECT, PERSON
from .services.spotchecks import CORRECTED, day_start
from .stats import Estimate, Stratum, stratified_proportion, wilson

LEVEL_LENGTHS = {"city": 4, "county": 6, "street": 9, "community": 12}
LEVELS = (*LEVEL_LENGTHS, "point", "collector")
WHOLE = "whole"
CHOICES = {
    "ethnicity": dict(ETHNICITIES),
    "education": dict(Education.choices),
    "marital_status": dict(Marital.choices),
}
DONE = (SpotCheck.Status.DONE, SpotCheck.Status.UNREACHABLE)


def field_label(name: str) -> str:
    model = Person if FIELD_OBJECT.get(name) == PERSON else Stay
    try:
        return str(model._meta.get_field(name).verbose_name)
    except Exception:  # noqa: BLE001 (an unknown name is shown as itself)
        return name


def value_label(name: str, value) -> str:
    """A recorded value as people read it: codes by their names, phones masked."""
    if value in (None, ""):
        return "—"
    if name == "phone":
        return mask_phone(str(value))
    if name in CHOICES:
        return str(CHOICES[name].get(value, value))
    return str(value)


NOTES = {
    "no_sample": _("nothing checked yet"),
    "small_sample": _("fewer than 30 records checked: read with care"),
    "strata_unchecked": _("some collectors' records are not checked yet"),
    "single_check_strata": _("some strata have a single check"),
}


def shown(estimate: Estimate | None) -> dict:
    """An estimate as a page shows it: the rate, its 95% interval, and what to be careful about."""
    if estimate is None or estimate.value is None:
        return {"value": "—", "interval": "", "notes": [NOTES["no_sample"]]}
    interval = ""
    if estimate.low is not None and estimate.high is not None:
        interval = f"{estimate.low * 100:.1f}–{estimate.high * 100:.1f}%"
    return {
        "value": f"{estimate.value * 100:.1f}%",
        "interval": interval,
        "notes": [NOTES.get(n, n) for n in estimate.notes],
    }


# -- error rate -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorFigure:
    """Spot-check results of one unit: the estimated error rate, its counts, and the rate per field."""

    estimate: Estimate
    checked: int
    wrong: int
    unreachable: int
    by_field: dict[str, Estimate] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedbackFigure:
    """Feedback tasks of one unit: open and overdue now; fixed and decided in the period; disputes waiting."""

    open: int = 0
    overdue: int = 0
    fixed: int = 0
    disputed: int = 0
    upheld: int = 0
    overruled: int = 0
    opened: int = 0


@dataclass(frozen=True)
class CheckRow:
    round_id: int
    collector_id: int | None
    community: str
    point_id: int | None
    status: str
    results: dict

    @property
    def stratum(self) -> tuple:
        return (self.round_id, self.collector_id, self.community)

    @property
    def wrong(self) -> bool:
        return any(r.get("verdict") == CORRECTED for r in self.results.values())


def _unit(level: str, row: CheckRow):
    if level == WHOLE:
        return WHOLE
    if level == "collector":
        return row.collector_id
    if level == "point":
        return row.point_id
    return row.community[: LEVEL_LENGTHS[level]]


def _stratum(level: str, round_id, collector_id, community: str, point=None) -> tuple:
    """The stratum a record counts in at a level: one collector's records of a round inside the unit.

    A round draws a simple random sample of each collector's records, so the part of it that falls inside a
    unit is a simple random sample of the collector's records there: the collector x community strata are
    collapsed within the unit (Cochran 1977, 5A.12), which spares the many one-check strata a collector who
    works in several communities would leave, whose variance cannot be estimated.
    """
    if level == "point":
        return (round_id, collector_id, point)
    if level == WHOLE:
        return (round_id, collector_id)
    return (round_id, collector_id, community[: LEVEL_LENGTHS.get(level, 12)])


def _unit_strata(level: str, sizes: dict[tuple, int], drawn_points: dict[tuple, Counter]) -> dict:
    """{unit: {stratum: records}}; at the point level a collector's records in a community are shared out over
    the collection points in proportion to where their drawn records were registered.
    """
    units: dict = defaultdict(Counter)
    for (round_id, collector_id, community), records in sizes.items():
        if level == "point":
            points = drawn_points.get((round_id, collector_id, community)) or Counter()
            total = sum(points.values())
            for point, n in points.items():
                if point is not None:
                    units[point][_stratum(level, round_id, collector_id, community, point)] += max(
                        n, round(records * n / total)
                    )
        elif level == WHOLE:
            units[WHOLE][_stratum(level, round_id, collector_id, community)] += records
        elif level != "collector":
            units[community[: LEVEL_LENGTHS[level]]][_stratum(level, round_id, collector_id, community)] += records
    return units


def figures(rows: list[CheckRow], sizes: dict[tuple, int], level: str, drawn_points: dict | None = None) -> dict:
    """ErrorFigure per unit from checks done (and not found) and the strata they were drawn from.

    Besides the scorecard levels, WHOLE puts every row in one unit (a round's whole area).
    """
    if level not in LEVELS and level != WHOLE:
        raise ValueError(f"unknown level {level!r}")
    acc: dict = defaultdict(
        lambda: {"checked": 0, "wrong": 0, "unreachable": 0, "hits": Counter(), "n": Counter(), "strata": Counter()}
    )
    for row in rows:
        key = _unit(level, row)
        if key is None or row.status not in DONE:
            continue
        a = acc[key]
        if row.status == SpotCheck.Status.UNREACHABLE:
            a["unreachable"] += 1
            continue
        wrong = row.wrong
        a["checked"] += 1
        a["wrong"] += wrong
        skey = _stratum(level, row.round_id, row.collector_id, row.community, row.point_id)
        a["strata"][skey] += 1
        a["strata"][("hits", skey)] += wrong
        for name, result in row.results.items():
            a["n"][name] += 1
            a["hits"][name] += result.get("verdict") == CORRECTED
    unit_strata = _unit_strata(level, sizes, drawn_points or {})
    out = {}
    for key, a in acc.items():
        if level == "collector":
            estimate = wilson(a["wrong"], a["checked"])
        else:
            strata = [
                Stratum(size=max(size, a["strata"][skey]), sampled=a["strata"][skey], hits=a["strata"][("hits", skey)])
                for skey, size in unit_strata.get(key, {}).items()
            ]
            estimate = stratified_proportion(strata)
        by_field = {name: wilson(a["hits"][name], n) for name, n in a["n"].items()}
        out[key] = ErrorFigure(estimate, a["checked"], a["wrong"], a["unreachable"], by_field)
    return out


def _area(user, parent: str | None) -> str | None:
    """The narrower of the user's jurisdiction and the asked parent; None when they do not meet."""
    code = jurisdiction(user)
    if code is None:
        return None
    parent = (parent or "").strip()
    if not parent or parent.startswith(code):
        return parent or code
    return code if code.startswith(parent) else None


def check_rows(qs) -> list[CheckRow]:
    return [
        CheckRow(r, c, m, p, s, res or {})
        for r, c, m, p, s, res in qs.values_list(
            "round_id", "collector_id", "community_id", "stay__collection_point_id", "status", "results"
        )
    ]


def strata_of(round_ids, area: str) -> tuple[dict, dict]:
    """Stratum sizes {(round, collector, community): records} and the drawn records' points per stratum."""
    sizes = {
        (r, c, m): n
        for r, c, m, n in SpotCheckStratum.objects.filter(within("community", area), round_id__in=round_ids)
        .values_list("round_id", "collector_id", "community", "records")
        .iterator()
    }
    points: dict = defaultdict(Counter)
    for r, c, m, p in SpotCheck.objects.filter(within("community_id", area), round_id__in=round_ids).values_list(
        "round_id", "collector_id", "community_id", "stay__collection_point_id"
    ):
        points[(r, c, m)][p] += 1
    return sizes, points


def error_by_unit(*, user, level: str, parent: str | None = None, start: dt.date, end: dt.date) -> dict:
    """Error rate per unit at `level` under `parent`, from spot checks done between start and end (inclusive)."""
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    area = _area(user, parent)
    if area is None:
        return {}
    qs = scoped(SpotCheck.objects.all(), user).filter(
        within("community_id", area),
        status__in=DONE,
        done_at__gte=day_start(start),
        done_at__lt=day_start(end + dt.timedelta(days=1)),
    )
    rows = check_rows(qs)
    if not rows:
        return {}
    sizes, points = strata_of({r.round_id for r in rows}, area)
    return figures(rows, sizes, level, points)


def feedback_by_unit(*, user, level: str, parent: str | None = None, start: dt.date, end: dt.date) -> dict:
    """Feedback tasks per unit: open and overdue now (opened by `end`), fixed, upheld, overruled in the period.

    Overdue counts an open task past its deadline or already escalated (the collector missed it either way).
    Units are the task's community, the collection point of its stay, or the collector who set the field.
    """
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    area = _area(user, parent)
    if area is None:
        return {}
    lo, hi = day_start(start), day_start(end + dt.timedelta(days=1))
    today = china_today()
    qs = scoped(FeedbackTask.objects.all(), user).filter(within("community_id", area), opened_at__lt=hi)
    acc: dict = defaultdict(Counter)
    for community, collector, point, status, due_on, level_now, opened_at, resolved_at in qs.values_list(
        "community_id", "collector_id", "stay__collection_point_id", "status", "due_on", "level", "opened_at",
        "resolved_at",
    ):  # fmt: skip
        key = collector if level == "collector" else point if level == "point" else community[: LEVEL_LENGTHS[level]]
        if key is None:
            continue
        c = acc[key]
        c["opened"] += opened_at >= lo
        if status == FeedbackTask.Status.OPEN:
            c["open"] += 1
            c["overdue"] += due_on < today or level_now > FeedbackTask.Level.COLLECTOR
        elif status == FeedbackTask.Status.DISPUTED:
            c["disputed"] += 1
        elif resolved_at is not None and lo <= resolved_at < hi:
            c[status] += 1
        c["_seen"] += 1
    return {
        key: FeedbackFigure(**{k: v for k, v in c.items() if k != "_seen"})
        for key, c in acc.items()
        if any(v for k, v in c.items() if k != "_seen")
    }


# -- rounds and checks ------------------------------------------------------------------------------------------


def round_list(*, user, limit: int = 100) -> list[SpotCheckRound]:
    return list(scoped(SpotCheckRound.objects.select_related("division", "created_by"), user)[:limit])


def round_get(*, user, round_id: int) -> SpotCheckRound:
    spot_round = scoped(SpotCheckRound.objects.select_related("division"), user).filter(pk=round_id).first()
    if spot_round is None:
        raise NotFound()
    return spot_round


def round_closable(*, user, spot_round: SpotCheckRound) -> bool:
    """Officers at or above a round's area may close it while it is open (below it they only see their part)."""
    code = jurisdiction(user)
    return (
        bool(code)
        and user.can("spotcheck.manage")
        and spot_round.division_id.startswith(code)
        and spot_round.status == SpotCheckRound.Status.OPEN
    )


def area_choices(user) -> list[tuple[str, str]]:
    """The user's own division and the two levels below it, for choosing the area of a round."""
    code = jurisdiction(user)
    if not code:
        return []
    depth = {2: 6, 4: 9, 6: 12, 9: 12, 12: 12}[len(code)]
    rows = scoped(Division.objects.all(), user).filter(code__startswith=code)
    rows = [d for d in rows.order_by("code").only("code", "name", "level") if len(d.code) <= depth]
    return [(d.code, f"{'　' * ((len(d.code) - len(code)) // 3)}{d.name} ({d.code})") for d in rows]


@dataclass
class StratumRow:
    collector: User | None
    community: Division | None
    records: int
    drawn: int
    done: int = 0
    unreachable: int = 0
    wrong: int = 0
    unassigned: int = 0

    @property
    def pending(self) -> int:
        return self.drawn - self.done - self.unreachable


def round_summary(*, user, spot_round: SpotCheckRound) -> dict:
    """Progress and results of a round inside the user's jurisdiction: per stratum, per collector, per field."""
    code = jurisdiction(user) or "-"
    strata = list(spot_round.strata.filter(within("community", code)).order_by("collector_id", "community"))
    checks = scoped(SpotCheck.objects.filter(round=spot_round), user).filter(within("community_id", code))
    rows = check_rows(checks)
    state = Counter(checks.values_list("collector_id", "community_id", "status", "verifier_id").iterator())
    people = {u.pk: u for u in User.objects.filter(pk__in={s.collector_id for s in strata})}
    places = {d.code: d for d in Division.objects.filter(code__in={s.community for s in strata})}
    table = {
        (s.collector_id, s.community): StratumRow(
            people.get(s.collector_id), places.get(s.community), s.records, s.drawn
        )
        for s in strata
    }
    for (collector_id, community, status, verifier_id), n in state.items():
        row = table.get((collector_id, community))
        if row is None:
            continue
        if status == SpotCheck.Status.DONE:
            row.done += n
        elif status == SpotCheck.Status.UNREACHABLE:
            row.unreachable += n
        elif verifier_id is None:
            row.unassigned += n
    for r in rows:
        if r.status == SpotCheck.Status.DONE and r.wrong:
            table[(r.collector_id, r.community)].wrong += 1
    sizes = {(spot_round.pk, s.collector_id, s.community): s.records for s in strata}
    whole = stratified_proportion([Stratum(max(t.records, t.done), t.done, t.wrong) for t in table.values()])
    by_collector = figures(rows, sizes, "collector")
    fields = Counter()
    hits = Counter()
    for r in rows:
        if r.status == SpotCheck.Status.DONE:
            for name, result in r.results.items():
                fields[name] += 1
                hits[name] += result.get("verdict") == CORRECTED
    return {
        "strata": list(table.values()),
        "collectors": [
            {"collector": people.get(cid), "figure": fig} for cid, fig in sorted(by_collector.items(), key=str)
        ],
        "estimate": whole,
        "by_field": [
            {"field": name, "label": field_label(name), "estimate": wilson(hits[name], fields[name])}
            for name in spot_round.fields
            if fields[name]
        ],
        "totals": {
            "records": sum(t.records for t in table.values()),
            "drawn": sum(t.drawn for t in table.values()),
            "done": sum(t.done for t in table.values()),
            "unreachable": sum(t.unreachable for t in table.values()),
            "wrong": sum(t.wrong for t in table.values()),
            "unassigned": sum(t.unassigned for t in table.values()),
        },
    }


def round_wrong_checks(*, user, spot_round: SpotCheckRound, limit: int = 200) -> list[dict]:
    """The records of a round found wrong (inside the user's area), with the fields corrected and their tasks."""
    code = jurisdiction(user) or "-"
    checks = (
        scoped(SpotCheck.objects.filter(round=spot_round, fields_corrected__gt=0), user)
        .filter(within("community_id", code))
        .select_related("person", "community", "collector", "verifier")
        .prefetch_related("tasks")
        .order_by("collector_id", "id")
    )
    return [
        {
            "check": c,
            "fields": [
                {
                    "label": field_label(name),
                    "recorded": value_label(name, r.get("recorded")),
                    "found": value_label(name, r.get("found")),
                }
                for name, r in c.results.items()
                if r.get("verdict") == CORRECTED
            ],  # fmt: skip
            "tasks": list(c.tasks.all()),
        }
        for c in checks[:limit]
    ]


def checks_to_verify(*, user, limit: int = 200) -> list[SpotCheck]:
    """A verifier's checks still to do in open rounds, the earliest round deadline first (one query)."""
    mine = scoped(SpotCheck.objects.select_related("round", "person", "stay__house", "community"), user)
    todo = mine.filter(verifier=user, status=SpotCheck.Status.ASSIGNED, round__status=SpotCheckRound.Status.OPEN)
    return list(todo.order_by("round__due_on", "id")[:limit])


def my_checks(*, user, limit: int = 200) -> dict:
    """A verifier's checks: those still to do in open rounds, and the ones they recorded lately."""
    mine = scoped(SpotCheck.objects.select_related("round", "person", "stay", "community"), user).filter(verifier=user)
    done = mine.exclude(status=SpotCheck.Status.ASSIGNED).order_by("-done_at")
    return {"todo": checks_to_verify(user=user, limit=limit), "done": list(done[:20])}


def check_get(*, user, check_id: int) -> SpotCheck:
    """A check for its verifier, or for an officer over its community; for anyone else it does not exist."""
    check = (
        scoped(SpotCheck.objects.select_related("round", "person", "stay", "community", "verifier"), user)
        .filter(pk=check_id)
        .first()
    )
    if check is None:
        raise NotFound()
    if check.verifier_id != user.pk and not (user.can("spotcheck.manage") or user.can("quality.view")):
        raise NotFound()
    return check


def check_rows_for_form(check: SpotCheck) -> list[dict]:
    """Each checked field with what the record holds now (masked phone) and, once done, the verdict."""
    records = {PERSON: check.person, "registry.stay": check.stay}
    out = []
    for name in check.round.fields:
        value = getattr(records[FIELD_OBJECT[name]], name, "")
        result = check.results.get(name) or {}
        out.append(
            {
                "field": name,
                "label": field_label(name),
                "recorded": value_label(name, result.get("recorded", value) if result else value),
                "found": value_label(name, result.get("found")) if result else "",
                "verdict": result.get("verdict", ""),
                "dispute": result.get("dispute", ""),
            }
        )
    return out


# -- feedback tasks ---------------------------------------------------------------------------------------------


def _tasks(user):
    return scoped(FeedbackTask.objects.select_related("person", "community", "collector", "assignee"), user)


def tasks_with_me(*, user, limit: int = 200) -> list[FeedbackTask]:
    """Open or disputed tasks assigned to the user now, the earliest deadline first (one query)."""
    mine = _tasks(user).select_related("stay__house")
    mine = mine.filter(assignee=user, status__in=(FeedbackTask.Status.OPEN, FeedbackTask.Status.DISPUTED))
    return _labelled(mine.order_by("due_on", "id")[:limit])


def my_tasks(*, user, limit: int = 200) -> dict:
    """Tasks with me now, and the ones about fields I set that are still being decided or were closed lately."""
    qs = _tasks(user)
    set_by_me = qs.filter(collector=user).exclude(assignee=user, status=FeedbackTask.Status.OPEN)
    today = china_today()
    return {
        "tasks": tasks_with_me(user=user, limit=limit),
        "others": _labelled(set_by_me.order_by("-opened_at")[:50]),
        "today": today,
    }


def _labelled(tasks) -> list[FeedbackTask]:
    tasks = list(tasks)
    for task in tasks:
        task.field_label = field_label(task.field)
    return tasks


def task_list(
    *, user, status: str = "", overdue: bool = False, collector_id: int | None = None, limit: int = 300
) -> list[FeedbackTask]:
    """Tasks in the officer's jurisdiction, newest deadline first within status, with the filters asked for."""
    code = jurisdiction(user) or "-"
    qs = _tasks(user).filter(within("community_id", code))
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status=FeedbackTask.Status.OPEN, due_on__lt=china_today())
    if collector_id:
        qs = qs.filter(collector_id=collector_id)
    return _labelled(qs.order_by("due_on", "id")[:limit])


def task_collectors(*, user) -> list[User]:
    """The people who set fields that tasks in the officer's jurisdiction were opened about (the filter list)."""
    code = jurisdiction(user) or "-"
    ids = _tasks(user).filter(within("community_id", code)).values_list("collector_id", flat=True).distinct()
    return list(scoped(User.objects.all(), user).filter(pk__in=ids).order_by("username"))


def task_get(*, user, task_id: int) -> FeedbackTask:
    events = FeedbackEvent.objects.select_related("actor", "assignee")
    task = (
        _tasks(user)
        .select_related("spot_check__round", "opened_by", "resolved_by")
        .prefetch_related(Prefetch("events", queryset=events))
        .filter(pk=task_id)
        .first()
    )
    if task is None or (user.pk not in (task.assignee_id, task.collector_id) and not user.can("feedback.open")):
        raise NotFound()
    return task


def task_view(task: FeedbackTask) -> dict:
    """What a task page shows about the value: labels, phones masked, and what the record holds now."""
    record = (Person if task.object_type == PERSON else Stay).objects.filter(pk=task.object_id).first()
    now = getattr(record, task.field, None) if record is not None else None
    return {
        "label": field_label(task.field),
        "recorded": value_label(task.field, task.recorded_value),
        "found": value_label(task.field, task.found_value) if task.found_value is not None else "",
        "now": value_label(task.field, now),
        "overdue": task.status == FeedbackTask.Status.OPEN and task.due_on < china_today(),
    }


def person_feedback(*, user, person: Person) -> list[dict]:
    """Feedback tasks about a person or their stays that the user may see, each with its events.

    This is the trace-back part of the record's history.
    """
    events = FeedbackEvent.objects.select_related("actor", "assignee")
    tasks = (
        scoped(FeedbackTask.objects.select_related("collector", "assignee"), user)
        .filter(person=person)
        .prefetch_related(Prefetch("events", queryset=events))
        .order_by("-opened_at", "-id")
    )
    return [{"task": t, **task_view_light(t)} for t in tasks[:50]]


def task_view_light(task: FeedbackTask) -> dict:
    return {
        "label": field_label(task.field),
        "recorded": value_label(task.field, task.recorded_value),
        "found": value_label(task.field, task.found_value) if task.found_value is not None else "",
    }


def correctable_fields() -> dict[str, str]:
    """The fields an officer can send back, with their labels."""
    return {name: field_label(name) for name in FIELD_OBJECT}
