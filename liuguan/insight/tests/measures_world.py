"""Hand-made rows for the insight tests: each maker writes one row of a table a measure counts, straight to the
database (the services are exercised in test_rollup.py), with the fewest fields the row needs.

`province()` spreads a seeded random mix of every kind over the fixture tree's communities: the "small generated
province" the cells are compared with the live tables on.
"""

import datetime as dt
import itertools
import random

from django.utils import timezone

from liuguan.conftest import citizen_id
from liuguan.registry.models import Employer, House, Lodging, Person, Stay

_seq = itertools.count(1)

COMMUNITIES = ("510104001001", "510104001002", "510104002001", "510107001001", "510703001001")
CHINA_NOON = dt.time(12, 0)


def at(day: dt.date, time: dt.time = CHINA_NOON) -> dt.datetime:
    """A moment on a China day (the measures read timestamps in China time)."""
    return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_fixed_timezone(8 * 60))


def person(*, sex="M", birth=dt.date(1990, 3, 7), hukou="511321", nationality="CHN") -> Person:
    n = next(_seq)
    return Person.objects.create(
        doc_type="citizen_id" if nationality == "CHN" else "passport",
        doc_number=citizen_id(hukou or "511321", birth.strftime("%Y%m%d"), f"{n % 1000:03d}")
        if nationality == "CHN"
        else f"P{n:08d}",
        name=f"人{n}",
        name_pinyin=f"ren{n}",
        name_initials="r",
        sex=sex,
        birth_date=birth,
        hukou_code=hukou,
        nationality=nationality,
    )


def stay(
    community: str = COMMUNITIES[0],
    *,
    who: Person | None = None,
    arrived: dt.date = dt.date(2024, 3, 10),
    departed: dt.date | None = None,
    registered: dt.datetime | None = None,
    late: bool = False,
    verified: dt.date | None = None,
    house: House | None = None,
    employer: Employer | None = None,
    lodging: Lodging | None = None,
    reason: str = "work",
) -> Stay:
    return Stay.objects.create(
        person=who or person(),
        community_id=community,
        reason=reason,
        arrived_on=arrived,
        departed_on=departed,
        registered_at=registered or at(arrived),
        late=late,
        verified_on=verified,
        house=house,
        employer=employer,
        lodging=lodging,
        source_channel="collector",
    )


def house(community: str = COMMUNITIES[0], *, kind: str = "rental", is_rented: bool = False) -> House:
    return House.objects.create(community_id=community, address=f"街 {next(_seq)} 号", kind=kind, is_rented=is_rented)


def employer(community: str = COMMUNITIES[0], *, industry: str = "C") -> Employer:
    return Employer.objects.create(community_id=community, name=f"厂 {next(_seq)}", industry=industry)


def lodging(community: str = COMMUNITIES[0]) -> Lodging:
    return Lodging.objects.create(community_id=community, name=f"旅馆 {next(_seq)}")


def filing(of: House, *, status: str = "active"):
    from liuguan.compliance.models import TenancyFiling

    return TenancyFiling.objects.create(
        number=f"TF{next(_seq):08d}",
        house=of,
        community_id=of.community_id,
        landlord_name="房东",
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2027, 1, 1),
        status=status,
        ended_on=dt.date(2025, 6, 1) if status == "ended" else None,
    )


def _policy():
    from liuguan.permits.models import PermitPolicy

    loaded = PermitPolicy.objects.filter(code="national").first()  # the shipped one, when a test loaded them
    if loaded is not None:
        return loaded
    policy, _created = PermitPolicy.objects.get_or_create(
        code="test",
        version="1",
        defaults={"title": "测试", "effective_from": dt.date(2016, 1, 1), "content": {}},
    )
    return policy


def permit(community: str = COMMUNITIES[0], *, kind: str = "permit", status: str = "valid"):
    from liuguan.permits.models import Application, Permit

    holder = stay(community)
    n = next(_seq)
    application = Application.objects.create(
        number=f"A{n:08d}",
        person=holder.person,
        stay=holder,
        community_id=community,
        permit_kind=kind,
        condition="employment",
        policy=_policy(),
        status="approved",
    )
    return Permit.objects.create(
        number=f"P{n:08d}",
        person=holder.person,
        application=application,
        community_id=community,
        kind=kind,
        policy=application.policy,
        status=status,
        issued_on=dt.date(2025, 5, 1),
        counted_from=dt.date(2025, 5, 1),
        issuer="公安局",
        address="街 1 号",
        token_nonce=f"n{n}",
    )


