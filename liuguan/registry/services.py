"""Registry writes. Each runs in one transaction, validates everything first, and leaves an audit event."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import DocumentError, parse_document, rule_message, validate_mobile
from liuguan.core.pinyin import name_initials, name_pinyin
from liuguan.core.scoping import scoped
from liuguan.geo.models import Division, Level

from .codes import ETHNICITIES, DocType, Education, Marital, Reason, Sex, SourceChannel
from .models import Person, Stay
from .timeliness import PolicyTable

ETHNICITY_CODES = {code for code, _name in ETHNICITIES}
PERSON_AUDITED_FIELDS = (
    "doc_type",
    "doc_number",
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "nationality",
    "hukou_code",
    "hukou_address",
    "phone",
    "education",
    "marital_status",
    "party_member",
)


@dataclass
class PersonInput:
    """What a form or API call says about a person, before validation."""

    doc_type: str
    doc_number: str
    name: str
    sex: str = ""
    birth_date: dt.date | None = None
    ethnicity: str = "01"
    nationality: str = "CHN"
    hukou_code: str = ""
    hukou_address: str = ""
    phone: str = ""
    education: str = ""
    marital_status: str = ""
    party_member: bool = False


@dataclass
class StayInput:
    """Where and since when a person lives, before validation."""

    community_code: str
    arrived_on: dt.date
    reason: str
    address: str = ""
    source_channel: str = SourceChannel.COLLECTOR
    device_time: dt.datetime | None = None


@dataclass
class Registration:
    """The outcome of registering someone: the person, their stay and warnings to show the collector."""

    person: Person
    stay: Stay
    warnings: list[str]


@dataclass
class CheckedPerson:
    """A validated person: normalised values plus the warnings a collector should see."""

    values: dict
    warnings: list[str]


def person_check(data: PersonInput) -> CheckedPerson:
    """Validate and normalise a person; birth date and sex come from a citizen ID and must agree with it."""
    problems: list[FieldProblem] = []
    warnings: list[str] = []
    values = {
        "doc_type": data.doc_type,
        "name": " ".join((data.name or "").split()),
        "ethnicity": data.ethnicity or "01",
        "nationality": (data.nationality or "CHN").upper(),
        "hukou_address": (data.hukou_address or "").strip(),
        "education": data.education or "",
        "marital_status": data.marital_status or "",
        "party_member": bool(data.party_member),
        "phone": "",
        "hukou_code": (data.hukou_code or "").strip(),
    }
    if data.doc_type not in DocType.values:
        problems.append(FieldProblem("doc_type", "doc_type.unknown", _("Unknown document type")))
        parsed = None
    else:
        try:
            parsed = parse_document(data.doc_type, data.doc_number or "")
        except DocumentError as exc:
            problems.append(FieldProblem("doc_number", exc.rule, exc.message))
            parsed = None
    if parsed is not None:
        values["doc_number"] = parsed.number
        warnings.extend(str(rule_message(w)) for w in parsed.warnings)
        if parsed.birth_date and data.birth_date and data.birth_date != parsed.birth_date:
            problems.append(
                FieldProblem(
                    "birth_date",
                    "person.birth_date_mismatch",
                    _("The birth date does not match the one inside the document number"),
                )
            )
        if parsed.sex and data.sex and data.sex != parsed.sex:
            problems.append(
                FieldProblem(
                    "sex", "person.sex_mismatch", _("The sex does not match the one inside the document number")
                )
            )
        values["birth_date"] = parsed.birth_date or data.birth_date
        values["sex"] = parsed.sex or data.sex
        if parsed.area_code and not values["hukou_code"] and data.doc_type == DocType.CITIZEN_ID:
            values["hukou_code"] = parsed.area_code
    if not values["name"]:
        problems.append(FieldProblem("name", "person.name_required", _("Name is required")))
    elif len(values["name"]) > 60:
        problems.append(FieldProblem("name", "person.name_length", _("Name is longer than 60 characters")))
    if parsed is not None:
        if not values.get("birth_date"):
            problems.append(FieldProblem("birth_date", "person.birth_date_required", _("Birth date is required")))
        elif values["birth_date"] > timezone.localdate():
            problems.append(FieldProblem("birth_date", "person.birth_date_future", _("Birth date is in the future")))
        if values.get("sex") not in Sex.values:
            problems.append(FieldProblem("sex", "person.sex_required", _("Sex is required (M or F)")))
    if values["ethnicity"] not in ETHNICITY_CODES:
        problems.append(FieldProblem("ethnicity", "gb3304.code", _("Ethnicity must be a GB 3304 code")))
    if values["education"] and values["education"] not in Education.values:
        problems.append(FieldProblem("education", "gb4658.code", _("Unknown education level")))
    if values["marital_status"] and values["marital_status"] not in Marital.values:
        problems.append(FieldProblem("marital_status", "gb2261.code", _("Unknown marital status")))
    if len(values["nationality"]) != 3 or not values["nationality"].isalpha():
        problems.append(FieldProblem("nationality", "iso3166.alpha3", _("Nationality is a three-letter ISO 3166 code")))
    if values["hukou_code"] and (len(values["hukou_code"]) != 6 or not values["hukou_code"].isdigit()):
        problems.append(FieldProblem("hukou_code", "gbt2260.code", _("The hukou area code has six digits")))
    if data.phone:
        try:
            values["phone"] = validate_mobile(data.phone)
        except DocumentError as exc:
            problems.append(FieldProblem("phone", exc.rule, exc.message))
    if problems:
        raise InvalidInput(problems)
    values["name_pinyin"] = name_pinyin(values["name"]).replace(" ", "")
    values["name_initials"] = name_initials(values["name"])
    return CheckedPerson(values=values, warnings=warnings)


class ScopedCommunities:
    """The communities inside an actor's jurisdiction, read once per request or per import and then cached."""

    def __init__(self, actor):
        self.actor = actor
        self._cache: dict[str, Division | None] = {}
        self._all: dict[str, Division] | None = None

    def preload(self) -> "ScopedCommunities":
        """Read every community in scope at once (a province holds about 34,000), for batch work."""
        qs = scoped(Division.objects.filter(level=Level.COMMUNITY), self.actor)
        self._all = {d.code: d for d in qs}
        return self

    def get(self, code: str) -> Division | None:
        code = (code or "").strip()
        if self._all is not None:
            return self._all.get(code)
        if code not in self._cache:
            self._cache[code] = (
                scoped(Division.objects.all(), self.actor).filter(code=code, level=Level.COMMUNITY).first()
            )
        return self._cache[code]


