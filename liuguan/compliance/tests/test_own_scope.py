"""Landlord, employer and hotel accounts see their own houses, staff or guests and nothing else."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, citizen_id, login
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi

from ..selectors import own_employer, own_houses, own_lodging, own_people, own_reports
from ..services import ReportInput, TenantInput, duty_report, tenancy_file
from .conftest import make_person, make_stay, tenant_data

pytestmark = pytest.mark.django_db
TODAY = china_today()


@pytest.fixture
def world(landlord_a, landlord_b, employer_user, hotel_user, house_a, house_b, employer, lodging, station):
    """One tenant of each landlord, one employee, one guest, and a person nobody of them knows."""
    a = duty_report(
        actor=landlord_a,
        report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data("甲租客", "101"), house_id=house_a.pk),
    )
    b = duty_report(
        actor=landlord_b,
        report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data("乙租客", "103"), house_id=house_b.pk),
    )
    e = duty_report(
        actor=employer_user, report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data("员工", "105"))
    )
    h = duty_report(
        actor=hotel_user, report=ReportInput(kind="arrival", occurred_on=TODAY, person=tenant_data("旅客", "107"))
    )
    stranger = make_person("路人", citizen_id("511321", "19900101", "999"))
    make_stay(stranger, arrived=TODAY - dt.timedelta(days=40))
    filing = tenancy_file(
        actor=station,
        house_id=house_b.pk,
        tenants=[TenantInput(person_id=b.report.person_id)],
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=300),
    )
    return {
        "a": a.report.person,
        "b": b.report.person,
        "e": e.report.person,
        "h": h.report.person,
        "stranger": stranger,
        "filing": filing,
        "reports": {"a": a.report, "b": b.report, "e": e.report, "h": h.report},
    }


def test_each_account_sees_only_its_own_people(
    world, landlord_a, landlord_b, employer_user, hotel_user, house_a, house_b
):
    expected = {landlord_a: {"a"}, landlord_b: {"b"}, employer_user: {"e"}, hotel_user: {"h"}}
    for user, keys in expected.items():
        assert set(own_people(user)) == {world[k] for k in keys}
        assert [r.pk for r in own_reports(user)] == [world["reports"][k].pk for k in keys]
    assert list(own_houses(landlord_a)) == [house_a] and list(own_houses(landlord_b)) == [house_b]
    assert not own_houses(employer_user).exists() and not own_houses(hotel_user).exists()
    assert own_employer(landlord_b) is None and own_lodging(employer_user) is None
    assert own_employer(employer_user).pk == employer_user.organisation_id


def test_a_landlord_cannot_report_departure_of_someone_elses_tenant(world, landlord_a, house_a):
    from liuguan.core.errors import InvalidInput

    for key in ("b", "e", "h", "stranger"):
        with pytest.raises(InvalidInput) as exc:
            duty_report(
                actor=landlord_a,
                report=ReportInput(kind="departure", occurred_on=TODAY, person_id=world[key].pk, house_id=house_a.pk),
            )
        assert {p.rule for p in exc.value.problems} == {"duty.own_person"}
    assert world["b"].stays.get().departed_on is None


OFFICER_PAGES = [
    "/",  # redirects to the duty page
    "/registry/people/",
    "/registry/places/houses/",
    "/compliance/",
    "/compliance/tenancies/",
    "/compliance/houses/follow-up/",
    "/compliance/disagreements/",
    "/compliance/reports/",
    "/compliance/holders/new/",
    "/collection/import/",
    "/geo/",
]


def test_officers_pages_refuse_duty_holders(world, landlord_a, employer_user, hotel_user):
    for user in (landlord_a, employer_user, hotel_user):
        client = login(user)
        for url in OFFICER_PAGES:
            response = client.get(url)
            if url == "/":
                assert response.status_code == 302 and response["Location"] == "/compliance/duties/"
            else:
                assert response.status_code == 403, (user.username, url, response.status_code)
        assert client.get(f"/registry/people/{world['a'].pk}/").status_code == 403
        assert client.get(f"/compliance/tenancies/{world['filing'].pk}/").status_code == 403


def test_the_api_refuses_them_too_and_others_ids_look_missing(world, landlord_a, landlord_b, hotel_user, token_for):
    client = api_client(token_for(landlord_a))
    for method, url in [
        ("GET", f"/api/registry/persons/{world['a'].pk}"),
        ("GET", "/api/registry/persons?q=租客"),
        ("GET", "/api/compliance/tenancies"),
        ("GET", "/api/compliance/disagreements"),
    ]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert_matches_openapi(method, url, response)
    # Ending landlord B's filing: landlord A may end tenancies, but this one answers like a missing one.
    for filing_id in (world["filing"].pk, 999999):
        url = f"/api/compliance/tenancies/{filing_id}/end"
        response = client.post(url, {"ended_on": TODAY.isoformat()}, content_type="application/json")
        assert response.status_code == 404
        assert_matches_openapi("POST", url, response)
    world["filing"].refresh_from_db()
    assert world["filing"].status == "active"
    response = client.get("/api/compliance/own/people")
    assert response.status_code == 200
    assert_matches_openapi("GET", "/api/compliance/own/people", response)
    assert [row["name"] for row in response.json()] == ["甲租客"]
    assert world["a"].doc_number not in response.content.decode()
    hotel = api_client(token_for(hotel_user)).get("/api/compliance/own/people").json()
    assert [row["name"] for row in hotel] == ["旅客"]


def test_staff_have_no_own_people(world, users):
    for role in (Role.STATION_OFFICER, Role.PROVINCE_ADMIN, Role.COLLECTOR):
        assert not own_people(users[role]).exists() and not own_houses(users[role]).exists()
        assert login(users[role]).get("/compliance/duties/").status_code == 403
