"""Stay writes: registering, changing and ending a residence, each with its audit event and history."""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import scoped
from liuguan.geo.models import Division, Level

from ..codes import Reason, SourceChannel
from ..history import field_changes_record
from ..models import Employer, House, Person, Stay
from ..timeliness import PolicyTable

UNSET = object()
REASONS = frozenset(Reason.values)
CHANNELS = frozenset(SourceChannel.values)


@dataclass
class StayInput:
    """Where and since when a person lives, before validation."""

    community_code: str
    arrived_on: dt.date
    reason: str
    address: str = ""
    source_channel: str = SourceChannel.COLLECTOR
    device_time: dt.datetime | None = None
    house_id: int | None = None
    employer_id: int | None = None


class ScopedCommunities:
    """The communities inside an actor's jurisdiction, read once per request or per import and then cached."""

    def __init__(self, actor):
        self.actor = actor
        self._cache: dict[str, Division | None] = {}
        self._all: dict[str, Division] | None = None

    def preload(self) -> "ScopedCommunities":
        """Read every community in scope at once (a province holds about 34,000), for batch work."""
        qs = scoped(Division.objects.filter(level=Level.COMMUNITY), self.actor)
        self._all = {d.code: d for d in qs}
        return self

    def get(self, code: str) -> Division | None:
        code = (code or "").strip()
        if self._all is not None:
            return self._all.get(code)
        if code not in self._cache:
            self._cache[code] = (
                scoped(Division.objects.all(), self.actor).filter(code=code, level=Level.COMMUNITY).first()
            )
        return self._cache[code]


def stay_check(
    data: StayInput, *, actor, person_birth_date: dt.date | None, communities: ScopedCommunities | None = None
) -> tuple[dict, Division | None]:
    """A stay is at a community inside the actor's jurisdiction, with an arrival not in the future."""
    problems: list[FieldProblem] = []
    community = (communities or ScopedCommunities(actor)).get(data.community_code)
    if community is None:
        problems.append(
            FieldProblem("community_code", "stay.community_in_scope", _("Choose a community inside your jurisdiction"))
        )
    if data.arrived_on is None:
        problems.append(FieldProblem("arrived_on", "stay.arrived_required", _("Arrival date is required")))
    else:
        if data.arrived_on > china_today():
            problems.append(FieldProblem("arrived_on", "stay.arrived_future", _("Arrival date is in the future")))
        if person_birth_date and data.arrived_on < person_birth_date:
            problems.append(
                FieldProblem("arrived_on", "stay.arrived_before_birth", _("Arrival date is before the birth date"))
            )
    if data.reason not in REASONS:
        problems.append(FieldProblem("reason", "stay.reason", _("Choose a reason for the stay")))
    if data.source_channel not in CHANNELS:
        problems.append(FieldProblem("source_channel", "stay.source", _("Unknown source channel")))
    house, employer = _places_check(actor, community, data.house_id, data.employer_id, problems)
    if problems:
        raise InvalidInput(problems)
    values = {
        "house": house,
        "employer": employer,
        "grid_id": house.grid_id if house else None,
        "arrived_on": data.arrived_on,
        "reason": data.reason,
        "address": (data.address or "").strip()[:200],
        "source_channel": data.source_channel,
        "device_time": data.device_time,
    }
    return values, community


def _places_check(actor, community, house_id, employer_id, problems) -> tuple[House | None, Employer | None]:
    """A stay's house must be in its community; its employer anywhere inside the actor's jurisdiction."""
    house = employer = None
    if house_id:
        house = scoped(House.objects.all(), actor).filter(pk=house_id).first()
        if house is None or (community is not None and house.community_id != community.code):
            problems.append(
                FieldProblem("house_id", "stay.house_in_community", _("Choose a house registered in this community"))
            )
    if employer_id:
        employer = scoped(Employer.objects.all(), actor).filter(pk=employer_id).first()
        if employer is None:
            problems.append(
                FieldProblem(
                    "employer_id", "stay.employer_in_scope", _("Choose an employer registered inside your jurisdiction")
                )
            )
    return house, employer


def tiers_refresh(person_ids, *, actor) -> None:
    """A stay began, ended or changed: the people's tiers (classified management) are worked out again."""
    from liuguan.compliance.classification import tiers_recompute

    tiers_recompute(person_ids, actor=actor)


def bulletins_refresh(person_ids, *, actor, source: str) -> None:
    """A registration began or changed: the assist-investigation bulletins in force are matched against it."""
    from liuguan.exchange.services.police import bulletins_match

    bulletins_match(person_ids, actor=actor, source=source)


def outflow_stays_registered(stays, *, actor, source: str) -> None:
    """New stays: the origin's outflow record follows (in the province) or the origin instance is told."""
    from liuguan.outflow.services.flows import stays_registered

    stays_registered(stays, actor=actor, source=source)


def outflow_stay_departed(stay: Stay, *, actor, source: str) -> None:
    """A stay ended: the origin's outflow record or the origin instance learns the departure."""
    from liuguan.outflow.services.flows import stay_departed

    stay_departed(stay, actor=actor, source=source)


