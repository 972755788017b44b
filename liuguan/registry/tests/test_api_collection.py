import json

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, api_client, citizen_id, login
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import DuplicateReview, Person


@pytest.fixture
def api(users, token_for):
    return api_client(token_for(users[Role.COLLECTOR]))


def _json(client, method, path, body):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json")


def _body(number, name, **over):
    return {
        "doc_number": number,
        "name": name,
        "stay": {"community_code": IN_COMMUNITY, "arrived_on": "2025-02-01", "reason": "work"},
        **over,
    }


def test_likely_duplicate_is_409_with_masked_candidates_then_confirmed(api, person_in):
    number = citizen_id("510104", "19900307", "551")
    response = _json(api, "post", "/api/registry/persons", _body(number, "张叁"))
    assert response.status_code == 409 and response.json()["rule"] == "person.likely_duplicate"
    assert_matches_openapi("POST", "/api/registry/persons", response)
    (candidate,) = response.json()["candidates"]
    assert candidate["id"] == person_in.pk and "*" in candidate["doc_number_masked"]
    assert person_in.doc_number not in response.content.decode()
    confirmed = _json(api, "post", "/api/registry/persons", _body(number, "张叁", not_duplicate_of=[person_in.pk]))
    assert confirmed.status_code == 201
    assert DuplicateReview.objects.get().decision == "different"


def test_places_stay_and_contact_changes_through_the_api(api, person_in, users):
    house = _json(
        api,
        "post",
        "/api/registry/houses",
        {"community_code": IN_COMMUNITY, "address": "督院街 3 号", "owner_name": "周房东"},
    )
    assert house.status_code == 201, house.content
    assert_matches_openapi("POST", "/api/registry/houses", house)
    employer = _json(
        api,
        "post",
        "/api/registry/employers",
        {"community_code": IN_COMMUNITY, "name": "锦江建筑公司", "credit_code": "91350100M000100Y43", "industry": "E"},
    )
    assert employer.status_code == 201
    bad = _json(
        api,
        "post",
        "/api/registry/employers",
        {"community_code": IN_COMMUNITY, "name": "x", "credit_code": "91350100M000100YI3", "industry": "E"},
    )
    assert bad.status_code == 422 and bad.json()["detail"][0]["rule"].startswith("gb32100")
    stay_id = person_in.stays.get().pk
    changed = _json(
        api,
        "patch",
        f"/api/registry/stays/{stay_id}",
        {"house_id": house.json()["id"], "employer_id": employer.json()["id"]},
    )
    assert changed.status_code == 200, changed.content
    contact = _json(api, "patch", f"/api/registry/persons/{person_in.pk}/contact", {"phone": "13800001111"})
    assert contact.json()["phone_masked"] == "138****1111"
    history = api.get(f"/api/registry/persons/{person_in.pk}/history")
    assert_matches_openapi("GET", f"/api/registry/persons/{person_in.pk}/history", history)
    fields = [h["field"] for h in history.json()]
    assert {"house_id", "employer_id", "phone"} <= set(fields)
    assert all(h["actor"] == str(users[Role.COLLECTOR]) for h in history.json() if h["field"] != "*")
    houses = api.get("/api/registry/houses").json()
    assert [h["address"] for h in houses] == ["督院街 3 号"]


def test_pages_show_the_duplicate_warning_and_record_same_person(users, person_in):
    client = login(users[Role.COLLECTOR])
    form = {
        "doc_type": "citizen_id",
        "doc_number": citizen_id("510104", "19900307", "551"),
        "name": "张叁",
        "ethnicity": "01",
        "nationality": "CHN",
        "community_code": IN_COMMUNITY,
        "arrived_on": "2025-02-01",
        "reason": "work",
    }
    page = client.post("/registry/people/new/", form).content.decode()
    assert 'data-testid="likely-duplicates"' in page and person_in.doc_number_masked in page
    response = client.post(f"/registry/people/{person_in.pk}/same/", form)
    assert response.status_code == 302 and response["Location"].endswith(f"/registry/people/{person_in.pk}/")
    assert DuplicateReview.objects.get().decision == "same" and Person.objects.count() == 1
    page = client.post("/registry/people/new/", {**form, "not_duplicate_of": [person_in.pk]})
    assert page.status_code == 302 and Person.objects.count() == 2


def test_house_page_lists_residents_and_prefills_registration(users, person_in):
    client = login(users[Role.STATION_OFFICER])
    response = client.post(
        "/registry/places/houses/new/",
        {"community_code": IN_COMMUNITY, "address": "督院街 5 号", "kind": "rental", "owner_name": "吴房东"},
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "督院街 5 号" in page and f"community_code={IN_COMMUNITY}" in page
    listing = client.get("/registry/places/houses/").content.decode()
    assert "督院街 5 号" in listing
