"""What a stay registered or ended here means for the outflow side: the hooks the registry calls.

Inside the province the same flow runs between counties without messages: a stay registered in one county
for someone whose hukou is in another county updates the origin's outflow record directly (or creates one,
which reconciliation then shows as an inflow the origin had not recorded). For a hukou in another province
the peer instance that serves it is told (`inflow.registered`, `departure`). The registry calls these hooks
explicitly in the transaction of its own write (no signals); the changes of outflow records are audited in
that transaction, one audit event per hook call.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from liuguan.core.audit import audit_record, diff
from liuguan.geo.names import place_names
from liuguan.registry.models import Stay

from ..models import ExpectedArrival, OutflowEvent, OutflowRecord, Peer, Reporter
from . import messages
from .common import county_of, event_add, in_province, later, origin_for_hukou, person_block, user_fk
from .outbox import PeerAreas, message_enqueue

RECORD_FIELDS = (
    "status",
    "destination_code",
    "destination_place",
    "destination_country",
    "stay_id",
    "remote_ref",
    "confirmed_by",
    "confirmed_at",
    "last_heard_on",
)


def record_snapshot(record: OutflowRecord) -> dict:
    return {f: getattr(record, f) for f in RECORD_FIELDS}


def stay_ref(stay: Stay) -> str:
    """How another instance names a stay of this one."""
    return f"stay:{stay.pk}"


@dataclass
class StayFacts:
    """What the hooks need of a new stay and its person, read in one query for a whole batch."""

    pk: int
    person_id: int
    community_id: str
    arrived_on: dt.date
    reason: str
    hukou: str
    phone: str
    doc_type: str
    doc_number: str
    lodging_id: int | None = None

    @classmethod
    def of(cls, stay: Stay) -> "StayFacts":
        person = stay.person
        return cls(
            stay.pk,
            stay.person_id,
            stay.community_id,
            stay.arrived_on,
            stay.reason,
            person.hukou_code,
            person.phone,
            person.doc_type,
            person.doc_number,
            stay.lodging_id,
        )


def _apply_stay(record: OutflowRecord, stay: StayFacts, now) -> tuple[str, dict]:
    """Point the record at a stay registered here; returns the history kind and the changed fields."""
    before = record_snapshot(record)
    was_confirmed = record.status in (OutflowRecord.Status.CONFIRMED, OutflowRecord.Status.DEPARTED) and bool(
        record.confirmed_at
    )
    kind = OutflowEvent.Kind.MOVED if was_confirmed else OutflowEvent.Kind.CONFIRMED
    record.status = OutflowRecord.Status.CONFIRMED
    record.destination_code = stay.community_id
    record.destination_place = ""
    record.destination_country = "CHN"
    record.stay_id = stay.pk
    record.remote_ref = ""
    record.confirmed_by = f"county:{county_of(stay.community_id)}"
    record.confirmed_at = now
    record.last_heard_on = later(record.last_heard_on, stay.arrived_on)
    return kind, diff(before, record_snapshot(record))


def record_confirm_by_stay(record: OutflowRecord, stay: Stay, *, actor, source: str = "web") -> str:
    """A stay here confirms (or moves) an open outflow record: saved, with its history step and audit event."""
    kind, changes = _apply_stay(record, StayFacts.of(stay), timezone.now())
    record.save()
    event_add(record, kind, actor=actor, data={"stay": stay.pk, "community": stay.community_id})
    audit_record(
        actor=actor,
        action="outflow.confirm",
        obj=record,
        division_code=record.origin_id,
        source=source,
        changes=changes,
    )
    return kind


FACT_COLUMNS = (
    "pk",
    "person_id",
    "community_id",
    "arrived_on",
    "reason",
    "person__hukou_code",
    "person__phone",
    "person__doc_type",
    "person__doc_number",
    "lodging_id",
)


def _facts(stays) -> list[StayFacts]:
    stays = list(stays)
    if not stays:
        return []
    if all(isinstance(s, Stay) for s in stays):
        return [StayFacts.of(s) for s in stays]
    ids = [s.pk if isinstance(s, Stay) else int(s) for s in stays]
    return [StayFacts(*row) for row in Stay.objects.filter(pk__in=ids).values_list(*FACT_COLUMNS)]


def _full_stays(facts: list[StayFacts]) -> list[Stay]:
    return list(Stay.objects.filter(pk__in=[f.pk for f in facts]).select_related("person"))


def inflow_payload(stay: Stay, names: dict[str, str]) -> dict:
    return {
        "person": person_block(stay.person),
        "stay_ref": stay_ref(stay),
        "destination_code": stay.community_id,
        "destination_name": names.get(stay.community_id, ""),
        "arrived_on": stay.arrived_on.isoformat(),
        "reason": stay.reason,
    }


def _local_flows(stays: list[StayFacts], *, actor, source: str) -> None:
    """Stays here of people whose hukou is in another county of the province: the origin's record follows.

    A batch (an import chunk) reads the people's open records in one query, writes the new records and their
    history in a few multi-row inserts, and leaves one audit event listing every record it changed.
    """
    latest: dict[int, StayFacts] = {}
    for stay in stays:
        known = latest.get(stay.person_id)
        if known is None or (stay.arrived_on, stay.pk) > (known.arrived_on, known.pk):
            latest[stay.person_id] = stay
    records = {
        r.person_id: r
        for r in OutflowRecord.objects.select_for_update().filter(
            person_id__in=list(latest), status__in=OutflowRecord.OPEN
        )
    }
    now = timezone.now()
    audit: dict[str, dict] = {}
    events: list[tuple] = []
    updated: list[OutflowRecord] = []
    for person_id, stay in latest.items():
        record = records.get(person_id)
        if record is None or record.stay_id == stay.pk:
            continue
        kind, changes = _apply_stay(record, stay, now)
        updated.append(record)
        audit[str(record.pk)] = changes
        events.append((record.pk, kind, stay))
    if updated:
        fields = [f for f in RECORD_FIELDS if f != "stay_id"] + ["stay", "updated_at"]
        for record in updated:
            record.updated_at = now
        OutflowRecord.objects.bulk_update(updated, fields)
    created = _records_insert([s for p, s in latest.items() if p not in records], now=now)
    for pk, stay, origin in created:
        audit[str(pk)] = {"created": True, "person": stay.person_id, "origin": origin, "stay": stay.pk}
        events.append((pk, OutflowEvent.Kind.CONFIRMED, stay))
    _events_insert(events, actor=actor, now=now)
    if not audit:
        return
    if len(audit) == 1:
        ((pk, changes),) = audit.items()
        record = next((r for r in updated if str(r.pk) == pk), None)
        origin = record.origin_id if record is not None else created[0][2]
        audit_record(
            actor=actor,
            action="outflow.confirm",
            object_type=OutflowRecord._meta.label_lower,
            object_id=pk,
            division_code=origin,
            source=source,
            changes=changes,
        )
        return
    audit_record(
        actor=actor,
        action="outflow.confirm",
        object_type=OutflowRecord._meta.label_lower,
        object_id=f"{len(audit)} records",
        source=source,
        changes={"records": audit},
    )


def _insert(model, fields: list[str], rows: list[tuple], *, returning: bool) -> list[int]:
    """Multi-row INSERTs of ready values (the ORM's per-field work would cost more than the write itself)."""
    if not rows:
        return []
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(f).column) for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    limit = connection.features.max_query_params or 65535
    size = max(1, min(1000, limit // len(fields)))
    tail = f" RETURNING {quote(model._meta.pk.column)}" if returning else ""
    ids: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(chunk))}{tail}",  # noqa: S608
                [value for row in chunk for value in row],
            )
            if returning:
                ids.extend(row[0] for row in cursor.fetchall())
    return ids


