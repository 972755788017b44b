"""Omission rate, estimated by capture-recapture (漏登率): who the collectors missed, per area, with an interval.

Two lists see the same residents, as of today:

- list 1, the registration: people with an open stay registered through a registration channel (collector,
  self-declared, batch import);
- list 2, the duty reports: people named by a landlord's or employer's arrival report whose stay is still open
  (whether the report corroborated a stay or registered it).

Both lists can only see residents within their reach, so the estimate covers that domain and nothing else:
people whose open stay is at a rental house or names an employer. Hotel guests (reason "travel") are never
residents, and people in their own home without an employer are outside both lists' reach; they are counted
for context, never estimated.

People are matched by who they are, not by record: two records with the same name (by pinyin, which a
homophone or a traditional character does not change) at the same house and employer of the same community
are one person, the platform's likely-duplicate rule restricted to one address. A person registered twice is
otherwise counted twice on both lists and inflates the estimate by about one for each.

All counts are grouped queries by community-code prefix; nothing loops over people in Python.
"""

import math
from dataclasses import dataclass, field, replace

from django.db.models import Case, CharField, F, IntegerField, Max, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Cast, Coalesce, Replace

from liuguan.compliance.codes import DutyChannel, ReportKind
from liuguan.compliance.models import DutyReport
from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.geo.models import Division
from liuguan.registry.codes import HouseKind, Reason, SourceChannel
from liuguan.registry.models import Stay

from . import areas
from .stats import Z95, Estimate, all_matched_upper, chapman, profile_interval

REGISTRATION_CHANNELS = (SourceChannel.COLLECTOR, SourceChannel.SELF, SourceChannel.IMPORT)
DUTY_CHANNELS = (DutyChannel.LANDLORD, DutyChannel.EMPLOYER)
LEVEL_LENGTH = {"province": 2, "city": 4, "county": 6, "street": 9, "community": 12}
AREA_LEVELS = ("city", "county", "street", "community")
LENGTH_LEVEL = {length: level for level, length in LEVEL_LENGTH.items()}
# The two parts of the domain, estimated apart when both have enough matches (post-stratification).
TENANTS, EMPLOYEES = "tenants", "employees"
STRATA = (TENANTS, EMPLOYEES)
# Matches a stratum needs before its own estimate is trusted (Robson and Regier 1964: m >= 7).
STRATUM_MIN_MATCHES = 7
# The design effect is measured over this many groups of houses, when the area has enough matches for it.
DEFF_GROUPS = 100
DEFF_MIN_GROUPS = 20
DEFF_MIN_MATCHES = 50
DEFF_MAX = 20.0


@dataclass(frozen=True)
class Counts:
    """The two lists of one area (or one stratum of it): n1 and n2 people, m on both."""

    n1: int = 0
    n2: int = 0
    m: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.n1 + other.n1, self.n2 + other.n2, self.m + other.m)

    @property
    def seen(self) -> int:
        return self.n1 + self.n2 - self.m


@dataclass(frozen=True)
class OmissionFigure:
    """The omission estimate of one area: the population of the domain, the number and share the collectors
    missed, and the number both lists missed, each an Estimate with its interval; the pooled and stratified
    estimates beside each other; the notes that say why to distrust them.
    """

    code: str
    n1: int
    n2: int
    m: int
    n_hat: Estimate
    missed: Estimate
    rate: Estimate
    missed_both: Estimate
    pooled: Estimate
    stratified: Estimate | None
    method: str
    strata: dict[str, Counts] = field(default_factory=dict)
    strata_estimates: dict[str, Estimate] = field(default_factory=dict)
    strata_rates: dict[str, Estimate] = field(default_factory=dict)
    outside: int = 0
    dispersion: float = 1.0
    notes: tuple[str, ...] = ()

    @property
    def seen(self) -> int:
        return self.n1 + self.n2 - self.m

    @property
    def candidates(self) -> int:
        """People on list 2 only: reported by a duty holder, held by no registration channel."""
        return self.n2 - self.m


# -- arithmetic ------------------------------------------------------------------------------------------------


