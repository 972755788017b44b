"""What each message from a peer does here. The inbox runs a handler inside the transaction that records the
message, so it is applied once or not at all; a payload it cannot apply raises InvalidInput (the sender is
told and does not retry). Handlers act as the system; their audit events name the peer as the source.

Payloads (dates ISO 8601, a person as `{"doc_type", "doc_number", "name", "sex", "birth_date", "hukou_code"}`):

- `inflow.registered`: `person`, `stay_ref` (the destination's name for its stay, "stay:<id>"),
  `destination_code`, `destination_name`, `arrived_on`, `reason`.
- `departure`: the same, plus `departed_on` and `destination` (where they said they were going).
- `outflow.notice`: `person`, `origin_ref` (the origin's record id), `expected_code`, `left_on`, `reason`, `phone`.
- `offence.notice`: `person`, `ref` (the notice number), `offence`, `occurred_on`, `issuing_unit_name`.
- `bulletin.hit`: `person`, `ref`, `bulletin_number`, `grounds`, `found_code`, `found_name`, `found_at`.
- `person.query`: `doc_type`, `doc_number`, `purpose`; answered by a `person.reply` with `query_id` (the
  query's message id), `status` (answered, refused, not_found) and, when answered, `person` (with `phone`).
"""

import datetime as dt
import uuid

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import SYSTEM, audit_record, diff
from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.core.identity import DocumentError, china_today, parse_document, validate_mobile
from liuguan.core.scoping import within
from liuguan.registry.codes import Reason, SourceChannel
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Person, Stay
from liuguan.registry.services.people import PersonInput, person_check, person_save_new

from ..models import (
    ExpectedArrival,
    InboundNotice,
    OutflowEvent,
    OutflowRecord,
    PersonQuery,
    RemoteStay,
    Reporter,
)
from . import messages
from .common import (
    county_of,
    event_add,
    in_province,
    later,
    origin_for_hukou,
    person_block,
    place_names,
    province_code,
)
from .flows import expected_arrived, inflow_payload, record_snapshot, stay_ref
from .messages import handles
from .outbox import message_enqueue

REASONS = frozenset(Reason.values)
BASIC_GRANT = "person.basic"
# A destination's clock may run a little ahead of ours.
DATE_SLACK = dt.timedelta(days=1)


def _source(peer) -> str:
    return f"federation:{peer.code}"


def _bad(field: str, rule: str, message) -> InvalidInput:
    return InvalidInput([FieldProblem(field, rule, message)])


def _payload(payload) -> dict:
    if not isinstance(payload, dict):
        raise _bad("payload", "federation.payload_object", _("The payload is not an object"))
    return payload


def _text(payload: dict, key: str, max_length: int, *, required: bool = False) -> str:
    value = payload.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _bad(key, "federation.text", _("This field must be text"))
    value = " ".join(value.split())
    if required and not value:
        raise _bad(key, "federation.required", _("This field is required"))
    if len(value) > max_length:
        raise _bad(key, "federation.too_long", _("This field is too long"))
    return value


def _code(payload: dict, key: str, *, required: bool = True) -> str:
    value = _text(payload, key, 12, required=required)
    if value and (not value.isdigit() or len(value) not in (2, 4, 6, 9, 12)):
        raise _bad(key, "federation.division_code", _("This is not a division code"))
    return value


def _parsed(parse, raw: str):
    """Django's date parsers raise ValueError on a well-formed impossible value (2025-02-30): no date either."""
    try:
        return parse(raw)
    except ValueError:
        return None


def _date(payload: dict, key: str, *, required: bool = True, not_future: bool = True) -> dt.date | None:
    raw = payload.get(key)
    if raw in (None, ""):
        if required:
            raise _bad(key, "federation.required", _("This field is required"))
        return None
    value = _parsed(parse_date, raw) if isinstance(raw, str) else None
    if value is None:
        raise _bad(key, "federation.date", _("This is not an ISO date"))
    if not_future and value > china_today() + DATE_SLACK:
        raise _bad(key, "federation.date_future", _("This date is in the future"))
    return value


def _reason(payload: dict) -> str:
    value = _text(payload, "reason", 12)
    if value and value not in REASONS:
        raise _bad("reason", "federation.reason", _("Unknown reason"))
    return value


