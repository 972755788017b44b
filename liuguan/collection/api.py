"""Collection endpoints (batch import) — filled in by the collection work."""

from ninja import Router

router = Router(tags=["collection"])
