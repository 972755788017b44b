"""Reports by landlords (tenants), employers (employees) and hotels (guests), and the disagreements they raise.

A report is a second, independent source of who lives and works where. It creates a stay when the register has
none; when the register has one it is compared with it, and it never overwrites it: each differing field becomes
a Disagreement that the station officer accepts or rejects. Each report is measured against its area's deadline.
"""

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.roles import Role
from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import DomainError, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped
from liuguan.registry.codes import DocType, Reason
from liuguan.registry.history import field_changes_record
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import PersonInput, person_check, stay_depart, stay_update
from liuguan.registry.services.stays import _create_stay, outflow_stay_departed
from liuguan.registry.timeliness import PolicyTable

from ..classification import tiers_recompute
from ..codes import DisagreementStatus, DutyChannel, ForeignDocKind, ReportKind, ReportOutcome
from ..models import Disagreement, DutyReport, ForeignDocument, ReportingPolicy
from ..selectors import own_employer, own_houses, own_lodging, own_people

SHANGHAI = ZoneInfo("Asia/Shanghai")
CHANNEL_OF_ROLE = {
    Role.LANDLORD: DutyChannel.LANDLORD,
    Role.EMPLOYER: DutyChannel.EMPLOYER,
    Role.HOTEL: DutyChannel.HOTEL,
}
# The stay field each channel vouches for.
PLACE_FIELD = {DutyChannel.LANDLORD: "house", DutyChannel.EMPLOYER: "employer", DutyChannel.HOTEL: "lodging"}
DEFAULT_REASON = {
    DutyChannel.LANDLORD: Reason.OTHER,
    DutyChannel.EMPLOYER: Reason.WORK,
    DutyChannel.HOTEL: Reason.TRAVEL,
}
# Used only when neither the area nor the province has a policy for the channel.
FALLBACK_DEADLINE = {DutyChannel.LANDLORD: 3, DutyChannel.EMPLOYER: 7, DutyChannel.HOTEL: 1}
FOREIGN_DOC_TYPES = {DocType.PASSPORT, DocType.FOREIGN_PR}
REASONS = frozenset(Reason.values)
KINDS = frozenset(ReportKind.values)
FOREIGN_KINDS = frozenset(ForeignDocKind.values)
MAX_GUEST_ROWS = 10_000
CHUNK_ROWS = 2_000
REJECTED = "rejected"


@dataclass
class ForeignDocInput:
    """A foreigner's visa or residence document as reported: kind, number and expiry."""

    kind: str
    expires_on: dt.date | None
    number: str = ""


@dataclass
class ReportInput:
    """One report as a form, an API call or a hotel's batch row gives it, before validation.

    The person is either `person_id` (someone the reporter already reported: a tenant, employee or guest of its
    own) or `person` (document and name, validated like a registration).
    """

    kind: str
    occurred_on: dt.date | None
    person_id: int | None = None
    person: PersonInput | None = None
    house_id: int | None = None
    employer_id: int | None = None
    lodging_id: int | None = None
    room: str = ""
    reason: str = ""
    destination: str = ""
    foreign: ForeignDocInput | None = None
    source_ref: str = ""


@dataclass
class ReportResult:
    """What became of a report: the report, the stay it stands behind and what the register said."""

    report: DutyReport
    stay: Stay | None
    disagreements: list[Disagreement]
    warnings: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return self.report.outcome


class ReportingDeadlines:
    """The reporting policies read once (per request or batch); the longest code prefix for the channel wins."""

    def __init__(self):
        self.by_key = {
            (p, c): d for p, c, d in ReportingPolicy.objects.values_list("prefix", "channel", "deadline_days")
        }
        self.lengths = sorted({len(p) for p, _c in self.by_key}, reverse=True)

    def days(self, community_code: str, channel: str) -> int:
        for length in self.lengths:
            hit = self.by_key.get((community_code[:length], channel))
            if hit is not None:
                return hit
        return FALLBACK_DEADLINE[channel]

    def lateness(self, community_code: str, channel: str, occurred_on: dt.date, reported_at: dt.datetime):
        """(deadline_days, lag_days, late): whole days in China's calendar from the event to the report."""
        deadline = self.days(community_code, channel)
        lag = max((reported_at.astimezone(SHANGHAI).date() - occurred_on).days, 0)
        return deadline, lag, lag > deadline


