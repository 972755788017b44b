"""Outflow record services: what the origin side records, the rule each refusal names, and that a refusal or an
out-of-scope call changes nothing.
"""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.outflow.models import OutboxMessage, OutflowRecord, OutflowTask, Reporter
from liuguan.outflow.services.records import (
    outflow_close,
    outflow_report,
    outflow_return,
    outflow_task_done,
    outflow_transfer,
    outflow_update,
)
from liuguan.registry.models import Person
from liuguan.registry.services import PersonInput

from .outflow_support import FUCHENG_COMMUNITY, JINJIANG_COMMUNITY, account, person_with_hukou, stay_at

VILLAGE = JINJIANG_COMMUNITY


@pytest.fixture
def villager(divisions):
    """Someone of Jinjiang who lived in the village before leaving (so the village can see them)."""
    person = person_with_hukou("510104")
    stay_at(person, VILLAGE, arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 2, 1))
    return person


def report(actor, person, **overrides):
    values = {
        "person_id": person.pk if person else None,
        "origin_code": VILLAGE,
        "destination_code": "440305",
        "left_on": dt.date(2025, 2, 1),
        "reason": "work",
        "phone": "13900001234",
        "reported_by": Reporter.FAMILY,
    }
    return outflow_report(actor=actor, **{**values, **overrides})


def unchanged(before_audit: int) -> bool:
    return not OutflowRecord.objects.exists() and AuditEvent.objects.count() == before_audit


def test_report_records_the_person_as_gone(users, villager):
    record = report(users[Role.COLLECTOR], villager)
    assert (record.status, record.prior_record, record.origin_id) == ("unconfirmed", True, VILLAGE)
    assert record.last_heard_on == china_today() and record.phone == "13900001234"
    assert [e.kind for e in record.events.all()] == ["reported"]
    event = AuditEvent.objects.get(action="outflow.report")
    assert (event.object_id, event.division_code) == (str(record.pk), VILLAGE)


def test_report_registers_someone_not_yet_on_the_register(users, divisions):
    data = PersonInput(
        doc_type="citizen_id",
        doc_number=person_with_hukou("510104").doc_number,
        name="吴九",
        hukou_code="510104",
    )
    Person.objects.all().delete()
    record = outflow_report(
        actor=users[Role.COLLECTOR],
        person=data,
        origin_code=VILLAGE,
        destination_code="44",
        left_on=dt.date(2024, 9, 1),
        reason="business",
        reported_by=Reporter.VILLAGE,
    )
    assert record.person.name == "吴九" and not record.person.stays.exists()
    assert AuditEvent.objects.filter(action="person.register", object_id=str(record.person.pk)).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"origin_code": "510107001001"}, "origin_code", "outflow.origin_in_scope"),
        ({"origin_code": "510104001"}, "origin_code", "outflow.origin_in_scope"),  # above a collector's village
        ({"destination_code": "510104002001"}, "destination_code", "outflow.destination_in_origin_county"),
        ({"destination_code": "999999"}, "destination_code", "outflow.destination_code"),
        ({"destination_code": "", "destination_place": ""}, "destination_code", "outflow.destination_required"),
        ({"destination_code": "", "destination_country": "USA"}, "destination_place", "outflow.abroad_place_required"),
        ({"destination_country": "JPN", "destination_place": "东京"}, "destination_code", "outflow.abroad_no_division"),
        ({"left_on": china_today() + dt.timedelta(days=2)}, "left_on", "outflow.left_on_future"),
        ({"reason": "fun"}, "reason", "outflow.reason"),
        ({"reported_by": "neighbour"}, "reported_by", "outflow.reported_by"),
        ({"phone": "12345"}, "phone", "mobile.format"),
        ({"contact_phone": "0281234"}, "contact_phone", "mobile.format"),
    ],
)
def test_report_refusals_name_the_field_and_rule(users, villager, overrides, field, rule):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as exc:
        report(users[Role.COLLECTOR], villager, **overrides)
    assert (field, rule) in {(p.field, p.rule) for p in exc.value.problems}
    assert unchanged(before)


def test_abroad_is_a_country_and_a_place(users, villager):
    record = report(
        users[Role.COLLECTOR],
        villager,
        destination_code="",
        destination_country="jpn",
        destination_place="东京都新宿区",
    )
    assert (record.destination_country, record.destination_place) == ("JPN", "东京都新宿区")


