"""Reads for the federation's administration pages: peers, the outbox, the inbox and the refusals.

None of these is area-scoped data (they are this instance's configuration and traffic); the permission
`federation.admin` is the gate, checked by the pages.
"""

from django.db.models import Count, Q

from liuguan.core.errors import NotFound

from .models import InboxMessage, OutboxMessage, Peer, Refusal

LATEST = 100


def peer_list() -> list[Peer]:
    """All peers, active first, with how many messages wait for each."""
    return list(
        Peer.objects.annotate(
            waiting=Count("outbox", filter=Q(outbox__status=OutboxMessage.Status.PENDING)),
        ).order_by("-active", "code")
    )


def peer_get(code: str) -> Peer:
    peer = Peer.objects.filter(code=code).first()
    if peer is None:
        raise NotFound()
    return peer


def outbox_counts() -> dict[str, int]:
    """How many outbox messages are in each status (every status named, zero included)."""
    counts = dict(OutboxMessage.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    return {status: counts.get(status, 0) for status in OutboxMessage.Status.values}


def outbox_list(*, status: str = "", limit: int = LATEST) -> list[OutboxMessage]:
    """The newest outbox messages, of one status when given (waiting ones oldest first: the order they go in)."""
    rows = OutboxMessage.objects.select_related("peer")
    if status in OutboxMessage.Status.values:
        rows = rows.filter(status=status)
    order = ("created_at", "pk") if status == OutboxMessage.Status.PENDING else ("-created_at", "-pk")
    return list(rows.order_by(*order)[:limit])


def inbox_latest(*, limit: int = LATEST) -> list[InboxMessage]:
    return list(InboxMessage.objects.select_related("peer").order_by("-received_at", "-pk")[:limit])


def refusals_latest(*, limit: int = LATEST) -> list[Refusal]:
    return list(Refusal.objects.order_by("-at", "-pk")[:limit])


def refusal_count() -> int:
    return Refusal.objects.count()
