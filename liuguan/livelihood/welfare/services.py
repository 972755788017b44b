"""Writes of health, family planning, work and training. Each service checks the role, finds its objects inside
the actor's scope (outside looks missing), validates, writes and audits in one transaction.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped
from liuguan.exchange.models import Department
from liuguan.geo.models import Office
from liuguan.registry.codes import Industry

from . import selectors
from .models import (
    CoverSource,
    FamilyPlanningService,
    JobSeeker,
    MedicalCover,
    RemoteTreatmentFiling,
    Scheme,
    Training,
    TrainingEnrolment,
)


def _who(actor):
    return actor if getattr(actor, "pk", None) and hasattr(actor, "_meta") else None


def _require(actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied()


def _division_code_ok(code: str) -> bool:
    return code.isdigit() and len(code) in (2, 4, 6, 9, 12)


def _check(problems: list[FieldProblem]) -> None:
    if problems:
        raise InvalidInput(problems)


def _text(value, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


# Health and family planning ------------------------------------------------------------------------------------


def medical_cover_record(
    *,
    actor,
    person_id: int,
    scheme: str,
    valid_from: dt.date,
    insured_place: str = "",
    valid_to: dt.date | None = None,
    source: str = "web",
) -> MedicalCover:
    """The person declares which medical scheme covers them and where they are insured (any division in China);
    a scheme other than none needs the insured place.
    """
    _require(actor, "welfare.record")
    insured_place = _text(insured_place, 12)
    problems = []
    if scheme not in Scheme.values:
        problems.append(FieldProblem("scheme", "welfare.scheme", _("Not a medical scheme")))
    if scheme not in (Scheme.NONE, Scheme.COMMERCIAL) and not insured_place:
        problems.append(FieldProblem("insured_place", "welfare.insured_place_required", _("Give the insured place")))
    if insured_place and not _division_code_ok(insured_place):
        problems.append(FieldProblem("insured_place", "welfare.insured_place", _("Give a division code")))
    if valid_from is None:
        problems.append(FieldProblem("valid_from", "welfare.valid_from", _("Give the first day of cover")))
    elif valid_to is not None and valid_to < valid_from:
        problems.append(FieldProblem("valid_to", "welfare.cover_term", _("The cover cannot end before it starts")))
    _check(problems)
    with transaction.atomic():
        person = selectors.person_in_scope(user=actor, person_id=person_id)
        cover = MedicalCover.objects.create(
            person=person,
            scheme=scheme,
            insured_place=insured_place,
            valid_from=valid_from,
            valid_to=valid_to,
            source=CoverSource.DECLARED,
            recorded_by=_who(actor),
        )
        audit_record(
            actor=actor,
            action="welfare.cover_record",
            obj=cover,
            changes={"person": person.pk, "scheme": scheme, "insured_place": insured_place, "valid_from": valid_from},
            source=source,
        )
    return cover


def remote_treatment_file(
    *,
    actor,
    person_id: int,
    insured_place: str,
    treatment_place: str,
    reason: str,
    filed_on: dt.date | None = None,
    valid_until: dt.date | None = None,
    source: str = "web",
) -> RemoteTreatmentFiling:
    """A filing for treatment here (a division inside the desk's area) away from the insured place; it is valid
    until a stated day after the filing (a long-term residence filing usually for a year).
    """
    _require(actor, "welfare.record")
    filed_on = filed_on or china_today()
    insured_place, treatment_place = _text(insured_place, 12), _text(treatment_place, 12)
    problems = []
    if not _division_code_ok(insured_place):
        problems.append(FieldProblem("insured_place", "welfare.insured_place", _("Give a division code")))
    if reason not in RemoteTreatmentFiling.Reason.values:
        problems.append(FieldProblem("reason", "welfare.reason", _("Not a reason for a filing")))
    if valid_until is None or valid_until <= filed_on:
        message = _("The filing must be valid after the day it is filed")
        problems.append(FieldProblem("valid_until", "welfare.filing_term", message))
    place = None
    try:
        place = selectors.division_in_scope(user=actor, code=treatment_place)
    except NotFound:
        problems.append(FieldProblem("treatment_place", "welfare.treatment_place", _("Give a division in your area")))
    if place is not None and insured_place and place.code.startswith(insured_place[:6]):
        message = _("Treatment in the insured place needs no filing")
        problems.append(FieldProblem("treatment_place", "welfare.same_place", message))
    _check(problems)
    with transaction.atomic():
        person = selectors.person_in_scope(user=actor, person_id=person_id)
        filing = RemoteTreatmentFiling.objects.create(
            person=person,
            insured_place=insured_place,
            treatment_place=place,
            reason=reason,
            filed_on=filed_on,
            valid_until=valid_until,
            recorded_by=_who(actor),
        )
        audit_record(
            actor=actor,
            action="welfare.filing_file",
            obj=filing,
            division_code=place.code,
            changes={"person": person.pk, "insured_place": insured_place, "reason": reason, "valid_until": valid_until},
            source=source,
        )
    return filing


def remote_treatment_decide(
    *, actor, filing_id: int, approve: bool, note: str = "", on: dt.date | None = None, source: str = "web"
) -> RemoteTreatmentFiling:
    """A filed filing is approved or refused once; a refusal says why."""
    _require(actor, "welfare.record")
    note = _text(note, 200)
    if not approve and not note:
        _check([FieldProblem("note", "welfare.refusal_reason", _("Say why the filing is refused"))])
    with transaction.atomic():
        filing = scoped(RemoteTreatmentFiling.objects.select_for_update(), actor).filter(pk=filing_id).first()
        if filing is None:
            raise NotFound()
        if filing.status != RemoteTreatmentFiling.Status.FILED:
            raise Conflict(_("This filing was already decided"), field="status", rule="welfare.filing_decided")
        before = filing.status
        filing.status = RemoteTreatmentFiling.Status.APPROVED if approve else RemoteTreatmentFiling.Status.REFUSED
        filing.decided_on = on or china_today()
        filing.note = note
        filing.save(update_fields=["status", "decided_on", "note", "updated_at"])
        audit_record(
            actor=actor,
            action="welfare.filing_decide",
            obj=filing,
            division_code=filing.treatment_place_id,
            changes={"status": [before, filing.status], "note": note},
            source=source,
        )
    return filing


def family_planning_record(
    *,
    actor,
    person_id: int,
    kind: str,
    on: dt.date,
    office_id: int | None = None,
    department_code: str = "",
    note: str = "",
    source: str = "web",
) -> FamilyPlanningService:
    """A service given by one provider: an office in the desk's area or a department (health commission)."""
    _require(actor, "welfare.record")
    problems = []
    if kind not in FamilyPlanningService.Kind.values:
        problems.append(FieldProblem("kind", "welfare.service_kind", _("Not a family planning service")))
    if on is None or on > china_today():
        problems.append(FieldProblem("on", "welfare.service_date", _("Give the day the service was given")))
    office = department = None
    if bool(office_id) == bool(department_code):
        message = _("Name one provider: an office or a department")
        problems.append(FieldProblem("office_id", "welfare.provider_one", message))
    elif office_id:
        office = scoped(Office.objects.all(), actor).filter(pk=office_id).first()
        if office is None:
            problems.append(FieldProblem("office_id", "welfare.provider_office", _("Not an office in your area")))
    else:
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            problems.append(FieldProblem("department_code", "welfare.provider_department", _("Not a department")))
    _check(problems)
    with transaction.atomic():
        person = selectors.person_in_scope(user=actor, person_id=person_id)
        service = FamilyPlanningService.objects.create(
            person=person,
            kind=kind,
            on=on,
            office=office,
            department=department,
            note=_text(note, 200),
            recorded_by=_who(actor),
        )
        audit_record(
            actor=actor,
            action="welfare.service_record",
            obj=service,
            changes={"person": person.pk, "kind": kind, "on": on, "office": office_id, "department": department_code},
            source=source,
        )
    return service


# Work -----------------------------------------------------------------------------------------------------------


def job_seeker_register(
    *,
    actor,
    person_id: int,
    industry: str = "",
    occupation: str = "",
    registered_on: dt.date | None = None,
    source: str = "web",
) -> JobSeeker:
    """A person with an open stay in the desk's area registers as seeking work; one open registration at a time."""
    _require(actor, "employment.record")
    registered_on = registered_on or china_today()
    occupation = _text(occupation, 60)
    problems = []
    if industry and industry not in Industry.values:
        problems.append(FieldProblem("industry", "welfare.industry", _("Not an industry")))
    if not industry and not occupation:
        message = _("Say which industry or occupation the person wants")
        problems.append(FieldProblem("occupation", "welfare.wanted_required", message))
    _check(problems)
    with transaction.atomic():
        person = selectors.person_in_scope(user=actor, person_id=person_id)
        stay = selectors.open_stay_here(user=actor, person=person, on=registered_on)
        if stay is None:
            message = _("The person has no current stay in your area")
            raise InvalidInput([FieldProblem("person_id", "welfare.no_stay_here", message)])
        if JobSeeker.objects.filter(person=person, status=JobSeeker.Status.SEEKING).exists():
            raise Conflict(
                _("The person is already registered as seeking work"), field="person_id", rule="welfare.seeking"
            )
        seeker = JobSeeker(
            person=person,
            community_id=stay.community_id,
            registered_on=registered_on,
            industry=industry,
            occupation=occupation,
        )
        try:
            with transaction.atomic():
                seeker.save(force_insert=True)
        except IntegrityError:
            raise Conflict(
                _("The person is already registered as seeking work"), field="person_id", rule="welfare.seeking"
            ) from None
        audit_record(
            actor=actor,
            action="welfare.seeker_register",
            obj=seeker,
            division_code=seeker.community_id,
            changes={"person": person.pk, "industry": industry, "occupation": occupation},
            source=source,
        )
    return seeker


def _seeker_for_update(actor, seeker_id: int) -> JobSeeker:
    seeker = scoped(JobSeeker.objects.select_for_update(), actor).filter(pk=seeker_id).first()
    if seeker is None:
        raise NotFound()
    if seeker.status != JobSeeker.Status.SEEKING:
        raise Conflict(_("The registration is no longer open"), field="status", rule="welfare.seeker_closed")
    return seeker


def job_seeker_place(
    *, actor, seeker_id: int, employer_id: int, placed_on: dt.date | None = None, source: str = "web"
) -> JobSeeker:
    """A seeker placed with an employer on the register (inside the desk's area) is employed from that day."""
    _require(actor, "employment.record")
    with transaction.atomic():
        seeker = _seeker_for_update(actor, seeker_id)
        try:
            employer = selectors.employer_in_scope(user=actor, employer_id=employer_id)
        except NotFound:
            raise InvalidInput(
                [FieldProblem("employer_id", "welfare.employer", _("Not an employer in your area"))]
            ) from None
        placed_on = placed_on or china_today()
        if placed_on < seeker.registered_on:
            message = _("The placement cannot be before the registration")
            raise InvalidInput([FieldProblem("placed_on", "welfare.placed_before", message)])
        before = {"status": seeker.status, "employer": None, "placed_on": None}
        seeker.status, seeker.employer, seeker.placed_on = JobSeeker.Status.EMPLOYED, employer, placed_on
        seeker.save(update_fields=["status", "employer", "placed_on", "updated_at"])
        after = {"status": seeker.status, "employer": employer.pk, "placed_on": placed_on}
        audit_record(
            actor=actor,
            action="welfare.seeker_place",
            obj=seeker,
            division_code=seeker.community_id,
            changes=diff(before, after),
            source=source,
        )
    return seeker


def job_seeker_withdraw(*, actor, seeker_id: int, source: str = "web") -> JobSeeker:
    """The person no longer seeks work through the station."""
    _require(actor, "employment.record")
    with transaction.atomic():
        seeker = _seeker_for_update(actor, seeker_id)
        seeker.status = JobSeeker.Status.WITHDRAWN
        seeker.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="welfare.seeker_withdraw",
            obj=seeker,
            division_code=seeker.community_id,
            changes={"status": ["seeking", "withdrawn"]},
            source=source,
        )
    return seeker


