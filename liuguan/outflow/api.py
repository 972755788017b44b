"""Outflow records and reconciliation as JSON: the same services and selectors as the pages, masked lists."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.registry.services import PersonInput

from . import selectors
from .services.records import outflow_report

router = Router(tags=["outflow"])
MAX_LIMIT = 500


class OutflowPersonIn(Schema):
    doc_type: str = Field("citizen_id", description="citizen_id, hmt_resident, foreign_pr or passport")
    doc_number: str
    name: str = Field("", description="required when the person is not on the register")
    sex: str = Field("", description="M or F; read from a citizen ID when empty")
    birth_date: dt.date | None = None
    hukou_code: str = Field("", description="six digits; read from a citizen ID when empty")


class OutflowRecordIn(Schema):
    person_id: int | None = Field(None, description="a person on the register you can see")
    person: OutflowPersonIn | None = Field(None, description="or who they are, by document (registered if new)")
    origin_code: str = Field(..., description="village, township or county of the hukou, inside your jurisdiction")
    destination_code: str = Field("", description="a division code: 2, 4 or 6 digits anywhere, or a local one")
    destination_place: str = Field("", description="the place in words (required abroad)")
    destination_country: str = Field("CHN", description="ISO 3166 alpha-3")
    left_on: dt.date
    reason: str = Field(..., description="work, business, study, family, marriage, medical, travel, other")
    phone: str = ""
    contact_name: str = ""
    contact_phone: str = ""
    reported_by: str = Field(..., description="family, village, self or officer")
    reporter_note: str = ""


class OutflowRecordOut(Schema):
    id: int
    name_masked: str
    doc_number_masked: str
    origin_code: str
    origin_name: str
    destination: str = Field(..., description="the destination named (divisions, or the place abroad)")
    left_on: dt.date
    reason: str
    status: str
    last_heard_on: dt.date
    prior_record: bool = Field(..., description="false when the destination reported the move first")
    confirmed_by: str


class OutflowRecordPageOut(Schema):
    count: int
    offset: int
    limit: int
    items: list[OutflowRecordOut]


class OutflowReconRowOut(Schema):
    code: str
    name: str
    confirmed: int = Field(..., description="the origin's records a destination confirmed")
    never_confirmed: int = Field(..., description="the origin's records no destination has confirmed")
    missed: int = Field(..., description="inflows with no outflow record: the destination reported them first")
    open_tasks: int


class OutflowReconciliationOut(Schema):
    area_code: str
    area_name: str
    rows: list[OutflowReconRowOut]
    unplaced: OutflowReconRowOut = Field(..., description="records kept by the area itself, not by a child")
    total: OutflowReconRowOut


def _out(row) -> OutflowRecordOut:
    return OutflowRecordOut(
        id=row.pk,
        name_masked=row.name,
        doc_number_masked=row.doc_number,
        origin_code=row.origin_code,
        origin_name=row.origin_name,
        destination=row.destination,
        left_on=row.left_on,
        reason=row.reason,
        status=row.status,
        last_heard_on=row.last_heard_on,
        prior_record=row.prior_record,
        confirmed_by=row.confirmed_by,
    )


def _recon(row) -> OutflowReconRowOut:
    return OutflowReconRowOut(
        code=row.code,
        name=row.name,
        confirmed=row.confirmed,
        never_confirmed=row.never_confirmed,
        missed=row.missed,
        open_tasks=row.open_tasks,
    )


@router.get(
    "/records",
    response=responses(OutflowRecordPageOut),
    summary="Outflow records of an area",
    description="status: open (default), all, unconfirmed, confirmed, departed, returned or closed; unknown_months: "
    "only whereabouts unknown for that long; destination: a province's two digits, or abroad.",
)
@endpoint("outflow.view")
def records_list(
    request,
    area: str = "",
    status: str = "open",
    unknown_months: int | None = None,
    destination: str = "",
    q: str = "",
    offset: int = 0,
    limit: int = 100,
):
    filters = selectors.filters_check(
        area=area, status=status, unknown_months=unknown_months, destination=destination, q=q
    )
    qs = selectors.outflow_records(user=request.user, filters=filters)
    offset, limit = max(offset, 0), min(max(limit, 1), MAX_LIMIT)
    rows = selectors.record_rows(qs[offset : offset + limit])
    return OutflowRecordPageOut(count=qs.count(), offset=offset, limit=limit, items=[_out(r) for r in rows])


@router.post("/records", response=responses(OutflowRecordOut, 201), summary="Report someone gone")
@endpoint("outflow.record")
def records_create(request, payload: OutflowRecordIn):
    person_id, person = payload.person_id, None
    if person_id is None and payload.person is not None:
        found = selectors.person_by_document(
            user=request.user, doc_type=payload.person.doc_type, doc_number=payload.person.doc_number
        )
        if found is not None:
            person_id = found.pk
        else:
            person = PersonInput(**payload.person.dict())
    record = outflow_report(
        actor=request.user,
        person_id=person_id,
        person=person,
        origin_code=payload.origin_code,
        destination_code=payload.destination_code,
        destination_place=payload.destination_place,
        destination_country=payload.destination_country,
        left_on=payload.left_on,
        reason=payload.reason,
        phone=payload.phone,
        contact_name=payload.contact_name,
        contact_phone=payload.contact_phone,
        reported_by=payload.reported_by,
        reporter_note=payload.reporter_note,
        source="api",
    )
    return Status(201, _out(selectors.record_rows([record])[0]))


@router.get(
    "/reconciliation",
    response=responses(OutflowReconciliationOut),
    summary="Reconciliation per child area of an origin area",
)
@endpoint("outflow.view")
def reconciliation(request, area: str = ""):
    summary = selectors.reconciliation_summary(user=request.user, area_code=area or None)
    return OutflowReconciliationOut(
        area_code=summary.area.code,
        area_name=summary.area.name,
        rows=[_recon(r) for r in summary.rows],
        unplaced=_recon(summary.unplaced),
        total=_recon(summary.total),
    )
