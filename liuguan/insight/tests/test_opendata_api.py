"""Open data through the hub: only with a grant on open_aggregates, inside its area, only its tables, small counts
withheld under the area's k, and every call (refused ones too) in the access log.
"""

import datetime as dt

import pytest
from django.test import override_settings
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, citizen_id, login
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.models import Dataset
from liuguan.exchange.tests.factories import key_for, make_department, make_grant, make_subsystem
from liuguan.insight.models import OpenDataThreshold
from liuguan.insight.opendata import ACTION, CATALOGUE_ENTRY, DATASET
from liuguan.insight.rollup import rollup_rebuild
from liuguan.registry.models import Person, Stay

pytestmark = pytest.mark.django_db
URL = "/api/exchange/open/tables"
CASE = {"purpose": "就业服务规划", "case_ref": "RS-2026-014", "end_user": "planner-3"}


@pytest.fixture
def dataset(db):
    return Dataset.objects.update_or_create(
        code=DATASET,
        defaults={k: v for k, v in CATALOGUE_ENTRY.items() if k != "code"},
    )[0]


@pytest.fixture
def subsystem(divisions, dataset):
    return make_subsystem(make_department())


@pytest.fixture
def client(subsystem):
    return api_client(key_for(subsystem))


def settle(community: str, count: int, *, reason: str = "work") -> None:
    for _ in range(count):
        n = Person.objects.count() + 1
        person = Person.objects.create(
            doc_type="citizen_id",
            doc_number=citizen_id("511321", "19900307", f"{n:03d}"),
            name=f"人{n}",
            sex="M" if n % 2 else "F",
            birth_date=dt.date(1990, 3, 7),
            hukou_code="511321",
        )
        Stay.objects.create(
            person=person,
            community_id=community,
            reason=reason,
            arrived_on=dt.date(2025, 5, 1),
            registered_at=timezone.now(),
            source_channel="collector",
        )


@pytest.fixture
def people(divisions):
    # 510104 (锦江区): 9 working + 3 studying; 510107 (武侯区): 3 working; 510703 (绵阳): 20 working.
    settle("510104001001", 9)
    settle("510104002001", 3, reason="study")
    settle("510107001001", 3)
    settle("510703001001", 20)
    rollup_rebuild()


def get(client, url=URL, **params):
    response = client.get(url, {**CASE, **params})
    assert_matches_openapi("GET", url, response)
    return response


def last_log():
    return AuditEvent.objects.filter(action=ACTION).latest("id")


def table(body, code):
    return next(t for t in body["tables"] if t["code"] == code)


def test_a_granted_subsystem_reads_its_tables_with_small_counts_withheld(client, subsystem, people):
    # given: a grant of two tables over Chengdu (5101)
    make_grant(subsystem, DATASET, fields=["areas", "reasons"], ways=["extract"], area="5101")
    # when
    response = get(client, area="5101")
    # then: k is the default 10; 武侯区's 3 is withheld and so is 锦江区's 12 (else 15 - 12 = 3); the total shows
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["k"] == 10 and body["area"] == "5101"
    assert [t["code"] for t in body["tables"]] == ["areas", "reasons"]
    areas = table(body, "areas")
    assert dict(zip(areas["row_keys"], [row[0] for row in areas["values"]], strict=True)) == {
        "510104": None,
        "510107": None,
    }
    assert areas["total"] == 15 and areas["withheld"] == 2
    reasons = table(body, "reasons")
    assert [row[0] for row in reasons["values"]] == [None, None] and reasons["total"] == 15
    # the access log holds the call: who, why, which area and tables, answered
    event = last_log()
    assert event.actor_id == subsystem.account_id
    assert event.changes["dataset"] == DATASET and event.changes["outcome"] == "answered"
    assert event.changes["subsystem"] == subsystem.code and event.changes["case_ref"] == CASE["case_ref"]
    assert event.changes["area"] == "5101" and event.changes["tables"] == ["areas", "reasons"]
    assert event.purpose == CASE["purpose"]


