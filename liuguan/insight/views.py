"""Pages of macro decision: the dashboard of an area (every panel as a chart, drill-down by clicking)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.identity import china_today
from liuguan.core.permissions import page

from .panels import PanelData
from .reports import previous_month_start, report_request
from .selectors import FORECAST_SERIES, dashboard, dashboard_area, may_read_live
from .selectors_reports import report_file, report_list

# Names of the panels' headline figures (PanelData.figures keys); a key not listed is shown as it is.
FIGURE_LABELS = {
    "provinces": _("By hukou province"),
    "abroad": _("From abroad"),
    "unknown": _("Origin not known"),
    "houses": _("Houses"),
    "filed": _("Houses with a filing"),
    "unfiled": _("Not filed"),
    "coverage": _("Filing coverage"),
    "occupied": _("Lived in now"),
    "occupied_unfiled": _("Lived in, not filed"),
    "occupied_coverage": _("Coverage of houses lived in"),
    "held": _("Held"),
    "valid": _("Valid"),
    "suspended": _("Suspended"),
    "by_status": _("By status"),
    "held_by_kind": _("By kind"),
    "used_this_year": _("Used this year"),
    "year": _("Year counted"),
    "public": _("Public schools"),
    "private": _("Private schools"),
    "public_share": _("Share in public schools"),
    "registered_12m": _("Registered, last 12 months"),
    "late_12m": _("Late, last 12 months"),
    "on_time_share_12m": _("On time, last 12 months"),
    "stale_months": _("Stale after (months)"),
    "stale": _("Stale"),
    "stale_share": _("Stale share"),
    "checked_12m": _("Checked, last 12 months"),
    "wrong_12m": _("Wrong, last 12 months"),
    "unreachable_12m": _("Unreachable, last 12 months"),
    "error_rate_12m": _("Error rate, last 12 months"),
    "closed_on_time": _("Closed on time"),
    "closed_late": _("Closed late"),
    "open": _("Open events"),
    "open_overdue": _("Open, overdue"),
    "open_now": _("Open now"),
    "closed_on_time_share": _("Closed on time, share"),
}
SHARE_WORDS = ("share", "coverage", "rate")


def _label(key: str) -> str:
    return str(FIGURE_LABELS.get(key, key.replace("_", " ")))


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def _scalar(key: str, value) -> str | None:
    """A headline figure as text: counts as they are, shares as percentages (with their interval), none as a dash."""
    if value is None:
        return "—"
    if isinstance(value, dict) and "value" in value:
        if value["value"] is None:
            return "—"
        if value.get("low") is not None and value.get("high") is not None:
            return f"{_percent(value['value'])} ({_percent(value['low'])}–{_percent(value['high'])})"
        return _percent(value["value"])
    if isinstance(value, float) and any(word in key for word in SHARE_WORDS) and 0 <= value <= 1:
        return _percent(value)
    if isinstance(value, bool | int | float | str):
        return str(value)
    return None


def _figure_tables(panel: PanelData) -> tuple[list, list]:
    """The panel's headline figures as text, and its lists of (label, number) pairs shown as tables of their own."""
    scalars, lists = [], []
    for key, value in panel.figures.items():
        text = _scalar(key, value)
        if text is not None:
            scalars.append((key, _label(key), text))
        elif isinstance(value, list | tuple):
            pairs = [pair for pair in value if isinstance(pair, list | tuple) and len(pair) == 2]
            if pairs:
                lists.append((key, _label(key), pairs))
        elif isinstance(value, dict):
            lists.append((key, _label(key), [(_label(k), v) for k, v in value.items()]))
    return scalars, lists


def _table(panel: PanelData) -> list[dict]:
    """Rows of the panel's figures table: one per category, a number per series (what the chart draws)."""
    rows = []
    for index, label in enumerate(panel.categories):
        rows.append(
            {
                "label": label,
                "key": panel.keys[index] if index < len(panel.keys) else "",
                "values": [s.data[index] if index < len(s.data) else None for s in panel.series],
            }
        )
    return rows


