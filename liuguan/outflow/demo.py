"""The demo province's outflow population: what its origin villages reported, with known gaps, and the truth.

The demo's people and stays were bulk-written before the outflow side existed. This adds what the origin side
would have, through the same services the pages call, and records what is true beside it (demo.TrueOutflow):

(a) People of the province living in another of its counties (the demo's TruePerson rows): for a share of
    them their family or village committee reported the move (`outflow_report`, origin the hukou village),
    some naming the wrong destination or only the city; the others were never reported, which is the gap the
    reconciliation must find: an inflow here with no outflow record at the origin. Someone reported whom no
    collector registered at the destination stays unconfirmed.
(b) People of the province living in other provinces (new people, made with the demo's own name and number
    generators, hukou in the province's sending counties, destinations weighted like the province's real
    outflow): reported and never confirmed, since the demo has no peer instance; for some of them nothing has
    been heard for longer than `LIUGUAN_OUTFLOW["unknown_months"]`.

Then the registry hook runs over every open stay (`stays_sync`: the stays were written before the hook
existed), so stays here confirm the reports or create the records the origin missed, and `reconcile()` opens
the origin offices' tasks. `truth_compare` checks the reconciliation summary per origin county against the
truth: confirmed, never confirmed and inflows without a record must match exactly.

The reports are made by a stand-in desk officer of the hukou county named "system" (no account; the audit
chain names "system"): an officer of a township or village sees people by their stays only, and these people
have no stay at home, so only the county level can report them. Report dates are set back to when the family
told the village (after the service wrote them: a demo reading its history in, not a service's work).
"""

import datetime as dt
import random
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today
from liuguan.demo.draw import Weighted, below, between, one_of
from liuguan.demo.geography import county_weight, national_counties, plan_build
from liuguan.demo.models import Defect, DefectKind, DemoRun, OutflowTruth, TrueOutflow, TruePerson
from liuguan.demo.people import ADULT_AGES, Registrar, age_between
from liuguan.demo.reset import demo_spans
from liuguan.registry.models import Person, Stay
from liuguan.registry.services.people import PersonInput

from .models import OutflowEvent, OutflowRecord
from .services.common import origin_for_hukou
from .services.flows import stays_registered
from .services.reconcile import months_before, reconcile
from .services.records import outflow_report

DEFAULT_SHARE = 0.2
# Of the reports: a destination that is wrong, and one that names only the city.
WRONG_SHARE = 0.15
CITY_ONLY_SHARE = 0.3
# People of the province living in other provinces, per demo person; and the share not heard of for too long.
ELSEWHERE_PER_PERSON = 0.02
UNKNOWN_SHARE = 0.25
CHUNK = 500
SYNC_CHUNK = 2000

# Where the province's people go outside it (shares of its out-migrants by province, 2020 census, rounded), and
# the cities inside those provinces that draw most of them.
DESTINATION_PROVINCES = {
    "44": 30,
    "33": 15,
    "50": 8,
    "32": 7,
    "35": 6,
    "31": 5,
    "11": 4,
    "65": 4,
    "53": 3,
    "61": 2,
    "54": 2,
    "52": 2,
    "12": 1.5,
    "37": 1.5,
    "42": 1.5,
    "43": 1.5,
    "34": 1,
    "62": 1,
    "45": 1,
    "46": 1,
}
BIG_CITIES = {
    "4403": 8,
    "4401": 6,
    "4406": 3,
    "4413": 2,
    "4404": 1.5,
    "3301": 5,
    "3302": 3,
    "3303": 3,
    "3307": 3,
    "3205": 5,
    "3201": 3,
    "3202": 2,
    "3502": 3,
    "3505": 3,
    "3501": 2,
    "5301": 3,
    "6101": 4,
    "6501": 3,
    "5401": 3,
    "5201": 3,
    "4201": 3,
    "4301": 3,
    "3702": 2,
}


@dataclass
class Report:
    """One report to make: who (on the register or to be registered), from which village, to where."""

    truth: TrueOutflow
    person_id: int | None
    person: PersonInput | None
    origin: str
    destination: str
    left_on: dt.date
    reason: str
    reported_by: str
    phone: str
    reported_on: dt.date
    heard_on: dt.date | None = None


