"""The scorecard (考评): a league table of units by timeliness, staleness and rejections at entry.

A unit is an area one level below the parent (city, county, street, community), a collection point, or a
collector; its measures come from selectors_scorecard_measures. The spot-check error rate, the feedback
tasks and the omission estimate come from their own selectors (selectors_checks, selectors_omission, all read
from small tables or cells) and are shown beside these measures, never mixed into them.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.core.identity import china_today
from liuguan.geo.models import CODE_LENGTHS, Division, Office, OfficeKind

from .areas import area_in_scope, area_trail
from .cells import cells_refresh
from .selectors_checks import error_by_unit, feedback_by_unit
from .selectors_omission import omission_overview
from .selectors_scorecard_measures import (
    AREA_LEVELS,
    LEVELS,
    NO_UNIT,
    PERSON_LEVELS,
    Measures,
    Period,
    _add_months,
    open_measures,
    period_choices,
    registration_measures,
    rejection_measures,
)

__all__ = ["AREA_LEVELS", "LEVELS", "NO_UNIT", "Measures", "Period", "period_choices", "scorecard"]

LEVEL_LABELS = {
    "province": _("Province"),
    "city": _("City"),
    "county": _("County"),
    "street": _("Street"),
    "community": _("Community"),
    "point": _("Collection point"),
    "collector": _("Collector"),
}
# What a measure's "better" is: ranks go from best to worst; units without a figure come last.
RANKS = {
    "on_time": (_("Share on time"), True),
    "registrations": (_("Registrations"), True),
    "median_lag": (_("Median lag"), False),
    "p90_lag": (_("90th percentile lag"), False),
    "staleness": (_("Stale open stays"), False),
    "rejected": (_("Rejected at entry"), False),
    "error": (_("Spot-check error rate"), False),
    "overdue": (_("Overdue feedback tasks"), False),
    "red_cards": (_("Red supervision cards (grid events)"), False),
    "omission": (_("Omission rate"), False),
}


@dataclass
class UnitRow:
    """A row of the league table: the unit, its measures now and in the previous period, and its rank."""

    key: str | int
    name: str
    code: str = ""
    current: Measures = field(default_factory=Measures)
    previous: Measures = field(default_factory=Measures)
    error: object | None = None
    feedback: object | None = None
    omission: object | None = None
    cards: object | None = None
    rank: int | None = None
    drill: list[tuple[str, str]] = field(default_factory=list)  # (level, parent) pairs one can open from here
    is_residual: bool = False


@dataclass
class Scorecard:
    """A league table of the units at one level under one area, for one period and the one before."""

    area: Division
    level: str
    period: Period
    previous: Period
    rank: str
    stale_months: int
    stale_before: dt.date
    rows: list[UnitRow]
    total: UnitRow
    trail: list[Division]
    levels: list[str]
    generated_at: dt.datetime
    available: dict[str, bool]

    @property
    def level_label(self):
        return LEVEL_LABELS[self.level]

    @property
    def rank_label(self):
        return RANKS[self.rank][0]


# -- the other parts' figures -----------------------------------------------------------------------------------


def _lookup(figures: dict | None, key):
    if not figures:
        return None
    hit = figures.get(key)
    if hit is None and isinstance(key, int):
        hit = figures.get(str(key))  # a part that keys accounts and offices by their id as text
    return hit


# -- the scorecard ----------------------------------------------------------------------------------------------


def scorecard_levels(parent: str) -> list[str]:
    """The levels one can list under an area: the area levels below it, then points and collectors."""
    return [lv for lv, n in AREA_LEVELS.items() if n > len(parent)] + list(PERSON_LEVELS)


def default_level(parent: str) -> str:
    return scorecard_levels(parent)[0]


def stale_months_default() -> int:
    return int(settings.LIUGUAN_QUALITY.get("stale_months", 6))


def _unit_rows(level: str, parent: str) -> dict:
    """Every unit that exists at the level, so a unit with nothing registered still shows (as nothing)."""
    if level in AREA_LEVELS:
        length = AREA_LEVELS[level]
        areas = Division.objects.filter(code__startswith=parent, level=CODE_LENGTHS[length])
        return {d.code: UnitRow(key=d.code, name=d.name, code=d.code) for d in areas}
    if level == "point":
        points = Office.objects.filter(kind=OfficeKind.COLLECTION_POINT, division__code__startswith=parent)
        return {o.pk: UnitRow(key=o.pk, name=o.name, code=o.division_id) for o in points}
    collectors = User.objects.filter(role=Role.COLLECTOR, is_active=True, division__code__startswith=parent)
    return {u.pk: UnitRow(key=u.pk, name=u.full_name or u.username, code=u.division_id or "") for u in collectors}


def _name_missing(level: str, rows: dict) -> None:
    """Names of units found in the data but not listed (a collector registering outside their own area)."""
    missing = [k for k, r in rows.items() if not r.name and not (isinstance(k, str) and k.startswith(NO_UNIT))]
    if not missing:
        return
    if level in AREA_LEVELS:
        names = dict(Division.objects.filter(code__in=missing).values_list("code", "name"))
        codes = {k: k for k in missing}
    elif level == "point":
        found = Office.objects.filter(pk__in=missing).values_list("pk", "name", "division_id")
        names, codes = {pk: n for pk, n, _d in found}, {pk: d for pk, _n, d in found}
    else:
        found = User.objects.filter(pk__in=missing).values_list("pk", "full_name", "username", "division_id")
        names, codes = {pk: f or u for pk, f, u, _d in found}, {pk: d or "" for pk, _f, _u, d in found}
    for key in missing:
        rows[key].name = names.get(key) or str(key)
        rows[key].code = codes.get(key, "") or ""


def _residual_name(level: str, key: str):
    from liuguan.registry.codes import SourceChannel

    channel = key[len(NO_UNIT) :]
    label = dict(SourceChannel.choices).get(channel, channel)
    if level == "point":
        return _("no collection point (channel %(channel)s)") % {"channel": label}
    return _("no collector (channel %(channel)s)") % {"channel": label}


def _drill(level: str, key) -> list[tuple[str, str]]:
    if level in ("city", "county", "street"):
        return [(LEVELS[LEVELS.index(level) + 1], key)]
    if level == "community":
        return [("point", key), ("collector", key)]
    return []


def _rank_value(row: UnitRow, rank: str):
    m = row.current
    if rank == "on_time":
        return m.on_time.value
    if rank == "registrations":
        return m.registrations
    if rank == "median_lag":
        return m.median_lag
    if rank == "p90_lag":
        return m.p90_lag
    if rank == "staleness":
        return m.staleness.value if m.staleness else None
    if rank == "rejected":
        return m.rejected_share
    if rank == "error":
        return getattr(getattr(row.error, "estimate", None), "value", None)
    if rank == "overdue":
        return getattr(row.feedback, "overdue", None)
    if rank == "omission":
        return getattr(getattr(row.omission, "rate", None), "value", None)
    if rank == "red_cards":
        return getattr(row.cards, "red", None)
    return None


def league(rows: list[UnitRow], rank: str) -> list[UnitRow]:
    """Best first by the measure, ties by more registrations; equal pairs share a rank; no figure, no rank."""
    higher_better = RANKS[rank][1]

    def sort_key(row):
        value = _rank_value(row, rank)
        if value is None:
            return (1, 0, -row.current.registrations, str(row.name))
        return (0, -value if higher_better else value, -row.current.registrations, str(row.name))

    ordered = sorted(rows, key=sort_key)
    previous, position = None, 0
    for index, row in enumerate(ordered, start=1):
        value = _rank_value(row, rank)
        if value is None:
            row.rank = None
            continue
        pair = (value, row.current.registrations)
        if pair != previous:
            position = index
        row.rank, previous = position, pair
    return ordered


@dataclass(frozen=True)
class TaskCounts:
    """Feedback tasks of a unit that has none, or of the whole area (the units' counts added)."""

    open: int = 0
    overdue: int = 0
    fixed: int = 0


PARENT_LEVELS = {4: "city", 6: "county", 9: "street", 12: "community"}


def _other_parts(*, user, level: str, area: str, period: Period, rows: dict, total: UnitRow) -> dict[str, bool]:
    """Error rates, feedback tasks and omission estimates per unit, from the parts that compute them."""
    common = {"user": user, "level": level, "parent": area}
    dates = {"start": period.start, "end": period.end}
    errors = error_by_unit(**common, **dates)
    feedback = feedback_by_unit(**common, **dates)
    omitted = None
    if level in AREA_LEVELS:
        # The scorecard has brought the cells up to date already.
        total.omission, omitted = omission_overview(**common, refresh=False)
    for key, row in rows.items():
        row.error, row.feedback, row.omission = (_lookup(f, key) for f in (errors, feedback, omitted))
        if feedback is not None and row.feedback is None and not row.is_residual:
            row.feedback = TaskCounts()
    if feedback is not None:
        figures = [r.feedback for r in rows.values() if r.feedback is not None]
        total.feedback = TaskCounts(*(sum(getattr(f, k) for f in figures) for k in ("open", "overdue", "fixed")))
    if level in AREA_LEVELS:
        _grid_cards(user=user, level=level, area=area, period=period, rows=rows, total=total)
    # The area as a whole has its own error estimate (a stratified one, not an average of the rows').
    if errors is not None and len(area) in PARENT_LEVELS:
        whole = {"user": user, "level": PARENT_LEVELS[len(area)], "parent": area}
        total.error = _lookup(error_by_unit(**whole, **dates), area)
    return {"error": True, "feedback": True, "omission": level in AREA_LEVELS, "cards": level in AREA_LEVELS}


def _grid_cards(*, user, level: str, area: str, period: Period, rows: dict, total: UnitRow) -> None:
    """Grid supervision (督办) on the scorecard: yellow and red cards issued in the period on each area's events."""
    from liuguan.grid.selectors import CardCounts, cards_by_area

    cards = cards_by_area(user=user, parent=area, length=AREA_LEVELS[level], start=period.start, end=period.end)
    for key, row in rows.items():
        if not row.is_residual:
            row.cards = cards.get(key, CardCounts())
    figures = [r.cards for r in rows.values() if r.cards is not None]
    total.cards = CardCounts(sum(c.yellow for c in figures), sum(c.red for c in figures))


def scorecard(
    *,
    user,
    level: str | None = None,
    parent: str | None = None,
    period: Period | None = None,
    rank: str | None = None,
    stale_months: int | None = None,
    refresh: bool = True,
    others: bool = True,
) -> Scorecard:
    """The league table at a level under an area in the user's jurisdiction, with the period before it.

    `others=False` leaves out the other parts' figures (spot checks, feedback tasks, omission estimates).
    """
    area = area_in_scope(user, parent)
    levels = scorecard_levels(area.code)
    level = level or levels[0]
    problems = []
    if level not in levels:
        problems.append(FieldProblem("level", "scorecard.level", _("Choose a level below the area")))
    rank = rank or "on_time"
    if rank not in RANKS:
        problems.append(FieldProblem("rank", "scorecard.rank", _("Choose a measure to rank by")))
    stale_months = stale_months_default() if stale_months is None else stale_months
    if not 1 <= stale_months <= 120:
        problems.append(FieldProblem("stale", "scorecard.stale", _("Give between 1 and 120 months")))
    if problems:
        raise InvalidInput(problems)
    if refresh:
        cells_refresh()
    period = period or Period.parse(None)
    previous = period.previous()
    today = china_today()
    stale_before = _add_months(today.replace(day=1), -stale_months)

    rows = _unit_rows(level, area.code)
    now, before = (registration_measures(parent=area.code, level=level, period=p) for p in (period, previous))
    opened = open_measures(parent=area.code, level=level, stale_before=stale_before)
    rejected_now, rejected_before = (
        rejection_measures(parent=area.code, level=level, period=p) for p in (period, previous)
    )
    keys = set(now) | set(before) | set(opened) | set(rejected_now) | set(rejected_before)
    for key in keys:
        if key is None:
            continue
        if key not in rows:
            is_residual = isinstance(key, str) and key.startswith(NO_UNIT)
            rows[key] = UnitRow(
                key=key, name=_residual_name(level, key) if is_residual else "", is_residual=is_residual
            )
    _name_missing(level, rows)
    total = UnitRow(key="", name=area.name, code=area.code)
    for key, row in rows.items():
        row.current = now.get(key) or Measures()
        row.previous = before.get(key) or Measures()
        open_count, stale = opened.get(key, (0, 0))
        row.current.open_stays, row.current.stale = open_count, stale
        row.current.rejected, row.current.import_rows = rejected_now.get(key, (0, 0))
        row.previous.rejected, row.previous.import_rows = rejected_before.get(key, (0, 0))
        if not row.is_residual:
            row.drill = _drill(level, key)
        total.current.add(row.current)
        total.previous.add(row.previous)
    # Batches uploaded from above the level are no unit's, but they are the area's.
    for measures, p in ((total.current, period), (total.previous, previous)):
        measures.rejected, measures.import_rows = rejection_measures(parent=area.code, level=None, period=p)[None]
    total.current.open_stays = total.current.open_stays or 0

    available = {}
    if others:
        available = _other_parts(user=user, level=level, area=area.code, period=period, rows=rows, total=total)

    trail = area_trail(user, area.code)
    return Scorecard(
        area=area,
        level=level,
        period=period,
        previous=previous,
        rank=rank,
        stale_months=stale_months,
        stale_before=stale_before,
        rows=league(list(rows.values()), rank),
        total=total,
        trail=trail,
        levels=levels,
        generated_at=timezone.now(),
        available=available,
    )
