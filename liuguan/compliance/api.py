"""Tenancy filings and duty reports as JSON (landlords, employers, hotels' front-desk systems, officers).

Duty holders authenticate with their own API tokens and reach only their own houses, staff or guests; officers
reach filings, disagreements and reports inside their jurisdiction. Personal data is masked.
"""

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Router, Schema, Status

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import ERRORS, ErrorOut, responses
from liuguan.registry.services import PersonInput

from . import selectors, services

router = Router(tags=["duties"])


class DutyPersonIn(Schema):
    doc_type: str = Field("citizen_id", description="citizen_id, hmt_resident, foreign_pr or passport")
    doc_number: str
    name: str
    sex: str = Field("", description="M or F; read from a citizen ID when empty")
    birth_date: dt.date | None = Field(None, description="read from a citizen ID when empty")
    ethnicity: str = "01"
    nationality: str = Field("CHN", description="ISO 3166 alpha-3; foreigners need `foreign` on arrival")
    phone: str = ""


class ForeignIn(Schema):
    kind: str = Field(..., description="visa, residence_permit, stay_permit or permanent_residence")
    number: str = ""
    expires_on: dt.date | None = None


class ReportIn(Schema):
    kind: Literal["arrival", "departure"]
    occurred_on: dt.date = Field(..., description="the day of moving in or out, hiring or leaving, check-in or out")
    person_id: int | None = Field(None, description="one of your own tenants, staff or guests")
    person: DutyPersonIn | None = Field(None, description="document and name, when not giving person_id")
    house_id: int | None = Field(None, description="landlords: one of your own houses")
    employer_id: int | None = None
    lodging_id: int | None = None
    room: str = ""
    reason: str = Field("", description="landlords: the tenant's reason (work, family, ...); default other")
    destination: str = Field("", description="departures: where they went, if known")
    foreign: ForeignIn | None = None
    source_ref: str = Field("", description="your own reference (a booking or contract number)")


class DisagreementOut(Schema):
    id: int
    field: str
    registered_value: int | str | None
    reported_value: int | str | None
    status: str


class ReportOut(Schema):
    id: int
    channel: str
    kind: str
    outcome: str = Field(..., description="created, corroborated, disagreed or departed")
    person_id: int
    stay_id: int | None
    occurred_on: dt.date
    deadline_days: int
    lag_days: int
    late: bool
    disagreements: list[DisagreementOut]
    warnings: list[str]


class GuestIn(Schema):
    kind: Literal["arrival", "departure"] = "arrival"
    occurred_on: dt.date
    person: DutyPersonIn
    room: str = ""
    destination: str = ""
    foreign: ForeignIn | None = None
    source_ref: str = ""


class GuestsIn(Schema):
    rows: list[GuestIn] = Field(..., min_length=1, description=f"1 to {services.MAX_GUEST_ROWS} check-ins or outs")


class GuestProblemOut(Schema):
    field: str
    rule: str
    msg: str


class GuestResultOut(Schema):
    row: int = Field(..., description="1-based position in `rows`")
    status: str = Field(..., description="created, corroborated, disagreed, departed or rejected")
    person_id: int | None
    stay_id: int | None
    report_id: int | None
    problems: list[GuestProblemOut]


class GuestsOut(Schema):
    rows: int
    counts: dict[str, int]
    results: list[GuestResultOut]


class OwnStayOut(Schema):
    stay_id: int
    person_id: int
    name: str
    doc_type: str
    doc_number_masked: str
    nationality: str
    place: str
    arrived_on: dt.date
    departed_on: dt.date | None
    source_channel: str


class TenantOut(Schema):
    person_id: int
    name: str
    doc_number_masked: str
    stay_id: int | None


class FilingOut(Schema):
    id: int
    number: str
    house_id: int
    house_address: str
    community_code: str
    landlord_name: str
    rooms: str
    monthly_rent: Decimal | None
    starts_on: dt.date
    ends_on: dt.date
    status: str
    ended_on: dt.date | None
    channel: str
    tenants: list[TenantOut]


class TenantIn(Schema):
    person_id: int | None = None
    person: DutyPersonIn | None = None
    arrived_on: dt.date | None = Field(None, description="defaults to the start of the lease")
    reason: str = ""
    foreign: ForeignIn | None = None


