"""Reads behind the change feed, webhooks and bulk extracts: the audit chain's write events of a dataset, the
records' current values cut to what the grants allow, and the records of a dataset inside the grants' areas.

A record is inside a grant when one of its community codes starts with the grant's area: a stay, house,
employer or filing by its community, a person by the communities of their stays (had or has, as a person's
scope is drawn elsewhere), a department record by its community or else its person's stays.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.db.models import Count, Exists, Max, OuterRef, Q, Subquery

from liuguan.compliance.models import TenancyFiling
from liuguan.core.models import AuditEvent
from liuguan.core.scoping import within
from liuguan.registry.models import Employer, House, Person, Stay

from .models import Dataset, Delivery, DepartmentFact, Grant, Subscription

# Events about a dataset's objects that read rather than change them: never changes in a feed. The hub's own
# access events (every call logged by `hub.access_log`) carry request digests and are left out by that mark.
READ_ACTIONS = ("person.reveal",)
ACCESS_MARK = "request_sha256"

PAGE_MAX = 500


def _day(value):
    return value.isoformat() if isinstance(value, dt.date) else value


@dataclass(frozen=True)
class Column:
    """A catalogue field of a source: its Parquet type and how to read it from a loaded record."""

    kind: str  # "str", "int", "bool" or "date"
    read: Callable


@dataclass(frozen=True)
class Source:
    """Where a dataset's records live, how to place them in communities and how to read their fields."""

    object_type: str
    model: type
    related: tuple[str, ...]
    columns: dict[str, Column]
    area: Callable[[str], Q]
    # "community", "stays" (a person) or "community_or_stays" (a department record)
    placed_by: str = "community"


def _community_area(code: str) -> Q:
    return within("community_id", code)


def _person_area(code: str) -> Q:
    return Q(Exists(Stay.objects.filter(within("community_id", code), person=OuterRef("pk"))))


def _fact_area(code: str) -> Q:
    stays = Stay.objects.filter(within("community_id", code), person=OuterRef("person_id"))
    return within("community_id", code) | Q(community__isnull=True) & Q(Exists(stays))


def _col(kind: str, attribute: str) -> Column:
    return Column(kind, lambda obj: getattr(obj, attribute))


SOURCES: dict[str, Source] = {
    source.object_type: source
    for source in (
        Source(
            "registry.person",
            Person,
            (),
            {
                "doc_type": _col("str", "doc_type"),
                "doc_number": _col("str", "doc_number"),
                "name": _col("str", "name"),
                "sex": _col("str", "sex"),
                "birth_date": _col("date", "birth_date"),
                "ethnicity": _col("str", "ethnicity"),
                "nationality": _col("str", "nationality"),
                "hukou_code": _col("str", "hukou_code"),
                "hukou_address": _col("str", "hukou_address"),
                "phone": _col("str", "phone"),
                "education": _col("str", "education"),
                "marital_status": _col("str", "marital_status"),
            },
            _person_area,
            placed_by="stays",
        ),
        Source(
            "registry.stay",
            Stay,
            ("person",),
            {
                "person_id": _col("int", "person_id"),
                "doc_number": Column("str", lambda s: s.person.doc_number),
                "community_code": _col("str", "community_id"),
                "address": _col("str", "address"),
                "reason": _col("str", "reason"),
                "arrived_on": _col("date", "arrived_on"),
                "departed_on": _col("date", "departed_on"),
                "employer_id": _col("int", "employer_id"),
                "house_id": _col("int", "house_id"),
                "source_channel": _col("str", "source_channel"),
            },
            _community_area,
        ),
        Source(
            "registry.house",
            House,
            ("landlord",),
            {
                "community_code": _col("str", "community_id"),
                "address": _col("str", "address"),
                "kind": _col("str", "kind"),
                "is_rented": _col("bool", "is_rented"),
                "rooms": _col("int", "rooms"),
                "landlord_name": _col("str", "landlord_label"),
            },
            _community_area,
        ),
        Source(
            "registry.employer",
            Employer,
            (),
            {
                "community_code": _col("str", "community_id"),
                "name": _col("str", "name"),
                "credit_code": _col("str", "credit_code"),
                "industry": _col("str", "industry"),
                "staff_size": _col("int", "staff_size"),
                "address": _col("str", "address"),
            },
            _community_area,
        ),
        Source(
            "compliance.tenancyfiling",
            TenancyFiling,
            (),
            {
                "number": _col("str", "number"),
                "community_code": _col("str", "community_id"),
                "house_id": _col("int", "house_id"),
                "starts_on": _col("date", "starts_on"),
                "ends_on": _col("date", "ends_on"),
                "status": _col("str", "status"),
            },
            _community_area,
        ),
        Source(
            "exchange.departmentfact",
            DepartmentFact,
            ("person",),
            {
                "doc_number": Column("str", lambda f: f.person.doc_number),
                "department": _col("str", "department_id"),
                "kind": _col("str", "kind"),
                "reference": _col("str", "reference"),
                "occurred_on": _col("date", "occurred_on"),
                "community_code": _col("str", "community_id"),
            },
            _fact_area,
            placed_by="community_or_stays",
        ),
    )
}


