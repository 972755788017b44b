"""Accountability: every call is an event of the audit hash chain; a department sees its own log, an auditor and
the province administrator all of it; the person's page shows which departments looked them up, when and why.
"""

import io

import pytest
from django.core.management import call_command

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.audit import audit_verify
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.models import Dataset

from .factories import key_for, make_department, make_grant, make_subsystem

pytestmark = pytest.mark.django_db
LOG = "/api/exchange/log"


@pytest.fixture
def two_departments(users, person_in):
    """Public security (the department of the `department_user` account) and human resources, one call each."""
    police = make_subsystem(users[Role.DEPARTMENT_USER].department, code="checks")
    hrss = make_subsystem(make_department(), code="insurance")
    for subsystem, case in ((police, "GA-1"), (hrss, "SB-1")):
        make_grant(subsystem, "people", fields=["sex"], ways=["query"], purpose="核查")
        body = {"doc_number": person_in.doc_number, "purpose": f"{case} purpose", "case_ref": case}
        response = api_client(key_for(subsystem)).post(
            "/api/exchange/query/people", body, content_type="application/json"
        )
        assert response.status_code == 200
    # One refused call of human resources.
    refused = api_client(key_for(hrss)).post(
        "/api/exchange/verify/residence", {"doc_number": person_in.doc_number}, content_type="application/json"
    )
    assert refused.status_code == 403
    return police, hrss


def cases(client, url=LOG):
    response = client.get(url)
    assert_matches_openapi("GET", url, response)
    return [(e["department"], e["case_ref"], e["outcome"]) for e in response.json()]


def test_a_department_sees_only_its_own_log(users, two_departments, token_for):
    police, hrss = two_departments
    # The department's person and its subsystem's own key see the same: its own calls only.
    assert cases(api_client(token_for(users[Role.DEPARTMENT_USER]))) == [("public_security", "GA-1", "answered")]
    assert cases(api_client(key_for(hrss))) == [("hrss", "", "refused"), ("hrss", "SB-1", "answered")]
    # Asking for another department's log changes nothing for a department.
    own = cases(api_client(token_for(users[Role.DEPARTMENT_USER])), f"{LOG}?department=hrss")
    assert own == [("public_security", "GA-1", "answered")]


def test_auditor_and_province_admin_see_every_call(users, two_departments, token_for):
    everything = [("hrss", "", "refused"), ("hrss", "SB-1", "answered"), ("public_security", "GA-1", "answered")]
    for role in (Role.AUDITOR, Role.PROVINCE_ADMIN):
        assert cases(api_client(token_for(users[role]))) == everything
    assert cases(api_client(token_for(users[Role.AUDITOR])), f"{LOG}?department=hrss") == everything[:2]
    for role in (Role.CITY_OFFICER, Role.POLICE, Role.COLLECTOR):
        assert api_client(token_for(users[role])).get(LOG).status_code == 403
    assert audit_verify().ok


def test_the_log_pages(users, two_departments):
    own = login(users[Role.DEPARTMENT_USER]).get("/exchange/log/")
    assert own.status_code == 200
    text = own.content.decode()
    assert "GA-1" in text and "SB-1" not in text
    every = login(users[Role.AUDITOR]).get("/exchange/log/").content.decode()
    assert "GA-1" in every and "SB-1" in every
    assert login(users[Role.COLLECTOR]).get("/exchange/log/").status_code == 403


def test_the_person_page_shows_who_looked_and_why(users, two_departments, person_in, person_out):
    page = login(users[Role.STATION_OFFICER]).get(f"/registry/people/{person_in.pk}/")
    assert page.status_code == 200
    section = page.content.decode().split('data-testid="exchange-lookups"')[1]
    assert "GA-1 purpose" in section and "SB-1 purpose" in section and "公安局" in section
    # The refused call is not tied to the person; another person's page shows nothing.
    other = login(users[Role.PROVINCE_ADMIN]).get(f"/registry/people/{person_out.pk}/").content.decode()
    assert "GA-1" not in other.split('data-testid="exchange-lookups"')[1]


def test_load_catalogue_restores_the_file(users):
    Dataset.objects.filter(code="people").update(fields=[])
    call_command("load_catalogue", stdout=io.StringIO())
    assert "doc_number" in Dataset.objects.get(code="people").field_names
