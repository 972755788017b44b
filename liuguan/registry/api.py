"""People and stays as JSON. The same services as the pages; masked unless revealed with a purpose."""

import datetime as dt

from ninja import Field, Router, Schema, Status

from liuguan.core.identity import DocumentError, parse_document, rule_message
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import services
from .access import access_person_by_id
from .selectors import field_history, person_search, stay_history

router = Router(tags=["registry"])


class StayIn(Schema):
    community_code: str = Field(..., description="12-digit community code inside your jurisdiction")
    arrived_on: dt.date
    reason: str = Field(..., description="work, business, study, family, marriage, medical, other")
    address: str = ""
    device_time: dt.datetime | None = None
    house_id: int | None = None
    employer_id: int | None = None


class PersonIn(Schema):
    doc_type: str = Field("citizen_id", description="citizen_id, hmt_resident, foreign_pr or passport")
    doc_number: str
    name: str
    sex: str = Field("", description="M or F; read from a citizen ID when empty")
    birth_date: dt.date | None = Field(None, description="read from a citizen ID when empty")
    ethnicity: str = "01"
    nationality: str = "CHN"
    hukou_code: str = ""
    hukou_address: str = ""
    phone: str = ""
    education: str = ""
    marital_status: str = ""
    party_member: bool = False
    stay: StayIn
    not_duplicate_of: list[int] = Field(
        [], description="ids of likely duplicates the collector confirmed to be different people"
    )


class StayOut(Schema):
    id: int
    community_code: str
    community_name: str
    arrived_on: dt.date
    departed_on: dt.date | None
    reason: str
    source_channel: str
    registered_at: dt.datetime
    address: str | None = Field(None, description="only for stays inside your jurisdiction")


class PersonSummary(Schema):
    id: int
    doc_type: str
    doc_number_masked: str
    name: str
    name_pinyin: str
    sex: str
    birth_date: dt.date


class PersonOut(PersonSummary):
    ethnicity: str
    nationality: str
    hukou_code: str
    phone_masked: str
    party_member: bool
    stays: list[StayOut]


class RegisterOut(Schema):
    person: PersonOut
    stay_id: int
    warnings: list[str]


class RevealIn(Schema):
    purpose: str = Field(..., description="why you need the full values; kept in the audit chain")


class RevealOut(Schema):
    doc_number: str
    phone: str


class DepartIn(Schema):
    departed_on: dt.date
    destination: str = ""


class DocumentCheckOut(Schema):
    valid: bool
    number: str | None = None
    birth_date: dt.date | None = None
    sex: str | None = None
    area_code: str | None = None
    warnings: list[str] = []
    rule: str | None = None
    message: str | None = None


def _summary(p) -> dict:
    return {
        "id": p.pk,
        "doc_type": p.doc_type,
        "doc_number_masked": p.doc_number_masked,
        "name": p.name,
        "name_pinyin": p.name_pinyin,
        "sex": p.sex,
        "birth_date": p.birth_date,
    }


def _stay_out(stay, *, in_scope: bool) -> StayOut:
    return StayOut(
        id=stay.pk,
        community_code=stay.community_id,
        community_name=stay.community.name,
        arrived_on=stay.arrived_on,
        departed_on=stay.departed_on,
        reason=stay.reason,
        source_channel=stay.source_channel,
        registered_at=stay.registered_at,
        address=stay.address if in_scope else None,
    )


def _person_out(user, person) -> PersonOut:
    stays = [_stay_out(row["stay"], in_scope=row["in_scope"]) for row in stay_history(user=user, person=person)]
    return PersonOut(
        **_summary(person),
        ethnicity=person.ethnicity,
        nationality=person.nationality,
        hukou_code=person.hukou_code,
        phone_masked=person.phone_masked,
        party_member=person.party_member,
        stays=stays,
    )


@router.get(
    "/persons", response=responses(list[PersonSummary]), summary="Search people by document number, name or pinyin"
)
@endpoint("person.view")
def persons_search(request, q: str, limit: int = 50):
    return [_summary(p) for p in person_search(user=request.user, query=q, limit=min(max(limit, 1), 200))]


@router.get("/persons/{person_id}", response=responses(PersonOut), summary="One person with their stays (masked)")
@endpoint("person.view")
def person_detail(request, person_id: int):
    return _person_out(request.user, access_person_by_id(request.user, person_id))