def _person_values(payload: dict) -> dict:
    """The person block, checked like a registration (a bad number or birth date is refused)."""
    block = payload.get("person")
    if not isinstance(block, dict):
        raise _bad("person", "federation.person", _("The person is missing"))
    birth = block.get("birth_date")
    birth_date = _parsed(parse_date, birth) if isinstance(birth, str) and birth else None
    if birth and birth_date is None:
        raise _bad("person.birth_date", "federation.date", _("This is not an ISO date"))
    try:
        checked = person_check(
            PersonInput(
                doc_type=str(block.get("doc_type") or ""),
                doc_number=str(block.get("doc_number") or ""),
                name=str(block.get("name") or ""),
                sex=str(block.get("sex") or ""),
                birth_date=birth_date,
                hukou_code=str(block.get("hukou_code") or ""),
            )
        )
    except InvalidInput as exc:
        raise InvalidInput([FieldProblem(f"person.{p.field}", p.rule, p.message) for p in exc.problems]) from exc
    return checked.values


def _find_person(values: dict) -> Person | None:
    return person_by_document(values["doc_type"], values["doc_number"])


def _person_ours(values: dict, peer) -> tuple[Person, bool]:
    """The person on our register, or registered now from what the peer sent (no one here created them)."""
    hukou = values.get("hukou_code", "")
    if not in_province(hukou):
        raise _bad(
            "person.hukou_code",
            "federation.hukou_not_here",
            _("The person's hukou is not in this instance's province"),
        )
    found = _find_person(values)
    if found is not None:
        return found, False
    created = person_save_new(
        actor=SYSTEM,
        values=values,
        channel=SourceChannel.DEPARTMENT,
        division_code=county_of(hukou),
        source=_source(peer),
    )
    return created, True


def _open_record(person: Person) -> OutflowRecord | None:
    return (
        OutflowRecord.objects.select_for_update()
        .filter(person=person, status__in=OutflowRecord.OPEN)
        .select_related("person")
        .first()
    )


@handles(messages.INFLOW_REGISTERED)
def inflow_registered(*, peer, message_id, payload) -> dict:
    """One of our people registered a stay at the peer: their outflow record is confirmed there."""
    payload = _payload(payload)
    values = _person_values(payload)
    ref = _text(payload, "stay_ref", 64, required=True)
    destination = _code(payload, "destination_code")
    if not peer.serves(destination):
        raise _bad(
            "destination_code", "federation.not_peer_area", _("The destination is not in an area the sender serves")
        )
    destination_name = _text(payload, "destination_name", 200)
    arrived_on = _date(payload, "arrived_on")
    reason = _reason(payload)
    person, person_created = _person_ours(values, peer)
    remote = RemoteStay.objects.select_for_update().filter(peer=peer, remote_ref=ref).first()
    if remote is None:
        remote = RemoteStay(peer=peer, remote_ref=ref)
    remote.person = person
    remote.destination_code, remote.destination_name = destination, destination_name
    remote.arrived_on, remote.reason = arrived_on, reason
    remote.save()
    record = _open_record(person)
    now = timezone.now()
    source = _source(peer)
    if record is not None and record.confirmed_by == peer.code and record.remote_ref == ref:
        return {"outcome": "already", "status": record.status}
    if record is None:
        origin = origin_for_hukou(person.hukou_code or values["hukou_code"])
        if origin is None:
            raise _bad(
                "person.hukou_code", "federation.hukou_area_unknown", _("The hukou area is not a known division")
            )
        record = OutflowRecord(
            person=person,
            origin=origin,
            left_on=arrived_on,
            reason=reason or Reason.OTHER,
            phone=person.phone,
            reported_by=Reporter.DESTINATION_INSTANCE,
            prior_record=False,
            last_heard_on=arrived_on,
        )
        before, kind, outcome = {}, OutflowEvent.Kind.CONFIRMED, "created"
    else:
        before = record_snapshot(record)
        confirmed_before = bool(record.confirmed_at) and record.status != OutflowRecord.Status.UNCONFIRMED
        kind = OutflowEvent.Kind.MOVED if confirmed_before else OutflowEvent.Kind.CONFIRMED
        outcome = "moved" if confirmed_before else "confirmed"
    record.status = OutflowRecord.Status.CONFIRMED
    record.destination_code, record.destination_place, record.destination_country = destination, destination_name, "CHN"
    record.stay, record.remote_ref = None, ref
    record.confirmed_by, record.confirmed_at = peer.code, now
    record.last_heard_on = later(record.last_heard_on, arrived_on)
    if remote.departed_on is not None:
        # The departure came first (messages may cross): the stay has already ended.
        record.status = OutflowRecord.Status.DEPARTED
        record.last_heard_on = later(record.last_heard_on, remote.departed_on)
    record.save()
    event_add(
        record,
        kind,
        actor=SYSTEM,
        peer_code=peer.code,
        data={"remote_ref": ref, "destination_code": destination, "message_id": str(message_id)},
    )
    audit_record(
        actor=SYSTEM,
        action="outflow.confirm",
        obj=record,
        division_code=record.origin_id,
        source=source,
        changes={**diff(before, record_snapshot(record)), "person_created": person_created},
    )
    return {"outcome": outcome, "status": record.status}


