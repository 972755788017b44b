"""Reads of housing and employment duties.

Officers read through `scoped()` like every other domain. Landlord, employer and hotel accounts have no
jurisdiction: they read only through the `own_*` selectors, which start from the house, employer or hotel the
account is bound to and never from an area.
"""

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q

from liuguan.accounts.roles import Role
from liuguan.core.errors import NotFound
from liuguan.core.scoping import scoped
from liuguan.registry.codes import HouseKind
from liuguan.registry.models import Employer, House, Lodging, Person, Stay

from .codes import DisagreementStatus, TenancyStatus
from .models import Disagreement, DutyReport, TenancyFiling, TenancyTenant


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def own_houses(user):
    """A landlord account's houses: those whose landlord is its person or whose landlord organisation is its
    organisation. Any other account owns no house.
    """
    if not _active(user) or user.role != Role.LANDLORD:
        return House.objects.none()
    q = Q()
    if user.person_id:
        q |= Q(landlord_id=user.person_id)
    if user.organisation_id:
        q |= Q(landlord_org_id=user.organisation_id)
    if not q:
        return House.objects.none()
    return House.objects.filter(q).select_related("community")


def own_employer(user) -> Employer | None:
    """The employer an employer account answers for, or None."""
    if not _active(user) or user.role != Role.EMPLOYER or not user.organisation_id:
        return None
    return Employer.objects.select_related("community").filter(pk=user.organisation_id).first()


def own_lodging(user) -> Lodging | None:
    """The hotel a hotel account answers for, or None."""
    if not _active(user) or user.role != Role.HOTEL or not user.lodging_id:
        return None
    return Lodging.objects.select_related("community").filter(pk=user.lodging_id).first()


def own_stays(user):
    """Stays at the account's own places, current and past: tenants, staff or guests."""
    if not _active(user):
        return Stay.objects.none()
    if user.role == Role.LANDLORD:
        return Stay.objects.filter(house__in=own_houses(user).values("pk"))
    if user.role == Role.EMPLOYER and user.organisation_id:
        return Stay.objects.filter(employer_id=user.organisation_id)
    if user.role == Role.HOTEL and user.lodging_id:
        return Stay.objects.filter(lodging_id=user.lodging_id)
    return Stay.objects.none()


def own_people(user):
    """People with a stay (current or past) at the account's own houses, employer or hotel."""
    return Person.objects.filter(Exists(own_stays(user).filter(person=OuterRef("pk"))))


def own_stay_list(user, *, open_only: bool = False, limit: int = 500) -> list[Stay]:
    """The account's tenants, staff or guests as stays, newest first, for its home page and the API."""
    qs = own_stays(user).select_related("person", "house", "employer", "lodging", "community")
    if open_only:
        qs = qs.filter(departed_on__isnull=True)
    return list(qs.order_by("departed_on", "-arrived_on", "-id")[:limit])


def own_reports(user, *, limit: int = 200) -> list[DutyReport]:
    """Reports about the account's own places (whoever of the account's staff made them)."""
    if not _active(user):
        return []
    if user.role == Role.LANDLORD:
        qs = DutyReport.objects.filter(house__in=own_houses(user).values("pk"))
    elif user.role == Role.EMPLOYER and user.organisation_id:
        qs = DutyReport.objects.filter(employer_id=user.organisation_id)
    elif user.role == Role.HOTEL and user.lodging_id:
        qs = DutyReport.objects.filter(lodging_id=user.lodging_id)
    else:
        return []
    return list(qs.select_related("person", "house", "employer", "lodging").order_by("-reported_at", "-id")[:limit])


def own_house_get(user, house_id) -> House:
    """One of the landlord's own houses; anyone else's answers like a missing one."""
    house = own_houses(user).filter(pk=house_id).first()
    if house is None:
        raise NotFound()
    return house


# Officers.


# A filing's tenants with their people and stays, in the order they were named: one query for a whole list.
TENANTS = Prefetch("tenants", queryset=TenancyTenant.objects.select_related("person", "stay").order_by("pk"))


def filing_list(*, user, status: str = "", query: str = "", limit: int = 200) -> list[TenancyFiling]:
    qs = scoped(TenancyFiling.objects.all(), user).select_related("house", "community").prefetch_related(TENANTS)
    if status:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(number__icontains=query.strip()) | Q(house__address__icontains=query.strip()))
    return list(qs.annotate(tenant_count=Count("tenants")).order_by("-filed_at", "-id")[:limit])


def filing_get(*, user, filing_id) -> TenancyFiling:
    """A filing inside the officer's jurisdiction, or a landlord's filing for an own house; else NotFound."""
    if getattr(user, "is_duty_holder", False):
        qs = TenancyFiling.objects.filter(house__in=own_houses(user).values("pk"))
    else:
        qs = scoped(TenancyFiling.objects.all(), user)
    filing = qs.select_related("house", "community", "filed_by").prefetch_related(TENANTS).filter(pk=filing_id).first()
    if filing is None:
        raise NotFound()
    return filing


def filing_tenants(filing: TenancyFiling) -> list:
    """The tenants of a filing from `filing_list` or `filing_get` (prefetched there)."""
    return list(filing.tenants.all())


