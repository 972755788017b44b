"""Reads of the migrant portal. Every selector takes the migrant's own person (or account): a migrant has no
jurisdiction, so the portal reaches only rows tied to them and their children, never by an id alone.
"""

import datetime as dt
import importlib
from dataclasses import dataclass, field

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from liuguan.core.scoping import scoped
from liuguan.geo.models import Division, Level, Office, OfficeKind

from .models import PoliceSitting, PortalNotification, StayDeclaration


def _optional(module: str):
    """A livelihood module of another app, or None while it does not exist yet."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


# -- the migrant's own records -------------------------------------------------------------------------------


def open_stays(*, person) -> list:
    """The person's stays that have not ended, newest first."""
    from liuguan.registry.models import Stay

    if person is None:
        return []
    return list(
        Stay.objects.filter(person=person, departed_on__isnull=True)
        .select_related("community", "house")
        .order_by("-arrived_on", "-id")
    )


def current_community_code(*, person, account=None) -> str:
    stays = open_stays(person=person)
    if stays:
        return stays[0].community_id
    if account is not None:
        declared = StayDeclaration.objects.filter(account=account).order_by("-created_at").first()
        if declared is not None:
            return declared.community_id
    return ""


def own_permits(*, person) -> list:
    from liuguan.permits.models import Permit

    if person is None:
        return []
    return list(Permit.objects.filter(person=person).order_by("-issued_on", "-id"))


def own_applications(*, person) -> list:
    from liuguan.permits.models import Application

    if person is None:
        return []
    return list(
        Application.objects.filter(person=person).select_related("stay__community", "policy").order_by("-received_at")
    )


def permit_kind_labels() -> dict[str, str]:
    from liuguan.permits.selectors import kind_labels

    return kind_labels()


def permit_choices(*, person) -> dict:
    """What the application form offers: the person's open stays and the kinds, conditions and materials of the
    policy of each stay's area.
    """
    from liuguan.permits.policy import policy_from
    from liuguan.permits.services.common import current_day
    from liuguan.permits.services.policies import Condition, choose_policy, policies_in_force

    condition_labels = dict(Condition.choices)
    in_force = policies_in_force(current_day())
    stays = []
    for stay in open_stays(person=person):
        row = choose_policy(in_force, stay.community_id)
        if row is None:
            continue
        policy = policy_from(row)
        stays.append(
            {
                "stay": stay,
                "kinds": [(k.code, k.label) for k in policy.kinds],
                "conditions": [(c, str(condition_labels.get(c, c))) for c in policy.conditions],
                "materials": list(policy.materials),
            }
        )
    return {"stays": stays}


def own_rights(*, person, on: dt.date | None = None):
    """The person's rights under their area's profile, granted or not and why not (the permits' own explanation)."""
    from liuguan.permits.facts import person_facts_explained
    from liuguan.permits.rights import rights_for, rights_load
    from liuguan.permits.selectors_rights import RightLine, RightsView
    from liuguan.permits.services.common import current_day

    if person is None:
        return None
    on = on or current_day()
    explained = person_facts_explained(person, on)
    profile = explained.policy.rights_profile if explained.policy is not None else "national"
    version, _rights = rights_load(profile)
    lines = [RightLine.of(v) for v in rights_for(explained.facts, profile)]
    return RightsView(person, on, profile, version, explained, lines)


def own_declarations(*, account) -> list[StayDeclaration]:
    return list(StayDeclaration.objects.filter(account=account).select_related("community").order_by("-created_at"))


def own_grid_reports(*, account) -> list:
    from liuguan.grid.models import GridEvent

    return list(GridEvent.objects.filter(reporter=account).select_related("category").order_by("-id"))


def children(*, person) -> list:
    schooling = _optional("liuguan.livelihood.schooling.selectors")
    if person is None or schooling is None:
        return []
    return list(schooling.children_of(person=person))


def own_school_applications(*, person) -> list:
    schooling = _optional("liuguan.livelihood.schooling.selectors")
    if person is None or schooling is None:
        return []
    return list(schooling.school_applications_for_person(person=person))


