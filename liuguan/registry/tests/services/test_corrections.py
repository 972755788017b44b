"""Corrections from the field: what changes, what the history keeps, who is traced back, what is refused."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.registry.models import FieldChange, Person, Stay
from liuguan.registry.services import field_setter, record_correct, stay_verify


@pytest.fixture
def created(person_in, users):
    Person.objects.filter(pk=person_in.pk).update(created_by=users[Role.COLLECTOR])
    person_in.refresh_from_db()
    return person_in


def test_a_correction_changes_the_field_and_keeps_who_and_why(created, users):
    officer = users[Role.STATION_OFFICER]
    # when
    changes = record_correct(
        actor=officer,
        object_type="registry.person",
        object_id=created.pk,
        values={"ethnicity": "03", "name": "张 三丰"},
        reason="SC-1",
    )
    # then
    created.refresh_from_db()
    assert created.ethnicity == "03" and created.name == "张 三丰" and created.name_pinyin
    assert changes == {"ethnicity": ("01", "03"), "name": ("张三", "张 三丰")}
    rows = FieldChange.objects.filter(object_type="registry.person", object_id=created.pk)
    assert {r.field for r in rows} == {"ethnicity", "name"} and all(r.actor == officer for r in rows)
    event = AuditEvent.objects.get(action="person.correct", object_id=str(created.pk))
    assert event.purpose == "SC-1"


def test_the_setter_is_the_creator_until_someone_changes_the_field(created, users):
    collector, officer = users[Role.COLLECTOR], users[Role.STATION_OFFICER]
    assert field_setter(object_type="registry.person", record=created, field="phone").user_id == collector.pk
    record_correct(
        actor=officer, object_type="registry.person", object_id=created.pk, values={"phone": "13800000000"}, reason="x"
    )
    assert field_setter(object_type="registry.person", record=created, field="phone").user_id == officer.pk
    assert field_setter(object_type="registry.person", record=created, field="name").user_id == collector.pk


def test_bad_values_and_fixed_fields_are_refused_and_nothing_changes(created, users):
    officer = users[Role.STATION_OFFICER]
    with pytest.raises(InvalidInput) as bad:
        record_correct(
            actor=officer, object_type="registry.person", object_id=created.pk, values={"phone": "123"}, reason="x"
        )
    assert bad.value.problems[0].field == "phone"
    with pytest.raises(InvalidInput):
        record_correct(
            actor=officer,
            object_type="registry.person",
            object_id=created.pk,
            values={"doc_number": "1"},
            reason="x",
        )
    created.refresh_from_db()
    assert created.phone == "13912345678" and not FieldChange.objects.exists()


def test_out_of_scope_and_without_permission_are_refused(person_out, users):
    with pytest.raises(NotFound):
        record_correct(
            actor=users[Role.STATION_OFFICER],
            object_type="registry.person",
            object_id=person_out.pk,
            values={"ethnicity": "03"},
            reason="x",
        )
    with pytest.raises(PermissionDenied):
        record_correct(
            actor=users[Role.AUDITOR],
            object_type="registry.person",
            object_id=person_out.pk,
            values={"ethnicity": "03"},
            reason="x",
        )
    assert Person.objects.get(pk=person_out.pk).ethnicity == "01"


def test_verifying_a_stay_records_the_day_once(person_in, users):
    stay = Stay.objects.get(person=person_in)
    grid = users[Role.GRID_WORKER]
    day = china_today() - dt.timedelta(days=3)
    assert stay_verify(actor=grid, stay_ids=[stay.pk], on=day, reason="sweep") == 1
    assert stay_verify(actor=grid, stay_ids=[stay.pk], on=day - dt.timedelta(days=1), reason="sweep") == 0
    stay.refresh_from_db()
    assert stay.verified_on == day
    with pytest.raises(InvalidInput):
        stay_verify(actor=grid, stay_ids=[stay.pk], on=china_today() + dt.timedelta(days=1), reason="x")
