"""Where the synthetic people come from and where they live, drawn on the real division codes.

The plan is fixed by the seed and the size: which communities are populated and how heavily, and the
weighted list of origin counties. Everything is read once from `Division` (ordered by code) and the
national code list, so the same seed gives the same plan on any database holding the same divisions.
"""

import functools
import heapq
import math
import random
from dataclasses import dataclass, field

from django.core.management import call_command

from liuguan.core import identity
from liuguan.geo.models import Division, Level
from liuguan.geo.names import national_names, place_name

from .draw import Weighted
from .reference import (
    CAPITAL,
    CAPITAL_SHARE,
    CENTRAL_COUNTIES,
    OTHER_ORIGIN_WEIGHTS,
    OTHER_PROVINCES,
    OTHER_PROVINCES_WEIGHT,
    PREFECTURE_POPULATION,
    SICHUAN_ORIGIN_SHARE,
    SICHUAN_ORIGIN_WEIGHTS,
)

# About this many stays per populated community: enough that a community page has people on it.
STAYS_PER_COMMUNITY = 40
# Stays per real person on average (trajectories, minus the unregistered, plus duplicates), for sizing.
STAYS_PER_PERSON = 1.3
_NAME_SUFFIXES = ("社区居民委员会", "社区居委会", "居民委员会", "村民委员会", "居委会", "村委会")


def divisions_ensure(province: str = "51") -> None:
    """Load the division codes when the province has none yet; the demo draws everything on them."""
    if not Division.objects.filter(code__startswith=province, level=Level.COMMUNITY).exists():
        call_command("load_divisions")


def stem(name: str) -> str:
    """A community's name without its committee suffix (洗面桥社区居委会 -> 洗面桥社区, 石桥村民委员会 -> 石桥村)."""
    for suffix in _NAME_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[: -len(suffix)]
            if suffix.startswith("社区"):
                return base + "社区"
            if suffix.startswith("村"):
                return base if base.endswith("村") else base + "村"
            return base
    return name


def is_urban(community_code: str) -> bool:
    """Statistical codes number residents' committees 001-199 and villagers' committees 200-399."""
    return community_code[9:12] < "200"


def county_weight(code: str) -> float:
    """Districts (01-18) draw migrants more than county-level cities (81-99), and these more than counties."""
    if code in CENTRAL_COUNTIES:
        return 5.0
    suffix = int(code[4:6])
    return 3.0 if suffix <= 18 else 1.5 if suffix >= 81 else 1.0


def origin_county_weight(code: str) -> float:
    """Rural counties send the most people out; districts the fewest."""
    suffix = int(code[4:6])
    return 1.0 if suffix <= 18 else 2.0 if suffix >= 81 else 3.0


@functools.cache
def national_counties() -> tuple[str, ...]:
    """County-level codes of the 2023 list (provinces and prefectures end in 00 there)."""
    return tuple(sorted(code for code in identity.KNOWN_AREA_CODES if not code.endswith("00")))


def weighted_sample(rng: random.Random, items: list, weights: list[float], k: int) -> list:
    """Draw k items without replacement, each drawn in proportion to its weight (Efraimidis-Spirakis keys)."""
    keyed = ((rng.random() ** (1.0 / w), i) for i, w in enumerate(weights))
    return [items[i] for _key, i in sorted(heapq.nlargest(k, keyed))]


@dataclass
class Plan:
    """The populated communities with their weights, the origin counties with theirs, and the names of places."""

    province: str
    names: dict[str, str]
    communities: list[str]
    expected: dict[str, float]
    destinations: Weighted
    counties: Weighted
    by_county: dict[str, Weighted]
    origins: Weighted
    villages: dict[str, list[str]] = field(repr=False)
    _place_names: dict[str, str] = field(default_factory=dict, repr=False)

    def community(self, rng: random.Random) -> str:
        return self.destinations.draw(rng)

    def community_in(self, rng: random.Random, county: str) -> str:
        return self.by_county[county].draw(rng)

    def county(self, rng: random.Random) -> str:
        return self.counties.draw(rng)

    def origin(self, rng: random.Random) -> str:
        return self.origins.draw(rng)

    def place_name(self, code: str) -> str:
        """Province, prefecture and county names as an address writes them (no placeholder prefectures)."""
        name = self._place_names.get(code)
        if name is None:
            names = self.names if code.startswith(self.province) else national_names()
            name = self._place_names[code] = place_name(code[:6], names)
        return name


