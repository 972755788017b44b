"""The demo province's schooling: schools, children linked to their parents, school records with transfers, and
applications for next year's places.

- Guardianships: every registered child (the generator's TruePerson rows with `father_key`/`mother_key`)
  linked to each registered parent.
- Schools: two public and two private schools teaching primary and junior secondary in every township where
  registered children live, at its most populated community, serving the township; places per level and year.
- School records: each registered child of school age living in the province now has records from the day
  they started school, arrived or the register began (three school years back), whichever is latest. Each
  school year some transfer (about 12 % a year as counted; the report: 10-15 % in Chengdu) to another school of the
  township; after six years the primary record completes and a junior one begins. About 87% go to public
  schools (the report's 2011 share).
- Applications: children who turn six before next school year's 1 September apply, through the services'
  eligibility (real permits, stays and insurance of their parents), some checked, placed or refused.

The rows are written in bulk (one audit event for the run); `plan` returns what was written, so a test can
compute the figures from it without the selectors' arithmetic.
"""

import datetime as dt
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today

from . import eligibility
from .models import (
    EndReason,
    Guardianship,
    Level,
    School,
    SchoolApplication,
    SchoolPlaces,
    SchoolRecord,
    Status,
)

DEMO_PREFIX = "DEMO-"
PUBLIC_SHARE = 0.87
# A school year's chance of a transfer; counted per calendar year over everyone enrolled in it (part-year pupils
# included), it comes out near 12 %, inside the report's 10-15 %.
TRANSFER_RATE = 0.16
REGISTER_YEARS = 3
# Applications checked through the real eligibility rules (about 20 queries each): enough to fill the queue.
APPLICATIONS = 100
DOCUMENTS = ["hukou_booklet", "residence_permit", "lease", "labour_contract", "vaccination_certificate"]


@dataclass
class PlannedRecord:
    child_id: int
    township: str
    kind: str
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str


@dataclass
class SchoolingDemoResult:
    counts: dict = field(default_factory=dict)
    seconds: float = 0.0
    plan: list[PlannedRecord] = field(default_factory=list)


def school_start(birth: dt.date) -> dt.date:
    """1 September of the year the child is six by 31 August."""
    year = birth.year + 6 if (birth.month, birth.day) <= (8, 31) else birth.year + 7
    return dt.date(year, 9, 1)


def schooling_demo_reset() -> dict[str, int]:
    """Remove what the demo wrote: its schools, and the records, applications and guardianships of the
    generated people and at its schools (run before the demo's own reset, which deletes the people).
    """
    from django.db.models import Q

    from liuguan.demo.reset import demo_spans

    span = demo_spans().get("person")
    schools = School.objects.filter(code__startswith=DEMO_PREFIX)
    people = Q(child_id__gte=span[0], child_id__lte=span[1]) if span else Q(pk__in=[])
    removed = {}
    with transaction.atomic():
        removed["records"] = SchoolRecord.objects.filter(people | Q(school__in=schools)).delete()[0]
        removed["applications"] = SchoolApplication.objects.filter(
            people | Q(preferred_school__in=schools) | Q(placed_school__in=schools)
        ).delete()[0]
        removed["guardianships"] = Guardianship.objects.filter(people).delete()[0]
        removed["schools"] = schools.delete()[0]
    return {k: v for k, v in removed.items() if v}


def _people(run):
    from liuguan.demo.models import TruePerson

    return list(
        TruePerson.objects.filter(run=run, person__isnull=False).values_list(
            "true_key",
            "person_id",
            "birth_date",
            "community_id",
            "arrived_on",
            "departed_on",
            "father_key",
            "mother_key",
        )
    )


