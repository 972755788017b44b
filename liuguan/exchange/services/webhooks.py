"""Webhook subscriptions (GovStack's publish/subscribe): the hub turns a dataset's changes into deliveries for
each subscriber with a webhook grant and POSTs them in order, signed with the subscription's secret, retrying
with exponential backoff until the receiver answers 2xx or acknowledges; after that nothing is sent again.
"""

import datetime as dt
import json
import secrets
import urllib.error
import urllib.request

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core import crypto
from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditChainHead

from ..hub import access_log, grants_for, subsystem_of
from ..models import Dataset, Delivery, Subscription, Subsystem, Way
from ..selectors_feeds import events_by_id, feed_page, render_events
from .feeds import call_context

MAX_ATTEMPTS = 8
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=6)
TIMEOUT_SECONDS = 5
# A delivery being sent is leased for this long, so two workers never send it at once.
LEASE = dt.timedelta(seconds=60)
SIGNATURE_HEADER = "X-Liuguan-Signature"
DELIVERY_HEADER = "X-Liuguan-Delivery"


def _manageable_subsystem(actor, subsystem_id) -> Subsystem:
    """A subsystem the actor may manage subscriptions for: its own department's (or its own, for a service
    account), any for an exchange administrator. Others look like missing ones.
    """
    if actor is None or not (actor.can("exchange.use") or actor.can("exchange.admin")):
        raise PermissionDenied()
    subsystem = Subsystem.objects.select_related("department").filter(pk=subsystem_id, active=True).first()
    if subsystem is None:
        raise NotFound()
    own = subsystem_of(actor)
    if own is not None:
        if own.pk != subsystem.pk:
            raise NotFound()
    elif not actor.can("exchange.admin") and actor.department_id != subsystem.department_id:
        raise NotFound()
    return subsystem


def signature(secret: str, body: bytes, algorithm: str | None = None) -> str:
    """The signature header's value: `<hash>=<hex>`, the HMAC of the exact body with the subscription's secret;
    the hash is settings.LIUGUAN_HASH (`sha256=` by default, `sm3=` for HMAC-SM3).
    """
    hash_ = crypto.hash_algorithm(algorithm)
    return f"{hash_.name}=" + hash_.hmac(secret.encode(), body).hex()


def subscription_create(*, actor, subsystem_id, dataset: str, url: str) -> tuple[Subscription, str]:
    """A webhook needs a grant with the webhook way; it receives changes from now on. The signing secret is
    returned here once and never shown again.
    """
    subsystem = _manageable_subsystem(actor, subsystem_id)
    problems = []
    catalogue = Dataset.objects.filter(code=dataset).first()
    if catalogue is None:
        problems.append(FieldProblem("dataset", "exchange.dataset_unknown", _("Not a dataset of the catalogue")))
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        problems.append(FieldProblem("url", "exchange.url_invalid", _("An http or https address")))
    if len(url) > 400:
        problems.append(FieldProblem("url", "exchange.url_long", _("At most 400 characters")))
    if problems:
        raise InvalidInput(problems)
    grants = grants_for(subsystem, dataset, Way.WEBHOOK)
    if not grants:
        context = call_context(subsystem, grants, end_user=actor.username)
        request = {"dataset": dataset, "url": url}
        access_log(
            context=context,
            action="exchange.subscribe",
            dataset=dataset,
            outcome="refused",
            request=request,
            response={},
        )
        raise PermissionDenied()
    secret = secrets.token_hex(32)
    with transaction.atomic():
        head = AuditChainHead.objects.filter(pk=1).values_list("last_event_id", flat=True).first() or 0
        subscription = Subscription.objects.create(
            subsystem=subsystem, dataset=catalogue, url=url, secret=secret, cursor=head
        )
        audit_record(
            actor=actor,
            action="subscription.create",
            obj=subscription,
            changes={"subsystem": str(subsystem), "dataset": dataset, "url": url, "cursor": head},
        )
    return subscription, secret


@transaction.atomic
def subscription_deactivate(*, actor, subscription_id) -> Subscription:
    """A deactivated subscription gets no new deliveries and none of its waiting ones are sent."""
    subscription = Subscription.objects.select_for_update().filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound()
    _manageable_subsystem(actor, subscription.subsystem_id)
    if subscription.active:
        subscription.active = False
        subscription.save(update_fields=["active"])
        audit_record(actor=actor, action="subscription.deactivate", obj=subscription, changes={"active": [True, False]})
    return subscription


def deliveries_enqueue(*, page: int = 500) -> int:
    """Turn each active subscription's new changes (those its webhook grants let it see) into deliveries and
    move its cursor past them. Returns how many deliveries were made.
    """
    made = 0
    for subscription in Subscription.objects.filter(active=True).select_related("subsystem", "dataset"):
        grants = grants_for(subscription.subsystem, subscription.dataset_id, Way.WEBHOOK)
        if not grants or not subscription.subsystem.active:
            continue
        more = True
        while more:
            with transaction.atomic():
                locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
                result = feed_page(subscription.dataset, grants, after=locked.cursor, limit=page)
                more = result.more
                if result.next_cursor == locked.cursor:
                    break
                rows = [Delivery(subscription=locked, event_id=e.cursor) for e in result.events]
                Delivery.objects.bulk_create(rows, ignore_conflicts=True)
                Subscription.objects.filter(pk=locked.pk).update(cursor=result.next_cursor)
                audit_record(
                    actor=subscription.subsystem.account,
                    action="subscription.enqueue",
                    obj=locked,
                    changes={"cursor": [locked.cursor, result.next_cursor], "deliveries": len(rows)},
                    source="task",
                )
                made += len(rows)
    return made


