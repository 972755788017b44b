"""A real Open311 client library (georeport, from PyPI) reads our endpoint over HTTP: services, a definition,
requests and one request. georeport cannot post (its own README says so); posting is covered by the
conformance tests with form-encoded bodies as the spec writes them. The Python 2 clients on PyPI (open311,
three) do not import on Python 3."""

import pytest
from django.test import Client

from liuguan.grid.loading import load_categories
from liuguan.grid.models import EventCategory
from liuguan.grid.services.open311 import open311_client_create

georeport = pytest.importorskip("georeport")

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_georeport_reads_services_and_requests(world, live_server):
    # A transactional test earlier in the run may have flushed the categories the migration loaded.
    load_categories(EventCategory)
    key = open311_client_create(actor=world["deputy"], name="georeport")[1]
    posted = Client().post(
        "/open311/v2/requests.json",
        {"api_key": key, "service_code": "fire_safety", "address_id": str(world["house"].pk), "description": "堵塞"},
    )
    request_id = posted.json()[0]["service_request_id"]
    client = georeport.GeoReport(f"{live_server.url}/open311/v2", api_key=key)
    services = client.get_service_list()
    assert "fire_safety" in {s["service_code"] for s in services}
    assert client.get_service_definition("fire_safety")["attributes"] == []
    requests = client.get_service_requests(service_code="fire_safety", status="open")
    assert [r["service_request_id"] for r in requests] == [request_id]
    one = client.get_service_request(request_id)
    assert (one["status"], one["service_name"]) == ("open", "消防安全")