def schooling_demo(*, seed: int = 1, today: dt.date | None = None) -> SchoolingDemoResult:
    """Schools, guardianships, records and applications over the latest demo run (its earlier rows go first)."""
    from liuguan.demo.models import DemoRun

    started = time.monotonic()
    run = DemoRun.objects.order_by("-pk").first()
    if run is None:
        raise LookupError("no demo province yet: run `manage.py demo` first")
    today = today or china_today()
    result = SchoolingDemoResult()
    result.counts.update({f"removed_{k}": v for k, v in schooling_demo_reset().items()})
    rng = random.Random(f"liuguan-demo:{seed}:schooling")
    people = _people(run)
    person_of = {key: pid for key, pid, *_rest in people}
    with transaction.atomic():
        links = _guardianships(people, person_of)
        children = [p for p in people if (p[6] or p[7]) and p[5] is None]
        schools = _schools(children, today)
        plan = _records(children, schools, today, rng)
        result.counts["applications"] = _applications(children, schools, links, today, rng)
        result.plan = plan
        result.counts.update(
            guardianships=sum(len(v) for v in links.values()),
            schools=sum(len(v) for v in schools.values()),
            records=len(plan),
            transfers=sum(1 for r in plan if r.end_reason == EndReason.TRANSFER),
        )
        audit_record(
            actor=SYSTEM,
            action="schooling.demo",
            object_type="demo.demorun",
            object_id=str(run.pk),
            source="cli",
            changes={"seed": seed, "counts": dict(result.counts)},
        )
    result.seconds = round(time.monotonic() - started, 2)
    return result


def _guardianships(people, person_of) -> dict[int, list[int]]:
    rows, links = [], defaultdict(list)
    existing = set(Guardianship.objects.values_list("child_id", "guardian_id"))
    for _key, pid, _birth, _community, _arrived, _departed, father, mother in people:
        for parent_key, relation in ((father, "father"), (mother, "mother")):
            parent = person_of.get(parent_key) if parent_key else None
            if parent is None:
                continue
            links[pid].append(parent)
            if (pid, parent) not in existing:
                rows.append(Guardianship(child_id=pid, guardian_id=parent, relation=relation))
    Guardianship.objects.bulk_create(rows, batch_size=2000)
    return links


def _schools(children, today: dt.date) -> dict[str, list[School]]:
    """Two public and two private schools per township with children, at its most populated community."""
    by_township: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for child in children:
        by_township[child[3][:9]][child[3]] += 1
    from liuguan.geo.models import Division

    names = dict(Division.objects.filter(code__in=list(by_township)).values_list("code", "name"))
    made: dict[str, list[School]] = {}
    for township in sorted(by_township):
        communities = by_township[township]
        home = max(sorted(communities), key=lambda c: communities[c])
        made[township] = [
            School(
                code=f"{DEMO_PREFIX}{township}{suffix}",
                name=f"{names.get(township, township)}{label}",
                kind=kind,
                levels=[Level.PRIMARY, Level.JUNIOR],
                community_id=home,
                catchment=[township],
            )
            for suffix, kind, label in (
                ("P1", "public", "公办一校"),
                ("P2", "public", "公办二校"),
                ("M1", "private", "民办一校"),
                ("M2", "private", "民办二校"),
            )
        ]
    School.objects.bulk_create([s for pair in made.values() for s in pair], batch_size=2000)
    places = []
    for township, pair in made.items():
        total = sum(by_township[township].values())
        for school in pair:
            share = (PUBLIC_SHARE if school.kind == "public" else 1 - PUBLIC_SHARE) / 2
            # This school year's places and next year's (what applications are placed against).
            for year in (today.year, today.year + 1):
                for level in (Level.PRIMARY, Level.JUNIOR):
                    places.append(
                        SchoolPlaces(school=school, level=level, year=year, places=max(2, round(total * share / 4)))
                    )
    SchoolPlaces.objects.bulk_create(places, batch_size=5000)
    return made


def _pick(schools: list[School], rng: random.Random, leaving: School | None = None) -> School:
    """A school of the township: public with the demo's share, the other one of the kind when leaving one."""
    kind = "public" if rng.random() < PUBLIC_SHARE else "private"
    choices = [s for s in schools if s.kind == kind and s is not leaving]
    return choices[rng.randrange(len(choices))]


