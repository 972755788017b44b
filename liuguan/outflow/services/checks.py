"""The rules an outflow record's fields follow, each broken rule named by its field (the services collect them)."""

from django.utils.translation import gettext_lazy as _

from liuguan.core.errors import Conflict, FieldProblem, InvalidInput
from liuguan.core.identity import DocumentError, china_today, validate_mobile
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.geo.models import Division, Level
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Person
from liuguan.registry.services.people import PersonInput, person_check

from .common import county_of, in_province

ORIGIN_LEVELS = (Level.COMMUNITY, Level.TOWNSHIP, Level.COUNTY)


def origin_check(code: str, actor, problems: list[FieldProblem], field: str = "origin_code") -> Division | None:
    """An origin is a village or community, a township or a county of this province, inside the jurisdiction."""
    code = (code or "").strip()
    area = jurisdiction(actor)
    origin = None
    if code and area and code.startswith(area) and in_province(code):
        origin = Division.objects.filter(code=code, level__in=ORIGIN_LEVELS).first()
    if origin is None:
        problems.append(
            FieldProblem(
                field,
                "outflow.origin_in_scope",
                _("Choose a village, township or county of this province inside your jurisdiction"),
            )
        )
    return origin


def destination_code_known(code: str) -> bool:
    from liuguan.core.identity import KNOWN_AREA_CODES

    if Division.objects.filter(code=code).exists():
        return True
    return len(code) in (2, 4, 6) and code.ljust(6, "0") in KNOWN_AREA_CODES


def destination_check(
    *, code: str, place: str, country: str, origin: Division | None, problems: list[FieldProblem]
) -> dict:
    """A destination in China is a division code (a local division, or a province, prefecture or county of the
    national list), or a described place; abroad it is a country and a place. Inside the origin county is not
    an outflow.
    """
    code = (code or "").strip()
    place = " ".join((place or "").split())[:200]
    country = (country or "CHN").strip().upper()
    if len(country) != 3 or not country.isalpha():
        problems.append(
            FieldProblem("destination_country", "iso3166.alpha3", _("The country is a three-letter ISO 3166 code"))
        )
    elif country != "CHN":
        if code:
            problems.append(
                FieldProblem(
                    "destination_code",
                    "outflow.abroad_no_division",
                    _("A destination abroad has no division code; describe the place"),
                )
            )
        if not place:
            problems.append(
                FieldProblem("destination_place", "outflow.abroad_place_required", _("Describe the place abroad"))
            )
    elif not code and not place:
        problems.append(
            FieldProblem(
                "destination_code",
                "outflow.destination_required",
                _("Give the destination's division code, or describe the place"),
            )
        )
    elif code:
        if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12) or not destination_code_known(code):
            problems.append(
                FieldProblem(
                    "destination_code",
                    "outflow.destination_code",
                    _("The destination is not a known division code (a province, prefecture or county anywhere)"),
                )
            )
        elif origin is not None and len(code) >= 6 and county_of(code) == county_of(origin.code):
            problems.append(
                FieldProblem(
                    "destination_code",
                    "outflow.destination_in_origin_county",
                    _("The destination lies inside the origin county: that is not an outflow"),
                )
            )
    return {"destination_code": code, "destination_place": place, "destination_country": country}


def phone_check(value: str, field: str, problems: list[FieldProblem]) -> str:
    if not (value or "").strip():
        return ""
    try:
        return validate_mobile(value, field=field)
    except DocumentError as exc:
        problems.append(FieldProblem(field, exc.rule, exc.message))
        return ""


def left_on_check(left_on, birth_date, problems: list[FieldProblem], field: str = "left_on") -> None:
    if left_on is None:
        problems.append(FieldProblem(field, "outflow.left_on_required", _("The date they left is required")))
    elif left_on > china_today():
        problems.append(FieldProblem(field, "outflow.left_on_future", _("The date they left is in the future")))
    elif birth_date and left_on < birth_date:
        problems.append(FieldProblem(field, "outflow.left_on_before_birth", _("The date they left is before birth")))


def person_resolve(*, actor, person_id, person: PersonInput | None, problems: list[FieldProblem]):
    """The person by id (visible to the actor), or checked values for a new one, or the one on the register
    with that document when the actor can see them.
    """
    if person_id:
        found = scoped(Person.objects.all(), actor).filter(pk=person_id).first()
        if found is None:
            problems.append(
                FieldProblem("person_id", "outflow.person_in_scope", _("Choose a person on the register you can see"))
            )
        return found, None
    if person is None:
        problems.append(FieldProblem("person_id", "outflow.person_required", _("Say who left")))
        return None, None
    try:
        checked = person_check(person)
    except InvalidInput as exc:
        problems.extend(exc.problems)
        return None, None
    values = checked.values
    existing = person_by_document(values["doc_type"], values["doc_number"])
    if existing is None:
        return None, values
    if scoped(Person.objects.filter(pk=existing.pk), actor).exists():
        return existing, None
    raise Conflict(
        _("A person with this document number is already registered"),
        field="doc_number",
        rule="person.one_per_document",
    )


def hukou_check(hukou_code: str, origin: Division | None, problems: list[FieldProblem]) -> None:
    if origin is not None and hukou_code and county_of(hukou_code) != county_of(origin.code):
        problems.append(
            FieldProblem(
                "origin_code",
                "outflow.origin_not_hukou_county",
                _(
                    "The person's hukou (%(hukou)s) is not in the origin county: choose an origin in the hukou "
                    "county, or correct the hukou on the register first"
                )
                % {"hukou": hukou_code},
            )
        )
