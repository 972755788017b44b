"""What the cells count: one `Measure` per figure, written once and used twice.

A measure is a grouped count over a live table: which rows (`rows`), where each row lies (`community`, the
path to its 12-digit community code) and up to two keys (`k1`, `k2`, expressions giving short strings). The
rollup groups it by community and keys and stores the result as community cells (`rollup.py`); the direct
query (`counts_live`) groups the same rows inside an area by the keys alone. Tests and the benchmark compare
the two, so a cell can never mean something other than the live query it stands for.

Keys are strings: a month is 'yyyymm', a year 'yyyy', a code its digits, a choice its stored value, '' none.
Everything relative to today (an age, "overdue") is kept out of the keys where it can be (a birth year, not an
age) or is re-counted by the nightly rebuild.
"""

from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Cast, Coalesce, Concat, ExtractMonth, ExtractYear, Length, Substr
from django.db.models.lookups import StartsWith

from liuguan.core.scoping import within
from liuguan.registry.models import Stay

CHINA = ZoneInfo(settings.TIME_ZONE)


def yyyymm(field: str, *, china: bool = False):
    """A date field's month as 'yyyymm' (NULL when the date is); `china` reads a timestamp in China time."""
    tz = {"tzinfo": CHINA} if china else {}
    return Cast(ExtractYear(field, **tz) * 100 + ExtractMonth(field, **tz), CharField(max_length=6))


def yyyy(field: str, *, china: bool = False):
    tz = {"tzinfo": CHINA} if china else {}
    return Cast(ExtractYear(field, **tz), CharField(max_length=4))


def text(field: str):
    """A nullable text field as '' when empty."""
    return Coalesce(F(field), Value(""), output_field=CharField())


PARENT_LENGTH = {12: 9, 9: 6, 6: 4, 4: 2}


@dataclass(frozen=True)
class Measure:
    code: str  # at most 16 characters, stored in every cell
    rows: Callable[[], QuerySet]  # the live rows counted (filters such as "still here" applied)
    community: str  # path from those rows to the 12-digit community code (or a code of `level` digits or more)
    k1: object = None  # an expression giving the first key, or None
    k2: object = None
    count: object = None  # what one row adds (default: Count of primary keys)
    doc: str = ""
    # Where its rows are located: 12, a community (the rule); 6, a county (a place known only to the county, such
    # as where a remote medical treatment is filed): its cells start at that level and none exist below it.
    level: int = 12

    def _keyed(self, where: Q | None) -> QuerySet:
        qs = self.rows().order_by()
        if self.level < 12:
            qs = qs.annotate(cell_code_length=Length(self.community)).filter(cell_code_length__gte=self.level)
        if where is not None:
            qs = qs.filter(where)
        return qs.annotate(
            cell_k1=self.k1 if self.k1 is not None else Value("", output_field=CharField()),
            cell_k2=self.k2 if self.k2 is not None else Value("", output_field=CharField()),
        )

    def _n(self):
        return self.count if self.count is not None else Count("pk")

    def location(self, length: int | None = None):
        """The code of the area a row lies in, cut to `length` digits (default: the measure's level)."""
        length = length or self.level
        return F(self.community) if length == 12 else Substr(self.community, 1, length)

    def by_community(self, where: Q | None = None) -> QuerySet:
        """(area, level, parent, measure, k1, k2, n) per community (or per area of the measure's level): the rows
        the rollup inserts.
        """
        return (
            self._keyed(where)
            .annotate(
                cell_area=self.location(),
                cell_level=Value(self.level),
                cell_parent=Substr(self.community, 1, PARENT_LENGTH[self.level]),
                cell_measure=Value(self.code, output_field=CharField()),
            )
            .values("cell_area", "cell_level", "cell_parent", "cell_measure", "cell_k1", "cell_k2")
            .annotate(cell_n=self._n())
            .values_list("cell_area", "cell_level", "cell_parent", "cell_measure", "cell_k1", "cell_k2", "cell_n")
        )

    def in_area(self, code: str) -> Q:
        """Rows inside division `code`; none when the measure is located more coarsely than the division."""
        if self.level == 12:
            return within(self.community, code)
        if len(code) > self.level:
            return Q(pk__in=[])
        return Q(StartsWith(F(self.community), Value(code)))

    def in_areas(self, codes: list[str]) -> Q:
        """Rows inside any of the divisions (the refresh's prefixes); a coarse measure reads each code at its level."""
        if self.level == 12:
            from liuguan.oversight.cells import area_q

            return area_q(self.community, codes)
        q = Q(pk__in=[])
        for code in sorted({c[: self.level] for c in codes}):
            q |= Q(StartsWith(F(self.community), Value(code)))
        return q

    def live(self, code: str) -> dict[tuple[str, str], int]:
        """The direct query: counts by (k1, k2) over the live rows inside division `code`."""
        rows = (
            self._keyed(self.in_area(code))
            .values("cell_k1", "cell_k2")
            .annotate(cell_n=self._n())
            .values_list("cell_k1", "cell_k2", "cell_n")
        )
        return {(k1 or "", k2 or ""): n for k1, k2, n in rows if n}