def reporter_channel(actor) -> str:
    """Landlords report as landlord, employers as employer, hotels as hotel; nobody else reports duties."""
    if not actor.can("duty.report") or actor.role not in CHANNEL_OF_ROLE:
        raise PermissionDenied()
    return CHANNEL_OF_ROLE[actor.role]


def own_place(actor, channel: str, data: ReportInput, problems: list):
    """The house, employer or hotel the report is about: it must be the reporter's own (others look missing)."""
    if channel == DutyChannel.LANDLORD:
        place = own_houses(actor).filter(pk=data.house_id).first() if data.house_id else None
        if place is None:
            problems.append(FieldProblem("house_id", "duty.own_house", _("Choose one of your own houses")))
        return place
    if channel == DutyChannel.EMPLOYER:
        place = own_employer(actor)
        if place is None or (data.employer_id and data.employer_id != place.pk):
            problems.append(FieldProblem("employer_id", "duty.own_employer", _("You can report only your own staff")))
            return None
        return place
    place = own_lodging(actor)
    if place is None or (data.lodging_id and data.lodging_id != place.pk):
        problems.append(FieldProblem("lodging_id", "duty.own_hotel", _("You can report only your own guests")))
        return None
    return place


@dataclass
class CheckedReport:
    kind: str
    occurred_on: dt.date
    person: Person | None
    person_values: dict | None
    room: str
    reason: str
    destination: str
    foreign: ForeignDocInput | None
    source_ref: str
    warnings: list[str]

    @property
    def doc_key(self) -> tuple[str, str] | None:
        if self.person_values is None:
            return None
        return self.person_values["doc_type"], self.person_values["doc_number"]


def report_check(data: ReportInput, *, channel: str, known_person: Person | None = None) -> CheckedReport:
    """Validate a report without touching the database (but for the person the caller already found by id).

    The person is checked like a registration; an arrival of a foreigner (nationality other than CHN) needs the
    visa or residence document with its expiry; dates are neither in the future nor before the birth date.
    """
    problems: list[FieldProblem] = []
    warnings: list[str] = []
    if data.kind not in KINDS:
        problems.append(FieldProblem("kind", "duty.kind", _("Choose arrival or departure")))
    values = None
    if known_person is None:
        if data.person is None:
            problems.append(FieldProblem("person", "duty.person_required", _("Give the person's document and name")))
        else:
            try:
                checked = person_check(data.person)
                values, warnings = checked.values, checked.warnings
            except InvalidInput as exc:
                problems.extend(exc.problems)
    birth = known_person.birth_date if known_person else (values or {}).get("birth_date")
    nationality = known_person.nationality if known_person else (values or {}).get("nationality", "CHN")
    doc_type = known_person.doc_type if known_person else (values or {}).get("doc_type")
    if data.occurred_on is None:
        problems.append(FieldProblem("occurred_on", "duty.date_required", _("The date is required")))
    elif data.occurred_on > china_today():
        problems.append(FieldProblem("occurred_on", "duty.date_future", _("The date is in the future")))
    elif birth and data.occurred_on < birth:
        problems.append(FieldProblem("occurred_on", "duty.date_before_birth", _("The date is before the birth date")))
    reason = data.reason or DEFAULT_REASON[channel]
    if reason not in REASONS:
        problems.append(FieldProblem("reason", "stay.reason", _("Choose a reason for the stay")))
    room = " ".join((data.room or "").split())
    if len(room) > 40:
        problems.append(FieldProblem("room", "duty.room_length", _("The room is longer than 40 characters")))
    foreign = data.foreign
    if foreign is not None and not (foreign.kind or foreign.number or foreign.expires_on):
        foreign = None
    if foreign is not None:
        if foreign.kind not in FOREIGN_KINDS:
            problems.append(FieldProblem("foreign.kind", "foreign.kind", _("Choose a visa or residence document")))
        if foreign.expires_on is None:
            problems.append(
                FieldProblem("foreign.expires_on", "foreign.expiry_required", _("The document's expiry is required"))
            )
        if len((foreign.number or "").strip()) > 40:
            problems.append(FieldProblem("foreign.number", "foreign.number_length", _("The number is too long")))
        if nationality == "CHN" or doc_type not in FOREIGN_DOC_TYPES:
            problems.append(
                FieldProblem(
                    "foreign.kind",
                    "foreign.not_foreigner",
                    _("Visa and residence documents are for foreigners (passport or permanent residence ID)"),
                )
            )
    elif data.kind == ReportKind.ARRIVAL and nationality and nationality != "CHN" and doc_type in FOREIGN_DOC_TYPES:
        problems.append(
            FieldProblem(
                "foreign.kind",
                "foreign.document_required",
                _("A foreigner's arrival needs the visa or residence document and its expiry"),
            )
        )
    if problems:
        raise InvalidInput(problems)
    return CheckedReport(
        kind=data.kind,
        occurred_on=data.occurred_on,
        person=known_person,
        person_values=values,
        room=room,
        reason=reason,
        destination=" ".join((data.destination or "").split())[:200],
        foreign=foreign,
        source_ref=(data.source_ref or "").strip()[:64],
        warnings=warnings,
    )