@handles(messages.DEPARTURE)
def departure(*, peer, message_id, payload) -> dict:
    """One of our people left the peer's stay: the record that stay confirmed is now open as departed."""
    payload = _payload(payload)
    ref = _text(payload, "stay_ref", 64, required=True)
    departed_on = _date(payload, "departed_on")
    where_to = _text(payload, "destination", 200)
    remote = RemoteStay.objects.select_for_update().filter(peer=peer, remote_ref=ref).first()
    if remote is None:
        if "person" not in payload or not payload.get("arrived_on"):
            return {"outcome": "unknown_stay"}
        # The inflow notice has not arrived (yet): keep the stay with its end, so the notice finds it ended.
        values = _person_values(payload)
        destination = _code(payload, "destination_code")
        if not peer.serves(destination):
            raise _bad(
                "destination_code",
                "federation.not_peer_area",
                _("The destination is not in an area the sender serves"),
            )
        person, _created = _person_ours(values, peer)
        remote = RemoteStay(
            peer=peer,
            remote_ref=ref,
            person=person,
            destination_code=destination,
            destination_name=_text(payload, "destination_name", 200),
            arrived_on=_date(payload, "arrived_on"),
            reason=_reason(payload),
        )
    if departed_on < remote.arrived_on:
        raise _bad("departed_on", "federation.departed_before_arrival", _("The departure is before the arrival"))
    remote.departed_on = departed_on
    remote.save()
    record = (
        OutflowRecord.objects.select_for_update()
        .filter(
            person_id=remote.person_id, status=OutflowRecord.Status.CONFIRMED, confirmed_by=peer.code, remote_ref=ref
        )
        .first()
    )
    if record is None:
        return {"outcome": "recorded"}
    before = record_snapshot(record)
    record.status = OutflowRecord.Status.DEPARTED
    record.last_heard_on = later(record.last_heard_on, departed_on)
    record.destination_place = where_to
    record.save()
    event_add(
        record,
        OutflowEvent.Kind.DEPARTED,
        actor=SYSTEM,
        peer_code=peer.code,
        data={"remote_ref": ref, "departed_on": departed_on.isoformat(), "destination": where_to},
    )
    audit_record(
        actor=SYSTEM,
        action="outflow.depart",
        obj=record,
        division_code=record.origin_id,
        source=_source(peer),
        changes=diff(before, record_snapshot(record)),
    )
    return {"outcome": "departed", "status": record.status}


def _open_stay_here(person: Person, expected_code: str) -> Stay | None:
    """The person's open stay in the expected area, else anywhere in the province."""
    stays = Stay.objects.filter(person=person, departed_on__isnull=True).order_by("-arrived_on", "-pk")
    return (
        stays.filter(within("community_id", expected_code)).first()
        or stays.filter(within("community_id", province_code())).first()
    )


