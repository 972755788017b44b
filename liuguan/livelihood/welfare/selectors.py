"""Reads of health, family planning, work and training: scoped lists, the person panel, the training right,
the figures per area, and the portal's own-records view (`welfare_for_person`).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today
from liuguan.core.scoping import get_scoped, jurisdiction, scoped, within
from liuguan.geo.models import Division, Office
from liuguan.registry.models import Employer, Person, Stay

from .models import FamilyPlanningService, JobSeeker, MedicalCover, RemoteTreatmentFiling, Training, TrainingEnrolment

# The permit right a subsidised course needs: Chengdu's profile names free vocational training; the national
# regulations (Order 663 Art. 12 (2)) count training among the basic public employment services.
TRAINING_RIGHTS = ("vocational_training", "employment_services")


def person_in_scope(*, user, person_id: int) -> Person:
    """The person, if the user may see them; outside and missing are both NotFound."""
    return get_scoped(Person.objects.all(), user, pk=person_id)


def open_stay_here(*, user, person: Person, on: dt.date | None = None) -> Stay | None:
    """The person's latest open stay inside the user's jurisdiction (where a desk registers them)."""
    code = jurisdiction(user)
    if code is None:
        return None
    on = on or china_today()
    return (
        Stay.objects.filter(within("community_id", code), person=person, departed_on__isnull=True, arrived_on__lte=on)
        .order_by("-arrived_on", "-id")
        .first()
    )


@dataclass
class TrainingRight:
    """Whether the person's permit grants the training right today, which right it is, and what is missing."""

    granted: bool
    code: str
    label: str
    profile: str
    missing: list[str] = field(default_factory=list)


def training_right(*, person: Person, on: dt.date | None = None) -> TrainingRight:
    """A subsidised course is a right of a valid residence permit: the right of the person's area profile
    (Chengdu: free vocational training; national: basic public employment services), read by the permit rules.
    """
    from liuguan.permits.facts import person_facts_explained
    from liuguan.permits.rights import rights_for
    from liuguan.permits.selectors_rights import missing_text

    on = on or china_today()
    explained = person_facts_explained(person, on)
    profile = explained.policy.rights_profile if explained.policy is not None else "national"
    verdicts = {v.code: v for v in rights_for(explained.facts, profile)}
    for code in TRAINING_RIGHTS:
        if code in verdicts:
            v = verdicts[code]
            return TrainingRight(v.granted, v.code, v.label, profile, [missing_text(m) for m in v.missing])
    return TrainingRight(False, "", "", profile, ["no training right in this area's profile"])


# The person panel ---------------------------------------------------------------------------------------------


@dataclass
class WelfarePanel:
    covers: list
    filings: list
    services: list
    seekers: list
    enrolments: list
    can_record: bool
    can_employ: bool


def person_welfare(*, user, person: Person) -> WelfarePanel | None:
    """What the person page shows of health, family planning, work and training; None for roles that see none."""
    can_health, can_work = user.can("welfare.view"), user.can("employment.view")
    if not (can_health or can_work):
        return None
    covers = filings = services = seekers = enrolments = []
    if can_health:
        covers = list(scoped(MedicalCover.objects.filter(person=person), user).select_related("department"))
        filings = list(
            scoped(RemoteTreatmentFiling.objects.filter(person=person), user).select_related("treatment_place")
        )
        services = list(
            scoped(FamilyPlanningService.objects.filter(person=person), user).select_related("office", "department")
        )
    if can_work:
        # A person's own job registrations and enrolments follow them: visible wherever the person is.
        seekers = list(JobSeeker.objects.filter(person=person).select_related("employer", "community"))
        enrolments = list(TrainingEnrolment.objects.filter(person=person).select_related("training"))
    return WelfarePanel(
        covers,
        filings,
        services,
        seekers,
        enrolments,
        can_record=user.can("welfare.record"),
        can_employ=user.can("employment.record"),
    )


def offices_for(*, user) -> list[Office]:
    return list(scoped(Office.objects.all(), user)[:200])


# Lists for the desk --------------------------------------------------------------------------------------------


def job_seeker_list(*, user, status: str = "", limit: int = 200) -> list[JobSeeker]:
    rows = scoped(JobSeeker.objects.all(), user).select_related("person", "employer", "community")
    if status:
        rows = rows.filter(status=status)
    return list(rows[:limit])


def job_seeker_get(*, user, seeker_id: int) -> JobSeeker:
    return get_scoped(JobSeeker.objects.select_related("person", "employer"), user, pk=seeker_id)


