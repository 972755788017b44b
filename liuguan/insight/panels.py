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

from django.db.models import Count, Sum
from django.utils.translation import gettext_lazy as _

from liuguan.geo.models import CODE_LENGTHS
from liuguan.geo.names import PLACEHOLDER_PREFECTURES, division_names, national_names

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
        if length is None or length > m.level:
            return {}
        rows = (
            m.rows()
            .order_by()
            .filter(m.in_area(self.area))
            .annotate(child=m.location(length))
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


def monthly_flows(
    source, today: dt.date, months: int | None = None
) -> tuple[list[str], list[int], list[int], list[int]]:
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
        keys=labels,
        series=[Series(str(_("Men")), men), Series(str(_("Women")), women)],
        total=sum(men) + sum(women),
    )


def prefecture_name(code: str, names: dict[str, str]) -> str:
    """A prefecture as a reader knows it: a municipality's placeholder groups (市辖区, 县) by the municipality."""
    name = names.get(code, code)
    if name in PLACEHOLDER_PREFECTURES:
        province = names.get(code[:2], code[:2])
        return province if name == "市辖区" else f"{province}（{name}）"
    return name


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
        categories=[prefecture_name(code, names) for code, _n in top],
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


# --- Work and housing -------------------------------------------------------------------------------------------
def _industry_choices():
    from liuguan.registry.codes import Industry

    return Industry.choices


PANELS["industries"] = choice_panel(
    "industries", "industry", _industry_choices(), empty_label=_("No employer recorded")
)
TITLES["industries"] = _("Industries they work in")


def _housing_choices():
    from liuguan.registry.codes import HouseKind

    return [*HouseKind.choices, ("lodging", _("Hotel or guest house"))]


PANELS["housing"] = choice_panel("housing", "housing", _housing_choices(), empty_label=_("No house recorded"))
TITLES["housing"] = _("Where they live (kind of house)")


def share(part: int, whole: int) -> float | None:
    """part/whole rounded to four places, None when there is nothing to divide by."""
    return round(part / whole, 4) if whole else None


@panel("tenancy", _("Tenancy filing coverage of rental houses"))
def tenancy_panel(source, area: str, today: dt.date) -> PanelData:
    """Rental houses with an active tenancy filing and without, lived in now or empty; coverage = filed share."""
    counts = source.counts("tenancy")
    occupied = [counts.get(("filed", "occupied"), 0), counts.get(("unfiled", "occupied"), 0)]
    empty = [counts.get(("filed", "empty"), 0), counts.get(("unfiled", "empty"), 0)]
    filed, unfiled = occupied[0] + empty[0], occupied[1] + empty[1]
    return PanelData(
        name="tenancy",
        title=TITLES["tenancy"],
        kind="bar",
        categories=[str(_("With an active filing")), str(_("Without a filing"))],
        keys=["filed", "unfiled"],
        series=[
            Series(str(_("Lived in now")), occupied, stack="houses"),
            Series(str(_("Empty")), empty, stack="houses"),
        ],
        total=filed + unfiled,
        figures={
            "houses": filed + unfiled,
            "filed": filed,
            "unfiled": unfiled,
            "coverage": share(filed, filed + unfiled),
            "occupied": sum(occupied),
            "occupied_unfiled": occupied[1],
            "occupied_coverage": share(occupied[0], sum(occupied)),
        },
        note=str(_("Rental houses (or houses marked as rented out); a filing counts while it is active.")),
    )


# --- Permits and rights -----------------------------------------------------------------------------------------
PERMIT_KINDS = {
    "permit": _("Residence permit"),
    "temporary": _("Temporary residence permit"),
    "formal": _("Residence permit (formal)"),
}
# The order statuses are shown in; the first three are permits held now.
PERMIT_STATUSES = ("valid", "issued", "suspended", "expired", "revoked", "replaced", "upgraded")
HELD = ("valid", "issued", "suspended")


def _permit_status_labels() -> dict:
    from liuguan.permits.models import Permit

    return dict(Permit.Status.choices)


