"""Foreigners whose visa or residence document ends within 30 days or has ended, flagged to police of the area."""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.compliance.models import ForeignDocument
from liuguan.compliance.selectors_agreements import foreigners_flagged
from liuguan.conftest import FAR_COMMUNITY, OUT_COMMUNITY, api_client, login
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

TODAY = china_today()


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def foreigner(name, passport, *, community="510104001001", ends=(), departed=False, nationality="USA"):
    who = make.person(name, nationality=nationality, doc_type="passport", number=passport)
    make.stay(who, community=community, arrived_on=days(-60), departed_on=days(-1) if departed else None)
    for i, n in enumerate(ends):
        ForeignDocument.objects.create(person=who, kind="visa", number=f"V{passport}{i}", expires_on=days(n),
                                       channel="hotel")  # fmt: skip
    return who


@pytest.fixture
def foreigners(divisions):
    return {
        "soon": foreigner("Anna Berg", "P1000001", ends=[10]),
        "lapsed": foreigner("Bob Stone", "P1000002", ends=[-5], nationality="GBR"),
        "later": foreigner("Cara Lind", "P1000003", ends=[100]),
        "renewed": foreigner("Dan Moss", "P1000004", ends=[-20, 200]),
        "elsewhere": foreigner("Eve Hart", "P1000005", community=OUT_COMMUNITY, ends=[3]),
        "gone": foreigner("Finn Roe", "P1000006", ends=[2], departed=True),
        "chinese": foreigner("钱七", "P1000007", ends=[1], nationality="CHN"),
        "undocumented": foreigner("Gus Nye", "P1000008"),
    }


def names(rows):
    return [row["person"].name for row in rows]


def test_police_see_expiring_and_expired_documents_in_their_district_soonest_first(users, foreigners):
    rows = foreigners_flagged(user=users[Role.POLICE], today=TODAY)

    assert names(rows) == ["Bob Stone", "Anna Berg"]
    assert (rows[0]["expired"], rows[0]["days_left"]) == (True, -5)
    assert (rows[1]["expired"], rows[1]["days_left"]) == (False, 10)
    assert rows[0]["doc_number_masked"] == "P1****02"


def test_the_province_sees_every_city_and_out_of_scope_police_see_nothing(users, foreigners, divisions):
    assert names(foreigners_flagged(user=users[Role.PROVINCE_ADMIN], today=TODAY)) == [
        "Bob Stone",
        "Eve Hart",
        "Anna Berg",
    ]
    far_police = User.objects.create(username="cq_police", role=Role.POLICE, division=divisions[FAR_COMMUNITY[:6]])
    assert foreigners_flagged(user=far_police, today=TODAY) == []
    assert login(far_police).get("/compliance/foreigners/").content.decode().count("P1****") == 0


def test_the_page_masks_document_numbers(users, foreigners):
    page = login(users[Role.POLICE]).get("/compliance/foreigners/").content.decode()

    assert "Anna Berg" in page and "Bob Stone" in page and "Cara Lind" not in page
    assert "P1****01" in page and "P1000001" not in page
    assert "VP1000001" not in page


def test_roles_without_the_right_are_refused(users, foreigners, token_for):
    assert login(users[Role.COLLECTOR]).get("/compliance/foreigners/").status_code == 403
    response = api_client(token_for(users[Role.DEPARTMENT_USER])).get("/api/compliance/foreigners/expiring")
    assert response.status_code == 403


def test_the_api_lists_the_same_rows_masked(users, foreigners, token_for):
    response = api_client(token_for(users[Role.POLICE])).get("/api/compliance/foreigners/expiring")

    assert response.status_code == 200
    assert_matches_openapi("GET", "/api/compliance/foreigners/expiring", response)
    body = response.json()
    assert [(r["name"], r["expired"], r["doc_number_masked"]) for r in body] == [
        ("Bob Stone", True, "P1****02"),
        ("Anna Berg", False, "P1****01"),
    ]
    assert "P1000001" not in response.content.decode()
