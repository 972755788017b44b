"""The dashboard's panels, each built from counts that come either from the cells or from the live tables.

A panel is a function `build(source, area, today) -> PanelData`. `CellSource` reads the rollup (what pages,
reports and the open data use); `LiveSource` runs the direct grouped query over the live tables (what the tests
and the benchmark compare the cells with). Both give the same dictionaries, so a panel cannot tell them apart,
and `panel_equal_test` style checks are just `build(CellSource) == build(LiveSource)`.

PanelData is plain data (labels and numbers), not an ECharts option: the page turns it into charts, the
report into a workbook sheet and a matplotlib figure, the open data into a table.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from django.db.models import Count, F, Sum
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from liuguan.geo.models import CODE_LENGTHS
from liuguan.geo.names import division_names, national_names

from .measures import MEASURES
from .models import Cell

CHILD_LENGTH = {2: 4, 4: 6, 6: 9, 9: 12}


@dataclass
class Series:
    name: str
    data: list
    stack: str = ""
    kind: str = ""  # "bar", "line", ...; empty: the panel's kind


@dataclass
class PanelData:
    name: str
    title: str
    kind: str  # "bar", "line", "pie", "pyramid", "table", "drill"
    categories: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)  # machine keys of the categories (division codes for drill)
    total: int | None = None
    figures: dict = field(default_factory=dict)  # headline numbers (name -> value), e.g. a coverage share
    note: str = ""

    def as_dict(self) -> dict:
        data = asdict(self)
        data["title"] = str(self.title)
        data["note"] = str(self.note)
        return data


class CellSource:
    """Counts read from the rollup cells."""

    name = "cells"

    def __init__(self, area: str):
        self.area = area

    def counts(self, measure: str) -> dict[tuple[str, str], int]:
        rows = Cell.objects.filter(area=self.area, measure=measure).values_list("k1", "k2", "n")
        return {(k1, k2): n for k1, k2, n in rows if n}

    def children(self, measure: str) -> dict[str, int]:
        """The measure's total per child area (only children with something counted)."""
        rows = (
            Cell.objects.filter(parent=self.area, measure=measure)
            .values("area")
            .annotate(total=Sum("n"))
            .values_list("area", "total")
        )
        return {area: total for area, total in rows if total}


class LiveSource:
    """Counts from a direct grouped query over the live tables (no cells)."""

    name = "live"

    def __init__(self, area: str):
        self.area = area

    def counts(self, measure: str) -> dict[tuple[str, str], int]:
        return MEASURES[measure].live(self.area)

    def children(self, measure: str) -> dict[str, int]:
        m = MEASURES[measure]
        length = CHILD_LENGTH.get(len(self.area))
        if length is None:
            return {}
        rows = (
            m.rows()
            .order_by()
            .filter(m.in_area(self.area))
            .annotate(child=Substr(m.community, 1, length))
            .values("child")
            .annotate(total=m.count if m.count is not None else Count("pk"))
            .values_list("child", "total")
        )
        return {child: total for child, total in rows if total}


