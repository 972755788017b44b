"""Person writes: registration with duplicate checks, contact changes, and audited reveals."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import DocumentError, china_today, parse_document, rule_message, validate_mobile
from liuguan.core.pinyin import name_initials, name_pinyin
from liuguan.core.scoping import scoped

from ..codes import ETHNICITIES, DocType, Education, Marital, Sex, SourceChannel
from ..duplicates import Candidate, likely_duplicates
from ..history import field_changes_record
from ..models import DuplicateReview, Person, Stay
from .stays import StayInput, _create_stay, bulletins_refresh, stay_check

ETHNICITY_CODES = {code for code, _name in ETHNICITIES}
# Django recomputes `.values` on every access; these checks run for every imported row.
DOC_TYPES = frozenset(DocType.values)
SEXES = frozenset(Sex.values)
EDUCATIONS = frozenset(Education.values)
MARITALS = frozenset(Marital.values)
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
    if data.doc_type not in DOC_TYPES:
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
        elif values["birth_date"] > china_today():
            problems.append(FieldProblem("birth_date", "person.birth_date_future", _("Birth date is in the future")))
        if values.get("sex") not in SEXES:
            problems.append(FieldProblem("sex", "person.sex_required", _("Sex is required (M or F)")))
    if values["ethnicity"] not in ETHNICITY_CODES:
        problems.append(FieldProblem("ethnicity", "gb3304.code", _("Ethnicity must be a GB 3304 code")))
    if values["education"] and values["education"] not in EDUCATIONS:
        problems.append(FieldProblem("education", "gb4658.code", _("Unknown education level")))
    if values["marital_status"] and values["marital_status"] not in MARITALS:
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


def _person_audit_values(person: Person) -> dict:
    return {f: getattr(person, f) for f in PERSON_AUDITED_FIELDS}


class LikelyDuplicate(Conflict):
    """People who are probably the one being registered; the collector must say whether they are."""

    def __init__(self, candidates):
        super().__init__(
            _("This may be someone already registered. Open them, or confirm this is a different person."),
            field="doc_number",
            rule="person.likely_duplicate",
        )
        self.candidates = candidates
        self.extra = {
            "candidates": [
                {
                    "id": c.person.pk,
                    "name": c.person.name,
                    "doc_number_masked": c.person.doc_number_masked,
                    "birth_date": c.person.birth_date.isoformat(),
                    "reasons": c.reasons,
                }
                for c in candidates
            ]
        }


def _duplicate_reviews_record(*, actor, candidates, registered, decision, source):
    for candidate in candidates:
        review = DuplicateReview.objects.create(
            candidate=candidate.person,
            registered=registered,
            decision=decision,
            reasons=candidate.reasons,
            actor=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            action="person.duplicate_review",
            obj=review,
            source=source,
            division_code=getattr(actor, "division_id", "") or "",
            changes={
                "candidate": candidate.person.pk,
                "registered": getattr(registered, "pk", None),
                "decision": decision,
                "reasons": candidate.reasons,
            },
        )


@transaction.atomic
def duplicate_confirm_same(*, actor, candidate_id: int, name: str = "", source: str = "web") -> Person:
    """The collector says the likely duplicate IS the person at the door: record it and use that person."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    person = scoped(Person.objects.all(), actor).filter(pk=candidate_id).first()
    if person is None:
        raise NotFound()
    _duplicate_reviews_record(
        actor=actor,
        candidates=[Candidate(person=person, reasons=["confirmed_by_collector"])],
        registered=None,
        decision=DuplicateReview.Decision.SAME,
        source=source,
    )
    return person


def person_save_new(*, actor, values: dict, channel: str, division_code: str, source: str) -> Person:
    """Save a person checked by `person_check` and audit the registration; a second person with the same
    document (a concurrent registration) is refused like the first check refuses it. Call inside a transaction.
    """
    record = Person(created_by=actor if getattr(actor, "pk", None) else None, source_channel=channel, **values)
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as exc:
        # Another registration of the same document won the race: same answer as the check before saving.
        raise Conflict(
            _("A person with this document number is already registered"),
            field="doc_number",
            rule="person.one_per_document",
        ) from exc
    audit_record(
        actor=actor,
        action="person.register",
        obj=record,
        division_code=division_code,
        source=source,
        changes={k: [None, v] for k, v in _person_audit_values(record).items()},
    )
    return record


@transaction.atomic
def person_register(
    *,
    actor,
    person: PersonInput,
    stay: StayInput,
    source: str = "web",
    not_duplicate_of=(),
    channel: str = SourceChannel.COLLECTOR,
) -> Registration:
    """Register a new person with their first stay; one document number is one person, ever.

    Likely duplicates (same pinyin and birth date, a number one digit away, ...) inside the actor's scope
    stop the registration until the collector confirms, by listing their ids in `not_duplicate_of`, that
    this is a different person; the confirmation is recorded.
    """
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
    candidates = likely_duplicates(
        name=values["name"],
        name_pinyin=values["name_pinyin"],
        birth_date=values.get("birth_date"),
        doc_type=values["doc_type"],
        doc_number=values["doc_number"],
        queryset=scoped(Person.objects.all(), actor),
        sex=values.get("sex") or "",
        phone=values.get("phone") or "",
        hukou_code=values.get("hukou_code") or "",
        nationality=values.get("nationality") or "",
    )
    confirmed = {int(pk) for pk in not_duplicate_of or ()}
    if any(c.person.pk not in confirmed for c in candidates):
        raise LikelyDuplicate([c for c in candidates if c.person.pk not in confirmed])
    record = person_save_new(actor=actor, values=values, channel=channel, division_code=community.code, source=source)
    new_stay = _create_stay(actor=actor, person=record, values=stay_values, community=community, source=source)
    _duplicate_reviews_record(
        actor=actor,
        candidates=candidates,
        registered=record,
        decision=DuplicateReview.Decision.DIFFERENT,
        source=source,
    )
    return Registration(person=record, stay=new_stay, warnings=checked.warnings)


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


@transaction.atomic
def person_update_contact(
    *,
    actor,
    person_id: int,
    phone: str,
    channel: str = SourceChannel.COLLECTOR,
    device_time=None,
    source: str = "web",
) -> Person:
    """A new phone number replaces the old one; the history keeps who changed it, when and how."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    person = scoped(Person.objects.select_for_update(), actor).filter(pk=person_id).first()
    if person is None:
        raise NotFound()
    try:
        new_phone = validate_mobile(phone) if phone else ""
    except DocumentError as exc:
        raise InvalidInput([FieldProblem("phone", exc.rule, exc.message)]) from exc
    if new_phone == person.phone:
        return person
    changes = {"phone": (person.phone, new_phone)}
    person.phone = new_phone
    person.save(update_fields=["phone", "updated_at"])
    event = audit_record(
        actor=actor,
        action="person.update",
        obj=person,
        source=source,
        division_code=getattr(actor, "division_id", "") or "",
        changes={k: list(v) for k, v in changes.items()},
    )
    field_changes_record(
        actor=actor, obj=person, changes=changes, channel=channel, device_time=device_time, audit_event=event
    )
    bulletins_refresh([person.pk], actor=actor, source=source)
    return person
