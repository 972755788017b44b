"""Outflow pages and API: the right roles get them, others are refused, outside scope looks missing, lists mask."""

import datetime as dt
import uuid

import pytest
from django.db import transaction

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi
from liuguan.outflow.models import ExpectedArrival, InboundNotice, OutboxMessage, OutflowRecord, OutflowTask, Reporter
from liuguan.outflow.services import messages
from liuguan.outflow.services.messages import HANDLERS
from liuguan.outflow.services.records import outflow_report

from .outflow_support import FUCHENG_COMMUNITY, JINJIANG_COMMUNITY, account, person_with_hukou, stay_at


@pytest.fixture
def record(users):
    person = person_with_hukou("510104", name="张晓明")
    stay_at(person, JINJIANG_COMMUNITY, arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 1, 1))
    return outflow_report(
        actor=users[Role.COLLECTOR],
        person_id=person.pk,
        origin_code=JINJIANG_COMMUNITY,
        destination_code="440305",
        left_on=dt.date(2025, 1, 1),
        reason="work",
        phone="13912340000",
        reported_by=Reporter.FAMILY,
    )


@pytest.fixture
def far_record(divisions):
    person = person_with_hukou("510703", name="李远")
    stay_at(person, FUCHENG_COMMUNITY, arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 1, 1))
    return outflow_report(
        actor=account(Role.COLLECTOR, FUCHENG_COMMUNITY, "fucheng"),
        person_id=person.pk,
        origin_code=FUCHENG_COMMUNITY,
        destination_code="44",
        left_on=dt.date(2025, 1, 1),
        reason="work",
        reported_by=Reporter.FAMILY,
    )


VIEWERS = (Role.STATION_OFFICER, Role.STREET_OFFICER, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.POLICE)
NOT_VIEWERS = (Role.COLLECTOR, Role.GRID_WORKER, Role.AUDITOR, Role.DEPARTMENT_USER)


def test_the_area_pages_open_for_officers_and_refuse_the_others(users, record):
    for role in VIEWERS:
        client = login(users[role])
        for path in ("/outflow/", "/outflow/records/", "/outflow/reconciliation/", "/outflow/expected/"):
            assert client.get(path).status_code == 200, (role, path)
        assert client.get(f"/outflow/records/{record.pk}/").status_code == 200, role
    for role in NOT_VIEWERS:
        client = login(users[role])
        for path in ("/outflow/", "/outflow/records/", f"/outflow/records/{record.pk}/", "/outflow/reconciliation/"):
            assert client.get(path).status_code == 403, (role, path)


def test_outside_scope_looks_missing(users, record, far_record):
    client = login(users[Role.STREET_OFFICER])
    assert client.get(f"/outflow/records/{far_record.pk}/").status_code == 404
    assert client.get("/outflow/records/999999/").status_code == 404
    assert client.get("/outflow/?area=510703").status_code == 404
    assert client.get("/outflow/reconciliation/?area=5107").status_code == 404
    before = far_record.status
    response = client.post(f"/outflow/records/{far_record.pk}/close/", {"reason": "died"})
    assert response.status_code == 404
    far_record.refresh_from_db()
    assert far_record.status == before


def test_the_index_counts_per_child_and_drills_down(users, record):
    page = login(users[Role.COUNTY_OFFICER]).get("/outflow/").content.decode()
    assert 'data-code="510104001"' in page and "?area=510104001" in page
    village = login(users[Role.COUNTY_OFFICER]).get("/outflow/?area=510104001").content.decode()
    assert 'data-code="510104001001"' in village