def by_k1(counts: dict[tuple[str, str], int]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for (k1, _k2), n in counts.items():
        out[k1] += n
    return dict(out)


def months_between(first: str, last: str) -> list[str]:
    """Every 'yyyymm' from first to last inclusive."""
    y, m = int(first[:4]), int(first[4:])
    out = []
    while f"{y:04d}{m:02d}" <= last:
        out.append(f"{y:04d}{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def month_label(yyyymm: str) -> str:
    return f"{yyyymm[:4]}-{yyyymm[4:]}"


# --- The panels ------------------------------------------------------------------------------------------------
PANELS: dict[str, Callable] = {}
TITLES: dict[str, object] = {}


def panel(name: str, title):
    def register(build):
        PANELS[name] = build
        TITLES[name] = title
        return build

    return register


@panel("children", _("Migrants living here now, by area below"))
def children_panel(source, area: str, today: dt.date) -> PanelData:
    """Open stays per child area, largest first: the drill-down (a click opens that area)."""
    counts = source.children("stock")
    names = division_names(counts)
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return PanelData(
        name="children",
        title=TITLES["children"],
        kind="drill",
        categories=[names.get(code, code) for code, _n in ordered],
        keys=[code for code, _n in ordered],
        series=[Series(str(_("Living here now")), [n for _c, n in ordered])],
        total=sum(counts.values()),
    )


def monthly_flows(source, today: dt.date, months: int | None = None) -> tuple[list[str], list[int], list[int], list[int]]:
    """(months, arrivals, departures, stock at each month's end) from the first arrival to this month."""
    arrivals = by_k1(source.counts("arrivals"))
    departures = by_k1(source.counts("departures"))
    this_month = f"{today.year:04d}{today.month:02d}"
    known = [m for m in (*arrivals, *departures) if m and m <= this_month]
    if not known:
        return [], [], [], []
    axis = months_between(min(known), this_month)
    stock, running = [], 0
    # Arrivals dated after this month (data errors) are not counted in the stock series.
    for month in axis:
        running += arrivals.get(month, 0) - departures.get(month, 0)
        stock.append(running)
    if months:
        axis, stock = axis[-months:], stock[-months:]
    return axis, [arrivals.get(m, 0) for m in axis], [departures.get(m, 0) for m in axis], stock


@panel("flows", _("Stock and flows by month"))
def flows_panel(source, area: str, today: dt.date) -> PanelData:
    axis, arrivals, departures, stock = monthly_flows(source, today, months=60)
    return PanelData(
        name="flows",
        title=TITLES["flows"],
        kind="line",
        categories=[month_label(m) for m in axis],
        keys=axis,
        series=[
            Series(str(_("Living here at the month's end")), stock, kind="line"),
            Series(str(_("Arrivals")), arrivals, kind="bar"),
            Series(str(_("Departures")), departures, kind="bar"),
        ],
        total=stock[-1] if stock else 0,
    )


AGE_BANDS = [(lo, lo + 4) for lo in range(0, 80, 5)] + [(80, 200)]


def _band(age: int) -> int:
    return min(age // 5, len(AGE_BANDS) - 1)


@panel("pyramid", _("Age and sex"))
def pyramid_panel(source, area: str, today: dt.date) -> PanelData:
    """Open stays by sex and five-year age band; the age is the one reached this year (year - birth year)."""
    men = [0] * len(AGE_BANDS)
    women = [0] * len(AGE_BANDS)
    for (sex, year), n in source.counts("sex_birth").items():
        if not year.isdigit():
            continue
        band = _band(max(today.year - int(year), 0))
        if sex == "M":
            men[band] += n
        elif sex == "F":
            women[band] += n
    labels = [f"{lo}-{hi}" if hi < 200 else f"{lo}+" for lo, hi in AGE_BANDS]
    return PanelData(
        name="pyramid",
        title=TITLES["pyramid"],
        kind="pyramid",
        categories=labels,
        series=[Series(str(_("Men")), men), Series(str(_("Women")), women)],
        total=sum(men) + sum(women),
    )


@panel("origins", _("Where they come from (hukou)"))
def origins_panel(source, area: str, today: dt.date) -> PanelData:
    """Open stays by hukou province and, for the largest, prefecture; foreigners by nationality."""
    names = national_names()
    provinces: dict[str, int] = defaultdict(int)
    prefectures: dict[str, int] = defaultdict(int)
    abroad = unknown = 0
    for (prefecture, nationality), n in source.counts("origin").items():
        if nationality and nationality != "CHN":
            abroad += n
        elif len(prefecture) == 4 and prefecture.isdigit():
            provinces[prefecture[:2]] += n
            prefectures[prefecture] += n
        else:
            unknown += n
    top = sorted(prefectures.items(), key=lambda item: (-item[1], item[0]))[:15]
    by_province = sorted(provinces.items(), key=lambda item: (-item[1], item[0]))
    return PanelData(
        name="origins",
        title=TITLES["origins"],
        kind="bar",
        categories=[names.get(code, code) for code, _n in top],
        keys=[code for code, _n in top],
        series=[Series(str(_("Living here now")), [n for _c, n in top])],
        total=sum(provinces.values()) + abroad + unknown,
        figures={
            "provinces": [[names.get(code, code), n] for code, n in by_province],
            "abroad": abroad,
            "unknown": unknown,
        },
    )


def choice_panel(name: str, measure: str, choices, *, empty_label) -> Callable:
    """A panel of one measure keyed by a model choice (k1), largest first, '' shown as `empty_label`."""

    def build(source, area: str, today: dt.date) -> PanelData:
        counts = by_k1(source.counts(measure))
        labels = dict(choices)
        ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return PanelData(
            name=name,
            title=TITLES[name],
            kind="bar",
            categories=[str(labels.get(k, k)) if k else str(empty_label) for k, _n in ordered],
            keys=[k for k, _n in ordered],
            series=[Series(str(_("Living here now")), [n for _k, n in ordered])],
            total=sum(counts.values()),
        )

    return build


def _reason_choices():
    from liuguan.registry.models import Stay

    return Stay._meta.get_field("reason").choices


PANELS["reasons"] = choice_panel("reasons", "reason", _reason_choices(), empty_label=_("Not stated"))
TITLES["reasons"] = _("Why they came")


def panel_names() -> list[str]:
    return list(PANELS)


def build_panel(name: str, area: str, *, source: str = "cells", today: dt.date | None = None) -> PanelData:
    """One panel of one area; `area` must already be checked against the reader's jurisdiction."""
    from liuguan.core.identity import china_today

    if len(area) not in CODE_LENGTHS:
        raise ValueError(f"not a division code: {area!r}")
    src = CellSource(area) if source == "cells" else LiveSource(area)
    return PANELS[name](src, area, today or china_today())


def build_all(area: str, *, source: str = "cells", today: dt.date | None = None) -> dict[str, PanelData]:
    return {name: build_panel(name, area, source=source, today=today) for name in PANELS}
