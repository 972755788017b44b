"""Reads for police cooperation and department facts: bulletins and their hits for the issuing unit's police,
offence notices for the sender and the hukou area's police, facts on the person page, and people a department
places in an area without an open stay there (the input to omission estimates).
"""

from django.db.models import Exists, OuterRef, QuerySet

from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.registry.models import Stay

from .models import Bulletin, BulletinHit, DepartmentFact, OffenceNotice


def bulletin_list(*, user, status: str = "") -> QuerySet:
    """Bulletins issued by units inside the user's jurisdiction, newest first."""
    if not user.can("bulletin.view"):
        return Bulletin.objects.none()
    qs = scoped(Bulletin.objects.all(), user).order_by("-created_at", "-id")
    return qs.filter(status=status) if status else qs


def bulletin_get(*, user, bulletin_id: int) -> Bulletin | None:
    return bulletin_list(user=user).filter(pk=bulletin_id).first()


def bulletin_hits(*, user, status: str = "", bulletin_id: int | None = None) -> QuerySet:
    """Hits of the bulletins the user's units issued: only the issuing unit's police see them, wherever the
    person was found.
    """
    if not user.can("bulletin.view"):
        return BulletinHit.objects.none()
    qs = BulletinHit.objects.filter(bulletin__in=scoped(Bulletin.objects.all(), user))
    if status:
        qs = qs.filter(status=status)
    if bulletin_id is not None:
        qs = qs.filter(bulletin_id=bulletin_id)
    return qs.select_related("bulletin", "person", "stay", "community__parent__parent").order_by("-found_at", "-id")


def new_hits_count(*, user) -> int:
    """How many hits wait for the user's units to work them (shown in the navigation)."""
    if not getattr(user, "is_authenticated", False) or not user.can("bulletin.view"):
        return 0
    return bulletin_hits(user=user, status=BulletinHit.Status.NEW).count()


def offence_inbox(*, user) -> QuerySet:
    """Notices about people whose hukou lies inside the user's jurisdiction."""
    code = jurisdiction(user)
    if code is None or not user.can("offence.notify"):
        return OffenceNotice.objects.none()
    return (
        OffenceNotice.objects.filter(hukou_area__code__startswith=code)
        .select_related("person", "issuing_unit", "hukou_area")
        .order_by("-sent_at", "-id")
    )


def offence_sent(*, user) -> QuerySet:
    """Notices units inside the user's jurisdiction sent, with their status."""
    code = jurisdiction(user)
    if code is None or not user.can("offence.notify"):
        return OffenceNotice.objects.none()
    return (
        OffenceNotice.objects.filter(issuing_unit__code__startswith=code)
        .select_related("person", "issuing_unit", "hukou_area")
        .order_by("-sent_at", "-id")
    )


def person_facts(*, user, person) -> list[dict]:
    """Departments' records about a person the user may already see; the department's address and details only
    when the fact's community lies inside the user's jurisdiction, like a stay's address.
    """
    code = jurisdiction(user)
    if code is None:
        return []
    rows = []
    facts = DepartmentFact.objects.filter(person=person).select_related("department", "community")
    for fact in facts.order_by("-occurred_on", "-id"):
        in_scope = bool(fact.community_id and fact.community_id.startswith(code))
        details = fact.details or {}
        rows.append(
            {
                "fact": fact,
                "in_scope": in_scope,
                "register_differs": details.get("register_differs", []),
                "details": {k: v for k, v in details.items() if k != "register_differs"} if in_scope else {},
            }
        )
    return rows


def facts_without_stay(*, user, area_code: str = "", kind: str = "") -> QuerySet:
    """People a department places in a community (inside the user's jurisdiction, or `area_code` in it) who
    have no open stay in that community: one row per (community, person), with the latest fact's date.
    """
    qs = scoped(DepartmentFact.objects.filter(community__isnull=False), user)
    if area_code:
        qs = qs.filter(within("community_id", area_code))
    if kind:
        qs = qs.filter(kind=kind)
    open_here = Stay.objects.filter(
        person_id=OuterRef("person_id"), community_id=OuterRef("community_id"), departed_on__isnull=True
    )
    return (
        qs.filter(~Exists(open_here))
        .values("community_id", "person_id")
        .distinct()
        .order_by("community_id", "person_id")
    )
