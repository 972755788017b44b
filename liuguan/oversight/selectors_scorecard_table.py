"""The scorecard as a table of columns and cells: what the page shows is exactly what the export writes.

Each cell keeps its raw value (a count, a share, days) for the workbook and its text for the page; shares
with an interval read "12.3% (95% CI 9.8–15.1%)" and carry their notes as short explanations.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .selectors_scorecard import AREA_LEVELS, Scorecard, UnitRow
from .stats import Estimate

# Why to distrust a figure, for the codes in Estimate.notes (liuguan.oversight.stats and the omission estimates;
# the omission texts are the omission page's own, word for word, so they are translated once).
NOTES = {
    "no_sample": gettext_lazy("nothing to measure"),
    "small_sample": gettext_lazy("under 30 counted: the interval is wide"),
    "single_check_strata": gettext_lazy("some strata had one check only: their variance is unknown"),
    "strata_unchecked": gettext_lazy("some records' strata were not checked: the figure covers the checked ones"),
    "list_empty": gettext_lazy("One list is empty here: nothing can be estimated."),
    "no_overlap": gettext_lazy("Nobody is on both lists: the estimate has no upper limit worth the name."),
    "few_matches": gettext_lazy("Fewer than 7 people are on both lists: the estimate is biased and unstable."),
    "lists_small": gettext_lazy("The lists are too small for the usual approximations."),
    "list_inside_other": gettext_lazy("Everyone on one list is on the other: the upper limit is the exact one."),
    "strata_differ": gettext_lazy(
        "Both lists cover tenants and employees differently: the pooled figure is biased, the stratified one is used."
    ),
    "stratum_thin": gettext_lazy("A part of the domain has too few matches to be estimated on its own."),
    "design_effect_unmeasured": gettext_lazy(
        "Too few people to measure how much households are caught together: the interval may be too narrow."
    ),
}


@dataclass(frozen=True)
class Column:
    """A column: its key, its heading, its group heading, and the kind of value its cells hold."""

    key: str
    header: str
    group: str
    kind: str  # rank, text, int, change_int, estimate, share, change_pp, days, change_days


@dataclass
class Cell:
    """One value of the table, raw for the workbook and as text for the page."""

    kind: str
    value: object = None
    low: float | None = None
    high: float | None = None
    notes: list[str] = field(default_factory=list)
    display: str = "—"
    key: str = ""
    marks: list[int] = field(default_factory=list)  # the notes' numbers in the table's legend

    @property
    def main(self) -> str:
        """The figure without its interval: the page sets the interval on a line of its own."""
        return self.display.split(" (", 1)[0] if self.kind == "estimate" else self.display

    @property
    def interval(self) -> str:
        return "(" + self.display.split(" (", 1)[1] if self.kind == "estimate" and " (" in self.display else ""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def estimate_text(estimate: Estimate | None) -> str:
    """A share as 12.3% (95% CI 9.8–15.1%), or the point alone without an interval, or a dash for no figure."""
    if estimate is None or estimate.value is None:
        return "—"
    if estimate.low is None or estimate.high is None:
        return percent(estimate.value)
    return _("%(value)s (95%% CI %(low).1f–%(high).1f%%)") % {
        "value": percent(estimate.value),
        "low": 100 * estimate.low,
        "high": 100 * estimate.high,
    }


def _signed(value, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:+.1f}" if isinstance(value, float) else f"{value:+d}"
    return f"{text}{unit}"


def _cell(kind: str, value=None) -> Cell:
    if kind == "estimate":
        estimate = value
        if estimate is None or estimate.value is None:
            notes = [str(NOTES.get(n, n)) for n in getattr(estimate, "notes", ()) if n != "no_sample"]
            return Cell(kind, notes=notes)
        return Cell(
            kind,
            value=estimate.value,
            low=estimate.low,
            high=estimate.high,
            notes=[str(NOTES.get(n, n)) for n in estimate.notes],
            display=estimate_text(estimate),
        )
    if value is None:
        return Cell(kind)
    if kind == "share":
        return Cell(kind, value, display=percent(value))
    if kind == "change_pp":
        return Cell(kind, round(100 * value, 1), display=_signed(round(100 * value, 1), _(" pp")))
    if kind in ("change_int", "change_days"):
        return Cell(kind, value, display=_signed(value))
    return Cell(kind, value, display=str(value))


def _difference(a, b):
    return None if a is None or b is None else a - b


def columns(card: Scorecard) -> list[Column]:
    """The columns the scorecard shows at its level, with the other parts' figures where they are installed."""
    period, before, changed = _("This period"), _("Previous period"), _("Change from the previous period")
    out = [
        Column("rank", _("Rank"), "", "rank"),
        Column("unit", str(card.level_label), "", "text"),
        Column("registrations", _("Registrations"), period, "int"),
        Column("on_time", _("On time"), period, "estimate"),
        Column("median_lag", _("Median lag (days)"), period, "days"),
        Column("p90_lag", _("90th percentile lag (days)"), period, "days"),
        Column("registrations_prev", _("Registrations"), before, "int"),
        Column("on_time_prev", _("On time"), before, "share"),
        Column("median_lag_prev", _("Median lag (days)"), before, "days"),
        Column("p90_lag_prev", _("90th percentile lag (days)"), before, "days"),
        Column("registrations_change", _("Registrations"), changed, "change_int"),
        Column("on_time_change", _("On time"), changed, "change_pp"),
        Column("median_lag_change", _("Median lag"), changed, "change_days"),
        Column("open_stays", _("Open stays"), _("Now"), "int"),
        Column(
            "stale",
            _("Not verified for over %(n)d months") % {"n": card.stale_months},
            _("Now"),
            "estimate",
        ),
        Column("rejected", _("Rows rejected"), _("At entry (batch imports)"), "int"),
        Column("import_rows", _("Rows imported"), _("At entry (batch imports)"), "int"),
        Column("rejected_share", _("Share rejected"), _("At entry (batch imports)"), "share"),
    ]
    if card.available.get("error"):
        spot = _("Spot checks")
        out += [
            Column("error", _("Error rate"), spot, "estimate"),
            Column("checked", _("Records checked"), spot, "int"),
            Column("wrong", _("Records wrong"), spot, "int"),
        ]
    if card.available.get("feedback"):
        tasks = _("Feedback tasks")
        out += [
            Column("feedback_open", _("Open"), tasks, "int"),
            Column("feedback_overdue", _("Overdue"), tasks, "int"),
            Column("feedback_fixed", _("Fixed"), tasks, "int"),
        ]
    if card.available.get("cards"):
        supervision = _("Grid supervision")
        out += [
            Column("yellow_cards", _("Yellow cards"), supervision, "int"),
            Column("red_cards", _("Red cards"), supervision, "int"),
        ]
    if card.available.get("omission") and card.level in AREA_LEVELS:
        omitted = _("Omission (capture-recapture)")
        out += [Column("omission", _("Share missed by collectors"), omitted, "estimate")]
    return out


