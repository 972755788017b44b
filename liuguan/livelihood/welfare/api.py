"""Health, family planning, work and training as JSON (/api/livelihood/welfare): desks record, officers read in
scope; departments' subsystems read medical cover and remote-treatment filings, and report cover, under grants.
"""

import datetime as dt

from ninja import Field, Query, Router, Schema, Status

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.exchange.api import CallIn, _call

from . import selectors, services, sharing

router = Router(tags=["welfare"])


class WelfareCoverIn(Schema):
    person_id: int
    scheme: str = Field(..., description="employee, resident, new_rural, commercial or none")
    insured_place: str = Field("", description="division code of the insured place, anywhere in China")
    valid_from: dt.date
    valid_to: dt.date | None = None


class WelfareCoverOut(Schema):
    id: int
    person_id: int
    scheme: str
    insured_place: str
    valid_from: dt.date
    valid_to: dt.date | None
    source: str


class WelfareFilingIn(Schema):
    person_id: int
    insured_place: str
    treatment_place: str = Field(..., description="a division code inside the caller's area")
    reason: str = Field(..., description="residence, work or referral")
    filed_on: dt.date | None = None
    valid_until: dt.date


class WelfareFilingOut(Schema):
    id: int
    person_id: int
    insured_place: str
    treatment_place: str
    reason: str
    filed_on: dt.date
    valid_until: dt.date
    status: str


class WelfareDecisionIn(Schema):
    approve: bool
    note: str = ""


class WelfareSeekerIn(Schema):
    person_id: int
    industry: str = Field("", description="GB/T 4754 section letter")
    occupation: str = ""


class WelfarePlacementIn(Schema):
    employer_id: int
    placed_on: dt.date | None = None


class WelfareSeekerOut(Schema):
    id: int
    person_id: int
    community: str
    registered_on: dt.date
    industry: str
    occupation: str
    status: str
    employer_id: int | None
    placed_on: dt.date | None


class WelfareEnrolIn(Schema):
    person_id: int


class WelfareCompleteIn(Schema):
    certificate_number: str
    completed_on: dt.date | None = None


class WelfareEnrolmentOut(Schema):
    id: int
    person_id: int
    training_id: int
    status: str
    enrolled_on: dt.date
    completed_on: dt.date | None
    certificate_number: str


class WelfareFiguresOut(Schema):
    code: str
    name: str
    job_seekers: int
    placed: int
    enrolments: int
    completions: int


class WelfareHubQueryIn(CallIn):
    doc_type: str = "citizen_id"
    doc_number: str


class WelfareHubQueryOut(Schema):
    dataset: str
    records: list[dict[str, str | int | bool | None]]


class WelfareCoverRowIn(Schema):
    doc_type: str = "citizen_id"
    doc_number: str
    scheme: str
    reference: str
    valid_from: dt.date | None
    valid_to: dt.date | None = None
    insured_place: str = ""


class WelfareCoverReportIn(CallIn):
    rows: list[WelfareCoverRowIn]


class WelfareRowProblemOut(Schema):
    field: str
    rule: str
    message: str


class WelfareRowResultOut(Schema):
    row: int
    status: str = Field(..., description="created, updated, unchanged or rejected")
    cover_id: int | None
    problems: list[WelfareRowProblemOut]


def _cover(c) -> dict:
    return {
        k: getattr(c, k) for k in ("id", "person_id", "scheme", "insured_place", "valid_from", "valid_to", "source")
    }


def _filing(f) -> dict:
    return {
        "id": f.pk,
        "person_id": f.person_id,
        "insured_place": f.insured_place,
        "treatment_place": f.treatment_place_id,
        "reason": f.reason,
        "filed_on": f.filed_on,
        "valid_until": f.valid_until,
        "status": f.status,
    }


def _seeker(s) -> dict:
    return {
        "id": s.pk,
        "person_id": s.person_id,
        "community": s.community_id,
        "registered_on": s.registered_on,
        "industry": s.industry,
        "occupation": s.occupation,
        "status": s.status,
        "employer_id": s.employer_id,
        "placed_on": s.placed_on,
    }


def _enrolment(e) -> dict:
    keys = ("id", "person_id", "training_id", "status", "enrolled_on", "completed_on", "certificate_number")
    return {k: getattr(e, k) for k in keys}


@router.get("/persons/{person_id}/covers", response=responses(list[WelfareCoverOut]))
@endpoint("welfare.view")
def person_covers(request, person_id: int):
    """The person's medical cover, inside the caller's scope (outside: 404)."""
    person = selectors.person_in_scope(user=request.user, person_id=person_id)
    panel = selectors.person_welfare(user=request.user, person=person)
    return [_cover(c) for c in panel.covers]


@router.post("/covers", response=responses(WelfareCoverOut, 201))
@endpoint("welfare.record")
def cover_create(request, body: WelfareCoverIn):
    """Record the medical cover a person declares."""
    return Status(201, _cover(services.medical_cover_record(actor=request.user, source="api", **body.dict())))


