"""Hostile input through the registration API: any JSON at all gets a 4xx, never a server error."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, api_client
from liuguan.registry.models import Person

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "doc_type": st.sampled_from(["citizen_id", "passport", "hmt_resident", "foreign_pr", "x"]) | json_values,
        "doc_number": st.text(max_size=40) | json_values,
        "name": st.text(max_size=80) | json_values,
        "sex": st.sampled_from(["M", "F", "", "X"]) | json_values,
        "birth_date": st.dates().map(str) | st.text(max_size=12),
        "phone": st.text(alphabet="0123456789+- ", max_size=16),
        "stay": st.fixed_dictionaries(
            {},
            optional={
                "community_code": st.sampled_from([IN_COMMUNITY, "510703001001", "", "5101"]) | st.text(max_size=14),
                "arrived_on": st.dates().map(str) | st.text(max_size=12),
                "reason": st.sampled_from(["work", "study", "??"]),
            },
        )
        | json_values,
    },
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=fields)
def test_register_never_fails_with_a_server_error(users, token_for, body):
    client = api_client(token_for(users[Role.COLLECTOR]))
    before = Person.objects.count()
    response = client.post("/api/registry/persons", json.dumps(body), content_type="application/json")
    assert response.status_code < 500, (body, response.content)
    if response.status_code != 201:
        assert Person.objects.count() == before