# Training -------------------------------------------------------------------------------------------------------


def training_create(
    *,
    actor,
    name: str,
    provider: str,
    kind: str,
    community_code: str,
    starts_on: dt.date,
    ends_on: dt.date,
    subsidised: bool = False,
    places: int = 30,
    source: str = "web",
) -> Training:
    """A course held in a community of the actor's area; a subsidised one is free to holders of a valid permit."""
    _require(actor, "training.manage")
    name, provider = _text(name, 120), _text(provider, 120)
    problems = []
    if not name:
        problems.append(FieldProblem("name", "welfare.course_name", _("Give the course's name")))
    if not provider:
        problems.append(FieldProblem("provider", "welfare.provider", _("Give the training provider")))
    if kind not in Training.Kind.values:
        problems.append(FieldProblem("kind", "welfare.course_kind", _("Not a kind of course")))
    if starts_on is None or ends_on is None or ends_on < starts_on:
        problems.append(FieldProblem("ends_on", "welfare.course_term", _("The course cannot end before it starts")))
    if places is None or places < 1:
        problems.append(FieldProblem("places", "welfare.places", _("A course has at least one place")))
    community = None
    try:
        community = selectors.division_in_scope(user=actor, code=community_code)
    except NotFound:
        problems.append(FieldProblem("community_code", "welfare.community", _("Give a community in your area")))
    if community is not None and len(community.code) != 12:
        problems.append(FieldProblem("community_code", "welfare.community", _("Give a community in your area")))
    _check(problems)
    with transaction.atomic():
        training = Training.objects.create(
            name=name,
            provider=provider,
            kind=kind,
            subsidised=subsidised,
            community=community,
            starts_on=starts_on,
            ends_on=ends_on,
            places=places,
        )
        audit_record(
            actor=actor,
            action="welfare.training_create",
            obj=training,
            division_code=community.code,
            changes={"name": name, "kind": kind, "subsidised": subsidised, "places": places},
            source=source,
        )
    return training


