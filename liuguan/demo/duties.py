"""Housing and employment duties of the demo province (以房管人、以业管人): landlords and their rental houses,
filed tenancies, reports by landlords, employers and hotels, hotel guests, foreigners' documents and
responsibility agreements, with known gaps recorded as truth (DutyGap) for breach detection to find.

Draws come from their own streams (`duties` for households, `duties-places` for employers and hotels), never
from the one that makes people, so the population stays what it was. Landlords and guests take their ID
numbers from the same issuer as everyone else, so no number repeats.

The gaps are exactly what detection must find, whatever reading of "covering" or "due" it takes:

- a missing report is left only on an OPEN stay that somebody other than the duty holder registered, at a
  house whose filing was in force from before the arrival (landlord), or naming an employer (employer), and
  whose deadline passed at least two days before the as-of date; every other stay under a duty is reported;
- a late report is every report made after its area's deadline (`late`);
- an expired agreement is a party's last agreement that ended at least two days before the as-of date with
  no later one; every other party's last agreement runs to at least two days after it.

Whether a registration channel saw a household changes nothing for its landlord or employer: its rental
houses are filed alike, and each member's current stay is reported, or left unreported, with the same draws.
A report naming someone unregistered registers them: a person, an open stay through the report's channel,
and the report as CREATED. Someone unregistered whom nobody reported stays unknown, and no gap is recorded,
as there is no stay that detection could find.
"""

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from liuguan.compliance.codes import AgreementKind, DutyChannel, ForeignDocKind, ReportKind, ReportOutcome
from liuguan.compliance.models import AgreementTemplate, ReportingPolicy
from liuguan.compliance.services.agreements import add_months, term_end
from liuguan.registry.codes import DocType, HouseKind, Reason, SourceChannel

from .draw import below, between, one_of
from .geography import is_urban
from .homes import Residence
from .models import DutyGapKind
from .people import ADULT_AGES, Registrar, Someone, age_between
from .writers import column

DAY = dt.timedelta(days=1)
# Share of new rental houses let by a landlord who already lets another in the township (many own several).
LANDLORD_AGAIN = 0.65
# Share of urban rental houses let by an organisation (a property or leasing company) rather than a person.
ORGANISATION = 0.12
# Share of rental houses with a filed tenancy (租赁合同登记备案).
FILED = 0.85
# Share of rental houses, hotels, larger and smaller employers that signed a responsibility agreement.
HOUSE_AGREEMENT = 0.8
HOTEL_AGREEMENT = 0.9
LARGE_EMPLOYER_AGREEMENT = 0.85
SMALL_EMPLOYER_AGREEMENT = 0.15
LARGE_STAFF = 10
# Gaps: duties not met on purpose.
MISSING = {DutyChannel.LANDLORD: 0.08, DutyChannel.EMPLOYER: 0.08}
LATE = 0.06
EXPIRED = 0.12
# Hotel guests per real person, and the share of them who are foreigners.
GUESTS_PER_PERSON = 0.03
FOREIGN_GUEST = 0.08
# Days kept clear of the as-of date, so no boundary reading (before, on or after the day) changes a gap.
MARGIN = 2
# Deadlines used when the ReportingPolicy table has none for a channel (the shipped defaults).
FALLBACK_DEADLINES = {DutyChannel.LANDLORD: 3, DutyChannel.EMPLOYER: 7, DutyChannel.HOTEL: 1}
LETTER = {AgreementKind.LANDLORD: "L", AgreementKind.HOTEL: "H", AgreementKind.EMPLOYER: "E"}

_S = {name: column("stay", name) for name in ("person_id", "community_id", "house_id", "employer_id")}
_S_ARRIVED, _S_REGISTERED = column("stay", "arrived_on"), column("stay", "registered_at")
_S_DEPARTED = column("stay", "departed_on")
_H_KIND, _H_CREATED = column("house", "kind"), column("house", "created_at")
_P_DOC_TYPE = column("person", "doc_type")


