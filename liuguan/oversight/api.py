"""Municipal management as JSON: the scorecard (考评) with the same parameters as its page."""

from django.http import Http404
from ninja import Query, Router, Schema

from liuguan.core.errors import NotFound
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from .selectors_scorecard import Measures, Period, UnitRow, scorecard
from .stats import Estimate

router = Router(tags=["oversight"])


class ScorecardQuery(Schema):
    level: str | None = None
    parent: str | None = None
    period: str | None = None
    rank: str | None = None
    stale: int | None = None


class ScorecardEstimateOut(Schema):
    value: float | None
    low: float | None = None
    high: float | None = None
    notes: list[str] = []


class ScorecardMeasuresOut(Schema):
    registrations: int
    on_time: ScorecardEstimateOut
    median_lag: int | None
    p90_lag: int | None
    open_stays: int | None
    stale: ScorecardEstimateOut | None
    rejected: int
    import_rows: int


class ScorecardErrorOut(Schema):
    estimate: ScorecardEstimateOut
    checked: int
    wrong: int


class ScorecardFeedbackOut(Schema):
    open: int
    overdue: int
    fixed: int


class ScorecardOmissionOut(Schema):
    rate: ScorecardEstimateOut
    missed: ScorecardEstimateOut


class ScorecardUnitOut(Schema):
    key: str
    name: str
    code: str
    rank: int | None
    current: ScorecardMeasuresOut
    previous: ScorecardMeasuresOut
    error: ScorecardErrorOut | None = None
    feedback: ScorecardFeedbackOut | None = None
    omission: ScorecardOmissionOut | None = None
    drill: list[dict[str, str]] = []


class ScorecardPeriodOut(Schema):
    code: str
    start: str
    end: str


class ScorecardOut(Schema):
    area_code: str
    area_name: str
    level: str
    period: ScorecardPeriodOut
    previous: ScorecardPeriodOut
    rank: str
    stale_months: int
    stale_before: str
    generated_at: str
    units: list[ScorecardUnitOut]
    total: ScorecardUnitOut


def _estimate(e: Estimate | None) -> dict | None:
    if e is None:
        return None
    return {"value": e.value, "low": e.low, "high": e.high, "notes": list(e.notes)}


def _measures(m: Measures) -> dict:
    return {
        "registrations": m.registrations,
        "on_time": _estimate(m.on_time),
        "median_lag": m.median_lag,
        "p90_lag": m.p90_lag,
        "open_stays": m.open_stays,
        "stale": _estimate(m.staleness),
        "rejected": m.rejected,
        "import_rows": m.import_rows,
    }


def _unit(row: UnitRow) -> dict:
    error, feedback, omission = row.error, row.feedback, row.omission
    return {
        "key": str(row.key),
        "name": str(row.name),
        "code": row.code,
        "rank": row.rank,
        "current": _measures(row.current),
        "previous": _measures(row.previous),
        "error": None
        if error is None
        else {"estimate": _estimate(error.estimate), "checked": error.checked, "wrong": error.wrong},
        "feedback": None
        if feedback is None
        else {"open": feedback.open, "overdue": feedback.overdue, "fixed": feedback.fixed},
        "omission": None
        if omission is None
        else {"rate": _estimate(omission.rate), "missed": _estimate(omission.missed)},
        "drill": [{"level": level, "parent": parent} for level, parent in row.drill],
    }


def _period(p: Period) -> dict:
    return {"code": p.code, "start": p.start.isoformat(), "end": p.end.isoformat()}


@router.get("/scorecard", response=responses(ScorecardOut))
@endpoint("quality.view")
def scorecard_get(request, filters: Query[ScorecardQuery]):
    """The league table at a level under an area of your jurisdiction (404 outside it), with the period before.

    level: city, county, street, community, point or collector (default: the level below the area);
    parent: a division code inside your jurisdiction (default: your jurisdiction); period: 2025-05, 2025-Q2
    or 2025 (default: this month); rank: on_time, registrations, median_lag, p90_lag, staleness, rejected,
    error, overdue or omission; stale: months without verification after which an open stay is stale.
    """
    try:
        card = scorecard(
            user=request.user,
            level=filters.level,
            parent=filters.parent,
            period=Period.parse(filters.period),
            rank=filters.rank,
            stale_months=filters.stale,
        )
    except NotFound as exc:
        raise Http404 from exc
    return {
        "area_code": card.area.code,
        "area_name": card.area.name,
        "level": card.level,
        "period": _period(card.period),
        "previous": _period(card.previous),
        "rank": card.rank,
        "stale_months": card.stale_months,
        "stale_before": card.stale_before.isoformat(),
        "generated_at": card.generated_at.isoformat(),
        "units": [_unit(r) for r in card.rows],
        "total": _unit(card.total),
    }