@handles(messages.OUTFLOW_NOTICE)
def outflow_notice(*, peer, message_id, payload) -> dict:
    """An origin says one of its people lives (or is going to live) in our area: expect them. Someone already
    registered here answers at once, and the origin is sent the stay as an inflow notice.
    """
    payload = _payload(payload)
    values = _person_values(payload)
    origin_ref = _text(payload, "origin_ref", 64, required=True)
    expected_code = _code(payload, "expected_code")
    if not in_province(expected_code):
        raise _bad("expected_code", "federation.not_our_area", _("The expected place is not in this instance's area"))
    left_on = _date(payload, "left_on", required=False)
    reason = _reason(payload)
    phone = _text(payload, "phone", 20)
    if phone:
        try:
            phone = validate_mobile(phone)
        except DocumentError as exc:
            raise _bad("phone", exc.rule, exc.message) from exc
    person = _find_person(values)
    expected = ExpectedArrival.objects.select_for_update().filter(peer=peer, origin_ref=origin_ref).first()
    before = {}
    if expected is None:
        expected = ExpectedArrival(peer=peer, origin_ref=origin_ref)
    else:
        before = {"expected_code": expected.expected_code, "status": expected.status, "doc_number": expected.doc_number}
    expected.person = person or expected.person
    expected.doc_type, expected.doc_number, expected.name = values["doc_type"], values["doc_number"], values["name"]
    expected.sex, expected.birth_date = values.get("sex", ""), values.get("birth_date")
    expected.hukou_code, expected.phone = values.get("hukou_code", ""), phone
    expected.expected_code, expected.left_on, expected.reason = expected_code, left_on, reason
    if expected.status == ExpectedArrival.Status.WITHDRAWN:
        expected.status = ExpectedArrival.Status.EXPECTED
    expected.save()
    audit_record(
        actor=SYSTEM,
        action="outflow.expect",
        obj=expected,
        division_code=expected_code,
        source=_source(peer),
        changes=diff(
            before,
            {"expected_code": expected.expected_code, "status": expected.status, "doc_number": expected.doc_number},
        ),
    )
    if expected.status != ExpectedArrival.Status.EXPECTED or person is None:
        return {"outcome": expected.status}
    stay = _open_stay_here(person, expected_code)
    if stay is None:
        return {"outcome": ExpectedArrival.Status.EXPECTED}
    expected_arrived(expected, stay, actor=SYSTEM, source=_source(peer))
    names = place_names([stay.community_id])
    body = inflow_payload(stay, names)
    message_enqueue(peer=peer, kind=messages.INFLOW_REGISTERED, payload=body, subject=f"person:{person.pk}")
    return {
        "outcome": ExpectedArrival.Status.ARRIVED,
        "stay_ref": stay_ref(stay),
        "destination_code": stay.community_id,
        "destination_name": body["destination_name"],
        "arrived_on": stay.arrived_on.isoformat(),
    }


def _notice(*, peer, kind: str, payload: dict, ref: str, summary: str) -> dict:
    values = _person_values(payload)
    hukou = values.get("hukou_code", "")
    if not in_province(hukou):
        raise _bad(
            "person.hukou_code", "federation.hukou_not_here", _("The person's hukou is not in this instance's province")
        )
    existing = InboundNotice.objects.filter(peer=peer, kind=kind, remote_ref=ref).first()
    if existing is not None:
        return {"outcome": "already"}
    person = _find_person(values)
    notice = InboundNotice.objects.create(
        peer=peer,
        kind=kind,
        remote_ref=ref,
        person=person,
        doc_type=values["doc_type"],
        doc_number=values["doc_number"],
        name=values["name"],
        hukou_code=county_of(hukou),
        summary=summary[:300],
        payload=payload,
    )
    audit_record(
        actor=SYSTEM,
        action="outflow.notice_received",
        obj=notice,
        division_code=notice.hukou_code,
        source=_source(peer),
        changes={"kind": kind, "ref": ref, "person": person.pk if person else None},
    )
    return {"outcome": "received"}


@handles(messages.OFFENCE_NOTICE)
def offence_notice(*, peer, message_id, payload) -> dict:
    """The peer's police tell the police of the hukou county about an offence by one of our people."""
    payload = _payload(payload)
    ref = _text(payload, "ref", 64, required=True)
    offence = _text(payload, "offence", 300, required=True)
    occurred_on = _date(payload, "occurred_on")
    unit = _text(payload, "issuing_unit_name", 100)
    summary = f"{occurred_on.isoformat()} {offence}" + (f" ({unit})" if unit else "")
    return _notice(peer=peer, kind=InboundNotice.Kind.OFFENCE, payload=payload, ref=ref, summary=summary)


