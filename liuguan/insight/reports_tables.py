"""A panel as tables, whatever its kind: what the workbook writes and the PDF prints beside each chart.

Every panel gives one main table (a row per category, a column per series) and a list of headline figures.
Figures are plain data of a few shapes (a number, a share, an estimate with its interval, a small dict by key,
a list as long as the categories, a list of pairs or of rows); each shape has one way to be shown, so a panel
added later prints without changes here. Figure names are machine keys: the known ones have labels below,
others are shown as their key.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

CONTEXT = "insight report"  # short words the site translates otherwise elsewhere ("Number" is an ID number there)

FIGURE_LABELS = {
    "provinces": pgettext_lazy("insight report", "By province of hukou"),
    "abroad": pgettext_lazy("insight report", "From abroad"),
    "unknown": pgettext_lazy("insight report", "Origin not known"),
    "houses": pgettext_lazy("insight report", "Rental houses"),
    "filed": pgettext_lazy("insight report", "With an active tenancy filing"),
    "unfiled": pgettext_lazy("insight report", "Without a tenancy filing"),
    "coverage": pgettext_lazy("insight report", "Filing coverage"),
    "occupied": pgettext_lazy("insight report", "Rental houses lived in now"),
    "occupied_unfiled": pgettext_lazy("insight report", "Lived in, not filed"),
    "occupied_coverage": pgettext_lazy("insight report", "Filing coverage of houses lived in"),
    "held": pgettext_lazy("insight report", "Permits held"),
    "valid": pgettext_lazy("insight report", "Valid"),
    "suspended": pgettext_lazy("insight report", "Suspended"),
    "by_status": pgettext_lazy("insight report", "By status"),
    "held_by_kind": pgettext_lazy("insight report", "Held, by kind"),
    "used_this_year": pgettext_lazy("insight report", "Used this year"),
    "year": pgettext_lazy("insight report", "Year"),
    "public": pgettext_lazy("insight report", "Public schools"),
    "private": pgettext_lazy("insight report", "Private schools"),
    "public_share": pgettext_lazy("insight report", "Share in public schools"),
    "on_time_share_12m": pgettext_lazy("insight report", "Registered on time, last 12 months"),
    "registered_12m": pgettext_lazy("insight report", "Registered, last 12 months"),
    "late_12m": pgettext_lazy("insight report", "Registered late, last 12 months"),
    "on_time_share_by_month": pgettext_lazy("insight report", "Share on time"),
    "stale_months": pgettext_lazy("insight report", "Stale after (months)"),
    "stale": pgettext_lazy("insight report", "Stale open stays"),
    "stale_share": pgettext_lazy("insight report", "Share stale"),
    "checked_12m": pgettext_lazy("insight report", "Checked, last 12 months"),
    "wrong_12m": pgettext_lazy("insight report", "Found wrong, last 12 months"),
    "unreachable_12m": pgettext_lazy("insight report", "Could not be verified, last 12 months"),
    "error_rate_12m": pgettext_lazy("insight report", "Error rate, last 12 months (stratified estimate)"),
    "closed_on_time": pgettext_lazy("insight report", "Closed on time"),
    "closed_late": pgettext_lazy("insight report", "Closed late"),
    "open": pgettext_lazy("insight report", "Open"),
    "open_overdue": pgettext_lazy("insight report", "Open, overdue"),
    "open_now": pgettext_lazy("insight report", "Open now"),
    "closed_on_time_share": pgettext_lazy("insight report", "Share closed on time"),
    # The forecast's figures.
    "method": pgettext_lazy("insight report", "Method"),
    "note": pgettext_lazy("insight report", "Note"),
    "series": pgettext_lazy("insight report", "Series"),
    "festival_window": pgettext_lazy("insight report", "Spring Festival window"),
    "backtest_origins": pgettext_lazy("insight report", "Back-test origins"),
    "mape": pgettext_lazy("insight report", "Back-test MAPE (%)"),
    "mase": pgettext_lazy("insight report", "Back-test MASE"),
    "relative_mae": pgettext_lazy("insight report", "Mean absolute error against the seasonal naive forecast"),
    "coverage80": pgettext_lazy("insight report", "Outcomes inside the 80% band"),
    "coverage95": pgettext_lazy("insight report", "Outcomes inside the 95% band"),
    "by_horizon": pgettext_lazy("insight report", "Back-test by months ahead"),
    "horizon": pgettext_lazy("insight report", "Months ahead"),
    "count": pgettext_lazy("insight report", "Forecasts"),
    "mae": pgettext_lazy("insight report", "MAE"),
}
SHARE_WORDS = ("share", "coverage", "rate")


def label(key: str) -> str:
    return str(FIGURE_LABELS[key]) if key in FIGURE_LABELS else key.replace("_", " ")


def is_share(key: str) -> bool:
    return any(word in key for word in SHARE_WORDS) and not key.startswith("stale_months")


def text(value, *, share: bool = False) -> str:
    """A figure as printed: shares as percentages, estimates as 'value (low-high)', thousands separated."""
    if value is None:
        return "-"
    if isinstance(value, dict) and "value" in value:
        if value.get("value") is None:
            return "-"
        low, high = value.get("low"), value.get("high")
        main = text(value["value"], share=True)
        return f"{main} ({text(low, share=True)}–{text(high, share=True)})" if low is not None else main
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, float):
        return f"{value:.1%}" if share and abs(value) <= 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@dataclass
class Table:
    title: str
    header: list[str]
    rows: list[list]
    shares: set[int] = field(default_factory=set)  # columns holding shares (0..1)


@dataclass
class PanelTables:
    main: Table
    figures: list[tuple[str, object, bool]]  # (label, value, is a share)
    extra: list[Table]  # figures that are tables of their own (pairs, rows)


def is_month(key: str) -> bool:
    """'yyyymm' (a county code has six digits too, but no month 01-12 after a year 1900-2199)."""
    return len(key) == 6 and key.isdigit() and 1900 <= int(key[:4]) < 2200 and 1 <= int(key[4:]) <= 12


def monthly(panel) -> bool:
    return panel.kind != "drill" and bool(panel.keys) and all(is_month(k) for k in panel.keys)


def category_header(panel) -> str:
    if panel.kind == "drill":
        return pgettext("insight report", "Area")
    if panel.kind == "pyramid":
        return pgettext("insight report", "Age")
    if monthly(panel):
        return pgettext("insight report", "Month")
    return pgettext("insight report", "Category")


def panel_tables(panel) -> PanelTables:
    """The main table, the headline figures and the figure tables of one panel (of any kind)."""
    n = len(panel.categories)
    header = [category_header(panel)]
    drill = panel.kind == "drill"
    if drill:
        header.append(pgettext("insight report", "Division code"))
    header += [s.name for s in panel.series]
    columns = [s.data for s in panel.series]
    shares = {len(header) - len(panel.series) + i for i, s in enumerate(panel.series) if _share_series(s.data)}
    figures, extra = [], []
    keyed = dict(zip(panel.keys, panel.categories, strict=False))
    for key, value in (panel.figures or {}).items():
        if value == [] or value == {}:
            continue
        if isinstance(value, list) and len(value) == n and n and all(not isinstance(v, (list, dict)) for v in value):
            header.append(label(key))
            columns.append(value)
            if is_share(key):
                shares.add(len(header) - 1)
        elif isinstance(value, list) and value and all(isinstance(v, (list, tuple)) for v in value):
            extra.append(
                Table(
                    label(key),
                    [pgettext("insight report", "Category"), pgettext("insight report", "Count")],
                    [list(v) for v in value],
                )
            )
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            keys = list(value[0])
            extra.append(
                Table(
                    label(key),
                    [label(k) for k in keys],
                    [[row.get(k) for k in keys] for row in value],
                    {i for i, k in enumerate(keys) if is_share(k)},
                )
            )
        elif isinstance(value, dict) and "value" not in value:
            # Sub-keys are the panel's category keys, or its series in order (a status per series), or known keys.
            by_series = dict(zip(value, (s.name for s in panel.series), strict=False))
            names = by_series if len(value) == len(panel.series) and not set(value) & set(keyed) else {}
            for sub, v in value.items():
                name = str(keyed.get(sub) or names.get(sub) or label(sub))
                figures.append((f"{label(key)}: {name}", v, is_share(key) or is_share(sub)))
        elif isinstance(value, list):
            figures.append((label(key), ", ".join(text(v, share=is_share(key)) for v in value), False))
        elif "year" in key and isinstance(value, int):
            figures.append((label(key), str(value), False))  # 2026, not 2,026
        else:
            figures.append((label(key), value, is_share(key)))
    rows = []
    for i, category in enumerate(panel.categories):
        row = [category]
        if drill:
            row.append(panel.keys[i] if i < len(panel.keys) else "")
        row += [col[i] if i < len(col) else None for col in columns]
        rows.append(row)
    return PanelTables(Table(str(panel.title), header, rows, shares), figures, extra)


def _share_series(data: list) -> bool:
    numbers = [v for v in data if v is not None]
    return bool(numbers) and any(isinstance(v, float) for v in numbers) and all(0 <= v <= 1 for v in numbers)