@router.post("/filings", response=responses(WelfareFilingOut, 201))
@endpoint("welfare.record")
def filing_create(request, body: WelfareFilingIn):
    """File a remote-treatment filing (异地就医备案) for treatment in the caller's area."""
    return Status(201, _filing(services.remote_treatment_file(actor=request.user, source="api", **body.dict())))


@router.post("/filings/{filing_id}/decision", response=responses(WelfareFilingOut))
@endpoint("welfare.record")
def filing_decide(request, filing_id: int, body: WelfareDecisionIn):
    """Approve or refuse a filed filing (409 when already decided)."""
    return _filing(
        services.remote_treatment_decide(actor=request.user, filing_id=filing_id, source="api", **body.dict())
    )


@router.post("/job-seekers", response=responses(WelfareSeekerOut, 201))
@endpoint("employment.record")
def seeker_create(request, body: WelfareSeekerIn):
    """Register a person with a current stay in the caller's area as seeking work."""
    return Status(201, _seeker(services.job_seeker_register(actor=request.user, source="api", **body.dict())))


@router.post("/job-seekers/{seeker_id}/placement", response=responses(WelfareSeekerOut))
@endpoint("employment.record")
def seeker_place(request, seeker_id: int, body: WelfarePlacementIn):
    """Place a seeker with an employer on the register."""
    return _seeker(services.job_seeker_place(actor=request.user, seeker_id=seeker_id, source="api", **body.dict()))


@router.post("/trainings/{training_id}/enrolments", response=responses(WelfareEnrolmentOut, 201))
@endpoint("employment.record")
def enrol(request, training_id: int, body: WelfareEnrolIn):
    """Enrol a person; a subsidised course needs the permit's training right (422 `welfare.training_right`)."""
    row = services.training_enrol(actor=request.user, training_id=training_id, person_id=body.person_id, source="api")
    return Status(201, _enrolment(row))


@router.post("/enrolments/{enrolment_id}/completion", response=responses(WelfareEnrolmentOut))
@endpoint("employment.record")
def complete(request, enrolment_id: int, body: WelfareCompleteIn):
    """Record a completion with its certificate number."""
    row = services.enrolment_complete(actor=request.user, enrolment_id=enrolment_id, source="api", **body.dict())
    return _enrolment(row)


@router.get("/figures", response=responses(list[WelfareFiguresOut]))
@endpoint("employment.view")
def figures(request, year: int | None = Query(None, ge=1, le=9999)):  # a date's year; beyond it is a 422
    """Per child area of the caller's jurisdiction: job seekers, placed, enrolments, completions."""
    return [r.__dict__ for r in selectors.work_figures(user=request.user, year=year)]


@router.post("/hub/query/{dataset}", response=responses(WelfareHubQueryOut))
@endpoint("exchange.use")
def hub_query(request, dataset: str, body: WelfareHubQueryIn):
    """A department's subsystem reads `medical_cover` or `remote_treatment` by document number under a grant for
    `query`: only granted fields, only for a person with a stay in the grant's area. `purpose` and `case_ref` are
    required; every call is in the access log.
    """
    records = _call(
        request,
        body,
        lambda context: sharing.health_records_query(
            context=context, dataset=dataset, doc_type=body.doc_type, doc_number=body.doc_number
        ),
    )
    return {"dataset": dataset, "records": records}


class WelfareHubVerifyOut(Schema):
    answer: bool = Field(..., description="whether the holder, living in the grant's area, has medical cover today")


@router.post("/hub/verify/medical_cover", response=responses(WelfareHubVerifyOut))
@endpoint("exchange.use")
def hub_verify(request, body: WelfareHubQueryIn):
    """Yes or no under a grant on `medical_cover` for `verify`: is the person, living in the grant's area, covered
    today? Nothing else is revealed; every call is in the access log.
    """
    answer = _call(
        request,
        body,
        lambda context: sharing.medical_cover_verify(
            context=context, doc_type=body.doc_type, doc_number=body.doc_number
        ),
    )
    return {"answer": answer}


@router.post("/hub/report/medical_cover", response=responses(list[WelfareRowResultOut]))
@endpoint("exchange.use")
def hub_report(request, body: WelfareCoverReportIn):
    """A department posts its own cover records under a grant on `medical_cover` for `report`; a reference posted
    again updates its record.
    """
    rows = [sharing.CoverRow(**r.dict()) for r in body.rows]
    results = sharing.medical_cover_report(
        actor=request.user, rows=rows, purpose=body.purpose, case_ref=body.case_ref, end_user=body.end_user
    )
    return [
        {"row": r.row, "status": r.status, "cover_id": r.cover_id, "problems": [p.__dict__ for p in r.problems]}
        for r in results
    ]
