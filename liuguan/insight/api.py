"""Macro decision over the API: the dashboard's panels, forecasts and reports (OpenAPI under /api/insight)."""

import datetime as dt

from django.http import FileResponse, Http404
from django.urls import reverse
from ninja import Query, Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from .panels import PanelData
from .reports import report_request
from .selectors import area_forecast, dashboard, dashboard_panel
from .selectors_reports import report_file, report_list

router = Router(tags=["insight"])


class PanelQuery(Schema):
    area: str | None = None
    source: str | None = None


class SeriesOut(Schema):
    name: str
    data: list
    stack: str = ""
    kind: str = ""


class PanelOut(Schema):
    name: str
    title: str
    kind: str
    categories: list[str]
    keys: list[str]
    series: list[SeriesOut]
    total: int | None = None
    figures: dict = {}
    note: str = ""


class FreshnessOut(Schema):
    built: bool
    as_of: dt.datetime | None = None
    refreshed_at: dt.datetime | None = None
    rebuilt_at: dt.datetime | None = None
    pending: int
    oldest_pending_at: dt.datetime | None = None
    lag_seconds: float | None = None


class AreaOut(Schema):
    code: str
    name: str
    level: str


class PanelsOut(Schema):
    area: AreaOut
    trail: list[AreaOut]
    source: str
    today: dt.date
    freshness: FreshnessOut
    panels: list[PanelOut]


class OnePanelOut(Schema):
    area: AreaOut
    source: str
    freshness: FreshnessOut
    panel: PanelOut


def _area(division) -> dict:
    return {"code": division.code, "name": division.name, "level": division.level}


def _fresh(state: dict) -> dict:
    keys = ("built", "as_of", "refreshed_at", "rebuilt_at", "pending", "oldest_pending_at", "lag_seconds")
    return {key: state.get(key) for key in keys}


def _panel(panel: PanelData) -> dict:
    return panel.as_dict()


@router.get("/panels", response=responses(PanelsOut))
@endpoint("insight.view")
def panels_get(request, filters: Query[PanelQuery]):
    """Every dashboard panel of an area of your jurisdiction (404 outside it), with the cells' freshness.

    area: a division code (default: your jurisdiction); source: "cells" (default, the rollup) or "live" (a direct
    query over the live tables to check the cells; officers only, slower; others get the cells).
    """
    try:
        board = dashboard(user=request.user, area=filters.area, source=filters.source)
    except NotFound as exc:
        raise Http404 from exc
    return {
        "area": _area(board.area),
        "trail": [_area(d) for d in board.trail],
        "source": board.source,
        "today": board.today,
        "freshness": _fresh(board.freshness),
        "panels": [_panel(p) for p in board.panels],
    }


@router.get("/panels/{name}", response=responses(OnePanelOut))
@endpoint("insight.view")
def panel_get(request, name: str, filters: Query[PanelQuery]):
    """One panel (children, flows, pyramid, origins, reasons, ...) of an area of your jurisdiction; 404 outside."""
    try:
        one = dashboard_panel(user=request.user, name=name, area=filters.area, source=filters.source)
    except NotFound as exc:
        raise Http404 from exc
    return {
        "area": _area(one.area),
        "source": one.source,
        "freshness": _fresh(one.freshness),
        "panel": _panel(one.panel),
    }


class ForecastQuery(Schema):
    area: str | None = None
    series: str = "stock"


class ForecastOut(Schema):
    area: str
    series: str
    series_label: str
    months: list[str]
    observed: list[int]
    mean: list[float]
    lower80: list[float]
    upper80: list[float]
    lower95: list[float]
    upper95: list[float]
    method: str
    note: str
    errors: dict[str, str]
    backtest: dict | None = None
    fitted_at: str | None = None


@router.get("/forecast", response=responses(ForecastOut), url_name="insight_forecast")
@endpoint("insight.view")
def forecast_get(request, filters: Query[ForecastQuery]):
    """The 12-month forecast of an area's monthly series (stock, arrivals or departures) with 80% and 95% bands
    and the rolling-origin back-test (MAPE, MASE, coverage); 404 outside your jurisdiction. The first call in a
    month fits the model (seconds); later calls read the stored fit.
    """
    try:
        return area_forecast(user=request.user, area=filters.area, series=filters.series)
    except NotFound as exc:
        raise Http404 from exc


class ReportQuery(Schema):
    area: str | None = None


class MonthlyReportIn(Schema):
    area: str
    month: str  # yyyy-mm


class MonthlyReportOut(Schema):
    id: int
    area: str
    area_name: str
    month: str
    status: str
    scheduled: bool
    requested_at: dt.datetime
    finished_at: dt.datetime | None = None
    cells_as_of: dt.datetime | None = None
    pdf_url: str | None = None
    xlsx_url: str | None = None


def _report(report) -> dict:
    done = report.status == "done"
    return {
        "id": report.pk,
        "area": report.area_id,
        "area_name": report.area.name,
        "month": report.month.strftime("%Y-%m"),
        "status": report.status,
        "scheduled": report.scheduled,
        "requested_at": report.requested_at,
        "finished_at": report.finished_at,
        "cells_as_of": report.cells_as_of,
        "pdf_url": reverse("api:insight_report_file", args=[report.pk, "pdf"]) if done else None,
        "xlsx_url": reverse("api:insight_report_file", args=[report.pk, "xlsx"]) if done else None,
    }


@router.get("/reports", response=responses(list[MonthlyReportOut]))
@endpoint("insight.view")
def reports_get(request, filters: Query[ReportQuery]):
    """Monthly reports inside your jurisdiction, newest month first; area: that area's own reports only."""
    return [_report(r) for r in report_list(request.user, area=filters.area)]


@router.post("/reports", response=responses(MonthlyReportOut, 202))
@endpoint("insight.report")
def reports_post(request, data: MonthlyReportIn):
    """Queue the monthly report of an area of your jurisdiction (404 outside it) for a month that has begun; the
    job runner makes the workbook and the PDF; a report of the same area and month still waiting is returned.
    """
    report = report_request(actor=request.user, area=data.area, month=data.month, source="api")
    return Status(202, _report(report))


@router.get("/reports/{report_id}/{kind}", response=responses(None), url_name="insight_report_file")
@endpoint("insight.view")
def report_file_get(request, report_id: int, kind: str):
    """The PDF ("pdf") or workbook ("xlsx") of a finished report inside your jurisdiction; 404 otherwise."""
    try:
        found = report_file(request.user, report_id, kind)
    except NotFound as exc:
        raise Http404 from exc
    return FileResponse(
        found.path.open("rb"), as_attachment=True, filename=found.filename, content_type=found.content_type
    )
