"""The monthly report of an area: every dashboard panel and the forecasts, as a workbook and as a PDF.

`report_request` (an officer, on demand) and `reports_schedule` (the job runner, for last month: the province,
every prefecture and every county) queue a `Report`; `report_make`, run by the job runner, reads the panels
from the cells (so the report says how fresh its figures are), fits or reuses the forecasts, and writes the
two files under VAR_DIR/reports/<area>/<yyyymm>/. Pages and the API list and serve them through
`selectors_reports`.

A report is a Chinese document whatever its requester's language (like the printed permit): it is made in the
site's language, settings.LANGUAGE_CODE.

The month: monthly series run to the end of the reported month and the forecasts start after it; what can only
be counted as it is now (who lives here, their age, origin, housing, ...) is the cells' state when the report
is made, printed as "figures as of".
"""

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, PermissionDenied
from liuguan.geo.models import Division, Level

from .models import Report

log = logging.getLogger(__name__)

REPORT_PERMISSION = "insight.report"
# The series whose forecast the report prints, in this order.
REPORT_SERIES = ("stock", "arrivals", "departures")
SCHEDULED_LEVELS = (Level.PROVINCE, Level.PREFECTURE, Level.COUNTY)
FIRST_MONTH = dt.date(2000, 1, 1)
# A report still queued or running this long after it was asked for was lost by the job runner (a restart): a new
# request or the next scheduled run queues it again instead of waiting for it forever.
STALE_AFTER = dt.timedelta(hours=6)
WAITING = (Report.Status.QUEUED, Report.Status.RUNNING)


def _stale(report: Report) -> bool:
    return report.status in WAITING and report.requested_at < timezone.now() - STALE_AFTER


def first_of_month(value) -> dt.date:
    """A month from a date (any day of it), 'yyyy-mm' or 'yyyymm'; InvalidInput otherwise."""
    if isinstance(value, dt.date):
        return value.replace(day=1)
    text = str(value or "").strip().replace("-", "").replace("/", "")
    # isdecimal, not isdigit: "²" is a digit int() cannot read; year 0 is no year.
    if len(text) == 6 and text.isdecimal() and int(text[:4]) >= 1 and 1 <= int(text[4:]) <= 12:
        return dt.date(int(text[:4]), int(text[4:]), 1)
    raise InvalidInput([FieldProblem("month", "invalid", _("Give the month as yyyy-mm."))])


