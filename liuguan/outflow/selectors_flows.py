"""Flow matrices for officers: who arrived here from where, and where this area's own people went.

Inflow: stays inside the area that began in the period, by the person's hukou (rows: another province, or for
this province its prefecture or county) and by the area's child division where they arrived (columns).
Outflow: this area's outflow records whose person left in the period, by destination (rows: a province, or for
this province its prefecture or county; abroad; not known) and by the child division of origin (columns).

Each matrix is one GROUP BY query over the scoped rows; the rows past the top N are summed into one.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Substr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped, within
from liuguan.geo.models import Division
from liuguan.geo.names import division_names, place_name
from liuguan.oversight.areas import area_in_scope, area_trail
from liuguan.oversight.selectors_scorecard_measures import Period
from liuguan.registry.models import Stay

from .models import OutflowRecord

INFLOW, OUTFLOW = "in", "out"
DIRECTIONS = {
    INFLOW: gettext_lazy("Arrivals here, by hukou"),
    OUTFLOW: gettext_lazy("This area's people who left, by destination"),
}
# How this province's own rows are split: by prefecture or by county.
ORIGIN_LEVELS = {"prefecture": 4, "county": 6}
DEFAULT_TOP = 15
TOP_RANGE = (3, 200)
ABROAD = "abroad"
NONE = ""
_CHILD_LENGTH = {2: 4, 4: 6, 6: 9, 9: 12, 12: 12}


@dataclass(frozen=True)
class FlowColumn:
    code: str
    name: str
    # False for the area's own column when it has no children (a community).
    drill: bool = True


@dataclass
class FlowRow:
    key: str
    label: str
    cells: list[int]
    # On the summed row: how many rows it holds.
    folded: int = 0

    @property
    def total(self) -> int:
        return sum(self.cells)


@dataclass
class FlowMatrix:
    direction: str
    area: Division
    trail: list[Division]
    period: Period
    origin_level: str
    top: int
    columns: list[FlowColumn]
    rows: list[FlowRow]
    rest: FlowRow | None
    totals: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.totals)

    @property
    def direction_label(self) -> str:
        return str(DIRECTIONS[self.direction])

    @property
    def row_heading(self) -> str:
        return _("Hukou area") if self.direction == INFLOW else _("Destination")

    @property
    def column_heading(self) -> str:
        return _("Arrived in") if self.direction == INFLOW else _("Origin")

    @property
    def shown_rows(self) -> list[FlowRow]:
        return [*self.rows, self.rest] if self.rest else list(self.rows)


def parse_top(value) -> int:
    if value in (None, ""):
        return DEFAULT_TOP
    try:
        top = int(value)
    except (TypeError, ValueError):
        top = -1
    if not TOP_RANGE[0] <= top <= TOP_RANGE[1]:
        raise InvalidInput(
            [
                FieldProblem(
                    "top",
                    "flows.top",
                    _("Give a whole number from %(low)d to %(high)d") % dict(low=TOP_RANGE[0], high=TOP_RANGE[1]),
                )
            ]
        )
    return top


def parse_period(value: str | None, *, today: dt.date | None = None) -> Period:
    """A month, quarter or year; none means this year, when a month holds too few arrivals to read a matrix."""
    if not (value or "").strip():
        return Period.of("year", today or china_today())
    return Period.parse(value, today=today)


def _bucket(field_name: str, province: str, origin_length: int):
    """Another province's code, or for this province the prefix of `origin_length` digits."""
    return Case(
        When(**{f"{field_name}__startswith": province}, then=Substr(field_name, 1, origin_length)),
        default=Substr(field_name, 1, 2),
        output_field=CharField(),
    )


def _inflow_counts(user, area: str, period: Period, child: int, origin_length: int) -> list[tuple[str, str, int]]:
    province = settings.LIUGUAN_PROVINCE_CODE
    stays = scoped(
        Stay.objects.filter(within("community_id", area), arrived_on__gte=period.start, arrived_on__lte=period.end),
        user,
    )
    rows = (
        stays.order_by()
        .annotate(row=_bucket("person__hukou_code", province, origin_length), col=Substr("community_id", 1, child))
        .values("row", "col")
        .annotate(n=Count("id"))
        .values_list("row", "col", "n")
    )
    return list(rows)


