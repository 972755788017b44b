"""The measures of the scorecard, unit by unit: registrations, lateness and lags, staleness, rejections at entry.

Registrations come from RegistrationCell (month of registration in China time), open stays from OpenStayCell,
rejections at entry from the import batches. A unit is a division code prefix at an area level, a collection
point's id or a collector's id; registrations with no collector (or no point) fall under "none:<channel>".
"""

import datetime as dt
import re
import threading
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from liuguan.collection.models import ImportBatch, ImportRow
from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.core.identity import china_today
from liuguan.core.scoping import within

from .cells import CHINA, area_q, changed_prefixes, covering_prefixes
from .models import CellsState, OpenStayCell, RegistrationCell
from .stats import Estimate, percentile, wilson

AREA_LEVELS = {"city": 4, "county": 6, "street": 9, "community": 12}
PERSON_LEVELS = ("point", "collector")
LEVELS = (*AREA_LEVELS, *PERSON_LEVELS)
NO_UNIT = "none:"


# -- periods ----------------------------------------------------------------------------------------------------


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """A calendar month, quarter or year (China time), from its first day to its last."""

    kind: str
    start: dt.date
    end: dt.date

    @property
    def code(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"

    @property
    def months(self) -> int:
        return {"month": 1, "quarter": 3, "year": 12}[self.kind]

    def previous(self) -> "Period":
        start = _add_months(self.start, -self.months)
        return Period(self.kind, start, _add_months(start, self.months) - dt.timedelta(days=1))

    def __str__(self) -> str:
        return self.code

    @classmethod
    def of(cls, kind: str, day: dt.date) -> "Period":
        months = {"month": 1, "quarter": 3, "year": 12}[kind]
        first = dt.date(day.year, 1 if kind == "year" else ((day.month - 1) // months) * months + 1, 1)
        return cls(kind, first, _add_months(first, months) - dt.timedelta(days=1))

    @classmethod
    def parse(cls, value: str | None, *, today: dt.date | None = None) -> "Period":
        """'2025-05' (a month), '2025-Q2' (a quarter) or '2025' (a year); empty means this month."""
        value = (value or "").strip().upper()
        if not value:
            return cls.of("month", today or china_today())
        if m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            year, month = int(m[1]), int(m[2])
            if 1 <= month <= 12 and 2000 <= year <= 2100:
                return cls.of("month", dt.date(year, month, 1))
        elif m := re.fullmatch(r"(\d{4})-?Q([1-4])", value):
            if 2000 <= int(m[1]) <= 2100:
                return cls.of("quarter", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1))
        elif re.fullmatch(r"\d{4}", value) and 2000 <= int(value) <= 2100:
            return cls.of("year", dt.date(int(value), 1, 1))
        raise InvalidInput(
            [FieldProblem("period", "scorecard.period", _("Give a month (2025-05), a quarter (2025-Q2) or a year"))]
        )


def period_choices(today: dt.date | None = None) -> list[Period]:
    """Recent periods to choose from: the last 12 months, the last 4 quarters, this year and the last two."""
    today = today or china_today()
    months = [Period.of("month", _add_months(today.replace(day=1), -i)) for i in range(12)]
    quarters = [Period.of("quarter", _add_months(today.replace(day=1), -3 * i)) for i in range(4)]
    years = [Period.of("year", dt.date(today.year - i, 1, 1)) for i in range(3)]
    return months + quarters + years


# -- measures ---------------------------------------------------------------------------------------------------


@dataclass
class Measures:
    """One unit's timeliness, staleness and rejections at entry over one period."""

    registrations: int = 0
    on_time_count: int = 0
    lags: dict[int, int] = field(default_factory=dict)
    open_stays: int | None = None
    stale: int | None = None
    rejected: int = 0
    import_rows: int = 0

    @property
    def on_time(self) -> Estimate:
        return wilson(self.on_time_count, self.registrations)

    @property
    def median_lag(self) -> int | None:
        return percentile(self.lags, 0.5)

    @property
    def p90_lag(self) -> int | None:
        return percentile(self.lags, 0.9)

    @property
    def staleness(self) -> Estimate | None:
        return None if self.open_stays is None else wilson(self.stale or 0, self.open_stays)

    @property
    def rejected_share(self) -> float | None:
        return self.rejected / self.import_rows if self.import_rows else None

    def add(self, other: "Measures") -> None:
        self.registrations += other.registrations
        self.on_time_count += other.on_time_count
        for lag, n in other.lags.items():
            self.lags[lag] = self.lags.get(lag, 0) + n
        if other.open_stays is not None:
            self.open_stays = (self.open_stays or 0) + other.open_stays
            self.stale = (self.stale or 0) + (other.stale or 0)
        self.rejected += other.rejected
        self.import_rows += other.import_rows


# -- queries ----------------------------------------------------------------------------------------------------


def _unit_key(level: str, unit, channel: str | None):
    if level in AREA_LEVELS:
        return unit
    return unit if unit is not None else f"{NO_UNIT}{channel}"


def _unit_expr(level: str, column: str):
    if level in AREA_LEVELS:
        return Substr(column, 1, AREA_LEVELS[level])
    return F("point_id" if level == "point" else "collector_id")


def _grouping(level: str) -> tuple[str, ...]:
    return ("unit",) if level in AREA_LEVELS else ("unit", "channel")


def registration_measures(*, parent: str, level: str, period: Period) -> dict:
    """Registrations, on-time count and lag histogram per unit, from the registration cells."""
    rows = (
        RegistrationCell.objects.filter(within("community", parent), month__gte=period.start, month__lte=period.end)
        .annotate(unit=_unit_expr(level, "community"))
        .values(*_grouping(level), "lag", "late")
        .annotate(count=Sum("n"))
        .values_list("unit", "channel" if level in PERSON_LEVELS else "unit", "lag", "late", "count")
        .order_by()
    )
    out: dict = {}
    for unit, channel, lag, late, count in rows:
        key = unit if level in AREA_LEVELS else _unit_key(level, unit, channel)
        m = out.get(key)
        if m is None:
            m = out[key] = Measures()
        m.registrations += count
        if not late:
            m.on_time_count += count
        if lag is not None:
            m.lags[lag] = m.lags.get(lag, 0) + count
    return out


class CountyOpenStays:
    """Open stays per county and month last confirmed, held in memory and brought up to date from the audit chain.

    At the city and county levels the staleness of a province would otherwise add up every open-stay cell (about
    one per open stay where communities hold few migrants); per county there are a few thousand numbers. Each
    process keeps its own copy, tied to the cells' last rebuild and watermark: a rebuild reloads it, audited
    writes since reload only the counties they touched. The watermark is read before the cells, so the copy is
    never older than the watermark it is filed under.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._key: tuple | None = None
        self._counties: dict[str, dict[dt.date, int]] = {}

    @staticmethod
    def _read(prefixes: list[str] | None) -> dict[str, dict[dt.date, int]]:
        cells = (
            OpenStayCell.objects.all()
            if prefixes is None
            else OpenStayCell.objects.filter(area_q("community", prefixes))
        )
        out: dict[str, dict[dt.date, int]] = {}
        rows = (
            cells.annotate(county=Substr("community", 1, 6))
            .values_list("county", "checked_month")
            .annotate(count=Sum("n"))
            .order_by()
        )
        for county, month, count in rows:
            out.setdefault(county, {})[month] = count
        return out

    def counties(self) -> dict[str, dict[dt.date, int]]:
        state = CellsState.objects.filter(pk=1).values_list("rebuilt_at", "audit_event_id").first()
        if state is None:
            return {}
        with self._lock:
            rebuilt, mark = state
            if self._key is None or self._key[0] != rebuilt or mark < self._key[1]:
                self._counties = self._read(None)
            elif mark > self._key[1]:
                touched = covering_prefixes(p[:6] for p in changed_prefixes(self._key[1], mark))
                if touched:
                    fresh = dict(self._counties)
                    for county in [c for c in fresh if any(c.startswith(p) for p in touched)]:
                        del fresh[county]
                    fresh.update(self._read(touched))
                    self._counties = fresh
            self._key = (rebuilt, mark)
            return self._counties


COUNTY_OPEN_STAYS = CountyOpenStays()


def open_measures(*, parent: str, level: str, stale_before: dt.date, memory: bool = True) -> dict:
    """Open stays and those last confirmed before `stale_before`, per unit, as things stand now."""
    if memory and level in ("city", "county"):
        length = AREA_LEVELS[level]
        out: dict = {}
        for county, months in COUNTY_OPEN_STAYS.counties().items():
            if county.startswith(parent):
                entry = out.setdefault(county[:length], [0, 0])
                for month, count in months.items():
                    entry[0] += count
                    if month < stale_before:
                        entry[1] += count
        return out
    rows = (
        OpenStayCell.objects.filter(within("community", parent))
        .annotate(unit=_unit_expr(level, "community"))
        .values(*_grouping(level))
        .annotate(open=Sum("n"), stale=Sum("n", filter=Q(checked_month__lt=stale_before)))
        .order_by()
    )
    out = {}
    for row in rows:
        key = _unit_key(level, row["unit"], row.get("channel"))
        entry = out.setdefault(key, [0, 0])
        entry[0] += row["open"] or 0
        entry[1] += row["stale"] or 0
    return out


def _day_bounds(period: Period) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(period.start, dt.time(), tzinfo=CHINA)
    return start, dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(), tzinfo=CHINA)


def rejection_measures(*, parent: str, level: str | None, period: Period) -> dict:
    """Rows rejected at entry and rows read, per unit, from the batches uploaded in the period.

    A batch belongs to its uploader's division, collector and office; at an area level, batches uploaded
    from above that level belong to no unit (they are in the total). `level=None` gives the area's total.
    """
    start, end = _day_bounds(period)
    batches = ImportBatch.objects.filter(
        division_code__startswith=parent, created_at__gte=start, created_at__lt=end
    ).order_by()
    rejected = ImportRow.objects.filter(
        outcome=ImportRow.Outcome.REJECTED,
        batch__division_code__startswith=parent,
        batch__created_at__gte=start,
        batch__created_at__lt=end,
    ).order_by()
    if level is None:
        rows = batches.aggregate(rows=Sum("rows_done"))["rows"] or 0
        return {None: (rejected.count(), rows)}
    if level in AREA_LEVELS:
        length = AREA_LEVELS[level]
        batches = batches.filter(division_code__regex=rf"^\d{{{length},}}$").annotate(
            unit=Substr("division_code", 1, length)
        )
        rejected = rejected.filter(batch__division_code__regex=rf"^\d{{{length},}}$").annotate(
            unit=Substr("batch__division_code", 1, length)
        )
    elif level == "point":
        batches = batches.annotate(unit=F("created_by__office_id"))
        rejected = rejected.annotate(unit=F("batch__created_by__office_id"))
    else:
        batches = batches.annotate(unit=F("created_by_id"))
        rejected = rejected.annotate(unit=F("batch__created_by_id"))
    out: dict = {}
    for row in batches.values("unit").annotate(rows=Sum("rows_done")):
        out[_unit_key(level, row["unit"], "import")] = [0, row["rows"] or 0]
    for row in rejected.values("unit").annotate(n=Count("id")):
        out.setdefault(_unit_key(level, row["unit"], "import"), [0, 0])[0] = row["n"]
    return out
