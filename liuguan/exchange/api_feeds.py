"""The hub's change feeds, webhook subscriptions and bulk extracts as JSON (and CSV/Parquet for extracts).

Subsystems call with their keys (bearer tokens of their service accounts). Who the end user is and which case
a call serves travel in the headers `X-Liuguan-End-User` and `X-Liuguan-Case`; both go into the access log.
"""

import datetime as dt
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from ninja import Field, Router, Schema, Status

from liuguan.core.errors import PermissionDenied
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import ERRORS, responses

from .hub import subsystem_of
from .selectors_feeds import subscription_statuses
from .services import extracts, feeds, webhooks

router = Router(tags=["exchange"])


def _subsystem(request):
    subsystem = subsystem_of(request.user)
    if subsystem is None:
        raise PermissionDenied()
    return subsystem


def _who(request) -> dict:
    return {
        "end_user": request.headers.get("X-Liuguan-End-User", ""),
        "case_ref": request.headers.get("X-Liuguan-Case", ""),
    }


class FeedEventOut(Schema):
    cursor: int = Field(..., description="the change's number in the audit chain; pass it as `after` to go on")
    occurred_at: dt.datetime
    action: str
    object_type: str
    object_id: str
    values: dict[str, Any] = Field(..., description="the record's current values, only the granted fields")


class FeedOut(Schema):
    dataset: str
    events: list[FeedEventOut]
    next_cursor: int = Field(..., description="read on with after=next_cursor; acknowledge it when processed")
    more: bool


class AckIn(Schema):
    cursor: int


class FeedPositionOut(Schema):
    dataset: str
    acknowledged: int


@router.get("/feeds/{dataset}", response=responses(FeedOut), summary="Read a dataset's change feed")
@endpoint("exchange.use")
def feed(request, dataset: str, after: int | None = None, limit: int = 100):
    """Changes after the cursor (after the acknowledged position when no cursor is given), oldest first, each
    with the record's current granted fields; records outside the grant's area are left out. Replayable.
    """
    page = feeds.feed_read(subsystem=_subsystem(request), dataset=dataset, after=after, limit=limit, **_who(request))
    return {"dataset": dataset, "events": page.events, "next_cursor": page.next_cursor, "more": page.more}


@router.post("/feeds/{dataset}/ack", response=responses(FeedPositionOut), summary="Acknowledge a feed cursor")
@endpoint("exchange.use")
def feed_ack(request, dataset: str, payload: AckIn):
    position = feeds.feed_ack(subsystem=_subsystem(request), dataset=dataset, cursor=payload.cursor, **_who(request))
    return {"dataset": dataset, "acknowledged": position.acknowledged}


class SubscriptionIn(Schema):
    subsystem_id: int | None = Field(None, description="a department user names the subsystem; a key needs not")
    dataset: str
    url: str


class SubscriptionStatusOut(Schema):
    id: int
    subsystem: str
    dataset: str
    url: str
    active: bool
    cursor: int
    pending: int
    delivered: int
    failed: int = Field(..., description="failed and waiting for a retry")
    gave_up: int
    acknowledged: int
    last_attempt_at: dt.datetime | None
    last_error: str


class SubscriptionCreatedOut(Schema):
    id: int
    dataset: str
    url: str
    secret: str = Field(..., description="the signing secret, shown this once: keep it")
    signature_header: str = webhooks.SIGNATURE_HEADER


class DeliveryOut(Schema):
    id: int
    event_id: int
    status: str
    attempts: int
    delivered_at: dt.datetime | None
    acknowledged_at: dt.datetime | None


def _status_out(item) -> dict:
    s = item.subscription
    return {
        "id": s.pk,
        "subsystem": str(s.subsystem),
        "dataset": s.dataset_id,
        "url": s.url,
        "active": s.active,
        "cursor": s.cursor,
        "pending": item.pending,
        "delivered": item.delivered,
        "failed": item.failed,
        "gave_up": item.gave_up,
        "acknowledged": item.acknowledged,
        "last_attempt_at": item.last_attempt_at,
        "last_error": item.last_error,
    }


@router.get("/subscriptions", response=responses(list[SubscriptionStatusOut]), summary="Webhook delivery status")
@endpoint("exchange.use")
def subscription_list(request):
    """Per subscription: deliveries pending, delivered, failed (retrying), given up; the last attempt and error."""
    return [_status_out(item) for item in subscription_statuses(request.user)]


@router.post("/subscriptions", response=responses(SubscriptionCreatedOut, 201), summary="Subscribe a webhook")
@endpoint("exchange.use")
def subscription_create(request, payload: SubscriptionIn):
    subsystem_id = payload.subsystem_id
    if subsystem_id is None:
        subsystem_id = _subsystem(request).pk
    subscription, secret = webhooks.subscription_create(
        actor=request.user, subsystem_id=subsystem_id, dataset=payload.dataset, url=payload.url
    )
    return Status(
        201, {"id": subscription.pk, "dataset": subscription.dataset_id, "url": subscription.url, "secret": secret}
    )


@router.post(
    "/subscriptions/{subscription_id}/deactivate", response=responses(SubscriptionStatusOut), summary="Stop a webhook"
)
@endpoint("exchange.use")
def subscription_deactivate(request, subscription_id: int):
    webhooks.subscription_deactivate(actor=request.user, subscription_id=subscription_id)
    item = next(i for i in subscription_statuses(request.user) if i.subscription.pk == subscription_id)
    return _status_out(item)


@router.post("/deliveries/{delivery_id}/ack", response=responses(DeliveryOut), summary="Acknowledge a delivery")
@endpoint("exchange.use")
def delivery_ack(request, delivery_id: int):
    """The receiver has the change: it is never delivered again."""
    delivery = webhooks.delivery_ack(subsystem=_subsystem(request), delivery_id=delivery_id)
    return {
        "id": delivery.pk,
        "event_id": delivery.event_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "delivered_at": delivery.delivered_at,
        "acknowledged_at": delivery.acknowledged_at,
    }


def _binary(content_type: str, description: str) -> dict:
    return {
        "responses": {
            "200": {"description": description, "content": {content_type: {"schema": {"type": "string"}}}},
        }
    }


@router.get(
    "/extracts/{dataset}.csv",
    response=dict(ERRORS),
    summary="Bulk extract as CSV",
    openapi_extra=_binary("text/csv", "every record inside the grant's area, granted fields only; streamed"),
)
@endpoint("exchange.use")
def extract_csv(request, dataset: str):
    stream = extracts.extract_csv(subsystem=_subsystem(request), dataset=dataset, **_who(request))
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{dataset}.csv"'
    return response


@router.get(
    "/extracts/{dataset}.parquet",
    response=dict(ERRORS),
    summary="Bulk extract as Parquet",
    openapi_extra=_binary("application/vnd.apache.parquet", "every record inside the grant's area, granted fields"),
)
@endpoint("exchange.use")
def extract_parquet(request, dataset: str):
    result = extracts.extract_parquet(subsystem=_subsystem(request), dataset=dataset, **_who(request))
    response = FileResponse(
        result.file, content_type="application/vnd.apache.parquet", as_attachment=True, filename=f"{dataset}.parquet"
    )
    response["Content-Length"] = str(result.size)
    response["X-Liuguan-Rows"] = str(result.rows)
    response["X-Liuguan-Sha256"] = result.sha256
    return response