def last_day(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def previous_month_start(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def _check_month(month: dt.date) -> None:
    from liuguan.core.identity import china_today

    if month > china_today().replace(day=1):
        raise InvalidInput([FieldProblem("month", "future", _("A report covers a month that has begun."))])
    if month < FIRST_MONTH:
        raise InvalidInput([FieldProblem("month", "too_early", _("A report covers a month from 2000 on."))])


def _enqueue(report: Report) -> None:
    from .tasks_reports import report_make_task

    transaction.on_commit(lambda pk=report.pk: report_make_task.enqueue(pk))


def report_request(*, actor, area: str, month, source: str = "web") -> Report:
    """Queue the monthly report of an area inside the officer's jurisdiction; one already waiting is reused."""
    from liuguan.oversight.areas import area_in_scope

    if not actor.can(REPORT_PERMISSION):
        raise PermissionDenied()
    division = area_in_scope(actor, area)
    first = first_of_month(month)
    _check_month(first)
    with transaction.atomic():
        waiting = (
            Report.objects.select_for_update()
            .filter(area=division, month=first, status__in=WAITING, requested_at__gte=timezone.now() - STALE_AFTER)
            .first()
        )
        if waiting is not None:
            return waiting
        report = Report.objects.create(area=division, month=first, requested_by=actor)
        audit_record(
            actor=actor,
            action="insight.report_requested",
            obj=report,
            division_code=division.code,
            source=source,
            changes={"month": first.strftime("%Y-%m")},
        )
        _enqueue(report)
    return report


def scheduled_areas() -> list[str]:
    """The province of this instance, its prefectures and its counties: the areas reported on every month."""
    province = settings.LIUGUAN_PROVINCE_CODE
    return list(
        Division.objects.filter(code__startswith=province, level__in=SCHEDULED_LEVELS)
        .order_by("code")
        .values_list("code", flat=True)
    )


def reports_schedule(*, today: dt.date | None = None) -> list[Report]:
    """Queue last month's scheduled report of every scheduled area that has none yet (a failed one is queued
    again); running it twice queues nothing twice.
    """
    from liuguan.core.identity import china_today

    month = previous_month_start(today or china_today())
    queued = []
    for code in scheduled_areas():
        with transaction.atomic():
            existing = Report.objects.select_for_update().filter(area_id=code, month=month, scheduled=True).first()
            if existing is not None and existing.status != Report.Status.FAILED and not _stale(existing):
                continue
            try:
                with transaction.atomic():
                    if existing is None:
                        report = Report.objects.create(area_id=code, month=month, scheduled=True)
                    else:
                        report = existing
                        report.status, report.error, report.requested_at = Report.Status.QUEUED, "", timezone.now()
                        report.save(update_fields=["status", "error", "requested_at"])
            except IntegrityError:
                continue  # another run queued it a moment ago
            audit_record(
                actor=SYSTEM,
                action="insight.report_scheduled",
                obj=report,
                division_code=code,
                source="job",
                changes={"month": month.strftime("%Y-%m"), "again": existing is not None},
            )
            _enqueue(report)
            queued.append(report)
    return queued


# --- What a report holds -------------------------------------------------------------------------------------
@dataclass
class Headline:
    label: str
    value: object
    note: str = ""


@dataclass
class ReportContent:
    """Everything a report prints, as plain data, in the site's language."""

    area: str
    area_name: str
    trail: str  # the names from the province down, e.g. 四川省 成都市 锦江区
    month: dt.date
    day: dt.date  # the panels' "today": the month's last day, or today for the current month
    as_of: dt.datetime | None
    pending: int
    made_at: dt.datetime
    headlines: list[Headline] = field(default_factory=list)
    panels: list = field(default_factory=list)  # PanelData of every panel, in PANELS' order
    forecasts: list = field(default_factory=list)  # (series, result dict, PanelData of kind "forecast")

    @property
    def title(self) -> str:
        return _("Monthly report on the migrant population: %(area)s, %(month)s") % {
            "area": self.area_name,
            "month": month_text(self.month),
        }


def month_text(month: dt.date) -> str:
    return _("%(year)s-%(month)02d") % {"year": month.year, "month": month.month}


def _trail(code: str) -> tuple[str, str]:
    codes = [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    parts = [names.get(c, c) for c in codes]
    return parts[-1], " ".join(p for p in parts if p != "市辖区")


def _headlines(area: str, month: dt.date, day: dt.date) -> list[Headline]:
    from .panels import CellSource, monthly_flows

    axis, arrivals, departures, stock = monthly_flows(CellSource(area), day)
    index = {m: i for i, m in enumerate(axis)}
    this = month.strftime("%Y%m")
    last_year = f"{month.year - 1:04d}{month.month:02d}"
    before = previous_month_start(month).strftime("%Y%m")

    def at(series, key):
        return series[index[key]] if key in index else 0

    def change(now: int, then: int) -> str:
        if not then:
            return ""
        return f"{(now - then) / then:+.1%}"

    rows = [
        (_("Living here at the month's end"), stock),
        (_("Arrivals in the month"), arrivals),
        (_("Departures in the month"), departures),
    ]
    out = []
    for label, series in rows:
        now = at(series, this)
        note = _("against the month before: %(before)s; against the same month a year earlier: %(year)s") % {
            "before": change(now, at(series, before)) or "-",
            "year": change(now, at(series, last_year)) or "-",
        }
        out.append(Headline(str(label), now, note))
    return out


def report_content(area: str, month: dt.date, *, forecast: bool = True) -> ReportContent:
    """Build every panel and the forecasts of one area and month from the cells, in the current language."""
    from liuguan.core.identity import china_today

    from .forecast import forecast_for, forecast_panel
    from .panels import PANELS, build_panel
    from .rollup import freshness

    today = china_today()
    day = min(last_day(month), today)
    fresh = freshness()
    name, trail = _trail(area)
    content = ReportContent(
        area=area,
        area_name=name,
        trail=trail,
        month=month,
        day=day,
        as_of=fresh.get("as_of") or fresh.get("refreshed_at"),
        pending=fresh.get("pending", 0),
        made_at=timezone.now(),
    )
    content.headlines = _headlines(area, month, day)
    content.panels = [build_panel(name, area, today=day) for name in PANELS]
    if forecast:
        # Forecasts start after the reported month: its "today" is the first day of the month after it.
        after = min(last_day(month) + dt.timedelta(days=1), today)
        for series in REPORT_SERIES:
            result = forecast_for(area, series, today=after)
            content.forecasts.append((series, result, forecast_panel(area, series, result=result)))
    return content


# --- Making the files ----------------------------------------------------------------------------------------
def report_dir(report: Report) -> Path:
    return Path("reports") / report.area_id / report.month.strftime("%Y%m")


def _write(relative: Path, data: bytes) -> None:
    path = Path(settings.VAR_DIR) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


def report_make(report: Report) -> Report:
    """Make the workbook and the PDF of a queued report (the job runner's work); a failure is kept on the report."""
    from .reports_pdf import report_pdf
    from .reports_xlsx import report_workbook

    stale = Q(status=Report.Status.RUNNING, requested_at__lt=timezone.now() - STALE_AFTER)
    claimed = (
        Report.objects.filter(pk=report.pk)
        .filter(Q(status__in=[Report.Status.QUEUED, Report.Status.FAILED]) | stale)
        .update(status=Report.Status.RUNNING, error="")
    )
    if not claimed:
        report.refresh_from_db()
        return report
    try:
        with translation.override(settings.LANGUAGE_CODE):
            content = report_content(report.area_id, report.month)
            workbook = report_workbook(content)
            pdf = report_pdf(content)
        base = report_dir(report) / f"report-{report.pk}"
        xlsx_path, pdf_path = base.with_suffix(".xlsx"), base.with_suffix(".pdf")
        _write(xlsx_path, workbook)
        _write(pdf_path, pdf)
    except Exception as error:  # noqa: BLE001 (whatever broke, the report must say it failed, not stay "running")
        log.exception("report %s failed", report.pk)
        with transaction.atomic():
            Report.objects.filter(pk=report.pk).update(
                status=Report.Status.FAILED, error=f"{type(error).__name__}: {error}"[:300], finished_at=timezone.now()
            )
            audit_record(
                actor=SYSTEM,
                action="insight.report_failed",
                object_type="insight.report",
                object_id=str(report.pk),
                division_code=report.area_id,
                source="job",
                changes={"error": type(error).__name__},
            )
        report.refresh_from_db()
        return report
    with transaction.atomic():
        Report.objects.filter(pk=report.pk).update(
            status=Report.Status.DONE,
            xlsx_path=str(xlsx_path),
            pdf_path=str(pdf_path),
            cells_as_of=content.as_of,
            finished_at=timezone.now(),
        )
        audit_record(
            actor=SYSTEM,
            action="insight.report_made",
            object_type="insight.report",
            object_id=str(report.pk),
            division_code=report.area_id,
            source="job",
            changes={"month": report.month.strftime("%Y-%m"), "files": [str(xlsx_path), str(pdf_path)]},
        )
    report.refresh_from_db()
    return report