@dataclass(slots=True)
class Letting:
    """A rental house as the duties see it: who lets it and the filing in force, if any."""

    house: int
    community: str
    landlord: str
    filing: int | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None


def _person_row(pk: int, p: Someone, created: dt.datetime, channel: str) -> list:
    """A person as a duty holder or a department records them, from the document: nothing misrecorded."""
    return [
        pk,
        p.doc_type,
        p.doc_number,
        p.name,
        "",
        "",
        p.sex,
        p.birth,
        p.ethnicity,
        p.nationality,
        p.hukou_code,
        p.hukou_address,
        p.phone,
        p.education,
        p.marital,
        p.party,
        created,
        created,
        None,
        channel,
    ]


def deadlines_read() -> dict[str, list[tuple[str, int]]]:
    """The reporting deadlines per channel, longest division-code prefix first (as detection reads them)."""
    table: dict[str, list[tuple[str, int]]] = {}
    for prefix, channel, days in ReportingPolicy.objects.values_list("prefix", "channel", "deadline_days"):
        table.setdefault(channel, []).append((prefix, days))
    for rows in table.values():
        rows.sort(key=lambda row: len(row[0]), reverse=True)
    return table


def templates_read() -> dict[str, tuple[int, int]]:
    """The agreement text in use per kind of party: (template id, term in months)."""
    found = {}
    for pk, kind, months in (
        AgreementTemplate.objects.filter(active=True).order_by("version").values_list("pk", "kind", "term_months")
    ):
        found[kind] = (pk, months)
    return found


