"""Applying each message kind a peer sends; a payload that cannot be applied is refused and changes nothing."""

import datetime as dt
import uuid

import pytest
from django.db import transaction

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput, PermissionDenied
from liuguan.outflow.models import (
    ExpectedArrival,
    InboundNotice,
    OutboxMessage,
    OutflowRecord,
    PersonQuery,
    RemoteStay,
    Reporter,
)
from liuguan.outflow.services import messages
from liuguan.outflow.services.messages import HANDLERS
from liuguan.outflow.services.queries import person_query_send
from liuguan.outflow.services.records import outflow_report
from liuguan.registry.models import Person

from .outflow_support import JINJIANG_COMMUNITY, WANZHOU_COMMUNITY, WUHOU_COMMUNITY, account, person_with_hukou, stay_at


def apply(kind, peer, payload, message_id=None):
    with transaction.atomic():
        return HANDLERS[kind](peer=peer, message_id=message_id or uuid.uuid4(), payload=payload)


def block(person):
    return {
        "doc_type": person.doc_type,
        "doc_number": person.doc_number,
        "name": person.name,
        "sex": person.sex,
        "birth_date": person.birth_date.isoformat(),
        "hukou_code": person.hukou_code,
    }


def inflow(person_block, ref="stay:9", arrived="2025-04-01"):
    return {
        "person": person_block,
        "stay_ref": ref,
        "destination_code": WANZHOU_COMMUNITY,
        "destination_name": "重庆市万州区高笋塘街道太白社区",
        "arrived_on": arrived,
        "reason": "work",
    }


def test_every_kind_has_a_handler():
    assert set(HANDLERS) == set(messages.KINDS)


def test_inflow_confirms_the_open_record(divisions, peer):
    collector = account(Role.COLLECTOR, WUHOU_COMMUNITY, "wuhou")
    person = person_with_hukou("510107")
    stay_at(person, WUHOU_COMMUNITY, arrived_on=dt.date(2001, 1, 1), departed_on=dt.date(2025, 3, 1))
    record = outflow_report(
        actor=collector,
        person_id=person.pk,
        origin_code=WUHOU_COMMUNITY,
        destination_code="50",
        left_on=dt.date(2025, 3, 1),
        reason="work",
        reported_by=Reporter.FAMILY,
    )
    assert OutboxMessage.objects.filter(kind="outflow.notice", peer=peer).exists()
    result = apply(messages.INFLOW_REGISTERED, peer, inflow(block(person)))
    record.refresh_from_db()
    assert result == {"outcome": "confirmed", "status": "confirmed"}
    assert (record.status, record.confirmed_by, record.remote_ref) == ("confirmed", "CN-50", "stay:9")
    assert (record.destination_code, record.destination_place) == (WANZHOU_COMMUNITY, "重庆市万州区高笋塘街道太白社区")
    assert RemoteStay.objects.get(peer=peer, remote_ref="stay:9").person == person
    # a second delivery of the same news changes nothing
    assert apply(messages.INFLOW_REGISTERED, peer, inflow(block(person)))["outcome"] == "already"
    assert record.events.filter(kind="confirmed").count() == 1


def test_inflow_of_someone_unknown_registers_them_and_opens_a_missed_record(divisions, peer):
    person_block = block(person_with_hukou("510107"))
    Person.objects.all().delete()
    result = apply(messages.INFLOW_REGISTERED, peer, inflow(person_block))
    person = Person.objects.get(doc_number=person_block["doc_number"])
    assert person.created_by is None and person.source_channel == "department"
    record = OutflowRecord.objects.get(person=person)
    assert result["outcome"] == "created"
    assert (record.origin_id, record.prior_record, record.reported_by) == ("510107", False, "instance")


def test_departure_then_inflow_in_either_order(divisions, peer):
    person = person_with_hukou("510107")
    apply(messages.INFLOW_REGISTERED, peer, inflow(block(person)))
    departed = {**inflow(block(person)), "departed_on": "2025-06-01", "destination": "广州"}
    assert apply(messages.DEPARTURE, peer, departed)["outcome"] == "departed"
    record = OutflowRecord.objects.get(person=person)
    assert (record.status, record.last_heard_on, record.destination_place) == ("departed", dt.date(2025, 6, 1), "广州")
    # the other order: the departure of a second stay comes before its inflow notice
    second = {**inflow(block(person), ref="stay:10", arrived="2025-07-01"), "departed_on": "2025-08-01"}
    assert apply(messages.DEPARTURE, peer, second)["outcome"] == "recorded"
    apply(messages.INFLOW_REGISTERED, peer, inflow(block(person), ref="stay:10", arrived="2025-07-01"))
    record.refresh_from_db()
    assert (record.status, record.remote_ref, record.last_heard_on) == ("departed", "stay:10", dt.date(2025, 8, 1))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"stay_ref": ""}, "stay_ref"),
        ({"arrived_on": "yesterday"}, "arrived_on"),
        ({"destination_code": "440305"}, "destination_code"),
        ({"reason": "smuggling"}, "reason"),
        ({"person": None}, "person"),
    ],
)
def test_a_bad_inflow_payload_is_refused(divisions, peer, change, field):
    person = person_with_hukou("510107")
    with pytest.raises(InvalidInput) as exc:
        apply(messages.INFLOW_REGISTERED, peer, {**inflow(block(person)), **change})
    assert exc.value.problems[0].field == field
    assert not OutflowRecord.objects.exists() and not RemoteStay.objects.exists()


def test_an_inflow_of_someone_from_another_province_is_refused(divisions, peer):
    person = person_with_hukou("440305")
    with pytest.raises(InvalidInput) as exc:
        apply(messages.INFLOW_REGISTERED, peer, inflow(block(person)))
    assert exc.value.problems[0].rule == "federation.hukou_not_here"


