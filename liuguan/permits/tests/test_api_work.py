"""The permit API through its documented shapes, and the permission and scope matrix of pages and endpoints:
inside the jurisdiction it works, outside it looks missing, and a refused write changes nothing."""

import datetime as dt
import json

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import ALL_STAFF, Role, role_has
from liuguan.conftest import FAR_COMMUNITY, api_client, login
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.permits.models import Application, Endorsement, Permit, PermitEvent
from liuguan.permits.services import (
    application_decide,
    application_receive,
    permit_handover,
    permit_issue,
    permit_print,
)

from .conftest import ALL_MATERIALS

D = dt.date
ROLES = [role for role in Role if role in ALL_STAFF]  # migrants: liuguan/portal/tests
MISSING_ID = 999_999


def _post(client, path, body=None):
    return client.post(path, json.dumps(body or {}), content_type="application/json")


def test_an_application_goes_from_receipt_to_an_endorsed_permit_through_the_api(
    users, permit_policies, resident, clock, token_for
):
    api = api_client(token_for(users[Role.STATION_OFFICER]))
    person = resident(arrived_on=D(2024, 1, 2))
    clock(D(2025, 1, 20))
    body = {
        "person_id": person.pk,
        "stay_id": person.stay.pk,
        "permit_kind": "formal",
        "condition": "residence",
        "materials": {"id_card": True, "photo": True, "lease": True},
    }
    received = _post(api, "/api/permits/applications", body)
    assert received.status_code == 201, received.content
    assert_matches_openapi("POST", "/api/permits/applications", received)
    data = received.json()
    assert (data["status"], data["notice_missing"], data["due_on"]) == ("incomplete", ["social_insurance"], None)
    path = f"/api/permits/applications/{data['id']}"
    completed = _post(api, f"{path}/complete", {"materials": {"social_insurance_record": True}})
    assert (
        completed.json()["status"] == "accepted" and completed.json()["due_on"] == "2025-02-14"
    )  # across Spring Festival and its make-up days
    assert_matches_openapi("POST", f"{path}/complete", completed)
    bad = _post(api, f"{path}/decide", {"approve": False, "reasons": ""})
    assert bad.status_code == 422 and bad.json()["detail"][0]["rule"] == "permit.reasons_required"
    assert_matches_openapi("POST", f"{path}/decide", bad)
    decided = _post(api, f"{path}/decide", {"approve": True})
    assert decided.json()["decision"]["kind"] == "formal"
    assert decided.json()["decision"]["residence_since"] == "2024-01-02"
    issued = _post(api, f"{path}/issue")
    assert issued.status_code == 201
    assert_matches_openapi("POST", f"{path}/issue", issued)
    permit = issued.json()
    assert (permit["kind"], permit["status"], permit["valid_until"]) == ("formal", "issued", "2030-01-19")
    assert "token_nonce" not in permit and person.doc_number not in issued.content.decode()
    permit_path = f"/api/permits/permits/{permit['id']}"
    assert _post(api, f"{permit_path}/handover").status_code == 422  # not printed yet
    assert _post(api, f"{permit_path}/print").json()["printed_at"]
    assert _post(api, f"{permit_path}/handover").json()["status"] == "valid"
    clock(D(2026, 1, 5))
    endorsed = _post(api, f"{permit_path}/endorse", {})
    assert endorsed.status_code == 200, endorsed.content
    assert_matches_openapi("POST", f"{permit_path}/endorse", endorsed)
    assert endorsed.json()["endorsements"] == [{"on": "2026-01-05", "late": False}]
    assert endorsed.json()["state"]["window_opens"] == "2026-12-20"
    listed = api.get("/api/permits/permits", {"status": "valid"})
    assert_matches_openapi("GET", "/api/permits/permits", listed)
    assert [p["number"] for p in listed.json()] == [permit["number"]]
    apps = api.get("/api/permits/applications")
    assert_matches_openapi("GET", "/api/permits/applications", apps)
    assert apps.json()[0]["permit_id"] == permit["id"]


@pytest.fixture
def world(users, permit_policies, resident, clock, divisions):
    """A permit and an accepted application inside the accounts' area, the same outside every area."""
    from liuguan.geo.models import Division, Level

    clock(D(2025, 9, 1))
    far_station = User.objects.create(
        username="far_station", role=Role.STATION_OFFICER, division=Division.objects.get(code=FAR_COMMUNITY)
    )
    assert divisions[FAR_COMMUNITY].level == Level.COMMUNITY
    made = {}
    for key, actor, community in (("in", users[Role.STATION_OFFICER], None), ("far", far_station, FAR_COMMUNITY)):
        kw = {"community": community} if community else {}
        holder = resident(arrived_on=D(2023, 1, 1), **kw)
        kind = "formal" if community is None else "permit"
        materials = {**ALL_MATERIALS, "social_insurance_record": True} if community is None else ALL_MATERIALS
        granted = application_receive(
            actor=actor,
            person_id=holder.pk,
            stay_id=holder.stay.pk,
            permit_kind=kind,
            condition="employment",
            materials=materials,
        )
        application_decide(actor=actor, application_id=granted.pk, approve=True, reasons="")
        permit = permit_issue(actor=actor, application_id=granted.pk)
        permit_print(actor=actor, permit_id=permit.pk)
        permit_handover(actor=actor, permit_id=permit.pk)
        applicant = resident(arrived_on=D(2023, 1, 1), **kw)
        pending = application_receive(
            actor=actor,
            person_id=applicant.pk,
            stay_id=applicant.stay.pk,
            permit_kind=kind,
            condition="employment",
            materials=materials,
        )
        made[key] = {"permit": permit, "application": pending, "applicant": applicant}
    return made


