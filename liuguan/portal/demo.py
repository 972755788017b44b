"""The portal's part of the demo: the hukou police officer's days at each service station, and one demo migrant
whose phone signs in to the portal (the code appears in VAR_DIR/sms.log with the demo's LogSender).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Count

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.geo.models import Office, OfficeKind

from .models import PoliceSitting, StayDeclaration

OFFICERS = ("王建国", "李卫东", "张志强", "刘海涛", "陈国平", "杨明", "赵立新", "黄永辉")
HOURS = ("9:00-11:30", "14:30-17:00")


@transaction.atomic
def police_sittings_load() -> int:
    """One morning or afternoon a week at each station without sittings yet, spread over the working week."""
    created = []
    stations = Office.objects.filter(kind=OfficeKind.STATION).exclude(police_sittings__isnull=False).order_by("pk")
    for office in stations.iterator():
        created.append(
            PoliceSitting(
                office=office,
                weekday=office.pk % 5,
                hours=HOURS[office.pk % 2],
                officer_name=OFFICERS[office.pk % len(OFFICERS)],
            )
        )
    PoliceSitting.objects.bulk_create(created, batch_size=1000)
    if created:
        audit_record(
            actor=SYSTEM,
            action="portal.police_sittings_load",
            object_type="portal.policesitting",
            changes={"created": len(created)},
            source="demo",
        )
    return len(created)


def demo_migrant():
    """A person with a phone no one else has, living in a community with a station; a parent when there is one."""
    from liuguan.registry.models import Person

    station_communities = Office.objects.filter(kind=OfficeKind.STATION).values("division_id")
    # Phones are encrypted at rest: equal phones share their blind index, which is what is grouped.
    unique_phones = (
        Person.objects.exclude(phone="").values("phone_index").annotate(n=Count("id")).filter(n=1).values("phone_index")
    )
    candidates = Person.objects.filter(
        phone_index__in=unique_phones,
        stays__departed_on__isnull=True,
        stays__community_id__in=station_communities,
    ).order_by("pk")
    try:
        from liuguan.livelihood.schooling.models import Guardianship

        parent = candidates.filter(pk__in=Guardianship.objects.values("guardian_id")).first()
        if parent is not None:
            return parent
    except ImportError:
        pass
    return candidates.first()


def sms_log_path() -> str:
    return str(settings.VAR_DIR / "sms.log")


def portal_demo_reset(persons: tuple[int, int] | None) -> dict[str, int]:
    """Before generated people are deleted: their declarations go, migrant accounts bound to them are unbound."""
    from liuguan.accounts.models import User
    from liuguan.accounts.roles import Role

    if not persons:
        return {}
    low, high = persons
    declarations, _ = StayDeclaration.objects.filter(person_id__gte=low, person_id__lte=high).delete()
    unbound = User.objects.filter(role=Role.MIGRANT, person_id__gte=low, person_id__lte=high).update(person=None)
    return {"stay_declarations": declarations, "migrant_accounts_unbound": unbound}