@dataclass
class OutflowDemoResult:
    counts: Counter = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)
    comparison: dict = field(default_factory=dict)


# -- reading the demo ----------------------------------------------------------------------------------------


def _village_finder(plan):
    """The hukou village named in an address (the generator writes township + village after the county)."""
    by_county: dict[str, list[tuple[str, str]]] = {}

    def find(county: str, address: str) -> str | None:
        entries = by_county.get(county)
        if entries is None:
            entries = by_county[county] = [
                (plan.names.get(v[:9], "") + plan.names.get(v, ""), v) for v in plan.villages.get(county, ())
            ]
        return next((code for name, code in entries if name and name in address), None)

    return find


def _inflows(province: str) -> dict[int, Stay]:
    """What the registry hook sees: each person of the province with an open stay outside their hukou county.

    A night at a hotel (a stay with a lodging) is a journey, not an outflow: the hook (`stays_registered`) passes
    it by, so a guest whose only open stay here is a hotel's is no inflow, and a hotel stay is never the latest.
    """
    latest: dict[int, tuple] = {}
    rows = (
        Stay.objects.filter(departed_on__isnull=True, lodging__isnull=True, person__hukou_code__startswith=province)
        .order_by()
        .values_list("pk", "person_id", "community_id", "arrived_on", "reason", "person__hukou_code")
    )
    # A plain fetch: a server-side cursor over freshly bulk-loaded tables (no statistics yet) plans badly.
    for row in rows:
        if row[2][:6] == row[5][:6]:
            continue
        known = latest.get(row[1])
        if known is None or (row[3], row[0]) > (known[3], known[0]):
            latest[row[1]] = row
    return latest


def _reason(rng: random.Random, birth: dt.date, today: dt.date) -> str:
    if (today - birth).days < 16 * 365:
        return "family"
    u = rng.random()
    return "work" if u < 0.8 else "business" if u < 0.9 else "family"


def _left_on(rng: random.Random, arrived: dt.date, birth: dt.date, today: dt.date) -> dt.date:
    return min(today, max(birth, arrived - dt.timedelta(days=below(rng, 4))))


def _reported_on(rng: random.Random, left_on: dt.date, today: dt.date) -> dt.date:
    return min(today, left_on + dt.timedelta(days=between(rng, 3, 90)))


class Destinations:
    """Counties to name: elsewhere in the province (by where migrants live) or in another province."""

    def __init__(self, plan, province: str):
        self.province = province
        self.inside = plan.counties
        national = [c for c in national_counties() if c[:2] in DESTINATION_PROVINCES and c[:2] != province]
        weights = []
        for prefecture_codes in _group(national).values():
            total = sum(county_weight(c) for c in prefecture_codes)
            for code in prefecture_codes:
                province_share = DESTINATION_PROVINCES[code[:2]] / _prefecture_count(national, code[:2])
                weights.append(province_share * BIG_CITIES.get(code[:4], 1.0) * county_weight(code) / total)
        self.outside = Weighted([c for codes in _group(national).values() for c in codes], weights)

    def elsewhere(self, rng: random.Random) -> str:
        return self.outside.draw(rng)

    def wrong(self, rng: random.Random, *, hukou: str, true: str) -> str:
        """A destination the family got wrong: mostly another county of the province, else another province."""
        for _ in range(20):
            code = self.inside.draw(rng) if rng.random() < 0.6 else self.outside.draw(rng)
            if code[:6] not in (hukou[:6], true[:6]) and code[:4] != true[:4]:
                return code
        return self.outside.draw(rng)


