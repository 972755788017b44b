"""Permit applications and permits as JSON: list and read within the jurisdiction, receive, decide, issue, endorse."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from .selectors import application_get, application_list, permit_get, permit_list
from .services import (
    application_complete,
    application_decide,
    application_receive,
    permit_endorse,
    permit_handover,
    permit_issue,
    permit_print,
    permit_replace,
    permit_revoke,
    permit_upgrade,
)

router = Router(tags=["permits"])


class ApplicationOut(Schema):
    id: int
    number: str
    kind: str = Field(..., description="new, upgrade or replacement")
    status: str = Field(..., description="incomplete, accepted, approved, refused or withdrawn")
    person_id: int
    person_name: str
    person_doc_number_masked: str
    stay_id: int
    community_code: str
    permit_kind: str
    condition: str = Field(..., description="employment, residence or study (Order 663 Art. 2)")
    materials: dict[str, bool]
    channel: str
    policy_code: str
    policy_version: str
    received_at: dt.datetime
    notice_missing: list[str] = Field(..., description="checklist lines the single notice listed as missing")
    notice_at: dt.datetime | None
    accepted_on: dt.date | None
    due_on: dt.date | None = Field(..., description="last day to decide, in working days from acceptance")
    extended: bool
    overdue: bool = Field(..., description="past due_on without a decision, or approved and not yet issued")
    decided_at: dt.datetime | None
    decision: dict = Field(..., description="the engine's verdict: kind, reasons, residence_since, policy, version")
    reasons: str
    replaces_id: int | None
    permit_id: int | None


class ApplicationIn(Schema):
    person_id: int
    stay_id: int = Field(..., description="the person's open stay inside your area; its community picks the policy")
    permit_kind: str = Field(..., description="a kind of the governing policy: permit (national), temporary/formal")
    condition: str = Field(..., description="employment, residence or study")
    materials: dict[str, bool] = Field(default_factory=dict, description="material codes brought, e.g. id_card")
    channel: str = "station"
    kind: str = Field("new", description="new, or upgrade for the holder of a permit this kind upgrades")


class MaterialsIn(Schema):
    materials: dict[str, bool]


class DecisionIn(Schema):
    approve: bool
    reasons: str = Field("", description="required for a refusal")
    extended: bool = Field(False, description="decided under the extended (30 working day) limit")


class EndorsementIn(Schema):
    on: dt.date | None = Field(None, description="today when empty")


class ReasonIn(Schema):
    reason: str


class EndorsementOut(Schema):
    on: dt.date
    late: bool


class PermitStateOut(Schema):
    status: str = Field(..., description="valid, suspended or expired by the rules as of today")
    counted_from: dt.date
    years_held: int
    window_opens: dt.date | None
    window_closes: dt.date | None
    suspended_from: dt.date | None
    expires_on: dt.date | None


class PermitOut(Schema):
    id: int
    number: str = Field(..., description="issuing county (6 digits), year (4), running number (7)")
    kind: str
    status: str = Field(..., description="issued, valid, suspended, expired, revoked, replaced or upgraded")
    person_id: int
    person_name: str
    person_doc_number_masked: str
    community_code: str
    application_id: int
    policy_code: str
    policy_version: str
    issued_on: dt.date
    valid_until: dt.date | None
    counted_from: dt.date
    issuer: str
    address: str
    printed_at: dt.datetime | None
    handed_over_at: dt.datetime | None
    revoked_at: dt.datetime | None
    revoked_reason: str
    replaced_by_id: int | None
    state: PermitStateOut | None = Field(None, description="on reads of one permit")
    endorsements: list[EndorsementOut] | None = None


def _application(a) -> ApplicationOut:
    permit = next(iter(a.permits.all()), None) if getattr(a, "has_permit", True) else None
    return ApplicationOut(
        id=a.pk,
        number=a.number,
        kind=a.kind,
        status=a.status,
        person_id=a.person_id,
        person_name=a.person.name,
        person_doc_number_masked=a.person.doc_number_masked,
        stay_id=a.stay_id,
        community_code=a.community_id,
        permit_kind=a.permit_kind,
        condition=a.condition,
        materials=a.materials,
        channel=a.channel,
        policy_code=a.policy.code,
        policy_version=a.policy.version,
        received_at=a.received_at,
        notice_missing=a.notice_missing,
        notice_at=a.notice_at,
        accepted_on=a.accepted_on,
        due_on=a.due_on,
        extended=a.extended,
        overdue=a.is_overdue,
        decided_at=a.decided_at,
        decision=a.decision,
        reasons=a.reasons,
        replaces_id=a.replaces_id,
        permit_id=permit.pk if permit else None,
    )


def _permit(p, *, detail: bool = False) -> PermitOut:
    out = PermitOut(
        id=p.pk,
        number=p.number,
        kind=p.kind,
        status=p.status,
        person_id=p.person_id,
        person_name=p.person.name,
        person_doc_number_masked=p.person.doc_number_masked,
        community_code=p.community_id,
        application_id=p.application_id,
        policy_code=p.policy.code,
        policy_version=p.policy.version,
        issued_on=p.issued_on,
        valid_until=p.valid_until,
        counted_from=p.counted_from,
        issuer=p.issuer,
        address=p.address,
        printed_at=p.printed_at,
        handed_over_at=p.handed_over_at,
        revoked_at=p.revoked_at,
        revoked_reason=p.revoked_reason,
        replaced_by_id=p.replaced_by_id,
    )
    if detail:
        s = p.state
        out.state = PermitStateOut(
            status=s.status.value,
            counted_from=s.counted_from,
            years_held=s.years_held,
            window_opens=s.window_opens,
            window_closes=s.window_closes,
            suspended_from=s.suspended_from,
            expires_on=s.expires_on,
        )
        out.endorsements = [EndorsementOut(on=e.on, late=e.late) for e in p.endorsements.all()]
    return out


def _read_application(request, application_id: int) -> ApplicationOut:
    return _application(application_get(user=request.user, application_id=application_id))


def _read_permit(request, permit_id: int) -> PermitOut:
    return _permit(permit_get(user=request.user, permit_id=permit_id), detail=True)


@router.get("/applications", response=responses(list[ApplicationOut]), summary="Permit applications in your area")
@endpoint("permit.view")
def applications(request, status: str = "", overdue: bool = False, q: str = "", limit: int = 200):
    rows = application_list(user=request.user, status=status, overdue=overdue, query=q, limit=min(max(limit, 1), 500))
    return [_application(a) for a in rows]


@router.get("/applications/{application_id}", response=responses(ApplicationOut), summary="One permit application")
@endpoint("permit.view")
def application(request, application_id: int):
    return _read_application(request, application_id)


@router.post(
    "/applications",
    response=responses(ApplicationOut, 201),
    summary="Receive an application; missing materials give one notice listing them all",
)
@endpoint("permit.apply")
def application_create(request, payload: ApplicationIn):
    received = application_receive(actor=request.user, source="api", **payload.dict())
    return Status(201, _read_application(request, received.pk))


@router.post(
    "/applications/{application_id}/complete",
    response=responses(ApplicationOut),
    summary="The missing materials are brought: accept the application",
)
@endpoint("permit.apply")
def application_completion(request, application_id: int, payload: MaterialsIn):
    application_complete(actor=request.user, application_id=application_id, materials=payload.materials, source="api")
    return _read_application(request, application_id)


@router.post(
    "/applications/{application_id}/decide",
    response=responses(ApplicationOut),
    summary="Approve or refuse; an approval the policy engine does not support is refused with its reasons",
)
@endpoint("permit.decide")
def application_decision(request, application_id: int, payload: DecisionIn):
    application_decide(actor=request.user, application_id=application_id, source="api", **payload.dict())
    return _read_application(request, application_id)


@router.post(
    "/applications/{application_id}/issue",
    response=responses(PermitOut, 201),
    summary="Issue the permit an approved application grants",
)
@endpoint("permit.issue")
def application_issue(request, application_id: int):
    permit = permit_issue(actor=request.user, application_id=application_id, source="api")
    return Status(201, _read_permit(request, permit.pk))


@router.get("/permits", response=responses(list[PermitOut]), summary="Residence permits in your area")
@endpoint("permit.view")
def permits(request, status: str = "", stage: str = "", q: str = "", limit: int = 200):
    rows = permit_list(user=request.user, status=status, stage=stage, query=q, limit=min(max(limit, 1), 500))
    return [_permit(p) for p in rows]


@router.get("/permits/{permit_id}", response=responses(PermitOut), summary="One permit with its state and endorsements")
@endpoint("permit.view")
def permit(request, permit_id: int):
    return _read_permit(request, permit_id)


@router.post("/permits/{permit_id}/print", response=responses(PermitOut), summary="Record a print (or reprint)")
@endpoint("permit.issue")
def permit_printed(request, permit_id: int):
    permit_print(actor=request.user, permit_id=permit_id, source="api")
    return _read_permit(request, permit_id)


@router.post("/permits/{permit_id}/handover", response=responses(PermitOut), summary="Hand the card to its holder")
@endpoint("permit.issue")
def permit_handed_over(request, permit_id: int):
    permit_handover(actor=request.user, permit_id=permit_id, source="api")
    return _read_permit(request, permit_id)


@router.post(
    "/permits/{permit_id}/endorse",
    response=responses(PermitOut),
    summary="Endorse: in the month before each full year, or late to restore a suspended permit",
)
@endpoint("permit.endorse")
def permit_endorsed(request, permit_id: int, payload: EndorsementIn):
    permit_endorse(actor=request.user, permit_id=permit_id, on=payload.on, source="api")
    return _read_permit(request, permit_id)


@router.post(
    "/permits/{permit_id}/upgrade",
    response=responses(ApplicationOut, 201),
    summary="Apply to upgrade a temporary permit to the formal kind",
)
@endpoint("permit.apply")
def permit_upgraded(request, permit_id: int, payload: MaterialsIn | None = None):
    application = permit_upgrade(
        actor=request.user, permit_id=permit_id, materials=payload.materials if payload else None, source="api"
    )
    return Status(201, _read_application(request, application.pk))


@router.post("/permits/{permit_id}/revoke", response=responses(PermitOut), summary="Revoke a permit")
@endpoint("permit.revoke")
def permit_revoked(request, permit_id: int, payload: ReasonIn):
    permit_revoke(actor=request.user, permit_id=permit_id, reason=payload.reason, source="api")
    return _read_permit(request, permit_id)


@router.post(
    "/permits/{permit_id}/replace",
    response=responses(PermitOut, 201),
    summary="Replace a lost or damaged card: a new number, and the old QR code stops verifying as valid",
)
@endpoint("permit.issue")
def permit_replaced(request, permit_id: int, payload: ReasonIn):
    replacement = permit_replace(actor=request.user, permit_id=permit_id, reason=payload.reason, source="api")
    return Status(201, _read_permit(request, replacement.pk))
