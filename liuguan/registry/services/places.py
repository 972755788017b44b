"""Places people live and work: houses, employers and lodgings, registered inside the actor's jurisdiction."""

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.identity import DocumentError, validate_credit_code
from liuguan.core.scoping import scoped
from liuguan.geo.models import Grid

from ..codes import HouseKind, Industry
from ..models import Employer, House, Lodging, Person
from .stays import ScopedCommunities


def _common(actor, *, community_code: str, address: str, problems: list, address_required: bool = True):
    if not actor.can("place.register"):
        raise PermissionDenied()
    community = ScopedCommunities(actor).get(community_code)
    if community is None:
        problems.append(
            FieldProblem("community_code", "place.community_in_scope", _("Choose a community inside your jurisdiction"))
        )
    address = " ".join((address or "").split())
    if address_required and not address:
        problems.append(FieldProblem("address", "place.address_required", _("Address is required")))
    return community, address[:200]


def _credit_code(raw: str, problems: list, *, required: bool) -> str | None:
    if not raw:
        if required:
            problems.append(
                FieldProblem("credit_code", "gb32100.required", _("The unified social credit code is required"))
            )
        return None
    try:
        return validate_credit_code(raw)
    except DocumentError as exc:
        problems.append(FieldProblem("credit_code", exc.rule, exc.message))
        return None


def _save_unique(obj, *, field: str, rule: str, message):
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        raise Conflict(message, field=field, rule=rule) from exc


@transaction.atomic
def house_register(
    *,
    actor,
    community_code: str,
    address: str,
    kind: str = HouseKind.RENTAL,
    is_rented: bool = False,
    owner_name: str = "",
    landlord_id: int | None = None,
    grid_code: str = "",
    source: str = "web",
) -> House:
    """A house sits in a community (and a grid of it); a rental house names its landlord or owner."""
    problems: list[FieldProblem] = []
    community, address = _common(actor, community_code=community_code, address=address, problems=problems)
    if kind not in HouseKind.values:
        problems.append(FieldProblem("kind", "house.kind", _("Unknown kind of house")))
    landlord = None
    if landlord_id:
        landlord = scoped(Person.objects.all(), actor).filter(pk=landlord_id).first()
        if landlord is None:
            problems.append(FieldProblem("landlord_id", "house.landlord_in_scope", _("Unknown landlord")))
    grid = None
    if grid_code:
        grid = Grid.objects.filter(code=grid_code, community_id=community_code).first()
        if grid is None:
            problems.append(
                FieldProblem("grid_code", "house.grid_in_community", _("That grid is not in this community"))
            )
    owner_name = " ".join((owner_name or "").split())[:100]
    if (is_rented or kind == HouseKind.RENTAL) and not (owner_name or landlord):
        problems.append(
            FieldProblem("owner_name", "house.landlord_required", _("A rented house needs its landlord or owner"))
        )
    if problems:
        raise InvalidInput(problems)
    house = House.objects.create(
        community=community,
        address=address,
        kind=kind,
        is_rented=is_rented or kind == HouseKind.RENTAL,
        owner_name=owner_name,
        landlord=landlord,
        grid=grid,
    )
    audit_record(
        actor=actor,
        action="house.register",
        obj=house,
        division_code=community.code,
        source=source,
        changes={
            "address": address,
            "kind": kind,
            "is_rented": house.is_rented,
            "owner_name": owner_name,
            "landlord": landlord_id,
            "grid": grid_code or None,
        },
    )
    return house


@transaction.atomic
def employer_register(
    *,
    actor,
    community_code: str,
    name: str,
    credit_code: str,
    industry: str,
    address: str = "",
    source: str = "web",
) -> Employer:
    """An employer is known by its unified social credit code (GB 32100), one record per code."""
    problems: list[FieldProblem] = []
    community, address = _common(
        actor, community_code=community_code, address=address, problems=problems, address_required=False
    )
    name = " ".join((name or "").split())[:150]
    if not name:
        problems.append(FieldProblem("name", "employer.name_required", _("Name is required")))
    code = _credit_code(credit_code, problems, required=True)
    if industry not in Industry.values:
        problems.append(FieldProblem("industry", "gbt4754.section", _("Choose an industry (GB/T 4754 section)")))
    if problems:
        raise InvalidInput(problems)
    employer = Employer(community=community, name=name, credit_code=code, industry=industry, address=address)
    _save_unique(
        employer,
        field="credit_code",
        rule="employer.one_per_code",
        message=_("An employer with this credit code is already registered"),
    )
    audit_record(
        actor=actor,
        action="employer.register",
        obj=employer,
        division_code=community.code,
        source=source,
        changes={"name": name, "credit_code": code, "industry": industry, "address": address},
    )
    return employer


@transaction.atomic
def lodging_register(
    *,
    actor,
    community_code: str,
    name: str,
    credit_code: str = "",
    address: str,
    rooms: int = 0,
    source: str = "web",
) -> Lodging:
    """A hotel or guest house that must report its guests; its credit code, when given, is unique."""
    problems: list[FieldProblem] = []
    community, address = _common(actor, community_code=community_code, address=address, problems=problems)
    name = " ".join((name or "").split())[:150]
    if not name:
        problems.append(FieldProblem("name", "lodging.name_required", _("Name is required")))
    code = _credit_code(credit_code, problems, required=False)
    if rooms is None or rooms < 0 or rooms > 100_000:
        problems.append(FieldProblem("rooms", "lodging.rooms", _("Rooms must be between 0 and 100000")))
    if problems:
        raise InvalidInput(problems)
    lodging = Lodging(community=community, name=name, credit_code=code, address=address, rooms=rooms)
    _save_unique(
        lodging,
        field="credit_code",
        rule="lodging.one_per_code",
        message=_("A lodging with this credit code is already registered"),
    )
    audit_record(
        actor=actor,
        action="lodging.register",
        obj=lodging,
        division_code=community.code,
        source=source,
        changes={"name": name, "credit_code": code, "address": address, "rooms": rooms},
    )
    return lodging