def training_list(*, user, limit: int = 200) -> list[Training]:
    rows = scoped(Training.objects.all(), user).annotate(
        enrolled=Count("enrolments", filter=~Q(enrolments__status=TrainingEnrolment.Status.DROPPED)),
        completed=Count("enrolments", filter=Q(enrolments__status=TrainingEnrolment.Status.COMPLETED)),
    )
    return list(rows.select_related("community")[:limit])


def training_get(*, user, training_id: int) -> Training:
    return get_scoped(Training.objects.select_related("community"), user, pk=training_id)


def enrolment_list(*, user, training: Training) -> list[TrainingEnrolment]:
    return list(scoped(TrainingEnrolment.objects.filter(training=training), user).select_related("person"))


def enrolment_get(*, user, enrolment_id: int) -> TrainingEnrolment:
    return get_scoped(TrainingEnrolment.objects.select_related("training", "person"), user, pk=enrolment_id)


def employer_in_scope(*, user, employer_id: int) -> Employer:
    return get_scoped(Employer.objects.all(), user, pk=employer_id)


def division_in_scope(*, user, code: str) -> Division:
    """A division inside the user's jurisdiction; NotFound otherwise."""
    area = jurisdiction(user)
    if area is None or not code.startswith(area):
        raise NotFound()
    division = Division.objects.filter(code=code).first()
    if division is None:
        raise NotFound()
    return division


# Figures per area -----------------------------------------------------------------------------------------------


@dataclass
class AreaFigures:
    code: str
    name: str
    job_seekers: int = 0
    placed: int = 0
    enrolments: int = 0
    completions: int = 0

    @property
    def placement_rate(self) -> float | None:
        return round(self.placed / self.job_seekers, 3) if self.job_seekers else None

    @property
    def completion_rate(self) -> float | None:
        return round(self.completions / self.enrolments, 3) if self.enrolments else None


def _child_length(code: str) -> int:
    return {2: 4, 4: 6, 6: 9}.get(len(code), 12)


def work_figures(*, user, year: int | None = None) -> list[AreaFigures]:
    """Per child area of the user's jurisdiction: job seekers registered, of them placed with an employer; course
    enrolments (dropped ones included: they enrolled), of them completed. `year` counts registrations and
    enrolments of that year only.
    """
    code = jurisdiction(user)
    if code is None:
        return []
    size = _child_length(code)
    seekers = scoped(JobSeeker.objects.all(), user)
    enrolments = scoped(TrainingEnrolment.objects.all(), user)
    if year:
        seekers = seekers.filter(registered_on__year=year)
        enrolments = enrolments.filter(enrolled_on__year=year)
    figures: dict[str, AreaFigures] = {}

    def row(community: str) -> AreaFigures:
        key = community[:size]
        if key not in figures:
            figures[key] = AreaFigures(key, "")
        return figures[key]

    for community, status, n in seekers.values_list("community_id", "status").annotate(n=Count("id")):
        r = row(community)
        r.job_seekers += n
        if status == JobSeeker.Status.EMPLOYED:
            r.placed += n
    for community, status, n in enrolments.values_list("community_id", "status").annotate(n=Count("id")):
        r = row(community)
        r.enrolments += n
        if status == TrainingEnrolment.Status.COMPLETED:
            r.completions += n
    names = dict(Division.objects.filter(code__in=list(figures)).values_list("code", "name"))
    for key, r in figures.items():
        r.name = names.get(key, key)
    return sorted(figures.values(), key=lambda r: r.code)


# The portal's own records ----------------------------------------------------------------------------------------


def welfare_for_person(*, person: Person) -> dict:
    """The person's own records for the portal's "my records": medical cover, remote-treatment filings, job-seeker
    registrations and training enrolments (each with `get_status_display()` where it has a status, and
    `updated_at`). Only this person's rows: the portal passes the signed-in migrant's own person.
    """
    return {
        "cover": list(MedicalCover.objects.filter(person=person).order_by("-valid_from", "-id")),
        "filings": list(
            RemoteTreatmentFiling.objects.filter(person=person).select_related("treatment_place").order_by("-filed_on")
        ),
        "job_seekers": list(JobSeeker.objects.filter(person=person).select_related("employer").order_by("-id")),
        "trainings": list(
            TrainingEnrolment.objects.filter(person=person).select_related("training").order_by("-enrolled_on", "-id")
        ),
    }
