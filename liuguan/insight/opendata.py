"""Open data for departments: aggregate tables of an area, built from the cells, with small counts suppressed.

A department's subsystem reads them through the exchange hub with a grant on the `open_aggregates` dataset (way
`extract`, fields = the table codes it may have, inside the grant's area); every call, refused ones included, is
one event of the access log (`hub.access_log`).

The suppression rule (k-anonymity for counts):

1. k for an area is the strictest that applies to it: the threshold of the longest `OpenDataThreshold` prefix of
   the area (or settings.LIUGUAN_OPEN_DATA_K, default 10), raised to any threshold set for a division inside the
   area (a province table shows a city's people, so the city's own k protects them there too).
2. Primary: every count with 0 < n < k is withheld, the table's margins (row, column and grand totals) included.
   Zeros are shown: they describe nobody.
3. Complementary: each row and each column is an equation "cells = its total" (the totals row and column too).
   Where the total is shown, the withheld cells of that line must be none, or at least two that together hold at
   least k; otherwise the smallest shown non-zero cell of the line (the first in the table's order on a tie) is
   withheld as well, or, if the line has none left, its total. Repeated until no line changes, so no withheld
   count can be worked out from the total and the other cells of its row or column.

Not covered: differences between tables of nested areas (a city's table minus its counties' tables); grants
should name the level at which a department reads.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.exchange import hub
from liuguan.exchange.models import Way
from liuguan.geo.models import Division

from .models import OpenDataThreshold
from .panels import PanelData, build_panel
from .rollup import freshness

DATASET = "open_aggregates"
WAY = Way.EXTRACT
ACTION = "exchange.open_data"
DEFAULT_K = 10
K_RANGE = (2, 1000)

# The published tables: code -> (panel it is made from, title). The codes are the dataset's fields in the grants.
TABLES: dict[str, tuple[str, object]] = {
    "areas": ("children", gettext_lazy("Migrants living here now, by area below")),
    "age_sex": ("pyramid", gettext_lazy("Migrants living here now, by age and sex")),
    "origin_provinces": ("origins", gettext_lazy("Migrants living here now, by hukou province")),
    "reasons": ("reasons", gettext_lazy("Migrants living here now, by reason for moving")),
    "industries": ("industries", gettext_lazy("Migrants living here now, by their employer's industry")),
    "housing": ("housing", gettext_lazy("Migrants living here now, by kind of house")),
    "tenancy": ("tenancy", gettext_lazy("Rental houses with and without a tenancy filing")),
    "permits": ("permits", gettext_lazy("Residence permits by kind and status")),
    "rights": ("rights", gettext_lazy("Rights used")),
    "schools": ("schools", gettext_lazy("Children at school, by level and kind of school")),
}

# The catalogue entry the lead adds to exchange/data/catalogue.json (loaded by migration 0002_open_aggregates).
CATALOGUE_ENTRY = {
    "code": DATASET,
    "name": "流动人口统计汇总(开放数据)",
    "description": "Aggregate tables of an area from the macro-decision cells, small counts suppressed (k-anonymity).",
    "object_types": [],
    "fields": [
        {"name": code, "label": label, "personal": False}
        for code, label in (
            ("areas", "下级区域分布"),
            ("age_sex", "年龄性别"),
            ("origin_provinces", "户籍省份"),
            ("reasons", "居住事由"),
            ("industries", "从业行业"),
            ("housing", "住所类型"),
            ("tenancy", "租赁备案覆盖"),
            ("permits", "居住证"),
            ("rights", "权益享有"),
            ("schools", "随迁子女就学"),
        )
    ],
}


# --- Thresholds ---------------------------------------------------------------------------------------------------
def default_k() -> int:
    return int(getattr(settings, "LIUGUAN_OPEN_DATA_K", DEFAULT_K))


def threshold_for(area: str) -> int:
    """The k of an area: its longest matching prefix's (or the default), raised to any set inside the area."""
    rows = list(OpenDataThreshold.objects.values_list("prefix", "k"))
    own = [(len(prefix), k) for prefix, k in rows if area.startswith(prefix)]
    k = max(own)[1] if own else default_k()
    inside = [k2 for prefix, k2 in rows if prefix.startswith(area) and prefix != area]
    return max([k, *inside])


def threshold_list() -> list[OpenDataThreshold]:
    return list(OpenDataThreshold.objects.order_by("prefix"))


def _threshold_problems(actor, prefix: str, k: int | None) -> list[FieldProblem]:
    problems = []
    if not prefix or not Division.objects.filter(code=prefix).exists():
        problems.append(FieldProblem("prefix", "insight.prefix_unknown", _("Give a division code")))
    elif not prefix.startswith(actor.division_id or "-"):
        problems.append(FieldProblem("prefix", "insight.prefix_outside", _("This division is outside your area")))
    if k is None or not K_RANGE[0] <= k <= K_RANGE[1]:
        message = _("Between %(low)d and %(high)d") % {"low": K_RANGE[0], "high": K_RANGE[1]}
        problems.append(FieldProblem("k", "insight.k_range", message))
    return problems


