"""Open data for departments through the exchange hub: aggregates with small counts suppressed.

A subsystem calls with its key and a grant on `open_aggregates` (way `extract`; the grant's fields are the tables
it may read, its area where). Counts below the area's k are withheld (null), with the complementary ones that
would let them be worked out (see `insight/opendata.py`). Every call, refused ones included, is one event of the
access log; each counts against the subsystem's rate limit.
"""

import datetime as dt

from django.db import transaction
from ninja import Field, Query, Router, Schema

from liuguan.core.errors import DomainError, PermissionDenied
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.exchange import hub

from . import opendata

router = Router(tags=["exchange"])


class OpenQuery(Schema):
    area: str = Field("", description="a division inside the grant's area; the grant's area if empty")
    purpose: str = Field("", description="why the call is made (defaults to the grant's)")
    case_ref: str = Field("", description="the case or file the call serves")
    end_user: str = Field("", description="the official at the department's side on whose behalf the call is made")


class TablesQuery(OpenQuery):
    tables: str = Field("", description="comma-separated table codes; every granted table if empty")


class TableOut(Schema):
    code: str
    title: str
    rows: list[str]
    row_keys: list[str]
    columns: list[str]
    values: list[list[int | None]] = Field(..., description="counts by row and column; null where withheld")
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    withheld: int = Field(..., description="how many counts of the table are withheld")


class OpenTablesOut(Schema):
    area: str
    area_name: str
    k: int = Field(..., description="the smallest count shown in this area (k-anonymity)")
    as_of: dt.datetime | None = Field(None, description="the figures hold every write up to this time")
    tables: list[TableOut]


def _call(request, query: OpenQuery, tables: list[str]) -> dict:
    """Count the call against the rate limit, answer and log it in one transaction; a refusal's log event is
    committed before the refusal is raised.
    """
    subsystem = hub.subsystem_of(request.user)
    if subsystem is None:
        raise PermissionDenied()
    context = hub.CallContext(
        subsystem=subsystem, end_user=query.end_user, purpose=query.purpose, case_ref=query.case_ref
    )
    refusal = None
    with transaction.atomic():
        try:
            hub.rate_check(subsystem)
            result = opendata.open_tables(context=context, area=query.area, tables=tables)
        except DomainError as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    return result


@router.get("/open/tables", response=responses(OpenTablesOut))
@endpoint("exchange.use")
def open_tables(request, query: Query[TablesQuery]):
    """The granted aggregate tables of an area (stock by area below, age and sex, hukou province, reason,
    industry, house kind, tenancy filings, permits, rights used, schools), small counts withheld.
    """
    return _call(request, query, [t for t in query.tables.split(",") if t.strip()])


@router.get("/open/tables/{code}", response=responses(OpenTablesOut))
@endpoint("exchange.use")
def open_table(request, code: str, query: Query[OpenQuery]):
    """One granted aggregate table of an area, small counts withheld."""
    return _call(request, query, [code])
