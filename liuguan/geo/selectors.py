"""Division reads: the tree inside a user's scope, with counts computed in one grouped query per kind."""

from django.db.models import Count, Q
from django.db.models.functions import Substr

from liuguan.core.scoping import scoped, within

from .models import Division, Level

# The report (2013 data) counted these in Chengdu; the 2023 codes merged many townships since.
REPORT_CHENGDU = {"street_offices": 317, "community_stations": 3379, "collection_points": 21274}


def division_get(*, user, code: str) -> Division | None:
    """A division inside the user's scope (or on the path above it), or None."""
    return scoped(Division.objects.select_related("parent"), user).filter(code=code).first()


def division_root_for(*, user) -> Division | None:
    return division_get(user=user, code=user.division_id) if user.division_id else None


def division_path(division: Division) -> list[Division]:
    """The chain from the province down to this division."""
    codes = [division.code[:n] for n in (2, 4, 6, 9, 12) if n < len(division.code)]
    return list(Division.objects.filter(code__in=codes).order_by("code")) + [division]


def division_children(*, user, division: Division) -> list[dict]:
    """Children inside scope, each with its community count and open stays, from grouped queries."""
    from liuguan.registry.models import Stay

    children = list(scoped(division.children.all(), user).order_by("code"))
    if not children:
        return []
    width = len(children[0].code)
    communities = dict(
        Division.objects.filter(level=Level.COMMUNITY, code__startswith=division.code)
        .annotate(prefix=Substr("code", 1, width))
        .values("prefix")
        .annotate(n=Count("code"))
        .values_list("prefix", "n")
    )
    stays = dict(
        scoped(Stay.objects.filter(within("community_id", division.code), departed_on__isnull=True), user)
        .annotate(prefix=Substr("community_id", 1, width))
        .values("prefix")
        .annotate(n=Count("id"))
        .values_list("prefix", "n")
    )
    return [
        {
            "division": c,
            "communities": communities.get(c.code, 1 if c.level == Level.COMMUNITY else 0),
            "open_stays": stays.get(c.code, 0),
        }
        for c in children
    ]


def level_counts(*, code: str) -> dict[str, int]:
    """How many divisions of each level lie under a code."""
    rows = Division.objects.filter(code__startswith=code).values("level").annotate(n=Count("code"))
    return {r["level"]: r["n"] for r in rows}


def chengdu_comparison(*, code: str = "5101") -> dict | None:
    """Chengdu's 2023 statistical counts beside the report's street offices and community stations.

    Township codes 001-099 are streets (街道), 100-199 towns, 200-399 townships; village codes 001-199 are
    residents' committees (社区), 200-399 villagers' committees (村).
    """
    city = Division.objects.filter(code=code).first()
    if city is None:
        return None
    townships = Division.objects.filter(level=Level.TOWNSHIP, code__startswith=code)
    communities = Division.objects.filter(level=Level.COMMUNITY, code__startswith=code)
    t = townships.aggregate(
        all=Count("code"),
        streets=Count("code", filter=Q(code__regex=r"^\d{6}0\d\d$")),
        towns=Count("code", filter=Q(code__regex=r"^\d{6}1\d\d$")),
    )
    c = communities.aggregate(
        all=Count("code"),
        residents=Count("code", filter=Q(code__regex=r"^\d{9}(0\d\d|1\d\d)$")),
        villagers=Count("code", filter=Q(code__regex=r"^\d{9}[23]\d\d$")),
    )
    return {
        "city": city,
        "townships": t,
        "communities": c,
        "report": REPORT_CHENGDU,
        "townships_ratio": t["all"] / REPORT_CHENGDU["street_offices"],
        "communities_ratio": c["all"] / REPORT_CHENGDU["community_stations"],
    }