def test_outflow_notice_is_expected_or_answered_at_once(users, peer):
    waiting = person_with_hukou("500101")
    here = person_with_hukou("500101", name="孙七")
    stay = stay_at(here, JINJIANG_COMMUNITY)
    notice = {"expected_code": "510104", "left_on": "2025-01-02", "reason": "work", "phone": "13900002222"}
    first = apply(messages.OUTFLOW_NOTICE, peer, {**notice, "person": block(waiting), "origin_ref": "1"})
    assert first == {"outcome": "expected"}
    assert ExpectedArrival.objects.get(origin_ref="1").status == "expected"
    second = apply(messages.OUTFLOW_NOTICE, peer, {**notice, "person": block(here), "origin_ref": "2"})
    assert (second["outcome"], second["stay_ref"]) == ("arrived", f"stay:{stay.pk}")
    assert ExpectedArrival.objects.get(origin_ref="2").stay == stay
    told = OutboxMessage.objects.get(kind="inflow.registered")
    assert (told.peer, told.payload["stay_ref"]) == (peer, f"stay:{stay.pk}")
    with pytest.raises(InvalidInput):
        apply(
            messages.OUTFLOW_NOTICE, peer, {**notice, "person": block(here), "origin_ref": "3", "expected_code": "50"}
        )


def test_offence_notice_and_bulletin_hit_reach_the_hukou_county(users, peer):
    person = person_with_hukou("510104")
    offence = {"person": block(person), "ref": "WF500101", "offence": "盗窃电动车", "occurred_on": "2025-05-01"}
    assert apply(messages.OFFENCE_NOTICE, peer, offence) == {"outcome": "received"}
    assert apply(messages.OFFENCE_NOTICE, peer, offence) == {"outcome": "already"}
    hit = {
        "person": block(person),
        "ref": "hit:4",
        "bulletin_number": "XC500101",
        "grounds": "涉嫌诈骗",
        "found_code": WANZHOU_COMMUNITY,
        "found_name": "重庆市万州区太白社区",
        "found_at": "2025-05-02T10:00:00+08:00",
    }
    apply(messages.BULLETIN_HIT, peer, hit)
    notices = InboundNotice.objects.order_by("pk")
    assert [(n.kind, n.hukou_code, n.person_id) for n in notices] == [
        ("offence", "510104", person.pk),
        ("bulletin_hit", "510104", person.pk),
    ]
    with pytest.raises(InvalidInput):
        apply(messages.OFFENCE_NOTICE, peer, {**offence, "ref": "WF2", "occurred_on": None})


def test_person_query_is_answered_only_under_a_grant(divisions, peer):
    person = person_with_hukou("510104")
    query = {"doc_type": "citizen_id", "doc_number": person.doc_number, "purpose": "核查身份"}
    assert apply(messages.PERSON_QUERY, peer, query) == {"outcome": "refused"}
    refused = OutboxMessage.objects.get(kind="person.reply")
    assert refused.payload["status"] == "refused" and "person" not in refused.payload
    peer.grants = ["person.basic"]
    peer.save()
    qid = uuid.uuid4()
    assert apply(messages.PERSON_QUERY, peer, query, message_id=qid) == {"outcome": "answered"}
    answered = OutboxMessage.objects.get(kind="person.reply", payload__query_id=str(qid))
    assert set(answered.payload["person"]) == {
        "doc_type",
        "doc_number",
        "name",
        "sex",
        "birth_date",
        "hukou_code",
        "phone",
    }
    other = person_with_hukou("510104", name="周八").doc_number
    Person.objects.filter(doc_number=other).delete()
    assert apply(messages.PERSON_QUERY, peer, {**query, "doc_number": other}) == {"outcome": "not_found"}


def test_a_reply_lands_on_the_query(users, peer):
    number = person_with_hukou("500101").doc_number
    query = person_query_send(
        actor=users[Role.POLICE],
        peer_code="CN-50",
        doc_type="citizen_id",
        doc_number=number,
        purpose="核实外省来人身份",
    )
    sent = OutboxMessage.objects.get(kind="person.query")
    assert sent.message_id == query.message_id and sent.payload["purpose"] == "核实外省来人身份"
    answer = {"doc_type": "citizen_id", "doc_number": "x", "name": "王", "phone": "13900001111", "religion": "-"}
    reply = {"query_id": str(query.message_id), "status": "answered", "person": answer}
    assert apply(messages.PERSON_REPLY, peer, reply) == {"outcome": "answered"}
    query.refresh_from_db()
    assert query.status == "answered" and "religion" not in query.answer and query.answer["phone"] == "13900001111"
    with pytest.raises(InvalidInput):
        apply(messages.PERSON_REPLY, peer, {**reply, "query_id": str(uuid.uuid4())})


def test_a_query_needs_a_purpose_and_the_permission(users, peer):
    with pytest.raises(InvalidInput) as exc:
        person_query_send(
            actor=users[Role.POLICE], peer_code="CN-50", doc_type="citizen_id", doc_number="1", purpose=""
        )
    assert {p.field for p in exc.value.problems} == {"doc_number", "purpose"}
    assert not PersonQuery.objects.exists() and not OutboxMessage.objects.exists()


def test_a_collector_may_not_query_a_peer(users, peer):
    with pytest.raises(PermissionDenied):
        person_query_send(
            actor=users[Role.COLLECTOR], peer_code="CN-50", doc_type="citizen_id", doc_number="1", purpose="核查身份"
        )
    assert not PersonQuery.objects.exists()
