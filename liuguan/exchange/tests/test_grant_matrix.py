"""The issue's first check, for verification and query: a subsystem without a grant, with a grant for another
dataset, other fields, another area, or an expired or revoked grant gets nothing it should not, and the access
log shows every attempt.
"""

import datetime as dt

import pytest
from django.utils import timezone

from liuguan.conftest import api_client, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import Employer, House, Person, Stay

from .factories import key_for, make_department, make_grant, make_subsystem

pytestmark = pytest.mark.django_db
VERIFY = "/api/exchange/verify/residence"
CASE = {"purpose": "社保参保核验", "case_ref": "SB-2026-001", "end_user": "hr-clerk-7"}


@pytest.fixture
def subsystem(divisions):
    return make_subsystem(make_department())


@pytest.fixture
def client(subsystem):
    return api_client(key_for(subsystem))


def post(client, url, body):
    response = client.post(url, body, content_type="application/json")
    assert_matches_openapi("POST", url, response)
    return response


def last_log(action):
    return AuditEvent.objects.filter(action=action).latest("id")


def verify(client, person, **extra):
    return post(client, VERIFY, {"doc_type": person.doc_type, "doc_number": person.doc_number, **CASE, **extra})


def expired(subsystem, dataset, **kw):
    return make_grant(subsystem, dataset, valid_from=china_today() - dt.timedelta(days=30), days=10, **kw)


def revoked(subsystem, dataset, **kw):
    grant = make_grant(subsystem, dataset, **kw)
    grant.revoked_at = timezone.now()
    grant.save()
    return grant


def not_yet(subsystem, dataset, **kw):
    return make_grant(subsystem, dataset, valid_from=china_today() + dt.timedelta(days=2), **kw)


REFUSING_VERIFY_GRANTS = {
    "no grant": lambda s: None,
    "another dataset": lambda s: make_grant(s, "people", fields=["name"], ways=["verify", "query"]),
    "another way": lambda s: make_grant(s, "residence", fields=["resides"], ways=["query", "feed"]),
    "expired": lambda s: expired(s, "residence", fields=["resides"]),
    "revoked": lambda s: revoked(s, "residence", fields=["resides"]),
    "not yet valid": lambda s: not_yet(s, "residence", fields=["resides"]),
}


@pytest.mark.parametrize("case", REFUSING_VERIFY_GRANTS)
def test_verification_without_a_grant_in_force_is_refused_and_logged(case, subsystem, client, person_in):
    REFUSING_VERIFY_GRANTS[case](subsystem)
    response = verify(client, person_in)
    assert response.status_code == 403
    assert "answer" not in response.json()
    event = last_log("exchange.verify")
    assert event.changes["outcome"] == "refused"
    assert event.changes["subsystem"] == subsystem.code and event.changes["case_ref"] == CASE["case_ref"]
    assert event.object_id == "residence"  # a refusal is not tied to the person asked about
    assert audit_verify().ok


def test_verification_answers_yes_or_no_and_reveals_nothing_else(subsystem, client, person_in, person_out):
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"], area="5101")
    inside = verify(client, person_in)
    assert inside.status_code == 200 and inside.json() == {"answer": True}
    # Registered, but outside the grant's area: no.
    assert verify(client, person_out).json() == {"answer": False}
    unknown = verify(client, person_in, doc_number=citizen_id("511321", "19800101", "999"))
    assert unknown.json() == {"answer": False}
    # A narrower area inside the grant is allowed; the answer follows it.
    assert verify(client, person_in, area_code="510104001").json() == {"answer": True}
    assert verify(client, person_in, area_code="510107").json() == {"answer": False}
    for response in (inside,):
        text = response.content.decode()
        assert person_in.name not in text and str(person_in.pk) not in text
    events = list(AuditEvent.objects.filter(action="exchange.verify").order_by("id"))
    assert [e.changes["outcome"] for e in events] == ["answered"] * 5
    assert events[0].object_type == "registry.person" and events[0].object_id == str(person_in.pk)
    assert all(e.purpose == CASE["purpose"] and e.changes["end_user"] == "hr-clerk-7" for e in events)
    assert audit_verify().ok