def test_the_list_masks_and_exports_what_it_shows(users, record, far_record):
    client = login(users[Role.COUNTY_OFFICER])
    page = client.get("/outflow/records/").content.decode()
    assert f'data-record="{record.pk}"' in page and f'data-record="{far_record.pk}"' not in page
    assert record.person.doc_number not in page and "张晓明" not in page and "张**" in page
    assert "广东省深圳市南山区" in page
    csv = client.get("/outflow/records.csv?status=open").content.decode("utf-8-sig")
    assert "张**" in csv and record.person.doc_number not in csv and len(csv.strip().splitlines()) == 2
    wrong = client.get("/outflow/records/?destination=xx")
    assert wrong.status_code == 200 and 'class="errorlist' in wrong.content.decode()
    empty = client.get("/outflow/records/?destination=50").content.decode()
    assert f'data-record="{record.pk}"' not in empty


def test_a_collector_reports_someone_from_the_form(users, divisions):
    person = person_with_hukou("510104", name="王小二")
    stay_at(person, JINJIANG_COMMUNITY, arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 1, 1))
    client = login(users[Role.COLLECTOR])
    assert client.get("/outflow/records/new/").status_code == 200
    form = {
        "doc_type": "citizen_id",
        "doc_number": person.doc_number,
        "origin_code": JINJIANG_COMMUNITY,
        "destination_code": "3301",
        "destination_country": "CHN",
        "left_on": "2025-02-01",
        "reason": "work",
        "reported_by": "family",
    }
    bad = client.post("/outflow/records/new/", {**form, "destination_code": "510104002001"})
    assert bad.status_code == 200 and not OutflowRecord.objects.exists()
    done = client.post("/outflow/records/new/", form)
    assert done.status_code == 302
    assert OutflowRecord.objects.get().person == person
    assert login(users[Role.POLICE]).get("/outflow/records/new/").status_code == 403


def test_record_actions_from_the_page(users, record):
    client = login(users[Role.STATION_OFFICER])
    page = client.get(f"/outflow/records/{record.pk}/").content.decode()
    assert 'data-testid="form-update"' in page and 'data-kind="reported"' in page
    client.post(
        f"/outflow/records/{record.pk}/update/",
        {"destination_code": "440305", "destination_country": "CHN", "reason": "business", "contact_name": "张母"},
    )
    record.refresh_from_db()
    assert (record.reason, record.contact_name) == ("business", "张母")
    client.post(f"/outflow/records/{record.pk}/return/", {"returned_on": china_today().isoformat()})
    record.refresh_from_db()
    assert record.status == "returned"
    assert 'data-testid="form-update"' not in client.get(f"/outflow/records/{record.pk}/").content.decode()
    # the police read the page, but may not change a record
    assert login(users[Role.POLICE]).post(f"/outflow/records/{record.pk}/close/", {"reason": "died"}).status_code == 403
    record.refresh_from_db()
    assert record.status == "returned"


def test_the_query_form_asks_the_peer_that_serves_the_destination(users, record, peer):
    record.destination_code = "500101"
    record.save()
    client = login(users[Role.POLICE])
    page = client.get(f"/outflow/records/{record.pk}/").content.decode()
    assert 'data-testid="form-query"' in page
    client.post(f"/outflow/records/{record.pk}/query/", {"peer_code": "CN-50", "purpose": "核实去向"})
    assert OutboxMessage.objects.get(kind="person.query").payload["purpose"] == "核实去向"
    assert login(users[Role.COLLECTOR]).post(f"/outflow/records/{record.pk}/query/", {}).status_code == 403


def test_tasks_page_and_marking_done(users, record):
    task = OutflowTask.objects.create(record=record, kind="unconfirmed", division_id="510104001", due_on=china_today())
    # The city sees the street's tasks (supervision) but has no button to mark them done.
    city_page = login(users[Role.CITY_OFFICER]).get("/outflow/tasks/").content.decode()
    assert f'data-task="{task.pk}"' in city_page
    assert f"/outflow/tasks/{task.pk}/done/" not in city_page
    client = login(users[Role.STREET_OFFICER])
    assert f"/outflow/tasks/{task.pk}/done/" in client.get("/outflow/tasks/").content.decode()
    client.post(f"/outflow/tasks/{task.pk}/done/", {"note": "已电话核实"})
    task.refresh_from_db()
    assert task.status == "done"
    assert login(users[Role.COLLECTOR]).get("/outflow/tasks/").status_code == 403
    other = login(account(Role.STREET_OFFICER, "510104002", "chunxi"))
    assert other.post(f"/outflow/tasks/{task.pk}/done/", {"note": "x"}).status_code == 404