RECORD_INSERT = (
    "person",
    "origin",
    "destination_code",
    "destination_place",
    "destination_country",
    "left_on",
    "reason",
    "phone",
    "contact_name",
    "contact_phone",
    "reported_by",
    "reporter_note",
    "status",
    "confirmed_by",
    "confirmed_at",
    "stay",
    "remote_ref",
    "last_heard_on",
    "prior_record",
    "created_at",
    "updated_at",
)


def _records_insert(stays: list[StayFacts], *, now) -> list[tuple[int, StayFacts, str]]:
    """Inflows the origin had not recorded: a record owned by the hukou county, confirmed by this stay."""
    if not stays:
        return []
    origins = {code: origin_for_hukou(code) for code in {s.hukou for s in stays}}
    ops = connection.ops
    moment = ops.adapt_datetimefield_value(now)
    dates: dict[dt.date, object] = {}

    def day(value: dt.date):
        if value not in dates:
            dates[value] = ops.adapt_datefield_value(value)
        return dates[value]

    rows, kept = [], []
    for stay in stays:
        origin = origins.get(stay.hukou)
        if origin is None:
            continue
        rows.append(
            (
                stay.person_id,
                origin.code,
                stay.community_id,
                "",
                "CHN",
                day(stay.arrived_on),
                stay.reason,
                stay.phone,
                "",
                "",
                Reporter.DESTINATION_COUNTY,
                "",
                OutflowRecord.Status.CONFIRMED,
                f"county:{county_of(stay.community_id)}",
                moment,
                stay.pk,
                "",
                day(stay.arrived_on),
                False,
                moment,
                moment,
            )
        )
        kept.append((stay, origin.code))
    ids = _insert(OutflowRecord, list(RECORD_INSERT), rows, returning=True)
    return [(pk, stay, origin) for pk, (stay, origin) in zip(ids, kept, strict=True)]


