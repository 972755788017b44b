"""The migrant portal as JSON under /api/portal: the migrant's own profile, requests, notifications, stay
declarations and permit applications; and the station's review of declarations. A migrant's calls never take
another person's id: every read is of the caller's own person or account.
"""

import datetime as dt

from django.http import Http404
from ninja import Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.identity import mask_document_number, mask_phone
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import selectors, services

router = Router(tags=["portal"])


class PortalStayOut(Schema):
    id: int
    community_code: str
    community: str
    address: str
    arrived_on: dt.date


class PortalMeOut(Schema):
    phone: str
    on_register: bool
    name: str
    doc_number: str
    stays: list[PortalStayOut]
    unread: int


class PortalRequestOut(Schema):
    kind: str
    label: str
    number: str
    status: str
    status_code: str
    updated_at: dt.datetime | None
    note: str


class PortalNotificationOut(Schema):
    id: int
    title: str
    body: str
    link: str
    created_at: dt.datetime
    read: bool


class PortalDeclarationIn(Schema):
    community_code: str
    address: str
    arrived_on: dt.date
    reason: str
    doc_type: str = ""
    doc_number: str = ""
    name: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    hukou_address: str = ""


class PortalDeclarationOut(Schema):
    id: int
    community_code: str
    address: str
    arrived_on: dt.date
    reason: str
    status: str
    reject_reason: str
    created_at: dt.datetime


class PortalPermitApplyIn(Schema):
    stay_id: int
    permit_kind: str
    condition: str


class PortalApplicationOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    permit_kind: str
    channel: str
    due_on: dt.date | None
    notice_missing: list[str]


class PortalPermitOut(Schema):
    number: str
    kind: str
    status: str
    issued_on: dt.date
    valid_until: dt.date | None


class PortalPermitsOut(Schema):
    permits: list[PortalPermitOut]
    applications: list[PortalApplicationOut]


class PortalSittingOut(Schema):
    weekday: int | None
    on_date: dt.date | None
    hours: str
    officer_name: str


class PortalStationOut(Schema):
    name: str
    community_code: str
    community: str
    address: str
    hours: str
    police_sittings: list[PortalSittingOut]


class PortalRejectIn(Schema):
    reason: str


class PortalAcceptIn(Schema):
    house_id: int | None = None


def _declaration_out(d) -> PortalDeclarationOut:
    return PortalDeclarationOut(
        id=d.pk,
        community_code=d.community_id,
        address=d.address,
        arrived_on=d.arrived_on,
        reason=d.reason,
        status=d.status,
        reject_reason=d.reject_reason,
        created_at=d.created_at,
    )


def _application_out(a) -> PortalApplicationOut:
    return PortalApplicationOut(
        id=a.pk,
        number=a.number,
        status=a.status,
        status_label=str(a.get_status_display()),
        permit_kind=a.permit_kind,
        channel=a.channel,
        due_on=a.due_on,
        notice_missing=list(a.notice_missing or []),
    )


@router.get("/me", response=responses(PortalMeOut), summary="The signed-in migrant")
@endpoint("portal.use")
def me(request):
    user = request.user
    person = user.person
    return PortalMeOut(
        phone=mask_phone(user.phone or ""),
        on_register=person is not None,
        name=person.name if person else "",
        doc_number=mask_document_number(person.doc_number) if person else "",
        stays=[
            PortalStayOut(
                id=s.pk,
                community_code=s.community_id,
                community=s.community.name,
                address=s.address,
                arrived_on=s.arrived_on,
            )
            for s in selectors.open_stays(person=person)
        ],
        unread=selectors.unread_count(person=person),
    )


@router.get("/requests", response=responses(list[PortalRequestOut]), summary="Everything the migrant asked")
@endpoint("portal.use")
def my_requests(request):
    return [
        PortalRequestOut(
            kind=r.kind,
            label=str(r.label),
            number=r.number,
            status=str(r.status),
            status_code=r.status_code,
            updated_at=r.updated_at,
            note=r.note,
        )
        for r in selectors.my_requests(account=request.user)
    ]


