"""Households, their moves and their registrations, yielded in chunks of rows so memory stays bounded.

Three random streams: `people` decides who lives where (homes.py draws from it too), `registrations` when,
through which channel and by which collector each stay was registered, `defects` (defects.py) which records
go wrong and how; the duties have their own (duties.py). So a different defect rate, or another way of
registering, leaves the population itself unchanged. What outlives a chunk is small: the current ID block
(N/100 numbers), one dormitory per employer and one shared flat per community.

Two sources name the people here independently of each other, as an omission estimate from two lists
(capture-recapture) assumes. The registration channels (collectors, the people themselves, batch imports)
register every household but the unregistered ones, which the defects stream picks at random. Landlords and
employers report tenants and staff alike whether a registration channel saw them or not, and a report of
someone unregistered is what registers them.
"""

import datetime as dt
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings

from liuguan.core.pinyin import names_pinyin_bulk
from liuguan.registry.codes import SourceChannel
from liuguan.registry.timeliness import PolicyTable

from . import names
from .defects import Defects, Rates
from .draw import Weighted, below, between, one_of
from .duties import Duties
from .geography import Plan
from .homes import Homes, Residence
from .models import DefectKind
from .people import ADULT_AGES, ELDER_AGES, Registrar, Someone, age_between
from .places import Workplaces
from .writers import column

DAY = dt.timedelta(days=1)
# Household kinds and weights: most migrants come alone, families bring children of school age.
HOUSEHOLDS = Weighted.of((("single", 58), ("couple", 14), ("family", 22), ("single_parent", 2), ("elder", 4)))
CHILDREN = Weighted((1, 2, 3), (50, 40, 10))
# Registration channels; landlords and employers register only those they report (duties.py).
CHANNELS = Weighted.of(((SourceChannel.COLLECTOR, 85), (SourceChannel.SELF, 10), (SourceChannel.IMPORT, 5)))
# Days from arrival to registration when on time: most within three days (the rule says seven).
LAGS = Weighted((0, 1, 2, 3, 4, 5, 6, 7), (30, 25, 15, 10, 7, 5, 4, 4))
LATE_AFTER_DAYS = 7
# Collector, collection point and device time of a registration no collector made.
NOT_COLLECTED = (None, None, None)
_PIN = column("person", "name_pinyin")
_NAME = column("person", "name")
_S_PERSON, _S_CHANNEL = column("stay", "person_id"), column("stay", "source_channel")
_S_LAG, _S_LATE = column("stay", "lag_days"), column("stay", "late")


@dataclass
class World:
    """What the generator draws on besides the plan: offices, grids, collectors and employers already written."""

    plan: Plan
    workplaces: Workplaces
    grids: dict[str, list[int]]
    points: dict[str, list[int]]
    collectors: dict[str, list[int]]
    run_id: int
    as_of: dt.date
    # What building the world added to the database (offices, grids, accounts), for the run's summary.
    created: dict = field(default_factory=dict)
    # The divisions the demo accounts sit at (accounts.Chain); None when built without accounts.
    chain: object = None


@dataclass
class Chunk:
    """The rows of `persons` real people (and of the houses first used by them), ready for a writer."""

    persons: int = 0
    rows: dict[str, list] = field(
        default_factory=lambda: {
            t: []
            for t in (
                "house",
                "person",
                "stay",
                "trueperson",
                "defect",
                "filing",
                "tenant",
                "report",
                "agreement",
                "foreigndoc",
                "dutygap",
            )
        }
    )


