"""What the cells count: one `Measure` per figure, written once and used twice.

A measure is a grouped count over a live table: which rows (`rows`), where each row lies (`community`, the
path to its 12-digit community code) and up to two keys (`k1`, `k2`, expressions giving short strings). The
rollup groups it by community and keys and stores the result as community cells (`rollup.py`); the direct
query (`counts_live`) groups the same rows inside an area by the keys alone. Tests and the benchmark compare
the two, so a cell can never mean something other than the live query it stands for.

Keys are strings: a month is 'yyyymm', a year 'yyyy', a code its digits, a choice its stored value, '' none.
Everything relative to today (an age, "overdue") is kept out of the keys where it can be (a birth year, not an
age) or is re-counted by the nightly rebuild.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import CharField, Count, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Coalesce, ExtractMonth, ExtractYear, Substr

from liuguan.core.scoping import within
from liuguan.registry.models import Stay


def yyyymm(field: str):
    """A date field's month as 'yyyymm' (NULL when the date is)."""
    return Cast(ExtractYear(field) * 100 + ExtractMonth(field), CharField(max_length=6))


def yyyy(field: str):
    return Cast(ExtractYear(field), CharField(max_length=4))


def text(field: str):
    """A nullable text field as '' when empty."""
    return Coalesce(F(field), Value(""), output_field=CharField())


@dataclass(frozen=True)
class Measure:
    code: str  # at most 16 characters, stored in every cell
    rows: Callable[[], QuerySet]  # the live rows counted (filters such as "still here" applied)
    community: str  # path from those rows to the 12-digit community code
    k1: object = None  # an expression giving the first key, or None
    k2: object = None
    count: object = None  # what one row adds (default: Count of primary keys)
    doc: str = ""

    def _keyed(self, where: Q | None) -> QuerySet:
        qs = self.rows().order_by()
        if where is not None:
            qs = qs.filter(where)
        return qs.annotate(
            cell_k1=self.k1 if self.k1 is not None else Value("", output_field=CharField()),
            cell_k2=self.k2 if self.k2 is not None else Value("", output_field=CharField()),
        )

    def _n(self):
        return self.count if self.count is not None else Count("pk")

    def by_community(self, where: Q | None = None) -> QuerySet:
        """(area, level, parent, measure, k1, k2, n) per community: the rows the rollup inserts."""
        return (
            self._keyed(where)
            .annotate(
                cell_area=F(self.community),
                cell_level=Value(12),
                cell_parent=Substr(self.community, 1, 9),
                cell_measure=Value(self.code, output_field=CharField()),
            )
            .values("cell_area", "cell_level", "cell_parent", "cell_measure", "cell_k1", "cell_k2")
            .annotate(cell_n=self._n())
            .values_list("cell_area", "cell_level", "cell_parent", "cell_measure", "cell_k1", "cell_k2", "cell_n")
        )

    def in_area(self, code: str) -> Q:
        return within(self.community, code)

    def live(self, code: str) -> dict[tuple[str, str], int]:
        """The direct query: counts by (k1, k2) over the live rows inside division `code`."""
        rows = (
            self._keyed(self.in_area(code))
            .values("cell_k1", "cell_k2")
            .annotate(cell_n=self._n())
            .values_list("cell_k1", "cell_k2", "cell_n")
        )
        return {(k1 or "", k2 or ""): n for k1, k2, n in rows if n}


def open_stays() -> QuerySet:
    return Stay.objects.filter(departed_on__isnull=True)


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> Measure:
    if len(measure.code) > 16 or measure.code in MEASURES:
        raise ValueError(f"measure code {measure.code!r} is too long or taken")
    MEASURES[measure.code] = measure
    return measure


# --- Stock and flows -----------------------------------------------------------------------------------------
register(Measure("stock", open_stays, "community_id", doc="open stays (people living here now)"))
register(
    Measure("arrivals", Stay.objects.all, "community_id", k1=yyyymm("arrived_on"), doc="stays by month of arrival")
)
register(
    Measure(
        "departures",
        lambda: Stay.objects.filter(departed_on__isnull=False),
        "community_id",
        k1=yyyymm("departed_on"),
        doc="stays by month of departure",
    )
)
# --- Who they are ---------------------------------------------------------------------------------------------
register(
    Measure(
        "sex_birth",
        open_stays,
        "community_id",
        k1=F("person__sex"),
        k2=yyyy("person__birth_date"),
        doc="open stays by the person's sex and year of birth (ages are counted at reading time)",
    )
)
register(
    Measure(
        "origin",
        open_stays,
        "community_id",
        k1=Substr("person__hukou_code", 1, 4),
        k2=F("person__nationality"),
        doc="open stays by hukou prefecture (4 digits; '' unknown) and nationality",
    )
)
register(Measure("reason", open_stays, "community_id", k1=F("reason"), doc="open stays by reason for moving"))