@handles(messages.BULLETIN_HIT)
def bulletin_hit(*, peer, message_id, payload) -> dict:
    """One of our people matched an assist-investigation bulletin at the peer: the hukou county's police learn
    where and when.
    """
    payload = _payload(payload)
    ref = _text(payload, "ref", 64, required=True)
    number = _text(payload, "bulletin_number", 32, required=True)
    grounds = _text(payload, "grounds", 300, required=True)
    found_name = _text(payload, "found_name", 200)
    _code(payload, "found_code", required=False)
    found_at = payload.get("found_at")
    if found_at and (not isinstance(found_at, str) or _parsed(parse_datetime, found_at) is None):
        raise _bad("found_at", "federation.datetime", _("This is not an ISO date and time"))
    summary = f"{number}: {grounds}" + (f" — {found_name}" if found_name else "")
    return _notice(peer=peer, kind=InboundNotice.Kind.BULLETIN_HIT, payload=payload, ref=ref, summary=summary)


@handles(messages.PERSON_QUERY)
def person_query(*, peer, message_id, payload) -> dict:
    """A peer asks for a person's basic data: answered only when our grant to it allows, and only the basics."""
    payload = _payload(payload)
    doc_type = _text(payload, "doc_type", 16, required=True)
    purpose = _text(payload, "purpose", 200, required=True)
    try:
        number = parse_document(doc_type, _text(payload, "doc_number", 32, required=True)).number
    except DocumentError as exc:
        raise _bad(exc.field, exc.rule, exc.message) from exc
    person = None
    if BASIC_GRANT not in (peer.grants or []):
        status = PersonQuery.Status.REFUSED
    else:
        person = person_by_document(doc_type, number)
        status = PersonQuery.Status.ANSWERED if person is not None else PersonQuery.Status.NOT_FOUND
    reply = {"query_id": str(message_id), "status": status}
    if person is not None:
        reply["person"] = {**person_block(person), "phone": person.phone}
    message_enqueue(peer=peer, kind=messages.PERSON_REPLY, payload=reply, subject=f"query:{message_id}")
    audit_record(
        actor=SYSTEM,
        action="federation.person_reply",
        obj=person,
        division_code=county_of(person.hukou_code) if person else "",
        source=_source(peer),
        purpose=purpose,
        changes={"peer": peer.code, "status": status, "query": str(message_id)},
    )
    return {"outcome": status}


REPLY_KEYS = ("doc_type", "doc_number", "name", "sex", "birth_date", "hukou_code", "phone")


@handles(messages.PERSON_REPLY)
def person_reply(*, peer, message_id, payload) -> dict:
    """The answer to one of our queries: kept on the query (only the basic fields, whatever else came)."""
    payload = _payload(payload)
    query_id = _text(payload, "query_id", 64, required=True)
    status = _text(payload, "status", 10, required=True)
    if status not in (PersonQuery.Status.ANSWERED, PersonQuery.Status.REFUSED, PersonQuery.Status.NOT_FOUND):
        raise _bad("status", "federation.reply_status", _("Unknown answer"))
    try:
        query_uuid = uuid.UUID(query_id)
    except ValueError as exc:
        raise _bad("query_id", "federation.query_unknown", _("No such query was sent to this peer")) from exc
    query = PersonQuery.objects.select_for_update().filter(peer=peer, message_id=query_uuid).first()
    if query is None:
        raise _bad("query_id", "federation.query_unknown", _("No such query was sent to this peer"))
    if query.status != PersonQuery.Status.PENDING:
        return {"outcome": "already"}
    answer = None
    if status == PersonQuery.Status.ANSWERED:
        block = payload.get("person")
        if not isinstance(block, dict):
            raise _bad("person", "federation.person", _("The person is missing"))
        answer = {k: str(block.get(k) or "")[:60] for k in REPLY_KEYS}
    query.status, query.answer, query.answered_at = status, answer, timezone.now()
    query.save(update_fields=["status", "answer", "answered_at"])
    audit_record(
        actor=SYSTEM,
        action="federation.query_answered",
        obj=query,
        division_code=query.division_id,
        source=_source(peer),
        changes={"status": [PersonQuery.Status.PENDING, status]},
    )
    return {"outcome": status}