def _events_insert(events: list[tuple[int, str, StayFacts]], *, actor, now) -> None:
    if not events:
        return
    data_field = OutflowEvent._meta.get_field("data")
    moment = connection.ops.adapt_datetimefield_value(now)
    actor_id = getattr(user_fk(actor), "pk", None)
    rows = [
        (
            record_id,
            kind,
            moment,
            actor_id,
            "",
            "",
            data_field.get_db_prep_save({"stay": stay.pk, "community": stay.community_id}, connection),
        )
        for record_id, kind, stay in events
    ]
    _insert(OutflowEvent, ["record", "kind", "at", "actor", "peer_code", "note", "data"], rows, returning=False)


def _expected_match(stays: list[StayFacts], *, actor, source: str) -> list[tuple[ExpectedArrival, int]]:
    """An origin told us this person would come: the registration here answers its notice."""
    if not ExpectedArrival.objects.filter(status=ExpectedArrival.Status.EXPECTED).exists():
        return []
    by_doc = {(s.doc_type, s.doc_number): s for s in stays}
    waiting = ExpectedArrival.objects.select_for_update().filter(
        status=ExpectedArrival.Status.EXPECTED, doc_number__in=[doc for _t, doc in by_doc]
    )
    matched = []
    found = [(e, by_doc.get((e.doc_type, e.doc_number))) for e in waiting.select_related("peer")]
    found = [(e, s) for e, s in found if s is not None]
    full = {s.pk: s for s in Stay.objects.filter(pk__in=[s.pk for _e, s in found])}
    for expected, stay in found:
        expected_arrived(expected, full[stay.pk], actor=actor, source=source)
        matched.append((expected, stay.pk))
    return matched


def expected_arrived(expected: ExpectedArrival, stay: Stay, *, actor, source: str) -> None:
    before = {"status": expected.status, "stay": expected.stay_id, "person": expected.person_id}
    expected.status = ExpectedArrival.Status.ARRIVED
    expected.stay = stay
    expected.person_id = stay.person_id
    expected.save(update_fields=["status", "stay", "person", "updated_at"])
    audit_record(
        actor=actor,
        action="outflow.expected_arrived",
        obj=expected,
        division_code=stay.community_id,
        source=source,
        changes=diff(before, {"status": expected.status, "stay": stay.pk, "person": stay.person_id}),
    )


