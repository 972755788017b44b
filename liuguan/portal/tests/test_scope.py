"""Two migrants: neither reaches the other's records, through pages or the API, by guessing ids or otherwise."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import FAR_COMMUNITY, login
from liuguan.core.testing import assert_matches_openapi
from liuguan.portal.models import StayDeclaration
from liuguan.portal.services import declaration_submit, notify
from liuguan.registry.models import Stay


@pytest.fixture
def theirs(other_migrant, person_out):
    declaration = declaration_submit(
        actor=other_migrant,
        community_code=FAR_COMMUNITY,
        address="南山路 9 号李四家",
        arrived_on=dt.date(2025, 2, 1),
        reason="work",
    )
    notify(person=person_out, title="李四的秘密通知", body="只给李四")
    return declaration


def test_my_requests_shows_only_my_own(migrant_client, theirs):
    page = migrant_client.get("/portal/requests/").content.decode()
    assert "南山路 9 号李四家" not in page
    assert "李四的秘密通知" not in page

    api = migrant_client.get("/api/portal/requests")
    assert_matches_openapi("get", "/api/portal/requests", api)
    assert api.json() == []
    assert migrant_client.get("/api/portal/notifications").json() == []
    assert migrant_client.get("/api/portal/declarations/mine").json() == []


def test_me_is_the_callers_own_person(migrant_client, other_client, person_in, person_out):
    mine = migrant_client.get("/api/portal/me")
    assert_matches_openapi("get", "/api/portal/me", mine)
    assert mine.json()["name"] == person_in.name
    assert other_client.get("/api/portal/me").json()["name"] == person_out.name


def test_guessing_ids_on_staff_routes_reaches_nothing(migrant_client, theirs, person_out):
    stay = Stay.objects.get(person=person_out)
    for path in (
        f"/portal/declarations/{theirs.pk}/",
        "/portal/declarations/",
        f"/registry/people/{person_out.pk}/",
        f"/registry/stays/{stay.pk}/",
    ):
        assert migrant_client.get(path).status_code in (403, 404), path
    # The home page sends a migrant on to their own page, the portal.
    home = migrant_client.get("/")
    assert (home.status_code, home["Location"]) == (302, "/portal/")
    for path in (
        "/api/portal/review/declarations",
        f"/api/registry/people/{person_out.pk}",
        "/api/registry/people",
        "/api/grid/events",
    ):
        assert migrant_client.get(path).status_code in (403, 404), path
    refused = migrant_client.post(
        f"/api/portal/review/declarations/{theirs.pk}/reject", {"reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == StayDeclaration.Status.PENDING


def test_applying_for_a_permit_on_someone_elses_stay_is_refused(migrant_client, person_out, permit_policies):
    stay = Stay.objects.get(person=person_out)
    response = migrant_client.post(
        "/api/portal/permit-applications",
        {"stay_id": stay.pk, "permit_kind": "permit", "condition": "employment"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert migrant_client.get("/api/portal/permits").json()["applications"] == []


def test_staff_cannot_use_the_portal(users):
    client = login(users[Role.STATION_OFFICER])
    assert client.get("/portal/").status_code == 403
    assert client.get("/api/portal/me").status_code == 403
