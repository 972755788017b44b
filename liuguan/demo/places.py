"""Offices, grids, employers and lodgings of the populated communities.

Offices and grids belong to the places, not to a run: they are created when missing and kept by --reset,
so accounts keep their offices. Employers and lodgings are generated rows like people and are reset.
"""

import datetime as dt
import itertools
import math
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from liuguan.geo.models import Grid, Office, OfficeKind

from .draw import Weighted, below, between, one_of
from .geography import Plan, is_urban
from .numbers import credit_code
from .reference import (
    BRAND_WORDS,
    INDUSTRY_WEIGHTS,
    INDUSTRY_WORDS,
    LODGING_WORDS,
    ROAD_SUFFIXES,
    ROADS,
    SMALL_BUSINESS,
)

# One employer for about this many work stays, one hotel for this many stays.
STAYS_PER_EMPLOYER = 15
STAYS_PER_LODGING = 400
# Staff (local and migrant) of a company per unit of its drawn size: about half the companies have ten or more.
STAFF_PER_SIZE = 6
_INDUSTRIES = Weighted(INDUSTRY_WEIGHTS, INDUSTRY_WEIGHTS.values())


@dataclass
class Offices:
    """Ids the generator attaches to stays: grids and collection points per community."""

    grids: dict[str, list[int]]
    points: dict[str, list[int]]
    service: dict[str, int]
    stations: dict[str, int]
    created: int


def offices_ensure(plan: Plan) -> Offices:
    """A 流管办 per township of a populated county and above; a station, 1-3 collection points per community."""
    counties = {c[:6] for c in plan.communities}
    service = {c for c in plan.names if len(c) == 9 and c[:6] in counties}
    service |= counties | {c[:4] for c in counties} | {plan.province}
    offices = [
        Office(kind=OfficeKind.SERVICE_OFFICE, division_id=code, name=f"{plan.names[code]}流动人口服务管理办公室")
        for code in sorted(service)
    ]
    grids = []
    for code in plan.communities:
        expected = plan.expected[code]
        place = plan.names[code]
        offices.append(Office(kind=OfficeKind.STATION, division_id=code, name=f"{place}流动人口服务站"))
        for n in range(1, 2 + (expected > 80) + (expected > 200)):
            offices.append(Office(kind=OfficeKind.COLLECTION_POINT, division_id=code, name=f"{place}采集点{n}"))
        for n in range(1, 2 + min(3, max(1, math.ceil(expected / 60)))):
            grids.append(Grid(code=f"{code}{n:03d}", name=f"{place}第{n}网格", community_id=code))
    before = Office.objects.count() + Grid.objects.count()
    Office.objects.bulk_create(offices, batch_size=500, ignore_conflicts=True)
    Grid.objects.bulk_create(grids, batch_size=500, ignore_conflicts=True)
    created = Office.objects.count() + Grid.objects.count() - before
    wanted = set(plan.communities)
    result = Offices(grids={}, points={}, service={}, stations={}, created=created)
    for pk, community in (
        Grid.objects.filter(community_id__in=plan.communities).order_by("code").values_list("pk", "community_id")
    ):
        result.grids.setdefault(community, []).append(pk)
    rows = Office.objects.filter(division_id__in=list(wanted | service)).order_by("division_id", "name")
    for pk, kind, division in rows.values_list("pk", "kind", "division_id"):
        if kind == OfficeKind.COLLECTION_POINT:
            result.points.setdefault(division, []).append(pk)
        elif kind == OfficeKind.STATION:
            result.stations[division] = pk
        else:
            result.service[division] = pk
    return result


def street_address(rng: random.Random, plan: Plan, community: str, *, flat: bool = True) -> str:
    """County, township, community and a street number (and flat) in it, or a village group in the countryside."""
    place = plan.names[community]
    head = plan.names[community[:6]] + plan.names[community[:9]] + place
    if not is_urban(community):
        return f"{head}{between(rng, 1, 12)}组{between(rng, 1, 150)}号"
    road = place.removesuffix("社区") + one_of(rng, ROAD_SUFFIXES) if rng.random() < 0.5 else one_of(rng, ROADS)
    if not flat:
        return f"{head}{road}{between(rng, 1, 300)}号"
    return (
        f"{head}{road}{between(rng, 1, 300)}号{between(rng, 1, 20)}栋{between(rng, 1, 4)}单元"
        f"{between(rng, 1, 30)}{between(rng, 1, 8):02d}"
    )


