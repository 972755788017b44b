"""Who may open the dashboard and its API: officers and auditors inside their jurisdiction; outside is missing."""

import pytest

from liuguan.accounts.roles import ALL_STAFF, Role, role_has
from liuguan.conftest import ROLE_DIVISIONS, api_client, login
from liuguan.core.testing import assert_matches_openapi
from liuguan.insight.models import RollupState
from liuguan.insight.rollup import rollup_rebuild

pytestmark = pytest.mark.django_db
ROLES = [role for role in Role if role in ALL_STAFF]
BELOW = {2: "5101", 4: "510104", 6: "510104001", 9: "510104001001"}


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_dashboard_matrix(users, role, token_for, person_in):
    # given: the cells counted once
    rollup_rebuild()
    user = users[role]
    own = ROLE_DIVISIONS[role]
    page, api = login(user), api_client(token_for(user))
    allowed = role_has(role, "insight.view")
    # when / then: the page and both API operations answer alike
    response = page.get("/insight/")
    assert response.status_code == (200 if allowed else 403)
    for path in ("/api/insight/panels", "/api/insight/panels/children"):
        response = api.get(path)
        assert response.status_code == (200 if allowed else 403), path
        assert_matches_openapi("GET", path, response)
    if not allowed:
        return
    assert page.get("/insight/").context["board"].area.code == own
    assert api.get("/api/insight/panels").json()["area"]["code"] == own
    # Inside: the area below the jurisdiction opens.
    inside = BELOW.get(len(own), own)
    assert page.get("/insight/", {"area": inside}).status_code == 200
    response = api.get("/api/insight/panels/pyramid", {"area": inside})
    assert response.status_code == 200 and response.json()["area"]["code"] == inside
    assert_matches_openapi("GET", "/api/insight/panels/pyramid", response)
    # Outside (another province, another city) and missing answer alike, on the page and in the API.
    outside = ["500101", "5107"] if len(own) > 2 else ["500101", "50"]
    missing = own + "99" if len(own) < 12 else "510104001099"
    for code in [*outside, missing, "abc"]:
        assert page.get("/insight/", {"area": code}).status_code == 404, (role, code)
        for path in ("/api/insight/panels", "/api/insight/panels/children"):
            response = api.get(path, {"area": code})
            assert response.status_code == 404, (role, code, path)
            assert_matches_openapi("GET", path, response)
    far = page.get("/insight/", {"area": "500101"})
    gone = page.get("/insight/", {"area": missing})
    assert far.content == gone.content


def test_a_city_officer_cannot_look_up_at_the_province_or_across_at_another_city(users):
    rollup_rebuild()
    page = login(users[Role.CITY_OFFICER])
    assert page.get("/insight/", {"area": "5101"}).status_code == 200
    assert page.get("/insight/", {"area": "51"}).status_code == 404
    assert page.get("/insight/", {"area": "5107"}).status_code == 404
    assert page.get("/insight/", {"area": "510703001001"}).status_code == 404


def test_an_unknown_panel_is_missing(users, token_for):
    api = api_client(token_for(users[Role.PROVINCE_ADMIN]))
    response = api.get("/api/insight/panels/nothing_here")
    assert response.status_code == 404
    assert_matches_openapi("GET", "/api/insight/panels/nothing_here", response)


def test_anonymous_callers_are_sent_to_log_in_or_refused(db):
    from django.test import Client

    client = Client()
    response = client.get("/insight/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.get("/api/insight/panels").status_code == 401
    assert client.get("/api/insight/panels/children").status_code == 401


def test_a_refusal_does_no_work(users, token_for):
    # A collector is refused before anything is counted or read.
    api = api_client(token_for(users[Role.COLLECTOR]))
    assert api.get("/api/insight/panels").status_code == 403
    assert login(users[Role.COLLECTOR]).get("/insight/").status_code == 403
    assert not RollupState.objects.exists()