def own_filings(user) -> list[TenancyFiling]:
    return list(
        TenancyFiling.objects.filter(house__in=own_houses(user).values("pk"))
        .select_related("house")
        .order_by("-filed_at")[:100]
    )


def houses_for_follow_up(*, user, limit: int = 200) -> dict:
    """Rental houses in scope where people live (open stays) but no tenancy is filed: the station follows up.

    Returns the houses, each with `open_stays`, and the totals.
    """
    active = TenancyFiling.objects.filter(house=OuterRef("pk"), status=TenancyStatus.ACTIVE)
    qs = (
        scoped(House.objects.all(), user)
        .filter(Q(kind=HouseKind.RENTAL) | Q(is_rented=True))
        .filter(~Exists(active))
        .annotate(open_stays=Count("stay", filter=Q(stay__departed_on__isnull=True)))
        .filter(open_stays__gt=0)
        .select_related("community", "landlord", "landlord_org")
    )
    houses = list(qs.order_by("-open_stays", "pk")[:limit])
    totals = qs.aggregate(houses=Count("pk", distinct=True))
    return {"houses": houses, "house_count": totals["houses"], "people": sum(h.open_stays for h in houses)}


def disagreement_list(*, user, status: str = DisagreementStatus.OPEN, limit: int = 200) -> list[Disagreement]:
    qs = scoped(Disagreement.objects.all(), user).select_related(
        "stay", "stay__person", "stay__house", "stay__employer", "stay__lodging", "report", "report__reporter"
    )
    if status:
        qs = qs.filter(status=status)
    items = list(qs.order_by("-created_at", "-id")[:limit])
    _label_values(items)
    return items


PLACE_MODELS = {"house": House, "employer": Employer, "lodging": Lodging}


def _label_values(items: list[Disagreement]) -> None:
    """Each disagreement's two values as people read them: a place's name or address instead of its id."""
    wanted: dict[str, set] = {}
    for d in items:
        if d.field in PLACE_MODELS:
            wanted.setdefault(d.field, set()).update(v for v in (d.registered_value, d.reported_value) if v)
    names = {
        (name, obj.pk): str(obj)
        for name, ids in wanted.items()
        for obj in PLACE_MODELS[name].objects.filter(pk__in=ids)
    }
    for d in items:
        if d.field in PLACE_MODELS:
            d.registered_label = names.get((d.field, d.registered_value), "—") if d.registered_value else "—"
            d.reported_label = names.get((d.field, d.reported_value), "—") if d.reported_value else "—"
        else:
            d.registered_label = d.registered_value or "—"
            d.reported_label = d.reported_value or "—"


def report_list(*, user, late_only: bool = False, channel: str = "", limit: int = 200) -> list[DutyReport]:
    qs = scoped(DutyReport.objects.all(), user).select_related("person", "house", "employer", "lodging", "reporter")
    if late_only:
        qs = qs.filter(late=True)
    if channel:
        qs = qs.filter(channel=channel)
    return list(qs.order_by("-reported_at", "-id")[:limit])


def house_choices_for_filing(*, user, limit: int = 500) -> list[House]:
    """Houses a user may file a tenancy for: an officer's rental houses in scope, a landlord's own."""
    if getattr(user, "is_duty_holder", False):
        return list(own_houses(user).order_by("address")[:limit])
    qs = scoped(House.objects.all(), user).filter(Q(kind=HouseKind.RENTAL) | Q(is_rented=True))
    return list(qs.select_related("community").order_by("community_id", "address")[:limit])


def reverifications_due(*, user, where: Q, today, horizon_days: int = 7, limit: int = 200) -> list[Stay]:
    """Open stays whose person's tier asks for a visit by `today + horizon_days`, the most overdue first.

    Classified management stores no due date: a tier says how often a grid worker must re-verify the person
    (`reverify_days`), so a visit is due that many days after the stay was last verified in the field
    (`Stay.verified_on`), or after the arrival when it never was. Each stay gets `reverify_due`.
    """
    from .models import ClassificationRule

    horizon = today + dt.timedelta(days=horizon_days)
    # The intervals the rules give (a small table; tiers copy their rule's interval at each nightly recompute).
    intervals = sorted(set(ClassificationRule.objects.values_list("reverify_days", flat=True)))
    if not intervals:
        return []
    due = Q()
    for days in intervals:
        last = horizon - dt.timedelta(days=days)
        due |= Q(person__tier__reverify_days=days) & (
            Q(verified_on__lte=last) | Q(verified_on__isnull=True, arrived_on__lte=last)
        )
    stays = list(
        scoped(Stay.objects.filter(departed_on__isnull=True), user)
        .filter(where)
        .filter(due)
        .select_related("person__tier", "house", "grid")
        .order_by("verified_on", "arrived_on", "id")[: limit * 5]
    )
    for stay in stays:
        stay.reverify_due = (stay.verified_on or stay.arrived_on) + dt.timedelta(days=stay.person.tier.reverify_days)
    stays.sort(key=lambda s: (s.reverify_due, s.pk))
    return stays[:limit]
