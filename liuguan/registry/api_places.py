"""Houses, employers and lodgings as JSON, inside the caller's jurisdiction."""

import datetime as dt

from ninja import Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import services
from .models import Employer, House, Lodging
from .selectors import employer_list, house_list, lodging_list, place_get

router = Router(tags=["places"])


class HouseIn(Schema):
    community_code: str
    address: str
    kind: str = "rental"
    is_rented: bool = False
    owner_name: str = ""
    landlord_id: int | None = None
    grid_code: str = ""


class HouseOut(Schema):
    id: int
    community_code: str
    address: str
    kind: str
    is_rented: bool
    owner_name: str
    grid_code: str | None
    created_at: dt.datetime


class EmployerIn(Schema):
    community_code: str
    name: str
    credit_code: str
    industry: str
    address: str = ""


class EmployerOut(Schema):
    id: int
    community_code: str
    name: str
    credit_code: str | None
    industry: str
    address: str


class LodgingIn(Schema):
    community_code: str
    name: str
    credit_code: str = ""
    address: str
    rooms: int = 0


class LodgingOut(Schema):
    id: int
    community_code: str
    name: str
    credit_code: str | None
    address: str
    rooms: int


def _house(h: House) -> HouseOut:
    return HouseOut(
        id=h.pk,
        community_code=h.community_id,
        address=h.address,
        kind=h.kind,
        is_rented=h.is_rented,
        owner_name=h.owner_name,
        grid_code=h.grid.code if h.grid_id else None,
        created_at=h.created_at,
    )


def _employer(e: Employer) -> EmployerOut:
    return EmployerOut(
        id=e.pk,
        community_code=e.community_id,
        name=e.name,
        credit_code=e.credit_code,
        industry=e.industry,
        address=e.address,
    )


def _lodging(x: Lodging) -> LodgingOut:
    return LodgingOut(
        id=x.pk, community_code=x.community_id, name=x.name, credit_code=x.credit_code, address=x.address, rooms=x.rooms
    )


@router.post("/houses", response=responses(HouseOut, 201), summary="Register a house")
@endpoint("place.register")
def house_create(request, payload: HouseIn):
    return Status(201, _house(services.house_register(actor=request.user, source="api", **payload.dict())))


@router.get("/houses", response=responses(list[HouseOut]), summary="Houses inside your jurisdiction")
@endpoint("place.view")
def houses(request, community_code: str = ""):
    return [_house(h) for h in house_list(user=request.user, community_code=community_code)]


@router.get("/houses/{house_id}", response=responses(HouseOut), summary="One house")
@endpoint("place.view")
def house_detail(request, house_id: int):
    house = place_get(user=request.user, model=House, pk=house_id)
    if house is None:
        raise NotFound()
    return _house(house)


@router.post("/employers", response=responses(EmployerOut, 201), summary="Register an employer")
@endpoint("place.register")
def employer_create(request, payload: EmployerIn):
    return Status(201, _employer(services.employer_register(actor=request.user, source="api", **payload.dict())))


@router.get("/employers", response=responses(list[EmployerOut]), summary="Employers inside your jurisdiction")
@endpoint("place.view")
def employers(request, community_code: str = "", q: str = ""):
    return [_employer(e) for e in employer_list(user=request.user, community_code=community_code, query=q)]


@router.get("/employers/{employer_id}", response=responses(EmployerOut), summary="One employer")
@endpoint("place.view")
def employer_detail(request, employer_id: int):
    employer = place_get(user=request.user, model=Employer, pk=employer_id)
    if employer is None:
        raise NotFound()
    return _employer(employer)


@router.post("/lodgings", response=responses(LodgingOut, 201), summary="Register a hotel or guest house")
@endpoint("place.register")
def lodging_create(request, payload: LodgingIn):
    return Status(201, _lodging(services.lodging_register(actor=request.user, source="api", **payload.dict())))


@router.get("/lodgings", response=responses(list[LodgingOut]), summary="Lodgings inside your jurisdiction")
@endpoint("place.view")
def lodgings(request, community_code: str = ""):
    return [_lodging(x) for x in lodging_list(user=request.user, community_code=community_code)]