def _group(codes: list[str]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = defaultdict(list)
    for code in codes:
        grouped[code[:4]].append(code)
    return grouped


_PREFECTURES: dict[str, int] = {}


def _prefecture_count(codes: list[str], province: str) -> int:
    if province not in _PREFECTURES:
        _PREFECTURES[province] = len({c[:4] for c in codes if c[:2] == province}) or 1
    return _PREFECTURES[province]


# -- planning the reports and the truth -----------------------------------------------------------------------


def _plan_inside(run, plan, rng, *, share: float, inflows: dict, today: dt.date, destinations) -> list[Report]:
    """(a): reports for a share of the people living in another county of the province; truth for all of them."""
    province = plan.province
    find = _village_finder(plan)
    people = list(
        TruePerson.objects.filter(run=run, hukou_code__startswith=province, departed_on__isnull=True)
        .order_by("true_key")
        .values_list(
            "true_key",
            "person_id",
            "hukou_code",
            "hukou_address",
            "community_id",
            "arrived_on",
            "doc_type",
            "doc_number",
            "name",
            "sex",
            "birth_date",
            "ethnicity",
            "phone",
        )
    )
    people = [p for p in people if p[4][:6] != p[2][:6]]
    rng.shuffle(people)
    chosen = people[: round(share * len(people))]
    reports = []
    for key, person_id, hukou, address, community, arrived, doc_type, number, name, sex, birth, ethnic, phone in chosen:
        villages = plan.villages.get(hukou[:6]) or [hukou[:6]]
        origin = find(hukou[:6], address) or one_of(rng, villages)
        wrong = rng.random() < WRONG_SHARE
        if wrong:
            destination = destinations.wrong(rng, hukou=hukou, true=community)
        else:
            destination = community[:4] if rng.random() < CITY_ONLY_SHARE else community[:6]
        left_on = _left_on(rng, arrived, birth, today)
        confirmed = person_id is not None and person_id in inflows
        truth = TrueOutflow(
            run=run,
            person_id=person_id,
            true_key=key,
            origin_code=origin,
            true_destination=community,
            reported=True,
            reported_destination=destination,
            category=OutflowTruth.CONFIRMED if confirmed else OutflowTruth.NEVER_CONFIRMED,
            created_person=person_id is None,
            detail={"wrong_destination": wrong, **({} if confirmed else {"registered_at_destination": False})},
        )
        new = None
        if person_id is None:
            new = PersonInput(
                doc_type=doc_type,
                doc_number=number,
                name=name,
                sex=sex,
                birth_date=birth,
                ethnicity=ethnic,
                hukou_code=hukou,
                hukou_address=address,
                phone=phone,
            )
        reports.append(
            Report(
                truth=truth,
                person_id=person_id,
                person=new,
                origin=origin,
                destination=destination,
                left_on=left_on,
                reason=_reason(rng, birth, today),
                reported_by="family" if rng.random() < 0.7 else "village",
                phone=phone,
                reported_on=_reported_on(rng, left_on, today),
            )
        )
    return reports


def _missed(run, inflows: dict, reported: set[int]) -> list[TrueOutflow]:
    """Everyone the hook will find with no report at the origin: the inflows the origin never recorded."""
    # Whole tables of the run read once: an IN list of every inflow would pass SQLite's limit on a big province.
    keys = {
        pk: key
        for pk, key in TruePerson.objects.filter(run=run, person__isnull=False).values_list("person_id", "true_key")
        if pk in inflows
    }
    duplicates = {
        pk: key
        for pk, key in Defect.objects.filter(run=run, kind=DefectKind.DUPLICATE).values_list("person_id", "true_key")
        if pk in inflows
    }
    # The hook files a record it creates under the division the hukou names (the county, while it exists).
    owners = {hukou: origin_for_hukou(hukou) for hukou in {row[5] for row in inflows.values()}}
    rows = []
    for person_id, (_pk, _p, community, _arrived, _reason, hukou) in sorted(inflows.items()):
        if person_id in reported or owners[hukou] is None:
            continue
        rows.append(
            TrueOutflow(
                run=run,
                person_id=person_id,
                true_key=keys.get(person_id) or duplicates.get(person_id, ""),
                origin_code=owners[hukou].code,
                true_destination=community,
                category=OutflowTruth.MISSED,
                detail={"duplicate_registration": True} if person_id in duplicates else {},
            )
        )
    return rows


def _plan_elsewhere(run, plan, rng, *, count: int, today: dt.date, destinations) -> list[Report]:
    """(b): people of the province in other provinces, reported by their family, never confirmed."""
    province = plan.province
    sending = [(c, w) for c, w in zip(plan.origins.items, _weights(plan.origins), strict=True) if c[:2] == province]
    counties = Weighted.of(sending)
    registrar = Registrar(rng=rng, plan=plan, persons=max(count, 1), as_of=today)
    find = _village_finder(plan)
    taken = set()
    unknown_before = months_before(today, settings.LIUGUAN_OUTFLOW["unknown_months"])
    people = []
    for index in range(count):
        county = counties.draw(rng)
        stale = rng.random() < UNKNOWN_SHARE
        sex = "M" if rng.random() < 0.58 else "F"
        # Someone not heard of for months left as an adult, years ago.
        age = max(24 if stale else 18, age_between(rng, ADULT_AGES))
        someone = registrar.citizen(index=index, sex=sex, age=age, origin=county)
        people.append((index, county, stale, someone))
        taken.add(someone.doc_number)
    # A number a demo person holds (on the register or not) goes to someone else of the same block.
    clashes = _held(taken)
    reports = []
    for index, county, stale, someone in people:
        while someone.doc_number in clashes:
            someone = registrar.citizen(index=index, sex=someone.sex, birth=someone.birth, origin=county)
            clashes |= _held({someone.doc_number})
        destination = destinations.elsewhere(rng)
        if stale:
            # Left between seven months and four years ago; last heard of some weeks after leaving.
            left_on = unknown_before - dt.timedelta(days=between(rng, 45, 1400))
            heard_on = min(unknown_before - dt.timedelta(days=1), left_on + dt.timedelta(days=between(rng, 5, 40)))
        else:
            left_on = today - dt.timedelta(days=between(rng, 20, 2500))
            heard_on = None
        left_on = max(left_on, someone.birth + dt.timedelta(days=18 * 365))
        origin = find(county, someone.hukou_address) or one_of(rng, plan.villages.get(county) or [county])
        category = OutflowTruth.UNKNOWN if stale else OutflowTruth.NEVER_CONFIRMED
        truth = TrueOutflow(
            run=run,
            true_key=f"X{index:07d}",
            origin_code=origin,
            true_destination=destination,
            reported=True,
            reported_destination=destination,
            category=category,
            created_person=True,
            detail={"other_province": True, **({"last_heard_on": heard_on.isoformat()} if stale else {})},
        )
        reported_on = min(heard_on, _reported_on(rng, left_on, today)) if stale else _reported_on(rng, left_on, today)
        reports.append(
            Report(
                truth=truth,
                person_id=None,
                person=PersonInput(
                    doc_type=someone.doc_type,
                    doc_number=someone.doc_number,
                    name=someone.name,
                    sex=someone.sex,
                    birth_date=someone.birth,
                    ethnicity=someone.ethnicity,
                    hukou_code=county,
                    hukou_address=someone.hukou_address,
                    phone=someone.phone,
                    education=someone.education,
                    marital_status=someone.marital,
                ),
                origin=origin,
                destination=destination,
                left_on=left_on,
                reason="work" if rng.random() < 0.85 else "business",
                reported_by="family" if rng.random() < 0.8 else "village",
                phone=someone.phone,
                reported_on=max(reported_on, left_on),
                heard_on=heard_on,
            )
        )
    return reports


def _held(numbers: set[str]) -> set[str]:
    """The numbers a person of the register or of the demo's truth already holds."""
    numbers, held = sorted(numbers), set()
    for start in range(0, len(numbers), 5000):
        part = numbers[start : start + 5000]
        held.update(Person.objects.filter(doc_number__in=part).values_list("doc_number", flat=True))
        held.update(TruePerson.objects.filter(doc_number__in=part).values_list("doc_number", flat=True))
    return held


def _weights(weighted: Weighted) -> list[float]:
    previous, out = 0.0, []
    for cum in weighted.cum:
        out.append(cum - previous)
        previous = cum
    return out


# -- writing --------------------------------------------------------------------------------------------------


def _desk(county: str) -> User:
    """A stand-in desk officer of the hukou county, never saved: the audit chain names "system"."""
    return User(username="system", role=Role.STATION_OFFICER, division_id=county, is_active=True)


def _report_all(reports: list[Report]) -> None:
    desks: dict[str, User] = {}
    for start in range(0, len(reports), CHUNK):
        with transaction.atomic():
            backdated = []
            for report in reports[start : start + CHUNK]:
                county = report.origin[:6]
                actor = desks.get(county) or desks.setdefault(county, _desk(county))
                record = outflow_report(
                    actor=actor,
                    person_id=report.person_id,
                    person=report.person,
                    origin_code=report.origin,
                    destination_code=report.destination,
                    left_on=report.left_on,
                    reason=report.reason,
                    phone=report.phone,
                    reported_by=report.reported_by,
                    source="cli",
                )
                report.truth.person_id = record.person_id
                backdated.append((record, report))
            _backdate(backdated)


def _backdate(done: list[tuple[OutflowRecord, Report]]) -> None:
    """Reports were made when the family told the village; whereabouts last heard of then, for the stale ones."""
    tz = dt.timezone(dt.timedelta(hours=8))
    records, events = [], []
    for record, report in done:
        at = dt.datetime.combine(report.reported_on, dt.time(10, 0), tz)
        if record.status == OutflowRecord.Status.UNCONFIRMED:
            record.created_at = at
            if report.heard_on is not None:
                record.last_heard_on = report.heard_on
            records.append(record)
            events.append((record.pk, at))
    if records:
        OutflowRecord.objects.bulk_update(records, ["created_at", "last_heard_on"], batch_size=500)
        reported = {
            e.record_id: e
            for e in OutflowEvent.objects.filter(
                record_id__in=[pk for pk, _at in events], kind=OutflowEvent.Kind.REPORTED
            )
        }
        for pk, at in events:
            if pk in reported:
                reported[pk].at = at
        OutflowEvent.objects.bulk_update(list(reported.values()), ["at"], batch_size=500)


def stays_sync(*, actor=SYSTEM, chunk: int = SYNC_CHUNK, source: str = "cli") -> int:
    """Run the registry's outflow hook over every open stay, in chunks: for stays written before the hook existed
    (a bulk-seeded demo, a migration from another system). Safe to repeat: a record already pointing at a stay
    is left alone. Returns the number of stays passed to the hook.
    """
    ids = list(Stay.objects.filter(departed_on__isnull=True).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), chunk):
        with transaction.atomic():
            stays_registered(ids[start : start + chunk], actor=actor, source=source)
    return len(ids)


