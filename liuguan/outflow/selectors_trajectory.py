"""A person's trajectory (轨迹): where they lived over time, across the counties of this instance and others.

Three sources make one ordered list of places: the person's stays here (every county of the instance), the
stays other instances told us about (RemoteStay), and, while the origin's outflow record is not confirmed by a
destination, the destination its reporter named. The same places read as a path between divisions, starting
at the hukou county, with the level of each move (another province, prefecture, county, ...).

A stay outside the reader's jurisdiction keeps its division names and dates and loses its address and house:
the person page holds back the same details.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.geo.names import division_names, place_name, place_parts
from liuguan.registry.access import access_person_by_id
from liuguan.registry.models import Person

from .models import OutflowRecord, RemoteStay


class Kind:
    STAY = "stay"  # a stay registered here
    REMOTE = "remote"  # a stay another instance registered
    REPORTED = "reported"  # where the origin's reporter said they went; no destination confirmed it


# What changed between two places, broadest first; the first differing prefix of the two codes decides.
LEVEL_LABELS = {
    "country": gettext_lazy("to another country"),
    "province": gettext_lazy("to another province"),
    "prefecture": gettext_lazy("to another prefecture"),
    "county": gettext_lazy("to another county"),
    "township": gettext_lazy("to another township"),
    "community": gettext_lazy("to another community"),
    "within_province": gettext_lazy("inside the same province"),
    "within_prefecture": gettext_lazy("inside the same prefecture"),
    "within_county": gettext_lazy("inside the same county"),
    "within_township": gettext_lazy("inside the same township"),
    "unknown": gettext_lazy("to a place not named"),
}
_LEVEL_OF_LENGTH = {2: "province", 4: "prefecture", 6: "county", 9: "township", 12: "community"}


@dataclass(frozen=True)
class Place:
    """One place in the trajectory: a stay here, a stay at another instance, or a reported destination."""

    kind: str
    code: str
    name: str
    short: str
    start: dt.date
    end: dt.date | None
    # False when the stay lies outside the reader's jurisdiction: no address, no house.
    in_scope: bool = True
    address: str = ""
    house: str = ""
    reason: str = ""
    # Who knows of this place: the county of a stay here, the other instance, the reporter of an outflow.
    source: str = ""
    stay_id: int | None = None
    abroad: bool = False

    @property
    def is_open(self) -> bool:
        return self.end is None


@dataclass(frozen=True)
class Node:
    """A division on the path: the hukou county first, then each place in turn."""

    code: str
    name: str
    kind: str  # "hukou" or a Place kind


@dataclass(frozen=True)
class Move:
    """From one node of the path to the next, on a date, changing province, prefecture, county, ..."""

    source: Node
    target: Node
    on: dt.date
    level: str

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])


@dataclass
class Trajectory:
    person: object
    hukou_code: str
    hukou_name: str
    places: list[Place]
    nodes: list[Node]
    moves: list[Move]
    today: dt.date = field(default_factory=china_today)

    @property
    def start(self) -> dt.date | None:
        return min((p.start for p in self.places), default=None)


def move_level(source: str, target: str, *, abroad: bool = False) -> str:
    """The broadest level at which two division codes differ, or the division both lie in."""
    if abroad:
        return "country"
    if not source or not target:
        return "unknown"
    for length in (2, 4, 6, 9, 12):
        if len(source) < length or len(target) < length:
            break
        if source[:length] != target[:length]:
            return _LEVEL_OF_LENGTH[length]
    # One code lies inside the other (the hukou county and a stay in it): a move inside the larger division.
    shorter = min(len(source), len(target))
    return f"within_{_LEVEL_OF_LENGTH[shorter]}" if shorter < 12 else "community"


def _short(code: str, names: dict[str, str]) -> str:
    """What tells one person's places apart on a phone: the county and the place (锦江区 东御河沿社区), or for
    another province the prefecture and the county (柳州市 柳江区).
    """
    if code.startswith(settings.LIUGUAN_PROVINCE_CODE):
        parts = [names[p] for p in dict.fromkeys((code[:6], code)) if len(p) >= 6 and p in names]
    else:
        parts = place_parts(code, names)[-2:]
    return " ".join(parts) or place_name(code, names) or code


def _local_places(user, person, names: dict[str, str]) -> list[Place]:
    area = jurisdiction(user) or ""
    places = []
    for stay in person.stays.all():
        inside = bool(area) and stay.community_id.startswith(area)
        county = names.get(stay.community_id[:6], stay.community_id[:6])
        places.append(
            Place(
                kind=Kind.STAY,
                code=stay.community_id,
                name=place_name(stay.community_id, names),
                short=_short(stay.community_id, names),
                start=stay.arrived_on,
                end=stay.departed_on,
                in_scope=inside,
                address=stay.address if inside else "",
                house=stay.house.address if inside and stay.house_id else "",
                reason=stay.get_reason_display(),
                source=_("Registered in %(county)s") % {"county": county},
                stay_id=stay.pk,
            )
        )
    return places


def _remote_places(remotes: list[RemoteStay], names: dict[str, str]) -> list[Place]:
    places = []
    for remote in remotes:
        code = remote.destination_code
        places.append(
            Place(
                kind=Kind.REMOTE,
                code=code,
                name=remote.destination_name or place_name(code, names) or code,
                short=_short(code, names) if code[:6] in names else remote.destination_name or code,
                start=remote.arrived_on,
                end=remote.departed_on,
                in_scope=False,
                reason=remote.get_reason_display() if remote.reason else "",
                source=_("Registered at %(peer)s") % {"peer": remote.peer.name},
            )
        )
    return places


def _unconfirmed_record(user, person) -> OutflowRecord | None:
    """The open record no destination confirmed, for officers of the origin area (its scope)."""
    records = OutflowRecord.objects.filter(person=person, status=OutflowRecord.Status.UNCONFIRMED)
    return scoped(records, user).order_by("-left_on", "-pk").first()


def _reported_place(record: OutflowRecord, names: dict[str, str]) -> Place:
    code = record.destination_code
    abroad = record.destination_country not in ("", "CHN")
    name = place_name(code, names) if code else ""
    if record.destination_place:
        name = f"{name} {record.destination_place}".strip()
    if abroad:
        name = f"{name} ({record.destination_country})"
    return Place(
        kind=Kind.REPORTED,
        code=code,
        name=name or _("Destination not known"),
        short=(_short(code, names) if code else record.destination_place or record.destination_country) or "?",
        start=record.left_on,
        end=None,
        in_scope=False,
        reason=record.get_reason_display(),
        source=_("Reported by %(reporter)s, not confirmed") % {"reporter": record.get_reported_by_display()},
        abroad=abroad,
    )


_KIND_ORDER = {Kind.STAY: 0, Kind.REMOTE: 1, Kind.REPORTED: 2}


def _path(hukou: str, hukou_name: str, places: list[Place]) -> tuple[list[Node], list[Move]]:
    nodes: list[Node] = []
    moves: list[Move] = []
    if hukou:
        nodes.append(Node(code=hukou, name=hukou_name or hukou, kind="hukou"))
    for place in places:
        node = Node(code=place.code, name=place.name, kind=place.kind)
        if nodes and nodes[-1].code == node.code and node.code and not place.abroad:
            continue  # a second stay at the same place is no move
        if nodes:
            level = move_level(nodes[-1].code, node.code, abroad=place.abroad)
            moves.append(Move(source=nodes[-1], target=node, on=place.start, level=level))
        nodes.append(node)
    return nodes, moves


def _held_in_scope(user, person: Person) -> bool:
    """A person the caller already holds (the person page fetched it with its stays): the scope is checked again
    with one light query instead of fetching the person a second time. A merged-away record is reachable while its
    survivor is in scope, as in `person_get`.
    """
    ids = [pk for pk in (person.pk, person.merged_into_id) if pk]
    return scoped(Person.objects.filter(pk__in=ids), user).exists()


def trajectory(*, user, person) -> Trajectory:
    """The person's places in date order and the path between them; NotFound outside the user's scope."""
    if not (isinstance(person, Person) and _held_in_scope(user, person)):
        person = access_person_by_id(user, getattr(person, "pk", person))
    remote = list(RemoteStay.objects.filter(person=person).select_related("peer").order_by("arrived_on", "pk"))
    record = _unconfirmed_record(user, person)
    codes = [person.hukou_code, *(s.community_id for s in person.stays.all()), *(r.destination_code for r in remote)]
    if record is not None:
        codes.append(record.destination_code)
    names = division_names(codes)
    places = _local_places(user, person, names) + _remote_places(remote, names)
    if record is not None:
        places.append(_reported_place(record, names))
    places.sort(key=lambda p: (p.start, _KIND_ORDER[p.kind], p.stay_id or 0))
    hukou_name = place_name(person.hukou_code, names) if person.hukou_code else ""
    nodes, moves = _path(person.hukou_code, hukou_name, places)
    return Trajectory(
        person=person, hukou_code=person.hukou_code, hukou_name=hukou_name, places=places, nodes=nodes, moves=moves
    )
