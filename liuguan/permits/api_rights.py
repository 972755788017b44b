"""Rights, the settlement check and marriage-and-childbearing certificates as JSON (officers, inside scope), and
the licence pre-check for licensing departments (a subsystem, inside its grant), mounted under /api/exchange.
"""

import datetime as dt

from ninja import Field, Router, Schema, Status

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.exchange.api import CallIn, _call

from .selectors_rights import certificate_list, marriage_certificate_verify, rights_view, settlement_view
from .services.certificates import certificate_record

router = Router(tags=["permits"])
verify_router = Router(tags=["exchange"])


class MissingOut(Schema):
    rule: str = Field(..., description="permit, permit_valid, min_years_held, min_social_insurance_months, housing")
    needed: list[str] | int | str | None
    has: int | str | None
    text: str = Field(..., description="the unmet part in words, in the caller's language")


class RightOut(Schema):
    code: str
    label: str
    granted: bool
    missing: list[MissingOut]


class PersonFactsOut(Schema):
    permit_kind: str | None
    permit_status: str | None = Field(..., description="valid, suspended or expired as of the day")
    years_held: int
    social_insurance_months: int
    housing: str = Field(..., description="owned, filed_rental, rental or empty")


class RightsOut(Schema):
    person_id: int
    on: dt.date
    profile: str = Field(..., description="the rights profile of the person's area (chengdu, national)")
    version: str
    facts: PersonFactsOut
    rights: list[RightOut]


class SettlementOut(Schema):
    person_id: int
    on: dt.date
    profile: str = Field(..., description="the area's settlement profile; empty when it has none")
    eligible: bool | None = Field(..., description="null when the area has no settlement profile")
    missing: list[MissingOut]
    note: str


class CertificateIn(Schema):
    person_id: int
    number: str
    issuer: str
    issuer_code: str = Field(..., description="the issuing area's division code (usually the hukou area)")
    issued_on: dt.date
    valid_until: dt.date
    marital_status: str = ""
    children: int = 0


class CertificateOut(Schema):
    id: int
    person_id: int
    number: str
    issuer: str
    issuer_code: str
    issued_on: dt.date
    valid_until: dt.date
    status: str


class CertificateVerifyIn(CallIn):
    doc_type: str = Field("citizen_id", description="citizen_id, hmt_resident, foreign_pr or passport")
    doc_number: str = Field(..., description="the person's document number")
    area_code: str | None = Field(None, description="a division inside the grant's area; the grant's area if empty")


class CertificateVerifyOut(Schema):
    answer: bool = Field(..., description="whether the person, living in the area, holds a valid certificate today")
    number: str | None = Field(None, description="only when the grant names it")
    issuer: str | None = Field(None, description="only when the grant names it")
    issuer_code: str | None = Field(None, description="only when the grant names it")
    issued_on: str | None = Field(None, description="only when the grant names it")
    valid_until: str | None = Field(None, description="only when the grant names it")


def _facts(view) -> dict:
    f = view.explained.facts
    return {
        "permit_kind": f.permit_kind,
        "permit_status": f.permit_status.value if f.permit_status is not None else None,
        "years_held": f.years_held,
        "social_insurance_months": f.social_insurance_months,
        "housing": f.housing,
    }


@router.get("/rights/{person_id}", response=responses(RightsOut))
@endpoint("rights.view")
def person_rights(request, person_id: int):
    """Which rights the person's permit gives now under their area's profile, and for each one withheld what
    is missing. Outside the caller's jurisdiction answers 404.
    """
    view = rights_view(user=request.user, person_id=person_id)
    return {
        "person_id": view.person.pk,
        "on": view.on,
        "profile": view.profile,
        "version": view.version,
        "facts": _facts(view),
        "rights": [vars(line) for line in view.rights],
    }


@router.get("/settlement/{person_id}", response=responses(SettlementOut))
@endpoint("rights.view")
def person_settlement(request, person_id: int):
    """Whether the person meets the settlement (落户) conditions of their city's profile, and what is missing."""
    view = settlement_view(user=request.user, person_id=person_id)
    return {
        "person_id": view.person.pk,
        "on": view.on,
        "profile": view.profile,
        "eligible": view.eligible,
        "missing": view.missing,
        "note": view.note,
    }


def _certificate(row) -> dict:
    return {
        "id": row.pk,
        "person_id": row.person_id,
        "number": row.number,
        "issuer": row.issuer,
        "issuer_code": row.issuer_code,
        "issued_on": row.issued_on,
        "valid_until": row.valid_until,
        "status": row.status,
    }


@router.get("/certificates/{person_id}", response=responses(list[CertificateOut]))
@endpoint("certificate.view")
def person_certificates(request, person_id: int):
    """The person's marriage-and-childbearing certificates, inside the caller's scope."""
    return [_certificate(row) for row in certificate_list(user=request.user, person_id=person_id)]


@router.post("/certificates", response=responses(CertificateOut, 201))
@endpoint("certificate.record")
def certificate_create(request, body: CertificateIn):
    """Record a certificate the holder brought; the number is recorded once (409 for a second time)."""
    row = certificate_record(actor=request.user, source="api", **body.dict())
    return Status(201, _certificate(row))


@verify_router.post("/verify/marriage_certificate", response=responses(CertificateVerifyOut), exclude_none=True)
@endpoint("exchange.use")
def verify_marriage_certificate(request, body: CertificateVerifyIn):
    """Licence pre-check (一证先行、无证不办): yes or no, does the person living inside the area hold a valid
    marriage-and-childbearing certificate today? Needs a grant on `marriage_certificate` for `verify`; fields
    are added to a yes only when the grant names them. Every call is in the access log.
    """
    return _call(
        request,
        body,
        lambda context: marriage_certificate_verify(
            context=context, doc_type=body.doc_type, doc_number=body.doc_number, area_code=body.area_code
        ),
    )