@router.get("/notifications", response=responses(list[PortalNotificationOut]), summary="What the migrant was told")
@endpoint("portal.use")
def notifications(request):
    return [
        PortalNotificationOut(
            id=n.pk, title=n.title, body=n.body, link=n.link, created_at=n.created_at, read=n.read_at is not None
        )
        for n in selectors.notifications(person=request.user.person)
    ]


@router.get("/declarations/mine", response=responses(list[PortalDeclarationOut]), summary="My stay declarations")
@endpoint("portal.use")
def my_declarations(request):
    return [_declaration_out(d) for d in selectors.own_declarations(account=request.user)]


@router.post("/declarations", response=responses(PortalDeclarationOut, 201), summary="Declare my own stay")
@endpoint("portal.use")
def declare(request, body: PortalDeclarationIn):
    created = services.declaration_submit(actor=request.user, source="api", **body.dict())
    return Status(201, _declaration_out(created))


@router.get("/permits", response=responses(PortalPermitsOut), summary="My permits and permit applications")
@endpoint("portal.use")
def my_permits(request):
    person = request.user.person
    return PortalPermitsOut(
        permits=[
            PortalPermitOut(
                number=p.number, kind=p.kind, status=p.status, issued_on=p.issued_on, valid_until=p.valid_until
            )
            for p in selectors.own_permits(person=person)
        ],
        applications=[_application_out(a) for a in selectors.own_applications(person=person)],
    )


@router.post("/permit-applications", response=responses(PortalApplicationOut, 201), summary="Apply for a permit")
@endpoint("portal.use")
def apply_permit(request, body: PortalPermitApplyIn):
    from liuguan.permits.services.applications import application_submit_own

    created = application_submit_own(
        actor=request.user,
        stay_id=body.stay_id,
        permit_kind=body.permit_kind,
        condition=body.condition,
        source="api",
    )
    return Status(201, _application_out(created))


@router.get("/stations", response=responses(list[PortalStationOut]), summary="Service stations near a community")
@endpoint("portal.use")
def stations(request, community: str = ""):
    near = community or selectors.current_community_code(person=request.user.person, account=request.user)
    return [
        PortalStationOut(
            name=s.office.name,
            community_code=s.community.code,
            community=s.community.name,
            address=s.office.address,
            hours=s.office.hours,
            police_sittings=[
                PortalSittingOut(weekday=t.weekday, on_date=t.on_date, hours=t.hours, officer_name=t.officer_name)
                for t in s.sittings
            ],
        )
        for s in selectors.stations_near(community_code=near)
    ]


# -- the station's review ------------------------------------------------------------------------------------------


@router.get("/review/declarations", response=responses(list[PortalDeclarationOut]), summary="Declarations to review")
@endpoint("portal.review")
def review_queue(request, status: str = "pending"):
    return [_declaration_out(d) for d in selectors.declaration_queue(user=request.user, status=status)]


@router.post("/review/declarations/{declaration_id}/accept", response=responses(PortalDeclarationOut), summary="Accept")
@endpoint("portal.review")
def review_accept(request, declaration_id: int, body: PortalAcceptIn):
    try:
        done = services.declaration_accept(
            actor=request.user, declaration_id=declaration_id, house_id=body.house_id, source="api"
        )
    except NotFound as exc:
        raise Http404 from exc
    return _declaration_out(done)


@router.post("/review/declarations/{declaration_id}/reject", response=responses(PortalDeclarationOut), summary="Reject")
@endpoint("portal.review")
def review_reject(request, declaration_id: int, body: PortalRejectIn):
    try:
        done = services.declaration_reject(
            actor=request.user, declaration_id=declaration_id, reason=body.reason, source="api"
        )
    except NotFound as exc:
        raise Http404 from exc
    return _declaration_out(done)