def place_values(channel: str, place, checked: CheckedReport) -> dict:
    """The stay a report creates: at the house, employer or hotel, with the reporter as its source channel."""
    values = {
        "house": None,
        "employer": None,
        "lodging": None,
        "grid_id": None,
        "arrived_on": checked.occurred_on,
        "reason": checked.reason,
        "address": "",
        "source_channel": channel,
        "device_time": None,
        "source_ref": checked.source_ref,
    }
    values[PLACE_FIELD[channel]] = place
    if channel != DutyChannel.HOTEL:
        values["grid_id"] = place.grid_id
    if channel != DutyChannel.EMPLOYER:
        values["address"] = " ".join(filter(None, [place.address, checked.room]))[:200]
    return values


def differences(stay: Stay, channel: str, place, occurred_on: dt.date) -> list[tuple[str, object, object]]:
    """The fields where the register's open stay and an arrival report differ, as (field, registered, reported).

    Landlords and hotels vouch for the place and the date of moving in; an employer vouches for its employee
    only (the hiring date is not the date of arrival in the community).
    """
    name = PLACE_FIELD[channel]
    out = []
    registered = getattr(stay, f"{name}_id")
    if registered != place.pk:
        out.append((name, registered, place.pk))
    if channel != DutyChannel.EMPLOYER and stay.arrived_on != occurred_on:
        out.append(("arrived_on", stay.arrived_on.isoformat(), occurred_on.isoformat()))
    return out


def _person_resolve(*, actor, checked: CheckedReport, channel: str, community_code: str, source: str) -> Person:
    """The person of the report: the one already on the register under the document number, or a new one."""
    if checked.person is not None:
        return checked.person
    doc_type, doc_number = checked.doc_key
    existing = person_by_document(doc_type, doc_number)
    if existing is not None:
        if existing.name != checked.person_values["name"]:
            checked.warnings.append(str(_("The register knows this document under another name")))
        return existing
    record = Person(created_by=actor, source_channel=channel, **checked.person_values)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError:
        # Someone registered the same document in the meantime: that is the person.
        return Person.objects.get(doc_type=doc_type, doc_number=doc_number)
    audit_record(
        actor=actor,
        action="person.register",
        obj=record,
        division_code=community_code,
        source=source,
        changes={k: [None, v] for k, v in checked.person_values.items() if k not in ("name_pinyin", "name_initials")},
    )
    return record


@dataclass
class Decision:
    """What a report does to the register: its outcome, the stay it concerns, the fields that differ, and whether
    a stay is to be created or closed; `problem` when the report cannot be taken.
    """

    outcome: str | None
    stay: Stay | None = None
    found: list = field(default_factory=list)
    create: bool = False
    close: bool = False
    problem: FieldProblem | None = None