def test_expected_arrivals_and_notices_pages(users, peer):
    ExpectedArrival.objects.create(
        peer=peer,
        origin_ref="5",
        doc_type="citizen_id",
        doc_number="500101199211201350",
        name="王五",
        expected_code="510104",
    )
    page = login(users[Role.COUNTY_OFFICER]).get("/outflow/expected/").content.decode()
    assert "王*" in page and "500101199211201350" not in page
    person = person_with_hukou("510104")
    payload = {
        "person": {
            "doc_type": "citizen_id",
            "doc_number": person.doc_number,
            "name": person.name,
            "sex": person.sex,
            "birth_date": person.birth_date.isoformat(),
            "hukou_code": "510104",
        },
        "ref": "WF1",
        "offence": "盗窃",
        "occurred_on": "2025-05-01",
    }
    with transaction.atomic():
        HANDLERS[messages.OFFENCE_NOTICE](peer=peer, message_id=uuid.uuid4(), payload=payload)
    notice = InboundNotice.objects.get()
    police = login(users[Role.POLICE])
    assert f'data-notice="{notice.pk}"' in police.get("/outflow/notices/").content.decode()
    police.post(f"/outflow/notices/{notice.pk}/acknowledge/")
    notice.refresh_from_db()
    assert notice.status == "acknowledged"
    assert login(users[Role.COUNTY_OFFICER]).get("/outflow/notices/").status_code == 403
    mianyang = login(account(Role.POLICE, "5107", "mianyang-police"))
    assert f'data-notice="{notice.pk}"' not in mianyang.get("/outflow/notices/").content.decode()


def test_api_lists_reports_and_reconciles(users, token_for, record, far_record):
    officer = api_client(token_for(users[Role.COUNTY_OFFICER]))
    listed = officer.get("/api/outflow/records?status=open&limit=10")
    assert listed.status_code == 200
    assert_matches_openapi("get", "/api/outflow/records", listed)
    body = listed.json()
    assert body["count"] == 1 and body["items"][0]["id"] == record.pk
    assert body["items"][0]["doc_number_masked"] != record.person.doc_number
    bad = officer.get("/api/outflow/records?unknown_months=0")
    assert bad.status_code == 422 and bad.json()["detail"][0]["rule"] == "outflow.filter_months"
    recon = officer.get("/api/outflow/reconciliation?area=510104")
    assert recon.status_code == 200
    assert_matches_openapi("get", "/api/outflow/reconciliation", recon)
    assert recon.json()["total"]["never_confirmed"] == 1
    assert officer.get("/api/outflow/reconciliation?area=510703").status_code == 404
    person = person_with_hukou("510104", name="刘一")
    stay_at(person, JINJIANG_COMMUNITY, arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 1, 1))
    collector = api_client(token_for(users[Role.COLLECTOR]))
    body = {
        "person": {"doc_type": "citizen_id", "doc_number": person.doc_number},
        "origin_code": JINJIANG_COMMUNITY,
        "destination_code": "",
        "destination_country": "AUS",
        "destination_place": "悉尼",
        "left_on": "2024-12-01",
        "reason": "study",
        "reported_by": "self",
    }
    created = collector.post("/api/outflow/records", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert_matches_openapi("post", "/api/outflow/records", created)
    assert created.json()["destination"] == "AUS 悉尼"
    again = collector.post("/api/outflow/records", body, content_type="application/json")
    assert again.status_code == 409 and again.json()["rule"] == "outflow.one_open"
    assert officer.post("/api/outflow/records", body, content_type="application/json").status_code == 403
