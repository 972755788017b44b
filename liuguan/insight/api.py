"""Macro decision over the API: the dashboard's panels, forecasts and reports (OpenAPI under /api/insight)."""

from ninja import Router

router = Router(tags=["insight"])
