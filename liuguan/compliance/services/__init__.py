"""Writes of housing and employment duties; each runs in one transaction and leaves an audit event."""

from .holders import duty_holder_create
from .reports import (
    MAX_GUEST_ROWS,
    BatchResult,
    ForeignDocInput,
    ReportingDeadlines,
    ReportInput,
    ReportResult,
    RowOutcome,
    disagreement_resolve,
    duty_report,
    hotel_guests_batch,
    stay_close,
)
from .tenancy import TenancyEnd, TenantInput, filing_number_next, tenancy_end, tenancy_file

__all__ = [
    "MAX_GUEST_ROWS",
    "BatchResult",
    "ForeignDocInput",
    "ReportInput",
    "ReportResult",
    "ReportingDeadlines",
    "RowOutcome",
    "TenancyEnd",
    "TenantInput",
    "disagreement_resolve",
    "duty_holder_create",
    "duty_report",
    "filing_number_next",
    "hotel_guests_batch",
    "stay_close",
    "tenancy_end",
    "tenancy_file",
]
