"""Responsibility agreements, breaches, coverage, tiers and foreigners' documents as JSON."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.registry.access import access_person_by_id

from .selectors_agreements import (
    agreement_get,
    agreement_list,
    agreements_expired,
    breach_list,
    classification_overview,
    coverage,
    foreigners_flagged,
    person_tier,
)
from .services.agreements import agreement_renew, agreement_sign, agreement_state, agreement_terminate
from .services.breaches import breach_record

router = Router(tags=["agreements"])


class AgreementOut(Schema):
    id: int
    number: str
    kind: str
    state: str = Field(..., description="valid, expiring, expired, not_started or terminated, as of today")
    community_code: str
    house_id: int | None
    lodging_id: int | None
    employer_id: int | None
    party_name: str
    signatory: str
    signed_on: dt.date
    starts_on: dt.date
    ends_on: dt.date
    terminated_on: dt.date | None
    renews_id: int | None
    template: str


class AgreementSignIn(Schema):
    kind: str = Field(..., description="landlord (with house_id), hotel (with lodging_id) or employer (employer_id)")
    house_id: int | None = None
    lodging_id: int | None = None
    employer_id: int | None = None
    signatory: str
    signed_on: dt.date
    starts_on: dt.date | None = Field(None, description="the signing day when empty")
    template_id: int | None = Field(None, description="the kind's template in use when empty")


class AgreementRenewIn(Schema):
    signatory: str
    signed_on: dt.date
    template_id: int | None = None


class AgreementTerminateIn(Schema):
    terminated_on: dt.date
    reason: str


class BreachOut(Schema):
    id: int
    kind: str
    channel: str
    community_code: str
    agreement_id: int | None
    agreement_number: str | None
    house_id: int | None
    lodging_id: int | None
    employer_id: int | None
    person_id: int | None
    person_name: str | None
    person_doc_number_masked: str | None
    report_id: int | None
    due_on: dt.date | None
    occurred_on: dt.date
    note: str


class BreachIn(Schema):
    house_id: int | None = None
    lodging_id: int | None = None
    employer_id: int | None = None
    person_id: int | None = None
    occurred_on: dt.date
    note: str


class CoverageCell(Schema):
    covered: int
    total: int
    share: float | None = Field(..., description="percent holding an agreement in force; null when there are none")


class CoverageRow(Schema):
    code: str
    name: str
    houses: CoverageCell
    hotels: CoverageCell
    employers: CoverageCell


class CoverageOut(Schema):
    today: dt.date
    min_staff: int
    rows: list[CoverageRow]
    total: CoverageRow | None


class ForeignerOut(Schema):
    person_id: int
    name: str
    nationality: str
    doc_type: str
    doc_number_masked: str
    document_kind: str
    document_number_masked: str
    expires_on: dt.date
    days_left: int
    expired: bool
    community_code: str | None


class TierOut(Schema):
    person_id: int
    tier: str
    rule: str
    reverify_days: int
    facts: dict
    computed_at: dt.datetime


class RuleOut(Schema):
    id: int
    prefix: str
    position: int
    tier: str
    label: str
    conditions: dict
    reverify_days: int
    people: int


class TierCount(Schema):
    tier: str
    people: int


class ClassificationOut(Schema):
    rules: list[RuleOut]
    tiers: list[TierCount]
    unclassified: int


def _agreement(a, today) -> AgreementOut:
    return AgreementOut(
        id=a.pk,
        number=a.number,
        kind=a.kind,
        state=agreement_state(a, today),
        community_code=a.community_id,
        house_id=a.house_id,
        lodging_id=a.lodging_id,
        employer_id=a.employer_id,
        party_name=a.party_name,
        signatory=a.signatory,
        signed_on=a.signed_on,
        starts_on=a.starts_on,
        ends_on=a.ends_on,
        terminated_on=a.terminated_on,
        renews_id=a.renews_id,
        template=f"{a.template.kind} v{a.template.version}",
    )


def _breach(b) -> BreachOut:
    return BreachOut(
        id=b.pk,
        kind=b.kind,
        channel=b.channel,
        community_code=b.community_id,
        agreement_id=b.agreement_id,
        agreement_number=b.agreement.number if b.agreement_id else None,
        house_id=b.house_id,
        lodging_id=b.lodging_id,
        employer_id=b.employer_id,
        person_id=b.person_id,
        person_name=b.person.name if b.person_id else None,
        person_doc_number_masked=b.person.doc_number_masked if b.person_id else None,
        report_id=b.report_id,
        due_on=b.due_on,
        occurred_on=b.occurred_on,
        note=b.note,
    )


@router.get("/agreements", response=responses(list[AgreementOut]), summary="Agreements in your area")
@endpoint("agreement.view")
def agreements(request, state: str = "", kind: str = "", community_code: str = "", limit: int = 200):
    today = china_today()
    rows = agreement_list(
        user=request.user,
        today=today,
        state=state,
        kind=kind,
        community_code=community_code,
        limit=min(max(limit, 1), 500),
    )
    return [_agreement(a, today) for a in rows]


@router.get("/agreements/expired", response=responses(list[AgreementOut]), summary="Agreements ended and not renewed")
@endpoint("agreement.view")
def agreements_lapsed(request):
    today = china_today()
    return [_agreement(a, today) for a in agreements_expired(user=request.user, today=today, limit=1000)]


@router.get("/agreements/{agreement_id}", response=responses(AgreementOut), summary="One agreement")
@endpoint("agreement.view")
def agreement(request, agreement_id: int):
    return _agreement(agreement_get(user=request.user, agreement_id=agreement_id), china_today())


@router.post("/agreements", response=responses(AgreementOut, 201), summary="Sign a responsibility agreement")
@endpoint("agreement.sign")
def agreement_create(request, payload: AgreementSignIn):
    signed = agreement_sign(actor=request.user, source="api", **payload.dict())
    return Status(201, _agreement(signed, china_today()))


@router.post(
    "/agreements/{agreement_id}/renew",
    response=responses(AgreementOut, 201),
    summary="Renew: a new agreement from the day after the old one ends",
)
@endpoint("agreement.sign")
def agreement_renewal(request, agreement_id: int, payload: AgreementRenewIn):
    renewal = agreement_renew(actor=request.user, agreement_id=agreement_id, source="api", **payload.dict())
    return Status(201, _agreement(renewal, china_today()))


@router.post("/agreements/{agreement_id}/terminate", response=responses(AgreementOut), summary="End an agreement early")
@endpoint("agreement.sign")
def agreement_end(request, agreement_id: int, payload: AgreementTerminateIn):
    ended = agreement_terminate(actor=request.user, agreement_id=agreement_id, source="api", **payload.dict())
    return _agreement(ended, china_today())


@router.get("/breaches", response=responses(list[BreachOut]), summary="Breaches in your area, newest first")
@endpoint("breach.view")
def breaches(request, agreement_id: int | None = None, community_code: str = "", kind: str = "", limit: int = 200):
    rows = breach_list(
        user=request.user,
        agreement_id=agreement_id,
        community_code=community_code,
        kind=kind,
        limit=min(max(limit, 1), 1000),
    )
    return [_breach(b) for b in rows]


@router.post("/breaches", response=responses(BreachOut, 201), summary="Record an incident at a place")
@endpoint("breach.record")
def breach_create(request, payload: BreachIn):
    return Status(201, _breach(breach_record(actor=request.user, source="api", **payload.dict())))


@router.get("/coverage", response=responses(CoverageOut), summary="Share of places holding a valid agreement")
@endpoint("agreement.view")
def coverage_figures(request, min_staff: int = 10):
    return coverage(user=request.user, min_staff=max(min_staff, 1))


@router.get(
    "/foreigners/expiring",
    response=responses(list[ForeignerOut]),
    summary="Foreigners in your area whose documents end within 30 days or have ended",
)
@endpoint("foreigner.view")
def foreigners(request):
    return [
        ForeignerOut(
            person_id=row["person"].pk,
            name=row["person"].name,
            nationality=row["person"].nationality,
            doc_type=row["person"].doc_type,
            doc_number_masked=row["doc_number_masked"],
            document_kind=row["document"].kind,
            document_number_masked=row["document_number_masked"],
            expires_on=row["expires_on"],
            days_left=row["days_left"],
            expired=row["expired"],
            community_code=row["stay"].community_id if row["stay"] else None,
        )
        for row in foreigners_flagged(user=request.user)
    ]


@router.get("/persons/{person_id}/tier", response=responses(TierOut), summary="A person's tier and its rule")
@endpoint("person.view")
def tier(request, person_id: int):
    found = person_tier(user=request.user, person=access_person_by_id(request.user, person_id))
    if found is None:
        raise NotFound()
    return TierOut(
        person_id=person_id,
        tier=found.tier,
        rule=found.rule_label,
        reverify_days=found.reverify_days,
        facts=found.facts,
        computed_at=found.computed_at,
    )


@router.get("/classification", response=responses(ClassificationOut), summary="Rules and tier counts in your area")
@endpoint("classification.manage")
def classification(request):
    overview = classification_overview(user=request.user)
    return ClassificationOut(
        rules=[
            RuleOut(
                id=r.pk,
                prefix=r.prefix,
                position=r.position,
                tier=r.tier,
                label=r.label,
                conditions=r.conditions,
                reverify_days=r.reverify_days,
                people=r.people,
            )
            for r in overview["rules"]
        ],
        tiers=[TierCount(tier=t["tier"], people=t["people"]) for t in overview["tiers"]],
        unclassified=overview["unclassified"],
    )
