"""Departments' records through the hub, and police cooperation, as JSON.

`POST /exchange/facts` is for department subsystems (their keys) under a grant on `department_facts` with the
way `report`. Bulletins, their hits and offence notices are for police users (page session or their own token);
personal numbers are masked.
"""

import datetime as dt

from django.utils import timezone
from ninja import Field, Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.outflow.services.notices import ForwardedNotice

from . import hub, selectors_police
from .models import BulletinHit
from .services import facts, police

router = Router(tags=["exchange: reports and police"])


class FactIn(Schema):
    kind: str = Field(
        ...,
        description="social_insurance, school_enrolment, hospital_admission, business_licence, "
        "job_registration, housing_contract or other",
    )
    reference: str = Field(..., description="the department's own reference; posting it again updates the record")
    occurred_on: dt.date
    doc_type: str = Field("citizen_id", description="citizen_id, hmt_resident, foreign_pr or passport")
    doc_number: str
    name: str = Field("", description="needed to register someone not yet on the register")
    sex: str = ""
    birth_date: dt.date | None = None
    community_code: str = Field("", description="12-digit community where the department places the record")
    address: str = ""
    details: dict = Field(default_factory=dict)


class FactsIn(Schema):
    purpose: str = ""
    case_ref: str = ""
    end_user: str = Field("", description="who in the department sent this (X-Road's user id)")
    rows: list[FactIn] = Field(..., min_length=1, description=f"1 to {facts.MAX_FACT_ROWS} records")


class FactProblemOut(Schema):
    field: str
    rule: str
    msg: str


class FactResultOut(Schema):
    row: int = Field(..., description="1-based position in `rows`")
    status: str = Field(..., description="created, updated, unchanged or rejected")
    fact_id: int | None
    problems: list[FactProblemOut]


class FactsOut(Schema):
    rows: int
    counts: dict[str, int]
    results: list[FactResultOut]


class BulletinIn(Schema):
    reason: str
    unit_code: str = Field("", description="the issuing unit; your own division when empty")
    doc_type: str = ""
    doc_number: str = ""
    name: str = ""
    birth_date: dt.date | None = None
    phone: str = ""
    valid_from: dt.datetime | None = Field(None, description="now when empty")
    valid_until: dt.datetime


class BulletinOut(Schema):
    id: int
    number: str
    unit_code: str
    reason: str
    identifiers: list[str]
    valid_from: dt.datetime
    valid_until: dt.datetime
    status: str
    hits: int


class HitOut(Schema):
    id: int
    bulletin_id: int
    bulletin_number: str
    person_id: int
    name: str
    doc_number_masked: str
    community_code: str
    community_name: str
    stay_id: int | None
    since: dt.date | None = Field(None, description="arrival date of the matching stay")
    matched_on: list[str]
    found_at: dt.datetime
    status: str
    conclusion: str


class HitWorkIn(Schema):
    status: str = Field(..., description="confirmed, dismissed or concluded")
    conclusion: str


class WithdrawIn(Schema):
    reason: str = ""


class OffenceIn(Schema):
    person_id: int
    offence: str
    occurred_on: dt.date


class OffenceOut(Schema):
    id: int
    number: str
    person_id: int
    name: str
    doc_number_masked: str
    issuing_unit: str
    hukou_area: str
    offence: str
    occurred_on: dt.date
    status: str
    sent_at: dt.datetime
    acknowledged_at: dt.datetime | None


class OffenceForwardedOut(Schema):
    reference: str = Field(..., description="the notice's reference, as the receiving instance knows it")
    person_id: int
    name: str
    doc_number_masked: str
    hukou_code: str
    peer: str = Field(..., description="the instance that serves the person's hukou area and received the notice")
    offence: str
    occurred_on: dt.date
    status: str = Field(..., description="queued: in the outbox until the peer's receipt")
    sent_at: dt.datetime


def _bulletin_out(b) -> BulletinOut:
    return BulletinOut(
        id=b.pk,
        number=b.number,
        unit_code=b.unit_id,
        reason=b.reason,
        identifiers=[k for k in ("doc_number", "name", "phone") if getattr(b, k)],
        valid_from=b.valid_from,
        valid_until=b.valid_until,
        status=b.status,
        hits=b.hits.count(),
    )


def _hit_out(h) -> HitOut:
    return HitOut(
        id=h.pk,
        bulletin_id=h.bulletin_id,
        bulletin_number=h.bulletin.number,
        person_id=h.person_id,
        name=h.person.name,
        doc_number_masked=h.person.doc_number_masked,
        community_code=h.community_id,
        community_name=h.community.name,
        stay_id=h.stay_id,
        since=h.stay.arrived_on if h.stay_id else None,
        matched_on=h.matched_on,
        found_at=h.found_at,
        status=h.status,
        conclusion=h.conclusion,
    )