# -- the whole run ---------------------------------------------------------------------------------------------


def outflow_demo(
    *, seed: int = 1, share: float = DEFAULT_SHARE, elsewhere: int | None = None, today: dt.date | None = None
) -> OutflowDemoResult:
    """Reports, the sync of existing stays and reconciliation over the latest demo run (its earlier rows go first)."""
    started = time.monotonic()
    result = OutflowDemoResult()
    run = DemoRun.objects.order_by("-pk").first()
    if run is None:
        raise LookupError("no demo province yet: run `manage.py demo` first")
    today = today or china_today()
    result.counts.update({f"removed_{k}": v for k, v in outflow_demo_reset().items()})
    province = settings.LIUGUAN_PROVINCE_CODE
    plan = plan_build(seed=run.seed, persons=run.persons, province=province)
    rng = random.Random(f"liuguan-demo:{seed}:outflow")
    destinations = Destinations(plan, province)
    inflows = _inflows(province)
    inside = _plan_inside(run, plan, rng, share=share, inflows=inflows, today=today, destinations=destinations)
    count = round(run.persons * ELSEWHERE_PER_PERSON) if elsewhere is None else elsewhere
    outside = _plan_elsewhere(run, plan, rng, count=count, today=today, destinations=destinations)
    result.seconds["plan"] = round(time.monotonic() - started, 2)
    mark = time.monotonic()
    _report_all(inside + outside)
    result.seconds["reports"] = round(time.monotonic() - mark, 2)
    reported = {r.truth.person_id for r in inside}
    truth = [r.truth for r in inside + outside] + _missed(run, inflows, reported)
    TrueOutflow.objects.bulk_create(truth, batch_size=1000)
    mark = time.monotonic()
    result.counts["stays_synced"] = stays_sync()
    result.seconds["sync"] = round(time.monotonic() - mark, 2)
    mark = time.monotonic()
    opened = reconcile(today=today).opened
    result.seconds["reconcile"] = round(time.monotonic() - mark, 2)
    result.counts.update({f"tasks_{k}": v for k, v in opened.items()})
    result.counts.update(Counter(t.category for t in truth))
    result.counts["reported"] = len(inside) + len(outside)
    result.counts["wrong_destination"] = sum(1 for r in inside if r.truth.detail.get("wrong_destination"))
    result.counts["people_registered_by_reports"] = sum(1 for t in truth if t.created_person)
    mark = time.monotonic()
    result.comparison = truth_compare(run=run)
    result.seconds["compare"] = round(time.monotonic() - mark, 2)
    result.seconds["total"] = round(time.monotonic() - started, 2)
    with transaction.atomic():
        audit_record(
            actor=SYSTEM,
            action="outflow.demo",
            object_type="demo.demorun",
            object_id=str(run.pk),
            division_code=province,
            source="cli",
            changes={"seed": seed, "share": share, "elsewhere": count, "counts": dict(result.counts)},
        )
    return result


