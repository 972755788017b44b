"""Coverage: per child division and in total, the share of rental houses, hotels and employers of a size with an
agreement in force today, on a small hand-made area."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.compliance.selectors_agreements import coverage
from liuguan.conftest import OUT_COMMUNITY, api_client, login
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

TODAY = china_today()
EAST, WEST, HEPING = "510104001001", "510104001002", "510104002001"


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def signed(kind, party, *, starts=-100, ends=200, terminated=None):
    make.agreement(kind, party, starts_on=days(starts), ends_on=days(ends),
                   terminated_on=None if terminated is None else days(terminated))  # fmt: skip


@pytest.fixture
def area(divisions):
    signed("landlord", make.house(EAST))  # valid
    signed("landlord", make.house(EAST), starts=-400, ends=-35)  # expired
    make.house(EAST)  # never signed
    signed("landlord", make.house(EAST, kind="owned"))  # not a rental house: not counted
    signed("landlord", make.house(WEST), ends=10)  # expiring soon is still in force
    signed("landlord", make.house(WEST, kind="rental"), starts=5, ends=370)  # not yet in force
    signed("hotel", make.lodging(HEPING))
    signed("hotel", make.lodging(HEPING), terminated=-1)
    signed("employer", make.employer(HEPING, staff=50))
    signed("employer", make.employer(HEPING, staff=5))
    make.employer(HEPING, staff=12)
    signed("landlord", make.house(OUT_COMMUNITY))  # outside the county


def cell(covered, total, share):
    return {"covered": covered, "total": total, "share": share}


def test_a_county_sees_each_street_and_the_total(users, area, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        figures = coverage(user=users[Role.COUNTY_OFFICER], today=TODAY)

    rows = {row["code"]: row for row in figures["rows"]}
    assert set(rows) == {"510104001", "510104002"}
    assert rows["510104001"]["name"] == "督院街街道"
    assert rows["510104001"]["houses"] == cell(2, 5, 40.0)
    assert rows["510104001"]["hotels"] == cell(0, 0, None)
    assert rows["510104002"]["hotels"] == cell(1, 2, 50.0)
    assert rows["510104002"]["employers"] == cell(1, 2, 50.0)
    assert figures["total"]["houses"] == cell(2, 5, 40.0)
    assert figures["total"]["employers"] == cell(1, 2, 50.0)


def test_the_employer_size_is_a_parameter(users, area):
    figures = coverage(user=users[Role.COUNTY_OFFICER], min_staff=5, today=TODAY)
    assert figures["total"]["employers"] == cell(2, 3, 66.7)


def test_a_station_sees_its_own_community_and_a_city_its_counties(users, area):
    station = coverage(user=users[Role.STATION_OFFICER], today=TODAY)
    assert [(r["code"], r["houses"]) for r in station["rows"]] == [(EAST, cell(1, 3, 33.3))]

    city = coverage(user=users[Role.CITY_OFFICER], today=TODAY)
    assert [r["code"] for r in city["rows"]] == ["510104", "510107"]
    assert city["rows"][1]["houses"] == cell(0, 0, None)
    assert city["total"]["houses"]["total"] == 5


def test_tomorrow_an_agreement_expiring_today_no_longer_counts(users, divisions):
    signed("landlord", make.house(EAST), ends=0)
    assert coverage(user=users[Role.STATION_OFFICER], today=TODAY)["total"]["houses"] == cell(1, 1, 100.0)
    assert coverage(user=users[Role.STATION_OFFICER], today=days(1))["total"]["houses"] == cell(0, 1, 0.0)


def test_the_coverage_page_and_api(users, area, token_for):
    page = login(users[Role.COUNTY_OFFICER]).get("/compliance/coverage/?min_staff=5").content.decode()
    assert "66.7%" in page and "督院街街道" in page

    response = api_client(token_for(users[Role.COUNTY_OFFICER])).get("/api/compliance/coverage?min_staff=10")
    assert response.status_code == 200
    assert_matches_openapi("GET", "/api/compliance/coverage", response)
    assert response.json()["total"]["houses"] == cell(2, 5, 40.0)


def test_duty_holders_and_unbound_accounts_see_no_coverage(users, area):
    from liuguan.accounts.models import User

    landlord = User.objects.create(username="ll", role=Role.LANDLORD)
    assert coverage(user=landlord, today=TODAY)["rows"] == []
    assert login(landlord).get("/compliance/coverage/").status_code == 403