def stay_check(
    data: StayInput, *, actor, person_birth_date: dt.date | None, communities: ScopedCommunities | None = None
) -> tuple[dict, Division | None]:
    """A stay is at a community inside the actor's jurisdiction, with an arrival not in the future."""
    problems: list[FieldProblem] = []
    community = (communities or ScopedCommunities(actor)).get(data.community_code)
    if community is None:
        problems.append(
            FieldProblem("community_code", "stay.community_in_scope", _("Choose a community inside your jurisdiction"))
        )
    if data.arrived_on is None:
        problems.append(FieldProblem("arrived_on", "stay.arrived_required", _("Arrival date is required")))
    else:
        if data.arrived_on > timezone.localdate():
            problems.append(FieldProblem("arrived_on", "stay.arrived_future", _("Arrival date is in the future")))
        if person_birth_date and data.arrived_on < person_birth_date:
            problems.append(
                FieldProblem("arrived_on", "stay.arrived_before_birth", _("Arrival date is before the birth date"))
            )
    if data.reason not in Reason.values:
        problems.append(FieldProblem("reason", "stay.reason", _("Choose a reason for the stay")))
    if data.source_channel not in SourceChannel.values:
        problems.append(FieldProblem("source_channel", "stay.source", _("Unknown source channel")))
    if problems:
        raise InvalidInput(problems)
    values = {
        "arrived_on": data.arrived_on,
        "reason": data.reason,
        "address": (data.address or "").strip()[:200],
        "source_channel": data.source_channel,
        "device_time": data.device_time,
    }
    return values, community


def _person_audit_values(person: Person) -> dict:
    return {f: getattr(person, f) for f in PERSON_AUDITED_FIELDS}


def _create_stay(*, actor, person: Person, values: dict, community: Division, source: str) -> Stay:
    registered_at = timezone.now()
    lateness = PolicyTable().lateness(community.code, values["arrived_on"], registered_at)
    values = {**values, "registered_at": registered_at, "lag_days": lateness.lag_days, "late": lateness.late}
    stay = Stay(
        person=person,
        community=community,
        collector=actor if getattr(actor, "pk", None) else None,
        collection_point=getattr(actor, "office", None),
        **values,
    )
    try:
        with transaction.atomic():
            stay.save()
    except IntegrityError as exc:
        if Stay.objects.filter(person=person, community=community, departed_on__isnull=True).exists():
            raise Conflict(
                _("This person already has an open stay in this community"),
                field="community_code",
                rule="stay.one_open_per_place",
            ) from exc
        raise
    audit_record(
        actor=actor,
        action="stay.register",
        obj=stay,
        division_code=community.code,
        source=source,
        changes={"person": person.pk, "community": community.code, **values},
    )
    return stay


