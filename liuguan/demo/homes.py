"""Where a household lives and moves: arrivals on the festival calendar, reasons, employers, dwellings.

Draws come from the generator's `people` stream (passed in), so homes and people stay one sequence.
"""

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from liuguan.registry.codes import HouseKind, Reason

from . import names
from .draw import Weighted, between, one_of
from .people import Someone
from .places import street_address
from .reference import HAN, SPRING_FESTIVALS

DAY = dt.timedelta(days=1)
STAYS = Weighted((1, 2, 3), (70, 22, 8))
ELDER_REASONS = Weighted(
    (Reason.FAMILY, Reason.MEDICAL, Reason.WORK, Reason.BUSINESS, Reason.OTHER), (50, 10, 25, 5, 10)
)


def _reasons(study: bool, marriage: bool) -> Weighted:
    options = [(Reason.WORK, 70), (Reason.BUSINESS, 13), (Reason.FAMILY, 7), (Reason.MEDICAL, 1), (Reason.OTHER, 2)]
    return Weighted.of(options + [(Reason.STUDY, 12)] * study + [(Reason.MARRIAGE, 4)] * marriage)


# Reasons of working-age people, by (young enough to study, a woman of marrying age).
REASONS = {(s, m): _reasons(s, m) for s in (False, True) for m in (False, True)}


@dataclass(slots=True)
class Residence:
    """One stay of a real person: where, why, from when until when, and the dwelling."""

    community: str
    grid: int | None
    house: int
    employer: int | None
    address: str
    reason: str
    arrived: dt.date
    departed: dt.date | None = None
    destination: str = ""

    def stay_row(
        self,
        stay_id: int,
        person_id: int,
        registered_at: dt.datetime,
        channel: str,
        *,
        late: bool,
        collected: tuple = (None, None, None),
    ) -> tuple:
        """The registry's row of this stay (writers.TABLES), registered at `registered_at` through `channel`;
        a collector's registration is `collected` by a collector at a collection point, on the device's clock.
        """
        collector, point, device = collected
        return (
            stay_id,
            person_id,
            self.community,
            self.grid,
            self.house,
            self.employer,
            self.address,
            self.reason,
            self.arrived,
            registered_at,
            self.departed,
            self.destination,
            channel,
            collector,
            point,
            device,
            (registered_at.date() - self.arrived).days,
            late,
            None,
        )


def festival_weight(day: dt.date) -> float:
    """Few arrivals in the three weeks before the Spring Festival and its first week, a wave in the month after."""
    for festival in SPRING_FESTIVALS:
        offset = (day - festival).days
        if -21 <= offset < 0:
            return 0.3
        if 0 <= offset < 7:
            return 0.15
        if 7 <= offset < 36:
            return 2.2
    return 1.0