def open_stays() -> QuerySet:
    return Stay.objects.filter(departed_on__isnull=True)


MEASURES: dict[str, Measure] = {}


def register(measure: Measure) -> Measure:
    if len(measure.code) > 16 or measure.code in MEASURES:
        raise ValueError(f"measure code {measure.code!r} is too long or taken")
    MEASURES[measure.code] = measure
    return measure


# --- Stock and flows -----------------------------------------------------------------------------------------
register(Measure("stock", open_stays, "community_id", doc="open stays (people living here now)"))
register(
    Measure("arrivals", Stay.objects.all, "community_id", k1=yyyymm("arrived_on"), doc="stays by month of arrival")
)
register(
    Measure(
        "departures",
        lambda: Stay.objects.filter(departed_on__isnull=False),
        "community_id",
        k1=yyyymm("departed_on"),
        doc="stays by month of departure",
    )
)
# --- Who they are ---------------------------------------------------------------------------------------------
register(
    Measure(
        "sex_birth",
        open_stays,
        "community_id",
        k1=F("person__sex"),
        k2=yyyy("person__birth_date"),
        doc="open stays by the person's sex and year of birth (ages are counted at reading time)",
    )
)
register(
    Measure(
        "origin",
        open_stays,
        "community_id",
        k1=Substr("person__hukou_code", 1, 4),
        k2=F("person__nationality"),
        doc="open stays by hukou prefecture (4 digits; '' unknown) and nationality",
    )
)
register(Measure("reason", open_stays, "community_id", k1=F("reason"), doc="open stays by reason for moving"))


# --- Work and housing -------------------------------------------------------------------------------------------
def _house_kind():
    """The kind of the house the stay is at; 'lodging' for a hotel stay; '' when neither is recorded."""
    return Case(
        When(house__isnull=False, then=F("house__kind")),
        When(lodging__isnull=False, then=Value("lodging")),
        default=Value(""),
        output_field=CharField(),
    )


register(
    Measure(
        "industry",
        open_stays,
        "community_id",
        k1=text("employer__industry"),
        doc="open stays by the employer's industry (GB/T 4754 section; '' no employer recorded)",
    )
)
register(Measure("housing", open_stays, "community_id", k1=_house_kind(), doc="open stays by the kind of house"))


def rental_houses() -> QuerySet:
    """Houses let to tenants: the rental kind, or any house marked as rented out (the follow-up list's rule)."""
    from liuguan.registry.codes import HouseKind
    from liuguan.registry.models import House

    return House.objects.filter(Q(kind=HouseKind.RENTAL) | Q(is_rented=True))


def _filed():
    from liuguan.compliance.codes import TenancyStatus
    from liuguan.compliance.models import TenancyFiling

    active = TenancyFiling.objects.filter(house=OuterRef("pk"), status=TenancyStatus.ACTIVE)
    return Case(When(Exists(active), then=Value("filed")), default=Value("unfiled"), output_field=CharField())


def _occupied():
    lived_in = Stay.objects.filter(house=OuterRef("pk"), departed_on__isnull=True)
    return Case(When(Exists(lived_in), then=Value("occupied")), default=Value("empty"), output_field=CharField())


register(
    Measure(
        "tenancy",
        rental_houses,
        "community_id",
        k1=_filed(),
        k2=_occupied(),
        doc="rental houses with an active tenancy filing or none ('filed'/'unfiled'), lived in now or empty",
    )
)


# --- Permits and the rights they open ---------------------------------------------------------------------------
def _permits():
    from liuguan.permits.models import Permit

    return Permit.objects.all()


register(
    Measure(
        "permits",
        _permits,
        "community_id",
        k1=Substr("kind", 1, 16),  # a kind may have up to 20 characters; a cell's key holds 16
        k2=F("status"),
        doc="permits by kind and status",
    )
)


def _school_applications():
    from liuguan.livelihood.schooling.models import SchoolApplication

    return SchoolApplication.objects.all()


def _subsidised_training():
    from liuguan.livelihood.welfare.models import TrainingEnrolment

    return TrainingEnrolment.objects.filter(training__subsidised=True)


def _remote_treatment():
    from liuguan.livelihood.welfare.models import RemoteTreatmentFiling

    return RemoteTreatmentFiling.objects.all()


def _job_seekers():
    from liuguan.livelihood.welfare.models import JobSeeker

    return JobSeeker.objects.all()


def _legal_aid():
    from liuguan.livelihood.legalaid.models import LegalAidRequest

    return LegalAidRequest.objects.all()


