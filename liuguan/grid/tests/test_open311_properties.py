"""Hostile input at the public Open311 endpoint: whatever the parameters, the answer is JSON in the spec's shape
(200, or 400/403/404 with a list of {code, description}), never a server error, and a refused POST writes nothing.
"""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liuguan.accounts.roles import Role
from liuguan.grid.models import GridEvent
from liuguan.grid.services.open311 import open311_client_create

BASE = "/open311/v2"
FIXTURES = [HealthCheck.function_scoped_fixture]

# Text that parsers stumble on: digits of other scripts (² and ١ pass str.isdigit), impossible dates that are
# well formed, the ends of the calendar, huge numbers, and anything at all.
digits_like = st.text(st.sampled_from("0123456789²³¹١٢٣０１２-+:TZ ."), max_size=24)
datetimes = st.builds(
    lambda y, m, d, rest: f"{y:04d}-{m:02d}-{d:02d}{rest}",
    st.integers(0, 9999),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["T00:00:00Z", "T23:59:59+08:00", "T12:00:00", " 00:00:00 08:00", "", "T24:00:00Z"]),
)
hostile = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=30) | digits_like | datetimes
params = st.fixed_dictionaries(
    {},
    optional={
        name: hostile
        for name in ("start_date", "end_date", "service_request_id", "status", "service_code", "address_id", "lat")
    },
)


def _assert_spec_shaped(response):
    assert response.status_code in (200, 400, 403, 404), (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, list)
    if response.status_code != 200:
        assert body and set(body[0]) == {"code", "description"} and body[0]["code"] == response.status_code


@pytest.fixture
def open311_key(users, divisions):
    return open311_client_create(actor=users[Role.GRID_WORKER], name="热线")[1]


@pytest.mark.django_db
@settings(max_examples=40, suppress_health_check=FIXTURES)
@given(query=params)
def test_listing_requests_with_any_parameters_answers_in_the_specs_shape(divisions, query):
    _assert_spec_shaped(Client().get(f"{BASE}/requests.json", query))


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=FIXTURES)
@given(request_id=st.from_regex(r"[\w-]{1,30}", fullmatch=True) | digits_like.filter(lambda t: t.strip(" .:+")))
def test_one_request_by_any_id_is_found_or_404(divisions, request_id):
    response = Client().get(f"{BASE}/requests/{request_id}.json")
    if response.status_code == 404 and not response["Content-Type"].startswith("application/json"):
        return  # the URL pattern itself did not match (an id with characters outside [\w-])
    _assert_spec_shaped(response)


@pytest.mark.django_db
@settings(max_examples=30, suppress_health_check=FIXTURES)
@given(
    form=st.fixed_dictionaries(
        {"service_code": st.sampled_from(["sanitation", "fire_safety", "", "nope"]) | hostile},
        optional={
            name: hostile | st.sampled_from(["30.657", "104.07", "nan", "inf", "-0", "1e400", "510104001001"])
            for name in ("lat", "long", "address_id", "address_string", "jurisdiction_id", "media_url", "phone")
        },
    )
)
def test_posting_any_form_creates_a_request_or_is_refused_without_writing(open311_key, form):
    key = open311_key
    before = GridEvent.objects.count()
    response = Client().post(f"{BASE}/requests.json", {**form, "api_key": key})
    _assert_spec_shaped(response)
    assert GridEvent.objects.count() == before + (1 if response.status_code == 200 else 0)