def dataset_source(dataset: Dataset) -> Source | None:
    """The source of a dataset's records (its first audit object type), or None for a verification-only one."""
    for object_type in dataset.object_types or []:
        if object_type in SOURCES:
            return SOURCES[object_type]
    return None


def community_codes(source: Source, objects: list) -> dict[int, set[str]]:
    """The community codes that place each record (one query for people and unplaced department records)."""
    codes: dict[int, set[str]] = {}
    by_person: dict[int, list[int]] = defaultdict(list)
    for obj in objects:
        if source.placed_by == "stays":
            codes[obj.pk] = set()
            by_person[obj.pk].append(obj.pk)
        elif source.placed_by == "community_or_stays" and not obj.community_id:
            codes[obj.pk] = set()
            by_person[obj.person_id].append(obj.pk)
        else:
            codes[obj.pk] = {obj.community_id} if obj.community_id else set()
    if by_person:
        for person_id, community_id in Stay.objects.filter(person_id__in=list(by_person)).values_list(
            "person_id", "community_id"
        ):
            for pk in by_person[person_id]:
                codes[pk].add(community_id)
    return codes


def fields_in_area(codes: set[str], grants: list[Grant]) -> set[str]:
    """The fields granted for a record placed in these communities: the union over the grants whose area holds
    one of them; empty when none does.
    """
    return {name for g in grants if any(c.startswith(g.area_id) for c in codes) for name in (g.fields or [])}


def record_values(source: Source, obj, fields: set[str], *, plain: bool = True) -> dict:
    """The record's current values of the given fields, JSON-plain (dates as ISO text) unless `plain` is off."""
    read = (lambda col: _day(col.read(obj))) if plain else (lambda col: col.read(obj))
    return {name: read(col) for name, col in source.columns.items() if name in fields}


# The change feed.


@dataclass
class FeedEvent:
    cursor: int
    occurred_at: dt.datetime
    action: str
    object_type: str
    object_id: str
    values: dict


@dataclass
class FeedPage:
    events: list[FeedEvent]
    next_cursor: int
    more: bool
    scanned: int = 0
    withheld: int = 0
    cursors: list[int] = field(default_factory=list)


def change_events(dataset: Dataset, *, after: int, limit: int):
    """The dataset's write events after a cursor, oldest first, as (id, occurred_at, action, object_type,
    object_id) rows: one query.
    """
    return list(
        AuditEvent.objects.filter(id__gt=after, object_type__in=list(dataset.object_types or []))
        .exclude(action__in=READ_ACTIONS)
        .exclude(changes__has_key=ACCESS_MARK)
        .order_by("id")
        .values_list("id", "occurred_at", "action", "object_type", "object_id")[:limit]
    )


def render_events(rows, grants: list[Grant]) -> tuple[list[FeedEvent], int]:
    """Events with their objects' current values cut to the grants, only objects inside a grant's area; objects
    are loaded in bulk, one query per object type (two for people). Returns the events and how many were withheld.
    """
    wanted: dict[str, set[int]] = defaultdict(set)
    for _id, _at, _action, object_type, object_id in rows:
        if object_type in SOURCES and object_id.isdigit():
            wanted[object_type].add(int(object_id))
    loaded: dict[str, dict[int, object]] = {}
    placed: dict[str, dict[int, set[str]]] = {}
    for object_type, ids in wanted.items():
        source = SOURCES[object_type]
        objects = source.model.objects.select_related(*source.related).in_bulk(list(ids))
        loaded[object_type] = objects
        placed[object_type] = community_codes(source, list(objects.values()))
    events, withheld = [], 0
    for event_id, occurred_at, action, object_type, object_id in rows:
        obj = loaded.get(object_type, {}).get(int(object_id)) if object_id.isdigit() else None
        fields = fields_in_area(placed[object_type][obj.pk], grants) if obj is not None else set()
        if not fields:
            withheld += 1
            continue
        values = record_values(SOURCES[object_type], obj, fields)
        events.append(FeedEvent(event_id, occurred_at, action, object_type, object_id, values))
    return events, withheld