def report_decide(
    *, kind: str, channel: str, place, occurred_on: dt.date, open_stay: Stay | None, last_closed: Stay | None
) -> Decision:
    """The rule of a report against the register, for single reports and hotels' batches alike.

    Arrival: no open stay in the community → a new stay; an open one → the same facts corroborate it, others
    are disagreements. Departure: the open stay at this place ends; an open stay elsewhere in the community, or
    a closed one on another date, is a disagreement; no stay at all cannot be reported (arrival first).
    """
    if kind == ReportKind.ARRIVAL:
        if open_stay is None:
            return Decision(ReportOutcome.CREATED, create=True)
        found = differences(open_stay, channel, place, occurred_on)
        return Decision(ReportOutcome.DISAGREED if found else ReportOutcome.CORROBORATED, open_stay, found)
    name = PLACE_FIELD[channel]
    if open_stay is not None and getattr(open_stay, f"{name}_id") == place.pk:
        if occurred_on < open_stay.arrived_on:
            return Decision(
                None,
                problem=FieldProblem(
                    "occurred_on", "stay.departed_before_arrival", _("The date is before the arrival date")
                ),
            )
        return Decision(ReportOutcome.DEPARTED, open_stay, close=True)
    if open_stay is not None:
        # The register has them living here, but not at this place: the officer decides.
        found = [(name, getattr(open_stay, f"{name}_id"), place.pk), ("departed_on", None, occurred_on.isoformat())]
        return Decision(ReportOutcome.DISAGREED, open_stay, found)
    if last_closed is None:
        return Decision(
            None,
            problem=FieldProblem(
                "person", "duty.no_stay", _("The register has no stay of this person here; report the arrival first")
            ),
        )
    if last_closed.departed_on == occurred_on:
        return Decision(ReportOutcome.CORROBORATED, last_closed)
    found = [("departed_on", last_closed.departed_on.isoformat(), occurred_on.isoformat())]
    return Decision(ReportOutcome.DISAGREED, last_closed, found)


def stay_close(*, actor, stay: Stay, departed_on: dt.date, destination: str, source: str) -> Stay:
    """End a stay on a date (kept as history, never deleted), with the same audit event as a departure."""
    departed_on = max(departed_on, stay.arrived_on)
    before = {"departed_on": stay.departed_on, "destination": stay.destination}
    stay.departed_on = departed_on
    stay.destination = (destination or "")[:200]
    stay.save(update_fields=["departed_on", "destination"])
    audit_record(
        actor=actor,
        action="stay.depart",
        obj=stay,
        division_code=stay.community_id,
        source=source,
        changes=diff(before, {"departed_on": stay.departed_on, "destination": stay.destination}),
    )
    outflow_stay_departed(stay, actor=actor, source=source)
    return stay


def _foreign_upsert(*, actor, person: Person, foreign: ForeignDocInput, channel: str) -> ForeignDocument:
    document, _created = ForeignDocument.objects.update_or_create(
        person=person,
        kind=foreign.kind,
        number=(foreign.number or "").strip().upper(),
        defaults={
            "expires_on": foreign.expires_on,
            "channel": channel,
            "recorded_by": actor,
            "recorded_at": timezone.now(),
        },
    )
    return document