def test_a_hukou_in_another_county_is_refused_with_the_reason(users, divisions):
    person = person_with_hukou("510107")
    stay_at(person, VILLAGE, arrived_on=dt.date(2020, 1, 1), departed_on=dt.date(2025, 1, 1))
    with pytest.raises(InvalidInput) as exc:
        report(users[Role.COLLECTOR], person)
    assert exc.value.problems[0].rule == "outflow.origin_not_hukou_county" and "510107" in exc.value.problems[0].message


def test_someone_the_collector_cannot_see_answers_like_missing(users, divisions):
    hidden = person_with_hukou("510104")  # no stay in the village, and a village cannot see by hukou
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidInput) as exc:
        report(users[Role.COLLECTOR], hidden)
    assert exc.value.problems[0].rule == "outflow.person_in_scope"
    with pytest.raises(Conflict) as conflict:
        outflow_report(
            actor=users[Role.COLLECTOR],
            person=PersonInput(doc_type="citizen_id", doc_number=hidden.doc_number, name="某人"),
            origin_code=VILLAGE,
            destination_code="44",
            left_on=dt.date(2025, 1, 1),
            reason="work",
            reported_by=Reporter.FAMILY,
        )
    assert conflict.value.rule == "person.one_per_document" and conflict.value.existing_id is None
    assert unchanged(before)


def test_one_open_record_per_person(users, villager):
    first = report(users[Role.COLLECTOR], villager)
    with pytest.raises(Conflict) as exc:
        report(users[Role.STATION_OFFICER], villager, destination_code="33")
    assert (exc.value.rule, exc.value.existing_id) == ("outflow.one_open", first.pk)
    outflow_return(actor=users[Role.COLLECTOR], record_id=first.pk, returned_on=china_today())
    assert report(users[Role.COLLECTOR], villager).pk != first.pk


