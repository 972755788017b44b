"""Departments report back: per-row results, one fact per (department, kind, reference), a collector's stay
never overwritten, a grant required (no grant, another area: refused and logged), shown on the person page.
"""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY, api_client, citizen_id, login
from liuguan.core.audit import audit_verify
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import Person, Stay

from ..models import DepartmentFact
from ..selectors_police import facts_without_stay
from .factories import key_for, make_department, make_grant, make_subsystem

pytestmark = pytest.mark.django_db
URL = "/api/exchange/facts"
DAY = china_today() - dt.timedelta(days=5)


@pytest.fixture
def insurance(divisions):
    return make_subsystem(make_department())


def post(key, rows, **extra):
    return api_client(key).post(
        URL,
        {"purpose": "参保登记回流", "case_ref": "SB-2026-1", "rows": rows, **extra},
        content_type="application/json",
    )


def row(person=None, **over):
    values = {
        "kind": "social_insurance",
        "reference": "SB0001",
        "occurred_on": DAY.isoformat(),
        "doc_type": "citizen_id",
        "doc_number": person.doc_number if person else citizen_id("511321", "19950101", "222"),
        "community_code": IN_COMMUNITY,
        "details": {"insurer": "成都市社保局", "scheme": "职工养老"},
    }
    values.update(over)
    return values


def test_rows_get_their_own_results_and_a_repost_updates(insurance, person_in):
    make_grant(insurance, "department_facts", ways=["report"], area="5101")
    key = key_for(insurance)
    rows = [
        row(person_in),
        row(reference="SB0002", name="孙七"),  # unknown number with a name: registered from the department
        row(reference="SB0003", doc_number=citizen_id("511321", "19960101", "333")),  # unknown, no name
        row(reference="SB0004", kind="tax", doc_number="123"),
    ]
    response = post(key, rows)
    assert response.status_code == 200, response.content
    assert_matches_openapi("post", URL, response)
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "created", "rejected", "rejected"]
    assert body["results"][2]["problems"][0]["rule"] == "fact.person_unknown"
    assert {p["field"] for p in body["results"][3]["problems"]} == {"kind", "doc_number"}
    new = Person.objects.get(name="孙七")
    assert new.source_channel == "department" and not new.stays.exists()
    # when the same records come again, one changed
    again = post(
        key,
        [row(person_in), row(reference="SB0002", name="孙七", occurred_on=(DAY - dt.timedelta(days=1)).isoformat())],
    )
    assert [r["status"] for r in again.json()["results"]] == ["unchanged", "updated"]
    assert DepartmentFact.objects.count() == 2 and Person.objects.filter(name="孙七").count() == 1
    assert AuditEvent.objects.filter(action="exchange.fact_update").count() == 1
    assert AuditEvent.objects.filter(action="exchange.report").count() == 2
    assert audit_verify().ok


def test_a_fact_never_overwrites_the_collectors_stay(insurance, person_in, divisions):
    make_grant(insurance, "department_facts", ways=["report"], area="51")
    stay = person_in.stays.get()
    before = (stay.community_id, stay.address, person_in.phone, person_in.name)
    response = post(
        key_for(insurance),
        [
            row(person_in, community_code=OUT_COMMUNITY, address="绵阳某厂宿舍"),
            row(person_in, reference="SB9", address="另一个地址"),
        ],
    )
    assert [r["status"] for r in response.json()["results"]] == ["created", "created"]
    stay.refresh_from_db()
    person_in.refresh_from_db()
    assert (stay.community_id, stay.address, person_in.phone, person_in.name) == before
    assert Stay.objects.filter(person=person_in).count() == 1
    elsewhere = DepartmentFact.objects.get(reference="SB0001")
    assert elsewhere.details["register_differs"] == [
        {"field": "community_code", "department": OUT_COMMUNITY, "register": [IN_COMMUNITY]}
    ]
    other_address = DepartmentFact.objects.get(reference="SB9")
    assert other_address.details["register_differs"][0]["field"] == "address"
    # the person a department places in Mianyang without a stay there is an omission candidate
    assert list(facts_without_stay(user=_province_admin(divisions))) == [
        {"community_id": OUT_COMMUNITY, "person_id": person_in.pk}
    ]


def _province_admin(divisions):
    from liuguan.accounts.models import User

    return User.objects.create(username="prov", role=Role.PROVINCE_ADMIN, division=divisions["51"])


@pytest.mark.parametrize(
    "grant",
    [
        None,
        {"dataset": "people", "ways": ["report"], "area": "51"},
        {"dataset": "department_facts", "ways": ["query"], "area": "51"},
        {"dataset": "department_facts", "ways": ["report"], "area": "5107"},
        {"dataset": "department_facts", "ways": ["report"], "area": "51", "expired": True},
    ],
    ids=["no-grant", "other-dataset", "other-way", "other-area", "expired"],
)
def test_without_a_fitting_grant_nothing_lands_and_the_attempt_is_logged(insurance, person_in, grant):
    if grant is not None:
        start = china_today() - dt.timedelta(days=30) if grant.get("expired") else None
        make_grant(
            insurance,
            grant["dataset"],
            ways=grant["ways"],
            area=grant["area"],
            valid_from=start,
            days=10 if start else 365,
        )
    response = post(key_for(insurance), [row(person_in)])
    if grant is not None and grant["area"] == "5107":
        assert response.status_code == 200
        assert response.json()["results"][0]["problems"][0]["rule"] == "exchange.area"
        outcome = "refused:area"
    else:
        assert response.status_code == 403
        outcome = "refused:no_grant"
    assert not DepartmentFact.objects.exists()
    logged = AuditEvent.objects.get(action="exchange.report")
    assert logged.changes["outcome"] == outcome and logged.changes["subsystem"] == insurance.code
    assert logged.purpose == "参保登记回流" and logged.changes["case_ref"] == "SB-2026-1"


def test_staff_accounts_cannot_post_facts(users, token_for, person_in):
    response = api_client(token_for(users[Role.DEPARTMENT_USER])).post(
        URL, {"rows": [row(person_in)]}, content_type="application/json"
    )
    assert response.status_code == 403 and not DepartmentFact.objects.exists()
    response = api_client(token_for(users[Role.STATION_OFFICER])).post(
        URL, {"rows": [row(person_in)]}, content_type="application/json"
    )
    assert response.status_code == 403


def test_facts_show_on_the_person_page_masked_outside_scope(users, insurance, person_in):
    make_grant(insurance, "department_facts", ways=["report"], area="51")
    post(
        key_for(insurance),
        [
            row(person_in, address="东御河沿街 8 号 3 楼"),
            row(person_in, reference="SB2", community_code=OUT_COMMUNITY, address="绵阳宿舍甲"),
        ],
    )
    page = login(users[Role.STATION_OFFICER]).get(f"/registry/people/{person_in.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="department-facts"' in html and "SB0001" in html and "SB2" in html
    assert "东御河沿街 8 号 3 楼" in html and "绵阳宿舍甲" not in html
    assert 'data-testid="register-differs"' in html