@transaction.atomic
def duty_report(
    *, actor, report: ReportInput, source: str = "web", deadlines: ReportingDeadlines | None = None
) -> ReportResult:
    """Record a landlord's, employer's or hotel's report of an arrival or a departure at one of its own places.

    Arrival: with no open stay in the place's community a stay is created with the reporter as its source; with
    one, the report is compared with it: the same facts corroborate it, different ones each become a
    Disagreement for the station officer and the stay is left as it is. Departure: the open stay at that place
    ends on the reported date; when the register has no open stay there, a closed one on another date is a
    disagreement and no stay at all is refused (report the arrival first). Lateness is measured against the
    area's reporting deadline for the channel.
    """
    channel = reporter_channel(actor)
    problems: list[FieldProblem] = []
    place = own_place(actor, channel, report, problems)
    known = None
    if report.person_id:
        known = own_people(actor).filter(pk=report.person_id).first()
        if known is None:
            problems.append(
                FieldProblem("person_id", "duty.own_person", _("Choose one of your own tenants, staff or guests"))
            )
    try:
        checked = report_check(report, channel=channel, known_person=known) if not problems else None
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    community = place.community
    person = _person_resolve(
        actor=actor, checked=checked, channel=channel, community_code=community.code, source=source
    )
    reported_at = timezone.now()
    deadline, lag, late = (deadlines or ReportingDeadlines()).lateness(
        community.code, channel, checked.occurred_on, reported_at
    )
    stays = Stay.objects.select_for_update().filter(person=person, community=community)
    open_stay = stays.filter(departed_on__isnull=True).first()
    last_closed = None if open_stay else stays.order_by("-departed_on", "-id").first()
    decision = report_decide(
        kind=checked.kind,
        channel=channel,
        place=place,
        occurred_on=checked.occurred_on,
        open_stay=open_stay,
        last_closed=last_closed,
    )
    if decision.problem is not None:
        raise InvalidInput([decision.problem])
    outcome, stay, found = decision.outcome, decision.stay, decision.found
    if decision.create:
        stay = _create_stay(
            actor=actor, person=person, values=place_values(channel, place, checked), community=community, source=source
        )
    elif decision.close:
        stay = stay_close(
            actor=actor, stay=stay, departed_on=checked.occurred_on, destination=checked.destination, source=source
        )
    record = DutyReport.objects.create(
        channel=channel,
        kind=checked.kind,
        reporter=actor,
        community=community,
        house=place if channel == DutyChannel.LANDLORD else None,
        employer=place if channel == DutyChannel.EMPLOYER else None,
        lodging=place if channel == DutyChannel.HOTEL else None,
        person=person,
        stay=stay,
        room=checked.room,
        occurred_on=checked.occurred_on,
        reported_at=reported_at,
        deadline_days=deadline,
        lag_days=lag,
        late=late,
        outcome=outcome,
        source_ref=checked.source_ref,
    )
    disagreements = Disagreement.objects.bulk_create(
        [
            Disagreement(
                stay=stay,
                report=record,
                community=community,
                field=name,
                registered_value=registered,
                reported_value=reported,
                registered_channel=stay.source_channel,
            )
            for name, registered, reported in found
        ]
    )
    document = None
    if checked.foreign is not None:
        document = _foreign_upsert(actor=actor, person=person, foreign=checked.foreign, channel=channel)
    audit_record(
        actor=actor,
        action="duty.report",
        obj=record,
        division_code=community.code,
        source=source,
        changes={
            "channel": channel,
            "kind": checked.kind,
            "person": person.pk,
            "place": [PLACE_FIELD[channel], place.pk],
            "occurred_on": checked.occurred_on,
            "outcome": outcome,
            "stay": getattr(stay, "pk", None),
            "late": late,
            "lag_days": lag,
            "disagreements": [{"field": n, "registered": r, "reported": p} for n, r, p in found],
            "foreign_document": document.pk if document else None,
        },
    )
    # A report can make an employment stable or a foreigner's document known: facts of the person's tier.
    tiers_recompute([person.pk], actor=actor)
    return ReportResult(report=record, stay=stay, disagreements=disagreements, warnings=checked.warnings)


@transaction.atomic
def disagreement_resolve(*, actor, disagreement_id: int, accept: bool, note: str = "", source: str = "web"):
    """The station officer decides: accepting applies the reported value to the stay the way a field change is
    applied (old value kept in the history, with the reporter's channel); keeping leaves the register as it is.
    Either way the decision is recorded and audited.
    """
    if not actor.can("disagreement.resolve"):
        raise PermissionDenied()
    item = (
        scoped(Disagreement.objects.select_for_update(), actor)
        .select_related("report", "stay")
        .filter(pk=disagreement_id)
        .first()
    )
    if item is None:
        raise NotFound()
    if item.status != DisagreementStatus.OPEN:
        raise InvalidInput(
            [FieldProblem("status", "disagreement.resolved", _("This disagreement is already resolved"))]
        )
    note = " ".join((note or "").split())[:200]
    channel = item.report.channel
    if accept:
        _apply(actor=actor, item=item, channel=channel, source=source)
        tiers_recompute([item.stay.person_id], actor=actor)
    item.status = DisagreementStatus.ACCEPTED if accept else DisagreementStatus.KEPT
    item.resolved_by = actor
    item.resolved_at = timezone.now()
    item.note = note
    item.save(update_fields=["status", "resolved_by", "resolved_at", "note"])
    audit_record(
        actor=actor,
        action="disagreement.resolve",
        obj=item,
        division_code=item.community_id,
        source=source,
        changes={
            "stay": item.stay_id,
            "field": item.field,
            "registered": item.registered_value,
            "reported": item.reported_value,
            "decision": item.status,
            "note": note,
        },
    )
    return item


