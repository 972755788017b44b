"""Incidents recorded by people: who may, inside which scope, against which agreement; lists per agreement/area."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.compliance.models import Breach
from liuguan.compliance.selectors_agreements import breach_list
from liuguan.compliance.services.breaches import breach_record
from liuguan.conftest import OUT_COMMUNITY, api_client, login
from liuguan.core.errors import InvalidInput, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

TODAY = china_today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_an_incident_is_held_against_the_agreement_in_force_that_day(users):
    hotel = make.lodging()
    old = make.agreement("hotel", hotel, starts_on=days(-500), ends_on=days(-136))
    current = make.agreement("hotel", hotel, starts_on=days(-135), ends_on=days(229))

    recent = breach_record(actor=users[Role.POLICE], lodging_id=hotel.pk, occurred_on=days(-2), note="未登记住客")
    earlier = breach_record(actor=users[Role.GRID_WORKER], lodging_id=hotel.pk, occurred_on=days(-200), note="前台无人")

    assert (recent.agreement, recent.channel, recent.kind) == (current, "hotel", "incident")
    assert earlier.agreement == old
    assert recent.recorded_by == users[Role.POLICE]
    assert AuditEvent.objects.filter(action="breach.record").count() == 2
    assert [b.pk for b in breach_list(user=users[Role.STATION_OFFICER], agreement_id=current.pk)] == [recent.pk]


def test_an_incident_at_a_place_without_an_agreement_is_still_recorded(users):
    firm = make.employer()
    breach = breach_record(actor=users[Role.COLLECTOR], employer_id=firm.pk, occurred_on=TODAY, note="拒不配合登记")
    assert breach.agreement is None and breach.channel == "employer"


@pytest.mark.parametrize("role", [Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.DEPARTMENT_USER, Role.AUDITOR])
def test_roles_without_the_right_cannot_record(role, users):
    with pytest.raises(PermissionDenied):
        breach_record(actor=users[role], house_id=make.house().pk, occurred_on=TODAY, note="x")
    assert not Breach.objects.exists()


def test_bad_input_names_the_field_and_rule_and_writes_nothing(users, person_out):
    officer = users[Role.STATION_OFFICER]
    with pytest.raises(InvalidInput) as exc:
        breach_record(actor=officer, house_id=make.house(OUT_COMMUNITY).pk, person_id=person_out.pk,
                      occurred_on=days(1), note=" ")  # fmt: skip
    assert {p.rule for p in exc.value.problems} == {
        "breach.party_in_scope",
        "breach.person_in_scope",
        "breach.date_not_future",
        "breach.note_required",
    }
    with pytest.raises(InvalidInput) as exc:
        breach_record(actor=officer, house_id=make.house().pk, lodging_id=make.lodging().pk, occurred_on=TODAY,
                      note="x")  # fmt: skip
    assert {p.rule for p in exc.value.problems} == {"breach.one_party"}
    assert not Breach.objects.exists()


def test_breaches_are_listed_per_area_and_never_outside_scope(users):
    inside = breach_record(actor=users[Role.POLICE],
                           house_id=make.house().pk, occurred_on=TODAY, note="甲")  # fmt: skip
    far_house = make.house(OUT_COMMUNITY)
    Breach.objects.create(kind="incident", channel="landlord", community_id=OUT_COMMUNITY, house=far_house,
                          occurred_on=TODAY, note="乙")  # fmt: skip

    assert [b.pk for b in breach_list(user=users[Role.STATION_OFFICER])] == [inside.pk]
    assert len(breach_list(user=users[Role.CITY_OFFICER])) == 1
    assert len(breach_list(user=users[Role.PROVINCE_ADMIN])) == 2
    assert [b.note for b in breach_list(user=users[Role.PROVINCE_ADMIN], community_code="5107")] == ["乙"]


def test_the_breach_page_records_an_incident_and_lists_it(users):
    home = make.house()
    signed = make.agreement("landlord", home, starts_on=days(-10), ends_on=days(300))
    client = login(users[Role.STATION_OFFICER])

    response = client.post(
        "/compliance/breaches/new/",
        {"place": "house_id", "place_id": home.pk, "occurred_on": TODAY.isoformat(), "note": "群租隐患"},
    )

    assert response.status_code == 302 and response["Location"] == f"/compliance/agreements/{signed.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "群租隐患" in page
    assert "群租隐患" in client.get("/compliance/breaches/").content.decode()


def test_the_breach_form_shows_the_rule_broken(users):
    client = login(users[Role.STATION_OFFICER])
    far = make.house(OUT_COMMUNITY)
    response = client.post(
        "/compliance/breaches/new/",
        {"place": "house_id", "place_id": far.pk, "occurred_on": TODAY.isoformat(), "note": "x"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Choose a place registered inside your area" in response.content.decode()
    assert not Breach.objects.exists()


def test_breach_api_records_and_lists(users, token_for):
    hotel = make.lodging()
    client = api_client(token_for(users[Role.POLICE]))

    created = client.post(
        "/api/compliance/breaches",
        {"lodging_id": hotel.pk, "occurred_on": TODAY.isoformat(), "note": "未查验证件"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert_matches_openapi("POST", "/api/compliance/breaches", created)
    listed = client.get("/api/compliance/breaches")
    assert_matches_openapi("GET", "/api/compliance/breaches", listed)
    assert [b["note"] for b in listed.json()] == ["未查验证件"]

    refused = client.post(
        "/api/compliance/breaches",
        {"lodging_id": hotel.pk, "occurred_on": days(3).isoformat(), "note": "x"},
        content_type="application/json",
    )
    assert refused.status_code == 422
    assert_matches_openapi("POST", "/api/compliance/breaches", refused)
    assert refused.json()["detail"][0]["rule"] == "breach.date_not_future"
    assert Breach.objects.count() == 1