@transaction.atomic
def person_register(*, actor, person: PersonInput, stay: StayInput, source: str = "web") -> Registration:
    """Register a new person with their first stay; one document number is one person, ever."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    checked = stay_values = community = None
    try:
        checked = person_check(person)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    try:
        stay_values, community = stay_check(
            stay, actor=actor, person_birth_date=checked.values.get("birth_date") if checked else None
        )
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    values = checked.values
    existing = Person.objects.filter(doc_type=values["doc_type"], doc_number=values["doc_number"]).first()
    if existing is not None:
        visible = scoped(Person.objects.filter(pk=existing.pk), actor).exists()
        raise Conflict(
            _("A person with this document number is already registered"),
            field="doc_number",
            rule="person.one_per_document",
            existing_id=existing.pk if visible else None,
        )
    record = Person(created_by=actor if getattr(actor, "pk", None) else None, **values)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        # Another registration of the same document won the race: same answer as above.
        raise Conflict(
            _("A person with this document number is already registered"),
            field="doc_number",
            rule="person.one_per_document",
        ) from exc
    audit_record(
        actor=actor,
        action="person.register",
        obj=record,
        division_code=community.code,
        source=source,
        changes={k: [None, v] for k, v in _person_audit_values(record).items()},
    )
    new_stay = _create_stay(actor=actor, person=record, values=stay_values, community=community, source=source)
    return Registration(person=record, stay=new_stay, warnings=checked.warnings)


@transaction.atomic
def stay_register(*, actor, person: Person, stay: StayInput, source: str = "web") -> Stay:
    """Add a stay for a person already on the register (someone who moved here)."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    values, community = stay_check(stay, actor=actor, person_birth_date=person.birth_date)
    return _create_stay(actor=actor, person=person, values=values, community=community, source=source)


@transaction.atomic
def stay_depart(*, actor, stay_id: int, departed_on: dt.date, destination: str = "", source: str = "web") -> Stay:
    """Record a departure (注销); the stay is kept as history, never deleted."""
    if not actor.can("stay.depart"):
        raise PermissionDenied()
    stay = scoped(Stay.objects.select_for_update(), actor).filter(pk=stay_id).first()
    if stay is None:
        raise NotFound()
    problems = []
    if stay.departed_on is not None:
        problems.append(FieldProblem("departed_on", "stay.already_departed", _("This stay has already ended")))
    elif departed_on is None:
        problems.append(FieldProblem("departed_on", "stay.departed_required", _("Departure date is required")))
    elif departed_on < stay.arrived_on:
        problems.append(
            FieldProblem("departed_on", "stay.departed_before_arrival", _("Departure date is before the arrival date"))
        )
    elif departed_on > timezone.localdate():
        problems.append(FieldProblem("departed_on", "stay.departed_future", _("Departure date is in the future")))
    if problems:
        raise InvalidInput(problems)
    before = {"departed_on": stay.departed_on, "destination": stay.destination}
    stay.departed_on = departed_on
    stay.destination = (destination or "").strip()[:200]
    stay.save(update_fields=["departed_on", "destination"])
    audit_record(
        actor=actor,
        action="stay.depart",
        obj=stay,
        division_code=stay.community_id,
        source=source,
        changes=diff(before, {"departed_on": stay.departed_on, "destination": stay.destination}),
    )
    return stay


@transaction.atomic
def person_reveal(*, actor, person_id: int, purpose: str, source: str = "web") -> dict:
    """Unmasked document number and phone, for a stated purpose that the audit chain keeps."""
    if not actor.can("person.reveal"):
        raise PermissionDenied()
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 4:
        raise InvalidInput(
            [
                FieldProblem(
                    "purpose",
                    "reveal.purpose_required",
                    _("State why you need the full number (at least 4 characters)"),
                )
            ]
        )
    person = scoped(Person.objects.all(), actor).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    audit_record(
        actor=actor,
        action="person.reveal",
        obj=person,
        division_code=actor.division_id or "",
        purpose=purpose[:200],
        source=source,
        changes={"fields": ["doc_number", "phone"]},
    )
    return {"doc_number": person.doc_number, "phone": person.phone}