@dataclass
class Workplaces:
    """Employers by county, each (id, community, industry, name, address), with cumulative size weights."""

    employers: dict[str, Weighted]
    small: dict[str, Weighted]
    rows: dict[str, list[tuple]]


def _short(plan: Plan, code: str) -> str:
    name = plan.names[code[:4]]
    for suffix in ("藏族羌族自治州", "藏族自治州", "彝族自治州", "市"):
        name = name.removesuffix(suffix)
    return name


def workplaces_generate(plan: Plan, *, seed: int, ids, grids: dict[str, list[int]], as_of: dt.date) -> Workplaces:
    """Employers (valid credit codes with the county inside) and hotels in proportion to each county's people."""
    rng = random.Random(f"liuguan-demo:{seed}:places")
    tz = ZoneInfo(settings.TIME_ZONE)
    salt = below(rng, 31**6)
    counter = itertools.count(1)
    employer_rows, lodging_rows = [], []
    employers: dict[str, Weighted] = {}
    small: dict[str, Weighted] = {}
    for county, communities in plan.by_county.items():
        expected = sum(plan.expected[c] for c in communities.items)
        found: list[tuple] = []
        sizes: list[float] = []
        for _ in range(max(2, round(expected * 0.7 / STAYS_PER_EMPLOYER))):
            community = communities.draw(rng)
            industry = _INDUSTRIES.draw(rng)
            individual = industry in SMALL_BUSINESS and rng.random() < 0.5
            word = one_of(rng, INDUSTRY_WORDS[industry])
            brand = one_of(rng, BRAND_WORDS)
            if individual:
                name = f"{plan.names[county]}{brand}{word}{'店' if industry != 'O' else '部'}"
            else:
                name = f"{_short(plan, county)}{brand}{word}有限公司"
            address = street_address(rng, plan, community, flat=False)
            pk = ids.next("employer")
            created = dt.datetime.combine(as_of - dt.timedelta(days=below(rng, 365 * 8)), dt.time(10), tz)
            code = credit_code(counter=next(counter), county=county, small_business=individual, salt=salt)
            grid = one_of(rng, grids[community]) if grids.get(community) else None
            # Few employers hire most people: sizes follow a heavy-tailed law; the staff count follows the size.
            size = 3.0 if individual else rng.paretovariate(1.2)
            staff = 3 if individual else round(STAFF_PER_SIZE * size)
            employer_rows.append((pk, name, code, industry, address, community, grid, created, staff))
            found.append((pk, community, industry, name, address))
            sizes.append(size)
        employers[county] = Weighted(found, sizes)
        shops = [(e, s) for e, s in zip(found, sizes, strict=True) if e[2] in SMALL_BUSINESS]
        if shops:
            small[county] = Weighted.of(shops)
        for _ in range(max(1, round(expected / STAYS_PER_LODGING))):
            community = communities.draw(rng)
            kind = one_of(rng, LODGING_WORDS)
            name = f"{one_of(rng, BRAND_WORDS)}{kind}（{plan.names[community[:9]].removesuffix('街道')}店）"
            individual = kind in ("客栈", "民宿", "招待所")
            created = dt.datetime.combine(as_of - dt.timedelta(days=below(rng, 365 * 8)), dt.time(10), tz)
            code = credit_code(counter=next(counter), county=county, small_business=individual, salt=salt)
            rooms = between(rng, 8, 40) if individual else between(rng, 30, 300)
            lodging_rows.append(
                (
                    ids.next("lodging"),
                    name,
                    code,
                    street_address(rng, plan, community, flat=False),
                    community,
                    rooms,
                    created,
                )
            )
    return Workplaces(employers=employers, small=small, rows={"employer": employer_rows, "lodging": lodging_rows})
