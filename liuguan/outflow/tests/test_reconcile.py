"""Reconciliation on hand-made cases: each category opens its task once, and the task closes when it is fixed."""

import datetime as dt
import uuid

import pytest
from django.db import transaction
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.workdays import add_working_days
from liuguan.outflow.models import OutflowRecord, OutflowTask, Reporter
from liuguan.outflow.selectors import reconciliation_summary
from liuguan.outflow.services import messages
from liuguan.outflow.services.flows import stays_registered
from liuguan.outflow.services.messages import HANDLERS
from liuguan.outflow.services.reconcile import months_before, reconcile
from liuguan.outflow.services.records import outflow_report, outflow_task_done, outflow_update
from liuguan.registry.services import StayInput, stay_register

from .outflow_support import JINJIANG_COMMUNITY, WANZHOU_COMMUNITY, account, person_with_hukou, stay_at

TODAY = china_today()


@pytest.fixture
def villager(divisions):
    person = person_with_hukou("510104")
    stay_at(person, JINJIANG_COMMUNITY, arrived_on=dt.date(1990, 1, 1), departed_on=TODAY - dt.timedelta(days=300))
    return person


def reported(users, person, *, days_ago: int, destination="500101") -> OutflowRecord:
    record = outflow_report(
        actor=users[Role.COLLECTOR],
        person_id=person.pk,
        origin_code=JINJIANG_COMMUNITY,
        destination_code=destination,
        left_on=TODAY - dt.timedelta(days=days_ago),
        reason="work",
        reported_by=Reporter.FAMILY,
    )
    when = timezone.now() - dt.timedelta(days=days_ago)
    OutflowRecord.objects.filter(pk=record.pk).update(
        created_at=when, last_heard_on=(TODAY - dt.timedelta(days=days_ago))
    )
    record.refresh_from_db()
    return record


def open_tasks():
    return sorted(OutflowTask.objects.filter(status="open").values_list("record_id", "kind"))


def test_months_before_keeps_the_day_or_the_months_end():
    assert months_before(dt.date(2025, 8, 31), 6) == dt.date(2025, 2, 28)
    assert months_before(dt.date(2025, 3, 15), 15) == dt.date(2023, 12, 15)


def test_a_record_never_confirmed_opens_one_task_that_closes_on_confirmation(users, villager, peer):
    record = reported(users, villager, days_ago=61)
    result = reconcile(today=TODAY)
    assert result.opened["unconfirmed"] == 1 and open_tasks() == [(record.pk, "unconfirmed")]
    task = OutflowTask.objects.get()
    assert task.division_id == "510104001" and task.due_on == add_working_days(TODAY, 10)
    # a second run opens nothing
    assert not reconcile(today=TODAY).changed and OutflowTask.objects.count() == 1
    # the destination confirms: the next run closes the task
    payload = {
        "person": {
            "doc_type": "citizen_id",
            "doc_number": villager.doc_number,
            "name": villager.name,
            "sex": villager.sex,
            "birth_date": villager.birth_date.isoformat(),
            "hukou_code": "510104",
        },
        "stay_ref": "stay:1",
        "destination_code": WANZHOU_COMMUNITY,
        "destination_name": "重庆市万州区太白社区",
        "arrived_on": (TODAY - dt.timedelta(days=30)).isoformat(),
        "reason": "work",
    }
    with transaction.atomic():
        HANDLERS[messages.INFLOW_REGISTERED](peer=peer, message_id=uuid.uuid4(), payload=payload)
    assert reconcile(today=TODAY).closed == 1
    task.refresh_from_db()
    assert task.status == "done" and task.done_by is None and task.note


def test_a_young_record_has_no_task(users, villager):
    reported(users, villager, days_ago=59)
    assert not reconcile(today=TODAY).changed and not OutflowTask.objects.exists()


def test_whereabouts_unknown_for_months_open_a_task_until_heard_of(users, villager):
    record = reported(users, villager, days_ago=200)
    reconcile(today=TODAY)
    assert open_tasks() == [(record.pk, "unconfirmed"), (record.pk, "unknown")]
    outflow_update(actor=users[Role.STATION_OFFICER], record_id=record.pk, heard_on=TODAY, note="本人来电")
    reconcile(today=TODAY)
    assert open_tasks() == [(record.pk, "unconfirmed")]


def test_an_inflow_the_origin_missed_opens_a_task_that_stays_done_once_worked(users):
    person = person_with_hukou("510107")
    stay_register(
        actor=users[Role.COLLECTOR],
        person=person,
        stay=StayInput(community_code=JINJIANG_COMMUNITY, arrived_on=TODAY - dt.timedelta(days=3), reason="work"),
    )
    record = OutflowRecord.objects.get(person=person)
    assert reconcile(today=TODAY).opened == {"unconfirmed": 0, "unknown": 0, "missed": 1}
    task = OutflowTask.objects.get()
    assert (task.kind, task.division_id) == ("missed", "510107")
    assert reconcile(today=TODAY).opened["missed"] == 0
    wuhou = account(Role.COUNTY_OFFICER, "510107", "wuhou-county")
    outflow_task_done(actor=wuhou, task_id=task.pk, note="已补录联系人")
    assert not reconcile(today=TODAY).changed
    assert OutflowTask.objects.filter(record=record).count() == 1
    assert AuditEvent.objects.filter(action="outflow.reconcile").count() == 1


def test_the_summary_counts_the_three_categories_per_child_area(users, villager, divisions):
    confirmed_person = person_with_hukou("510104", name="甲")
    stay_at(confirmed_person, "510104002001", arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 1, 1))
    stay_at(confirmed_person, "510703001001", arrived_on=dt.date(2025, 1, 2))
    outflow_report(
        actor=users[Role.COLLECTOR],
        person_id=villager.pk,
        origin_code=JINJIANG_COMMUNITY,
        destination_code="44",
        left_on=dt.date(2025, 1, 1),
        reason="work",
        reported_by=Reporter.FAMILY,
    )
    other_village = account(Role.COLLECTOR, "510104002001", "hp-collector")
    outflow_report(
        actor=other_village,
        person_id=confirmed_person.pk,
        origin_code="510104002001",
        destination_code="510703",
        left_on=dt.date(2025, 1, 1),
        reason="work",
        reported_by=Reporter.FAMILY,
    )
    missed = person_with_hukou("510104", name="乙")
    stay_at(missed, "510703001001")
    stays_registered(missed.stays.all(), actor=users[Role.COLLECTOR], source="test")
    reconcile(today=TODAY)
    summary = reconciliation_summary(user=users[Role.COUNTY_OFFICER], area_code="510104")
    rows = {row.code: row for row in summary.rows}
    assert (rows["510104001"].confirmed, rows["510104001"].never_confirmed, rows["510104001"].missed) == (0, 1, 0)
    assert (rows["510104002"].confirmed, rows["510104002"].never_confirmed) == (1, 0)
    assert summary.unplaced.missed == 1  # owned by the county itself: its hukou names only the county
    assert (summary.total.confirmed, summary.total.never_confirmed, summary.total.missed) == (1, 1, 1)
    assert summary.total.open_tasks == 1
    # a street officer sees only their own township
    street = reconciliation_summary(user=users[Role.STREET_OFFICER], area_code="510104001")
    assert street.total.never_confirmed == 1 and street.total.confirmed == 0
