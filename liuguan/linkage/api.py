"""Entity resolution over the API: runs, the review queue and merges (OpenAPI under /api/linkage)."""

from ninja import Router

router = Router(tags=["linkage"])