@panel("permits", _("Residence permits held"))
def permits_panel(source, area: str, today: dt.date) -> PanelData:
    """Permits by kind (categories) and status (stacked series); held = valid, issued or suspended."""
    counts = source.counts("permits")
    kinds = sorted(
        {kind for kind, _status in counts}, key=lambda k: (list(PERMIT_KINDS).index(k) if k in PERMIT_KINDS else 99, k)
    )
    statuses = [s for s in PERMIT_STATUSES if any(st == s for _k, st in counts)]
    statuses += sorted({st for _k, st in counts} - set(statuses))
    labels = _permit_status_labels()
    by_status: dict[str, int] = defaultdict(int)
    for (_kind, status), n in counts.items():
        by_status[status] += n
    held = sum(by_status.get(s, 0) for s in HELD)
    return PanelData(
        name="permits",
        title=TITLES["permits"],
        kind="bar",
        categories=[str(PERMIT_KINDS.get(k, k)) for k in kinds],
        keys=kinds,
        series=[
            Series(str(labels.get(st, st)), [counts.get((k, st), 0) for k in kinds], stack="status") for st in statuses
        ],
        total=held,
        figures={
            "held": held,
            "valid": by_status.get("valid", 0),
            "suspended": by_status.get("suspended", 0),
            "by_status": {st: by_status[st] for st in statuses},
            "held_by_kind": {k: sum(counts.get((k, s), 0) for s in HELD) for k in kinds},
        },
    )


# Each right and the records that show it used: (measure, label, statuses counted as used, statuses still waiting).
RIGHTS = (
    ("right_school", _("Compulsory education (school place applications)"), ("placed",), ("submitted", "checked")),
    ("right_training", _("Subsidised vocational training"), ("enrolled", "completed"), ()),
    ("right_treatment", _("Medical treatment away from the insured place"), ("approved",), ("filed",)),
    ("right_jobs", _("Public employment services (job seekers)"), ("seeking", "employed"), ()),
    ("right_legal_aid", _("Legal aid"), ("accepted", "handled", "closed"), ("opened", "referred")),
)


@panel("rights", _("Rights used"))
def rights_panel(source, area: str, today: dt.date) -> PanelData:
    """Per right: records that show it used, still waiting, or refused/ended; all years, and this year in figures."""
    used, waiting, other = [], [], []
    this_year: dict[str, int] = {}
    year = str(today.year)
    for measure, _label, used_statuses, waiting_statuses in RIGHTS:
        counts = source.counts(measure)
        u = w = o = 0
        for (status, y), n in counts.items():
            if status in used_statuses:
                u += n
                if y == year:
                    this_year[measure] = this_year.get(measure, 0) + n
            elif status in waiting_statuses:
                w += n
            else:
                o += n
        used.append(u)
        waiting.append(w)
        other.append(o)
    return PanelData(
        name="rights",
        title=TITLES["rights"],
        kind="bar",
        categories=[str(label) for _m, label, _u, _w in RIGHTS],
        keys=[m for m, _l, _u, _w in RIGHTS],
        series=[
            Series(str(_("Used")), used, stack="records"),
            Series(str(_("Waiting")), waiting, stack="records"),
            Series(str(_("Refused, withdrawn or ended")), other, stack="records"),
        ],
        total=sum(used),
        figures={"used_this_year": {m: this_year.get(m, 0) for m, _l, _u, _w in RIGHTS}, "year": today.year},
        note=str(
            _(
                "Records of each service a residence permit opens, where the service is given; remote treatment is "
                "filed per county, so a township or community shows none."
            )
        ),
    )


# --- Children at school -----------------------------------------------------------------------------------------
@panel("schools", _("Children at school, public and private"))
def schools_panel(source, area: str, today: dt.date) -> PanelData:
    """Open school records by level (categories) and the school's kind (series), at schools inside the area."""
    from liuguan.livelihood.schooling.models import Level, SchoolKind

    counts = source.counts("schools")
    levels = [value for value, _l in Level.choices if any(level == value for _k, level in counts)]
    levels += sorted({level for _k, level in counts} - set(levels))
    level_labels = dict(Level.choices)
    kinds = [value for value, _l in SchoolKind.choices]
    kind_labels = dict(SchoolKind.choices)
    by_kind = {k: sum(n for (kind, _lv), n in counts.items() if kind == k) for k in kinds}
    total = sum(counts.values())
    return PanelData(
        name="schools",
        title=TITLES["schools"],
        kind="bar",
        categories=[str(level_labels.get(lv, lv)) for lv in levels],
        keys=levels,
        series=[Series(str(kind_labels[k]), [counts.get((k, lv), 0) for lv in levels], stack="kind") for k in kinds],
        total=total,
        figures={**by_kind, "public_share": share(by_kind.get("public", 0), total)},
        note=str(_("Open school records, counted where the school is.")),
    )


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


# The data-quality and grid panels live in their own module; importing it registers them after the ones above.
from . import panels_quality  # noqa: E402, F401