def own_legal_aid_requests(*, person) -> list:
    legalaid = _optional("liuguan.livelihood.legalaid.selectors")
    if person is None or legalaid is None:
        return []
    return list(legalaid.legal_aid_requests_for_person(person=person))


def notifications(*, person, limit: int = 50) -> list[PortalNotification]:
    if person is None:
        return []
    return list(PortalNotification.objects.filter(person=person)[:limit])


def grid_messages(*, account, limit: int = 20) -> list:
    """What the grid told the migrant about their reports (one message per change of state)."""
    from liuguan.grid.models import Notification

    return list(Notification.objects.filter(user=account).order_by("-id")[:limit])


def unread_count(*, person) -> int:
    if person is None:
        return 0
    return PortalNotification.objects.filter(person=person, read_at__isnull=True).count()


@dataclass
class RequestLine:
    """One thing the migrant asked for, with its status as the office sees it now."""

    kind: str
    label: str
    number: str
    status: str
    status_code: str
    updated_at: dt.datetime | None
    note: str = ""
    link: str = ""
    extra: dict = field(default_factory=dict)


def _when(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=dt.UTC)
    return None


def my_requests(*, account) -> list[RequestLine]:
    """Everything the migrant asked, newest change first: declarations, permit applications, school places, legal
    aid and grid reports.
    """
    person = account.person
    lines: list[RequestLine] = []
    for d in own_declarations(account=account):
        lines.append(
            RequestLine(
                "declaration",
                _("Stay declaration"),
                f"D{d.pk}",
                d.get_status_display(),
                d.status,
                d.updated_at,
                note=d.reject_reason or f"{d.community.name} {d.address}",
            )
        )
    from liuguan.permits.selectors import notice_lines

    labels = permit_kind_labels() if person is not None else {}
    for a in own_applications(person=person):
        note = labels.get(a.permit_kind, a.permit_kind)
        if a.status == a.Status.INCOMPLETE and a.notice_missing:
            missing = "、".join(line["label"] for line in notice_lines(a))
            note += " · " + _("bring to the station: %(items)s") % {"items": missing}
        if a.reasons:
            note += " · " + a.reasons
        lines.append(
            RequestLine(
                "permit",
                _("Residence permit application"),
                a.number,
                a.get_status_display(),
                a.status,
                a.decided_at or a.received_at,
                note=note,
            )
        )
    for s in own_school_applications(person=person):
        lines.append(
            RequestLine(
                "school",
                _("School place"),
                str(getattr(s, "number", "") or f"S{s.pk}"),
                s.get_status_display(),
                s.status,
                _when(getattr(s, "updated_at", None)),
                note=str(getattr(s, "child", "") and getattr(s.child, "name", "")),
            )
        )
    for r in own_legal_aid_requests(person=person):
        lines.append(
            RequestLine(
                "legal_aid",
                _("Legal aid"),
                str(getattr(r, "number", "") or f"L{r.pk}"),
                r.get_status_display(),
                r.status,
                _when(getattr(r, "updated_at", None)),
                note=r.get_kind_display() if hasattr(r, "get_kind_display") else "",
            )
        )
    from liuguan.grid.models import Survey

    events = own_grid_reports(account=account)
    open_surveys = {
        s.event_id: s.token
        for s in Survey.objects.filter(event__in=events, answered_at__isnull=True).order_by("created_at")
    }
    for e in events:
        link = reverse("grid:survey", args=[open_surveys[e.pk]]) if e.pk in open_surveys else ""
        lines.append(
            RequestLine(
                "grid",
                _("Problem report"),
                e.number,
                e.get_state_display(),
                e.state,
                _when(getattr(e, "updated_at", None)) or _when(getattr(e, "reported_at", None)),
                note=e.category.name if e.category_id else "",
                link=link,
            )
        )
    lines.sort(key=lambda line: line.updated_at or dt.datetime.min.replace(tzinfo=dt.UTC), reverse=True)
    return lines


