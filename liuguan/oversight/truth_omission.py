"""The demo province's known truth about omissions, to put beside the capture-recapture estimates.

Only a generated demo has this (liuguan.demo.models); on a real province nothing here answers. The truth is
counted over the same domain as the estimate: real people living now (TruePerson.departed_on empty) in the
area's communities, at a rental house or with an employer. Hotel guests are not real residents and are never
TruePersons. A person is "on list 1" when one of their records (their own, or a duplicate registration the
demo made of them) holds an open stay registered through a registration channel, and "on list 2" when a
landlord's or employer's arrival report names an open stay of one of their records; so the truth counts
people, where the registry holds records.
"""

from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, IntegerField, Q, When
from django.db.models.functions import Substr

from liuguan.core.scoping import within
from liuguan.demo.models import Defect, DefectKind, DemoRun, TruePerson
from liuguan.registry.codes import HouseKind

from .selectors_omission import REGISTRATION_CHANNELS, domain_stays, reported_stays


@dataclass(frozen=True)
class OmissionTruth:
    """What the demo knows of one area: residents in the domain, and how many each list and both lists miss."""

    code: str
    residents: int
    on_list1: int
    on_list2: int
    on_either: int

    @property
    def missed(self) -> int:
        """Residents the collectors did not register (not on list 1)."""
        return self.residents - self.on_list1

    @property
    def missed_both(self) -> int:
        return self.residents - self.on_either

    @property
    def rate(self) -> float | None:
        return self.missed / self.residents if self.residents else None


def truth_available() -> bool:
    """The database holds a generated demo, whose truth tables say what really is."""
    return DemoRun.objects.exists()


def truth_by_prefix(*, area: str, length: int) -> dict[str, OmissionTruth]:
    """The demo's truth for each unit of code length `length` inside `area` (already checked to be in scope).

    One statement of hash joins: each true person's records (their own and their duplicates') joined to the
    open domain stays of those records in the person's community, flagged as registered through a registration
    channel or named by a duty report, then counted per unit.
    """
    stays = (
        domain_stays()
        .filter(within("community_id", area))
        .annotate(
            l1=Case(When(source_channel__in=REGISTRATION_CHANNELS, then=1), default=0, output_field=IntegerField()),
            l2=Case(When(pk__in=reported_stays(), then=1), default=0, output_field=IntegerField()),
        )
        .values("person_id", "community_id", "l1", "l2")
    )
    own = TruePerson.objects.filter(person_id__isnull=False).values("true_key", "person_id")
    twins = Defect.objects.filter(kind=DefectKind.DUPLICATE, person_id__isnull=False).values("true_key", "person_id")
    people = (
        TruePerson.objects.filter(within("community_id", area), departed_on__isnull=True)
        .filter(Q(house__kind=HouseKind.RENTAL) | Q(employer__isnull=False))
        .annotate(unit=Substr("community_id", 1, length))
        .values("true_key", "community_id", "unit")
    )
    parts = [q.query.sql_with_params() for q in (stays, own, twins, people)]
    (s_sql, s_par), (o_sql, o_par), (d_sql, d_par), (p_sql, p_par) = parts
    sql = (
        f"WITH s AS ({s_sql}), r AS ({o_sql} UNION ALL {d_sql}), t AS ({p_sql}), "  # noqa: S608 (Django's SQL)
        "f AS (SELECT r.true_key, s.community_id, MAX(s.l1) AS l1, MAX(s.l2) AS l2 "
        "FROM r JOIN s ON s.person_id = r.person_id GROUP BY r.true_key, s.community_id) "
        "SELECT t.unit, COUNT(*), SUM(COALESCE(f.l1, 0)), SUM(COALESCE(f.l2, 0)), "
        "SUM(CASE WHEN f.l1 = 1 OR f.l2 = 1 THEN 1 ELSE 0 END) "
        "FROM t LEFT JOIN f ON f.true_key = t.true_key AND f.community_id = t.community_id GROUP BY t.unit"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*s_par, *o_par, *d_par, *p_par))
        rows = cursor.fetchall()
    return {unit: OmissionTruth(unit, int(n), int(a), int(b), int(e)) for unit, n, a, b, e in rows}


def total(parts, code: str) -> OmissionTruth | None:
    """The truth of an area from its units' (they partition it); None when it has no resident in the domain."""
    parts = list(parts)
    if not parts:
        return None
    return OmissionTruth(
        code,
        sum(p.residents for p in parts),
        sum(p.on_list1 for p in parts),
        sum(p.on_list2 for p in parts),
        sum(p.on_either for p in parts),
    )
