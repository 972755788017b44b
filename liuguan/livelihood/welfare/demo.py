"""The demo province's health, work and training: medical cover for most people (the scheme mix follows the
hukou: a county's hukou, GB/T 2260 codes 21-80, counts as rural and is mostly in resident insurance), remote-
treatment filings for some insured elsewhere, job seekers (about half placed with an employer of their community)
and a vocational course per township with enrolments and completions. The demo department's subsystem (made by
`demo`) gets grants on `medical_cover` and `remote_treatment` to try the hub with.

Rows are written in bulk without audit events, as demo data (the services write the audited ones); about a
second per 10,000 people.
"""

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction

from liuguan.core.identity import china_today
from liuguan.exchange.models import Department
from liuguan.geo.models import Office
from liuguan.registry.models import Employer, Stay

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

RURAL_MIX = [(Scheme.RESIDENT, 70), (Scheme.EMPLOYEE, 20), (Scheme.NEW_RURAL, 4), (Scheme.NONE, 6)]
URBAN_MIX = [(Scheme.EMPLOYEE, 60), (Scheme.RESIDENT, 30), (Scheme.COMMERCIAL, 5), (Scheme.NONE, 5)]
COURSES = [
    ("电工上岗培训", "vocational", True),
    ("家政服务员培训", "vocational", True),
    ("建筑施工安全培训", "safety", False),
    ("SYB创业培训", "entrepreneurship", True),
]


def is_rural(hukou_code: str) -> bool:
    """A hukou in a county (GB/T 2260 county-level codes 21-80) rather than a city district or county-level city."""
    return len(hukou_code) == 6 and hukou_code[4:6].isdigit() and 21 <= int(hukou_code[4:6]) <= 80


def _pick(rng: random.Random, mix) -> str:
    return rng.choices([s for s, _w in mix], weights=[w for _s, w in mix])[0]