@router.post("/persons", response=responses(RegisterOut, 201), summary="Register a person with their first stay")
@endpoint("person.register")
def person_register(request, payload: PersonIn):
    data = payload.dict()
    stay = data.pop("stay")
    not_duplicate_of = data.pop("not_duplicate_of")
    done = services.person_register(
        actor=request.user,
        person=services.PersonInput(**data),
        stay=services.StayInput(**stay),
        source="api",
        not_duplicate_of=not_duplicate_of,
    )
    return Status(
        201,
        RegisterOut(
            person=_person_out(request.user, access_person_by_id(request.user, done.person.pk)),
            stay_id=done.stay.pk,
            warnings=done.warnings,
        ),
    )


@router.post(
    "/persons/{person_id}/reveal", response=responses(RevealOut), summary="Full document number and phone, audited"
)
@endpoint("person.reveal")
def person_reveal(request, person_id: int, payload: RevealIn):
    return services.person_reveal(actor=request.user, person_id=person_id, purpose=payload.purpose, source="api")


@router.post(
    "/persons/{person_id}/stays", response=responses(StayOut, 201), summary="Add a stay for a registered person"
)
@endpoint("person.register")
def stay_add(request, person_id: int, payload: StayIn):
    person = access_person_by_id(request.user, person_id)
    stay = services.stay_register(
        actor=request.user, person=person, stay=services.StayInput(**payload.dict()), source="api"
    )
    return Status(201, _stay_out(stay, in_scope=True))


@router.post("/stays/{stay_id}/depart", response=responses(StayOut), summary="Record a departure (注销)")
@endpoint("stay.depart")
def stay_depart(request, stay_id: int, payload: DepartIn):
    stay = services.stay_depart(
        actor=request.user,
        stay_id=stay_id,
        departed_on=payload.departed_on,
        destination=payload.destination,
        source="api",
    )
    return _stay_out(stay, in_scope=True)


@router.get(
    "/check-document", response=responses(DocumentCheckOut), summary="Validate a document number as the forms do"
)
@endpoint("person.register")
def check_document(request, doc_number: str, doc_type: str = "citizen_id"):
    try:
        parsed = parse_document(doc_type, doc_number)
    except DocumentError as exc:
        return DocumentCheckOut(valid=False, rule=exc.rule, message=str(exc.message))
    return DocumentCheckOut(
        valid=True,
        number=parsed.number,
        birth_date=parsed.birth_date,
        sex=parsed.sex,
        area_code=parsed.area_code,
        warnings=[str(rule_message(w)) for w in parsed.warnings],
    )


class StayUpdateIn(Schema):
    house_id: int | None = None
    employer_id: int | None = None
    address: str | None = None
    device_time: dt.datetime | None = None


@router.patch(
    "/stays/{stay_id}",
    response=responses(StayOut),
    summary="Change a stay's house, employer or address; the old values stay in the history",
)
@endpoint("person.register")
def stay_update(request, stay_id: int, payload: StayUpdateIn):
    given = payload.dict(exclude_unset=True)
    device_time = given.pop("device_time", None)
    stay = services.stay_update(actor=request.user, stay_id=stay_id, device_time=device_time, source="api", **given)
    return _stay_out(stay, in_scope=True)


class ContactIn(Schema):
    phone: str
    device_time: dt.datetime | None = None


@router.patch("/persons/{person_id}/contact", response=responses(PersonOut), summary="Change a person's phone")
@endpoint("person.register")
def person_contact(request, person_id: int, payload: ContactIn):
    services.person_update_contact(
        actor=request.user, person_id=person_id, phone=payload.phone, device_time=payload.device_time, source="api"
    )
    return _person_out(request.user, access_person_by_id(request.user, person_id))


@router.post(
    "/persons/{person_id}/same-person",
    response=responses(PersonSummary),
    summary="Record that a likely duplicate is the person being registered",
)
@endpoint("person.register")
def duplicate_same(request, person_id: int):
    return _summary(services.duplicate_confirm_same(actor=request.user, candidate_id=person_id, source="api"))


class HistoryOut(Schema):
    at: dt.datetime
    object: str
    object_id: int
    field: str
    value: str
    actor: str | None
    channel: str
    collection_point: str | None
    device_time: dt.datetime | None


@router.get(
    "/persons/{person_id}/history",
    response=responses(list[HistoryOut]),
    summary="Who set each field of a person and their stays, and when",
)
@endpoint("person.view")
def person_history(request, person_id: int):
    person = access_person_by_id(request.user, person_id)
    return [
        HistoryOut(
            at=e["at"],
            object=e["object"],
            object_id=e["object_id"],
            field=e["field"],
            value=str(e["value"]),
            actor=str(e["actor"]) if e["actor"] else None,
            channel=str(e["channel"]),
            collection_point=str(e["point"]) if e["point"] else None,
            device_time=e["device_time"],
        )
        for e in field_history(user=request.user, person=person)
    ]