# -- service stations and the hukou officer's days -----------------------------------------------------------------


@dataclass
class StationLine:
    office: Office
    community: Division
    sittings: list[PoliceSitting]
    distance: int  # 0 the migrant's own community, 1 the same street, 2 the same county, 3 farther


def _distance(code: str, near: str) -> int:
    if not near:
        return 3
    if code == near:
        return 0
    if code[:9] == near[:9]:
        return 1
    if code[:6] == near[:6]:
        return 2
    return 3


def stations_near(*, community_code: str = "", limit: int = 10) -> list[StationLine]:
    """The service stations nearest a community (its own, then its street's, then its county's), with their hours
    and the days the hukou police officer sits there. Public information.
    """
    qs = Office.objects.filter(kind=OfficeKind.STATION).select_related("division")
    if community_code:
        qs = qs.filter(division__code__startswith=community_code[:6])
    offices = list(qs.order_by("division_id", "name")[:500])
    sittings: dict[int, list[PoliceSitting]] = {}
    for sitting in PoliceSitting.objects.filter(office__in=offices).order_by("weekday", "on_date"):
        sittings.setdefault(sitting.office_id, []).append(sitting)
    lines = [
        StationLine(o, o.division, sittings.get(o.pk, []), _distance(o.division_id, community_code)) for o in offices
    ]
    lines.sort(key=lambda line: (line.distance, line.office.division_id, line.office.name))
    return lines[:limit]


def counties_with_stations() -> list[Division]:
    codes = {code[:6] for code in Office.objects.filter(kind=OfficeKind.STATION).values_list("division_id", flat=True)}
    return list(Division.objects.filter(code__in=codes).order_by("code"))


def communities_with_station(*, county_code: str = "") -> list[Division]:
    """The communities a migrant may declare a stay in: those with a service station to review it."""
    qs = Division.objects.filter(level=Level.COMMUNITY, offices__kind=OfficeKind.STATION).distinct()
    if county_code:
        qs = qs.filter(code__startswith=county_code)
    return list(qs.order_by("code")[:2000])


def grid_categories() -> list:
    from liuguan.grid.selectors import category_list

    return list(category_list(public_only=True).order_by("code"))


# -- the station's side --------------------------------------------------------------------------------------------


def declaration_queue(*, user, status: str = StayDeclaration.Status.PENDING, limit: int = 200) -> list[StayDeclaration]:
    """Declarations in the officer's area, oldest first while pending (first come, first reviewed)."""
    qs = scoped(StayDeclaration.objects.select_related("community", "person", "account"), user)
    if status:
        qs = qs.filter(status=status)
    order = ("created_at", "id") if status == StayDeclaration.Status.PENDING else ("-created_at", "-id")
    return list(qs.order_by(*order)[:limit])


def declaration_get(*, user, declaration_id: int) -> StayDeclaration:
    from liuguan.core.errors import NotFound

    found = (
        scoped(StayDeclaration.objects.select_related("community", "person", "account"), user)
        .filter(pk=declaration_id)
        .first()
    )
    if found is None:
        raise NotFound()
    return found


def houses_for(*, user, declaration: StayDeclaration) -> list:
    """Houses of the declaration's community whose address looks like the declared one (the officer picks one)."""
    from liuguan.registry.models import House

    qs = scoped(House.objects.filter(community_id=declaration.community_id), user)
    words = [w for w in declaration.address.replace("号", " ").split() if w][:2]
    q = Q()
    for word in words:
        q |= Q(address__icontains=word)
    return list((qs.filter(q) if words else qs).order_by("address")[:20])


def declarant_masked(declaration: StayDeclaration) -> dict:
    """Who declared, masked like every personal field on staff pages."""
    from liuguan.core.identity import mask_document_number, mask_name, mask_phone

    person = declaration.person
    name = person.name if person else declaration.name
    number = person.doc_number if person else declaration.doc_number
    return {"name": mask_name(name), "doc_number": mask_document_number(number), "phone": mask_phone(declaration.phone)}