@transaction.atomic
def outflow_demo_reset() -> dict[str, int]:
    """Remove what `outflow_demo` wrote: the outflow records of the people in its truth and of the generated
    people (with their history and tasks), the people its reports registered, and the truth itself.
    """
    truth = TrueOutflow.objects.all()
    generated = demo_spans().get("person")
    records = OutflowRecord.objects.filter(person_id__in=truth.filter(person__isnull=False).values("person_id"))
    if generated:
        # Records made since for generated people (a stay registered on a page, through the hook) go too: a
        # report for someone with an open record would be refused.
        records = records | OutflowRecord.objects.filter(person_id__gte=generated[0], person_id__lte=generated[1])
    if not truth.exists() and not records.exists():
        return {}
    created = list(truth.filter(created_person=True, person__isnull=False).values_list("person_id", flat=True))
    removed = {"outflow_records": records.delete()[1].get(OutflowRecord._meta.label, 0)}
    Stay.objects.filter(person_id__in=created).delete()
    removed["people"] = Person.objects.filter(pk__in=created).delete()[1].get(Person._meta.label, 0)
    removed["truth"] = truth.delete()[0]
    return removed


# -- checking against the truth --------------------------------------------------------------------------------


def truth_counts(run=None) -> dict[str, Counter]:
    """Per origin county, what the reconciliation must show: confirmed, never confirmed, missed; and unknown."""
    counts: dict[str, Counter] = defaultdict(Counter)
    rows = TrueOutflow.objects.all() if run is None else TrueOutflow.objects.filter(run=run)
    for origin, category in rows.values_list("origin_code", "category"):
        key = {OutflowTruth.UNKNOWN: "never_confirmed"}.get(category, category)
        counts[origin[:6]][key] += 1
        if category == OutflowTruth.UNKNOWN:
            counts[origin[:6]]["unknown"] += 1
    return counts