def school(community: str = COMMUNITIES[0], *, kind: str = "public"):
    from liuguan.livelihood.schooling.models import School

    return School.objects.create(
        name=f"学校 {next(_seq)}", kind=kind, levels=["primary", "junior"], community_id=community
    )


def school_record(at_school, *, level: str = "primary", ended: dt.date | None = None, child: Person | None = None):
    from liuguan.livelihood.schooling.models import SchoolRecord

    return SchoolRecord.objects.create(
        child=child or person(birth=dt.date(2016, 5, 1)),
        school=at_school,
        level=level,
        started_on=dt.date(2024, 9, 1),
        ended_on=ended,
        end_reason="left" if ended else "",
    )


def school_application(community: str = COMMUNITIES[0], *, status: str = "placed", year: int = 2026):
    from liuguan.livelihood.schooling.models import SchoolApplication

    return SchoolApplication.objects.create(
        number=f"SA{next(_seq):08d}",
        child=person(birth=dt.date(2019, 5, 1)),
        guardian=person(),
        level="primary",
        school_year=year,
        community_id=community,
        status=status,
    )


def enrolment(community: str = COMMUNITIES[0], *, subsidised=True, status="enrolled", on=dt.date(2026, 3, 1)):
    from liuguan.livelihood.welfare.models import Training, TrainingEnrolment

    course = Training.objects.create(
        name="焊工",
        provider="职校",
        kind="vocational",
        subsidised=subsidised,
        community_id=community,
        starts_on=on,
        ends_on=on + dt.timedelta(days=30),
    )
    return TrainingEnrolment.objects.create(
        person=person(), training=course, community_id=community, status=status, enrolled_on=on
    )


def treatment(place: str = "510104", *, status: str = "approved", filed=dt.date(2026, 2, 1)):
    from liuguan.livelihood.welfare.models import RemoteTreatmentFiling

    return RemoteTreatmentFiling.objects.create(
        person=person(),
        insured_place="511321",
        treatment_place_id=place,
        reason="residence",
        filed_on=filed,
        valid_until=filed + dt.timedelta(days=365),
        status=status,
    )


def job_seeker(community: str = COMMUNITIES[0], *, status: str = "seeking", on=dt.date(2026, 1, 5)):
    from liuguan.livelihood.welfare.models import JobSeeker

    return JobSeeker.objects.create(person=person(), community_id=community, registered_on=on, status=status)


def legal_aid(community: str = COMMUNITIES[0], *, status: str = "accepted"):
    from liuguan.livelihood.legalaid.models import LegalAidRequest

    return LegalAidRequest.objects.create(
        person=person(),
        kind="wage_arrears",
        description="欠薪",
        community_id=community,
        channel="station",
        status=status,
    )


def spot_round(division: str = "510104", *, start=dt.date(2026, 1, 1)):
    from liuguan.oversight.models import SpotCheckRound

    return SpotCheckRound.objects.create(
        number=f"SC{next(_seq):06d}",
        division_id=division,
        period_start=start,
        period_end=start + dt.timedelta(days=30),
        sample_size=5,
        seed=1,
        due_on=start + dt.timedelta(days=60),
    )


def stratum(of_round, collector, community: str, records: int, drawn: int = 0):
    from liuguan.oversight.models import SpotCheckStratum

    return SpotCheckStratum.objects.create(
        round=of_round, collector=collector, community=community, records=records, drawn=drawn
    )


def spot_check(of_round, collector, community: str, *, outcome: str = "right", done: dt.date = dt.date(2026, 2, 10)):
    """outcome: 'right', 'wrong' (a field corrected), 'unreachable' or 'assigned' (not done yet)."""
    from liuguan.oversight.models import SpotCheck

    checked = stay(community)
    status = {"right": "done", "wrong": "done", "unreachable": "unreachable", "assigned": "assigned"}[outcome]
    return SpotCheck.objects.create(
        round=of_round,
        stay=checked,
        person=checked.person,
        community_id=community,
        collector=collector,
        status=status,
        fields_checked=3 if status == "done" else 0,
        fields_corrected=1 if outcome == "wrong" else 0,
        results={"address": {"verdict": "corrected" if outcome == "wrong" else "confirmed"}}
        if status == "done"
        else {},
        done_at=None if outcome == "assigned" else at(done),
    )


