"""The data-quality panels (the oversight scorecard's definitions: timeliness, staleness, spot-check errors) and the
grid events' timeliness; registered in `panels.PANELS` after the panels of `panels.py`, which imports this module.
"""

import datetime as dt
from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from .panels import TITLES, PanelData, Series, month_label, panel, share


# --- Data quality -----------------------------------------------------------------------------------------------
def _months_back(today: dt.date, months: int) -> list[str]:
    """The last `months` months up to this one, as 'yyyymm'."""
    index = today.year * 12 + today.month - 1
    return [f"{(i // 12):04d}{(i % 12 + 1):02d}" for i in range(index - months + 1, index + 1)]


def _estimate(estimate) -> dict:
    return {"value": estimate.value, "low": estimate.low, "high": estimate.high}


@panel("timeliness", _("Registered on time"))
def timeliness_panel(source, area: str, today: dt.date) -> PanelData:
    """Stays registered per month (China time), on time or late against the area's deadline, last 24 months."""
    from liuguan.oversight.stats import wilson

    counts = source.counts("registered")
    axis = _months_back(today, 24)
    on_time = [counts.get((m, "on_time"), 0) for m in axis]
    late = [counts.get((m, "late"), 0) for m in axis]
    last12 = sum(on_time[-12:]), sum(on_time[-12:]) + sum(late[-12:])
    return PanelData(
        name="timeliness",
        title=TITLES["timeliness"],
        kind="bar",
        categories=[month_label(m) for m in axis],
        keys=axis,
        series=[
            Series(str(_("On time")), on_time, stack="registered"),
            Series(str(_("Late")), late, stack="registered"),
        ],
        total=sum(on_time) + sum(late),
        figures={
            "on_time_share_12m": _estimate(wilson(*last12)),
            "registered_12m": last12[1],
            "late_12m": last12[1] - last12[0],
            "on_time_share_by_month": [share(a, a + b) for a, b in zip(on_time, late, strict=True)],
        },
        note=str(_("Stays by the month they were registered (China time), on time or late against the deadline.")),
    )


STALE_BANDS = ((0, 2), (3, 5), (6, 11), (12, 23), (24, None))


def _stale_months() -> int:
    from liuguan.oversight.selectors_scorecard import stale_months_default

    return stale_months_default()


@panel("staleness", _("How long since open stays were confirmed"))
def staleness_panel(source, area: str, today: dt.date) -> PanelData:
    """Open stays by months since last confirmed (or registered); stale = before the first day of the month
    `stale_months` ago, as the scorecard counts it.
    """
    from liuguan.oversight.stats import wilson

    stale_months = _stale_months()
    this_month = today.year * 12 + today.month - 1
    bands = [0] * len(STALE_BANDS)
    stale = total = 0
    for (month, _k2), n in source.counts("confirmed").items():
        if not (len(month) == 6 and month.isdigit()):
            continue
        age = max(this_month - (int(month[:4]) * 12 + int(month[4:]) - 1), 0)
        for i, (lo, hi) in enumerate(STALE_BANDS):
            if age >= lo and (hi is None or age <= hi):
                bands[i] += n
                break
        total += n
        if age > stale_months:
            stale += n
    labels = [
        str(_("%(lo)s-%(hi)s months") % {"lo": lo, "hi": hi})
        if hi is not None
        else str(_("%(lo)s+ months") % {"lo": lo})
        for lo, hi in STALE_BANDS
    ]
    return PanelData(
        name="staleness",
        title=TITLES["staleness"],
        kind="bar",
        categories=labels,
        keys=[f"{lo}-{hi if hi is not None else ''}" for lo, hi in STALE_BANDS],
        series=[Series(str(_("Living here now")), bands)],
        total=total,
        figures={"stale_months": stale_months, "stale": stale, "stale_share": _estimate(wilson(stale, total))},
        note=str(
            _("Stale: not confirmed in the field (or registered) since the first day of the month %(n)s months ago.")
            % {"n": stale_months}
        ),
    )


