"""Reports and tenancy filings through the API, responses checked against the OpenAPI document."""

import datetime as dt

import pytest

from liuguan.conftest import api_client, citizen_id
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import Stay

from .conftest import make_person, make_stay

pytestmark = pytest.mark.django_db
TODAY = china_today()


def post(client, url, body):
    response = client.post(url, body, content_type="application/json")
    assert_matches_openapi("POST", url, response)
    return response


def test_a_landlord_reports_through_the_api_and_the_officer_resolves(landlord_a, house_a, station, token_for):
    landlord = api_client(token_for(landlord_a))
    number = citizen_id("511321", "19950505", "321")
    body = {
        "kind": "arrival",
        "occurred_on": (TODAY - dt.timedelta(days=4)).isoformat(),
        "house_id": house_a.pk,
        "person": {"doc_number": number, "name": "租客甲"},
    }
    created = post(landlord, "/api/compliance/reports", body)
    assert created.status_code == 201
    assert created.json()["outcome"] == "created" and created.json()["late"] is True
    assert created.json()["deadline_days"] == 2 and created.json()["lag_days"] == 4
    # A collector's record of someone else, at no house: the report disagrees.
    other = make_person("租客乙", citizen_id("511321", "19960606", "222"))
    make_stay(other, arrived=TODAY - dt.timedelta(days=30))
    disputed = post(
        landlord, "/api/compliance/reports", {**body, "person": {"doc_number": other.doc_number, "name": "租客乙"}}
    )
    assert disputed.json()["outcome"] == "disagreed"
    fields = {d["field"] for d in disputed.json()["disagreements"]}
    assert fields == {"house", "arrived_on"}
    bad = post(landlord, "/api/compliance/reports", {**body, "house_id": 999999})
    assert bad.status_code == 422 and bad.json()["detail"][0]["rule"] == "duty.own_house"

    officer = api_client(token_for(station))
    listed = officer.get("/api/compliance/disagreements")
    assert_matches_openapi("GET", "/api/compliance/disagreements", listed)
    house_item = next(d for d in listed.json() if d["field"] == "house")
    url = f"/api/compliance/disagreements/{house_item['id']}/resolve"
    resolved = post(officer, url, {"accept": True, "note": "核实"})
    assert resolved.json()["status"] == "accepted"
    assert Stay.objects.get(person=other).house_id == house_a.pk


def test_tenancy_filing_endpoints(station, house_a, person_in, token_for):
    officer = api_client(token_for(station))
    body = {
        "house_id": house_a.pk,
        "starts_on": (TODAY - dt.timedelta(days=5)).isoformat(),
        "ends_on": (TODAY + dt.timedelta(days=360)).isoformat(),
        "monthly_rent": "1200.50",
        "rooms": "2",
        "tenants": [{"person_id": person_in.pk}],
    }
    created = post(officer, "/api/compliance/tenancies", body)
    assert created.status_code == 201
    filing = created.json()
    assert filing["number"].startswith("ZL510104001001") and filing["tenants"][0]["stay_id"]
    assert person_in.doc_number not in created.content.decode()
    detail = officer.get(f"/api/compliance/tenancies/{filing['id']}")
    assert_matches_openapi("GET", f"/api/compliance/tenancies/{filing['id']}", detail)
    listed = officer.get("/api/compliance/tenancies?status=active")
    assert_matches_openapi("GET", "/api/compliance/tenancies", listed)
    assert [f["id"] for f in listed.json()] == [filing["id"]]
    ended = post(officer, f"/api/compliance/tenancies/{filing['id']}/end", {"ended_on": TODAY.isoformat()})
    assert ended.json()["status"] == "ended" and person_in.stays.get().departed_on == TODAY
    follow = officer.get("/api/compliance/houses/follow-up")
    assert_matches_openapi("GET", "/api/compliance/houses/follow-up", follow)
    invalid = post(officer, "/api/compliance/tenancies", {**body, "ends_on": "2000-01-01"})
    assert invalid.status_code == 422 and "ends_on" in invalid.json()["detail"][0]["loc"]
