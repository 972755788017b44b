"""Reads for the home page and the audit log, always through the user's scope."""

from django.db.models import Count, Q

from .models import AuditEvent
from .scoping import scoped


def home_summary(*, user) -> dict:
    """What a user's jurisdiction holds now, counted inside their scope."""
    from liuguan.geo.models import Division
    from liuguan.registry.models import Person, Stay

    division = scoped(Division.objects.all(), user).filter(code=user.division_id).first()
    summary = {"division": division, "people": None, "open_stays": None}
    if user.can("person.view"):
        stays = scoped(Stay.objects.all(), user).aggregate(open=Count("id", filter=Q(departed_on__isnull=True)))
        summary["open_stays"] = stays["open"]
        summary["people"] = scoped(Person.objects.all(), user).count()
    return summary


def audit_event_list(*, user, object_type: str = "", object_id: str = "", action: str = "", limit: int = 100):
    """Newest audit events first, inside the user's jurisdiction."""
    qs = scoped(AuditEvent.objects.all(), user)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=object_id)
    if action:
        qs = qs.filter(action__startswith=action)
    return list(qs.order_by("-id")[:limit])
