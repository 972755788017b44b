"""Peer instances: the other Liuguan installations this one trusts, each with its identity, address, public key
and the division-code prefixes it serves. Only the province administrator (or the command line) configures
them; every change is audited.
"""

import re
import urllib.parse

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record, diff
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied

from .. import keys
from ..models import Peer

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")
AREA_PATTERN = re.compile(r"[0-9]{2,12}")
HOST_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
# What an instance may let a peer receive beyond the notices about its own people.
GRANTS = ("person.basic",)
AUDITED_FIELDS = ("name", "url", "public_key", "areas", "grants", "active")


def _require_admin(actor) -> None:
    if actor is not SYSTEM and not actor.can("federation.admin"):
        raise PermissionDenied()


def split_list(value) -> list[str]:
    """A comma list (either comma, ASCII or Chinese) as its non-empty items; a list stays a list."""
    items = value if isinstance(value, (list, tuple)) else (value or "").replace("，", ",").split(",")
    return [item.strip() for item in items if item and item.strip()]


def _url_ok(url: str) -> bool:
    """An http(s) address; besides public names, an intranet host without a dot (http://liuguan-cq:8000)."""
    try:
        URLValidator(schemes=["http", "https"])(url)
        return True
    except ValidationError:
        pass
    try:
        parsed = urllib.parse.urlsplit(url)
        parsed.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return False
    return (
        parsed.scheme in ("http", "https")
        and bool(parsed.hostname and HOST_LABEL.fullmatch(parsed.hostname))
        and not (parsed.query or parsed.fragment or parsed.username)
    )


def _checked(*, code, name, url, public_key, areas, grants) -> tuple[dict, list[FieldProblem]]:
    problems = []
    values = {
        "code": (code or "").strip(),
        "name": (name or "").strip(),
        "url": (url or "").strip().rstrip("/"),
        "public_key": (public_key or "").strip(),
        "areas": ",".join(split_list(areas)),
        "grants": sorted(set(split_list(grants))),
    }
    if not CODE_PATTERN.fullmatch(values["code"]):
        message = _("Capital letters, digits and -, 2 to 40 characters, such as CN-50")
        problems.append(FieldProblem("code", "federation.code_format", message))
    elif values["code"] == keys.instance_id():
        problems.append(FieldProblem("code", "federation.code_self", _("That is this instance's own identity")))
    if not values["name"] or len(values["name"]) > 100:
        problems.append(FieldProblem("name", "federation.name", _("A name of at most 100 characters")))
    if not _url_ok(values["url"]):
        problems.append(FieldProblem("url", "federation.url", _("An http or https address")))
    elif len(values["url"]) > 300:
        problems.append(FieldProblem("url", "federation.url_long", _("At most 300 characters")))
    if not keys.public_key_valid(values["public_key"]):
        message = _(
            "The peer's public key: base64 of 32 bytes (Ed25519), or sm2: and base64 of 65 bytes (SM2); "
            "manage.py federation_identity prints it"
        )
        problems.append(FieldProblem("public_key", "federation.public_key", message))
    prefixes = split_list(areas)
    if not prefixes or not all(AREA_PATTERN.fullmatch(p) for p in prefixes) or len(values["areas"]) > 300:
        message = _("Division-code prefixes of 2 to 12 digits separated by commas, such as 50 or 4401,4403")
        problems.append(FieldProblem("areas", "federation.areas", message))
    unknown = [g for g in values["grants"] if g not in GRANTS]
    if unknown:
        message = _("Unknown grants: %(names)s (known: %(known)s)") % {
            "names": ", ".join(unknown),
            "known": ", ".join(GRANTS),
        }
        problems.append(FieldProblem("grants", "federation.grants", message))
    return values, problems


def _audit_values(peer: Peer) -> dict:
    return {name: getattr(peer, name) for name in AUDITED_FIELDS}


@transaction.atomic
def peer_save(
    *,
    actor,
    code: str,
    name: str,
    url: str,
    public_key: str,
    areas,
    grants=(),
    active: bool | None = None,
    source: str = "web",
) -> Peer:
    """Add a peer, or change the one with this identity; messages from it must verify with this public key."""
    _require_admin(actor)
    values, problems = _checked(code=code, name=name, url=url, public_key=public_key, areas=areas, grants=grants)
    if problems:
        raise InvalidInput(problems)
    peer = Peer.objects.select_for_update().filter(code=values["code"]).first()
    if peer is None:
        peer = Peer(code=values["code"], active=True if active is None else active)
        before = {}
    else:
        before = _audit_values(peer)
        if active is not None:
            peer.active = active
    for field in ("name", "url", "public_key", "areas", "grants"):
        setattr(peer, field, values[field])
    after = _audit_values(peer)
    if before == after:
        return peer
    peer.save()
    audit_record(
        actor=actor,
        action="federation.peer_add" if not before else "federation.peer_update",
        obj=peer,
        changes={"code": peer.code, **diff(before, after)},
        source=source,
    )
    return peer


@transaction.atomic
def peer_deactivate(*, actor, code: str, source: str = "web") -> Peer:
    """A switched-off peer's messages are refused and nothing is sent to it; its history stays."""
    _require_admin(actor)
    peer = Peer.objects.select_for_update().filter(code=code).first()
    if peer is None:
        raise NotFound()
    if peer.active:
        peer.active = False
        peer.save(update_fields=["active", "updated_at"])
        audit_record(
            actor=actor,
            action="federation.peer_deactivate",
            obj=peer,
            changes={"code": peer.code, "active": [True, False]},
            source=source,
        )
    return peer