def _reads(permit_id, application_id):
    """(page path, API path) of each read of one object."""
    return [
        (f"/permits/{permit_id}/", f"/api/permits/permits/{permit_id}"),
        (f"/permits/applications/{application_id}/", f"/api/permits/applications/{application_id}"),
    ]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_reads_inside_work_and_outside_look_missing(world, users, role, token_for):
    user = users[role]
    page, api = login(user), api_client(token_for(user))
    inside = _reads(world["in"]["permit"].pk, world["in"]["application"].pk)
    far = _reads(world["far"]["permit"].pk, world["far"]["application"].pk)
    missing = _reads(MISSING_ID, MISSING_ID)
    allowed = role_has(role, "permit.view")
    for (page_in, api_in), (page_far, api_far), (page_missing, api_missing) in zip(inside, far, missing, strict=True):
        for client, path_in, path_far, path_missing in (
            (page, page_in, page_far, page_missing),
            (api, api_in, api_far, api_missing),
        ):
            r_in, r_far, r_missing = client.get(path_in), client.get(path_far), client.get(path_missing)
            if not allowed:
                assert r_in.status_code == r_far.status_code == r_missing.status_code == 403, path_in
                continue
            assert r_in.status_code == 200, (path_in, r_in.status_code)
            assert r_far.status_code == r_missing.status_code == 404, path_far
            assert r_far.content == r_missing.content
    if allowed:
        numbers = [p["number"] for p in api.get("/api/permits/permits").json()]
        assert numbers == [world["in"]["permit"].number]
        listed = page.get("/permits/issued/").content.decode()
        assert world["far"]["permit"].number not in listed and world["in"]["permit"].number in listed
        assert world["far"]["application"].number not in page.get("/permits/applications/").content.decode()


def _state():
    return (
        Application.objects.count(),
        Permit.objects.count(),
        PermitEvent.objects.count(),
        Endorsement.objects.count(),
        AuditEvent.objects.count(),
        tuple(Application.objects.order_by("pk").values_list("status", flat=True)),
        tuple(Permit.objects.order_by("pk").values_list("status", "printed_at", "token_nonce")),
    )


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_writes_outside_the_area_are_refused_and_change_nothing(world, users, role, token_for):
    user = users[role]
    page, api = login(user), api_client(token_for(user))
    permit, application = world["far"]["permit"].pk, world["far"]["application"].pk
    applicant = world["far"]["applicant"]
    before = _state()
    attempts = [
        _post(api, f"/api/permits/applications/{application}/decide", {"approve": True}),
        _post(api, f"/api/permits/applications/{application}/complete", {"materials": {"photo": True}}),
        _post(api, f"/api/permits/applications/{application}/issue"),
        _post(api, f"/api/permits/permits/{permit}/print"),
        _post(api, f"/api/permits/permits/{permit}/endorse", {}),
        _post(api, f"/api/permits/permits/{permit}/revoke", {"reason": "x"}),
        _post(api, f"/api/permits/permits/{permit}/replace", {"reason": "遗失"}),
        _post(api, f"/api/permits/permits/{permit}/upgrade", {"materials": {}}),
        _post(
            api,
            "/api/permits/applications",
            {
                "person_id": applicant.pk,
                "stay_id": applicant.stay.pk,
                "permit_kind": "permit",
                "condition": "employment",
                "materials": {},
            },
        ),
        page.post(f"/permits/applications/{application}/decide/", {"decision": "approve"}),
        page.post(f"/permits/applications/{application}/issue/"),
        page.post(f"/permits/{permit}/print/"),
        page.post(f"/permits/{permit}/handover/"),
        page.post(f"/permits/{permit}/endorse/", {}),
        page.post(f"/permits/{permit}/revoke/", {"reason": "x"}),
        page.post(f"/permits/{permit}/replace/", {"reason": "遗失"}),
        page.post(f"/permits/{permit}/upgrade/"),
        page.post("/permits/applications/new/", {"person_id": applicant.pk, "stay_id": applicant.stay.pk}),
    ]
    for response in attempts:
        assert response.status_code in (403, 404), (response.request["PATH_INFO"], response.status_code)
    assert _state() == before


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_each_role_may_do_inside_what_its_permissions_say(world, users, role, token_for):
    api = api_client(token_for(users[role]))
    permit, application = world["in"]["permit"].pk, world["in"]["application"].pk
    decided = _post(api, f"/api/permits/applications/{application}/decide", {"approve": True})
    assert decided.status_code == (200 if role_has(role, "permit.decide") else 403), decided.content
    printed = _post(api, f"/api/permits/permits/{permit}/print")
    assert printed.status_code == (200 if role_has(role, "permit.issue") else 403)
    revoked = _post(api, f"/api/permits/permits/{permit}/revoke", {"reason": "骗领"})
    assert revoked.status_code == (200 if role_has(role, "permit.revoke") else 403)
    assert Permit.objects.get(pk=permit).status == ("revoked" if role_has(role, "permit.revoke") else "valid")