def estimate_population(c: Counts, *, dispersion: float = 1.0, profile: bool = True, z: float = Z95) -> Estimate:
    """Chapman's estimate of one list pair, its variance multiplied by the design effect `dispersion`, and the
    profile-likelihood interval on the same scale (stats.profile_interval), which can reach down to the number
    seen; when one list holds the other, the hypergeometric bound on Kish's effective counts (n / deff).
    Without `profile`, Chao's log-normal interval on the scaled variance, which costs nothing to compute.
    """
    base = chapman(c.n1, c.n2, c.m, z)
    if base.value is None:
        return base
    phi = max(1.0, dispersion)
    se = base.se * math.sqrt(phi)
    if "list_inside_other" in base.notes:
        high = max(float(c.seen), phi * all_matched_upper(c.n1 / phi, c.n2 / phi, z))
        return Estimate(base.value, se, float(c.seen), high, base.notes)
    if c.m == 0 or not profile:
        unseen = base.value - c.seen
        k = math.exp(z * math.sqrt(math.log(1 + se * se / (unseen * unseen))))
        return Estimate(base.value, se, c.seen + unseen / k, c.seen + unseen * k, base.notes)
    low, high = profile_interval(c.n1, c.n2, c.m, dispersion=phi, z=z)
    return Estimate(base.value, se, min(low, base.value), max(high, base.value), base.notes)


def _sum_estimate(parts: list[Estimate], seen: int, z: float = Z95) -> Estimate:
    """Independent strata added: estimates and variances sum; Chao's log-normal interval on the unseen part."""
    n_hat = sum(p.value for p in parts)
    variance = sum(p.se * p.se for p in parts)
    unseen = n_hat - seen
    if unseen <= 0 or variance == 0:
        return Estimate(n_hat, math.sqrt(variance), float(seen), max(float(seen), sum(p.high for p in parts)))
    c = math.exp(z * math.sqrt(math.log(1 + variance / (unseen * unseen))))
    return Estimate(n_hat, math.sqrt(variance), seen + unseen / c, seen + unseen * c)


def _shifted(estimate: Estimate, by: float) -> Estimate:
    """N̂ - k with its interval moved by the same k (k people are known, not estimated)."""
    if estimate.value is None:
        return Estimate(None, notes=estimate.notes)
    return Estimate(estimate.value - by, estimate.se, estimate.low - by, estimate.high - by, estimate.notes)


def _rate(estimate: Estimate, n1: int) -> Estimate:
    """The share the collectors missed, 1 - n1/N̂: monotone in N̂, so the interval maps end to end."""
    if estimate.value is None or estimate.value <= 0:
        return Estimate(None, notes=estimate.notes)
    value = (estimate.value - n1) / estimate.value
    se = n1 * estimate.se / (estimate.value * estimate.value) if estimate.se is not None else None
    # (N - n1) / N, written as the truth is, so a limit at a whole number of people compares equal to it.
    low = (estimate.low - n1) / estimate.low if estimate.low else 0.0
    high = (estimate.high - n1) / estimate.high if estimate.high and math.isfinite(estimate.high) else 1.0
    return Estimate(max(0.0, value), se, max(0.0, low), max(0.0, high), estimate.notes)


def _coverage_differs(a: tuple[int, int], b: tuple[int, int], dispersion: float, z: float = Z95) -> bool:
    """Two shares k/n (one list's coverage of the other in two strata) differ beyond chance (z-test, deff)."""
    (ka, na), (kb, nb) = a, b
    if not na or not nb:
        return False
    pa, pb = ka / na, kb / nb
    variance = dispersion * (pa * (1 - pa) / na + pb * (1 - pb) / nb)
    return variance > 0 and abs(pa - pb) > z * math.sqrt(variance)