def training_enrol(
    *, actor, training_id: int, person_id: int, on: dt.date | None = None, source: str = "web"
) -> TrainingEnrolment:
    """A person joins a course that has not ended and has a place; a subsidised course needs the permit's training
    right (a valid residence permit of the kinds the area's rights profile names).
    """
    _require(actor, "employment.record")
    on = on or china_today()
    with transaction.atomic():
        training = scoped(Training.objects.select_for_update(), actor).filter(pk=training_id).first()
        if training is None:
            raise NotFound()
        person = selectors.person_in_scope(user=actor, person_id=person_id)
        if on > training.ends_on:
            raise InvalidInput([FieldProblem("training_id", "welfare.course_ended", _("The course has ended"))])
        if training.subsidised:
            right = selectors.training_right(person=person, on=on)
            if not right.granted:
                why = "; ".join(right.missing)
                message = _("A subsidised course needs the permit's training right: %(why)s") % {"why": why}
                raise InvalidInput([FieldProblem("person_id", "welfare.training_right", message)])
        if TrainingEnrolment.objects.filter(person=person, training=training).exists():
            raise Conflict(_("The person is already on this course"), field="person_id", rule="welfare.enrolled")
        taken = training.enrolments.exclude(status=TrainingEnrolment.Status.DROPPED).count()
        if taken >= training.places:
            raise Conflict(_("The course is full"), field="training_id", rule="welfare.course_full")
        enrolment = TrainingEnrolment.objects.create(
            person=person, training=training, community_id=training.community_id, enrolled_on=on
        )
        audit_record(
            actor=actor,
            action="welfare.enrol",
            obj=enrolment,
            division_code=training.community_id,
            changes={"person": person.pk, "training": training.pk, "subsidised": training.subsidised},
            source=source,
        )
    return enrolment


