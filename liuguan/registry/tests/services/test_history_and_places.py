import datetime as dt
import json

import pytest
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY
from liuguan.core.crypto import decrypt_text
from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.models import AuditEvent
from liuguan.registry.models import FieldChange, RegistrationPolicy, Stay
from liuguan.registry.selectors import field_history
from liuguan.registry.services import (
    PersonInput,
    StayInput,
    employer_register,
    house_register,
    lodging_register,
    person_register,
    person_update_contact,
    stay_update,
)
from liuguan.registry.timeliness import PolicyTable

VALID_CREDIT = "91350100M000100Y43"


def test_phone_change_keeps_history_with_who_and_channel(users, person_in):
    collector = users[Role.COLLECTOR]
    person_update_contact(
        actor=collector, person_id=person_in.pk, phone="13800001111", channel="collector", device_time=timezone.now()
    )
    change = FieldChange.objects.get()
    # kept encrypted, as in the person's own row (core/fields.py seal_changes), in the history and the audit trail
    assert (change.field, decrypt_text(change.old_value), decrypt_text(change.new_value), change.actor) == (
        "phone",
        "13912345678",
        "13800001111",
        collector,
    )
    event = AuditEvent.objects.get(action="person.update")
    assert change.audit_event_id == event.pk
    stored = json.dumps([change.old_value, change.new_value, event.changes])
    assert "13912345678" not in stored and "13800001111" not in stored
    history = field_history(user=users[Role.STATION_OFFICER], person=person_in)
    assert history[-1]["field"] == "phone" and "138****1111" in history[-1]["value"]
    assert "13800001111" not in history[-1]["value"]


def test_stay_change_of_house_and_employer_is_a_new_state(users, person_in):
    officer = users[Role.STATION_OFFICER]
    house = house_register(actor=officer, community_code=IN_COMMUNITY, address="东御河沿街 9 号", owner_name="李房东")
    employer = employer_register(
        actor=officer, community_code=IN_COMMUNITY, name="蓉城餐饮有限公司", credit_code=VALID_CREDIT, industry="H"
    )
    stay = person_in.stays.get()
    stay_update(actor=officer, stay_id=stay.pk, house_id=house.pk, employer_id=employer.pk)
    stay_update(actor=officer, stay_id=stay.pk, address="新地址 1 号")
    stay.refresh_from_db()
    assert (stay.house, stay.employer, stay.address) == (house, employer, "新地址 1 号")
    fields = list(FieldChange.objects.filter(object_id=stay.pk).values_list("field", "old_value", "new_value"))
    assert ("house_id", None, house.pk) in fields and ("employer_id", None, employer.pk) in fields
    assert ("address", "东御河沿街 8 号", "新地址 1 号") in fields


def test_stay_outside_scope_cannot_be_changed(users, person_far):
    with pytest.raises(NotFound):
        stay_update(actor=users[Role.COLLECTOR], stay_id=person_far.stays.get().pk, address="x")
    assert not FieldChange.objects.exists()


def test_house_must_be_in_the_stays_community(users, person_in, divisions):
    officer = users[Role.STREET_OFFICER]
    elsewhere = house_register(
        actor=officer, community_code="510104001002", address="西御河沿街 1 号", owner_name="王房东"
    )
    with pytest.raises(InvalidInput) as exc_info:
        stay_update(actor=officer, stay_id=person_in.stays.get().pk, house_id=elsewhere.pk)
    assert exc_info.value.problems[0].rule == "stay.house_in_community"


def test_places_validate_and_stay_inside_scope(users):
    collector = users[Role.COLLECTOR]
    with pytest.raises(InvalidInput) as exc_info:
        house_register(actor=collector, community_code=OUT_COMMUNITY, address="", kind="castle")
    assert {p.rule for p in exc_info.value.problems} == {
        "place.community_in_scope",
        "place.address_required",
        "house.kind",
    }
    with pytest.raises(InvalidInput) as exc_info:
        employer_register(
            actor=collector, community_code=IN_COMMUNITY, name="x", credit_code="91350100M000100Y44", industry="H"
        )
    assert exc_info.value.problems[0].rule == "gb32100.check_char"
    employer_register(actor=collector, community_code=IN_COMMUNITY, name="甲", credit_code=VALID_CREDIT, industry="C")
    with pytest.raises(Conflict):
        employer_register(
            actor=collector, community_code=IN_COMMUNITY, name="乙", credit_code=VALID_CREDIT.lower(), industry="C"
        )
    lodging = lodging_register(
        actor=collector, community_code=IN_COMMUNITY, name="锦江宾馆", address="督院街 1 号", rooms=40
    )
    assert lodging.rooms == 40 and AuditEvent.objects.filter(action="lodging.register").count() == 1


def test_lateness_follows_the_areas_deadline(users):
    RegistrationPolicy.objects.update_or_create(prefix="", defaults={"name": "national", "deadline_days": 30})
    RegistrationPolicy.objects.update_or_create(prefix="5101", defaults={"name": "chengdu", "deadline_days": 7})
    table = PolicyTable()
    now = timezone.now()
    today = timezone.localdate()
    assert table.lateness("510104001001", today - dt.timedelta(days=7), now).late is False
    assert table.lateness("510104001001", today - dt.timedelta(days=8), now).late is True
    assert table.lateness("510703001001", today - dt.timedelta(days=8), now).late is False
    assert table.lateness("510703001001", today - dt.timedelta(days=31), now).deadline_days == 30
    done = person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(doc_type="citizen_id", doc_number="11010519491231002X", name="迟到"),
        stay=StayInput(community_code=IN_COMMUNITY, arrived_on=today - dt.timedelta(days=20), reason="work"),
    )
    stay = Stay.objects.get(pk=done.stay.pk)
    assert (stay.lag_days, stay.late) == (20, True)