@transaction.atomic
def welfare_demo(*, seed: int = 1, today: dt.date | None = None) -> dict[str, int]:
    """Replace the welfare tables' rows with a generated set; returns how many of each."""
    rng = random.Random(seed)
    today = today or china_today()
    for model in (TrainingEnrolment, Training, JobSeeker, FamilyPlanningService, RemoteTreatmentFiling, MedicalCover):
        model.objects.all().delete()
    rows = (
        Stay.objects.filter(departed_on__isnull=True)
        .order_by("person_id", "-arrived_on")
        .values_list(
            "person_id", "community_id", "arrived_on", "person__hukou_code", "person__sex", "person__birth_date"
        )
    )
    people, seen = [], set()
    for row in rows.iterator(chunk_size=5000):
        if row[0] not in seen:
            seen.add(row[0])
            people.append(row)
    employers = defaultdict(list)
    for pk, community in Employer.objects.values_list("pk", "community_id"):
        employers[community].append(pk)
    stations = dict(Office.objects.filter(kind="station").values_list("division_id", "pk"))
    health = Department.objects.filter(code="health").first()

    covers, filings, services, seekers = [], [], [], []
    for person_id, community, arrived, hukou, sex, birth in people:
        age = (today - birth).days // 365
        if rng.random() < 0.88:
            scheme = _pick(rng, RURAL_MIX if is_rural(hukou or "") else URBAN_MIX)
            insured = hukou or ""
            if scheme == Scheme.EMPLOYEE and rng.random() < 0.5:
                insured = community[:6]  # insured where they work
            start = dt.date(2016, 1, 1) if scheme == Scheme.NEW_RURAL else max(arrived - dt.timedelta(days=400), birth)
            covers.append(
                MedicalCover(
                    person_id=person_id,
                    scheme=scheme,
                    insured_place="" if scheme in (Scheme.NONE, Scheme.COMMERCIAL) else insured,
                    valid_from=start,
                    valid_to=dt.date(2016, 12, 31) if scheme == Scheme.NEW_RURAL else None,
                    source=CoverSource.DECLARED,
                )
            )
            if insured and insured[:6] != community[:6] and scheme != Scheme.NEW_RURAL and rng.random() < 0.12:
                filed = min(today, arrived + dt.timedelta(days=rng.randint(10, 300)))
                until = filed + dt.timedelta(days=365)
                status = "expired" if until < today else rng.choice(["approved", "approved", "approved", "filed"])
                filings.append(
                    RemoteTreatmentFiling(
                        person_id=person_id,
                        insured_place=insured,
                        treatment_place_id=community[:6],
                        reason=rng.choice(["residence", "residence", "work", "referral"]),
                        filed_on=filed,
                        valid_until=until,
                        status=status,
                        decided_on=filed + dt.timedelta(days=3) if status != "filed" else None,
                    )
                )
        if sex == "F" and 20 <= age <= 45 and rng.random() < 0.08:
            office = stations.get(community)
            if office or health:
                services.append(
                    FamilyPlanningService(
                        person_id=person_id,
                        kind=rng.choice(["contraception", "prenatal_check", "pre_pregnancy", "child_health"]),
                        on=today - dt.timedelta(days=rng.randint(1, 360)),
                        office_id=office,
                        department=None if office else health,
                    )
                )
        if 18 <= age <= 55 and rng.random() < 0.05:
            registered = today - dt.timedelta(days=rng.randint(1, 365))
            choices = employers.get(community)
            placed = choices and rng.random() < 0.55
            seekers.append(
                JobSeeker(
                    person_id=person_id,
                    community_id=community,
                    registered_on=registered,
                    industry=rng.choice("CEFGHO"),
                    status="employed" if placed else rng.choice(["seeking", "seeking", "seeking", "withdrawn"]),
                    employer_id=rng.choice(choices) if placed else None,
                    placed_on=min(today, registered + dt.timedelta(days=rng.randint(5, 60))) if placed else None,
                )
            )
    MedicalCover.objects.bulk_create(covers, batch_size=2000)
    RemoteTreatmentFiling.objects.bulk_create(filings, batch_size=2000)
    FamilyPlanningService.objects.bulk_create(services, batch_size=2000)
    JobSeeker.objects.bulk_create(seekers, batch_size=2000)

    # One course per township (at its first community with people); some people of the township enrol.
    by_township = defaultdict(list)
    for person_id, community, *_rest in people:
        by_township[community[:9]].append((person_id, community))
    trainings = []
    for township in sorted(by_township):
        residents = by_township[township]
        name, kind, subsidised = COURSES[len(trainings) % len(COURSES)]
        starts = today - dt.timedelta(days=rng.randint(20, 200))
        trainings.append(
            Training(
                name=name,
                provider=f"{name[:2]}职业技能培训学校",
                kind=kind,
                subsidised=subsidised,
                community_id=min(c for _p, c in residents),
                starts_on=starts,
                ends_on=starts + dt.timedelta(days=15),
                places=max(30, len(residents) // 10),
            )
        )
    Training.objects.bulk_create(trainings, batch_size=2000)
    enrolments, number = [], 0
    for township, training in zip(sorted(by_township), trainings, strict=True):
        residents = by_township[township]
        for person_id, _community in rng.sample(residents, min(len(residents) // 12, training.places)):
            status = rng.choices(["completed", "enrolled", "dropped"], weights=[65, 20, 15])[0]
            number += 1
            enrolments.append(
                TrainingEnrolment(
                    person_id=person_id,
                    training=training,
                    community_id=training.community_id,
                    enrolled_on=training.starts_on,
                    status=status,
                    completed_on=training.ends_on if status == "completed" else None,
                    certificate_number=f"PX{today.year}{number:06d}" if status == "completed" else "",
                )
            )
    TrainingEnrolment.objects.bulk_create(enrolments, batch_size=2000)
    granted = _demo_grants(today)
    return {
        "grants": granted,
        "medical_cover": len(covers),
        "remote_treatment": len(filings),
        "family_planning": len(services),
        "job_seekers": len(seekers),
        "trainings": len(by_township),
        "enrolments": len(enrolments),
    }


def _demo_grants(today: dt.date) -> int:
    """Grants on the two health datasets for the demo department's subsystem, in the area of its residence grant,
    issued through the hub's service as the province administrator (audited); once.
    """
    from liuguan.accounts.models import User
    from liuguan.exchange.models import Grant
    from liuguan.exchange.services.grants import grant_issue

    officer = User.objects.filter(username="province").first()
    residence = Grant.objects.filter(dataset_id="residence", subsystem__code="population-check").first()
    if officer is None or residence is None:
        return 0
    issued = 0
    for dataset, fields, purpose in (
        ("medical_cover", ["doc_number", "scheme", "insured_place", "valid_from", "valid_to"], "异地就医结算参保核验"),
        (
            "remote_treatment",
            ["doc_number", "insured_place", "treatment_place", "status", "valid_until"],
            "异地就医备案核验",
        ),
    ):
        if Grant.objects.filter(subsystem=residence.subsystem, dataset_id=dataset).exists():
            continue
        grant_issue(
            actor=officer,
            subsystem_id=residence.subsystem_id,
            dataset=dataset,
            fields=fields,
            ways=["query", "feed"],
            purpose=purpose,
            area_code=residence.area_id,
            valid_from=today,
            expires_on=today + dt.timedelta(days=365),
            source="cli",
        )
        issued += 1
    return issued