def _offence_out(n) -> OffenceOut:
    return OffenceOut(
        id=n.pk,
        number=n.number,
        person_id=n.person_id,
        name=n.person.name,
        doc_number_masked=n.person.doc_number_masked,
        issuing_unit=n.issuing_unit_id,
        hukou_area=n.hukou_area_id,
        offence=n.offence,
        occurred_on=n.occurred_on,
        status=n.status,
        sent_at=n.sent_at,
        acknowledged_at=n.acknowledged_at,
    )


@router.post("/facts", response=responses(FactsOut), summary="Report a department's own records about people")
@endpoint("exchange.use")
def facts_post(request, payload: FactsIn):
    subsystem = hub.subsystem_of(request.user)
    if subsystem is not None:
        hub.rate_check(subsystem)
    rows = [facts.FactInput(**row.dict()) for row in payload.rows]
    report = facts.facts_report(
        actor=request.user,
        rows=rows,
        purpose=payload.purpose,
        case_ref=payload.case_ref,
        end_user=payload.end_user,
        source="api",
    )
    return FactsOut(
        rows=len(rows),
        counts=report.counts(),
        results=[
            FactResultOut(
                row=r.row,
                status=r.status,
                fact_id=r.fact_id,
                problems=[FactProblemOut(field=p.field, rule=p.rule, msg=str(p.message)) for p in r.problems],
            )
            for r in report.results
        ],
    )


@router.post("/bulletins", response=responses(BulletinOut, 201), summary="Issue an assist-investigation bulletin")
@endpoint("bulletin.issue")
def bulletin_create(request, payload: BulletinIn):
    data = payload.dict()
    data["valid_from"] = data["valid_from"] or timezone.now()
    bulletin = police.bulletin_issue(actor=request.user, bulletin=police.BulletinInput(**data), source="api")
    return Status(201, _bulletin_out(bulletin))


@router.get("/bulletins", response=responses(list[BulletinOut]), summary="Bulletins of your units")
@endpoint("bulletin.view")
def bulletin_index(request, status: str = ""):
    return [_bulletin_out(b) for b in selectors_police.bulletin_list(user=request.user, status=status)[:500]]


@router.get("/bulletins/hits", response=responses(list[HitOut]), summary="Hits of your units' bulletins")
@endpoint("bulletin.view")
def hit_index(request, status: str = ""):
    if status and status not in BulletinHit.Status.values:
        status = "-"  # an unknown status lists nothing
    return [_hit_out(h) for h in selectors_police.bulletin_hits(user=request.user, status=status)[:500]]


@router.post("/bulletins/hits/{hit_id}", response=responses(HitOut), summary="Work a hit to a conclusion")
@endpoint("bulletin.view")
def hit_work(request, hit_id: int, payload: HitWorkIn):
    police.bulletin_hit_work(
        actor=request.user, hit_id=hit_id, status=payload.status, conclusion=payload.conclusion, source="api"
    )
    hit = selectors_police.bulletin_hits(user=request.user).filter(pk=hit_id).first()
    if hit is None:
        raise NotFound()
    return _hit_out(hit)


@router.post("/bulletins/{bulletin_id}/withdraw", response=responses(BulletinOut), summary="Withdraw a bulletin")
@endpoint("bulletin.issue")
def bulletin_withdraw(request, bulletin_id: int, payload: WithdrawIn):
    bulletin = police.bulletin_withdraw(
        actor=request.user, bulletin_id=bulletin_id, reason=payload.reason, source="api"
    )
    return _bulletin_out(bulletin)


@router.post(
    "/offences",
    response={**responses(OffenceOut, 201), 202: OffenceForwardedOut},
    summary="Send an offence notice to the hukou area",
    description="A hukou in this province: the notice is created for its police (201). A hukou in another "
    "province served by a peer instance: the notice is queued to that instance (202).",
)
@endpoint("offence.notify")
def offence_create(request, payload: OffenceIn):
    notice = police.offence_notice_send(
        actor=request.user,
        person_id=payload.person_id,
        offence=payload.offence,
        occurred_on=payload.occurred_on,
        source="api",
    )
    if isinstance(notice, ForwardedNotice):
        return Status(
            202,
            OffenceForwardedOut(
                reference=notice.reference,
                person_id=notice.person.pk,
                name=notice.person.name,
                doc_number_masked=notice.person.doc_number_masked,
                hukou_code=notice.hukou_code,
                peer=notice.peer_code,
                offence=notice.offence,
                occurred_on=notice.occurred_on,
                status="queued",
                sent_at=notice.sent_at,
            ),
        )
    return Status(201, _offence_out(notice))


@router.get("/offences", response=responses(list[OffenceOut]), summary="Offence notices received or sent")
@endpoint("offence.notify")
def offence_index(request, box: str = "inbox"):
    qs = selectors_police.offence_sent if box == "sent" else selectors_police.offence_inbox
    return [_offence_out(n) for n in qs(user=request.user)[:500]]


@router.post(
    "/offences/{notice_id}/acknowledge", response=responses(OffenceOut), summary="Acknowledge a received notice"
)
@endpoint("offence.notify")
def offence_acknowledge(request, notice_id: int):
    notice = police.offence_notice_acknowledge(actor=request.user, notice_id=notice_id, source="api")
    return _offence_out(notice)
