"""Reads of the monthly reports for pages and the API: the list inside the reader's jurisdiction and the files.

A report outside the jurisdiction answers like one that does not exist; so does a file not (yet) made.
Listing and downloading need "insight.view" (the caller checks the role, as for every page); requesting a
report is `reports.report_request` ("insight.report").
"""

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import QuerySet

from liuguan.core.errors import NotFound
from liuguan.core.scoping import get_scoped, scoped

from .models import Report

KINDS = {
    "pdf": ("pdf_path", "application/pdf"),
    "xlsx": ("xlsx_path", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def report_list(user, *, area: str | None = None, month: dt.date | None = None, limit: int = 200) -> QuerySet:
    """Reports inside the user's jurisdiction, newest month first; `area` keeps that area's own reports only."""
    reports = scoped(Report.objects.select_related("area", "requested_by"), user)
    if area:
        reports = reports.filter(area_id=area)
    if month:
        reports = reports.filter(month=month.replace(day=1))
    return reports.order_by("-month", "area_id", "-requested_at")[:limit]


def report_get(user, report_id: int) -> Report:
    """One report inside the user's jurisdiction (NotFound otherwise)."""
    return get_scoped(Report.objects.select_related("area"), user, pk=report_id)


@dataclass(frozen=True)
class ReportFile:
    path: Path
    filename: str  # what the browser saves it as
    content_type: str


def report_filename(report: Report, kind: str) -> str:
    """E.g. '510104-锦江区-2026-10.pdf': the code keeps names unique, the name says what it is."""
    return f"{report.area_id}-{report.area.name}-{report.month:%Y-%m}.{kind}"


def report_file(user, report_id: int, kind: str) -> ReportFile:
    """The workbook ("xlsx") or the PDF ("pdf") of a finished report inside the user's jurisdiction."""
    if kind not in KINDS:
        raise NotFound()
    report = report_get(user, report_id)
    field, content_type = KINDS[kind]
    stored = getattr(report, field)
    if report.status != Report.Status.DONE or not stored:
        raise NotFound()
    root = (Path(settings.VAR_DIR) / "reports").resolve()
    path = (Path(settings.VAR_DIR) / stored).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound()
    return ReportFile(path=path, filename=report_filename(report, kind), content_type=content_type)