def threshold_set(*, actor, prefix: str, k: int | None, note: str = "") -> OpenDataThreshold:
    """A division's own smallest published count; it applies to the division and everything inside it."""
    if not actor.can("insight.opendata"):
        raise PermissionDenied()
    prefix = (prefix or "").strip()
    problems = _threshold_problems(actor, prefix, k)
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        before = OpenDataThreshold.objects.filter(prefix=prefix).values_list("k", flat=True).first()
        threshold, _created = OpenDataThreshold.objects.update_or_create(
            prefix=prefix, defaults={"k": k, "note": (note or "").strip()[:200]}
        )
        audit_record(
            actor=actor,
            action="insight.threshold_set",
            obj=threshold,
            division_code=prefix,
            changes={"prefix": prefix, "k": [before, k]},
        )
    return threshold


def threshold_remove(*, actor, prefix: str) -> None:
    """Remove a division's own threshold: the one above it (or the default) applies again."""
    if not actor.can("insight.opendata"):
        raise PermissionDenied()
    with transaction.atomic():
        threshold = OpenDataThreshold.objects.filter(prefix=prefix).first()
        if threshold is None or not prefix.startswith(actor.division_id or "-"):
            raise NotFound()
        audit_record(
            actor=actor,
            action="insight.threshold_removed",
            obj=threshold,
            division_code=prefix,
            changes={"prefix": prefix, "k": [threshold.k, None]},
        )
        threshold.delete()


# --- Tables and suppression ---------------------------------------------------------------------------------------
@dataclass
class Table:
    """Counts in rows and columns with their totals; None is a withheld count."""

    code: str
    title: str
    rows: list[str]
    columns: list[str]
    values: list[list[int | None]]
    row_keys: list[str] = field(default_factory=list)
    row_totals: list[int | None] = field(default_factory=list)
    column_totals: list[int | None] = field(default_factory=list)
    total: int | None = None
    withheld: int = 0

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "title": self.title,
            "rows": self.rows,
            "row_keys": self.row_keys,
            "columns": self.columns,
            "values": self.values,
            "row_totals": self.row_totals,
            "column_totals": self.column_totals,
            "total": self.total,
            "withheld": self.withheld,
        }


def _lines(n_rows: int, n_cols: int) -> list[tuple[list[tuple[int, int]], tuple[int, int]]]:
    """The additive relations of an (n_rows+1) x (n_cols+1) grid whose last row and column are the totals: each
    line's members and its total. A single column (or row) is its own total, so that margin is left out.
    """
    R, C = n_rows, n_cols  # noqa: N806 (the grid's sizes, as in the rule above)
    lines = []
    if C > 1:
        for i in range(R):
            lines.append(([(i, j) for j in range(C)], (i, C)))
    if R > 1:
        for j in range(C):
            lines.append(([(i, j) for i in range(R)], (R, j)))
    column_margin = (lambda i: (i, C)) if C > 1 else (lambda i: (i, 0))
    row_margin = (lambda j: (R, j)) if R > 1 else (lambda j: (0, j))
    if R > 1:
        lines.append(([column_margin(i) for i in range(R)], (R, C)))
    if C > 1:
        lines.append(([row_margin(j) for j in range(C)], (R, C)))
    return lines


def suppress(values: list[list[int]], k: int) -> tuple[list[list[int | None]], list, list, int | None, int]:
    """Apply the rule of this module to a table of counts: (values, row totals, column totals, total, how many
    counts withheld), withheld counts as None. Margins come from the counts, so they always add up.
    """
    R = len(values)  # noqa: N806
    C = len(values[0]) if R else 0  # noqa: N806
    grid = {(i, j): values[i][j] for i in range(R) for j in range(C)}
    for i in range(R):
        grid[(i, C)] = sum(values[i])
    for j in range(C):
        grid[(R, j)] = sum(values[i][j] for i in range(R))
    grid[(R, C)] = sum(grid[(i, C)] for i in range(R))
    if C == 1:  # a single column: the row totals are the cells
        for i in range(R + 1):
            grid[(i, C)] = grid[(i, 0)]
    if R == 1:
        for j in range(C + 1):
            grid[(R, j)] = grid[(0, j)]
    withheld = {cell for cell, n in grid.items() if 0 < n < k}
    lines = _lines(R, C)
    rank = {cell: n for n, cell in enumerate(sorted(grid))}  # row by row: "first in the table's order"
    changed = True
    while changed:
        changed = False
        for members, total in lines:
            if total in withheld:
                continue
            hidden = [m for m in members if m in withheld]
            if not hidden or (len(hidden) > 1 and sum(grid[m] for m in hidden) >= k):
                continue
            shown = [m for m in members if m not in withheld and grid[m] > 0]
            if shown:
                withheld.add(min(shown, key=lambda m: (grid[m], rank[m])))
            else:
                withheld.add(total)
            changed = True
    # A single row or column shares its margin with its cells: hide both together.
    if C == 1:
        for i in range(R + 1):
            if (i, 0) in withheld or (i, 1) in withheld:
                withheld |= {(i, 0), (i, 1)}
    if R == 1:
        for j in range(C + 1):
            if (0, j) in withheld or (1, j) in withheld:
                withheld |= {(0, j), (1, j)}

    def shown(cell):
        return None if cell in withheld else grid[cell]

    out = [[shown((i, j)) for j in range(C)] for i in range(R)]
    counted = {cell for cell in withheld if cell[0] < R and cell[1] < C}
    return (
        out,
        [shown((i, C)) for i in range(R)],
        [shown((R, j)) for j in range(C)],
        shown((R, C)) if R and C else 0,
        len(counted),
    )