def test_roles_without_the_permission_are_refused(users, villager):
    for role in (Role.POLICE, Role.COUNTY_OFFICER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            report(users[role], villager)
    assert not OutflowRecord.objects.exists()


def test_a_destination_a_peer_serves_is_notified(users, villager, peer):
    record = report(users[Role.COLLECTOR], villager, destination_code="500101")
    message = OutboxMessage.objects.get()
    assert (message.kind, message.payload["origin_ref"], message.payload["expected_code"]) == (
        "outflow.notice",
        str(record.pk),
        "500101",
    )
    assert message.payload["phone"] == "13900001234" and message.payload["person"]["name"] == villager.name
    assert [e.kind for e in record.events.all()] == ["reported", "notified"]
    # a new destination in the peer's area is notified again
    outflow_update(actor=users[Role.COLLECTOR], record_id=record.pk, destination_code="5001")
    assert OutboxMessage.objects.filter(kind="outflow.notice").count() == 2


def test_a_destination_in_the_province_with_a_stay_there_confirms_at_once(users, villager):
    stay = stay_at(villager, FUCHENG_COMMUNITY, arrived_on=dt.date(2025, 2, 3))
    record = report(users[Role.COLLECTOR], villager, destination_code="510703")
    assert (record.status, record.stay_id, record.confirmed_by) == ("confirmed", stay.pk, "county:510703")


def test_update_keeps_the_history_of_each_change(users, villager):
    record = report(users[Role.COLLECTOR], villager)
    outflow_update(
        actor=users[Role.STATION_OFFICER],
        record_id=record.pk,
        contact_name="赵母",
        contact_phone="13700001111",
        heard_on=china_today(),
        note="电话联系家属",
    )
    event = record.events.get(kind="updated")
    assert event.data["contact_phone"] == ["", "13700001111"] and event.note == "电话联系家属"
    with pytest.raises(InvalidInput) as exc:
        outflow_update(actor=users[Role.STATION_OFFICER], record_id=record.pk, destination_code="510104001002")
    assert exc.value.problems[0].rule == "outflow.destination_in_origin_county"


def test_close_needs_a_reason_and_ends_the_record(users, villager):
    record = report(users[Role.COLLECTOR], villager)
    with pytest.raises(InvalidInput):
        outflow_close(actor=users[Role.COLLECTOR], record_id=record.pk, reason="bored")
    outflow_close(actor=users[Role.COLLECTOR], record_id=record.pk, reason="died", note="家属告知")
    record.refresh_from_db()
    assert record.status == "closed" and record.events.last().data == {"reason": "died"}
    with pytest.raises(InvalidInput):
        outflow_update(actor=users[Role.COLLECTOR], record_id=record.pk, contact_name="x")


def test_a_record_outside_scope_answers_like_missing(users, divisions):
    person = person_with_hukou("510703")
    stay_at(person, FUCHENG_COMMUNITY, arrived_on=dt.date(1990, 1, 1), departed_on=dt.date(2025, 1, 1))
    fucheng = account(Role.COLLECTOR, FUCHENG_COMMUNITY, "fucheng")
    record = report(fucheng, person, origin_code=FUCHENG_COMMUNITY)
    before = AuditEvent.objects.count()
    for call in (
        lambda: outflow_update(actor=users[Role.COLLECTOR], record_id=record.pk, contact_name="x"),
        lambda: outflow_return(actor=users[Role.STREET_OFFICER], record_id=record.pk, returned_on=china_today()),
        lambda: outflow_close(actor=users[Role.COUNTY_OFFICER], record_id=record.pk, reason="died"),
    ):
        with pytest.raises(NotFound):
            call()
    record.refresh_from_db()
    assert record.status == "unconfirmed" and record.contact_name == "" and AuditEvent.objects.count() == before


def test_transfer_inside_the_jurisdiction_keeps_both_origins(users, villager):
    record = report(users[Role.COLLECTOR], villager)
    with pytest.raises(InvalidInput) as exc:
        outflow_transfer(
            actor=users[Role.COLLECTOR], record_id=record.pk, new_origin_code="510104001002", note="户籍在邻村"
        )
    assert exc.value.problems[0].rule == "outflow.origin_in_scope"
    with pytest.raises(InvalidInput) as exc:
        outflow_transfer(actor=users[Role.STREET_OFFICER], record_id=record.pk, new_origin_code="510104001002", note="")
    assert exc.value.problems[0].field == "note"
    outflow_transfer(
        actor=users[Role.STREET_OFFICER], record_id=record.pk, new_origin_code="510104001002", note="户籍在邻村"
    )
    record.refresh_from_db()
    step = record.events.get(kind="transferred")
    assert record.origin_id == "510104001002"
    assert (step.data["from"], step.data["to"]) == (VILLAGE, "510104001002")
    assert step.data["to_name"] == "四川省成都市锦江区督院街街道西御河沿社区"


def test_return_closes_the_open_tasks(users, villager):
    record = report(users[Role.COLLECTOR], villager)
    task = OutflowTask.objects.create(record=record, kind="unknown", division_id="510104001", due_on=china_today())
    outflow_return(actor=users[Role.COLLECTOR], record_id=record.pk, returned_on=china_today(), note="回乡务农")
    task.refresh_from_db()
    assert task.status == "done" and task.done_by == users[Role.COLLECTOR]


def test_the_office_marks_a_task_done_with_a_note(users, villager):
    record = report(users[Role.COLLECTOR], villager)
    task = OutflowTask.objects.create(record=record, kind="unknown", division_id="510104001", due_on=china_today())
    with pytest.raises(PermissionDenied):
        outflow_task_done(actor=users[Role.COLLECTOR], task_id=task.pk, note="done")
    with pytest.raises(InvalidInput):
        outflow_task_done(actor=users[Role.STREET_OFFICER], task_id=task.pk, note="")
    outflow_task_done(actor=users[Role.STREET_OFFICER], task_id=task.pk, note="已联系本人")
    task.refresh_from_db()
    assert (task.status, task.note) == ("done", "已联系本人")
    assert AuditEvent.objects.filter(action="outflow.task_done", object_id=str(task.pk)).exists()


def test_a_new_destination_undoes_the_old_confirmation(users, villager):
    stay_at(villager, FUCHENG_COMMUNITY, arrived_on=dt.date(2025, 2, 3))
    record = report(users[Role.COLLECTOR], villager, destination_code="510703")
    assert record.status == "confirmed"
    outflow_update(actor=users[Role.STATION_OFFICER], record_id=record.pk, destination_code="44", note="家属说去了广东")
    record.refresh_from_db()
    assert (record.status, record.stay_id, record.confirmed_by, record.destination_code) == (
        "unconfirmed",
        None,
        "",
        "44",
    )
