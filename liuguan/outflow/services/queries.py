"""Asking a peer instance for a person's basic data: a stated purpose, audited; the peer answers if its grant to
this instance allows (the answer arrives as a `person.reply` message and lands on the query).
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.identity import DocumentError, parse_document

from ..models import Peer, PersonQuery
from . import messages
from .outbox import message_enqueue


@transaction.atomic
def person_query_send(
    *, actor, peer_code: str, doc_type: str, doc_number: str, purpose: str, source: str = "web"
) -> PersonQuery:
    """Send a query for a person's basic data to a peer; the purpose is required and travels with the query."""
    if not actor.can("federation.query"):
        raise PermissionDenied()
    problems: list[FieldProblem] = []
    peer = Peer.objects.filter(code=(peer_code or "").strip(), active=True).first()
    if peer is None:
        problems.append(FieldProblem("peer_code", "federation.peer_unknown", _("Choose a configured peer instance")))
    number = ""
    try:
        number = parse_document(doc_type, doc_number or "").number
    except DocumentError as exc:
        problems.append(FieldProblem(exc.field, exc.rule, exc.message))
    purpose = " ".join((purpose or "").split())
    if len(purpose) < 4:
        problems.append(
            FieldProblem("purpose", "federation.purpose_required", _("State why you ask (at least 4 characters)"))
        )
    if not actor.division_id:
        problems.append(FieldProblem("peer_code", "federation.no_area", _("Your account has no area")))
    if problems:
        raise InvalidInput(problems)
    message = message_enqueue(
        peer=peer,
        kind=messages.PERSON_QUERY,
        payload={"doc_type": doc_type, "doc_number": number, "purpose": purpose[:200]},
        subject=f"query:{doc_type}",
    )
    query = PersonQuery.objects.create(
        peer=peer,
        asked_by=actor,
        division_id=actor.division_id,
        purpose=purpose[:200],
        doc_type=doc_type,
        doc_number=number,
        message_id=message.message_id,
    )
    audit_record(
        actor=actor,
        action="federation.query",
        obj=query,
        division_code=actor.division_id,
        source=source,
        purpose=purpose[:200],
        changes={"peer": peer.code, "doc_type": doc_type, "message_id": str(message.message_id)},
    )
    return query
