"""Police notices about people whose hukou lies in another instance's area: offence notices and bulletin hits go
to the peer that serves the hukou, as messages (the exchange's police services call these in their transaction).
"""

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from liuguan.core.audit import audit_record
from liuguan.core.errors import NotFound, PermissionDenied
from liuguan.core.scoping import scoped
from liuguan.geo.names import place_names
from liuguan.registry.models import Person

from ..models import InboundNotice, Peer
from . import messages
from .common import full_name, in_province, person_block
from .outbox import PeerAreas, message_enqueue, peer_for_area


@dataclass
class ForwardedNotice:
    """An offence notice for the police of a hukou county in another province, sent to the peer instance that
    serves it. It has no row here: the outbox keeps the message and the audit chain the sending.
    """

    reference: str
    person: Person
    peer_code: str
    peer_name: str
    hukou_code: str
    offence: str
    occurred_on: dt.date
    message_id: str
    sent_at: dt.datetime


def peer_serving(hukou_code: str) -> Peer | None:
    """The peer that serves a hukou outside the province, or None."""
    if not hukou_code or in_province(hukou_code):
        return None
    return peer_for_area(hukou_code)


def offence_forward(
    *, actor, person: Person, peer: Peer, offence: str, occurred_on: dt.date, source: str
) -> ForwardedNotice:
    """Send an offence notice to the peer serving the person's hukou; call inside the sender's transaction."""
    unit = actor.division_id or ""
    reference = f"WF{unit}-{uuid.uuid4().hex[:12].upper()}"
    message = message_enqueue(
        peer=peer,
        kind=messages.OFFENCE_NOTICE,
        payload={
            "person": person_block(person),
            "ref": reference,
            "offence": offence,
            "occurred_on": occurred_on.isoformat(),
            "issuing_unit_code": unit,
            "issuing_unit_name": full_name(unit),
        },
        subject=f"person:{person.pk}",
    )
    audit_record(
        actor=actor,
        action="offence.forward",
        obj=person,
        division_code=unit,
        source=source,
        changes={
            "reference": reference,
            "peer": peer.code,
            "hukou_code": person.hukou_code,
            "occurred_on": occurred_on,
            "message_id": str(message.message_id),
        },
    )
    return ForwardedNotice(
        reference=reference,
        person=person,
        peer_code=peer.code,
        peer_name=peer.name,
        hukou_code=person.hukou_code,
        offence=offence,
        occurred_on=occurred_on,
        message_id=str(message.message_id),
        sent_at=timezone.now(),
    )


def bulletin_hits_forward(hits) -> int:
    """Hits on people whose hukou a peer serves: that peer's police learn which bulletin, why, where and when."""
    hits = [h for h in hits if h.person.hukou_code and not in_province(h.person.hukou_code)]
    if not hits or not Peer.objects.filter(active=True).exists():
        return 0
    peers = PeerAreas()
    names = place_names({h.community_id for h in hits})
    sent = 0
    for hit in hits:
        peer = peers.for_area(hit.person.hukou_code)
        if peer is None:
            continue
        message_enqueue(
            peer=peer,
            kind=messages.BULLETIN_HIT,
            payload={
                "person": person_block(hit.person),
                "ref": f"hit:{hit.pk}",
                "bulletin_number": hit.bulletin.number,
                "grounds": hit.bulletin.reason,
                "found_code": hit.community_id,
                "found_name": names.get(hit.community_id, ""),
                "found_at": (hit.found_at or timezone.now()).isoformat(),
            },
            subject=f"person:{hit.person_id}",
        )
        sent += 1
    return sent


@transaction.atomic
def inbound_notice_acknowledge(*, actor, notice_id: int, source: str = "web") -> InboundNotice:
    """The police of the hukou county acknowledge a notice a peer sent about one of their people."""
    if not actor.can("offence.notify"):
        raise PermissionDenied()
    notice = scoped(InboundNotice.objects.select_for_update(), actor).filter(pk=notice_id).first()
    if notice is None:
        raise NotFound()
    if notice.status == InboundNotice.Status.ACKNOWLEDGED:
        return notice
    notice.status = InboundNotice.Status.ACKNOWLEDGED
    notice.acknowledged_by, notice.acknowledged_at = actor, timezone.now()
    notice.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit_record(
        actor=actor,
        action="outflow.notice_acknowledge",
        obj=notice,
        division_code=notice.hukou_code,
        source=source,
        changes={"status": [InboundNotice.Status.NEW, InboundNotice.Status.ACKNOWLEDGED]},
    )
    return notice
