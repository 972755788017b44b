"""Finding reporting breaches: who should have been reported by a landlord, employer or hotel and was not, and
which reports came late. Safe to run every day: a breach already recorded is never recorded again.

Missing reports. Somebody other than the duty holder (a collector, an import, the person themself, ...)
registered a stay that names a place with a reporting duty, and the duty holder never reported that person
at that place (no DutyReport of its channel for the person and the place, at any time):

- landlord: the stay's house had a tenancy filing in force during the stay (from its start to its end, or to
  the day it was ended early). The duty runs from the later of the arrival and the filing's start: a house
  nobody filed is followed up as an unfiled rental house, not as a landlord's breach.
- employer: the stay names an employer; the duty runs from the later of the arrival and the day the employer
  was put on the stay.
- hotel: the stay names a hotel (a guest a collector found there); the duty runs from the arrival.

The report was due `deadline_days` after the duty began (ReportingPolicy, longest division-code prefix of the
stay's community, per channel); the breach is recorded once that day has passed, dated the day after it.

Late reports. Every DutyReport that arrived after its deadline (`late`) is one late-report breach, dated the
day after it was due. A missing-report breach found earlier stays on the record when the late report finally
arrives: both were true when they were recorded.

Each breach is held against the agreement in force for the house, employer or hotel on the breach's date.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, F, Max, OuterRef
from django.db.models.functions import Coalesce

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today
from liuguan.registry.models import FieldChange, Stay

from .codes import BreachKind, DutyChannel
from .models import Breach, DutyReport, ReportingPolicy, ResponsibilityAgreement, TenancyFiling

BATCH = 2000
CHINA = dt.timezone(dt.timedelta(hours=8))
PLACE = {DutyChannel.LANDLORD: "house_id", DutyChannel.EMPLOYER: "employer_id", DutyChannel.HOTEL: "lodging_id"}


class Deadlines:
    """Reporting deadlines per channel, by the longest division-code prefix; read once per run."""

    def __init__(self):
        self.table: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for prefix, channel, days in ReportingPolicy.objects.values_list("prefix", "channel", "deadline_days"):
            self.table[channel].append((prefix, days))
        for rows in self.table.values():
            rows.sort(key=lambda row: len(row[0]), reverse=True)
        self._cache: dict[tuple[str, str], int | None] = {}

    def days(self, channel: str, community_code: str) -> int | None:
        key = (channel, community_code)
        if key not in self._cache:
            self._cache[key] = next((d for p, d in self.table[channel] if community_code.startswith(p)), None)
        return self._cache[key]


class AgreementsInForce:
    """The agreements of one kind of party, read once, to attach each breach to the one in force on its date."""

    def __init__(self, place_field: str):
        self.by_party: dict[int, list[tuple]] = defaultdict(list)
        rows = ResponsibilityAgreement.objects.filter(**{f"{place_field}__isnull": False}).values_list(
            place_field, "starts_on", "ends_on", "terminated_on", "id"
        )
        for party, starts, ends, terminated, pk in rows:
            self.by_party[party].append((starts, ends, terminated, pk))
        for items in self.by_party.values():
            items.sort(reverse=True)  # the latest start first, as agreement_in_force chooses

    def on(self, party_id: int | None, day: dt.date) -> int | None:
        for starts, ends, terminated, pk in self.by_party.get(party_id, ()):
            if starts <= day <= ends and (terminated is None or terminated > day):
                return pk
        return None


def _filings_by_house(house_ids: set[int]) -> dict[int, list[tuple[dt.date, dt.date]]]:
    spans: dict[int, list] = defaultdict(list)
    rows = TenancyFiling.objects.filter(house_id__in=house_ids).values_list(
        "house_id", "starts_on", Coalesce("ended_on", "ends_on")
    )
    for house_id, starts, ends in rows:
        spans[house_id].append((starts, ends))
    return spans


def _employer_set_on(stay_ids: list[int]) -> dict[int, dt.date]:
    rows = (
        FieldChange.objects.filter(object_type="registry.stay", object_id__in=stay_ids, field="employer_id")
        .values("object_id")
        .annotate(last=Max("recorded_at"))
    )
    return {row["object_id"]: row["last"].astimezone(CHINA).date() for row in rows}


def _missing_candidates(channel: str, as_of: dt.date):
    """Stays naming a place of this duty, registered by others, whose duty holder never reported the person."""
    place = PLACE[channel]
    reported = DutyReport.objects.filter(channel=channel, person_id=OuterRef("person_id"), **{place: OuterRef(place)})
    known = Breach.objects.filter(
        kind=BreachKind.MISSING_REPORT, channel=channel, stay_id=OuterRef("pk"), **{place: OuterRef(place)}
    )
    qs = (
        Stay.objects.filter(**{f"{place}__isnull": False}, arrived_on__lte=as_of)
        .exclude(source_channel=channel)
        .exclude(Exists(reported))
        .exclude(Exists(known))
    )
    if channel == DutyChannel.LANDLORD:
        filed = TenancyFiling.objects.annotate(last_day=Coalesce("ended_on", "ends_on")).filter(
            house_id=OuterRef("house_id"),
            starts_on__lte=Coalesce(OuterRef("departed_on"), as_of),
            last_day__gte=OuterRef("arrived_on"),
        )
        qs = qs.filter(Exists(filed))
    return qs.values("id", "person_id", "community_id", place, "arrived_on", "departed_on").order_by("id")


def _missing_reports(channel: str, as_of: dt.date, deadlines: Deadlines) -> int:
    place = PLACE[channel]
    agreements = AgreementsInForce(place)
    made = 0
    batch: list[dict] = []

    def flush():
        nonlocal made
        if not batch:
            return
        starts: dict[int, dt.date] = {}
        if channel == DutyChannel.LANDLORD:
            spans = _filings_by_house({row[place] for row in batch})
            for row in batch:
                end = row["departed_on"] or as_of
                covering = [s for s, e in spans[row[place]] if s <= end and e >= row["arrived_on"]]
                starts[row["id"]] = max(row["arrived_on"], min(covering))
        elif channel == DutyChannel.EMPLOYER:
            set_on = _employer_set_on([row["id"] for row in batch])
            for row in batch:
                starts[row["id"]] = max(row["arrived_on"], set_on.get(row["id"], row["arrived_on"]))
        else:
            starts = {row["id"]: row["arrived_on"] for row in batch}
        breaches = []
        for row in batch:
            days = deadlines.days(channel, row["community_id"])
            if days is None:
                continue  # no deadline for this area and channel: no duty to breach
            due_on = starts[row["id"]] + dt.timedelta(days=days)
            if due_on >= as_of:
                continue
            occurred_on = due_on + dt.timedelta(days=1)
            breaches.append(
                Breach(
                    kind=BreachKind.MISSING_REPORT,
                    key=f"missing:{channel}:{row['id']}:{row[place]}",
                    community_id=row["community_id"],
                    channel=channel,
                    agreement_id=agreements.on(row[place], occurred_on),
                    person_id=row["person_id"],
                    stay_id=row["id"],
                    due_on=due_on,
                    occurred_on=occurred_on,
                    **{place: row[place]},
                )
            )
        Breach.objects.bulk_create(breaches, ignore_conflicts=True)
        made += len(breaches)
        batch.clear()

    for row in _missing_candidates(channel, as_of).iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) >= BATCH:
            flush()
    flush()
    return made


def _late_reports(as_of: dt.date) -> int:
    known = Breach.objects.filter(kind=BreachKind.LATE_REPORT, report_id=OuterRef("pk"))
    rows = (
        DutyReport.objects.filter(late=True, occurred_on__lte=as_of)
        .exclude(Exists(known))
        .values("id", "channel", "community_id", "house_id", "employer_id", "lodging_id", "person_id", "stay_id")
        .annotate(occurred=F("occurred_on"), days=F("deadline_days"))
        .order_by("id")
    )
    agreements = {channel: AgreementsInForce(place) for channel, place in PLACE.items()}
    made = 0
    batch: list[Breach] = []
    for row in rows.iterator(chunk_size=BATCH):
        place = PLACE.get(row["channel"])
        due_on = row["occurred"] + dt.timedelta(days=row["days"])
        occurred_on = due_on + dt.timedelta(days=1)
        party_id = row[place] if place else None
        batch.append(
            Breach(
                kind=BreachKind.LATE_REPORT,
                key=f"late:{row['id']}",
                community_id=row["community_id"],
                channel=row["channel"],
                agreement_id=agreements[row["channel"]].on(party_id, occurred_on) if place else None,
                house_id=row["house_id"],
                employer_id=row["employer_id"],
                lodging_id=row["lodging_id"],
                person_id=row["person_id"],
                stay_id=row["stay_id"],
                report_id=row["id"],
                due_on=due_on,
                occurred_on=occurred_on,
            )
        )
        if len(batch) >= BATCH:
            Breach.objects.bulk_create(batch, ignore_conflicts=True)
            made += len(batch)
            batch = []
    Breach.objects.bulk_create(batch, ignore_conflicts=True)
    return made + len(batch)


def detect_breaches(*, as_of: dt.date | None = None, actor=None) -> dict:
    """Record the missing and late reports found as of a day (today in China by default); returns how many new
    breaches of each kind were recorded. Running it again records nothing new.
    """
    as_of = as_of or china_today()
    deadlines = Deadlines()
    with transaction.atomic():
        missing = {channel: _missing_reports(channel, as_of, deadlines) for channel in PLACE}
        late = _late_reports(as_of)
        counts = {BreachKind.MISSING_REPORT.value: sum(missing.values()), BreachKind.LATE_REPORT.value: late}
        if any(counts.values()):
            audit_record(
                actor=actor or SYSTEM,
                action="breach.detect",
                object_type="compliance.breach",
                source="job",
                changes={**counts, "missing_by_channel": {str(k): v for k, v in missing.items()}, "as_of": as_of},
            )
    return counts