class Duties:
    """Adds the duties' rows to each household's chunks, and the employers' and hotels' agreements up front."""

    def __init__(self, *, world, seed: int, persons: int, numbers, ids, tz, last_day: dt.date, homes, policies):
        self.world, self.plan, self.ids, self.tz, self.homes = world, world.plan, ids, tz, homes
        self.rng = random.Random(f"liuguan-demo:{seed}:duties")
        self.seed = seed
        self.as_of, self.last_day = world.as_of, last_day
        self.registrar = Registrar(rng=self.rng, plan=self.plan, persons=persons, as_of=self.as_of)
        self.registrar.numbers = numbers  # one issuer for everyone: numbers never repeat
        self.registry_deadlines = policies
        self.deadlines = deadlines_read()
        self.templates = templates_read()
        self.next_passport = persons  # foreign guests' passports follow the real people's indexes
        employers = world.workplaces.rows["employer"]
        self.employer_community = {row[0]: row[5] for row in employers}
        # Companies that may let houses, by county: leasing and estate agencies first, else any company.
        self.organisations: dict[str, list[tuple[int, str]]] = {}
        for pk, name, code, industry, _a, community, _g, _c, _staff in employers:
            if code[:2] == "91":
                self.organisations.setdefault(community[:6], []).append((pk, name, industry in ("K", "L")))
        for county, found in self.organisations.items():
            self.organisations[county] = [(pk, name) for pk, name, letting in found if letting] or [
                (pk, name) for pk, name, _letting in found
            ]
        self.lodgings = list(world.workplaces.rows["lodging"])
        self.landlords: dict[str, list[tuple[int, str]]] = {}
        self.shared: dict[str, Letting] = {}
        self.numbers_used: Counter = Counter()
        self.counts: Counter = Counter()
        self.run = world.run_id

    # -- deadlines and numbers ---------------------------------------------------------------------------------

    def deadline(self, channel: str, community: str) -> int | None:
        for prefix, days in self.deadlines.get(channel, ()):
            if community.startswith(prefix):
                return days
        return None if self.deadlines else FALLBACK_DEADLINES[channel]

    def _number(self, stem: str, width: int) -> str:
        self.numbers_used[stem] += 1
        return f"{stem}{self.numbers_used[stem]:0{width}d}"

    def _gap(self, rows: dict, kind: str, channel: str, **refs) -> None:
        detail = refs.pop("detail", {})
        rows["dutygap"].append(
            [
                self.ids.next("dutygap"),
                self.run,
                kind,
                channel,
                refs.get("person"),
                refs.get("stay"),
                refs.get("house"),
                refs.get("employer"),
                refs.get("lodging"),
                refs.get("report"),
                refs.get("agreement"),
                detail,
            ]
        )
        self.counts[f"gap_{kind}_{channel}"] += 1

    # -- agreements --------------------------------------------------------------------------------------------

    def agreements(self, rows: dict, *, kind: str, party: dict, community: str, name: str, first: dt.date) -> None:
        """Yearly terms from `first`, renewed until one covers the as-of date, or left expired on purpose.

        Only the last two terms are written (the one before and its renewal), as a platform that started
        recently would hold them.
        """
        template = self.templates.get(kind)
        if template is None or first > self.last_day - MARGIN * DAY:
            return
        template_id, months = template
        rng, as_of = self.rng, self.as_of
        expire = rng.random() < EXPIRED
        terms: list[tuple[dt.date, dt.date, dt.date]] = []
        # Terms long past are never written: start a term or two before the as-of date's.
        skip = max(0, (as_of - first).days * 12 // (months * 366) - 1)
        start = first if not skip else add_months(first, months * skip)
        signed = start if not skip else start - between(rng, 0, 20) * DAY
        while True:
            end = term_end(start, months)
            terms.append((start, end, signed))
            if end >= as_of + MARGIN * DAY:
                break
            if expire and end <= as_of - MARGIN * DAY and term_end(end + DAY, months) > as_of - MARGIN * DAY:
                break
            signed = min(end - between(rng, 0, 20) * DAY, self.last_day)
            start = end + DAY
        renews = None
        for start, end, signed in terms[-2:]:
            pk = self.ids.next("agreement")
            number = self._number(f"{LETTER[kind]}-{community[:6]}-{signed.year}-", 5)
            rows["agreement"].append(
                [
                    pk,
                    number,
                    kind,
                    template_id,
                    community,
                    party.get("house"),
                    party.get("lodging"),
                    party.get("employer"),
                    name,
                    name[:60],
                    signed,
                    start,
                    end,
                    renews,
                ]
            )
            renews = pk
        self.counts[f"agreement_{kind}"] += 1
        if terms[-1][1] < as_of:
            channel = {"house": DutyChannel.LANDLORD, "lodging": DutyChannel.HOTEL}.get(
                next(iter(party)), DutyChannel.EMPLOYER
            )
            self._gap(rows, DutyGapKind.EXPIRED_AGREEMENT, channel, agreement=renews, **party)

    def workplace_rows(self) -> dict[str, list]:
        """Agreements of hotels and employers (larger ones mostly), written with them before anyone lives here."""
        rng = random.Random(f"liuguan-demo:{self.seed}:duties-places")
        own, self.rng = self.rng, rng
        rows: dict[str, list] = {"agreement": [], "dutygap": []}
        earliest = self.as_of - dt.timedelta(days=3 * 365)
        for pk, name, _code, _industry, _address, community, _grid, created, staff in self.world.workplaces.rows[
            "employer"
        ]:
            share = LARGE_EMPLOYER_AGREEMENT if staff >= LARGE_STAFF else SMALL_EMPLOYER_AGREEMENT
            if rng.random() < share:
                first = max(created.date(), earliest) + between(rng, 0, 90) * DAY
                self.agreements(
                    rows,
                    kind=AgreementKind.EMPLOYER,
                    party={"employer": pk},
                    community=community,
                    name=name,
                    first=first,
                )
        for pk, name, _code, _address, community, _rooms, created in self.lodgings:
            if rng.random() < HOTEL_AGREEMENT:
                first = max(created.date(), earliest) + between(rng, 0, 60) * DAY
                self.agreements(
                    rows, kind=AgreementKind.HOTEL, party={"lodging": pk}, community=community, name=name, first=first
                )
        self.rng = own
        return rows

    # -- houses ------------------------------------------------------------------------------------------------

    def _landlord(self, rows: dict, house: tuple, index: int) -> tuple[int | None, int | None, str]:
        """A person who already lets a house in the township, a new local landlord, or a letting company."""
        rng, community = self.rng, house[2]
        companies = self.organisations.get(community[:6])
        if companies and is_urban(community) and rng.random() < ORGANISATION:
            pk, name = one_of(rng, companies)
            return None, pk, name
        pool = self.landlords.setdefault(community[:9], [])
        if pool and rng.random() < LANDLORD_AGAIN:
            pk, name = one_of(rng, pool)
            return pk, None, name
        person = self.registrar.citizen(
            index=index, sex="M" if rng.random() < 0.55 else "F", age=between(rng, 35, 72), origin=community[:6]
        )
        pk = self.ids.next("person")
        rows["person"].append(_person_row(pk, person, house[_H_CREATED], SourceChannel.DEPARTMENT))
        pool.append((pk, person.name))
        if len(pool) > 6:
            pool.pop(0)  # a landlord stops buying; the pool stays small
        self.counts["landlord"] += 1
        return pk, None, person.name

    def _let(self, rows: dict, house: tuple, index: int) -> tuple[tuple, Letting]:
        """A new rental house gets its landlord, rooms, agreement and (most) a filing."""
        rng = self.rng
        landlord, organisation, name = self._landlord(rows, house, index)
        rooms = between(rng, 1, 4)
        house = (*house[:6], name, landlord, house[_H_CREATED], organisation, rooms)
        house_id, community = house[0], house[2]
        letting = Letting(house=house_id, community=community, landlord=name)
        created = house[_H_CREATED].date()
        if rng.random() < FILED:
            starts = created - between(rng, 0, 10) * DAY
            years = max(1, -(-(self.as_of + MARGIN * DAY - starts).days // 365)) + (rng.random() < 0.5)
            ends = term_end(starts, 12 * years)
            while ends < self.as_of + MARGIN * DAY:
                years += 1
                ends = term_end(starts, 12 * years)
            filed = min(starts + between(rng, 0, 5) * DAY, self.last_day)
            letting.filing, letting.starts_on, letting.ends_on = self.ids.next("filing"), starts, ends
            rows["filing"].append(
                [
                    letting.filing,
                    self._number(f"ZL{community}{filed.year}", 4),
                    house_id,
                    community,
                    name,
                    "整租" if rooms == 1 else f"{rooms}间",
                    between(rng, 6, 40) * 100,
                    starts,
                    ends,
                    "",
                    "station",
                    dt.datetime.combine(filed, dt.time(between(rng, 9, 17), below(rng, 60)), self.tz),
                ]
            )
        if rng.random() < HOUSE_AGREEMENT:
            self.agreements(
                rows,
                kind=AgreementKind.LANDLORD,
                party={"house": house_id},
                community=community,
                name=name,
                first=created + between(rng, 0, 30) * DAY,
            )
        return house, letting

    # -- households --------------------------------------------------------------------------------------------

    def household(
        self, bundles: list, houses: list[tuple], *, members: list, registered: bool, index: int
    ) -> tuple[list[tuple], dict[str, tuple]]:
        """Landlords, filings and agreements of the household's new rental houses (in the head's rows), the
        landlords' and employers' reports of each member's stays and foreigners' documents (in the member's
        rows, so they are written with the person), and a few hotel guests.

        `members` are the real people of the bundles with their residences. Returns the house rows to write,
        and for an unregistered household the stays that reports registered, by the member's true key.
        """
        head = bundles[0].rows
        lettings: dict[int, Letting] = {}
        written = []
        for house in houses:
            if house[_H_KIND] == HouseKind.RENTAL:
                house, letting = self._let(head, house, index)
                lettings[house[0]] = letting
            written.append(house)
        by_report = {}
        for bundle, (someone, residences) in zip(bundles, members, strict=True):
            if registered:
                self._member(bundle.rows, lettings)
                continue
            stay = self._unregistered(bundle.rows, someone, residences, lettings)
            if stay is not None:
                by_report[someone.key] = stay
        for letting in lettings.values():
            flat = self.homes.shared.get(letting.community)
            if flat is not None and flat[0][0] == letting.house:
                self.shared[letting.community] = letting
        for _ in bundles:
            if self.rng.random() < GUESTS_PER_PERSON:
                self._guest(head, index)
        return written, by_report

    def _letting(self, lettings: dict[int, Letting], house: int, community: str) -> Letting | None:
        found = lettings.get(house)
        if found is None:
            shared = self.shared.get(community)
            found = shared if shared is not None and shared.house == house else None
        return found

    def _member(self, rows: dict, lettings: dict[int, Letting]) -> None:
        stays = rows["stay"]
        if not stays:
            return
        places = Counter()
        for stay in stays:
            places[("h", stay[_S["person_id"]], stay[_S["house_id"]])] += 1
            places[("e", stay[_S["person_id"]], stay[_S["employer_id"]])] += 1
        tenants = set()
        for stay in stays:
            person, community = stay[_S["person_id"]], stay[_S["community_id"]]
            letting = self._letting(lettings, stay[_S["house_id"]], community)
            if letting is not None and letting.filing is not None:
                if (letting.filing, person) not in tenants:
                    tenants.add((letting.filing, person))
                    rows["tenant"].append([self.ids.next("tenant"), letting.filing, person, stay[0]])
                once = places[("h", person, letting.house)] == 1
                covered = letting.starts_on <= stay[_S_ARRIVED]
                self._duty(rows, stay, DutyChannel.LANDLORD, {"house": letting.house}, community, once and covered)
            employer = stay[_S["employer_id"]]
            if employer is not None:
                once = places[("e", person, employer)] == 1
                self._duty(rows, stay, DutyChannel.EMPLOYER, {"employer": employer}, community, once)
        for person in rows["person"]:
            if person[_P_DOC_TYPE] in (DocType.PASSPORT, DocType.FOREIGN_PR):
                self._foreign_document(rows, person[0], person[_P_DOC_TYPE], stays[-1], SourceChannel.COLLECTOR)

    def _duty(self, rows: dict, stay, channel: str, place: dict, community: str, may_miss: bool) -> None:
        """Report the stay, or (rarely, and only where no reading of the rules can disagree) leave it unreported."""
        deadline = self.deadline(channel, community)
        if deadline is None:
            return  # no deadline in this area: no duty
        arrived = stay[_S_ARRIVED]
        # A registration channel, never the duty holder, registered a registered member's stays.
        if self._missed(channel, arrived, deadline, may_miss and stay[_S_DEPARTED] is None):
            person = stay[_S["person_id"]]
            self._gap(rows, DutyGapKind.MISSING_REPORT, channel, person=person, stay=stay[0], **place)
            return
        report = (stay[_S["person_id"]], stay[0], arrived, self._reported_at(arrived, deadline))
        self._report(rows, channel, place, community, deadline, report, ReportOutcome.CORROBORATED)

    def _missed(self, channel: str, arrived: dt.date, deadline: int, may_miss: bool) -> bool:
        """Left unreported on purpose, where allowed and only once the deadline is well past."""
        may_miss = may_miss and (self.as_of - arrived).days > deadline + MARGIN
        return may_miss and self.rng.random() < MISSING[channel]

    def _reported_at(self, arrived: dt.date, deadline: int) -> dt.datetime:
        """When a landlord or employer reports an arrival: within the deadline, or a share later (LATE)."""
        rng = self.rng
        room = (self.last_day - arrived).days
        if room > deadline and rng.random() < LATE:
            lag = between(rng, deadline + 1, min(room, deadline + 30))
        else:
            lag = below(rng, min(deadline, room) + 1)
        minute = between(rng, 480, 1319)
        return dt.datetime.combine(arrived + lag * DAY, dt.time(minute // 60, minute % 60), self.tz)

    def _report(
        self, rows: dict, channel: str, place: dict, community: str, deadline: int, report: tuple, outcome: str
    ) -> None:
        """A landlord's or employer's report of `report`: person, stay, arrival and when it was reported.

        An employer reports in its own community, which may not be the stay's.
        """
        person, stay, arrived, reported = report
        lag = (reported.astimezone(self.tz).date() - arrived).days
        where = self.employer_community.get(place.get("employer"), community)
        self._report_row(rows, channel, place, where, (person, stay, arrived, reported, lag, deadline, outcome, ""))

    def _unregistered(
        self, rows: dict, someone: Someone, residences: list[Residence], lettings: dict[int, Letting]
    ) -> tuple | None:
        """The landlord's and employer's duties for an unregistered member's current stay, decided as for a
        registered member's; the first report made registers the member. Returns that stay's row, if any.
        """
        home = residences[-1]
        if home.departed is not None:
            return None
        duties = []
        letting = self._letting(lettings, home.house, home.community)
        if letting is not None and letting.filing is not None:
            once = sum(r.house == home.house for r in residences) == 1
            duties.append((DutyChannel.LANDLORD, {"house": letting.house}, once and letting.starts_on <= home.arrived))
        if home.employer is not None:
            once = sum(r.employer == home.employer for r in residences) == 1
            duties.append((DutyChannel.EMPLOYER, {"employer": home.employer}, once))
        decided = []  # (channel, place, deadline, when reported or None when left unreported)
        for channel, place, may_miss in duties:
            deadline = self.deadline(channel, home.community)
            if deadline is None:
                continue
            missed = self._missed(channel, home.arrived, deadline, may_miss)
            decided.append((channel, place, deadline, None if missed else self._reported_at(home.arrived, deadline)))
        made = [(reported, channel) for channel, _place, _deadline, reported in decided if reported is not None]
        if not made:
            return None
        registered_at, by = min(made)
        person, stay_id = self.ids.next("person"), self.ids.next("stay")
        rows["person"].append(_person_row(person, someone, registered_at, by))
        late = (registered_at.date() - home.arrived).days > self.registry_deadlines.for_code(home.community)[0]
        stay = home.stay_row(stay_id, person, registered_at, by, late=late)
        rows["stay"].append(stay)
        if letting is not None and letting.filing is not None:
            rows["tenant"].append([self.ids.next("tenant"), letting.filing, person, stay_id])
        for channel, place, deadline, reported in decided:
            if reported is None:
                self._gap(rows, DutyGapKind.MISSING_REPORT, channel, person=person, stay=stay_id, **place)
                continue
            outcome = ReportOutcome.CREATED if channel == by else ReportOutcome.CORROBORATED
            report = (person, stay_id, home.arrived, reported)
            self._report(rows, channel, place, home.community, deadline, report, outcome)
        if someone.doc_type in (DocType.PASSPORT, DocType.FOREIGN_PR):
            self._foreign_document(rows, person, someone.doc_type, stay, by)
        self.counts[f"registered_by_{by}"] += 1
        return stay

    def _report_row(self, rows: dict, channel: str, place: dict, community: str, report: tuple) -> None:
        """One DutyReport row; a late one is recorded as a gap too."""
        person, stay, arrived, reported, lag, deadline, outcome, room = report
        pk = self.ids.next("report")
        late = lag > deadline
        rows["report"].append(
            [
                pk,
                channel,
                ReportKind.ARRIVAL,
                community,
                place.get("house"),
                place.get("employer"),
                place.get("lodging"),
                person,
                stay,
                room,
                arrived,
                reported,
                deadline,
                lag,
                late,
                outcome,
                "",
            ]
        )
        self.counts[f"report_{channel}"] += 1
        if late:
            self._gap(rows, DutyGapKind.LATE_REPORT, channel, person=person, stay=stay, report=pk, **place)

    def _foreign_document(self, rows: dict, person: int, doc_type: str, stay, channel: str) -> None:
        """A residence permit (or the permanent residence card's term, or a guest's visa); some have expired."""
        rng = self.rng
        if channel == DutyChannel.HOTEL:
            kind, expires = ForeignDocKind.VISA, stay[_S_ARRIVED] + between(rng, -20, 120) * DAY
        elif doc_type == DocType.FOREIGN_PR:
            kind, expires = ForeignDocKind.PERMANENT_RESIDENCE, self.as_of + between(rng, 200, 3650) * DAY
        else:
            kind, expires = ForeignDocKind.RESIDENCE_PERMIT, self.as_of + between(rng, -60, 700) * DAY
        number = f"{'V' if kind == ForeignDocKind.VISA else 'R'}{between(rng, 10_000_000, 99_999_999)}"
        rows["foreigndoc"].append(
            [self.ids.next("foreigndoc"), person, kind, number, expires, channel, stay[_S_REGISTERED]]
        )
        self.counts["foreign_document"] += 1
        self.counts["foreign_document_expired"] += expires < self.as_of

    # -- hotel guests ------------------------------------------------------------------------------------------

    def _guest(self, rows: dict, index: int) -> None:
        """A traveller staying a few nights in a hotel, registered by the hotel's own report (late sometimes)."""
        if not self.lodgings:
            return
        rng = self.rng
        lodging, _name, _code, address, community, rooms, _created = one_of(rng, self.lodgings)
        sex = "M" if rng.random() < 0.6 else "F"
        age = age_between(rng, ADULT_AGES)
        if rng.random() < FOREIGN_GUEST:
            guest = self.registrar.foreigner(index=self.next_passport, sex=sex, age=max(age, 20))
            self.next_passport += 1
        else:
            guest = self.registrar.citizen(index=index, sex=sex, age=max(age, 18), origin=self.plan.origin(rng))
        arrived = self.last_day - below(rng, 60) * DAY
        departed = arrived + between(rng, 1, 5) * DAY
        departed = departed if departed <= self.last_day else None
        deadline = self.deadline(DutyChannel.HOTEL, community)
        room = (self.last_day - arrived).days
        hotel_deadline = deadline if deadline is not None else 0
        if deadline is not None and room > deadline and rng.random() < LATE:
            lag = between(rng, deadline + 1, min(room, deadline + 3))
        else:
            lag = below(rng, min(hotel_deadline, room) + 1)
        minute = between(rng, 600, 1379)
        reported = dt.datetime.combine(arrived + lag * DAY, dt.time(minute // 60, minute % 60), self.tz)
        person, stay = self.ids.next("person"), self.ids.next("stay")
        rows["person"].append(_person_row(person, guest, reported, SourceChannel.HOTEL))
        row = (
            stay,
            person,
            community,
            None,
            None,
            None,
            address,
            Reason.TRAVEL,
            arrived,
            reported,
            departed,
            "",
            SourceChannel.HOTEL,
            None,
            None,
            None,
            lag,
            lag > self.registry_deadlines.for_code(community)[0],
            lodging,
        )
        rows["stay"].append(row)
        self.counts["guest"] += 1
        if deadline is not None:
            number = f"{between(rng, 1, max(2, rooms // 20))}{between(rng, 1, 30):02d}"
            report = (person, stay, arrived, reported, lag, deadline, ReportOutcome.CREATED, number)
            self._report_row(rows, DutyChannel.HOTEL, {"lodging": lodging}, community, report)
        if guest.nationality != "CHN":
            self._foreign_document(rows, person, guest.doc_type, row, DutyChannel.HOTEL)
