"""The message kinds instances exchange, and what applying each one does here.

Each kind has one handler: `handler(*, peer, message_id, payload) -> dict`, run by the inbox inside the
transaction that records the message, so a message is applied exactly once or not at all. A handler raises
`InvalidInput` for a payload it cannot apply (the sender is told, and does not retry); the dict it returns is
the inbox row's result and goes back to the sender in the signed receipt.

Payloads are JSON. A person travels as `{"doc_type", "doc_number", "name", "sex", "birth_date", "hukou_code"}`
(dates ISO 8601); a division as its code and, since the receiver may not hold the sender's divisions, its
names (`"destination_name": "重庆市万州区太白社区"`).
"""

from collections.abc import Callable

INFLOW_REGISTERED = "inflow.registered"  # destination → origin: their person registered a stay here
DEPARTURE = "departure"  # destination → origin: that stay ended
OUTFLOW_NOTICE = "outflow.notice"  # origin → expected destination: one of ours lives (or is going) there
OFFENCE_NOTICE = "offence.notice"  # destination police → origin: an offence by one of their people
BULLETIN_HIT = "bulletin.hit"  # destination → origin: one of their people matched a bulletin here
PERSON_QUERY = "person.query"  # either way: the basic data of a person, if the grant allows
PERSON_REPLY = "person.reply"  # the answer to a query

KINDS = (INFLOW_REGISTERED, DEPARTURE, OUTFLOW_NOTICE, OFFENCE_NOTICE, BULLETIN_HIT, PERSON_QUERY, PERSON_REPLY)

Handler = Callable[..., dict]
HANDLERS: dict[str, Handler] = {}


def handles(kind: str):
    """Register the handler of a message kind (one per kind)."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind}")

    def decorator(func: Handler) -> Handler:
        if kind in HANDLERS:
            raise ValueError(f"message kind {kind} already has a handler")
        HANDLERS[kind] = func
        return func

    return decorator
