"""Every source of person records in this instance, as rows in the engine's INPUT_COLUMNS.

Most records about a person hold a foreign key to a registry person (stays, landlord/employer/hotel reports,
department records, welfare and school records): the person's own fields are what those sources said when the
record arrived (a department's or landlord's report registers the person it names when nobody has that number
yet). Such a person is one row, whose `source` is where it came from:

- registry.person: someone registered through a registration channel (collector, self-declared, batch import);
- compliance.dutyreport: known only from landlord, employer or hotel reports;
- exchange.departmentfact, welfare.medicalcover, welfare.jobseeker, ...: known only from a department's records;
- schooling.schoolrecord / schooling.schoolapplication: a child known only from school records.

Records that carry their own copy of a person's fields and may point at nobody are rows of their own:
outflow.expectedarrival (an origin area's notice of someone coming), outflow.inboundnotice, and
portal.staydeclaration (a migrant's self-declaration not yet accepted).

`record_id` is "<app>.<model>:<id>"; `RecordPlace` keeps, beside the rows, where each record places the person
(the community a task goes to), the registry person it is (if any), and whether that person is registered.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pyarrow as pa

from .standardise import INPUT_COLUMNS

REGISTRATION_CHANNELS = ("collector", "self", "import")
DUTY_CHANNELS = ("landlord", "employer", "hotel")
CHUNK = 5000


@dataclass(frozen=True)
class RecordPlace:
    """Where a record places its person, which registry person it is, and whether that one is registered."""

    community: str
    person_id: int | None
    registered: bool


@dataclass
class Collected:
    table: pa.Table
    places: dict[str, RecordPlace]
    counts: dict[str, int]


def _row(record_id, source, doc_type, doc_number, name, sex, birth, phone, hukou, address, nationality) -> tuple:
    return (
        record_id,
        source,
        doc_type or "",
        doc_number or "",
        name or "",
        sex or "",
        birth.isoformat() if birth else "",
        phone or "",
        hukou or "",
        address or "",
        nationality or "",
    )


def _department_holders() -> list[tuple[str, Callable[[], Iterator[int]]]]:
    """Models whose rows are a department's (or school's) record about a person, with their person column."""
    from liuguan.exchange.models import DepartmentFact
    from liuguan.livelihood.schooling.models import SchoolApplication, SchoolRecord
    from liuguan.livelihood.welfare.models import (
        FamilyPlanningService,
        JobSeeker,
        MedicalCover,
        RemoteTreatmentFiling,
        TrainingEnrolment,
    )

    def ids(model, field):
        return lambda: model.objects.values_list(field, flat=True).distinct().iterator(chunk_size=CHUNK)

    return [
        ("exchange.departmentfact", ids(DepartmentFact, "person_id")),
        ("welfare.medicalcover", ids(MedicalCover, "person_id")),
        ("welfare.remotetreatmentfiling", ids(RemoteTreatmentFiling, "person_id")),
        ("welfare.familyplanningservice", ids(FamilyPlanningService, "person_id")),
        ("welfare.jobseeker", ids(JobSeeker, "person_id")),
        ("welfare.trainingenrolment", ids(TrainingEnrolment, "person_id")),
        ("schooling.schoolrecord", ids(SchoolRecord, "child_id")),
        ("schooling.schoolapplication", ids(SchoolApplication, "child_id")),
    ]


def people_rows() -> Iterator[tuple[tuple, RecordPlace]]:
    """Registry people (not merged away), each labelled with the source that knows them."""
    from liuguan.compliance.models import DutyReport
    from liuguan.registry.models import Person, Stay

    # Each person's place: their open stay (the latest if several), else their latest stay; its address too.
    latest: dict[int, tuple[str, str]] = {}
    open_seen: set[int] = set()
    registered: set[int] = set()
    duty: set[int] = set()
    stays = Stay.objects.order_by("person_id", "arrived_on", "id").values_list(
        "person_id", "community_id", "address", "source_channel", "departed_on"
    )
    for person_id, community, address, channel, departed in stays.iterator(chunk_size=CHUNK):
        if departed is None:
            open_seen.add(person_id)
            latest[person_id] = (community, address)
        elif person_id not in open_seen:
            latest[person_id] = (community, address)
        if channel in REGISTRATION_CHANNELS:
            registered.add(person_id)
        elif channel in DUTY_CHANNELS:
            duty.add(person_id)
    for person_id, community in DutyReport.objects.values_list("person_id", "community_id").iterator(chunk_size=CHUNK):
        duty.add(person_id)
        latest.setdefault(person_id, (community, ""))
    holder: dict[int, str] = {}
    for label, ids in _department_holders():
        for person_id in ids():
            holder.setdefault(person_id, label)
    from liuguan.exchange.models import DepartmentFact

    for person_id, community in (
        DepartmentFact.objects.exclude(community__isnull=True)
        .values_list("person_id", "community_id")
        .iterator(chunk_size=CHUNK)
    ):
        latest.setdefault(person_id, (community, ""))
    people = Person.objects.filter(merged_into__isnull=True).values_list(
        "pk",
        "doc_type",
        "doc_number",
        "name",
        "sex",
        "birth_date",
        "phone",
        "hukou_code",
        "hukou_address",
        "nationality",
    )
    for pk, doc_type, number, name, sex, birth, phone, hukou_code, hukou_address, nationality in people.iterator(
        chunk_size=CHUNK
    ):
        if pk in registered:
            source = "registry.person"
        elif pk in duty:
            source = "compliance.dutyreport"
        else:
            source = holder.get(pk, "registry.person")
        community, address = latest.get(pk, ("", ""))
        row = _row(
            f"registry.person:{pk}",
            source,
            doc_type,
            number,
            name,
            sex,
            birth,
            phone,
            hukou_code or hukou_address,
            address,
            nationality,
        )
        yield row, RecordPlace(community=community or "", person_id=pk, registered=pk in registered)


def expected_arrival_rows() -> Iterator[tuple[tuple, RecordPlace]]:
    """Origin areas' notices of someone coming here that no registry person answers yet."""
    from liuguan.outflow.models import ExpectedArrival

    rows = ExpectedArrival.objects.filter(person__isnull=True).values_list(
        "pk", "doc_type", "doc_number", "name", "sex", "birth_date", "phone", "hukou_code", "expected_code"
    )
    for pk, doc_type, number, name, sex, birth, phone, hukou, expected in rows.iterator(chunk_size=CHUNK):
        record_id = f"outflow.expectedarrival:{pk}"
        row = _row(record_id, "outflow.expectedarrival", doc_type, number, name, sex, birth, phone, hukou, "", "CHN")
        community = expected if len(expected or "") == 12 else ""
        yield row, RecordPlace(community=community, person_id=None, registered=False)