def grid_event(community: str = COMMUNITIES[0], *, state="discovered", late=False, reported=dt.date(2026, 4, 2)):
    from liuguan.grid.models import GridEvent

    return GridEvent.objects.create(
        number=f"G{next(_seq):08d}",
        community_id=community,
        category_id="rental_house_safety",
        source="field",
        channel="none",
        description="楼道堆放杂物",
        state=state,
        accept_overdue=late,
        created_at=at(reported),
        closed_at=at(reported + dt.timedelta(days=3)) if state in ("closed", "closed_not_fixed") else None,
    )


def province(seed: int = 1, size: int = 40, collectors=(None,)) -> None:
    """A seeded random mix of every row the measures count, over the fixture tree's communities (and the county
    of treatment for the remote-treatment filings).
    """
    rng = random.Random(seed)
    houses = [
        house(c, kind=rng.choice(["rental", "owned", "dormitory"]), is_rented=rng.random() < 0.3) for c in COMMUNITIES
    ]
    houses += [house(c) for c in COMMUNITIES]
    employers = [employer(c, industry=rng.choice("CEFH")) for c in COMMUNITIES]
    lodgings = [lodging(c) for c in COMMUNITIES[:2]]
    for h in houses:
        if rng.random() < 0.5:
            filing(h, status=rng.choice(["active", "active", "ended"]))
    for _ in range(size):
        community = rng.choice(COMMUNITIES)
        arrived = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(0, 5 * 365))
        departed = arrived + dt.timedelta(days=rng.randrange(1, 400)) if rng.random() < 0.3 else None
        at_house = rng.choice([h for h in houses if h.community_id == community] + [None])
        stay(
            community,
            who=person(
                sex=rng.choice("MF"),
                birth=dt.date(rng.randrange(1950, 2020), rng.randrange(1, 13), 1),
                hukou=rng.choice(["511321", "500101", "420106", ""]),
                nationality="CHN" if rng.random() < 0.95 else "VNM",
            ),
            arrived=arrived,
            departed=departed if departed and departed <= dt.date(2026, 6, 30) else None,
            registered=at(arrived + dt.timedelta(days=rng.randrange(0, 20)), dt.time(rng.randrange(0, 24), 30)),
            late=rng.random() < 0.2,
            verified=arrived + dt.timedelta(days=rng.randrange(0, 300)) if rng.random() < 0.5 else None,
            house=at_house,
            employer=rng.choice([e for e in employers if e.community_id == community] + [None]),
            lodging=rng.choice(lodgings) if at_house is None and rng.random() < 0.2 else None,
            reason=rng.choice(["work", "family", "study"]),
        )
    for c in COMMUNITIES:
        permit(
            c, kind=rng.choice(["permit", "temporary", "formal"]), status=rng.choice(["valid", "suspended", "expired"])
        )
        s = school(c, kind=rng.choice(["public", "private"]))
        for _ in range(rng.randrange(1, 4)):
            school_record(s, level=rng.choice(["primary", "junior"]), ended=rng.choice([None, dt.date(2025, 7, 1)]))
        school_application(c, status=rng.choice(["placed", "submitted", "refused"]))
        enrolment(c, subsidised=rng.random() < 0.7, status=rng.choice(["enrolled", "completed", "dropped"]))
        job_seeker(c, status=rng.choice(["seeking", "employed", "withdrawn"]))
        legal_aid(c, status=rng.choice(["opened", "accepted", "declined"]))
        grid_event(c, state=rng.choice(["discovered", "closed", "accepted"]), late=rng.random() < 0.4)
    for place in ("510104", "510107", "510703"):
        treatment(place, status=rng.choice(["approved", "filed", "refused"]))
    spot = spot_round("510104")
    for collector in collectors:
        for c in COMMUNITIES[:3]:
            stratum(spot, collector, c, records=rng.randrange(5, 30), drawn=3)
            for _ in range(3):
                spot_check(spot, collector, c, outcome=rng.choice(["right", "right", "wrong", "unreachable"]))