def _panel_counts(code: str, panel: PanelData) -> tuple[list[str], list[str], list[str], list[list[int]]]:
    """(row labels, row keys, column labels, counts) of a panel: its categories by its series."""
    if code == "origin_provinces":
        rows = [name for name, _n in panel.figures.get("provinces", [])]
        counts = [[n] for _name, n in panel.figures.get("provinces", [])]
        rows += [str(_("From abroad")), str(_("Origin not known"))]
        counts += [[panel.figures.get("abroad", 0)], [panel.figures.get("unknown", 0)]]
        return rows, [], [str(_("Living here now"))], counts
    columns = [s.name for s in panel.series]
    counts = [[int(s.data[i] or 0) for s in panel.series] for i in range(len(panel.categories))]
    return list(panel.categories), list(panel.keys), columns, counts


def build_table(code: str, area: str, k: int, *, today: dt.date | None = None) -> Table:
    """One open table of an area from the cells, suppressed with k; the area must already be checked."""
    panel_name, title = TABLES[code]
    panel = build_panel(panel_name, area, source="cells", today=today)
    rows, keys, columns, counts = _panel_counts(code, panel)
    # Rows without anyone say nothing and would only show which categories are empty.
    kept = [i for i, row in enumerate(counts) if any(row)]
    rows, counts = [rows[i] for i in kept], [counts[i] for i in kept]
    keys = [keys[i] for i in kept] if keys else []
    if not counts:
        return Table(code, str(title), [], columns, [], keys, [], [0] * len(columns), 0, 0)
    values, row_totals, column_totals, total, withheld = suppress(counts, k)
    return Table(code, str(title), rows, columns, values, keys, row_totals, column_totals, total, withheld)


# --- Through the hub ----------------------------------------------------------------------------------------------
def _refuse(context, request: dict, *, outcome: str = "refused", problems=None) -> None:
    hub.access_log(
        context=context,
        action=ACTION,
        dataset=DATASET,
        outcome=outcome,
        request=request,
        response={"outcome": outcome},
        extra={"way": WAY, "area": request.get("area") or ""},
    )
    if problems:
        raise InvalidInput(problems)
    raise PermissionDenied()


def open_tables(*, context: hub.CallContext, area: str | None = None, tables: list[str] | None = None) -> dict:
    """The granted tables of an area inside a grant of `open_aggregates` (way extract), counts under the area's k
    withheld; the call is logged whatever its outcome. The area defaults to the grant's.
    """
    area = (area or "").strip() or None
    wanted = [t.strip() for t in (tables or []) if t.strip()]
    request = {"area": area, "tables": wanted}
    grants = hub.grants_for(context.subsystem, DATASET, WAY)
    if not grants:
        _refuse(context, request)
    problems = []
    unknown = [t for t in wanted if t not in TABLES]
    if unknown:
        message = _("Not tables of %(dataset)s: %(tables)s") % {"dataset": DATASET, "tables": ", ".join(unknown)}
        problems.append(FieldProblem("tables", "insight.table_unknown", message))
    if area is not None and not Division.objects.filter(code=area).exists():
        problems.append(FieldProblem("area", "exchange.area_unknown", _("Not a division")))
    if problems:
        _refuse(context, request, outcome="invalid", problems=problems)
    if area is None:
        area = min(hub.granted_areas(grants), key=len)
        request["area"] = area
    covering = [g for g in grants if area.startswith(g.area_id)]
    if not covering:
        _refuse(context, request)
    granted = {name for g in covering for name in (g.fields or []) if name in TABLES}
    if any(t not in granted for t in wanted) or not granted:
        _refuse(context, request)
    codes = wanted or [code for code in TABLES if code in granted]
    k = threshold_for(area)
    today = china_today()
    fresh = freshness()
    built = [build_table(code, area, k, today=today).as_dict() for code in codes]
    response = {
        "area": area,
        "area_name": Division.objects.filter(code=area).values_list("name", flat=True).first() or "",
        "k": k,
        "as_of": fresh.get("as_of") or fresh.get("refreshed_at"),
        "tables": built,
    }
    if not context.purpose.strip():
        context.purpose = covering[0].purpose
    hub.access_log(
        context=context,
        action=ACTION,
        dataset=DATASET,
        outcome="answered",
        request=request,
        response=response,
        extra={"way": WAY, "area": area, "tables": codes, "k": k},
    )
    return response
