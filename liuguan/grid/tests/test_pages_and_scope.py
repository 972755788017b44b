"""Pages and API of grid management, and their scope: outside looks missing (404), a role without the
permission is refused (403), and a refused step changes nothing."""

import json

import pytest

from liuguan.accounts.roles import ALL_STAFF, Role, role_has
from liuguan.conftest import FAR_COMMUNITY, IN_COMMUNITY, api_client, login
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.grid.models import GridEvent, GridEventStep, State
from liuguan.registry.models import Stay

from .world import event_in

pytestmark = pytest.mark.django_db
ROLES = [r for r in Role if r in ALL_STAFF]  # migrants: liuguan/portal/tests


def _state():
    return (
        GridEvent.objects.count(),
        GridEventStep.objects.count(),
        AuditEvent.objects.count(),
        tuple(GridEvent.objects.order_by("pk").values_list("state", flat=True)),
    )


def test_a_grid_worker_reports_on_the_phone_form_and_the_station_routes_it_with_htmx(world):
    worker = login(world[Role.GRID_WORKER])
    form = worker.get("/grid/report/").content.decode()
    assert world["grid"].code in form and world["far_grid"].code not in form
    response = worker.post(
        "/grid/report/",
        {"category": "rental_house_safety", "grid": world["grid"].code, "description": "楼道堆物", "address": ""},
    )
    event = GridEvent.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/grid/events/{event.pk}/"
    page = login(world[Role.STATION_OFFICER]).get(f"/grid/events/{event.pk}/").content.decode()
    assert 'data-action="route"' in page and 'data-action="accept"' not in page
    assert 'data-action="route"' not in worker.get(f"/grid/events/{event.pk}/").content.decode()
    panel = login(world[Role.STATION_OFFICER]).post(
        f"/grid/events/{event.pk}/act/route/", {"note": "转社区服务站"}, HTTP_HX_REQUEST="true"
    )
    html = panel.content.decode()
    assert panel.status_code == 200 and 'data-testid="event-panel"' in html and "<html" not in html
    assert 'data-action="accept"' in html and "转社区服务站" in html
    event.refresh_from_db()
    assert event.state == State.TRANSMITTED
    mine = worker.get("/grid/").content.decode()
    assert event.number in mine


def test_a_refused_step_on_a_page_says_why_and_changes_nothing(world):
    event = event_in(State.TRANSMITTED)
    before = _state()
    response = login(world[Role.STATION_OFFICER]).post(
        f"/grid/events/{event.pk}/act/close/", {"note": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and 'data-testid="action-errors"' in response.content.decode()
    assert _state() == before


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_event_pages_and_api_inside_work_outside_look_missing(world, role, token_for):
    user = world[role]
    inside = event_in(State.TRANSMITTED, grid=world["grid"])
    far = event_in(State.TRANSMITTED, community=FAR_COMMUNITY, division=FAR_COMMUNITY)
    page, api = login(user), api_client(token_for(user))
    before = _state()
    for client, path in ((page, "/grid/events/{}/"), (api, "/api/grid/events/{}")):
        r_in, r_far, r_missing = (client.get(path.format(pk)) for pk in (inside.pk, far.pk, 999999))
        if not role_has(role, "grid.view"):
            assert r_in.status_code == r_far.status_code == 403
            continue
        if role == Role.DEPARTMENT_USER:  # a department sees only what was routed to it
            assert r_in.status_code == 404
        else:
            assert r_in.status_code == 200, (path, r_in.status_code)
        assert r_far.status_code == r_missing.status_code == 404
    # Steps on an event outside: 404 (or 403 without the permission), nothing written.
    for response in (
        page.post(f"/grid/events/{far.pk}/act/accept/", {"note": "x"}),
        api.post(f"/api/grid/events/{far.pk}/accept", json.dumps({"note": "x"}), content_type="application/json"),
    ):
        assert response.status_code in (403, 404)
    grid_page = page.get(f"/grid/{world['far_grid'].code}/")
    assert grid_page.status_code in (403, 404)
    assert _state() == before


def test_the_grid_page_shows_its_people_masked_and_its_party_members(world, person_in):
    person_in.party_member = True
    person_in.save()
    Stay.objects.filter(person=person_in).update(grid=world["grid"], house=world["house"])
    event_in(State.TRANSMITTED, grid=world["grid"])
    html = login(world[Role.GRID_WORKER]).get(f"/grid/{world['grid'].code}/").content.decode()
    assert "张三" in html and person_in.doc_number not in html and person_in.doc_number_masked in html
    assert 'data-testid="grid-party"' in html and "副网格员" in html and "东御河沿街 8 号" in html
    # A department user may open grids but sees no one living there.
    fire = login(world["fire"]).get(f"/grid/{world['grid'].code}/").content.decode()
    assert "张三" not in fire


def test_api_report_and_step_match_the_openapi_document(world, token_for):
    api = api_client(token_for(world[Role.GRID_WORKER]))
    body = {"category": "fire_safety", "description": "电动车入户充电", "grid_code": world["grid"].code}
    created = api.post("/api/grid/events", json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert_matches_openapi("POST", "/api/grid/events", created)
    pk = created.json()["id"]
    desk = api_client(token_for(world[Role.STATION_OFFICER]))
    routed = desk.post(f"/api/grid/events/{pk}/route", json.dumps({}), content_type="application/json")
    assert routed.status_code == 200 and routed.json()["responsible"] == "市消防救援支队"
    assert_matches_openapi("POST", f"/api/grid/events/{pk}/route", routed)
    refused = desk.post(f"/api/grid/events/{pk}/close", json.dumps({}), content_type="application/json")
    assert refused.status_code == 422 and refused.json()["detail"][0]["rule"] == "grid.transition"
    assert_matches_openapi("POST", f"/api/grid/events/{pk}/close", refused)
    listed = api.get("/api/grid/events")
    assert_matches_openapi("GET", "/api/grid/events", listed)
    units = api_client(token_for(world[Role.COUNTY_OFFICER])).get("/api/grid/supervision/units")
    assert units.status_code == 200
    assert_matches_openapi("GET", "/api/grid/supervision/units", units)


def test_supervision_page_for_officers_only(world):
    assert login(world[Role.COUNTY_OFFICER]).get("/grid/supervision/").status_code == 200
    assert login(world[Role.GRID_WORKER]).get("/grid/supervision/").status_code == 403
    assert IN_COMMUNITY  # the fixture community the cards would be in