def _outflow_counts(user, area: str, period: Period, child: int, origin_length: int) -> list[tuple[str, str, int]]:
    province = settings.LIUGUAN_PROVINCE_CODE
    records = scoped(
        OutflowRecord.objects.filter(origin__code__startswith=area, left_on__gte=period.start, left_on__lte=period.end),
        user,
    )
    destination = Case(
        When(~Q(destination_country__in=["CHN", ""]), then=Value(ABROAD)),
        When(destination_code="", then=Value(NONE)),
        When(destination_code__startswith=province, then=Substr("destination_code", 1, origin_length)),
        default=Substr("destination_code", 1, 2),
        output_field=CharField(),
    )
    rows = (
        records.order_by()
        .annotate(row=destination, col=Substr(F("origin_id"), 1, child))
        .values("row", "col")
        .annotate(n=Count("id"))
        .values_list("row", "col", "n")
    )
    return list(rows)


def _row_label(key: str, direction: str, names: dict[str, str]) -> str:
    if key == ABROAD:
        return _("Abroad")
    if key == NONE:
        return _("No hukou area (Hong Kong, Macao, Taiwan, foreign)") if direction == INFLOW else _("Not known")
    return place_name(key, names) or key


def flow_matrix(
    *,
    user,
    direction: str = INFLOW,
    area_code: str | None = None,
    period: Period | None = None,
    origin_level: str = "prefecture",
    top: int = DEFAULT_TOP,
) -> FlowMatrix:
    """Origin by destination for a period inside the user's jurisdiction; the area answers NotFound outside it."""
    if direction not in DIRECTIONS:
        raise InvalidInput([FieldProblem("direction", "flows.direction", _("Choose arrivals or departures"))])
    if origin_level not in ORIGIN_LEVELS:
        raise InvalidInput([FieldProblem("origin_level", "flows.origin_level", _("Choose prefecture or county"))])
    area = area_in_scope(user, area_code)
    period = period or parse_period(None)
    child = _CHILD_LENGTH[len(area.code)]
    origin_length = ORIGIN_LEVELS[origin_level]
    counts = (_inflow_counts if direction == INFLOW else _outflow_counts)(user, area.code, period, child, origin_length)
    if child == len(area.code):
        columns = [FlowColumn(code=area.code, name=area.name, drill=False)]
    else:
        children = scoped(Division.objects.filter(parent=area), user).order_by("code").values_list("code", "name")
        columns = [FlowColumn(code=code, name=name) for code, name in children]
        known = {c.code for c in columns}
        # Rows whose division is gone from the tree (a code revised since) still count, under their code.
        columns += [
            FlowColumn(code=code, name=code, drill=False) for code in sorted({c for _r, c, _n in counts} - known)
        ]
    index = {c.code: i for i, c in enumerate(columns)}
    by_row: dict[str, list[int]] = {}
    for row, col, n in counts:
        cells = by_row.setdefault(row or NONE, [0] * len(columns))
        cells[index[col]] += n
    names = division_names(k for k in by_row if k not in (ABROAD, NONE))
    rows = [FlowRow(key=k, label=_row_label(k, direction, names), cells=cells) for k, cells in by_row.items()]
    # Largest first; among equals, named areas before "abroad" and "not known".
    rows.sort(key=lambda r: (-r.total, r.key in (ABROAD, NONE), r.key))
    shown, folded = rows[:top], rows[top:]
    rest = None
    if folded:
        summed = [sum(r.cells[i] for r in folded) for i in range(len(columns))]
        label = _("Other (%(n)d more)") % {"n": len(folded)}
        rest = FlowRow(key="*", label=label, cells=summed, folded=len(folded))
    totals = [sum(r.cells[i] for r in rows) for i in range(len(columns))]
    return FlowMatrix(
        direction=direction,
        area=area,
        trail=area_trail(user, area.code),
        period=period,
        origin_level=origin_level,
        top=top,
        columns=columns,
        rows=shown,
        rest=rest,
        totals=totals,
    )


__all__ = ["DIRECTIONS", "FlowMatrix", "FlowRow", "flow_matrix", "parse_period", "parse_top"]