class FilingIn(Schema):
    house_id: int
    starts_on: dt.date
    ends_on: dt.date
    rooms: str = ""
    monthly_rent: Decimal | None = None
    tenants: list[TenantIn] = Field(..., min_length=1)


class FilingEndIn(Schema):
    ended_on: dt.date
    reason: str = ""


class ResolveIn(Schema):
    accept: bool = Field(..., description="true applies the reported value to the stay; false keeps the register's")
    note: str = ""


class FollowUpHouseOut(Schema):
    house_id: int
    address: str
    community_code: str
    landlord: str
    open_stays: int


class FollowUpOut(Schema):
    house_count: int
    people: int
    houses: list[FollowUpHouseOut]


def _person_input(data: DutyPersonIn | None) -> PersonInput | None:
    return PersonInput(**data.dict()) if data is not None else None


def _foreign_input(data: ForeignIn | None):
    return services.ForeignDocInput(**data.dict()) if data is not None else None


def _disagreement_out(d) -> DisagreementOut:
    return DisagreementOut(
        id=d.pk, field=d.field, registered_value=d.registered_value, reported_value=d.reported_value, status=d.status
    )


def _report_out(done) -> ReportOut:
    r = done.report
    return ReportOut(
        id=r.pk,
        channel=r.channel,
        kind=r.kind,
        outcome=r.outcome,
        person_id=r.person_id,
        stay_id=r.stay_id,
        occurred_on=r.occurred_on,
        deadline_days=r.deadline_days,
        lag_days=r.lag_days,
        late=r.late,
        disagreements=[_disagreement_out(d) for d in done.disagreements],
        warnings=done.warnings,
    )


def _filing_out(filing) -> FilingOut:
    return FilingOut(
        id=filing.pk,
        number=filing.number,
        house_id=filing.house_id,
        house_address=filing.house.address,
        community_code=filing.community_id,
        landlord_name=filing.landlord_name,
        rooms=filing.rooms,
        monthly_rent=filing.monthly_rent,
        starts_on=filing.starts_on,
        ends_on=filing.ends_on,
        status=filing.status,
        ended_on=filing.ended_on,
        channel=filing.channel,
        tenants=[
            TenantOut(
                person_id=t.person_id,
                name=t.person.name,
                doc_number_masked=t.person.doc_number_masked,
                stay_id=t.stay_id,
            )
            for t in selectors.filing_tenants(filing)
        ],
    )


@router.post("/reports", response=responses(ReportOut, 201), summary="Report an arrival or a departure (duty holders)")
@endpoint("duty.report")
def report_create(request, payload: ReportIn):
    data = payload.dict(exclude={"person", "foreign"})
    done = services.duty_report(
        actor=request.user,
        report=services.ReportInput(
            **data, person=_person_input(payload.person), foreign=_foreign_input(payload.foreign)
        ),
        source="api",
    )
    return Status(201, _report_out(done))


@router.post(
    "/lodgings/guests",
    response={200: GuestsOut, 413: ErrorOut, **ERRORS},
    summary="A hotel's batch of check-ins and check-outs, with each row's result",
    description=f"Up to {services.MAX_GUEST_ROWS} rows; more answer 413. Each row is validated and written on its "
    "own: bad rows come back rejected with their problems (field and rule) while the good rows land. A request "
    "whose JSON does not fit the schema (a date that is not a date) answers 422 naming the row.",
)
@endpoint("duty.report")
def guests_batch(request, payload: GuestsIn):
    if len(payload.rows) > services.MAX_GUEST_ROWS:
        return Status(413, ErrorOut(detail=str(services.reports.too_many_rows()), rule="duty.batch_rows"))
    rows = [
        services.ReportInput(
            kind=row.kind,
            occurred_on=row.occurred_on,
            person=_person_input(row.person),
            room=row.room,
            destination=row.destination,
            foreign=_foreign_input(row.foreign),
            source_ref=row.source_ref,
        )
        for row in payload.rows
    ]
    done = services.hotel_guests_batch(actor=request.user, rows=rows, source="api")
    return GuestsOut(
        rows=len(done.results),
        counts=done.counts,
        results=[
            GuestResultOut(
                row=r.row,
                status=r.status,
                person_id=r.person_id,
                stay_id=r.stay_id,
                report_id=r.report_id,
                problems=[GuestProblemOut(field=p.field, rule=p.rule, msg=str(p.message)) for p in r.problems],
            )
            for r in done.results
        ],
    )


