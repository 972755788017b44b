"""The hub for departments' machines: verification (yes or no), query by document number, and the access log.

A subsystem calls with its key (Authorization: Bearer lg_...). Every verification and query states who asks and
why in the JSON body — `purpose`, `case_ref` (the case or file the call serves, X-Road's "issue") and `end_user`
(the official at the department's side) — and every call, refused ones included, is one event of the audit hash
chain. Each call counts against the subsystem's rate limit (429 with Retry-After past it).
"""

import datetime as dt

from django.db import transaction
from ninja import Field, Query, Router, Schema

from liuguan.core.errors import DomainError, PermissionDenied
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses

from . import hub, selectors

router = Router(tags=["exchange"])


class CallIn(Schema):
    purpose: str = Field("", description="why the call is made; required for queries (defaults to the grant's)")
    case_ref: str = Field("", description="the case or file the call serves; required for queries")
    end_user: str = Field("", description="the official at the department's side on whose behalf the call is made")


class VerifyIn(CallIn):
    doc_type: str = Field("citizen_id", description="citizen_id, hmt_resident, foreign_pr or passport")
    doc_number: str
    area_code: str | None = Field(None, description="a division inside the grant's area; the grant's area if empty")


class VerifyOut(Schema):
    answer: bool = Field(..., description="whether the holder has a current stay inside the area")


class QueryIn(CallIn):
    doc_type: str = Field("citizen_id", description="people and stays: the document type")
    doc_number: str = Field("", description="people and stays: the document number")
    id: int | None = Field(None, description="houses (required) and employers: the record's id")
    credit_code: str = Field("", description="employers: the unified social credit code")


class QueryOut(Schema):
    dataset: str
    records: list[dict[str, str | int | bool | None]] = Field(
        ..., description="only records inside the grants' areas, each with only the granted fields"
    )


class LogEntryOut(Schema):
    id: int
    occurred_at: dt.datetime
    action: str
    department: str
    subsystem: str
    end_user: str
    purpose: str
    case_ref: str
    dataset: str
    outcome: str = Field(..., description="answered, empty, refused or invalid")
    request_sha256: str
    response_sha256: str


class LogFilter(Schema):
    department: str | None = Field(None, description="auditors and the province administrator: one department")
    dataset: str | None = None
    before_id: int | None = Field(None, description="page back: entries older than this id")
    limit: int = Field(100, ge=1, le=500)


def _call(request, body: CallIn, answer):
    """Count the call against the rate limit, answer it and log it in one transaction: one commit per call, and
    a refusal's log event is committed before the refusal is raised.
    """
    subsystem = hub.subsystem_of(request.user)
    if subsystem is None:
        raise PermissionDenied()
    context = hub.CallContext(subsystem=subsystem, end_user=body.end_user, purpose=body.purpose, case_ref=body.case_ref)
    refusal = None
    with transaction.atomic():
        try:
            hub.rate_check(subsystem)
            result = answer(context)
        except DomainError as exc:
            refusal = exc
    if refusal is not None:
        raise refusal
    return result


@router.post("/verify/residence", response=responses(VerifyOut))
@endpoint("exchange.use")
def verify_residence(request, body: VerifyIn):
    """Yes or no: does the person have a current stay inside the area? Needs a grant on `residence` for
    `verify`; an area outside every grant is refused (403) and logged.
    """
    answer = _call(
        request,
        body,
        lambda context: selectors.residence_verify(
            context=context, doc_type=body.doc_type, doc_number=body.doc_number, area_code=body.area_code
        ),
    )
    return {"answer": answer}


@router.post("/query/{dataset}", response=responses(QueryOut))
@endpoint("exchange.use")
def query(request, dataset: str, body: QueryIn):
    """Records of people or stays by document, houses by id, employers by credit code or id, within a grant of
    the dataset for `query`: only granted fields, only inside the grant's area. `purpose` and `case_ref` are
    required.
    """
    key = selectors.QueryKey(
        doc_type=body.doc_type, doc_number=body.doc_number, record_id=body.id, credit_code=body.credit_code
    )
    records = _call(request, body, lambda context: selectors.records_query(context=context, dataset=dataset, key=key))
    return {"dataset": dataset, "records": records}


@router.get("/log", response=responses(list[LogEntryOut]))
@endpoint("exchange.log")
def access_log(request, filters: Query[LogFilter]):
    """The access log, newest first: a department's own calls; every department's for auditors and the province
    administrator.
    """
    return selectors.access_log_list(
        user=request.user,
        department=filters.department,
        dataset=filters.dataset,
        before_id=filters.before_id,
        limit=filters.limit,
    )