def _destination_counties(counties: list[str], expected_stays: float) -> dict[str, float]:
    by_prefecture: dict[str, list[str]] = {}
    for code in counties:
        by_prefecture.setdefault(code[:4], []).append(code)
    others = sum(PREFECTURE_POPULATION.get(p, 0) for p in by_prefecture if p != CAPITAL)
    shares = {}
    for prefecture, codes in by_prefecture.items():
        share = (
            CAPITAL_SHARE
            if prefecture == CAPITAL
            else (1 - CAPITAL_SHARE) * PREFECTURE_POPULATION.get(prefecture, 0) / (others or 1)
        )
        total = sum(county_weight(c) for c in codes)
        for code in codes:
            shares[code] = expected_stays * share * county_weight(code) / total
    return shares


def _origins(province: str, counties: list[str]) -> Weighted:
    weights: dict[str, float] = {}
    home: dict[str, list[str]] = {}
    for code in counties:
        home.setdefault(code[:4], []).append(code)
    total_home = sum(SICHUAN_ORIGIN_WEIGHTS.get(p, 1.0) for p in home)
    for prefecture, codes in home.items():
        share = SICHUAN_ORIGIN_SHARE * SICHUAN_ORIGIN_WEIGHTS.get(prefecture, 1.0) / total_home
        total = sum(origin_county_weight(c) for c in codes)
        for code in codes:
            weights[code] = share * origin_county_weight(code) / total
    provinces = dict(OTHER_ORIGIN_WEIGHTS)
    for code in OTHER_PROVINCES:
        provinces[code] = OTHER_PROVINCES_WEIGHT / len(OTHER_PROVINCES)
    total_other = sum(provinces.values())
    national = [c for c in national_counties() if c[:2] in provinces and c[:2] != province]
    for prov, weight in provinces.items():
        codes = [c for c in national if c[:2] == prov]
        total = sum(origin_county_weight(c) for c in codes)
        for code in codes:
            weights[code] = (1 - SICHUAN_ORIGIN_SHARE) * weight / total_other * origin_county_weight(code) / total
    codes = sorted(weights)
    return Weighted(codes, [weights[c] for c in codes])


def plan_build(*, seed: int, persons: int, province: str = "51", required: tuple[str, ...] = ()) -> Plan:
    """Choose populated communities in proportion to each county's expected migrants; `required` ones always."""
    rng = random.Random(f"liuguan-demo:{seed}:plan")
    names: dict[str, str] = {}
    villages: dict[str, list[str]] = {}
    communities_of: dict[str, list[str]] = {}
    rows = Division.objects.filter(code__startswith=province).order_by("code").values_list("code", "name", "level")
    for code, name, level in rows.iterator(chunk_size=5000):
        if level == Level.COMMUNITY:
            names[code] = stem(name)
            communities_of.setdefault(code[:6], []).append(code)
            villages.setdefault(code[:6], []).append(code)
        else:
            names[code] = name
    counties = sorted(communities_of)
    expected_stays = persons * STAYS_PER_PERSON
    shares = _destination_counties(counties, expected_stays)
    chosen: dict[str, Weighted] = {}
    expected: dict[str, float] = {}
    for county in counties:
        candidates = communities_of[county]
        weights = [4.0 if is_urban(c) else 1.0 for c in candidates]
        k = max(1, min(len(candidates), math.ceil(shares[county] / STAYS_PER_COMMUNITY)))
        picked = weighted_sample(rng, candidates, weights, k)
        picked += sorted(c for c in required if c[:6] == county and c not in picked)
        # Required communities are the demo accounts' own: make sure their pages have plenty of people on them.
        picked_weights = [12.0 if c in required else 4.0 if is_urban(c) else 1.0 for c in picked]
        total = sum(picked_weights)
        for code, weight in zip(picked, picked_weights, strict=True):
            expected[code] = shares[county] * weight / total
        chosen[county] = Weighted(picked, picked_weights)
    communities = sorted(expected)
    return Plan(
        province=province,
        names=names,
        communities=communities,
        expected=expected,
        destinations=Weighted(communities, [expected[c] for c in communities]),
        counties=Weighted(counties, [shares[c] for c in counties]),
        by_county=chosen,
        origins=_origins(province, counties),
        villages=villages,
    )
