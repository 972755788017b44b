"""Monthly reports: the workbook holds every panel's numbers, the PDF is Chinese and holds the figures, requests
are checked and audited, the schedule makes each area's report once, and files are served only in scope.
"""

import datetime as dt
import io

import pytest
from django.utils import translation
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook
from pypdf import PdfReader

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.insight import reports
from liuguan.insight.models import Report
from liuguan.insight.panels import PANELS, build_panel
from liuguan.insight.reports_tables import CONTEXT
from liuguan.insight.reports_xlsx import TABLE_ROW, report_workbook
from liuguan.insight.rollup import rollup_rebuild
from liuguan.insight.selectors_reports import report_file, report_list

from . import measures_world as w

MONTH = dt.date(2026, 10, 1)
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def world(divisions, settings, tmp_path):
    """A few dozen stays in Chengdu and Mianyang over three years, the cells counted; files go to tmp_path."""
    settings.VAR_DIR = tmp_path
    settings.LIUGUAN_PROVINCE_CODE = "51"
    plan = [
        ("510104001001", 14, "M", dt.date(1990, 3, 1)),
        ("510104001002", 9, "F", dt.date(1985, 6, 1)),
        ("510104002001", 5, "F", dt.date(2012, 9, 1)),
        ("510107001001", 4, "M", dt.date(1960, 1, 1)),
        ("510703001001", 3, "M", dt.date(1999, 1, 1)),
    ]
    for community, count, sex, birth in plan:
        for i in range(count):
            # Every other month from January 2024 (the last in March 2026); the second stay left in September 2026.
            arrived = dt.date(2024 + (2 * i) // 12, 1 + (2 * i) % 12, 10)
            departed = dt.date(2026, 9, 2) if i == 1 else None
            who = w.person(sex=sex, birth=birth, hukou="511321" if i % 2 else "500101")
            w.stay(community, who=who, arrived=arrived, departed=departed, reason="work" if i % 3 else "family")
    rollup_rebuild()
    return tmp_path


def content_of(area: str, month: dt.date = MONTH):
    with translation.override("zh-hans"):
        return reports.report_content(area, month)


def test_the_workbook_has_a_sheet_per_panel_with_the_panels_numbers(world):
    content = content_of("5101")
    with translation.override("zh-hans"):
        book = load_workbook(io.BytesIO(report_workbook(content)))
        # given the same panels built independently for the report's day
        panels = [build_panel(name, "5101", today=content.day) for name in PANELS]
        summary_title = pgettext(CONTEXT, "Summary")
    assert content.day == dt.date(2026, 10, 31)
    names = book.sheetnames
    assert names[0] == summary_title
    assert len(names) == 1 + len(PANELS) + len(reports.REPORT_SERIES)
    for sheet_name, panel in zip(names[1:], panels, strict=False):
        sheet = book[sheet_name]
        assert sheet["A1"].value == str(panel.title)
        header = [c.value for c in sheet[TABLE_ROW]]
        offset = 2 if panel.kind == "drill" else 1  # a drill table has the division codes in its second column
        assert header[offset : offset + len(panel.series)] == [s.name for s in panel.series], panel.name
        for i, category in enumerate(panel.categories):
            row = [c.value for c in sheet[TABLE_ROW + 1 + i]]
            assert row[0] == category, (panel.name, i)
            for j, series in enumerate(panel.series):
                assert row[offset + j] == series.data[i], (panel.name, category, series.name)
        if panel.kind == "drill":
            assert [sheet.cell(TABLE_ROW + 1 + i, 2).value for i in range(len(panel.keys))] == panel.keys
    children = book[names[1]]
    assert children.cell(TABLE_ROW + 1, 1).value == "锦江区"  # the largest child of Chengdu first
    assert children.cell(TABLE_ROW + 1, 3).value == 28 - 3  # three of Jinjiang's 28 stays have ended
    assert children.cell(TABLE_ROW + 2, 1).value == "武侯区"
    assert children.cell(TABLE_ROW + 2, 3).value == 4 - 1
    # The forecast sheets: every observed month, then 12 forecast months with their bands.
    stock = book[names[1 + len(PANELS)]]
    result = content.forecasts[0][1]
    rows = list(
        stock.iter_rows(min_row=TABLE_ROW + 1, max_row=TABLE_ROW + len(result["months"]) + 12, values_only=True)
    )
    assert [r[0] for r in rows] == result["months"] + result["forecast"]["months"]
    assert [r[1] for r in rows[: len(result["months"])]] == result["observed"]
    assert [r[2] for r in rows[len(result["months"]) :]] == result["forecast"]["mean"]
    assert result["months"][-1] == "202610"


def test_the_pdf_is_chinese_and_holds_the_figures(world):
    from liuguan.insight.reports_pdf import report_pdf

    content = content_of("510104")
    with translation.override("zh-hans"):
        pdf = report_pdf(content)
        title = content.title
        headings = [pgettext(CONTEXT, "Key figures"), gettext("About these figures")]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    flat = text.replace("\n", "")
    # Chinese headings, whatever the tester's language.
    assert "流动人口月度报告" in title and title in flat
    for heading in headings:
        assert heading in flat
    assert "关键指标" in flat
    assert "预测" in flat
    # The figures: the headline stock at the month's end, the communities with their counts.
    stock = content.headlines[0].value
    assert stock == 28 - 3
    assert f"{stock:,}" in text
    children = content.panels[0]
    for name, n in zip(children.categories, children.series[0].data, strict=True):
        assert name in flat
        assert str(n) in text
    for panel in content.panels:
        assert str(panel.title) in flat, panel.name


def test_an_officer_requests_a_report_it_is_audited_made_and_served_in_scope(
    world, users, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = IMMEDIATE
    officer = users[Role.COUNTY_OFFICER]  # Jinjiang
    with django_capture_on_commit_callbacks(execute=True):
        report = reports.report_request(actor=officer, area="510104001", month="2026-10")
    report.refresh_from_db()
    assert report.status == Report.Status.DONE, report.error
    assert report.requested_by == officer
    assert report.cells_as_of is not None
    event = AuditEvent.objects.get(action="insight.report_requested")
    assert event.division_code == "510104001"
    assert event.actor_id == officer.pk
    assert AuditEvent.objects.filter(action="insight.report_made", object_id=str(report.pk)).exists()
    pdf = report_file(officer, report.pk, "pdf")
    assert pdf.path.is_relative_to(world / "reports")
    assert pdf.path.read_bytes().startswith(b"%PDF")
    assert pdf.filename.endswith("2026-10.pdf")
    xlsx = report_file(officer, report.pk, "xlsx")
    assert xlsx.content_type.endswith("spreadsheetml.sheet")
    # The province sees it; another city's officer does not, as if it did not exist.
    assert report_file(users[Role.PROVINCE_ADMIN], report.pk, "pdf").path == pdf.path
    assert list(report_list(officer)) == [report]
    other = users[Role.STATION_OFFICER]  # a community below: the street's report is above it
    with pytest.raises(NotFound):
        report_file(other, report.pk, "pdf")
    with pytest.raises(NotFound):
        report_file(officer, report.pk, "docx")
    assert list(report_list(other)) == []


def test_a_request_is_refused_without_the_role_outside_the_area_or_for_a_future_month(world, users):
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        reports.report_request(actor=users[Role.AUDITOR], area="51", month="2026-10")
    with pytest.raises(NotFound):
        reports.report_request(actor=users[Role.COUNTY_OFFICER], area="5107", month="2026-10")
    with pytest.raises(InvalidInput) as error:
        reports.report_request(actor=users[Role.COUNTY_OFFICER], area="510104", month="2099-01")
    assert error.value.problems[0].field == "month"
    with pytest.raises(InvalidInput):
        reports.report_request(actor=users[Role.COUNTY_OFFICER], area="510104", month="Oktober")
    assert Report.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_a_second_request_while_one_waits_gets_the_waiting_one(world, users):
    officer = users[Role.CITY_OFFICER]
    first = reports.report_request(actor=officer, area="5101", month=dt.date(2026, 10, 17))
    second = reports.report_request(actor=officer, area="5101", month="202610")
    assert first == second
    assert first.month == MONTH
    assert Report.objects.count() == 1


def test_the_schedule_queues_last_months_report_of_every_scheduled_area_once(world):
    queued = reports.reports_schedule(today=dt.date(2026, 11, 1))
    expected = {"51", "5101", "510104", "510107", "5107", "510703"}  # not Chongqing, no township or community
    assert {r.area_id for r in queued} == expected
    assert {r.month for r in queued} == {MONTH}
    assert all(r.scheduled and r.status == Report.Status.QUEUED for r in queued)
    assert AuditEvent.objects.filter(action="insight.report_scheduled").count() == len(expected)
    # Running again queues nothing; a failed one is queued again, alone.
    assert reports.reports_schedule(today=dt.date(2026, 11, 2)) == []
    Report.objects.filter(area_id="5107").update(status=Report.Status.FAILED, error="boom")
    again = reports.reports_schedule(today=dt.date(2026, 11, 3))
    assert [r.area_id for r in again] == ["5107"]
    assert Report.objects.filter(scheduled=True).count() == len(expected)
    # An on-demand report of the same area and month is a report of its own.
    assert Report.objects.get(area_id="5107").status == Report.Status.QUEUED


def test_a_report_that_breaks_is_marked_failed_not_left_running(world, monkeypatch):
    report = Report.objects.create(area_id="510104", month=MONTH)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(reports, "report_content", broken)
    made = reports.report_make(report)
    assert made.status == Report.Status.FAILED
    assert "disk full" in made.error
    assert AuditEvent.objects.filter(action="insight.report_failed").exists()
    with pytest.raises(NotFound):
        report_file(None, report.pk, "pdf")


def test_a_report_the_job_runner_lost_is_queued_again_not_waited_for(world, users):
    from django.utils import timezone

    officer = users[Role.CITY_OFFICER]
    lost = reports.report_request(actor=officer, area="5101", month="2026-10")
    Report.objects.filter(pk=lost.pk).update(
        status=Report.Status.RUNNING, requested_at=timezone.now() - reports.STALE_AFTER - dt.timedelta(minutes=1)
    )
    fresh = reports.report_request(actor=officer, area="5101", month="2026-10")
    assert fresh != lost
    assert fresh.status == Report.Status.QUEUED
    # The schedule treats its own lost report the same way.
    queued = reports.reports_schedule(today=dt.date(2026, 11, 1))
    hours_ago = timezone.now() - reports.STALE_AFTER - dt.timedelta(minutes=1)
    Report.objects.filter(pk=queued[0].pk).update(requested_at=hours_ago)
    assert [r.pk for r in reports.reports_schedule(today=dt.date(2026, 11, 2))] == [queued[0].pk]