def _apply(*, actor, item: Disagreement, channel: str, source: str) -> None:
    value = item.reported_value
    if item.field in ("house", "employer"):
        stay_update(actor=actor, stay_id=item.stay_id, channel=channel, source=source, **{f"{item.field}_id": value})
        return
    if item.field == "departed_on" and item.stay.departed_on is None:
        stay_depart(actor=actor, stay_id=item.stay_id, departed_on=dt.date.fromisoformat(value), source=source)
        return
    # Hotel and dates: the same shape as stay_update (audit event plus field history), on the one stay.
    stay = scoped(Stay.objects.select_for_update(), actor).filter(pk=item.stay_id).first()
    if stay is None:
        raise NotFound()
    if item.field == "lodging":
        changes = {"lodging_id": (stay.lodging_id, value)}
    elif item.field in ("arrived_on", "departed_on"):
        new = dt.date.fromisoformat(value)
        if (item.field == "arrived_on" and stay.departed_on and new > stay.departed_on) or (
            item.field == "departed_on" and new < stay.arrived_on
        ):
            raise InvalidInput(
                [FieldProblem(item.field, "stay.departure_after_arrival", _("Departure would be before arrival"))]
            )
        changes = {item.field: (getattr(stay, item.field), new)}
    else:
        raise InvalidInput([FieldProblem("field", "disagreement.field", _("This field cannot be applied"))])
    for name, (_old, new) in changes.items():
        setattr(stay, name, new)
    stay.save(update_fields=list(changes))
    event = audit_record(
        actor=actor,
        action="stay.update",
        obj=stay,
        division_code=stay.community_id,
        source=source,
        changes={k: list(v) for k, v in changes.items()},
    )
    field_changes_record(actor=actor, obj=stay, changes=changes, channel=channel, audit_event=event)


# Hotels' batches.


@dataclass
class RowOutcome:
    """What became of one row of a hotel's batch (rows are numbered from 1)."""

    row: int
    status: str
    person_id: int | None = None
    stay_id: int | None = None
    report_id: int | None = None
    problems: list[FieldProblem] = field(default_factory=list)


@dataclass
class BatchResult:
    results: list[RowOutcome]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.status] = out.get(r.status, 0) + 1
        return out


def too_many_rows() -> InvalidInput:
    return InvalidInput(
        [FieldProblem("rows", "duty.batch_rows", _("Send 1 to %(max)d guests at once") % {"max": MAX_GUEST_ROWS})]
    )