@page("insight.view")
def dashboard_page(request):
    """The dashboard of an area of the reader's jurisdiction: stock, flows, pyramid, origins and every panel."""
    try:
        board = dashboard(user=request.user, area=request.GET.get("area"), source=request.GET.get("source"))
    except NotFound as exc:
        raise Http404 from exc
    cards = []
    for panel in board.panels:
        scalars, lists = _figure_tables(panel)
        cards.append({"panel": panel, "rows": _table(panel), "scalars": scalars, "lists": lists})
    here = {"area": board.area.code}
    context = {
        "board": board,
        "cards": cards,
        "panels_json": {
            "area": board.area.code,
            "source": board.source,
            "panels": [p.as_dict() for p in board.panels],
            "figure_labels": {key: str(label) for key, label in FIGURE_LABELS.items()},
            "labels": {
                "other": str(_("Others")),
                "observed": str(_("Observed")),
                "forecast": str(_("Forecast")),
                "forecast_failed": str(_("The forecast could not be made just now.")),
            },
        },
        "may_live": may_read_live(request.user),
        "live_url": "?" + urlencode({**here, "source": "live"}),
        "cells_url": "?" + urlencode(here),
        "reports_url": reverse("insight:reports") + "?" + urlencode(here),
        "forecast_url": reverse("api:insight_forecast"),
        "forecast_series": _forecast_series(),
        "source_query": "&source=live" if board.source == "live" else "",
    }
    return render(request, "insight/dashboard.html", context)


def _forecast_series() -> list[tuple[str, str]]:
    from .forecast import SERIES

    return [(key, str(SERIES[key])) for key in FORECAST_SERIES]


@page("insight.view")
def reports_page(request):
    """The monthly reports of an area and the areas below it, newest month first, with their downloads."""
    code = request.GET.get("area") or None
    try:
        area = dashboard_area(user=request.user, area=code)
    except NotFound as exc:
        raise Http404 from exc
    return _reports_render(request, area, own_only=code is not None)


def _reports_render(request, area, *, own_only=True, problems=None, month=None, status=200):
    """Asked for an area: that area's own reports; otherwise every report of the reader's jurisdiction."""
    reports = report_list(request.user, area=area.code if own_only else None)
    default_month = previous_month_start(china_today())
    context = {
        "area": area,
        "reports": reports,
        "own_only": own_only,
        "may_request": request.user.can("insight.report"),
        "month": month or default_month.strftime("%Y-%m"),
        "max_month": china_today().strftime("%Y-%m"),
        "problems": problems or [],
        "dashboard_url": reverse("insight:dashboard") + "?" + urlencode({"area": area.code}),
    }
    return render(request, "insight/reports.html", context, status=status)


@require_POST
@page("insight.report")
def report_request_page(request):
    """Queue the monthly report of an area and month; the list shows it as queued until the job runner is done."""
    code, month = request.POST.get("area"), request.POST.get("month")
    try:
        report = report_request(actor=request.user, area=code, month=month)
    except NotFound as exc:
        raise Http404 from exc
    except InvalidInput as exc:
        try:
            area = dashboard_area(user=request.user, area=code)
        except NotFound as missing:
            raise Http404 from missing
        return _reports_render(request, area, problems=exc.problems, month=month, status=400)
    messages.success(request, _("The report is queued; it is usually ready within a minute."))
    return redirect(reverse("insight:reports") + "?" + urlencode({"area": report.area_id}))


@page("insight.view")
def report_download(request, report_id: int, kind: str):
    """The workbook or PDF of a finished report inside the reader's jurisdiction (missing otherwise)."""
    try:
        found = report_file(request.user, report_id, kind)
    except NotFound as exc:
        raise Http404 from exc
    return FileResponse(
        found.path.open("rb"), as_attachment=True, filename=found.filename, content_type=found.content_type
    )