def omission_figure(
    code: str, strata: dict[str, Counts], *, outside: int = 0, dispersion: float = 1.0, detail: bool = True
):
    """The omission estimate from the list counts of each stratum (tenants, employees-not-tenants).

    Pooled: Chapman on both strata together. Stratified (post-stratification, Sekar and Deming 1949): Chapman in
    each stratum, summed with their variances, when every stratum has enough matches. Pooling is biased only when
    both lists cover tenants and employees differently (Seber 1982, 3.2.3); that is the heterogeneity check two
    lists allow, and when it finds both coverages different the stratified figure is the one used, with a note.
    Independence of the two lists themselves cannot be tested with two lists. Without `detail` the strata's own
    intervals are the quick log-normal ones (a league table of thousands of units shows only the pooled figure).
    """
    total = sum(strata.values(), Counts())
    pooled = estimate_population(total, dispersion=dispersion)
    notes = list(pooled.notes)
    live = {name: c for name, c in strata.items() if c.n1 or c.n2}
    per_stratum = {name: estimate_population(c, dispersion=dispersion, profile=detail) for name, c in live.items()}
    rates = {name: _rate(e, live[name].n1) for name, e in per_stratum.items()}
    stratified = None
    if len(live) > 1:
        usable = all(
            e.value is not None and live[name].m >= STRATUM_MIN_MATCHES and "lists_small" not in e.notes
            for name, e in per_stratum.items()
        )
        if usable:
            stratified = _sum_estimate(list(per_stratum.values()), total.seen)
            a, b = live.values()
            if _coverage_differs((a.m, a.n2), (b.m, b.n2), dispersion) and _coverage_differs(
                (a.m, a.n1), (b.m, b.n1), dispersion
            ):
                notes.append("strata_differ")
        else:
            notes.append("stratum_thin")
    use_strata = stratified is not None and "strata_differ" in notes
    chosen = stratified if use_strata else pooled
    notes = tuple(dict.fromkeys(notes))
    if chosen.value is None:
        nothing = Estimate(None, notes=notes)
        return OmissionFigure(
            code, total.n1, total.n2, total.m, nothing, nothing, nothing, nothing, pooled, stratified,
            "none", dict(strata), per_stratum, rates, outside, dispersion, notes,
        )  # fmt: skip
    n_hat = Estimate(chosen.value, chosen.se, chosen.low, chosen.high, notes)
    return OmissionFigure(
        code=code,
        n1=total.n1,
        n2=total.n2,
        m=total.m,
        n_hat=n_hat,
        missed=_shifted(n_hat, total.n1),
        rate=_rate(n_hat, total.n1),
        missed_both=_shifted(n_hat, total.seen),
        pooled=pooled,
        stratified=stratified,
        method="stratified" if use_strata else "pooled",
        strata=dict(strata),
        strata_estimates=per_stratum,
        strata_rates=rates,
        outside=outside,
        dispersion=dispersion,
        notes=notes,
    )


def design_effect(groups: list[Counts]) -> float | None:
    """How much catching people together (a household registered at once, a house reported by one landlord)
    inflates the variance over catching them one by one: Kish's design effect of each list's coverage of the
    other (m/n2 and m/n1), by a delete-a-group jackknife over groups of whole houses (Kott 2001), the larger of
    the two, never below 1; None when the groups hold too few matches to measure it.
    """
    used = [g for g in groups if g.n1 or g.n2]
    total = sum(used, Counts())
    if len(used) < DEFF_MIN_GROUPS or total.m < DEFF_MIN_MATCHES:
        return None
    found = 1.0
    for denominator in ("n2", "n1"):
        n = getattr(total, denominator)
        share = total.m / n
        if share in (0.0, 1.0):
            continue
        count = len(groups)
        replicates = [(total.m - g.m) / (n - getattr(g, denominator)) for g in groups if n - getattr(g, denominator)]
        mean = sum(replicates) / len(replicates)
        jackknife = (count - 1) / count * sum((r - mean) ** 2 for r in replicates)
        found = max(found, jackknife / (share * (1 - share) / n))
    return min(found, DEFF_MAX)


# -- the lists, counted in the database ------------------------------------------------------------------------


def domain_stays(qs=None):
    """Open stays within both lists' reach: at a rental house, or naming an employer; never a hotel guest."""
    qs = Stay.objects.all() if qs is None else qs
    return (
        qs.filter(departed_on__isnull=True)
        .exclude(reason=Reason.TRAVEL)
        .filter(Q(house__kind=HouseKind.RENTAL) | Q(employer__isnull=False))
    )