def hotel_guests_batch(*, actor, rows: list[ReportInput], source: str = "api") -> BatchResult:
    """Up to 10,000 check-ins and check-outs of a hotel's guests; each row stands or falls on its own.

    Rows are validated one by one (a bad row is rejected with its problems, the others land), then written in
    chunks with bulk inserts: the same rules as a single report (one person per document number, a stay per
    guest, comparisons with an open stay, deadlines). A chunk that meets a concurrent write of the same people
    is written again row by row. Each chunk leaves one audit event naming what it created.
    """
    if reporter_channel(actor) != DutyChannel.HOTEL:
        raise PermissionDenied()
    if not rows or len(rows) > MAX_GUEST_ROWS:
        raise too_many_rows()
    lodging = own_lodging(actor)
    results: list[RowOutcome | None] = [None] * len(rows)
    checked: list[tuple[int, CheckedReport]] = []
    for index, row in enumerate(rows):
        problems: list[FieldProblem] = []
        if row.lodging_id and row.lodging_id != lodging.pk:
            problems.append(FieldProblem("lodging_id", "duty.own_hotel", _("You can report only your own guests")))
        if row.person_id:
            problems.append(FieldProblem("person_id", "duty.batch_person", _("Give the guest's document and name")))
        if not problems:
            try:
                checked.append((index, report_check(row, channel=DutyChannel.HOTEL)))
                continue
            except InvalidInput as exc:
                problems = exc.problems
        results[index] = RowOutcome(row=index + 1, status=REJECTED, problems=problems)
    deadlines = ReportingDeadlines()
    registration = PolicyTable()
    for start in range(0, len(checked), CHUNK_ROWS):
        chunk = checked[start : start + CHUNK_ROWS]
        try:
            with transaction.atomic():
                outcomes = _guests_chunk_write(
                    actor=actor,
                    lodging=lodging,
                    chunk=chunk,
                    deadlines=deadlines,
                    registration=registration,
                    source=source,
                )
        except IntegrityError:
            outcomes = _guests_rows_write(
                actor=actor, lodging=lodging, rows=rows, chunk=chunk, deadlines=deadlines, source=source
            )
        for outcome in outcomes:
            results[outcome.row - 1] = outcome
    tiers_recompute({r.person_id for r in results if r is not None and r.person_id}, actor=actor)
    return BatchResult(results=results)


def _guests_rows_write(*, actor, lodging, rows, chunk, deadlines, source) -> list[RowOutcome]:
    out = []
    for index, _checked in chunk:
        try:
            done = duty_report(actor=actor, report=rows[index], source=source, deadlines=deadlines)
        except DomainError as exc:
            problems = getattr(exc, "problems", None) or [
                FieldProblem(getattr(exc, "field", "") or "row", getattr(exc, "rule", "") or "duty.conflict", str(exc))
            ]
            out.append(RowOutcome(row=index + 1, status=REJECTED, problems=problems))
            continue
        out.append(
            RowOutcome(
                row=index + 1,
                status=done.outcome,
                person_id=done.report.person_id,
                stay_id=getattr(done.stay, "pk", None),
                report_id=done.report.pk,
            )
        )
    return out