def _province_reader(province: str) -> User:
    return User(username="system", role=Role.PROVINCE_ADMIN, division_id=province, is_active=True)


def truth_compare(*, run=None, reader=None) -> dict:
    """The reconciliation summary per origin county (read per prefecture) against the truth, county by county."""
    from liuguan.geo.models import Division, Level

    from .selectors import reconciliation_summary
    from .services.reconcile import unknown_condition

    province = settings.LIUGUAN_PROVINCE_CODE
    reader = reader or _province_reader(province)
    expected = truth_counts(run)
    found: dict[str, Counter] = defaultdict(Counter)
    prefectures = Division.objects.filter(code__startswith=province, level=Level.PREFECTURE).values_list(
        "code", flat=True
    )
    for prefecture in prefectures:
        summary = reconciliation_summary(user=reader, area_code=prefecture)
        for row in [*summary.rows, summary.unplaced]:
            for key in ("confirmed", "never_confirmed", "missed"):
                if getattr(row, key):
                    found[row.code[:6]][key] += getattr(row, key)
    today = china_today()
    unknown = OutflowRecord.objects.filter(unknown_condition(today), origin__code__startswith=province)
    for origin in unknown.values_list("origin_id", flat=True):
        found[origin[:6]]["unknown"] += 1
    keys = ("confirmed", "never_confirmed", "missed", "unknown")
    differing = {
        county: {k: (expected[county][k], found[county][k]) for k in keys if expected[county][k] != found[county][k]}
        for county in sorted(set(expected) | set(found))
        if any(expected[county][k] != found[county][k] for k in keys)
    }
    totals = {k: (sum(c[k] for c in expected.values()), sum(c[k] for c in found.values())) for k in keys}
    return {"counties": len(set(expected) | set(found)), "totals": totals, "differing": differing}


__all__ = ["OutflowDemoResult", "outflow_demo", "outflow_demo_reset", "stays_sync", "truth_compare", "truth_counts"]