def test_a_citys_own_k_applies_in_its_area_and_in_the_province_above_it(client, subsystem, people):
    make_grant(subsystem, DATASET, fields=["areas"], ways=["extract"], area="51")
    OpenDataThreshold.objects.create(prefix="5101", k=3)
    # inside Chengdu k = 3: the 3 of 武侯区 is shown
    body = get(client, area="5101").json()
    assert body["k"] == 3
    assert [row[0] for row in table(body, "areas")["values"]] == [12, 3]
    # a stricter Mianyang (5107) raises the province's k: 20 people there are exactly at k, Chengdu's 15 not
    OpenDataThreshold.objects.create(prefix="5107", k=20)
    body = get(client, area="51").json()
    assert body["k"] == 20
    areas = table(body, "areas")
    assert dict(zip(areas["row_keys"], [row[0] for row in areas["values"]], strict=True)) == {
        "5101": None,
        "5107": None,
    }


@override_settings(LIUGUAN_OPEN_DATA_K=2)
def test_the_default_k_comes_from_the_settings(client, subsystem, people):
    make_grant(subsystem, DATASET, fields=["areas"], ways=["extract"], area="5101")
    body = get(client).json()  # no area: the grant's
    assert body["area"] == "5101" and body["k"] == 2
    assert [row[0] for row in table(body, "areas")["values"]] == [12, 3]


def test_one_table_by_its_code(client, subsystem, people):
    make_grant(subsystem, DATASET, fields=["areas", "reasons"], ways=["extract"], area="5101")
    response = get(client, f"{URL}/reasons", area="510104")
    assert response.status_code == 200
    assert [t["code"] for t in response.json()["tables"]] == ["reasons"]


def expired(subsystem, **kw):
    return make_grant(subsystem, DATASET, valid_from=china_today() - dt.timedelta(days=30), days=10, **kw)


def revoked(subsystem, **kw):
    grant = make_grant(subsystem, DATASET, **kw)
    grant.revoked_at = timezone.now()
    grant.save()
    return grant


@pytest.mark.parametrize(
    ("grant", "params", "status", "outcome"),
    [
        (None, {"area": "5101"}, 403, "refused"),  # no grant at all
        ("other_dataset", {"area": "5101"}, 403, "refused"),
        ("other_way", {"area": "5101"}, 403, "refused"),
        ("expired", {"area": "5101"}, 403, "refused"),
        ("revoked", {"area": "5101"}, 403, "refused"),
        ("chengdu", {"area": "5107"}, 403, "refused"),  # outside the grant's area
        ("chengdu", {"area": "51"}, 403, "refused"),  # above it
        ("chengdu", {"area": "5101", "tables": "industries"}, 403, "refused"),  # a table not granted
        ("chengdu", {"area": "5101", "tables": "no_such_table"}, 422, "invalid"),
        ("chengdu", {"area": "510199"}, 422, "invalid"),  # not a division
    ],
)
def test_refusals_share_nothing_and_are_logged(client, subsystem, people, grant, params, status, outcome):
    fields = {"fields": ["areas"], "ways": ["extract"], "area": "5101"}
    if grant == "other_dataset":
        make_grant(subsystem, "stays", fields=["community_code"], ways=["extract"], area="5101")
    elif grant == "other_way":
        make_grant(subsystem, DATASET, **{**fields, "ways": ["query"]})
    elif grant == "expired":
        expired(subsystem, **fields)
    elif grant == "revoked":
        revoked(subsystem, **fields)
    elif grant == "chengdu":
        make_grant(subsystem, DATASET, **fields)
    before = AuditEvent.objects.filter(action=ACTION).count()
    response = get(client, **params)
    assert response.status_code == status
    assert "tables" not in response.json()
    assert AuditEvent.objects.filter(action=ACTION).count() == before + 1
    event = last_log()
    assert event.changes["outcome"] == outcome and event.changes["dataset"] == DATASET
    assert event.changes["subsystem"] == subsystem.code


@pytest.mark.parametrize("role", [Role.PROVINCE_ADMIN, Role.CITY_OFFICER, Role.AUDITOR, Role.DEPARTMENT_USER])
def test_people_and_officers_do_not_call_the_hub(users, dataset, token_for, role):
    # a department user without a subsystem is a person, not a machine of the hub
    response = api_client(token_for(users[role])).get(URL, {**CASE, "area": "51"})
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=ACTION).exists()


def test_the_page_session_does_not_reach_the_api(users, dataset):
    assert login(users[Role.PROVINCE_ADMIN]).get(URL, {"area": "51"}).status_code in (401, 403)
