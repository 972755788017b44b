"""Open data for departments through the exchange hub: aggregates with small counts suppressed."""

from ninja import Router

router = Router(tags=["exchange"])
