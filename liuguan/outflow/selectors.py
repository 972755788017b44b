"""Reads of the outflow registry for a user: lists per area, counts per child area, the reconciliation summary,
tasks, expected arrivals and notices from peers. Everything is scoped; personal data is masked in lists.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext_lazy as _

from liuguan.core.errors import FieldProblem, InvalidInput, NotFound
from liuguan.core.identity import china_today, mask_name
from liuguan.core.scoping import scoped
from liuguan.geo.models import CODE_LENGTHS, Division
from liuguan.geo.names import place_names
from liuguan.oversight.areas import area_in_scope, area_trail

from .models import ExpectedArrival, InboundNotice, OutflowRecord, OutflowTask, PersonQuery, RemoteStay
from .services.reconcile import unknown_condition

Status = OutflowRecord.Status
STATUS_FILTERS = ("open", "all", *Status.values)
LEVEL_LENGTHS = sorted(CODE_LENGTHS)


@dataclass
class OutflowFilters:
    """What a list asks for: an area inside the jurisdiction, a status (open by default), whereabouts unknown
    for N months, a destination province (two digits, or "abroad").
    """

    area: str = ""
    status: str = "open"
    unknown_months: int | None = None
    destination: str = ""
    q: str = ""


def filters_check(
    *, area: str = "", status: str = "", unknown_months: str | int | None = None, destination: str = "", q: str = ""
) -> OutflowFilters:
    """Parse list filters from a query string, naming the field of whatever is wrong."""
    problems = []
    status = status or "open"
    if status not in STATUS_FILTERS:
        problems.append(FieldProblem("status", "outflow.filter_status", _("Unknown status")))
    months = None
    if unknown_months not in (None, ""):
        try:
            months = int(unknown_months)
        except (TypeError, ValueError):
            months = -1
        if not 1 <= months <= 120:
            problems.append(FieldProblem("unknown_months", "outflow.filter_months", _("Give between 1 and 120 months")))
    destination = (destination or "").strip()
    if destination and destination != "abroad" and not (destination.isdigit() and len(destination) == 2):
        problems.append(
            FieldProblem("destination", "outflow.filter_destination", _("A province's two digits, or abroad"))
        )
    if problems:
        raise InvalidInput(problems)
    return OutflowFilters(area=(area or "").strip(), status=status, unknown_months=months, destination=destination, q=q)


def next_level(code: str) -> int | None:
    """The code length of the divisions right under a code (a village has none)."""
    longer = [n for n in LEVEL_LENGTHS if n > len(code)]
    return longer[0] if longer else None


def outflow_records(*, user, filters: OutflowFilters | None = None, today: dt.date | None = None) -> QuerySet:
    """Outflow records whose origin lies in the area asked for (inside the user's jurisdiction)."""
    filters = filters or OutflowFilters()
    area = area_in_scope(user, filters.area or None)
    qs = scoped(OutflowRecord.objects.all(), user).filter(origin__code__startswith=area.code)
    if filters.status == "open":
        qs = qs.filter(status__in=OutflowRecord.OPEN)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.unknown_months:
        qs = qs.filter(unknown_condition(today or china_today(), filters.unknown_months))
    if filters.destination == "abroad":
        qs = qs.exclude(destination_country="CHN")
    elif filters.destination:
        qs = qs.filter(destination_code__startswith=filters.destination, destination_country="CHN")
    q = " ".join((filters.q or "").split())
    if q:
        qs = qs.filter(
            Q(person__doc_number=q.upper()) | Q(person__name=q) | Q(person__name_pinyin=q.lower().replace(" ", ""))
        )
    return qs.select_related("person", "origin").order_by("origin_id", "-last_heard_on", "pk")


@dataclass
class RecordRow:
    """A list row: masked person, origin, destination named, status and the last day heard of."""

    pk: int
    name: str
    doc_number: str
    origin_code: str
    origin_name: str
    destination: str
    left_on: dt.date
    reason: str
    status: str
    status_label: str
    last_heard_on: dt.date
    prior_record: bool
    confirmed_by: str


def destination_label(record: OutflowRecord, names: dict[str, str]) -> str:
    if record.destination_country != "CHN":
        return f"{record.destination_country} {record.destination_place}".strip()
    named = names.get(record.destination_code, "") if record.destination_code else ""
    if named and record.destination_place and record.remote_ref:
        return record.destination_place
    return named or record.destination_place or record.destination_code


def record_rows(records) -> list[RecordRow]:
    """Rows for a page of records, with masked names and numbers, and division names read at once."""
    records = list(records)
    names = place_names({r.destination_code for r in records} | {r.origin_id for r in records})
    return [
        RecordRow(
            pk=r.pk,
            name=mask_name(r.person.name),
            doc_number=r.person.doc_number_masked,
            origin_code=r.origin_id,
            origin_name=names.get(r.origin_id, r.origin.name),
            destination=destination_label(r, names),
            left_on=r.left_on,
            reason=r.get_reason_display(),
            status=r.status,
            status_label=r.get_status_display(),
            last_heard_on=r.last_heard_on,
            prior_record=r.prior_record,
            confirmed_by=r.confirmed_by,
        )
        for r in records
    ]


def area_itself(area: Division) -> str:
    return str(_("%(area)s (the area itself)") % {"area": area.name})


@dataclass
class AreaCount:
    code: str
    name: str
    open: int = 0
    unconfirmed: int = 0
    confirmed: int = 0
    departed: int = 0
    unknown: int = 0
    has_children: bool = False


def outflow_counts(*, user, area_code: str = "", unknown_months: int | None = None, today=None) -> list[AreaCount]:
    """Open outflow records per child division of an area (township → villages), the unknown ones flagged."""
    area = area_in_scope(user, area_code or None)
    length = next_level(area.code)
    if length is None:
        return []
    children = list(Division.objects.filter(parent=area).order_by("code"))
    rows = {d.code: AreaCount(code=d.code, name=d.name, has_children=next_level(d.code) is not None) for d in children}
    unknown = unknown_condition(today or china_today(), unknown_months)
    grouped = (
        scoped(OutflowRecord.objects.all(), user)
        .filter(origin__code__startswith=area.code, status__in=OutflowRecord.OPEN)
        .annotate(child=Substr("origin_id", 1, length))
        .values("child")
        .annotate(
            n=Count("pk"),
            unconfirmed=Count("pk", filter=Q(status=Status.UNCONFIRMED)),
            confirmed=Count("pk", filter=Q(status=Status.CONFIRMED)),
            departed=Count("pk", filter=Q(status=Status.DEPARTED)),
            unknown=Count("pk", filter=unknown),
        )
    )
    for g in grouped:
        row = rows.get(g["child"])
        if row is None:
            # Records owned by the area itself (a hukou naming only the county): a row of their own.
            row = rows.setdefault(area.code, AreaCount(code=area.code, name=area_itself(area)))
        row.open += g["n"]
        row.unconfirmed += g["unconfirmed"]
        row.confirmed += g["confirmed"]
        row.departed += g["departed"]
        row.unknown += g["unknown"]
    return list(rows.values())


@dataclass
class ReconRow:
    """One origin area's reconciliation: records confirmed by a destination, never confirmed, inflows the origin
    had not recorded, and the open tasks of the area.
    """

    code: str
    name: str
    confirmed: int = 0
    never_confirmed: int = 0
    missed: int = 0
    open_tasks: int = 0
    has_children: bool = False

    def add(self, other: "ReconRow") -> None:
        self.confirmed += other.confirmed
        self.never_confirmed += other.never_confirmed
        self.missed += other.missed
        self.open_tasks += other.open_tasks


@dataclass
class ReconSummary:
    area: Division
    trail: list[Division]
    rows: list[ReconRow]
    unplaced: ReconRow
    total: ReconRow
    notes: list[str] = field(default_factory=list)


def reconciliation_summary(*, user, area_code: str | None = None) -> ReconSummary:
    """Per child area of an origin area, over open records: confirmed (the origin's record, confirmed by a
    destination), never confirmed (the origin's record, no destination has confirmed it), and inflows with no
    outflow record (the destination reported first); with the open tasks. Records owned by the area itself
    (a hukou that names only the county) are counted apart, as `unplaced`.
    """
    area = area_in_scope(user, area_code)
    length = next_level(area.code) or len(area.code)
    children = {d.code: d for d in Division.objects.filter(parent=area).order_by("code")}
    rows = {
        code: ReconRow(code=code, name=d.name, has_children=next_level(code) is not None)
        for code, d in children.items()
    }
    unplaced = ReconRow(code=area.code, name=area.name)
    records = (
        scoped(OutflowRecord.objects.all(), user)
        .filter(origin__code__startswith=area.code, status__in=OutflowRecord.OPEN)
        .annotate(child=Substr("origin_id", 1, length))
        .values("child")
        .annotate(
            confirmed=Count("pk", filter=Q(prior_record=True, confirmed_at__isnull=False)),
            never=Count("pk", filter=Q(prior_record=True, confirmed_at__isnull=True)),
            missed=Count("pk", filter=Q(prior_record=False)),
        )
    )
    for g in records:
        row = rows.get(g["child"], unplaced)
        row.confirmed += g["confirmed"]
        row.never_confirmed += g["never"]
        row.missed += g["missed"]
    tasks = (
        scoped(OutflowTask.objects.all(), user)
        .filter(record__origin__code__startswith=area.code, status=OutflowTask.Status.OPEN)
        .annotate(child=Substr("record__origin__code", 1, length))
        .values("child")
        .annotate(n=Count("pk"))
    )
    for g in tasks:
        rows.get(g["child"], unplaced).open_tasks += g["n"]
    total = ReconRow(code=area.code, name=area.name)
    for row in [*rows.values(), unplaced]:
        total.add(row)
    return ReconSummary(
        area=area, trail=area_trail(user, area.code), rows=list(rows.values()), unplaced=unplaced, total=total
    )


def outflow_record_get(*, user, record_id: int) -> OutflowRecord:
    """One record inside the user's scope (outside answers like missing)."""
    record = (
        scoped(OutflowRecord.objects.all(), user)
        .select_related("person", "origin", "stay")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise NotFound()
    return record


@dataclass
class RecordPage:
    record: OutflowRecord
    origin_name: str
    destination: str
    events: list
    tasks: list
    remote_stays: list
    queries: list
    name_masked: str
    doc_number_masked: str
    phone_masked: str
    contact_phone_masked: str


def outflow_record_page(*, user, record_id: int) -> RecordPage:
    """A record with its history (every hand-over), its tasks, what peers told about the person and the
    user's own queries about them.
    """
    from liuguan.core.identity import mask_phone

    record = outflow_record_get(user=user, record_id=record_id)
    names = place_names([record.origin_id, record.destination_code])
    events = list(record.events.select_related("actor").order_by("at", "pk"))
    tasks = list(record.tasks.order_by("-created_at"))
    remote = list(RemoteStay.objects.filter(person_id=record.person_id).select_related("peer").order_by("-arrived_on"))
    queries = list(
        scoped(PersonQuery.objects.all(), user)
        .filter(doc_type=record.person.doc_type, doc_number=record.person.doc_number)
        .select_related("peer")
        .order_by("-asked_at")[:10]
    )
    return RecordPage(
        record=record,
        origin_name=names.get(record.origin_id, record.origin.name),
        destination=destination_label(record, names),
        events=events,
        tasks=tasks,
        remote_stays=remote,
        queries=queries,
        name_masked=mask_name(record.person.name),
        doc_number_masked=record.person.doc_number_masked,
        phone_masked=mask_phone(record.phone) if record.phone else "",
        contact_phone_masked=mask_phone(record.contact_phone) if record.contact_phone else "",
    )


def outflow_tasks(*, user, status: str = "open", kind: str = "", area_code: str = "") -> QuerySet:
    """The origin office's tasks inside the user's jurisdiction, oldest due first."""
    qs = scoped(OutflowTask.objects.all(), user).select_related("record__person", "record__origin", "division")
    if area_code:
        qs = qs.filter(division__code__startswith=area_in_scope(user, area_code).code)
    if status in OutflowTask.Status.values:
        qs = qs.filter(status=status)
    if kind in OutflowTask.Kind.values:
        qs = qs.filter(kind=kind)
    return qs.order_by("due_on", "pk")


def expected_arrivals(*, user, status: str = "expected") -> QuerySet:
    """People origins told us to expect in the user's area (the destination side)."""
    qs = scoped(ExpectedArrival.objects.all(), user).select_related("peer", "stay")
    if status in ExpectedArrival.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "pk")


def inbound_notices(*, user, status: str = "") -> QuerySet:
    """Notices from peers about people whose hukou lies in the user's area (police of the hukou county)."""
    qs = scoped(InboundNotice.objects.all(), user).select_related("peer")
    if status in InboundNotice.Status.values:
        qs = qs.filter(status=status)
    return qs.order_by("-received_at", "pk")


def peers_for_queries() -> list:
    """The active peers a query can go to (their identities and names only)."""
    from .models import Peer

    return list(Peer.objects.filter(active=True).order_by("code").values_list("code", "name"))


def origin_choices(user) -> list[tuple[str, str]]:
    """The divisions a user may record as an origin: villages, townships and counties of the province inside
    their jurisdiction (a county officer's whole county is a long list: villages are listed under townships).
    """
    from liuguan.core.scoping import jurisdiction
    from liuguan.geo.models import Level

    from .services.common import province_code

    own = jurisdiction(user)
    if own is None or not own.startswith(province_code()):
        return []
    rows = Division.objects.filter(
        code__startswith=own, level__in=[Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY]
    ).order_by("code")
    names = place_names({d.code for d in rows[:2000]})
    return [(d.code, names.get(d.code, d.name)) for d in rows[:2000]]


def person_by_document(*, user, doc_type: str, doc_number: str):
    """The person on the register with this document, if the user can see them."""
    from liuguan.core.identity import DocumentError, parse_document
    from liuguan.registry.models import Person

    try:
        number = parse_document(doc_type, doc_number or "").number
    except DocumentError:
        return None
    return scoped(Person.objects.all(), user).filter(doc_type=doc_type, doc_number=number).first()


def query_peer_for(record: OutflowRecord):
    """The peer to ask about a record's person: the one that confirmed it, else the one serving its destination."""
    from .models import Peer
    from .services.outbox import peer_for_area

    if record.confirmed_by and not record.confirmed_by.startswith("county:"):
        peer = Peer.objects.filter(code=record.confirmed_by, active=True).first()
        if peer is not None:
            return peer
    from .services.common import in_province

    if record.destination_code and not in_province(record.destination_code):
        return peer_for_area(record.destination_code)
    return None