def _values(row: UnitRow) -> dict:
    now, before = row.current, row.previous
    error, feedback, omission = row.error, row.feedback, row.omission
    return {
        "rank": row.rank,
        "unit": str(row.name),
        "registrations": now.registrations,
        "on_time": now.on_time,
        "median_lag": now.median_lag,
        "p90_lag": now.p90_lag,
        "registrations_prev": before.registrations,
        "on_time_prev": before.on_time.value,
        "median_lag_prev": before.median_lag,
        "p90_lag_prev": before.p90_lag,
        "registrations_change": now.registrations - before.registrations,
        "on_time_change": _difference(now.on_time.value, before.on_time.value),
        "median_lag_change": _difference(now.median_lag, before.median_lag),
        "open_stays": now.open_stays,
        "stale": now.staleness,
        "rejected": now.rejected,
        "import_rows": now.import_rows,
        "rejected_share": now.rejected_share,
        "error": getattr(error, "estimate", None),
        "checked": getattr(error, "checked", None),
        "wrong": getattr(error, "wrong", None),
        "feedback_open": getattr(feedback, "open", None),
        "feedback_overdue": getattr(feedback, "overdue", None),
        "feedback_fixed": getattr(feedback, "fixed", None),
        "omission": getattr(omission, "rate", None),
        "yellow_cards": getattr(row.cards, "yellow", None),
        "red_cards": getattr(row.cards, "red", None),
    }


def row_cells(cols: list[Column], row: UnitRow) -> list[Cell]:
    values = _values(row)
    cells = [_cell(c.kind, values[c.key]) for c in cols]
    for c, cell in zip(cols, cells, strict=True):
        cell.key = c.key
    return cells


@dataclass
class TableRow:
    row: UnitRow
    cells: list[Cell]


@dataclass
class Table:
    columns: list[Column]
    rows: list[TableRow]
    total: TableRow
    notes: list[str] = field(default_factory=list)

    @property
    def groups(self) -> list[tuple[str, int]]:
        """Group headings with the number of columns each spans, in order."""
        out: list[tuple[str, int]] = []
        for c in self.columns:
            if out and out[-1][0] == c.group:
                out[-1] = (c.group, out[-1][1] + 1)
            else:
                out.append((c.group, 1))
        return out


def scorecard_table(card: Scorecard) -> Table:
    cols = columns(card)
    total = TableRow(card.total, row_cells(cols, card.total))
    label = _("Total: %(area)s") % {"area": card.total.name}
    total.cells[1] = Cell("text", label, display=label, key="unit")
    table = Table(cols, [TableRow(r, row_cells(cols, r)) for r in card.rows], total)
    # Each distinct note once, numbered in order of appearance; cells point to it by number.
    numbers: dict[str, int] = {}
    for row in [*table.rows, table.total]:
        for cell in row.cells:
            cell.marks = [numbers.setdefault(note, len(numbers) + 1) for note in cell.notes]
    table.notes = list(numbers)
    return table
