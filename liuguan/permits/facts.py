"""A person's facts as the rights and settlement rules read them: permit, social insurance, housing.

Social-insurance months (the rule, in order):
1. Only the human-resources and social-security department's `social_insurance` records (exchange
   DepartmentFact) dated on or before the day count.
2. When the latest such record carries `details["months"]` (the department's own count of months paid, as
   of that record's date), that count is used: the department knows about gaps the register does not.
3. Otherwise the months run from the earliest enrolment (`occurred_on`) to the day, in whole months
   (a month is complete on the corresponding day, Civil Code Art. 201, as `policy.add_months` counts).

Housing: "owned" when a current stay is at an owned home; "filed_rental" when the person is a tenant of an
active, filed tenancy (compliance TenancyFiling) whose term covers the day; "rental" when a current stay is
at a rental house without such a filing; "" otherwise.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q

from liuguan.compliance.codes import TenancyStatus
from liuguan.compliance.models import TenancyTenant
from liuguan.exchange.models import DepartmentFact
from liuguan.registry.codes import HouseKind
from liuguan.registry.models import Person, Stay

from .models import Permit, PermitPolicy
from .policy import PermitState, add_months
from .rights import Facts
from .services.permits import state_of
from .services.policies import policy_for

# Permits that ended for good: a later row (replacement, upgrade) or nothing stands in for them.
ENDED = (Permit.Status.REVOKED, Permit.Status.REPLACED, Permit.Status.UPGRADED)


@dataclass(frozen=True)
class PersonFacts:
    """The facts, with the rows they came from, for pages that explain them."""

    facts: Facts
    permit: Permit | None
    state: PermitState | None
    policy: PermitPolicy | None


def whole_months(start: dt.date, end: dt.date) -> int:
    """Complete months from `start` to `end` (0 when `end` is before the first month completes)."""
    if end < start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def current_permit(person: Person) -> Permit | None:
    """The person's latest permit that was not revoked, replaced or upgraded (an expired one still counts as
    theirs: its state says it is expired).
    """
    return (
        Permit.objects.filter(person=person)
        .exclude(status__in=ENDED)
        .select_related("policy", "application")
        .order_by("-issued_on", "-id")
        .first()
    )


def social_insurance_months(person: Person, on: dt.date) -> int:
    """Months of social insurance as of `on` (see the module's rule)."""
    rows = list(
        DepartmentFact.objects.filter(
            person=person, kind=DepartmentFact.Kind.SOCIAL_INSURANCE, occurred_on__lte=on
        ).order_by("occurred_on", "id")
    )
    if not rows:
        return 0
    reported = rows[-1].details.get("months") if isinstance(rows[-1].details, dict) else None
    if isinstance(reported, int) and not isinstance(reported, bool) and reported >= 0:
        return reported
    return whole_months(rows[0].occurred_on, on)


def _current_stays(person: Person, on: dt.date):
    return Stay.objects.filter(person=person, arrived_on__lte=on).filter(
        Q(departed_on__isnull=True) | Q(departed_on__gt=on)
    )


def housing(person: Person, on: dt.date) -> str:
    """owned, filed_rental, rental or "" (see the module's rule)."""
    kinds = set(_current_stays(person, on).exclude(house=None).values_list("house__kind", flat=True))
    if HouseKind.OWNED in kinds:
        return "owned"
    filed = TenancyTenant.objects.filter(
        person=person,
        filing__status=TenancyStatus.ACTIVE,
        filing__starts_on__lte=on,
        filing__ends_on__gte=on,
    ).exists()
    if filed:
        return "filed_rental"
    if HouseKind.RENTAL in kinds:
        return "rental"
    return ""


def area_policy(person: Person, on: dt.date, permit: Permit | None = None) -> PermitPolicy | None:
    """The policy of the person's area: where their current stay is, else where their permit was issued."""
    stay = _current_stays(person, on).order_by("-arrived_on", "-id").first()
    code = stay.community_id if stay is not None else (permit.community_id if permit is not None else None)
    if code is None:
        return None
    return policy_for(code, on)


def person_facts_explained(person: Person, on: dt.date) -> PersonFacts:
    """The facts with the permit, its state and the area's policy they came from."""
    permit = current_permit(person)
    state = state_of(permit, on) if permit is not None else None
    facts = Facts(
        permit_kind=permit.kind if permit is not None else None,
        permit_status=state.status if state is not None else None,
        years_held=state.years_held if state is not None else 0,
        social_insurance_months=social_insurance_months(person, on),
        housing=housing(person, on),
    )
    return PersonFacts(facts=facts, permit=permit, state=state, policy=area_policy(person, on, permit))


def person_facts(person: Person, on: dt.date) -> Facts:
    """What the rights and settlement rules read about a person on a day."""
    return person_facts_explained(person, on).facts
