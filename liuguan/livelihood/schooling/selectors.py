"""Reads of children's schooling: the portal's own-records selectors (a migrant's children and their
applications), and the officers' scoped lists. The figures live in figures.py.
"""

from django.db.models import Count, Q

from liuguan.core.errors import NotFound
from liuguan.core.scoping import scoped, within
from liuguan.registry.models import Person

from .models import Guardianship, School, SchoolApplication, SchoolPlaces, SchoolRecord, Status


def children_of(*, person) -> list[Person]:
    """The children a person is linked to as parent or guardian, youngest last."""
    if person is None:
        return []
    ids = Guardianship.objects.filter(guardian=person).values_list("child_id", flat=True)
    return list(Person.objects.filter(pk__in=list(ids)).order_by("birth_date", "pk"))


def is_guardian(*, guardian, child) -> bool:
    """True when `guardian` is linked to `child`: the one test of a migrant acting for a child."""
    if guardian is None or child is None:
        return False
    return Guardianship.objects.filter(guardian=guardian, child=child).exists()


def school_applications_for_person(*, person) -> list[SchoolApplication]:
    """Applications for the person's own children (whichever guardian applied), newest first."""
    if person is None:
        return []
    ids = list(Guardianship.objects.filter(guardian=person).values_list("child_id", flat=True))
    return list(
        SchoolApplication.objects.filter(child_id__in=ids)
        .select_related("child", "preferred_school", "placed_school")
        .order_by("-submitted_at", "-pk")
    )


def places_left(*, school, level: str, year: int) -> int:
    """Places the school offers at the level for the year, less the children already placed there."""
    offered = SchoolPlaces.objects.filter(school=school, level=level, year=year).values_list("places", flat=True)
    total = next(iter(offered), 0)
    placed = SchoolApplication.objects.filter(
        placed_school=school, level=level, school_year=year, status=Status.PLACED
    ).count()
    return max(total - placed, 0)


def schools_near(*, community_code: str, level: str, year: int | None = None) -> list[dict]:
    """Active schools teaching the level in the community's county, those serving the community first."""
    from liuguan.core.identity import china_today

    from .services import next_school_year

    year = year or next_school_year(china_today())
    county = (community_code or "")[:6]
    if len(county) != 6:
        return []
    schools = [
        s
        for s in School.objects.filter(within("community_id", county), active=True)
        .select_related("community")
        .order_by("kind", "name")
        if level in s.levels
    ]
    rows = [
        {
            "school": s,
            "id": s.pk,
            "name": s.name,
            "kind": s.kind,
            "kind_label": s.get_kind_display(),
            "community": s.community.name,
            "address": s.address,
            "in_catchment": s.serves(community_code),
            "places_left": places_left(school=s, level=level, year=year),
        }
        for s in schools
    ]
    rows.sort(key=lambda r: (not r["in_catchment"], r["kind"] != "public", r["name"]))
    return rows


# Officers ------------------------------------------------------------------------------------------------


def school_list(*, user, kind: str = "", level: str = "") -> list[School]:
    """Schools in the user's area, with the children enrolled now."""
    qs = scoped(School.objects.all(), user).select_related("community")
    if kind:
        qs = qs.filter(kind=kind)
    schools = list(
        qs.annotate(enrolled=Count("records", filter=Q(records__ended_on__isnull=True))).order_by("community", "name")
    )
    return [s for s in schools if not level or level in s.levels]


def school_get(*, user, school_id: int) -> School:
    found = scoped(School.objects.select_related("community"), user).filter(pk=school_id).first()
    if found is None:
        raise NotFound()
    return found


def school_places(*, school) -> list[dict]:
    rows = SchoolPlaces.objects.filter(school=school).order_by("-year", "level")
    return [
        {
            "level": r.level,
            "level_label": r.get_level_display(),
            "year": r.year,
            "places": r.places,
            "left": places_left(school=school, level=r.level, year=r.year),
        }
        for r in rows
    ]


def application_list(*, user, status: str = "", level: str = "", year: int | None = None):
    """Applications in the user's area, the open ones first, oldest first within them."""
    qs = scoped(SchoolApplication.objects.all(), user).select_related(
        "child", "guardian", "preferred_school", "placed_school", "community"
    )
    if status:
        qs = qs.filter(status=status)
    if level:
        qs = qs.filter(level=level)
    if year:
        qs = qs.filter(school_year=year)
    return list(qs.order_by("submitted_at", "pk")[:500])


def application_get(*, user, application_id: int) -> SchoolApplication:
    found = (
        scoped(SchoolApplication.objects.all(), user)
        .select_related("child", "guardian", "preferred_school", "placed_school", "community", "rules")
        .filter(pk=application_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def records_of(*, child) -> list[SchoolRecord]:
    return list(SchoolRecord.objects.filter(child=child).select_related("school").order_by("started_on", "pk"))
