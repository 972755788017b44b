"""The registry's hooks: a stay here moves the origin's outflow record (in the province) or tells the peer."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.models import AuditEvent
from liuguan.outflow.models import ExpectedArrival, OutboxMessage, OutflowEvent, OutflowRecord, Reporter
from liuguan.outflow.services.flows import stays_registered
from liuguan.outflow.services.records import outflow_report
from liuguan.registry.services import StayInput, stay_depart, stay_register

from .outflow_support import (
    FUCHENG_COMMUNITY,
    JINJIANG_COMMUNITY,
    WUHOU_COMMUNITY,
    account,
    person_with_hukou,
    stay_at,
)


@pytest.fixture
def wuhou_collector(divisions):
    return account(Role.COLLECTOR, WUHOU_COMMUNITY, "wuhou_collector")


def _register(collector, person, community=JINJIANG_COMMUNITY, arrived_on=dt.date(2025, 4, 2)):
    return stay_register(
        actor=collector, person=person, stay=StayInput(community_code=community, arrived_on=arrived_on, reason="work")
    )


def test_a_stay_in_another_county_confirms_the_origins_record(users, wuhou_collector):
    # given a Wuhou villager whose family reported them gone to Jinjiang
    person = person_with_hukou("510107")
    stay_at(person, WUHOU_COMMUNITY, arrived_on=dt.date(2000, 1, 1), departed_on=dt.date(2025, 3, 20))
    record = outflow_report(
        actor=wuhou_collector,
        person_id=person.pk,
        origin_code=WUHOU_COMMUNITY,
        destination_code="510104",
        left_on=dt.date(2025, 3, 20),
        reason="work",
        reported_by=Reporter.FAMILY,
    )
    assert record.status == OutflowRecord.Status.UNCONFIRMED
    # when a Jinjiang collector registers their stay
    stay = _register(users[Role.COLLECTOR], person)
    # then the record is confirmed with that stay, by the Jinjiang county
    record.refresh_from_db()
    assert (record.status, record.stay_id, record.destination_code) == ("confirmed", stay.pk, JINJIANG_COMMUNITY)
    assert record.confirmed_by == "county:510104" and record.prior_record
    assert record.last_heard_on >= dt.date(2025, 4, 2)
    assert [e.kind for e in record.events.all()] == ["reported", "confirmed"]
    assert AuditEvent.objects.filter(action="outflow.confirm", object_id=str(record.pk)).count() == 1


def test_without_a_record_the_inflow_creates_one_for_the_hukou_county(users):
    person = person_with_hukou("510107")
    stay = _register(users[Role.COLLECTOR], person)
    record = OutflowRecord.objects.get(person=person)
    assert (record.origin_id, record.status, record.prior_record) == ("510107", "confirmed", False)
    assert record.reported_by == Reporter.DESTINATION_COUNTY and record.stay_id == stay.pk
    assert record.left_on == stay.arrived_on and record.destination_code == JINJIANG_COMMUNITY
    assert AuditEvent.objects.filter(action="outflow.confirm", object_id=str(record.pk)).exists()


def test_a_stay_in_a_third_county_moves_a_confirmed_record(users, divisions):
    person = person_with_hukou("510107")
    _register(users[Role.COLLECTOR], person)
    fucheng = account(Role.COLLECTOR, FUCHENG_COMMUNITY, "fucheng_collector")
    stay = _register(fucheng, person, community=FUCHENG_COMMUNITY, arrived_on=dt.date(2025, 6, 1))
    record = OutflowRecord.objects.get(person=person)
    assert (record.stay_id, record.confirmed_by) == (stay.pk, "county:510703")
    assert [e.kind for e in record.events.order_by("pk")] == ["confirmed", "moved"]


def test_departure_leaves_the_record_open_as_departed(users):
    person = person_with_hukou("510107")
    stay = _register(users[Role.COLLECTOR], person)
    stay_depart(
        actor=users[Role.COLLECTOR], stay_id=stay.pk, departed_on=dt.date(2025, 5, 5), destination="广东省深圳市"
    )
    record = OutflowRecord.objects.get(person=person)
    assert (record.status, record.last_heard_on, record.destination_place) == (
        "departed",
        dt.date(2025, 5, 5),
        "广东省深圳市",
    )
    assert record.events.order_by("-pk").first().kind == OutflowEvent.Kind.DEPARTED
    assert AuditEvent.objects.filter(action="outflow.depart", object_id=str(record.pk)).exists()


def test_same_county_means_nothing(users):
    person = person_with_hukou("510104")
    _register(users[Role.COLLECTOR], person)
    assert not OutflowRecord.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="outflow.").exists()


def test_a_hukou_outside_with_a_peer_sends_an_inflow_notice(users, peer):
    person = person_with_hukou("500101")
    stay = _register(users[Role.COLLECTOR], person)
    message = OutboxMessage.objects.get()
    assert (message.peer, message.kind, message.subject) == (peer, "inflow.registered", f"person:{person.pk}")
    assert message.payload["stay_ref"] == f"stay:{stay.pk}"
    assert message.payload["destination_code"] == JINJIANG_COMMUNITY
    assert message.payload["destination_name"] == "四川省成都市锦江区督院街街道东御河沿社区"
    assert message.payload["person"]["doc_number"] == person.doc_number
    assert (message.payload["arrived_on"], message.payload["reason"]) == ("2025-04-02", "work")
    assert not OutflowRecord.objects.exists()
    # and the departure follows the same way
    stay_depart(actor=users[Role.COLLECTOR], stay_id=stay.pk, departed_on=dt.date(2025, 5, 1), destination="重庆")
    departure = OutboxMessage.objects.get(kind="departure")
    assert (departure.payload["stay_ref"], departure.payload["departed_on"]) == (f"stay:{stay.pk}", "2025-05-01")
    assert departure.payload["destination"] == "重庆"


def test_a_hukou_outside_without_a_peer_sends_nothing(users):
    _register(users[Role.COLLECTOR], person_with_hukou("500101"))
    assert not OutboxMessage.objects.exists() and not OutflowRecord.objects.exists()


def test_an_expected_arrival_is_marked_arrived_and_its_origin_told(users, peer):
    person = person_with_hukou("440305")
    expected = ExpectedArrival.objects.create(
        peer=peer,
        origin_ref="77",
        doc_type="citizen_id",
        doc_number=person.doc_number,
        name=person.name,
        expected_code="510104",
    )
    stay = _register(users[Role.COLLECTOR], person)
    expected.refresh_from_db()
    assert (expected.status, expected.stay_id, expected.person_id) == ("arrived", stay.pk, person.pk)
    assert OutboxMessage.objects.get().peer == peer  # the hukou (Shenzhen) has no peer; the notice's origin does


def test_a_batch_reads_the_open_records_once_and_audits_once(users, django_assert_max_num_queries):
    people = [person_with_hukou("510107", name=f"钱{i}") for i in range(6)]
    stays = [stay_at(p, JINJIANG_COMMUNITY) for p in people]
    before = AuditEvent.objects.count()
    with django_assert_max_num_queries(14):
        stays_registered([s.pk for s in stays], actor=users[Role.COLLECTOR], source="import")
    assert OutflowRecord.objects.filter(prior_record=False, status="confirmed").count() == 6
    assert OutflowEvent.objects.count() == 6
    assert AuditEvent.objects.count() == before + 1


def test_a_hotel_night_is_not_an_outflow(users):
    from liuguan.registry.models import Lodging

    person = person_with_hukou("510107")
    hotel = Lodging.objects.create(name="锦江宾馆", community_id=JINJIANG_COMMUNITY)
    stay = stay_at(person, JINJIANG_COMMUNITY, arrived_on=dt.date(2025, 4, 2))
    stay.lodging = hotel
    stay.save(update_fields=["lodging"])
    stays_registered([stay.pk], actor=users[Role.COLLECTOR], source="test")
    assert not OutflowRecord.objects.filter(person=person).exists()


def test_a_landlords_departure_report_marks_the_record_departed(users):
    from liuguan.compliance.services.reports import stay_close

    person = person_with_hukou("510107")
    stay = _register(users[Role.COLLECTOR], person)
    stay_close(
        actor=users[Role.COLLECTOR], stay=stay, departed_on=dt.date(2025, 9, 1), destination="广东", source="test"
    )
    record = OutflowRecord.objects.get(person=person)
    assert (record.status, record.last_heard_on) == ("departed", dt.date(2025, 9, 1))
