"""Pages and API of legal aid: the queue and a request in scope, a step taken through a page, opening by API
(a migrant for themself), and the refusals."""

import json

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.livelihood.legalaid.models import LegalAidRequest, Status
from liuguan.livelihood.legalaid.services import legal_aid_request_open


def _open(net):
    return legal_aid_request_open(
        actor=net[Role.STATION_OFFICER], person_id=net["in"].pk, kind="wage_arrears", description="欠薪三个月"
    )


def test_queue_and_request_pages(net):
    request = _open(net)
    page = login(net[Role.STATION_OFFICER])
    queue = page.get("/livelihood/legalaid/")
    assert queue.status_code == 200 and f'data-request="{request.pk}"' in queue.content.decode()
    assert "张三" not in queue.content.decode()  # names are masked
    detail = page.get(f"/livelihood/legalaid/requests/{request.pk}/")
    assert detail.status_code == 200 and 'data-action="accept"' in detail.content.decode()
    assert page.get("/livelihood/legalaid/units/").status_code == 200
    outside = login(
        net[Role.STATION_OFFICER].__class__.objects.create(
            username="wuhou", role=Role.COUNTY_OFFICER, division_id="510107"
        )
    )
    assert outside.get(f"/livelihood/legalaid/requests/{request.pk}/").status_code == 404
    assert outside.get("/livelihood/legalaid/requests/999999/").status_code == 404


def test_a_step_through_the_page(net):
    request = _open(net)
    page = login(net[Role.STATION_OFFICER])
    response = page.post(f"/livelihood/legalaid/requests/{request.pk}/act/accept/", {"note": ""})
    assert response.status_code == 302
    assert LegalAidRequest.objects.get(pk=request.pk).status == Status.ACCEPTED
    # a refused step says why and changes nothing
    page.post(f"/livelihood/legalaid/requests/{request.pk}/act/accept/", {"note": ""})
    assert LegalAidRequest.objects.get(pk=request.pk).steps.count() == 3


def test_opening_through_the_page(net):
    page = login(net[Role.GRID_WORKER])
    response = page.post(
        "/livelihood/legalaid/new/",
        {"person_id": net["in"].pk, "kind": "tenancy", "description": "押金", "channel": "station"},
    )
    assert response.status_code == 302
    assert LegalAidRequest.objects.get().channel == "grid"
    response = page.post(
        "/livelihood/legalaid/new/",
        {"person_id": net["out"].pk, "kind": "tenancy", "description": "押金", "channel": "grid"},
    )
    assert response.status_code == 200 and LegalAidRequest.objects.count() == 1


def test_api(net, token_for):
    migrant = api_client(token_for(net["migrant"]))
    made = migrant.post(
        "/api/livelihood/legalaid/requests",
        json.dumps({"kind": "wage_arrears", "description": "欠薪"}),
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["status"] == "referred" and body["channel"] == "portal" and len(body["steps"]) == 2
    other = migrant.post(
        "/api/livelihood/legalaid/requests",
        json.dumps({"person_id": net["out"].pk, "kind": "other", "description": "x"}),
        content_type="application/json",
    )
    assert other.status_code == 404
    assert migrant.get("/api/livelihood/legalaid/requests").status_code == 403  # the portal is the migrant's way
    station = api_client(token_for(net[Role.STATION_OFFICER]))
    listed = station.get("/api/livelihood/legalaid/requests").json()
    assert [r["id"] for r in listed] == [body["id"]] and listed[0]["person_masked"] != "张三"
    acted = station.post(
        f"/api/livelihood/legalaid/requests/{body['id']}/accept", json.dumps({}), content_type="application/json"
    )
    assert acted.status_code == 200 and acted.json()["status"] == "accepted" and acted.json()["handle_due"]
    refused = station.post(
        f"/api/livelihood/legalaid/requests/{body['id']}/accept", json.dumps({}), content_type="application/json"
    )
    assert refused.status_code in (400, 422)
    figures = station.get("/api/livelihood/legalaid/units/figures").json()
    assert figures["total"]["liaison"] == 1