def reported_stays():
    """Stays a landlord's or employer's arrival report names (it corroborated them or registered them)."""
    return DutyReport.objects.filter(stay_id__isnull=False, channel__in=DUTY_CHANNELS, kind=ReportKind.ARRIVAL).values(
        "stay_id"
    )


def _who():
    """The person as matched across records: the name's pinyin without spaces (a homophone or a traditional
    character does not change it), or the record itself when it has none.
    """
    return Case(
        When(person__name_pinyin="", then=Cast("person_id", CharField())),
        default=Replace(F("person__name_pinyin"), Value(" "), Value("")),
        output_field=CharField(),
    )


def people_at_places(stays):
    """One row per person at a place (community, house, employer, name): whether they are a tenant, on list 1,
    on list 2. Grouped in the database; the area is cut from the community code by the query around it.
    """
    return (
        stays.annotate(
            who=_who(),
            house_key=Coalesce("house_id", Value(0)),
            employer_key=Coalesce("employer_id", Value(0)),
        )
        .values("community_id", "house_key", "employer_key", "who")
        .annotate(
            tenant=Max(Case(When(house__kind=HouseKind.RENTAL, then=1), default=0, output_field=IntegerField())),
            l1=Max(
                Case(When(source_channel__in=REGISTRATION_CHANNELS, then=1), default=0, output_field=IntegerField())
            ),
            l2=Max(Case(When(pk__in=reported_stays(), then=1), default=0, output_field=IntegerField())),
        )
        .order_by()
    )


# -- for a user ------------------------------------------------------------------------------------------------


def area_in_scope(user, code: str | None) -> str:
    """The code of the area a user asked for, inside their jurisdiction (see areas.area_in_scope)."""
    return areas.area_in_scope(user, code).code


def _level_length(level: str) -> int:
    if level not in LEVEL_LENGTH:
        raise InvalidInput([FieldProblem("level", "omission.level", "unknown level")])
    return LEVEL_LENGTH[level]


def _figures(*, user, area: str, length: int, refresh: bool = True) -> tuple[dict[str, OmissionFigure], OmissionFigure]:
    """Omission figures of every unit of code length `length` inside `area` with residents in the domain, and of
    the area as a whole (the units' counts added: they partition it), from the omission cells brought up to date.

    The design effect is measured over the whole area; an area too small to measure it borrows the user's
    jurisdiction's, and without that the figures are computed as if people were caught one by one, with a note.
    """
    from .cells import cells_refresh
    from .omission_cells import cells_counts

    if refresh:
        cells_refresh()
    counts, groups, outside = cells_counts(area, length)
    dispersion = design_effect(groups)
    own = jurisdiction(user)
    if dispersion is None and own != area:
        dispersion = design_effect(cells_counts(own, len(own))[1])

    def figure(code: str, strata: dict[str, Counts], beyond: int, detail: bool = False) -> OmissionFigure:
        found = omission_figure(code, strata, outside=beyond, dispersion=dispersion or 1.0, detail=detail)
        if dispersion is None and found.n_hat.value is not None:
            found = replace(found, notes=(*found.notes, "design_effect_unmeasured"))
        return found

    units = {
        code: figure(code, counts.get(code, {}), outside.get(code, 0)) for code in sorted(set(counts) | set(outside))
    }
    whole = {name: sum((c.get(name, Counts()) for c in counts.values()), Counts()) for name in STRATA}
    return units, figure(area, {k: v for k, v in whole.items() if v.n1 or v.n2}, sum(outside.values()), True)


def omission_by_unit(*, user, level: str, parent: str | None = None) -> dict[str, OmissionFigure]:
    """The omission figure of each unit of an area level (city, county, street, community) under `parent` (the
    user's jurisdiction when none), keyed by division code; units above the jurisdiction give nothing.
    """
    length = _level_length(level)
    area = area_in_scope(user, parent)
    if length < len(area):
        return {}
    return _figures(user=user, area=area, length=length)[0]


def omission_total(*, user, area: str | None = None) -> OmissionFigure:
    """The omission figure of one area as a whole (the user's jurisdiction when none)."""
    area = area_in_scope(user, area)
    return _figures(user=user, area=area, length=len(area))[1]