def _spot_key(k2: str) -> tuple[str, str, str] | None:
    """'w12.7' -> ('w', '12', '7'): outcome, round, collector ('' none)."""
    if len(k2) < 3 or k2[0] not in "wru" or "." not in k2:
        return None
    round_id, _dot, collector = k2[1:].partition(".")
    return k2[0], round_id, collector


@panel("spot_checks", _("Spot-check error rate"))
def spot_checks_panel(source, area: str, today: dt.date) -> PanelData:
    """Spot checks done per month (right, wrong, unreachable) over the last 24 months; the error rate of the last
    12 months is the scorecard's stratified estimate: each round's collector is a stratum weighted by the records
    they registered in the area (unreachable records left out).
    """
    from liuguan.oversight.stats import Stratum, stratified_proportion

    axis = _months_back(today, 24)
    recent = set(axis[-12:])
    per_month: dict[tuple[str, str], int] = defaultdict(int)
    sampled: dict[tuple[str, str], int] = defaultdict(int)
    hits: dict[tuple[str, str], int] = defaultdict(int)
    unreachable = 0
    for (month, k2), n in source.counts("spot_checks").items():
        key = _spot_key(k2)
        if key is None:
            continue
        outcome, round_id, collector = key
        per_month[(month, outcome)] += n
        if month not in recent:
            continue
        if outcome == "u":
            unreachable += n
            continue
        sampled[(round_id, collector)] += n
        hits[(round_id, collector)] += n if outcome == "w" else 0
    sizes = source.counts("spot_strata") if sampled else {}
    strata = [
        Stratum(size=max(sizes.get(stratum, 0), n), sampled=n, hits=hits[stratum]) for stratum, n in sampled.items()
    ]
    checked, wrong = sum(sampled.values()), sum(hits.values())
    estimate = stratified_proportion(strata) if strata else None
    rate = [share(per_month[(m, "w")], per_month[(m, "w")] + per_month[(m, "r")]) for m in axis]
    return PanelData(
        name="spot_checks",
        title=TITLES["spot_checks"],
        kind="bar",
        categories=[month_label(m) for m in axis],
        keys=axis,
        series=[
            Series(str(_("Confirmed right")), [per_month[(m, "r")] for m in axis], stack="checks"),
            Series(str(_("Corrected")), [per_month[(m, "w")] for m in axis], stack="checks"),
            Series(str(_("Could not be verified")), [per_month[(m, "u")] for m in axis], stack="checks"),
            Series(str(_("Error rate")), rate, kind="line"),
        ],
        total=checked + unreachable,
        figures={
            "checked_12m": checked,
            "wrong_12m": wrong,
            "unreachable_12m": unreachable,
            "error_rate_12m": _estimate(estimate) if estimate else None,
        },
        note=str(
            _(
                "A check is wrong when the verifier corrected a field. The 12-month rate weights each collector's "
                "sample by the records behind it, as the scorecard does."
            )
        ),
    )


GRID_OUTCOMES = (
    ("closed_on_time", _("Closed on time")),
    ("closed_late", _("Closed late")),
    ("open", _("Open")),
    ("open_overdue", _("Open, overdue")),
)


@panel("grid", _("Grid events and their timeliness"))
def grid_panel(source, area: str, today: dt.date) -> PanelData:
    """Grid events per month reported (last 24 months): closed on time or late, open, open past a deadline (as the
    daily supervision marks it).
    """
    counts = source.counts("grid_events")
    axis = _months_back(today, 24)
    totals = {key: 0 for key, _label in GRID_OUTCOMES}
    for (_month, outcome), n in counts.items():
        if outcome in totals:
            totals[outcome] += n
    closed = totals["closed_on_time"] + totals["closed_late"]
    return PanelData(
        name="grid",
        title=TITLES["grid"],
        kind="bar",
        categories=[month_label(m) for m in axis],
        keys=axis,
        series=[
            Series(str(label), [counts.get((m, key), 0) for m in axis], stack="events") for key, label in GRID_OUTCOMES
        ],
        total=sum(totals.values()),
        figures={
            **totals,
            "open_now": totals["open"] + totals["open_overdue"],
            "closed_on_time_share": share(totals["closed_on_time"], closed),
        },
        note=str(_("By the month reported; overdue as the daily supervision marks it.")),
    )