def _guests_chunk_write(*, actor, lodging, chunk, deadlines, registration, source) -> list[RowOutcome]:
    """One chunk in bulk: read who and which stays the register has, decide each row in memory, then insert."""
    community = lodging.community
    keys = {c.doc_key for _i, c in chunk}
    people: dict[tuple[str, str], Person] = {}
    numbers = [k[1] for k in keys]
    for part in range(0, len(numbers), 900):
        for p in Person.objects.filter(doc_number__in=numbers[part : part + 900]):
            if (p.doc_type, p.doc_number) in keys:
                people[(p.doc_type, p.doc_number)] = p
    stays_of: dict[int, list[Stay]] = {}
    known_ids = [p.pk for p in people.values()]
    for part in range(0, len(known_ids), 900):
        for s in Stay.objects.select_for_update().filter(
            person_id__in=known_ids[part : part + 900], community=community
        ):
            stays_of.setdefault(s.person_id, []).append(s)
    open_stay: dict[tuple, Stay] = {}
    last_closed: dict[tuple, Stay] = {}
    for key, p in people.items():
        for s in stays_of.get(p.pk, []):
            if s.departed_on is None:
                open_stay[key] = s
            elif key not in last_closed or s.departed_on > last_closed[key].departed_on:
                last_closed[key] = s
    now = timezone.now()
    new_people: list[Person] = []
    new_stays: list[Stay] = []
    closed: dict[int, Stay] = {}
    reports: list[DutyReport] = []
    found_of: list[list] = []
    foreign: list[tuple[tuple, ForeignDocInput]] = []
    outcomes: list[tuple[int, str, tuple, Stay | None, DutyReport | None, list]] = []
    for index, c in chunk:
        key = c.doc_key
        person = people.get(key)
        if person is None:
            person = Person(created_by=actor, source_channel=DutyChannel.HOTEL, **c.person_values)
            people[key] = person
            new_people.append(person)
        decision = report_decide(
            kind=c.kind,
            channel=DutyChannel.HOTEL,
            place=lodging,
            occurred_on=c.occurred_on,
            open_stay=open_stay.get(key),
            last_closed=None if key in open_stay else last_closed.get(key),
        )
        if decision.problem is not None:
            outcomes.append((index, REJECTED, key, None, None, [decision.problem]))
            continue
        outcome, stay, found = decision.outcome, decision.stay, decision.found
        if decision.create:
            values = place_values(DutyChannel.HOTEL, lodging, c)
            lateness = registration.lateness(community.code, c.occurred_on, now)
            stay = Stay(
                person=person,
                community=community,
                collector=actor,
                registered_at=now,
                lag_days=lateness.lag_days,
                late=lateness.late,
                **values,
            )
            new_stays.append(stay)
            open_stay[key] = stay
        elif decision.close:
            stay.departed_on = c.occurred_on
            stay.destination = c.destination
            if stay.pk is not None:
                closed[stay.pk] = stay
            del open_stay[key]
            last_closed[key] = stay
        deadline, lag, late = deadlines.lateness(community.code, DutyChannel.HOTEL, c.occurred_on, now)
        report = DutyReport(
            channel=DutyChannel.HOTEL,
            kind=c.kind,
            reporter=actor,
            community=community,
            lodging=lodging,
            person=person,
            stay=stay,
            room=c.room,
            occurred_on=c.occurred_on,
            reported_at=now,
            deadline_days=deadline,
            lag_days=lag,
            late=late,
            outcome=outcome,
            source_ref=c.source_ref,
        )
        reports.append(report)
        found_of.append(found)
        if c.foreign is not None:
            foreign.append((key, c.foreign))
        outcomes.append((index, outcome, key, stay, report, []))
    # Stays created and closed within the batch go in closed; the database checks the order of the dates.
    Person.objects.bulk_create(new_people, batch_size=1000)
    Stay.objects.bulk_create(new_stays, batch_size=1000)
    if closed:
        Stay.objects.bulk_update(list(closed.values()), ["departed_on", "destination"], batch_size=1000)
    DutyReport.objects.bulk_create(reports, batch_size=1000)
    disagreements = [
        Disagreement(
            stay=report.stay,
            report=report,
            community=community,
            field=name,
            registered_value=registered,
            reported_value=reported,
            registered_channel=report.stay.source_channel,
        )
        for report, found in zip(reports, found_of, strict=True)
        for name, registered, reported in found
    ]
    Disagreement.objects.bulk_create(disagreements, batch_size=1000)
    for key, doc in foreign:
        _foreign_upsert(actor=actor, person=people[key], foreign=doc, channel=DutyChannel.HOTEL)
    out = []
    for index, status, key, stay, report, problems in outcomes:
        person = people.get(key)
        out.append(
            RowOutcome(
                row=index + 1,
                status=status,
                person_id=person.pk if person is not None and status != REJECTED else None,
                stay_id=getattr(stay, "pk", None),
                report_id=getattr(report, "pk", None),
                problems=problems,
            )
        )
    counts: dict[str, int] = {}
    for o in out:
        counts[o.status] = counts.get(o.status, 0) + 1
    audit_record(
        actor=actor,
        action="duty.report_batch",
        object_type="compliance.dutyreport",
        division_code=community.code,
        source=source,
        changes={
            "lodging": lodging.pk,
            "rows": [chunk[0][0] + 1, chunk[-1][0] + 1],
            "counts": counts,
            "people": _id_range([p.pk for p in new_people]),
            "stays": _id_range([s.pk for s in new_stays]),
            "stays_closed": sorted(closed),
            "reports": _id_range([r.pk for r in reports]),
            "disagreements": len(disagreements),
        },
    )
    if new_stays:
        # New guests are registrations like any other: bulletins in force are matched against them at once.
        from liuguan.exchange.services.police import bulletins_match

        bulletins_match(stay_ids=[s.pk for s in new_stays], actor=actor, source=source)
    return out


def _id_range(ids: list[int]) -> dict:
    return {"first": min(ids), "last": max(ids), "count": len(ids)} if ids else {"count": 0}