def omission_overview(*, user, level: str, parent: str | None = None, refresh: bool = True):
    """The area's own figure and its units' at `level`, from one statement: what the omissions page shows."""
    length = _level_length(level)
    area = area_in_scope(user, parent)
    return _figures(user=user, area=area, length=max(length, len(area)), refresh=refresh)[::-1]


# -- candidate omissions ---------------------------------------------------------------------------------------


@dataclass
class Candidate:
    """Someone a landlord or employer reported whom no registration channel holds: to be visited."""

    stay: Stay
    report: DutyReport | None

    @property
    def person(self):
        return self.stay.person

    @property
    def party(self) -> str:
        """Who reported: the landlord (person or organisation) of the house, or the employer."""
        report = self.report
        if report is None:
            return ""
        if report.house_id:
            house = report.house
            return house.landlord_label or (house.landlord_org.name if house.landlord_org_id else "")
        return report.employer.name if report.employer_id else ""


def _candidate_stays(*, user, area: str):
    """Domain stays in the area of the people on list 2 only, one stay per person as the estimate matches them
    (same name by pinyin, house, employer and community): the reported stay, picked in the grouped query.
    """
    stays = domain_stays(scoped(Stay.objects.filter(within("community_id", area)), user))
    picked = (
        people_at_places(stays)
        .annotate(pick=Max(Case(When(pk__in=reported_stays(), then=F("pk")), output_field=IntegerField())))
        .filter(l1=0, l2=1)
        .values("pick")
    )
    return Stay.objects.filter(pk__in=Subquery(picked))


def omission_candidates(*, user, area: str | None = None, limit: int = 100, offset: int = 0):
    """A page of candidate omissions in the area (the user's jurisdiction when none), newest report first, and
    how many there are in all: each with the person (masked on the page), the place and who reported them.
    """
    area = area_in_scope(user, area)
    latest = (
        DutyReport.objects.filter(stay_id=OuterRef("pk"), channel__in=DUTY_CHANNELS, kind=ReportKind.ARRIVAL)
        .order_by("-reported_at", "-id")
        .values("pk")[:1]
    )
    qs = _candidate_stays(user=user, area=area).annotate(report_id=Subquery(latest))
    total = qs.count()
    page = list(
        qs.select_related("person", "community", "house", "employer").order_by("-registered_at", "-id")[
            offset : offset + limit
        ]
    )
    reports = DutyReport.objects.select_related("house__landlord", "house__landlord_org", "employer").in_bulk(
        [s.report_id for s in page if s.report_id]
    )
    return [Candidate(stay=s, report=reports.get(s.report_id)) for s in page], total


@dataclass
class DepartmentCandidate:
    """Someone a department places in a community where they have no open stay at all."""

    person: object
    community: Division
    kind: str
    department: str
    occurred_on: object


def department_candidates(*, user, area: str | None = None, limit: int = 100, offset: int = 0):
    """A page of the people departments place in the area with no open stay there (exchange's facts without a
    stay), with the latest such record of each, and how many there are: not part of the estimate.
    """
    from liuguan.exchange.models import DepartmentFact
    from liuguan.exchange.selectors_police import facts_without_stay
    from liuguan.registry.models import Person

    area = area_in_scope(user, area)
    pairs = facts_without_stay(user=user, area_code=area)
    total = pairs.count()
    page = list(pairs[offset : offset + limit])
    people = Person.objects.in_bulk([p["person_id"] for p in page])
    places = Division.objects.in_bulk([p["community_id"] for p in page])
    latest: dict[tuple, DepartmentFact] = {}
    facts = scoped(DepartmentFact.objects.select_related("department"), user).filter(
        person_id__in=people, community_id__in=places
    )
    for fact in facts.order_by("occurred_on", "id"):
        latest[(fact.community_id, fact.person_id)] = fact
    rows = []
    for pair in page:
        fact = latest.get((pair["community_id"], pair["person_id"]))
        rows.append(
            DepartmentCandidate(
                person=people[pair["person_id"]],
                community=places[pair["community_id"]],
                kind=fact.get_kind_display() if fact else "",
                department=fact.department.name if fact else "",
                occurred_on=fact.occurred_on if fact else None,
            )
        )
    return rows, total