def inbound_notice_rows() -> Iterator[tuple[tuple, RecordPlace]]:
    """Other instances' notices about a person that no registry person answers."""
    from liuguan.outflow.models import InboundNotice

    rows = InboundNotice.objects.filter(person__isnull=True).values_list(
        "pk", "doc_type", "doc_number", "name", "hukou_code"
    )
    for pk, doc_type, number, name, hukou in rows.iterator(chunk_size=CHUNK):
        row = _row(
            f"outflow.inboundnotice:{pk}", "outflow.inboundnotice", doc_type, number, name, "", None, "", hukou, "", ""
        )
        yield row, RecordPlace(community="", person_id=None, registered=False)


def declaration_rows() -> Iterator[tuple[tuple, RecordPlace]]:
    """Migrants' own declarations not yet accepted (an accepted one made or found a registry person)."""
    from liuguan.portal.models import StayDeclaration

    rows = StayDeclaration.objects.filter(person__isnull=True).values_list(
        "pk", "doc_type", "doc_number", "name", "sex", "birth_date", "phone", "hukou_address", "address", "community_id"
    )
    for pk, doc_type, number, name, sex, birth, phone, hukou, address, community in rows.iterator(chunk_size=CHUNK):
        row = _row(
            f"portal.staydeclaration:{pk}",
            "portal.staydeclaration",
            doc_type,
            number,
            name,
            sex,
            birth,
            phone,
            hukou,
            address,
            "CHN",
        )
        yield row, RecordPlace(community=community or "", person_id=None, registered=False)


SOURCES: dict[str, Callable[[], Iterator[tuple[tuple, RecordPlace]]]] = {
    "registry.person": people_rows,
    "outflow.expectedarrival": expected_arrival_rows,
    "outflow.inboundnotice": inbound_notice_rows,
    "portal.staydeclaration": declaration_rows,
}


def collect(only: list[str] | None = None) -> Collected:
    """All person records of this instance (or of the named source functions) as one table for the engine."""
    columns: list[list] = [[] for _ in INPUT_COLUMNS]
    places: dict[str, RecordPlace] = {}
    counts: dict[str, int] = {}
    for name, rows in SOURCES.items():
        if only and name not in only:
            continue
        for row, place in rows():
            for column, value in zip(columns, row, strict=True):
                column.append(value)
            places[row[0]] = place
            counts[row[1]] = counts.get(row[1], 0) + 1
    table = pa.table({name: pa.array(values, pa.string()) for name, values in zip(INPUT_COLUMNS, columns, strict=True)})
    return Collected(table=table, places=places, counts=counts)


def person_id_of(record_id: str) -> int | None:
    """The registry person a record id names, if it names one."""
    label, _, pk = record_id.partition(":")
    return int(pk) if label == "registry.person" and pk.isdigit() else None
