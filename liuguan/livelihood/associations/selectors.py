"""Reads of associations, always through the user's scope, and their figures per area."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Sum

from liuguan.core.errors import NotFound
from liuguan.core.identity import mask_name, mask_phone
from liuguan.core.scoping import get_scoped, jurisdiction, scoped
from liuguan.geo.models import Division

from .models import Activity, Association, AssociationKind, AssociationTask, Membership, TaskStatus, VolunteerService


def association_list(*, user, kind: str = "", code: str = "") -> list[Association]:
    qs = scoped(Association.objects.select_related("division", "origin"), user)
    if kind:
        qs = qs.filter(kind=kind)
    if code:
        qs = qs.filter(division__code__startswith=code)
    return list(qs.annotate(member_count=Count("memberships", distinct=True)).order_by("division_id", "kind", "name"))


def association_get(*, user, association_id: int) -> Association:
    return get_scoped(Association.objects.select_related("division", "origin"), user, pk=association_id)


def association_detail(*, association: Association) -> dict:
    """Leaders, members (masked), activities, tasks and volunteers' hours of one association."""
    members = list(association.memberships.select_related("person"))
    volunteers = list(association.volunteer_services.select_related("person"))
    return {
        "leaders": [
            {
                "name": mask_name(leader.display_name),
                "phone": mask_phone(leader.phone or (leader.person.phone if leader.person_id else "")),
                "title": leader.title,
                "person_id": leader.person_id,
            }
            for leader in association.leaders.select_related("person")
        ],
        "members": [
            {"person_id": m.person_id, "name": mask_name(m.person.name), "joined_on": m.joined_on} for m in members
        ],
        "activities": list(association.activities.all()),
        "tasks": list(association.tasks.all()),
        "volunteers": [
            {
                "name": mask_name(v.person.name if v.person_id else v.name),
                "date": v.date,
                "hours": v.hours,
                "what": v.what,
            }
            for v in volunteers
        ],
        "volunteer_hours": sum((v.hours for v in volunteers), Decimal("0")),
    }


def task_list(*, user, status: str = "") -> list[AssociationTask]:
    qs = scoped(AssociationTask.objects.select_related("association"), user)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("status", "due_on", "pk"))


def figures_by_area(*, user, code: str = "") -> dict:
    """Per division one level below `code` (default: the user's jurisdiction): active associations by kind,
    members, activities, tasks done and volunteer hours; associations placed at `code` itself on their own row.
    """
    own = jurisdiction(user)
    if not own:
        raise NotFound()
    code = code or own
    area = Division.objects.filter(pk=code).first()
    if area is None or not code.startswith(own):
        raise NotFound()
    children = list(Division.objects.filter(parent_id=code).order_by("code"))
    width = len(children[0].code) if children else 0
    empty = {
        **{k: 0 for k in AssociationKind.values},
        "members": 0,
        "activities": 0,
        "tasks_done": 0,
        "hours": Decimal("0"),
    }
    rows = defaultdict(lambda: dict(empty))
    inside = scoped(Association.objects.filter(active=True, division__code__startswith=code), user)

    def key(division_id: str) -> str:
        return code if division_id == code else division_id[:width]

    for division_id, kind, n in inside.values_list("division_id", "kind").annotate(n=Count("pk")):
        rows[key(division_id)][kind] += n
    ids = inside.values("pk")
    for division_id, n in (
        Membership.objects.filter(association__in=ids).values_list("association__division_id").annotate(n=Count("pk"))
    ):
        rows[key(division_id)]["members"] += n
    for division_id, n in (
        Activity.objects.filter(association__in=ids).values_list("association__division_id").annotate(n=Count("pk"))
    ):
        rows[key(division_id)]["activities"] += n
    for division_id, n in (
        AssociationTask.objects.filter(association__in=ids, status=TaskStatus.DONE)
        .values_list("association__division_id")
        .annotate(n=Count("pk"))
    ):
        rows[key(division_id)]["tasks_done"] += n
    for division_id, h in (
        VolunteerService.objects.filter(association__in=ids)
        .values_list("association__division_id")
        .annotate(h=Sum("hours"))
    ):
        rows[key(division_id)]["hours"] += h or Decimal("0")
    total = dict(empty)
    for values in rows.values():
        for field, value in values.items():
            total[field] += value

    def row(code_, name, values):
        return {"code": code_, "name": name, **values, "hours": float(values["hours"])}

    return {
        "area": {"code": area.code, "name": area.name},
        "at_area": row(area.code, area.name, rows.get(code, empty)),
        "rows": [row(c.code, c.name, rows.get(c.code, empty)) for c in children],
        "total": row(area.code, area.name, total),
    }