def test_verification_for_an_area_outside_every_grant_is_refused(subsystem, client, person_in):
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"], area="5107")
    refused = verify(client, person_in, area_code="510104")
    assert refused.status_code == 403
    assert last_log("exchange.verify").changes["outcome"] == "refused"
    assert verify(client, person_in, area_code="51").status_code == 403  # wider than the grant is outside it
    # Without an area, the grant's own area: the person lives in Chengdu, not Mianyang.
    assert verify(client, person_in).json() == {"answer": False}


def test_a_departed_stay_is_not_current(subsystem, client, person_in):
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"])
    Stay.objects.filter(person=person_in).update(departed_on=china_today() - dt.timedelta(days=1))
    assert verify(client, person_in).json() == {"answer": False}


def test_bad_input_names_field_and_rule_and_is_logged(subsystem, client, person_in):
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"])
    response = verify(client, person_in, doc_type="library_card", area_code="519999")
    assert response.status_code == 422
    rules = {p["rule"] for p in response.json()["detail"]}
    assert rules == {"exchange.doc_type", "exchange.area_unknown"}
    assert last_log("exchange.verify").changes["outcome"] == "invalid"


# Query ------------------------------------------------------------------------------------------------------


def query(client, dataset, body):
    return post(client, f"/api/exchange/query/{dataset}", {**CASE, **body})


def by_doc(person):
    return {"doc_type": person.doc_type, "doc_number": person.doc_number}


REFUSING_QUERY_GRANTS = {
    "no grant": lambda s: None,
    "another dataset": lambda s: make_grant(s, "stays", fields=["community_code"], ways=["query"]),
    "another way": lambda s: make_grant(s, "people", fields=["name"], ways=["verify", "feed"]),
    "expired": lambda s: expired(s, "people", fields=["name"]),
    "revoked": lambda s: revoked(s, "people", fields=["name"]),
    "not yet valid": lambda s: not_yet(s, "people", fields=["name"]),
}


@pytest.mark.parametrize("case", REFUSING_QUERY_GRANTS)
def test_query_without_a_grant_in_force_is_refused_and_logged(case, subsystem, client, person_in):
    REFUSING_QUERY_GRANTS[case](subsystem)
    response = query(client, "people", by_doc(person_in))
    assert response.status_code == 403
    assert person_in.name not in response.content.decode()
    event = last_log("exchange.query")
    assert event.changes["outcome"] == "refused" and event.changes["dataset"] == "people"
    assert event.purpose == CASE["purpose"] and event.changes["case_ref"] == CASE["case_ref"]
    assert audit_verify().ok


def test_query_sends_only_the_granted_fields(subsystem, client, person_in):
    make_grant(subsystem, "people", fields=["sex", "hukou_code"], ways=["query"])
    response = query(client, "people", by_doc(person_in))
    assert response.status_code == 200
    assert response.json() == {"dataset": "people", "records": [{"sex": "M", "hukou_code": "511321"}]}
    text = response.content.decode()
    assert person_in.name not in text and person_in.doc_number not in text and person_in.phone not in text
    event = last_log("exchange.query")
    assert event.changes["outcome"] == "answered" and event.changes["person_id"] == person_in.pk
    assert event.object_type == "registry.person" and event.object_id == str(person_in.pk)


def test_query_for_a_person_outside_the_grant_area_returns_nothing(subsystem, client, person_in, person_out):
    make_grant(subsystem, "people", fields=["name", "doc_number"], ways=["query"], area="5107")
    outside = query(client, "people", by_doc(person_in))
    assert outside.status_code == 200 and outside.json()["records"] == []
    assert person_in.name not in outside.content.decode()
    event = last_log("exchange.query")
    assert event.changes["outcome"] == "empty" and "person_id" not in event.changes and event.object_id == "people"
    inside = query(client, "people", by_doc(person_out))
    assert inside.json()["records"] == [{"name": person_out.name, "doc_number": person_out.doc_number}]