def _due() -> Q:
    return Q(status__in=[Delivery.Status.PENDING, Delivery.Status.FAILED], acknowledged_at__isnull=True)


def _backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int | None, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (http/https only)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        return None, str(getattr(exc, "reason", exc))[:300]


def delivery_body(subscription: Subscription, delivery: Delivery, event) -> bytes:
    """The JSON a receiver gets: the change and the record's current granted fields."""
    payload = {
        "delivery": delivery.pk,
        "subscription": subscription.pk,
        "dataset": subscription.dataset_id,
        "event": {
            "cursor": event.cursor,
            "occurred_at": event.occurred_at,
            "action": event.action,
            "object_type": event.object_type,
            "object_id": event.object_id,
            "values": event.values,
        },
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True).encode()


def _claim(delivery: Delivery, now: dt.datetime) -> bool:
    """Lease the delivery to this worker; False when another worker has it or it was settled meanwhile."""
    claimed = (
        Delivery.objects.filter(pk=delivery.pk)
        .filter(_due())
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(next_attempt_at=now + LEASE)
    )
    return claimed == 1


def _settle(subscription, delivery, context, *, status, code, error, now, body, event_id) -> None:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = code
    delivery.last_error = error[:300]
    if status == Delivery.Status.DELIVERED:
        delivery.status = status
        delivery.delivered_at = now
        delivery.acknowledged_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS or status == Delivery.Status.GAVE_UP:
        delivery.status = Delivery.Status.GAVE_UP
        delivery.next_attempt_at = None
    else:
        delivery.status = Delivery.Status.FAILED
        delivery.next_attempt_at = now + _backoff(delivery.attempts)
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk, acknowledged_at__isnull=True).update(
            attempts=delivery.attempts,
            last_attempt_at=now,
            last_status_code=code,
            last_error=delivery.last_error,
            status=delivery.status,
            delivered_at=delivery.delivered_at,
            acknowledged_at=delivery.acknowledged_at,
            next_attempt_at=delivery.next_attempt_at,
        )
        access_log(
            context=context,
            action="exchange.webhook",
            dataset=subscription.dataset_id,
            outcome=delivery.status,
            request=body,
            response={"status": code, "error": delivery.last_error},
            extra={"delivery": delivery.pk, "event": event_id, "attempt": delivery.attempts, "url": subscription.url},
        )


def deliveries_send(*, now: dt.datetime | None = None, batch: int = 100, timeout: float = TIMEOUT_SECONDS) -> dict:
    """POST each active subscription's due deliveries in change order; a failure stops that subscription until
    its retry is due (later changes wait behind it), and after MAX_ATTEMPTS the delivery is given up. Each
    attempt is in the access log. Returns counts by outcome.
    """
    now = now or timezone.now()
    counts = {"delivered": 0, "failed": 0, "gave_up": 0}
    subscriptions = Subscription.objects.filter(active=True, subsystem__active=True).select_related(
        "subsystem__department", "subsystem__account", "dataset"
    )
    for subscription in subscriptions:
        waiting = list(subscription.deliveries.filter(_due()).order_by("event_id")[:batch])
        if not waiting:
            continue
        grants = grants_for(subscription.subsystem, subscription.dataset_id, Way.WEBHOOK)
        context = call_context(subscription.subsystem, grants, end_user="webhook")
        events, _withheld = render_events(events_by_id([d.event_id for d in waiting]), grants)
        rendered = {e.cursor: e for e in events}
        for delivery in waiting:
            if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
                break
            if not _claim(delivery, now):
                break
            event = rendered.get(delivery.event_id)
            if event is None:
                # The grant no longer covers this record (revoked, expired, narrowed): it is not sent.
                _settle(
                    subscription, delivery, context, status=Delivery.Status.GAVE_UP, code=None, now=now, body={},
                    error="no grant in force covers this change", event_id=delivery.event_id,
                )  # fmt: skip
                counts["gave_up"] += 1
                continue
            body = delivery_body(subscription, delivery, event)
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: signature(subscription.secret, body),
                DELIVERY_HEADER: str(delivery.pk),
                "User-Agent": "liuguan-hub",
            }
            code, error = _post(subscription.url, body, headers, timeout)
            ok = code is not None and 200 <= code < 300
            status = Delivery.Status.DELIVERED if ok else Delivery.Status.FAILED
            _settle(
                subscription, delivery, context, status=status, code=code, error=error, now=now, body=body,
                event_id=delivery.event_id,
            )  # fmt: skip
            delivery.refresh_from_db(fields=["status"])
            counts[delivery.status if delivery.status in counts else "failed"] += 1
            if not ok:
                break
    return counts


def delivery_ack(*, subsystem: Subsystem, delivery_id: int) -> Delivery:
    """The receiver has the change: it is delivered and never sent again. Another subsystem's looks missing."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update()
            .filter(pk=delivery_id, subscription__subsystem=subsystem)
            .select_related("subscription")
            .first()
        )
        if delivery is None:
            raise NotFound()
        if delivery.acknowledged_at is None:
            now = timezone.now()
            before = delivery.status
            delivery.acknowledged_at = now
            delivery.delivered_at = delivery.delivered_at or now
            delivery.status = Delivery.Status.DELIVERED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["acknowledged_at", "delivered_at", "status", "next_attempt_at"])
            audit_record(
                actor=subsystem.account,
                action="delivery.acknowledge",
                obj=delivery,
                changes={"status": [before, delivery.status], "event": delivery.event_id},
                source="api",
            )
    return delivery