def feed_page(dataset: Dataset, grants: list[Grant], *, after: int, limit: int) -> FeedPage:
    """One page of a dataset's change feed for the grants: the next cursor is the last event looked at, so
    withheld events are never looked at twice and a replay from any cursor gives the same events.
    """
    rows = change_events(dataset, after=after, limit=limit)
    events, withheld = render_events(rows, grants)
    next_cursor = rows[-1][0] if rows else after
    return FeedPage(events, next_cursor, len(rows) == limit, scanned=len(rows), withheld=withheld)


def events_by_id(ids: list[int]):
    """Audit event rows by id, in the shape `render_events` takes."""
    return list(
        AuditEvent.objects.filter(id__in=ids)
        .order_by("id")
        .values_list("id", "occurred_at", "action", "object_type", "object_id")
    )


# Bulk extracts.


def extract_columns(dataset: Dataset, grants: list[Grant]) -> list[tuple[str, str]]:
    """The extract's columns with their kinds: the granted fields in catalogue order."""
    granted = {name for g in grants for name in (g.fields or [])}
    source = dataset_source(dataset)
    known = source.columns if source else {}
    return [(name, known[name].kind) for name in dataset.field_names if name in granted and name in known]


def extract_records(dataset: Dataset, grants: list[Grant], *, chunk: int = 2000, plain: bool = True) -> Iterator[list]:
    """Every record inside the grants' areas as a row of the granted columns (a field granted only for another
    area is empty), read in keyset chunks so memory stays bounded.
    """
    source = dataset_source(dataset)
    columns = extract_columns(dataset, grants)
    if source is None or not columns:
        return
    inside = Q()
    for area in {g.area_id for g in grants}:
        inside |= source.area(area)
    queryset = source.model.objects.select_related(*source.related).filter(inside).order_by("pk")
    last = 0
    while True:
        objects = list(queryset.filter(pk__gt=last)[:chunk])
        if not objects:
            return
        placed = community_codes(source, objects)
        for obj in objects:
            fields = fields_in_area(placed[obj.pk], grants)
            if not fields:
                continue
            values = record_values(source, obj, fields, plain=plain)
            yield [values.get(name) for name, _kind in columns]
        last = objects[-1].pk


# Webhook status.


@dataclass
class SubscriptionStatus:
    subscription: Subscription
    pending: int
    delivered: int
    failed: int
    gave_up: int
    acknowledged: int
    last_attempt_at: dt.datetime | None
    last_error: str


def subscriptions_visible(user):
    """Subscriptions a user may see: a subsystem its own, a department user its department's, an exchange
    administrator every one.
    """
    from .hub import subsystem_of

    queryset = Subscription.objects.select_related("subsystem__department", "dataset").order_by("pk")
    subsystem = subsystem_of(user)
    if subsystem is not None:
        return queryset.filter(subsystem=subsystem)
    if user.can("exchange.admin"):
        return queryset
    if user.can("exchange.use") and user.department_id:
        return queryset.filter(subsystem__department_id=user.department_id)
    return queryset.none()


def subscription_statuses(user) -> list[SubscriptionStatus]:
    """Per subscription: deliveries pending, delivered, failed and retrying, given up; the last attempt and its
    error. One query.
    """
    subscriptions = list(
        subscriptions_visible(user).annotate(
            n_pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
            n_delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED)),
            n_failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
            n_gave_up=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.GAVE_UP)),
            n_acknowledged=Count("deliveries", filter=Q(deliveries__acknowledged_at__isnull=False)),
            last_attempt=Max("deliveries__last_attempt_at"),
            last_error=Subquery(
                Delivery.objects.filter(subscription=OuterRef("pk"), last_attempt_at__isnull=False)
                .order_by("-last_attempt_at", "-pk")
                .values("last_error")[:1]
            ),
        )
    )
    return [
        SubscriptionStatus(
            s,
            s.n_pending,
            s.n_delivered,
            s.n_failed,
            s.n_gave_up,
            s.n_acknowledged,
            s.last_attempt,
            s.last_error or "",
        )
        for s in subscriptions
    ]


def subscribable_subsystems(user):
    """The active subsystems whose webhooks a department user may manage: those of their department."""
    from .models import Subsystem

    if not user.department_id:
        return Subsystem.objects.none()
    return Subsystem.objects.filter(department_id=user.department_id, active=True).order_by("code")