def stays_registered(stays, *, actor, source: str) -> None:
    """New stays here (Stay objects or ids): the outflow side of each, for one registration or a whole batch."""
    facts = _facts(stays)
    if not facts:
        return
    local, remote = [], []
    for stay in facts:
        # A night at a hotel is a journey, not a residence: the origin's outflow list is about where people live.
        if not stay.hukou or stay.lodging_id is not None:
            continue
        if in_province(stay.hukou):
            if county_of(stay.hukou) != county_of(stay.community_id):
                local.append(stay)
        else:
            remote.append(stay)
    if local:
        _local_flows(local, actor=actor, source=source)
    notify: dict[tuple[int, int], Peer] = {}
    if remote and Peer.objects.filter(active=True).exists():
        peers = PeerAreas()
        for stay in remote:
            peer = peers.for_area(stay.hukou)
            if peer is not None:
                notify[(peer.pk, stay.pk)] = peer
    for expected, stay_pk in _expected_match(facts, actor=actor, source=source):
        if expected.peer.active:
            notify.setdefault((expected.peer_id, stay_pk), expected.peer)
    if not notify:
        return
    full = {s.pk: s for s in Stay.objects.filter(pk__in={pk for _p, pk in notify}).select_related("person")}
    names = place_names({s.community_id for s in full.values()})
    for (_peer_pk, stay_pk), peer in notify.items():
        stay = full[stay_pk]
        message_enqueue(
            peer=peer,
            kind=messages.INFLOW_REGISTERED,
            payload=inflow_payload(stay, names),
            subject=f"person:{stay.person_id}",
        )


def stay_departed(stay: Stay, *, actor, source: str) -> None:
    """A stay here ended: the origin's record (in the province) or the origin instance learns it."""
    person = stay.person
    hukou = person.hukou_code
    if not hukou or stay.departed_on is None:
        return
    if in_province(hukou):
        if county_of(hukou) == county_of(stay.community_id):
            return
        record = OutflowRecord.objects.select_for_update().filter(stay=stay, status__in=OutflowRecord.OPEN).first()
        if record is None or record.status != OutflowRecord.Status.CONFIRMED:
            return
        before = record_snapshot(record)
        record.status = OutflowRecord.Status.DEPARTED
        record.last_heard_on = later(record.last_heard_on, stay.departed_on)
        record.destination_place = (stay.destination or "")[:200]
        record.save()
        event_add(
            record,
            OutflowEvent.Kind.DEPARTED,
            actor=actor,
            data={"stay": stay.pk, "departed_on": stay.departed_on.isoformat(), "destination": stay.destination},
        )
        audit_record(
            actor=actor,
            action="outflow.depart",
            obj=record,
            division_code=record.origin_id,
            source=source,
            changes=diff(before, record_snapshot(record)),
        )
        return
    peers = {
        e.peer
        for e in ExpectedArrival.objects.filter(stay=stay, status=ExpectedArrival.Status.ARRIVED).select_related("peer")
        if e.peer.active
    }
    if Peer.objects.filter(active=True).exists():
        peer = PeerAreas().for_area(hukou)
        if peer is not None:
            peers.add(peer)
    if not peers:
        return
    names = place_names([stay.community_id])
    payload = {
        **inflow_payload(stay, names),
        "departed_on": stay.departed_on.isoformat(),
        "destination": stay.destination or "",
    }
    for peer in peers:
        message_enqueue(peer=peer, kind=messages.DEPARTURE, payload=payload, subject=f"person:{person.pk}")


__all__ = ["PeerAreas", "record_confirm_by_stay", "stay_departed", "stay_ref", "stays_registered"]
