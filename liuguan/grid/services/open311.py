"""Open311 GeoReport v2 on top of grid events: keys for clients, where a posted request lands, and how an event
looks as a service request.

Where a request lands (the first rule that applies):
1. `address_id` is the id of a registered house: the house's grid and community;
2. `lat` and `long`: the grid whose centre is nearest, if no further than LIUGUAN_GRID["open311_radius_m"];
3. `address_string` equal to the address of exactly one registered house: that house;
4. `jurisdiction_id` is a 12-digit community code: that community (no grid; its station routes the event);
otherwise the request is refused with 400 and a sentence naming these four ways.

Only events of public categories are service requests: events raised by system rules or about named people
stay inside. Reporters' names, phones and e-mails are never given out.
"""

import datetime as dt
import math
import zoneinfo
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.geo.models import Division, Grid
from liuguan.registry.models import House

from ..models import CLOSED_STATES, EventCategory, GridEvent, Open311Client, Source, State
from .events import event_report

CHINA = zoneinfo.ZoneInfo("Asia/Shanghai")
EARTH_RADIUS_M = 6_371_000


@transaction.atomic
def open311_client_create(*, actor, name: str) -> tuple[Open311Client, str]:
    """Issue a key to an Open311 client; the key is shown once, only its hash is kept."""
    key = Open311Client.new_key()
    client = Open311Client.objects.create(
        name=name.strip()[:80],
        prefix=key[5:13],
        key_hash=Open311Client.digest(key),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(actor=actor, action="open311_client.create", obj=client, changes={"name": client.name})
    return client, key


def open311_client_by_key(key: str) -> Open311Client | None:
    if not key:
        return None
    return Open311Client.objects.filter(key_hash=Open311Client.digest(key), revoked_at__isnull=True).first()


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def nearest_grid(lat: float, lon: float) -> Grid | None:
    """The grid whose centre is nearest to the point, within the configured radius (a box first, then exact)."""
    radius = float(settings.LIUGUAN_GRID["open311_radius_m"])
    dlat = radius / 111_000
    dlon = radius / (111_000 * max(math.cos(math.radians(lat)), 0.01))
    candidates = Grid.objects.filter(
        latitude__gte=lat - dlat, latitude__lte=lat + dlat, longitude__gte=lon - dlon, longitude__lte=lon + dlon
    )
    best, best_d = None, radius
    for grid in candidates:
        d = _distance_m(lat, lon, float(grid.latitude), float(grid.longitude))
        if d <= best_d:
            best, best_d = grid, d
    return best


def _coordinate(value: str, name: str, low: float, high: float) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or not (low <= number <= high):
        raise InvalidInput([FieldProblem(name, "open311.coordinate", f"{name} must be a WGS-84 decimal degree")])
    return number.quantize(Decimal("0.000001"))


def place(*, address_id: str = "", lat: str = "", long: str = "", address_string: str = "", jurisdiction_id: str = ""):
    """Where a request lands: (community code, grid code, house id, latitude, longitude); see the module's rules."""
    latitude = _coordinate(lat, "lat", -90, 90)
    longitude = _coordinate(long, "long", -180, 180)
    if (latitude is None) != (longitude is None):
        raise InvalidInput([FieldProblem("long", "open311.location", "lat and long go together")])
    if address_id:
        house = House.objects.filter(pk=int(address_id)).first() if address_id.isdecimal() else None
        if house is None:
            raise InvalidInput([FieldProblem("address_id", "open311.address_id", "address_id names no known address")])
        return house.community_id, "", house.pk, latitude, longitude
    if latitude is not None:
        grid = nearest_grid(float(latitude), float(longitude))
        if grid is not None:
            return grid.community_id, grid.code, None, latitude, longitude
    if address_string:
        houses = list(House.objects.filter(address=address_string.strip())[:2])
        if len(houses) == 1:
            return houses[0].community_id, "", houses[0].pk, latitude, longitude
    code = (jurisdiction_id or "").strip()
    if len(code) == 12 and Division.objects.filter(pk=code, level="community").exists():
        return code, "", None, latitude, longitude
    raise InvalidInput(
        [
            FieldProblem(
                "location",
                "open311.location",
                "The location lies in no grid this endpoint serves: give address_id (a registered house), lat and "
                "long near a grid, the address_string of a registered house, or a community code as jurisdiction_id",
            )
        ]
    )


def request_post(*, client: Open311Client, data) -> GridEvent:
    """A posted service request becomes a grid event of the service's category, waiting to be routed."""
    code = (data.get("service_code") or "").strip()
    if not code:
        raise InvalidInput([FieldProblem("service_code", "open311.service_code", "service_code is required")])
    if not EventCategory.objects.filter(pk=code, public=True, active=True).exists():
        raise InvalidInput([FieldProblem("service_code", "open311.service_code", "service_code is not a service")])
    community, grid, house, latitude, longitude = place(
        address_id=(data.get("address_id") or "").strip(),
        lat=(data.get("lat") or "").strip(),
        long=(data.get("long") or "").strip(),
        address_string=(data.get("address_string") or "").strip(),
        jurisdiction_id=(data.get("jurisdiction_id") or "").strip(),
    )
    name = " ".join(p for p in ((data.get("last_name") or "").strip(), (data.get("first_name") or "").strip()) if p)
    description = (data.get("description") or "").strip() or _("(no description)")
    media_url = (data.get("media_url") or "").strip()
    if media_url and not media_url.startswith(("http://", "https://")):
        raise InvalidInput([FieldProblem("media_url", "open311.media_url", "media_url must be an http(s) URL")])
    return event_report(
        actor=_ClientActor(client),
        category_code=code,
        description=description,
        community_code=community,
        grid_code=grid,
        house_id=house,
        address=(data.get("address_string") or "").strip(),
        latitude=latitude,
        longitude=longitude,
        media_url=media_url,
        source=Source.OPEN311,
        reporter_name=name,
        reporter_phone=(data.get("phone") or "").strip(),
        reporter_email=(data.get("email") or "").strip(),
        open311_client=client,
        audit_source="open311",
    )


class _ClientActor:
    """An Open311 client acting without an account: audited by its name, never a staff user."""

    pk = None

    def __init__(self, client: Open311Client):
        self.username = f"open311:{client.name}"[:150]


def iso(value: dt.datetime | None) -> str | None:
    """W3C / ISO 8601 with the China offset, as GeoReport v2 asks: 2026-09-30T10:00:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value, CHINA).replace(microsecond=0).isoformat()


def _expected(event: GridEvent) -> str | None:
    due = event.due
    if due is None or event.state in CLOSED_STATES:
        return None
    return iso(dt.datetime.combine(due, dt.time(23, 59, 59), tzinfo=CHINA))


def _status_notes(event: GridEvent, last_step) -> str:
    label = str(State(event.state).label)
    if last_step is not None and last_step.note and event.source == Source.OPEN311:
        return f"{label}: {last_step.note}"
    return label


def as_request(event: GridEvent) -> dict:
    """One grid event as a GeoReport v2 service request (reporters' contact details never included)."""
    steps = list(event.steps.all())
    last = steps[-1] if steps else None
    own = event.source in (Source.OPEN311, Source.RESIDENT)
    return {
        "service_request_id": str(event.pk),
        "status": "closed" if event.state in CLOSED_STATES else "open",
        "status_notes": _status_notes(event, last),
        "service_name": event.category.name,
        "service_code": event.category_id,
        "description": event.description if own else event.category.name,
        "agency_responsible": event.responsible_label,
        "service_notice": "",
        "requested_datetime": iso(event.created_at),
        "updated_datetime": iso(event.updated_at),
        "expected_datetime": _expected(event),
        "address": event.address,
        "address_id": str(event.house_id) if event.house_id else "",
        "zipcode": "",
        "lat": float(event.latitude) if event.latitude is not None else None,
        "long": float(event.longitude) if event.longitude is not None else None,
        "media_url": event.media_url,
    }