def _create_stay(*, actor, person: Person, values: dict, community: Division, source: str) -> Stay:
    registered_at = timezone.now()
    lateness = PolicyTable().lateness(community.code, values["arrived_on"], registered_at)
    values = {**values, "registered_at": registered_at, "lag_days": lateness.lag_days, "late": lateness.late}
    stay = Stay(
        person=person,
        community=community,
        collector=actor if getattr(actor, "pk", None) else None,
        collection_point=getattr(actor, "office", None),
        **values,
    )
    try:
        with transaction.atomic():
            stay.save()
    except IntegrityError as exc:
        if Stay.objects.filter(person=person, community=community, departed_on__isnull=True).exists():
            raise Conflict(
                _("This person already has an open stay in this community"),
                field="community_code",
                rule="stay.one_open_per_place",
            ) from exc
        raise
    audit_record(
        actor=actor,
        action="stay.register",
        obj=stay,
        division_code=community.code,
        source=source,
        changes={"person": person.pk, "community": community.code, **values},
    )
    tiers_refresh([person.pk], actor=actor)
    bulletins_refresh([person.pk], actor=actor, source=source)
    outflow_stays_registered([stay], actor=actor, source=source)
    return stay


@transaction.atomic
def stay_register(*, actor, person: Person, stay: StayInput, source: str = "web") -> Stay:
    """Add a stay for a person already on the register (someone who moved here)."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    values, community = stay_check(stay, actor=actor, person_birth_date=person.birth_date)
    return _create_stay(actor=actor, person=person, values=values, community=community, source=source)


@transaction.atomic
def stay_depart(*, actor, stay_id: int, departed_on: dt.date, destination: str = "", source: str = "web") -> Stay:
    """Record a departure (注销); the stay is kept as history, never deleted."""
    if not actor.can("stay.depart"):
        raise PermissionDenied()
    stay = scoped(Stay.objects.select_for_update(), actor).filter(pk=stay_id).first()
    if stay is None:
        raise NotFound()
    problems = []
    if stay.departed_on is not None:
        problems.append(FieldProblem("departed_on", "stay.already_departed", _("This stay has already ended")))
    elif departed_on is None:
        problems.append(FieldProblem("departed_on", "stay.departed_required", _("Departure date is required")))
    elif departed_on < stay.arrived_on:
        problems.append(
            FieldProblem("departed_on", "stay.departed_before_arrival", _("Departure date is before the arrival date"))
        )
    elif departed_on > china_today():
        problems.append(FieldProblem("departed_on", "stay.departed_future", _("Departure date is in the future")))
    if problems:
        raise InvalidInput(problems)
    before = {"departed_on": stay.departed_on, "destination": stay.destination}
    stay.departed_on = departed_on
    stay.destination = (destination or "").strip()[:200]
    stay.save(update_fields=["departed_on", "destination"])
    audit_record(
        actor=actor,
        action="stay.depart",
        obj=stay,
        division_code=stay.community_id,
        source=source,
        changes=diff(before, {"departed_on": stay.departed_on, "destination": stay.destination}),
    )
    tiers_refresh([stay.person_id], actor=actor)
    outflow_stay_departed(stay, actor=actor, source=source)
    return stay


STAY_CHANGEABLE = ("house_id", "employer_id", "address")


@transaction.atomic
def stay_update(
    *,
    actor,
    stay_id: int,
    house_id=UNSET,
    employer_id=UNSET,
    address=UNSET,
    channel: str = SourceChannel.COLLECTOR,
    device_time=None,
    source: str = "web",
) -> Stay:
    """Change where in the community a person lives or who employs them; the old values stay in the history."""
    if not actor.can("person.register"):
        raise PermissionDenied()
    stay = scoped(Stay.objects.select_for_update(), actor).filter(pk=stay_id).first()
    if stay is None:
        raise NotFound()
    if stay.departed_on is not None:
        raise InvalidInput([FieldProblem("stay", "stay.already_departed", _("This stay has already ended"))])
    problems: list[FieldProblem] = []
    wanted = {}
    if house_id is not UNSET or employer_id is not UNSET:
        house, employer = _places_check(
            actor,
            stay.community,
            house_id if house_id is not UNSET else None,
            employer_id if employer_id is not UNSET else None,
            problems,
        )
        if house_id is not UNSET:
            wanted["house_id"] = house.pk if house else None
            wanted["grid_id"] = house.grid_id if house else stay.grid_id
        if employer_id is not UNSET:
            wanted["employer_id"] = employer.pk if employer else None
    if address is not UNSET:
        wanted["address"] = (address or "").strip()[:200]
    if channel not in CHANNELS:
        problems.append(FieldProblem("channel", "stay.source", _("Unknown source channel")))
    if problems:
        raise InvalidInput(problems)
    changes = {k: (getattr(stay, k), v) for k, v in wanted.items() if getattr(stay, k) != v}
    if not changes:
        return stay
    for name, (_old, new) in changes.items():
        setattr(stay, name, new)
    stay.save(update_fields=list(changes))
    event = audit_record(
        actor=actor,
        action="stay.update",
        obj=stay,
        division_code=stay.community_id,
        source=source,
        changes={k: list(v) for k, v in changes.items()},
    )
    field_changes_record(
        actor=actor, obj=stay, changes=changes, channel=channel, device_time=device_time, audit_event=event
    )
    # Bulletins match on who a person is, not on where in the community they live: nothing to match here.
    if "employer_id" in changes:
        tiers_refresh([stay.person_id], actor=actor)
    return stay