class Homes:
    """Trajectories and dwellings; remembers one dormitory per employer and one shared flat per community."""

    def __init__(self, *, world, rng: random.Random, ids, tz: ZoneInfo, last_day: dt.date):
        self.world, self.plan, self.rng, self.ids, self.tz = world, world.plan, rng, ids, tz
        self.last_day = last_day
        self.first_day = last_day - dt.timedelta(days=5 * 365 + 1)
        days = (last_day - self.first_day).days + 1
        self._arrival_cum = list(itertools.accumulate(festival_weight(self.first_day + i * DAY) for i in range(days)))
        self.dorms: dict[tuple[int, str], tuple] = {}
        self.shared: dict[str, list] = {}
        # House rows made since the caller last emptied this list (the generator does, per household); duties.py
        # names the landlord and the rooms of the rental ones before they are written.
        self.new_houses: list[tuple] = []

    def arrival(self, low: dt.date, high: dt.date) -> dt.date:
        """A day between low and high, weighted by the festival calendar."""
        lo = max(0, (low - self.first_day).days)
        hi = min(len(self._arrival_cum) - 1, (high - self.first_day).days)
        if hi <= lo:
            return self.first_day + lo * DAY
        base = self._arrival_cum[lo - 1] if lo else 0.0
        target = base + self.rng.random() * (self._arrival_cum[hi] - base)
        return self.first_day + min(hi, bisect.bisect_left(self._arrival_cum, target, lo, hi + 1)) * DAY

    def trajectory(self, head: Someone, kind: str) -> list[Residence]:
        """One to three stays over the last five years; moves often cross counties; a share left again."""
        rng, plan = self.rng, self.plan
        planned = STAYS.draw(rng)
        earliest = min(self.last_day, max(self.first_day, head.birth + dt.timedelta(days=16 * 365 + 4)))
        arrivals = [self.arrival(earliest, max(earliest, self.last_day - (planned - 1) * 75 * DAY))]
        for remaining in range(planned - 2, -1, -1):
            low = arrivals[-1] + 60 * DAY
            high = min(arrivals[-1] + 900 * DAY, self.last_day - remaining * 75 * DAY)
            if low > high:
                break
            arrivals.append(self.arrival(low, high))
        residences: list[Residence] = []
        for arrived in arrivals:
            if not residences:
                community = plan.community(rng)
            elif rng.random() < 0.6:
                community = plan.community_in(rng, plan.county(rng))
            else:
                community = plan.community_in(rng, residences[-1].community[:6])
            residences.append(self.residence(head, kind, community, arrived))
        for before, after in itertools.pairwise(residences):
            before.departed = max(before.arrived, after.arrived - between(rng, 0, 14) * DAY)
            before.destination = plan.place_name(after.community[:6])
        last = residences[-1]
        if rng.random() < 0.15 and (self.last_day - last.arrived).days > 30:
            last.departed = last.arrived + between(rng, 30, (self.last_day - last.arrived).days) * DAY
            last.destination = "返回原籍" if rng.random() < 0.6 else "离开四川"
        return residences

    def reason(self, person: Someone, kind: str) -> str:
        age, rng = person.age_on(self.last_day), self.rng
        if kind == "elder" or age >= 56:
            return ELDER_REASONS.draw(rng)
        return REASONS[(age <= 24, person.sex == "F" and 22 <= age <= 35)].draw(rng)

    def residence(self, person: Someone, kind: str, community: str, arrived: dt.date) -> Residence:
        """Reason, employer and dwelling: workers of factories and sites often live in the employer's dormitory."""
        rng, world = self.rng, self.world
        reason = self.reason(person, kind)
        employer = None
        if reason in (Reason.WORK, Reason.BUSINESS):
            pool = world.workplaces.small if reason == Reason.BUSINESS else world.workplaces.employers
            employer = (pool.get(community[:6]) or world.workplaces.employers[community[:6]]).draw(rng)
        house_kind = HouseKind.RENTAL
        u = rng.random()
        industry = employer[2] if employer else ""
        if reason == Reason.WORK and industry in ("C", "E", "H") and u < 0.3:
            house_kind = HouseKind.DORMITORY
        elif reason == Reason.WORK and industry == "E" and u < 0.45:
            house_kind = HouseKind.WORKSITE
        elif reason == Reason.BUSINESS:
            house_kind = HouseKind.SHOP if u < 0.45 else HouseKind.OWNED if u < 0.55 else HouseKind.RENTAL
        elif reason in (Reason.FAMILY, Reason.MARRIAGE):
            house_kind = HouseKind.OWNED if u < 0.2 else HouseKind.OTHER if u < 0.25 else HouseKind.RENTAL
        elif reason == Reason.STUDY and u < 0.4:
            house_kind = HouseKind.OTHER
        elif u < 0.08:
            house_kind = HouseKind.OWNED
        if house_kind in (HouseKind.DORMITORY, HouseKind.WORKSITE):
            house = self.dorm(employer, house_kind, arrived)
        else:
            house = self.house(community, house_kind, arrived, person, shareable=kind == "single")
        house_id, community, grid, address = house
        return Residence(
            community=community,
            grid=grid,
            house=house_id,
            employer=employer[0] if employer else None,
            address=address,
            reason=reason,
            arrived=arrived,
        )

    def _new_house(self, community: str, kind: str, address: str, owner: str, arrived: dt.date) -> tuple:
        grids = self.world.grids.get(community)
        grid = one_of(self.rng, grids) if grids else None
        house = (self.ids.next("house"), community, grid, address)
        created = dt.datetime.combine(arrived, dt.time(9), self.tz)
        self.new_houses.append(
            (
                house[0],
                address,
                community,
                grid,
                kind,
                kind in (HouseKind.RENTAL, HouseKind.SHOP),
                owner,
                None,
                created,
                None,
                1,
            )
        )
        return house

    def house(self, community: str, kind: str, arrived: dt.date, person: Someone, *, shareable: bool) -> tuple:
        """A new dwelling, or a room in the flat another single worker rents in the same community (合租)."""
        rng = self.rng
        if kind == HouseKind.RENTAL and shareable:
            flat = self.shared.get(community)
            if flat and flat[1] < 4 and rng.random() < 0.3:
                flat[1] += 1
                return flat[0]
        owner = (
            person.name
            if kind == HouseKind.OWNED
            else names.person_name(
                rng, sex="M" if rng.random() < 0.6 else "F", birth_year=between(rng, 1950, 1985), ethnicity=HAN
            )
        )
        house = self._new_house(community, kind, street_address(rng, self.plan, community), owner, arrived)
        if kind == HouseKind.RENTAL:
            self.shared[community] = [house, 1]
        return house

    def dorm(self, employer: tuple, kind: str, arrived: dt.date) -> tuple:
        """One dormitory (or site shed) per employer, shared by all who live there over the years."""
        key = (employer[0], kind)
        if key not in self.dorms:
            suffix = "员工宿舍" if kind == HouseKind.DORMITORY else "项目部工棚"
            self.dorms[key] = self._new_house(employer[1], kind, employer[4] + suffix, employer[3], arrived)
        return self.dorms[key]

    def joining(self, home: Residence, person: Someone, *, head_arrived: dt.date) -> Residence:
        """Spouse and children come to the head's current home, some weeks later or when born there."""
        rng = self.rng
        arrived = head_arrived if rng.random() < 0.5 else head_arrived + between(rng, 0, 90) * DAY
        arrived = min(max(arrived, person.birth), home.departed or self.last_day, self.last_day)
        age = person.age_on(arrived)
        reason = (
            (Reason.STUDY if 6 <= age <= 15 and rng.random() < 0.85 else Reason.FAMILY)
            if age < 16
            else (Reason.WORK if rng.random() < 0.55 else Reason.FAMILY)
        )
        return Residence(
            community=home.community,
            grid=home.grid,
            house=home.house,
            employer=home.employer if reason == Reason.WORK else None,
            address=home.address,
            reason=reason,
            arrived=arrived,
            departed=home.departed,
            destination=home.destination,
        )