def _enrolment_for_update(actor, enrolment_id: int) -> TrainingEnrolment:
    enrolment = (
        scoped(TrainingEnrolment.objects.select_for_update(), actor)
        .select_related("training")
        .filter(pk=enrolment_id)
        .first()
    )
    if enrolment is None:
        raise NotFound()
    if enrolment.status != TrainingEnrolment.Status.ENROLLED:
        raise Conflict(_("The enrolment is already closed"), field="status", rule="welfare.enrolment_closed")
    return enrolment


def enrolment_complete(
    *, actor, enrolment_id: int, certificate_number: str, completed_on: dt.date | None = None, source: str = "web"
) -> TrainingEnrolment:
    """A completion carries the certificate's number and is not before the course starts."""
    _require(actor, "employment.record")
    certificate_number = _text(certificate_number, 40).upper()
    if not certificate_number:
        _check(
            [
                FieldProblem(
                    "certificate_number",
                    "welfare.certificate",
                    pgettext_lazy("training", "Give the certificate number"),
                )
            ]
        )
    with transaction.atomic():
        enrolment = _enrolment_for_update(actor, enrolment_id)
        completed_on = completed_on or china_today()
        if completed_on < enrolment.training.starts_on:
            message = _("The course cannot be completed before it starts")
            raise InvalidInput([FieldProblem("completed_on", "welfare.completed_early", message)])
        enrolment.status = TrainingEnrolment.Status.COMPLETED
        enrolment.completed_on = completed_on
        enrolment.certificate_number = certificate_number
        enrolment.save(update_fields=["status", "completed_on", "certificate_number", "updated_at"])
        audit_record(
            actor=actor,
            action="welfare.complete",
            obj=enrolment,
            division_code=enrolment.community_id,
            changes={"status": ["enrolled", "completed"], "certificate_number": certificate_number},
            source=source,
        )
    return enrolment


def enrolment_drop(*, actor, enrolment_id: int, source: str = "web") -> TrainingEnrolment:
    """The person left the course; the place is free again."""
    _require(actor, "employment.record")
    with transaction.atomic():
        enrolment = _enrolment_for_update(actor, enrolment_id)
        enrolment.status = TrainingEnrolment.Status.DROPPED
        enrolment.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="welfare.drop",
            obj=enrolment,
            division_code=enrolment.community_id,
            changes={"status": ["enrolled", "dropped"]},
            source=source,
        )
    return enrolment
