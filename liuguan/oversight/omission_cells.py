"""The omission estimate's counts kept per community, refreshed with the timeliness cells.

Counting the two lists means grouping every open stay of an area by person and place; at a province of a
million stays that is seconds, too slow for a scorecard. The counts add up over communities, so they are
kept per community (and per part of the domain and group of houses) and refreshed for the areas that
audited writes touched, in the same transaction as the other cells (cells.py calls these functions).
"""

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr

from liuguan.core.scoping import within
from liuguan.registry.codes import HouseKind, Reason

from .models import OmissionCell
from .selectors_omission import DEFF_GROUPS, EMPLOYEES, STRATA, TENANTS, Counts, domain_stays, people_at_places

# The jackknife group of a person-at-a-place: their house, or their employer when they have none.
GROUP = "(CASE WHEN house_key > 0 THEN house_key ELSE employer_key END)"


def omission_cells_insert(stays: QuerySet) -> int:
    """Count the given stays into omission cells (the caller has deleted the cells of their areas)."""
    inner, params = people_at_places(domain_stays(stays)).query.sql_with_params()
    table = connection.ops.quote_name(OmissionCell._meta.db_table)
    sql = (
        f"WITH people AS ({inner}) "  # noqa: S608 (Django's own SQL, its parameters bound)
        f"INSERT INTO {table} (community, part, grp, n1, n2, m) "
        f"SELECT community_id, CASE WHEN tenant = 1 THEN '{TENANTS}' ELSE '{EMPLOYEES}' END, "
        f"{GROUP} %% %s, SUM(l1), SUM(l2), SUM(l1 * l2) FROM people GROUP BY community_id, tenant, {GROUP} %% %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*params, DEFF_GROUPS, DEFF_GROUPS))
        inserted = max(cursor.rowcount, 0)
    outside = (
        stays.filter(departed_on__isnull=True)
        .exclude(reason=Reason.TRAVEL)
        .exclude(Q(house__kind=HouseKind.RENTAL) | Q(employer__isnull=False))
        .values("community_id")
        .annotate(people=Count("person_id", distinct=True))
        .order_by()
    )
    rows = [
        OmissionCell(community=row["community_id"], part="outside", grp=0, n1=row["people"], n2=0, m=0)
        for row in outside
    ]
    OmissionCell.objects.bulk_create(rows, batch_size=2000)
    return inserted + len(rows)


def cells_counts(area: str, length: int) -> tuple[dict[str, dict[str, Counts]], list[Counts], dict[str, int]]:
    """{unit code: {stratum: Counts}}, the jackknife groups' Counts and {unit code: people outside} of the units
    of code length `length` inside `area`, summed from the cells.
    """
    cells = OmissionCell.objects.filter(within("community", area))
    counts: dict[str, dict[str, Counts]] = {}
    outside: dict[str, int] = {}
    by_unit = (
        cells.annotate(unit=Substr("community", 1, length))
        .values("unit", "part")
        .annotate(a=Sum("n1"), b=Sum("n2"), c=Sum("m"))
        .order_by()
    )
    for row in by_unit:
        if row["part"] == "outside":
            outside[row["unit"]] = row["a"]
        elif row["part"] in STRATA:
            counts.setdefault(row["unit"], {})[row["part"]] = Counts(row["a"], row["b"], row["c"])
    groups = [Counts() for _ in range(DEFF_GROUPS)]
    for row in cells.exclude(part="outside").values("grp").annotate(a=Sum("n1"), b=Sum("n2"), c=Sum("m")).order_by():
        groups[row["grp"]] = Counts(row["a"], row["b"], row["c"])
    return counts, groups, outside