def _place_label(stay) -> str:
    place = stay.house or stay.employer or stay.lodging
    return str(place) if place else ""


@router.get("/own/people", response=responses(list[OwnStayOut]), summary="Your tenants, staff or guests (masked)")
@endpoint("duty.home")
def own_people(request, open_only: bool = False, limit: int = 500):
    stays = selectors.own_stay_list(request.user, open_only=open_only, limit=min(max(limit, 1), 2000))
    return [
        OwnStayOut(
            stay_id=s.pk,
            person_id=s.person_id,
            name=s.person.name,
            doc_type=s.person.doc_type,
            doc_number_masked=s.person.doc_number_masked,
            nationality=s.person.nationality,
            place=_place_label(s),
            arrived_on=s.arrived_on,
            departed_on=s.departed_on,
            source_channel=s.source_channel,
        )
        for s in stays
    ]


@router.get("/tenancies", response=responses(list[FilingOut]), summary="Tenancy filings inside your jurisdiction")
@endpoint("tenancy.view")
def tenancy_list(request, status: str = "", q: str = ""):
    return [_filing_out(f) for f in selectors.filing_list(user=request.user, status=status, query=q, limit=200)]


@router.post("/tenancies", response=responses(FilingOut, 201), summary="File a tenancy (租赁合同登记备案)")
@endpoint("tenancy.file")
def tenancy_create(request, payload: FilingIn):
    tenants = [
        services.TenantInput(
            person_id=t.person_id,
            person=_person_input(t.person),
            arrived_on=t.arrived_on,
            reason=t.reason,
            foreign=_foreign_input(t.foreign),
        )
        for t in payload.tenants
    ]
    filing = services.tenancy_file(
        actor=request.user,
        house_id=payload.house_id,
        tenants=tenants,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        rooms=payload.rooms,
        monthly_rent=payload.monthly_rent,
        source="api",
    )
    return Status(201, _filing_out(filing))


@router.get("/tenancies/{filing_id}", response=responses(FilingOut), summary="One tenancy filing")
@endpoint("tenancy.view")
def tenancy_detail(request, filing_id: int):
    return _filing_out(selectors.filing_get(user=request.user, filing_id=filing_id))


@router.post("/tenancies/{filing_id}/end", response=responses(FilingOut), summary="End a tenancy; closes stays")
@endpoint("tenancy.file")
def tenancy_end(request, filing_id: int, payload: FilingEndIn):
    done = services.tenancy_end(
        actor=request.user, filing_id=filing_id, ended_on=payload.ended_on, reason=payload.reason, source="api"
    )
    return _filing_out(selectors.filing_get(user=request.user, filing_id=done.filing.pk))


@router.get(
    "/houses/follow-up", response=responses(FollowUpOut), summary="Rental houses with residents but no filed tenancy"
)
@endpoint("tenancy.view")
def follow_up(request):
    listed = selectors.houses_for_follow_up(user=request.user)
    return FollowUpOut(
        house_count=listed["house_count"],
        people=listed["people"],
        houses=[
            FollowUpHouseOut(
                house_id=h.pk,
                address=h.address,
                community_code=h.community_id,
                landlord=h.landlord_label or (h.landlord_org.name if h.landlord_org_id else ""),
                open_stays=h.open_stays,
            )
            for h in listed["houses"]
        ],
    )


@router.get(
    "/disagreements", response=responses(list[DisagreementOut]), summary="Open disagreements inside your jurisdiction"
)
@endpoint("disagreement.resolve")
def disagreement_list(request):
    return [_disagreement_out(d) for d in selectors.disagreement_list(user=request.user)]


@router.post(
    "/disagreements/{disagreement_id}/resolve",
    response=responses(DisagreementOut),
    summary="Accept the reported value or keep the register's",
)
@endpoint("disagreement.resolve")
def disagreement_resolve(request, disagreement_id: int, payload: ResolveIn):
    item = services.disagreement_resolve(
        actor=request.user, disagreement_id=disagreement_id, accept=payload.accept, note=payload.note, source="api"
    )
    return _disagreement_out(item)
