"""Every role, every page and endpoint: inside the jurisdiction it works, outside it looks missing,
and a refused write changes nothing (STYLE.md: authorization is tested as a matrix)."""

import json

import pytest

from liuguan.accounts.roles import ALL_STAFF, Role, role_has
from liuguan.conftest import FAR_COMMUNITY, IN_COMMUNITY, ROLE_DIVISIONS, api_client, login
from liuguan.core.models import AuditEvent
from liuguan.registry.models import DuplicateReview, FieldChange, House, Person, Stay

MISSING_ID = 999_999
# Landlords, employers and hotels have no jurisdiction: their own matrix (own objects only, everything else
# missing) is compliance/tests/test_own_scope.py; migrants reach only their own records (liuguan/portal/tests).
ROLES = [role for role in Role if role in ALL_STAFF]


def _state():
    return (
        Person.objects.count(),
        Stay.objects.count(),
        Stay.objects.filter(departed_on__isnull=False).count(),
        AuditEvent.objects.count(),
        FieldChange.objects.count(),
        DuplicateReview.objects.count(),
        House.objects.count(),
        tuple(Person.objects.order_by("pk").values_list("phone", flat=True)),
        tuple(Stay.objects.order_by("pk").values_list("address", flat=True)),
    )


def _reads(person_id, code, house_id):
    """(permission, page path, API path) for each read of one object; None where no such page exists."""
    return [
        ("person.view", f"/registry/people/{person_id}/", f"/api/registry/persons/{person_id}"),
        ("person.view", None, f"/api/registry/persons/{person_id}/history"),
        ("division.view", f"/geo/{code}/", f"/api/geo/divisions/{code}"),
        ("place.view", f"/registry/houses/{house_id}/", f"/api/registry/houses/{house_id}"),
    ]


@pytest.fixture
def world(users, person_in, person_far):
    house_in = House.objects.create(community_id=IN_COMMUNITY, address="督院街 1 号", owner_name="甲")
    house_far = House.objects.create(community_id=FAR_COMMUNITY, address="太白路 1 号", owner_name="乙")
    return {"users": users, "in": person_in, "far": person_far, "house_in": house_in, "house_far": house_far}


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_reads_inside_work_and_outside_looks_missing(world, role, token_for):
    user = world["users"][role]
    page, api = login(user), api_client(token_for(user))
    inside, far = world["in"], world["far"]
    own = ROLE_DIVISIONS[role]
    for (perm, page_in, api_in), (_, page_far, api_far), (_, page_missing, api_missing) in zip(
        _reads(inside.pk, own, world["house_in"].pk),
        _reads(far.pk, "500101", world["house_far"].pk),
        _reads(MISSING_ID, "510799", MISSING_ID),
        strict=True,
    ):
        allowed = role_has(role, perm)
        for client, path_in, path_far, path_missing in (
            (page, page_in, page_far, page_missing),
            (api, api_in, api_far, api_missing),
        ):
            if path_in is None:
                continue
            r_in, r_far, r_missing = client.get(path_in), client.get(path_far), client.get(path_missing)
            if not allowed:
                assert r_in.status_code == r_far.status_code == r_missing.status_code == 403, path_in
                continue
            assert r_in.status_code == 200, path_in
            assert r_far.status_code == r_missing.status_code == 404, (path_far, r_far.status_code)
            assert r_far.content == r_missing.content, path_far


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_search_never_finds_people_outside(world, role, token_for):
    user = world["users"][role]
    api = api_client(token_for(user))
    for query in (world["far"].doc_number, "wangwu", "ww", "王五"):
        response = api.get("/api/registry/persons", {"q": query})
        if not role_has(role, "person.view"):
            assert response.status_code == 403
            continue
        assert response.status_code == 200 and response.json() == [], (role, query)
        page = login(user).get("/registry/people/", {"q": query}).content.decode()
        assert f"/registry/people/{world['far'].pk}/" not in page and 'data-testid="results"' in page
    if role_has(role, "person.view"):
        found = api.get("/api/registry/persons", {"q": "zs"}).json()
        assert [p["id"] for p in found] == [world["in"].pk]


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_refused_writes_change_nothing(world, role, token_for):
    user = world["users"][role]
    api = api_client(token_for(user))
    far_stay = world["far"].stays.get()
    before = _state()
    attempts = [
        api.post(
            f"/api/registry/stays/{far_stay.pk}/depart",
            json.dumps({"departed_on": "2025-01-02"}),
            content_type="application/json",
        ),
        api.post(
            f"/api/registry/persons/{world['far'].pk}/reveal",
            json.dumps({"purpose": "核查身份信息"}),
            content_type="application/json",
        ),
        api.post(
            f"/api/registry/persons/{world['far'].pk}/stays",
            json.dumps(
                {"community_code": ROLE_DIVISIONS[role].ljust(12, "0"), "arrived_on": "2025-01-01", "reason": "work"}
            ),
            content_type="application/json",
        ),
        login(user).post(f"/registry/stays/{far_stay.pk}/depart/", {"departed_on": "2025-01-02"}),
        login(user).post(f"/registry/people/{world['far'].pk}/reveal/", {"purpose": "核查身份信息"}),
        api.patch(
            f"/api/registry/stays/{far_stay.pk}", json.dumps({"address": "改地址"}), content_type="application/json"
        ),
        api.patch(
            f"/api/registry/persons/{world['far'].pk}/contact",
            json.dumps({"phone": "13800001111"}),
            content_type="application/json",
        ),
        api.post(f"/api/registry/persons/{world['far'].pk}/same-person"),
        login(user).post(f"/registry/people/{world['far'].pk}/same/"),
        login(user).post(f"/registry/people/{world['far'].pk}/contact/", {"phone": "13800001111"}),
        login(user).post(f"/registry/stays/{far_stay.pk}/change/", {"address": "改地址"}),
        login(user).post(
            f"/registry/people/{world['far'].pk}/stays/",
            {"community_code": IN_COMMUNITY, "arrived_on": "2025-01-01", "reason": "work"},
        ),
    ]
    for response in attempts:
        assert response.status_code in (403, 404), response.content
    # A house in a community outside scope: the community is a form field, so it is named as not allowed.
    house = api.post(
        "/api/registry/houses",
        json.dumps({"community_code": FAR_COMMUNITY, "address": "x 1 号", "owner_name": "丙"}),
        content_type="application/json",
    )
    assert house.status_code == (422 if role_has(role, "place.register") else 403)
    assert _state() == before
    far_stay.refresh_from_db()
    assert far_stay.departed_on is None


