"""Who may see the scorecard: officers inside their jurisdiction, nobody else; outside looks like missing."""

import pytest

from liuguan.accounts.roles import ALL_STAFF, Role, role_has
from liuguan.conftest import ROLE_DIVISIONS, api_client, login
from liuguan.oversight.models import CellsState

pytestmark = pytest.mark.django_db
ROLES = [role for role in Role if role in ALL_STAFF]  # migrants: liuguan/portal/tests
PAGES = ("/oversight/scorecard/", "/oversight/scorecard/export.xlsx")


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_scorecard_matrix(users, role, token_for):
    user = users[role]
    own = ROLE_DIVISIONS[role]
    page, api = login(user), api_client(token_for(user))
    allowed = role_has(role, "quality.view")
    for path in PAGES:
        response = page.get(path)
        assert response.status_code == (200 if allowed else 403), (path, response.status_code)
    response = api.get("/api/oversight/scorecard")
    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        # A refusal does no work: not even the cells were built.
        assert not CellsState.objects.exists()
        return
    assert response.json()["area_code"] == own
    # Inside: the jurisdiction itself and what lies under it.
    inside = own if len(own) == 12 else {2: "5101", 4: "510104", 6: "510104001", 9: "510104001001"}[len(own)]
    assert page.get("/oversight/scorecard/", {"parent": inside}).status_code == 200
    assert api.get("/api/oversight/scorecard", {"parent": inside}).status_code == 200
    # Outside (another province, another city) and missing answer alike.
    outside = ["500101", "5107"] if len(own) > 2 else ["500101"]
    missing = own + "99" if len(own) < 12 else "510104001099"
    for code in [*outside, missing]:
        for path in PAGES:
            response = page.get(path, {"parent": code})
            assert response.status_code == 404, (role, code, path)
        assert api.get("/api/oversight/scorecard", {"parent": code}).status_code == 404
    far = page.get("/oversight/scorecard/", {"parent": "500101"})
    gone = page.get("/oversight/scorecard/", {"parent": missing})
    assert far.content == gone.content


def test_city_officer_cannot_drill_into_another_city(users):
    page = login(users[Role.CITY_OFFICER])
    assert page.get("/oversight/scorecard/", {"parent": "5101", "level": "county"}).status_code == 200
    assert page.get("/oversight/scorecard/", {"parent": "5107", "level": "county"}).status_code == 404
    assert page.get("/oversight/scorecard/", {"parent": "510703", "level": "street"}).status_code == 404
    # Nor can they look above themselves at the province.
    assert page.get("/oversight/scorecard/", {"parent": "51"}).status_code == 404


def test_rows_never_leave_the_jurisdiction(users, person_in, person_out, person_far):
    page = login(users[Role.CITY_OFFICER])
    card = page.get("/oversight/scorecard/", {"level": "community"}).context["card"]
    assert {r.key[:4] for r in card.rows} == {"5101"}
    collectors = page.get("/oversight/scorecard/", {"level": "collector"}).context["card"]
    assert collectors.total.current.open_stays == 1  # person_in only; Mianyang and Chongqing are not here


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_index_renders_for_staff_and_links_what_the_role_opens(users, role):
    response = login(users[role]).get("/oversight/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ('href="/oversight/scorecard/"' in html) == role_has(role, "quality.view")
    assert ('data-part="sweeps"' in html) == (role_has(role, "sweep.manage") or role_has(role, "sweep.work"))


def test_index_refuses_duty_holders(users, divisions):
    from liuguan.accounts.models import User

    landlord = User.objects.create(username="landlord-x", role=Role.LANDLORD)
    assert login(landlord).get("/oversight/").status_code == 403


def test_anonymous_is_sent_to_log_in(db):
    from django.test import Client

    assert Client().get("/oversight/scorecard/").status_code == 302
    assert Client().get("/api/oversight/scorecard").status_code == 401
