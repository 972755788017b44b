"""Rights and settlement through the API and the pages: verdicts by the area's profile, the missing parts in
words, scope, and the person page's panel.
"""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import OUT_COMMUNITY, login
from liuguan.core.testing import assert_matches_openapi
from liuguan.permits.models import MarriageCertificate

from ._permrights import file_tenancy, house_for, insurance, make_permit

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2025, 6, 14)


def get(client, url):
    # The texts are checked in English, the second language; zh-hans is the default.
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert_matches_openapi("GET", url, response)
    return response


def rights_of(client, person):
    response = get(client, f"/api/permits/rights/{person.pk}")
    assert response.status_code == 200
    body = response.json()
    return body, {r["code"]: r for r in body["rights"]}


@pytest.fixture
def temporary_holder(resident, permit_policies, clock):
    """A Chengdu temporary permit, two months of social insurance."""
    clock(TODAY)
    person = resident(arrived_on=D(2025, 1, 1))
    make_permit(person, permit_policies["chengdu"], kind="temporary", issued_on=D(2025, 3, 1))
    insurance(person, D(2025, 4, 1))
    return person


def test_a_temporary_holder_in_chengdu_has_the_basic_rights_and_is_told_what_the_others_need(users, temporary_holder):
    body, rights = rights_of(login(users[Role.STATION_OFFICER]), temporary_holder)
    assert (body["profile"], body["facts"]["permit_kind"], body["facts"]["social_insurance_months"]) == (
        "chengdu",
        "temporary",
        2,
    )
    assert len(rights) == 12
    assert rights["family_planning"]["granted"] is True
    assert rights["family_planning"]["missing"] == []
    fund = rights["housing_fund"]
    assert fund["granted"] is False
    assert [(m["rule"], m["needed"], m["has"]) for m in fund["missing"]] == [
        ("permit", ["formal"], "temporary"),
        ("min_social_insurance_months", 6, 2),
    ]
    assert fund["missing"][1]["text"] == "needs 6 months of social insurance (has 2)"
    assert "temporary" in fund["missing"][0]["text"] and "formal" in fund["missing"][0]["text"]


def test_a_formal_holder_with_years_insurance_and_a_home_may_settle(users, resident, permit_policies, clock):
    clock(TODAY)
    person = resident(arrived_on=D(2021, 1, 1))
    endorsed = (D(2022, 12, 20), D(2023, 12, 20), D(2024, 12, 20))
    make_permit(person, permit_policies["chengdu"], kind="formal", issued_on=D(2022, 1, 10), endorsed=endorsed)
    insurance(person, D(2022, 1, 1))
    house_for(person, "owned")
    client = login(users[Role.STREET_OFFICER])
    body, rights = rights_of(client, person)
    assert all(r["granted"] for r in rights.values())
    settlement = get(client, f"/api/permits/settlement/{person.pk}").json()
    assert (settlement["profile"], settlement["eligible"], settlement["missing"]) == ("chengdu", True, [])


def test_settlement_names_what_is_missing(users, temporary_holder):
    house = house_for(temporary_holder, "rental")
    file_tenancy(temporary_holder, house, starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31))
    body = get(login(users[Role.STATION_OFFICER]), f"/api/permits/settlement/{temporary_holder.pk}").json()
    assert body["eligible"] is False
    assert [m["rule"] for m in body["missing"]] == ["permit", "min_years_held", "min_social_insurance_months"]


def test_outside_chengdu_the_national_list_applies_and_there_is_no_settlement_profile(
    users, resident, permit_policies, clock
):
    clock(TODAY)
    person = resident(community=OUT_COMMUNITY, arrived_on=D(2024, 1, 1))
    make_permit(person, permit_policies["national"], kind="permit", issued_on=D(2025, 3, 1))
    client = login(users[Role.PROVINCE_ADMIN])
    body, rights = rights_of(client, person)
    assert body["profile"] == "national"
    assert len(rights) == 14 and all(r["granted"] for r in rights.values())
    settlement = get(client, f"/api/permits/settlement/{person.pk}").json()
    assert (settlement["eligible"], settlement["profile"]) == (None, "")
    assert settlement["note"]


def test_a_suspended_permit_grants_nothing_and_says_so(users, resident, permit_policies, clock):
    clock(D(2024, 3, 1))
    person = resident(arrived_on=D(2021, 1, 1))
    make_permit(person, permit_policies["chengdu"], kind="formal", issued_on=D(2023, 1, 10))
    _body, rights = rights_of(login(users[Role.STATION_OFFICER]), person)
    assert not any(r["granted"] for r in rights.values())
    assert rights["legal_aid"]["missing"][0]["rule"] == "permit_valid"
    assert "suspended" in rights["legal_aid"]["missing"][0]["text"]


def test_out_of_scope_is_missing_and_roles_without_the_permission_are_refused(users, temporary_holder, person_out):
    assert get(login(users[Role.STATION_OFFICER]), f"/api/permits/rights/{person_out.pk}").status_code == 404
    assert get(login(users[Role.STATION_OFFICER]), f"/api/permits/settlement/{person_out.pk}").status_code == 404
    for role in (Role.COLLECTOR, Role.DEPARTMENT_USER, Role.AUDITOR):
        assert login(users[role]).get(f"/api/permits/rights/{temporary_holder.pk}").status_code == 403


def test_the_rights_page_and_the_person_panel(users, temporary_holder):
    MarriageCertificate.objects.create(
        person=temporary_holder,
        number="HY-9",
        issuer="南部县卫生健康局",
        issuer_code="511321",
        issued_on=D(2025, 1, 1),
        valid_until=D(2026, 1, 1),
    )
    client = login(users[Role.STATION_OFFICER])
    page = client.get(f"/permits/rights/{temporary_holder.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "住房公积金" in text and "HY-9" in text and 'data-testid="settlement"' in text
    assert temporary_holder.doc_number not in text
    panel = client.get(f"/permits/rights/{temporary_holder.pk}/panel/").content.decode()
    assert 'data-testid="rights-summary"' in panel and "HY-9" in panel
    person_page = client.get(f"/registry/people/{temporary_holder.pk}/")
    assert person_page.status_code == 200
    assert f"/permits/rights/{temporary_holder.pk}/panel/" in person_page.content.decode()


def test_the_rights_page_is_missing_out_of_scope(users, person_out):
    assert login(users[Role.STATION_OFFICER]).get(f"/permits/rights/{person_out.pk}/").status_code == 404


def test_a_certificate_is_recorded_from_the_page_and_a_bad_term_is_named(users, temporary_holder):
    client = login(users[Role.STATION_OFFICER])
    url = f"/permits/rights/{temporary_holder.pk}/certificates/"
    form = {
        "number": "HY-10",
        "issuer": "南部县卫生健康局",
        "issuer_code": "511321",
        "issued_on": "2025-03-01",
        "valid_until": "2025-03-01",
        "children": "0",
    }
    bad = client.post(url, form)
    assert bad.status_code == 422 and not MarriageCertificate.objects.exists()
    good = client.post(url, {**form, "valid_until": "2026-02-28"})
    assert good.status_code == 302
    assert MarriageCertificate.objects.get().number == "HY-10"
    assert login(users[Role.COUNTY_OFFICER]).post(url, {**form, "number": "HY-11"}).status_code == 403