@pytest.mark.parametrize("role", [r for r in ROLES if role_has(r, "person.register")], ids=lambda r: r.value)
def test_registering_into_a_community_outside_is_refused(world, role, token_for):
    api = api_client(token_for(world["users"][role]))
    before = _state()
    response = api.post(
        "/api/registry/persons",
        json.dumps(
            {
                "doc_number": "11010519491231002X",
                "name": "赵六",
                "stay": {"community_code": "510703001001", "arrived_on": "2025-01-01", "reason": "work"},
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert {d["rule"] for d in response.json()["detail"]} == {"stay.community_in_scope"}
    assert _state() == before


@pytest.mark.parametrize("role", [r for r in ROLES if role_has(r, "stay.depart")], ids=lambda r: r.value)
def test_inside_writes_work_and_are_audited(world, role, token_for):
    api = api_client(token_for(world["users"][role]))
    stay = world["in"].stays.get()
    response = api.post(
        f"/api/registry/stays/{stay.pk}/depart",
        json.dumps({"departed_on": "2025-06-01", "destination": "绵阳"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    stay.refresh_from_db()
    assert str(stay.departed_on) == "2025-06-01"
    event = AuditEvent.objects.filter(action="stay.depart").latest("id")
    assert (event.object_id, event.actor_username) == (str(stay.pk), role.value)
    # The departure changed the person's facts, so their tier was worked out again in the same transaction.
    assert AuditEvent.objects.latest("id").action == "tier.recompute"


def test_anonymous_gets_nothing(world):
    from django.test import Client

    anonymous = Client()
    assert anonymous.get(f"/api/registry/persons/{world['in'].pk}").status_code == 401
    page = anonymous.get(f"/registry/people/{world['in'].pk}/")
    assert page.status_code == 302 and "/accounts/login/" in page["Location"]
    assert anonymous.get("/api/geo/divisions/51").status_code == 401


def test_revoked_token_stops_working(world, token_for):
    from django.utils import timezone

    from liuguan.accounts.models import ApiToken

    key = token_for(world["users"][Role.COUNTY_OFFICER])
    api = api_client(key)
    assert api.get(f"/api/registry/persons/{world['in'].pk}").status_code == 200
    ApiToken.objects.filter(key_hash=ApiToken.digest(key)).update(revoked_at=timezone.now())
    assert api.get(f"/api/registry/persons/{world['in'].pk}").status_code == 401


def test_audit_log_is_scoped_to_the_auditors_jurisdiction(world, divisions, token_for):
    from django.db import transaction

    from liuguan.accounts.models import User
    from liuguan.core.audit import SYSTEM, audit_record

    with transaction.atomic():
        audit_record(actor=SYSTEM, action="test.in_chengdu", division_code="510104001001")
        audit_record(actor=SYSTEM, action="test.in_mianyang", division_code="510703001001")
    county_auditor = User.objects.create(username="county_auditor", role=Role.AUDITOR, division=divisions["510104"])
    seen = {e["action"] for e in api_client(token_for(county_auditor)).get("/api/audit/events").json()}
    assert "test.in_chengdu" in seen and "test.in_mianyang" not in seen
    province = {
        e["action"] for e in api_client(token_for(world["users"][Role.AUDITOR])).get("/api/audit/events").json()
    }
    assert {"test.in_chengdu", "test.in_mianyang"} <= province
    page = login(county_auditor).get("/audit/").content.decode()
    assert "test.in_chengdu" in page and "test.in_mianyang" not in page