# A right used is a record of the service it opens, counted where the service is given, by status and year.
register(
    Measure(
        "right_school",
        _school_applications,
        "community_id",
        k1=F("status"),
        k2=Cast("school_year", CharField(max_length=4)),
        doc="school-place applications (compulsory education) by status and school year",
    )
)
register(
    Measure(
        "right_training",
        _subsidised_training,
        "community_id",
        k1=F("status"),
        k2=yyyy("enrolled_on"),
        doc="enrolments on subsidised training courses (where the course is held) by status and year",
    )
)
register(
    Measure(
        "right_treatment",
        _remote_treatment,
        "treatment_place_id",
        k1=F("status"),
        k2=yyyy("filed_on"),
        doc="remote medical treatment filings by status and year filed, in the county of treatment",
        level=6,
    )
)
register(
    Measure(
        "right_jobs",
        _job_seekers,
        "community_id",
        k1=F("status"),
        k2=yyyy("registered_on"),
        doc="job-seeker registrations (public employment services) by status and year",
    )
)
register(
    Measure(
        "right_legal_aid",
        _legal_aid,
        "community_id",
        k1=F("status"),
        k2=yyyy("created_at", china=True),
        doc="legal aid requests by status and year opened",
    )
)


# --- Children at school -----------------------------------------------------------------------------------------
def _open_school_records():
    from liuguan.livelihood.schooling.models import SchoolRecord

    return SchoolRecord.objects.filter(ended_on__isnull=True)


register(
    Measure(
        "schools",
        _open_school_records,
        "school__community_id",
        k1=F("school__kind"),
        k2=F("level"),
        doc="open school records (children at school now) by the school's kind and the level, where the school is",
    )
)


# --- Data quality (the oversight scorecard's definitions) -------------------------------------------------------
register(
    Measure(
        "registered",
        Stay.objects.all,
        "community_id",
        k1=yyyymm("registered_at", china=True),
        k2=Case(When(late=True, then=Value("late")), default=Value("on_time"), output_field=CharField()),
        doc="stays by China-time month of registration, registered on time or late",
    )
)


def _last_confirmed():
    """The month an open stay was last confirmed in the field, or registered when it never was (as the scorecard)."""
    year = Coalesce(ExtractYear("verified_on"), ExtractYear("registered_at", tzinfo=CHINA))
    month = Coalesce(ExtractMonth("verified_on"), ExtractMonth("registered_at", tzinfo=CHINA))
    return Cast(year * 100 + month, CharField(max_length=6))


register(
    Measure(
        "confirmed",
        open_stays,
        "community_id",
        k1=_last_confirmed(),
        doc="open stays by the month last confirmed (or registered): staleness is counted at reading time",
    )
)


def _spot_checks_done():
    from liuguan.oversight.models import SpotCheck

    return SpotCheck.objects.filter(status__in=(SpotCheck.Status.DONE, SpotCheck.Status.UNREACHABLE))


def _spot_outcome():
    """'w' a field was corrected, 'r' all confirmed, 'u' unreachable; then the stratum 'round.collector'."""
    outcome = Case(
        When(status="unreachable", then=Value("u")),
        When(fields_corrected__gt=0, then=Value("w")),
        default=Value("r"),
        output_field=CharField(),
    )
    collector = Coalesce(Cast("collector_id", CharField(max_length=12)), Value(""), output_field=CharField())
    return Concat(outcome, Cast("round_id", CharField(max_length=12)), Value("."), collector, output_field=CharField())


def _spot_strata():
    from liuguan.oversight.models import SpotCheckStratum

    return SpotCheckStratum.objects.all()


register(
    Measure(
        "spot_checks",
        _spot_checks_done,
        "community_id",
        k1=yyyymm("done_at", china=True),
        k2=_spot_outcome(),
        doc="spot checks done by China-time month and outcome+stratum ('w12.7': wrong, round 12, collector 7)",
    )
)
register(
    Measure(
        "spot_strata",
        _spot_strata,
        "community",
        k1=Cast("round_id", CharField(max_length=12)),
        k2=Coalesce(Cast("collector_id", CharField(max_length=12)), Value(""), output_field=CharField()),
        count=Sum("records"),
        doc="records each collector registered in a spot-check round's period (the strata's sizes)",
    )
)


# --- Grid events ------------------------------------------------------------------------------------------------
def _grid_events():
    from liuguan.grid.models import GridEvent

    return GridEvent.objects.all()


def _grid_timeliness():
    """Closed on time or late; open, or open with a stage the daily supervision has marked overdue."""
    from liuguan.grid.models import CLOSED_STATES

    late = Q(accept_overdue=True) | Q(dispose_overdue=True)
    closed = Q(state__in=CLOSED_STATES)
    return Case(
        When(closed & late, then=Value("closed_late")),
        When(closed, then=Value("closed_on_time")),
        When(late, then=Value("open_overdue")),
        default=Value("open"),
        output_field=CharField(),
    )


register(
    Measure(
        "grid_events",
        _grid_events,
        "community_id",
        k1=yyyymm("created_at", china=True),
        k2=_grid_timeliness(),
        doc="grid events by China-time month reported and timeliness (closed on time/late, open, open overdue)",
    )
)
