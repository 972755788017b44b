"""The monthly reports' pages and API: officers request, everyone who reads the dashboard lists and downloads,
inside their jurisdiction only; and the dashboard's forecast through the API.
"""

import datetime as dt

import pytest
from django.utils.translation import gettext

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.insight.models import Report
from liuguan.insight.reports import previous_month_start
from liuguan.insight.rollup import rollup_rebuild

pytestmark = pytest.mark.django_db
LAST_MONTH = previous_month_start(dt.date.today()).strftime("%Y-%m")


def made(report: Report) -> None:
    """What the job runner leaves when done (making the real files is tested in test_reports.py and the browser)."""
    from django.conf import settings
    from django.utils import timezone

    folder = settings.VAR_DIR / "reports" / report.area_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"report-{report.pk}.pdf").write_bytes(b"%PDF-1.4 test")
    (folder / f"report-{report.pk}.xlsx").write_bytes(b"PK test")
    Report.objects.filter(pk=report.pk).update(
        status=Report.Status.DONE,
        pdf_path=f"reports/{report.area_id}/report-{report.pk}.pdf",
        xlsx_path=f"reports/{report.area_id}/report-{report.pk}.xlsx",
        cells_as_of=timezone.now(),
        finished_at=timezone.now(),
    )


@pytest.fixture
def cells(settings, tmp_path, person_in, person_out):
    settings.VAR_DIR = tmp_path
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    rollup_rebuild()


def test_an_officer_requests_a_report_and_downloads_it_when_made(users, cells):
    page = login(users[Role.COUNTY_OFFICER])
    # when: the form on the reports page
    response = page.get("/insight/reports/", {"area": "510104"})
    assert response.status_code == 200
    assert 'data-testid="request-report"' in response.content.decode()
    response = page.post("/insight/reports/request", {"area": "510104", "month": LAST_MONTH})
    # then: queued, audited, listed, not yet downloadable
    assert response.status_code == 302 and response["Location"] == "/insight/reports/?area=510104"
    report = Report.objects.get()
    assert (report.area_id, report.month.strftime("%Y-%m"), report.status) == ("510104", LAST_MONTH, "queued")
    assert AuditEvent.objects.filter(action="insight.report_requested", division_code="510104").count() == 1
    listing = page.get("/insight/reports/", {"area": "510104"}).content.decode()
    assert f'data-report="{report.pk}"' in listing and 'data-testid="download-pdf"' not in listing
    assert page.get(f"/insight/reports/{report.pk}.pdf").status_code == 404
    # when: the job runner has made it
    made(report)
    listing = page.get("/insight/reports/", {"area": "510104"}).content.decode()
    assert f'href="/insight/reports/{report.pk}.pdf"' in listing
    response = page.get(f"/insight/reports/{report.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    response = page.get(f"/insight/reports/{report.pk}.xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert page.get(f"/insight/reports/{report.pk}.doc").status_code == 404


def test_reports_outside_the_jurisdiction_are_missing_and_auditors_only_read(users, cells):
    report = Report.objects.create(area_id="510703", month=dt.date(2026, 1, 1))  # 涪城区, in 绵阳
    mine = Report.objects.create(area_id="510104", month=dt.date(2026, 1, 1))
    city = login(users[Role.CITY_OFFICER])  # 成都
    assert city.get(f"/insight/reports/{report.pk}.pdf").status_code == 404
    assert city.get("/insight/reports/", {"area": "510703"}).status_code == 404
    listing = city.get("/insight/reports/").content.decode()
    assert f'data-report="{mine.pk}"' in listing and f'data-report="{report.pk}"' not in listing
    assert city.post("/insight/reports/request", {"area": "5107", "month": LAST_MONTH}).status_code == 404
    assert Report.objects.count() == 2
    auditor = login(users[Role.AUDITOR])
    listing = auditor.get("/insight/reports/").content.decode()
    assert f'data-report="{report.pk}"' in listing and 'data-testid="request-report"' not in listing
    assert auditor.post("/insight/reports/request", {"area": "51", "month": LAST_MONTH}).status_code == 403
    assert login(users[Role.COLLECTOR]).get("/insight/reports/").status_code == 403
    assert Report.objects.count() == 2


def test_a_month_not_begun_is_refused_with_the_reason(users, cells):
    page = login(users[Role.COUNTY_OFFICER])
    future = (dt.date.today().replace(day=1) + dt.timedelta(days=40)).strftime("%Y-%m")
    response = page.post("/insight/reports/request", {"area": "510104", "month": future})
    assert response.status_code == 400
    assert gettext("A report covers a month that has begun.") in response.content.decode()
    response = page.post("/insight/reports/request", {"area": "510104", "month": "soon"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_reports_through_the_api(users, token_for, cells):
    officer = api_client(token_for(users[Role.STREET_OFFICER]))
    response = officer.post(
        "/api/insight/reports", {"area": "510104001", "month": LAST_MONTH}, content_type="application/json"
    )
    assert_matches_openapi("POST", "/api/insight/reports", response)
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["pdf_url"] is None
    outside = officer.post(
        "/api/insight/reports", {"area": "510104002", "month": LAST_MONTH}, content_type="application/json"
    )
    assert outside.status_code == 404
    made(Report.objects.get(pk=body["id"]))
    listing = officer.get("/api/insight/reports")
    assert_matches_openapi("GET", "/api/insight/reports", listing)
    (row,) = listing.json()
    assert row["status"] == "done" and row["pdf_url"] == f"/api/insight/reports/{body['id']}/pdf"
    response = officer.get(row["pdf_url"])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    auditor = api_client(token_for(users[Role.AUDITOR]))
    refused = auditor.post("/api/insight/reports", {"area": "51", "month": LAST_MONTH}, content_type="application/json")
    assert refused.status_code == 403
    assert auditor.get(row["xlsx_url"]).status_code == 200
    city = api_client(token_for(users[Role.CITY_OFFICER]))
    assert city.get("/api/insight/reports/999999/pdf").status_code == 404


def test_the_forecast_of_an_area_through_the_api(users, token_for, cells):
    api = api_client(token_for(users[Role.COUNTY_OFFICER]))
    response = api.get("/api/insight/forecast", {"area": "510104", "series": "arrivals"})
    assert_matches_openapi("GET", "/api/insight/forecast", response)
    body = response.json()
    assert body["area"] == "510104" and body["series"] == "arrivals" and body["method"]
    assert api.get("/api/insight/forecast", {"area": "510703"}).status_code == 404
    assert api.get("/api/insight/forecast", {"series": "weather"}).status_code == 404
    refused = api_client(token_for(users[Role.COLLECTOR])).get("/api/insight/forecast")
    assert refused.status_code == 403