def _records(children, schools, today: dt.date, rng: random.Random) -> list[PlannedRecord]:
    """Each school-age child's records from their first day in the register to today, with transfers."""
    register_start = dt.date(today.year - REGISTER_YEARS, 9, 1)
    day = dt.timedelta(days=1)
    plan, rows = [], []
    for _key, pid, birth, community, arrived, _departed, _f, _m in sorted(children, key=lambda c: c[1]):
        first_day = school_start(birth)
        junior_day = dt.date(first_day.year + 6, 9, 1)
        leaves = dt.date(first_day.year + 9, 7, 1)
        begin = max(first_day, arrived, register_start)
        if begin > today or leaves <= begin:
            continue
        pair = schools[community[:9]]
        school = _pick(pair, rng)
        level = Level.PRIMARY if begin < junior_day else Level.JUNIOR
        segments = []
        record_start = cursor = begin
        while cursor <= today:
            stop, why = min(dt.date(cursor.year + (1 if cursor.month >= 9 else 0), 8, 31), today), ""
            if level == Level.PRIMARY and junior_day - day <= stop:
                stop, why = junior_day - day, "junior"
            if leaves - day <= stop:
                stop, why = leaves - day, "leaves"
            # The yearly rate spread over the days, so a short stretch (this autumn) gets its share only.
            if (stop - cursor).days > 30 and rng.random() < TRANSFER_RATE * ((stop - cursor).days + 1) / 365:
                moved = cursor + dt.timedelta(days=rng.randint(15, (stop - cursor).days - 1))
                segments.append((school, level, record_start, moved, EndReason.TRANSFER))
                school = _pick(pair, rng, leaving=school)
                record_start = cursor = moved + day
                continue
            if why:
                segments.append((school, level, record_start, stop, EndReason.COMPLETED))
                if why == "leaves":
                    break
                level = Level.JUNIOR
                record_start = cursor = stop + day
                continue
            if stop >= today:
                segments.append((school, level, record_start, None, ""))
                break
            cursor = stop + day
        for s, lvl, first, last, reason in segments:
            rows.append(
                SchoolRecord(child_id=pid, school=s, level=lvl, started_on=first, ended_on=last, end_reason=reason)
            )
            plan.append(PlannedRecord(pid, community[:9], s.kind, first, last, reason))
    SchoolRecord.objects.bulk_create(rows, batch_size=2000)
    return plan


def _applications(children, schools, links, today: dt.date, rng: random.Random) -> int:
    """Next school year's primary applications of children turning six, checked against the real rules."""
    from liuguan.registry.models import Person

    year = today.year if today < dt.date(today.year, 9, 1) else today.year + 1
    candidates = [c for c in children if school_start(c[2]).year == year and links.get(c[1])][:APPLICATIONS]
    persons = Person.objects.in_bulk([c[1] for c in candidates] + [g for c in candidates for g in links[c[1]]])
    rows = []
    for n, (_key, pid, _birth, community, *_rest) in enumerate(candidates):
        child = persons[pid]
        guardians = [persons[g] for g in links[pid]]
        rules = eligibility.rules_for(community, today)
        if rules is None:
            continue
        documents = DOCUMENTS if rng.random() < 0.8 else DOCUMENTS[:3]
        result = eligibility.evaluate(
            rules=rules,
            child=child,
            guardians=guardians,
            level=Level.PRIMARY,
            school_year=year,
            documents=documents,
            on=today,
        )
        local = schools[community[:9]]
        roll = rng.random()
        status = Status.SUBMITTED
        if roll < 0.6:
            status = Status.CHECKED
            if roll < 0.35:
                status = Status.PLACED if result["eligible"] else Status.REFUSED
        hardship = rng.random() < 0.1
        rows.append(
            SchoolApplication(
                number=f"SA{year}D{n:06d}",
                child=child,
                guardian=guardians[0],
                level=Level.PRIMARY,
                school_year=year,
                preferred_school=local[0] if rng.random() < 0.8 else local[2],
                community_id=community,
                status=status,
                rules=rules,
                eligibility=result,
                eligible=result["eligible"],
                documents=documents,
                channel="portal" if rng.random() < 0.4 else "station",
                checked_at=timezone.now() if status != Status.SUBMITTED else None,
                decided_at=timezone.now() if status in (Status.PLACED, Status.REFUSED) else None,
                placed_school=local[0] if status == Status.PLACED else None,
                reason=""
                if status != Status.REFUSED
                else "；".join(c["reason"] for c in result["conditions"] if not c["met"])[:300],
                fee_waiver_requested=hardship,
                boarding_requested=hardship and rng.random() < 0.5,
                hardship_reason="家庭经济困难" if hardship else "",
            )
        )
    SchoolApplication.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
