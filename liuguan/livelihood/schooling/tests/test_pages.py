"""The desk's pages and the API: queue with eligibility, placing from the page, figures drill-down, scoping."""

import pytest
from django.utils.translation import gettext

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.livelihood.schooling.models import SchoolApplication
from liuguan.livelihood.schooling.services import school_application_submit

from .test_figures import records  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

DOCS = ["hukou_booklet", "residence_permit", "lease", "labour_contract", "vaccination_certificate"]


def _apply(users, family):
    return school_application_submit(
        actor=users[Role.STATION_OFFICER], child_id=family.child.pk, level="primary", documents=DOCS, school_year=2027
    )


def test_queue_shows_eligibility_and_the_desk_decides(users, family, schools):
    application = _apply(users, family)
    client = login(users[Role.STATION_OFFICER])
    queue = client.get("/livelihood/schooling/applications/")
    assert queue.status_code == 200 and application.number in queue.content.decode()
    assert "赵小" not in queue.content.decode()  # names are masked
    page = client.get(f"/livelihood/schooling/applications/{application.pk}/").content.decode()
    assert 'data-code="permit"' in page and gettext("No guardian holds a valid residence permit.") in page
    client.post(f"/livelihood/schooling/applications/{application.pk}/act/check/")
    client.post(f"/livelihood/schooling/applications/{application.pk}/act/place/")  # not eligible: refused
    assert SchoolApplication.objects.get(pk=application.pk).status == "checked"
    client.post(f"/livelihood/schooling/applications/{application.pk}/act/refuse/", {"reason": "无居住证"})
    assert SchoolApplication.objects.get(pk=application.pk).status == "refused"


def test_out_of_scope_and_migrant_are_refused(users, family, schools):
    application = _apply(users, family)
    far = login(users[Role.STATION_OFFICER])
    users[Role.STATION_OFFICER].division_id = "510703001001"
    users[Role.STATION_OFFICER].save()
    assert far.get(f"/livelihood/schooling/applications/{application.pk}/").status_code == 404
    assert far.post(f"/livelihood/schooling/applications/{application.pk}/act/check/").status_code == 404
    migrant = login(family.migrant)
    assert migrant.get("/livelihood/schooling/applications/").status_code == 403
    assert migrant.get("/api/livelihood/schooling/applications").status_code == 403
    assert SchoolApplication.objects.get(pk=application.pk).status == "submitted"


def test_figures_page_and_api_drill_down(users, records):  # noqa: F811
    client = login(users[Role.COUNTY_OFFICER])
    page = client.get("/livelihood/schooling/?year=2026")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-code="510104001"' in body and 'data-code="510104002"' in body
    data = client.get("/api/livelihood/schooling/figures?year=2026").json()
    assert (data["area"], data["whole"]["enrolled"], data["whole"]["public_share"]) == ("510104", 4, 0.5)
    units = {u["code"]: u for u in data["units"]}
    assert units["510104001"]["transfers"] == 2 and units["510104002"]["private"] == 2
    down = client.get("/api/livelihood/schooling/figures?area=510104001&year=2026").json()
    assert down["whole"]["enrolled"] == 3 and {u["code"] for u in down["units"]} == {"510104001001", "510104001002"}
    assert client.get("/api/livelihood/schooling/figures?area=510703").status_code == 404
    assert client.get("/livelihood/schooling/?area=510703").status_code == 404


def test_school_registry_pages(users, schools):
    client = login(users[Role.STATION_OFFICER])
    assert "督院街小学" in client.get("/livelihood/schooling/schools/").content.decode()
    assert client.get(f"/livelihood/schooling/schools/{schools.far.pk}/").status_code == 404
    response = client.post(
        "/livelihood/schooling/schools/new/",
        {"name": "东御河沿幼儿园", "kind": "private", "levels": ["kindergarten"], "community_code": "510104001001"},
    )
    assert response.status_code == 302
    client.post(response["Location"], {"year": "2027", "level": "kindergarten", "places": "60"})
    assert "60" in client.get(response["Location"]).content.decode()
