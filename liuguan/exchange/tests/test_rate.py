"""Rate limits per subsystem: past the limit the hub answers 429 with Retry-After and shares nothing."""

import pytest

from liuguan.conftest import api_client
from liuguan.core.testing import assert_matches_openapi

from .factories import key_for, make_department, make_grant, make_subsystem

pytestmark = pytest.mark.django_db
URL = "/api/exchange/verify/residence"


def test_calls_past_the_limit_get_429_with_retry_after(person_in):
    subsystem = make_subsystem(make_department(), rate_per_minute=2)
    other = make_subsystem(make_department(), code="other", rate_per_minute=2)
    for s in (subsystem, other):
        make_grant(s, "residence", fields=["resides"], ways=["verify"])
    client = api_client(key_for(subsystem))
    body = {"doc_number": person_in.doc_number, "case_ref": "C-1"}
    # Five calls cross at most one minute boundary, so one minute sees at least three of them.
    responses = [client.post(URL, body, content_type="application/json") for _ in range(5)]
    statuses = [r.status_code for r in responses]
    assert statuses[:2] == [200, 200] and 429 in statuses
    limited = next(r for r in responses if r.status_code == 429)
    assert_matches_openapi("POST", URL, limited)
    assert 1 <= int(limited["Retry-After"]) <= 60 and "answer" not in limited.json()
    # Another subsystem has its own count.
    assert api_client(key_for(other)).post(URL, body, content_type="application/json").status_code == 200
