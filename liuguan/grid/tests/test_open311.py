"""Conformance with Open311 GeoReport v2, written from the spec's text: the four resources, their required
fields and formats, the 90-day window, the api_key on POST, and errors as a list of {code, description}."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from liuguan.conftest import IN_COMMUNITY
from liuguan.grid.models import Channel, GridEvent, Notification, Source, State
from liuguan.grid.services.open311 import open311_client_create

from .world import event_in

pytestmark = pytest.mark.django_db

BASE = "/open311/v2"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}


@pytest.fixture
def key(world):
    return open311_client_create(actor=world["deputy"], name="12345 热线")[1]


def _error(response, status):
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list) and body and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def test_services_list_the_public_categories_with_the_required_fields(world):
    services = Client().get(f"{BASE}/services.json").json()
    codes = {s["service_code"] for s in services}
    assert {"rental_house_safety", "fire_safety", "sanitation"} <= codes
    assert not codes & {"tenant_unreported", "endorsement_overdue", "bulletin_hit"}  # internal ones are not services
    for service in services:
        assert set(service) >= {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"}
        assert service["metadata"] is False and service["type"] in ("realtime", "batch", "blackbox")
    definition = Client().get(f"{BASE}/services/fire_safety.json").json()
    assert definition == {"service_code": "fire_safety", "attributes": []}
    _error(Client().get(f"{BASE}/services/nothing.json"), 404)
    _error(Client().get(f"{BASE}/services/tenant_unreported.json"), 404)


def test_xml_is_refused_with_a_json_error(world):
    for path in ("services.xml", "services/fire_safety.xml", "requests.xml", "requests/1.xml"):
        assert "JSON" in _error(Client().get(f"{BASE}/{path}"), 404)


def test_post_needs_a_valid_api_key_and_changes_nothing_without_one(world, key):
    data = {"service_code": "sanitation", "address_id": str(world["house"].pk), "description": "垃圾"}
    _error(Client().post(f"{BASE}/requests.json", data), 403)
    _error(Client().post(f"{BASE}/requests.json", {**data, "api_key": "o311_wrong"}), 403)
    assert GridEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"address_id": "1"}, "service_code"),
        ({"service_code": "nothing", "address_string": "x"}, "service_code"),
        ({"service_code": "tenant_unreported", "jurisdiction_id": IN_COMMUNITY}, "service_code"),
        ({"service_code": "sanitation"}, "location"),
        ({"service_code": "sanitation", "lat": "30.657"}, "long"),
        ({"service_code": "sanitation", "lat": "91", "long": "104.07"}, "lat"),
        ({"service_code": "sanitation", "lat": "0", "long": "0"}, "location"),
        ({"service_code": "sanitation", "address_string": "无此地址"}, "location"),
        ({"service_code": "sanitation", "address_id": "999999"}, "address_id"),
        ({"service_code": "sanitation", "jurisdiction_id": IN_COMMUNITY, "media_url": "ftp://x"}, "media_url"),
    ],
)
def test_a_bad_post_is_a_400_naming_the_field_and_writes_nothing(world, key, data, says):
    description = _error(Client().post(f"{BASE}/requests.json", {**data, "api_key": key}), 400)
    assert says in description
    assert GridEvent.objects.count() == 0


def test_a_posted_request_lands_by_each_location_rule(world, key):
    def post(**location):
        data = {"api_key": key, "service_code": "sanitation", "description": "占道经营", **location}
        response = Client().post(f"{BASE}/requests.json", data)
        assert response.status_code == 200, response.content
        [created] = response.json()
        assert set(created) >= {"service_request_id", "service_notice", "account_id"}
        return GridEvent.objects.get(pk=int(created["service_request_id"]))

    by_house = post(address_id=str(world["house"].pk))
    assert (by_house.grid, by_house.house, by_house.address) == (world["grid"], world["house"], "东御河沿街 8 号")
    by_point = post(lat="30.6575", long="104.0705")  # about 70 m from the grid's centre
    assert by_point.grid == world["grid"] and str(by_point.latitude) == "30.657500"
    by_address = post(address_string="东御河沿街 8 号")
    assert by_address.house == world["house"]
    by_community = post(jurisdiction_id=IN_COMMUNITY, address_string="东御河沿街口")
    assert (by_community.community_id, by_community.grid, by_community.address) == (IN_COMMUNITY, None, "东御河沿街口")
    assert {e.source for e in (by_house, by_point, by_address, by_community)} == {Source.OPEN311}
    assert by_house.channel == Channel.OPEN311 and by_house.state == State.DISCOVERED


def test_get_requests_filters_and_the_request_shape(world, key):
    response = Client().post(
        f"{BASE}/requests.json",
        {
            "api_key": key,
            "service_code": "sanitation",
            "address_id": str(world["house"].pk),
            "description": "垃圾",
            "email": "a@example.org",
            "first_name": "三",
            "last_name": "张",
            "phone": "13900001111",
        },
    )
    posted = int(response.json()[0]["service_request_id"])
    closed = event_in(State.CLOSED, category="fire_safety", department="fire_rescue")
    internal = event_in(State.TRANSMITTED, category="tenant_unreported")
    everything = Client().get(f"{BASE}/requests.json").json()
    ids = [int(r["service_request_id"]) for r in everything]
    assert posted in ids and closed.pk in ids and internal.pk not in ids
    one = next(r for r in everything if int(r["service_request_id"]) == posted)
    assert set(one) == REQUEST_FIELDS
    assert one["status"] == "open" and one["description"] == "垃圾" and one["address_id"] == str(world["house"].pk)
    assert ISO.match(one["requested_datetime"]) and one["requested_datetime"].endswith("+08:00")
    assert ISO.match(one["expected_datetime"])  # from the acceptance deadline
    body = str(everything)
    assert "13900001111" not in body and "a@example.org" not in body and "张" not in body
    only_open = Client().get(f"{BASE}/requests.json", {"status": "open"}).json()
    assert {r["status"] for r in only_open} == {"open"}
    only_closed = Client().get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert [int(r["service_request_id"]) for r in only_closed] == [closed.pk]
    assert only_closed[0]["expected_datetime"] is None
    by_code = Client().get(f"{BASE}/requests.json", {"service_code": "fire_safety"}).json()
    assert [r["service_code"] for r in by_code] == ["fire_safety"]
    by_ids = Client().get(f"{BASE}/requests.json", {"service_request_id": f"{posted},{internal.pk}"}).json()
    assert [int(r["service_request_id"]) for r in by_ids] == [posted]
    [single] = Client().get(f"{BASE}/requests/{posted}.json").json()
    assert single["service_request_id"] == str(posted)
    _error(Client().get(f"{BASE}/requests/{internal.pk}.json"), 404)
    _error(Client().get(f"{BASE}/requests/999999.json"), 404)


def test_the_date_window_is_at_most_90_days(world):
    event = event_in(State.TRANSMITTED, category="sanitation", department="urban_management")
    GridEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - dt.timedelta(days=120))
    assert Client().get(f"{BASE}/requests.json").json() == []  # the last 90 days by default
    start = (timezone.now() - dt.timedelta(days=125)).strftime("%Y-%m-%dT%H:%M:%SZ")
    end = (timezone.now() - dt.timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    found = Client().get(f"{BASE}/requests.json", {"start_date": start, "end_date": end}).json()
    assert [int(r["service_request_id"]) for r in found] == [event.pk]
    long_end = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "90" in _error(Client().get(f"{BASE}/requests.json", {"start_date": start, "end_date": long_end}), 400)
    _error(Client().get(f"{BASE}/requests.json", {"start_date": "yesterday"}), 400)
    _error(Client().get(f"{BASE}/requests.json", {"status": "pending"}), 400)


def test_status_follows_the_event_and_the_client_is_told(world, key):
    from liuguan.accounts.roles import Role
    from liuguan.grid.services.events import event_route

    response = Client().post(
        f"{BASE}/requests.json",
        {"api_key": key, "service_code": "sanitation", "jurisdiction_id": IN_COMMUNITY, "email": "a@example.org"},
    )
    pk = int(response.json()[0]["service_request_id"])
    event_route(actor=world[Role.STATION_OFFICER], event_id=pk, note="转城管")
    [request] = Client().get(f"{BASE}/requests/{pk}.json").json()
    assert request["agency_responsible"] == "市城市管理行政执法局"
    assert request["status_notes"].endswith("转城管")
    assert Notification.objects.filter(event_id=pk, channel="open311", recipient="a@example.org").count() == 2