def test_stays_are_shared_by_community_with_each_grants_fields(subsystem, client, person_in):
    Stay.objects.create(
        person=person_in,
        community_id="510703001001",
        reason="work",
        arrived_on=dt.date(2023, 1, 1),
        departed_on=dt.date(2024, 4, 1),
        source_channel="collector",
        address="南山路 1 号",
    )
    make_grant(subsystem, "stays", fields=["community_code", "arrived_on"], ways=["query"], area="510104")
    response = query(client, "stays", by_doc(person_in))
    assert response.json()["records"] == [{"community_code": "510104001001", "arrived_on": "2024-05-01"}]
    # A second grant for Mianyang with other fields: each stay carries only the fields of the grants covering it.
    make_grant(subsystem, "stays", fields=["departed_on"], ways=["query"], area="5107")
    records = query(client, "stays", by_doc(person_in)).json()["records"]
    assert records == [
        {"departed_on": "2024-04-01"},
        {"community_code": "510104001001", "arrived_on": "2024-05-01"},
    ]
    assert "南山路" not in str(records)


def test_houses_and_employers_inside_the_area_only(subsystem, client, divisions):
    house = House.objects.create(address="东御河沿街 8 号", community_id="510104001001", owner_name="房东甲", rooms=3)
    employer = Employer.objects.create(
        name="锦江餐饮有限公司", credit_code="91510104MA61XYZ12A", industry="H", community_id="510104001001"
    )
    make_grant(subsystem, "houses", fields=["address", "rooms"], ways=["query"], area="5107")
    make_grant(subsystem, "employers", fields=["name", "staff_size"], ways=["query"], area="510104")
    assert query(client, "houses", {"id": house.pk}).json()["records"] == []
    assert last_log("exchange.query").changes["outcome"] == "empty"
    found = query(client, "employers", {"credit_code": employer.credit_code})
    assert found.json()["records"] == [{"name": "锦江餐饮有限公司", "staff_size": 0}]
    assert query(client, "employers", {"id": employer.pk}).json()["records"] == [
        {"name": "锦江餐饮有限公司", "staff_size": 0}
    ]
    missing = query(client, "houses", {})
    assert missing.status_code == 422 and missing.json()["detail"][0]["rule"] == "exchange.id_required"


def test_query_needs_purpose_and_case_reference(subsystem, client, person_in):
    make_grant(subsystem, "people", fields=["sex"], ways=["query"])
    response = post(client, "/api/exchange/query/people", {**by_doc(person_in), "purpose": " ", "case_ref": ""})
    assert response.status_code == 422
    assert {p["rule"] for p in response.json()["detail"]} == {
        "exchange.purpose_required",
        "exchange.case_ref_required",
    }
    assert last_log("exchange.query").changes["outcome"] == "invalid"


def test_a_dataset_that_is_not_queried_answers_404(subsystem, client, person_in):
    make_grant(subsystem, "tenancies", fields=["number"], ways=["query"])
    response = query(client, "tenancies", {"id": 1})
    assert response.status_code == 404
    assert last_log("exchange.query").changes["outcome"] == "invalid"


def test_people_without_a_subsystem_cannot_call(users, token_for, person_in):
    from liuguan.accounts.roles import Role

    # A department's person (not a subsystem's service account) and an officer are both refused.
    for role in (Role.DEPARTMENT_USER, Role.PROVINCE_ADMIN):
        client = api_client(token_for(users[role]))
        assert verify(client, person_in).status_code == 403
    assert not AuditEvent.objects.filter(action="exchange.verify").exists()
    assert Person.objects.count() == 1
