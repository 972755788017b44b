"""Outflow population (流出人口) and the two-way exchange between instances (两头抓、双向管).

`outflow`: the origin side's own people who live elsewhere, the history of each record, the origin office's
tasks, and what it learns from destinations (their stays there, notices about them).
`federation`: this instance's peers, and the signed messages it sends (outbox) and receives (inbox).
"""

from .federation import InboxMessage, OutboxMessage, Peer, Refusal, SeenEnvelope
from .outflow import (
    ExpectedArrival,
    InboundNotice,
    OutflowEvent,
    OutflowRecord,
    OutflowTask,
    PersonQuery,
    RemoteStay,
    Reporter,
)

__all__ = [
    "ExpectedArrival",
    "InboundNotice",
    "InboxMessage",
    "OutboxMessage",
    "OutflowEvent",
    "OutflowRecord",
    "OutflowTask",
    "Peer",
    "PersonQuery",
    "Refusal",
    "RemoteStay",
    "Reporter",
    "SeenEnvelope",
]