class ProvinceGenerator:
    """Generates real people household by household and their registry rows, chunk by chunk."""

    def __init__(self, world: World, *, seed: int, persons: int, rates: Rates, ids):
        self.world, self.plan, self.ids, self.rates = world, world.plan, ids, rates
        self.persons = persons
        self.as_of = world.as_of
        self.rng = random.Random(f"liuguan-demo:{seed}:people")
        self.registrations = random.Random(f"liuguan-demo:{seed}:registrations")
        self.registrar = Registrar(rng=self.rng, plan=self.plan, persons=persons, as_of=self.as_of)
        # The areas' registration deadlines, read once: what the registry's `late` flag is measured against.
        self.policies = PolicyTable()
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.index = 0
        self.last_day = self.as_of - DAY
        self.defects = Defects(
            seed=seed, rates=rates, plan=self.plan, numbers=self.registrar.numbers, last_day=self.last_day, tz=self.tz
        )
        self.homes = Homes(world=world, rng=self.rng, ids=ids, tz=self.tz, last_day=self.last_day)
        self.duties = Duties(
            world=world,
            seed=seed,
            persons=persons,
            numbers=self.registrar.numbers,
            ids=ids,
            tz=self.tz,
            last_day=self.last_day,
            homes=self.homes,
            policies=self.policies,
        )

    # -- chunks -------------------------------------------------------------------------------------------------

    def chunks(self, size: int) -> Iterator[Chunk]:
        """Chunks of exactly `size` real people (the last one smaller); households may straddle two chunks."""
        pending: deque[Chunk] = deque()
        while self.index < self.persons or pending:
            while len(pending) < size and self.index < self.persons:
                pending.extend(self.household())
            chunk = Chunk()
            for _ in range(min(size, len(pending))):
                one = pending.popleft()
                chunk.persons += 1
                for table, rows in one.rows.items():
                    chunk.rows[table].extend(rows)
            people = chunk.rows["person"]
            for row, (pinyin, initials) in zip(people, names_pinyin_bulk([r[_NAME] for r in people]), strict=True):
                row[_PIN] = pinyin.replace(" ", "")
                row[_PIN + 1] = initials
            yield chunk

    # -- households ---------------------------------------------------------------------------------------------

    def _next_index(self) -> int | None:
        if self.index >= self.persons:
            return None
        self.index += 1
        return self.index - 1

    def household(self) -> list[Chunk]:
        """A household's people, each as a one-person chunk of rows; the whole household shares its home."""
        rng, plan = self.rng, self.plan
        self.homes.new_houses = []
        kind = HOUSEHOLDS.draw(rng)
        registered = not self.defects.unregistered()
        origin = plan.origin(rng)
        index = self._next_index()
        u = rng.random()
        if kind == "elder":
            sex, age = ("M" if rng.random() < 0.45 else "F"), age_between(rng, ELDER_AGES)
        elif kind in ("single", "couple"):
            sex = "M" if rng.random() < (0.62 if kind == "single" else 0.5) else "F"
            age = age_between(rng, ADULT_AGES)
        else:
            sex = "M" if rng.random() < (0.85 if kind == "family" else 0.3) else "F"
            age = between(rng, 24, 48)
        if kind == "single" and u < self.rates.foreign:
            head = self.registrar.foreigner(index=index, sex=sex, age=max(age, 20))
        elif kind == "single" and u < self.rates.foreign + self.rates.hmt:
            head = self.registrar.hmt_resident(index=index, sex=sex, age=max(age, 20))
        else:
            married = "20" if kind in ("couple", "family") else None
            head = self.registrar.citizen(index=index, sex=sex, age=age, origin=origin, marital=married)
        residences = self.homes.trajectory(head, kind)
        home = residences[-1]
        members = [(head, residences)]
        spouse = None
        if kind in ("couple", "family") or (kind == "elder" and rng.random() < 0.4):
            spouse = self.spouse(head, origin)
            if spouse is not None:
                members.append((spouse, [self.homes.joining(home, spouse, head_arrived=home.arrived)]))
        if kind in ("family", "single_parent"):
            mother = head if head.sex == "F" else spouse
            for _ in range(CHILDREN.draw(rng)):
                child = self.child(head, spouse, mother, home)
                if child is None:
                    break
                members.append((child, [self.homes.joining(home, child, head_arrived=home.arrived)]))
        bundles = [self.rows_for(person, stays) if registered else Chunk(persons=1) for person, stays in members]
        # Houses go with the head, so they are written no later than anyone who lives in them; the duties
        # (landlords, filings, reports, agreements, guests) go with the head or the member they concern.
        houses, by_report = self.duties.household(
            bundles, self.homes.new_houses, members=members, registered=registered, index=self.index - 1
        )
        bundles[0].rows["house"].extend(houses)
        if not registered:
            for bundle, (person, residences) in zip(bundles, members, strict=True):
                self.unregistered(bundle, person, residences[-1], by_report.get(person.key))
        return bundles

    def spouse(self, head: Someone, origin: str) -> Someone | None:
        index = self._next_index()
        if index is None:
            return None
        rng = self.rng
        age = head.age_on(self.last_day)
        age = max(18, age - between(rng, -2, 5) if head.sex == "M" else age + between(rng, -2, 5))
        home = origin if rng.random() < 0.7 else self.plan.origin(rng)
        ethnicity = head.ethnicity if rng.random() < 0.8 else None
        return self.registrar.citizen(
            index=index, sex="F" if head.sex == "M" else "M", age=age, origin=home, ethnicity=ethnicity, marital="20"
        )

    def child(self, head: Someone, spouse: Someone | None, mother: Someone | None, home: Residence) -> Someone | None:
        """A child under 16, born when both parents were 20 or older and before the family left; father's hukou."""
        youngest = max(p.birth for p in (head, spouse) if p is not None)
        earliest = max(youngest + dt.timedelta(days=20 * 365 + 5), self.last_day - dt.timedelta(days=16 * 365 - 1))
        latest = home.departed or self.last_day
        if earliest > latest:
            return None
        index = self._next_index()
        if index is None:
            return None
        rng = self.rng
        father = head if head.sex == "M" else spouse
        parent = father or head
        birth = earliest + below(rng, (latest - earliest).days + 1) * DAY
        person = self.registrar.citizen(
            index=index,
            sex="M" if rng.random() < 0.53 else "F",
            birth=birth,
            origin=parent.hukou_code,
            ethnicity=parent.ethnicity,
            family=names.family_of(parent.name),
            marital="",
        )
        person.father_key = father.key if father else ""
        person.mother_key = mother.key if mother else ""
        person.hukou_address = parent.hukou_address
        return person

    # -- rows -------------------------------------------------------------------------------------------------

    def registration(self, arrived: dt.date, community: str) -> tuple:
        """When, by which registration channel and by whom a stay was registered; a share is late on purpose.

        On time means within both seven days and the area's own deadline (RegistrationPolicy); late means
        beyond both, so the registry's `late` flag and the injected defect always agree.
        """
        rng = self.registrations
        room = (self.last_day - arrived).days
        deadline = self.policies.for_code(community)[0]
        lag = min(LAGS.draw(rng), room, deadline)
        minute = between(rng, 510, 1199)
        channel = CHANNELS.draw(rng)
        late = self.defects.late_lag(room, max(LATE_AFTER_DAYS, deadline))
        if late is not None:
            lag = late
        registered = dt.datetime.combine(arrived + lag * DAY, dt.time(minute // 60, minute % 60), self.tz)
        collected = self.collection(community, registered) if channel == SourceChannel.COLLECTOR else NOT_COLLECTED
        return registered, channel, collected, late, lag > deadline

    def collection(self, community: str, registered: dt.datetime) -> tuple:
        """Collector, collection point and device time: one of the township's collectors, at a point of the
        community, entering the record a while before it was saved.
        """
        rng = self.registrations
        collectors = self.world.collectors.get(community[:9])
        collector = one_of(rng, collectors) if collectors else None
        points = self.world.points.get(community)
        point = one_of(rng, points) if points else None
        return collector, point, registered - dt.timedelta(seconds=between(rng, 5, 7199))

    def unregistered(self, one: Chunk, person: Someone, home: Residence, stay: tuple | None) -> None:
        """The truth about someone no registration channel saw: the stay a duty holder's report registered, if any.

        Such a stay is late like any other when the report came after the area's registration deadline.
        """
        run = self.world.run_id
        person_id = stay[_S_PERSON] if stay else None
        one.rows["trueperson"].append(self._truth(person, home, person_id, registered=False))
        detail = {"community": home.community, "house_id": home.house}
        if stay is not None:
            detail |= {"reported_by": stay[_S_CHANNEL], "person_id": person_id}
        one.rows["defect"].append(
            [self.ids.next("defect"), run, DefectKind.UNREGISTERED, None, None, person.key, detail]
        )
        if stay is not None and stay[_S_LATE]:
            detail = {"lag_days": stay[_S_LAG], "arrived_on": home.arrived.isoformat()}
            one.rows["defect"].append(
                [self.ids.next("defect"), run, DefectKind.LATE_REGISTRATION, person_id, stay[0], person.key, detail]
            )

    def rows_for(self, person: Someone, residences: list[Residence]) -> Chunk:
        one = Chunk(persons=1)
        run = self.world.run_id
        home = residences[-1]
        person_id = self.ids.next("person")
        first_registered = first_collector = first_channel = None
        for residence in residences:
            registered_at, channel, collected, late, overdue = self.registration(residence.arrived, residence.community)
            stay_id = self.ids.next("stay")
            one.rows["stay"].append(
                residence.stay_row(stay_id, person_id, registered_at, channel, late=overdue, collected=collected)
            )
            if first_registered is None:
                first_registered, first_collector, first_channel = registered_at, collected[0], channel
            if late is not None:
                detail = {"lag_days": late, "arrived_on": residence.arrived.isoformat()}
                one.rows["defect"].append(
                    [self.ids.next("defect"), run, DefectKind.LATE_REGISTRATION, person_id, stay_id, person.key, detail]
                )
        recorded = {"ethnicity": person.ethnicity, "hukou_address": person.hukou_address, "phone": person.phone}
        wrong = self.defects.misrecord(person)
        if wrong is not None:
            field, value = wrong
            recorded[field] = value
            one.rows["defect"].append(
                [
                    self.ids.next("defect"),
                    run,
                    DefectKind.WRONG_FIELD,
                    person_id,
                    None,
                    person.key,
                    {"field": field, "true": getattr(person, field), "recorded": value},
                ]
            )
        one.rows["person"].append(
            [
                person_id,
                person.doc_type,
                person.doc_number,
                person.name,
                "",
                "",
                person.sex,
                person.birth,
                recorded["ethnicity"],
                person.nationality,
                person.hukou_code,
                recorded["hukou_address"],
                recorded["phone"],
                person.education,
                person.marital,
                person.party,
                first_registered,
                first_registered,
                first_collector,
                first_channel,
            ]
        )
        one.rows["trueperson"].append(self._truth(person, home, person_id, registered=True))
        second = self.defects.duplicate(person, home.arrived)
        if second is not None:
            self._second_registration(person, home, one, person_id, first_registered, second)
        return one

    def _truth(self, p: Someone, home: Residence, person_id: int | None, *, registered: bool) -> tuple:
        return (
            self.ids.next("trueperson"),
            self.world.run_id,
            p.key,
            registered,
            person_id,
            p.doc_type,
            p.doc_number,
            p.name,
            p.sex,
            p.birth,
            p.ethnicity,
            p.nationality,
            p.hukou_code,
            p.hukou_address,
            p.phone,
            p.education,
            p.marital,
            home.community,
            home.house,
            home.employer,
            home.arrived,
            home.departed,
            p.father_key,
            p.mother_key,
        )

    def _second_registration(
        self, p: Someone, home: Residence, one: Chunk, original_id: int, first: dt.datetime, second: dict
    ) -> None:
        """A duplicate person row and its stay at the same home, and the defect naming the original."""
        typo, registered, channel = second["typo"], second["registered"], second["channel"]
        dup_id, stay_id = self.ids.next("person"), self.ids.next("stay")
        one.rows["person"].append(
            [
                dup_id,
                p.doc_type,
                typo["number"],
                second["name"],
                "",
                "",
                typo["sex"],
                typo["birth_date"],
                p.ethnicity,
                p.nationality,
                p.hukou_code,
                p.hukou_address,
                second["phone"],
                p.education,
                p.marital,
                p.party,
                registered,
                registered,
                None,
                channel,
            ]
        )
        overdue = (registered.date() - home.arrived).days > self.policies.for_code(home.community)[0]
        collected = self.collection(home.community, registered) if channel == SourceChannel.COLLECTOR else NOT_COLLECTED
        one.rows["stay"].append(home.stay_row(stay_id, dup_id, registered, channel, late=overdue, collected=collected))
        one.rows["defect"].append(
            [
                self.ids.next("defect"),
                self.world.run_id,
                DefectKind.DUPLICATE,
                dup_id,
                stay_id,
                p.key,
                {
                    "original_person_id": original_id,
                    "id_change": typo["change"],
                    "position": typo["position"],
                    "check_recomputed": typo["check_recomputed"],
                    "check_valid": typo["check_valid"],
                    "name_change": second["variant"],
                    "first_registered_at": first.isoformat(),
                },
            ]
        )
