"""Webhooks against a real HTTP receiver on 127.0.0.1 that fails the first deliveries: every change arrives, in
order, signed with the subscription's secret; nothing is delivered twice after acknowledgement; the status API and
page tell the truth.
"""

import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.audit import audit_verify
from liuguan.core.errors import NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.models import Delivery, Subscription
from liuguan.exchange.services.webhooks import (
    MAX_ATTEMPTS,
    deliveries_enqueue,
    deliveries_send,
    subscription_create,
    subscription_deactivate,
)
from liuguan.exchange.tests.factories import key_for, make_department, make_grant, make_subsystem
from liuguan.exchange.tests.test_feed import change_phone


class Receiver:
    """An HTTP server in a thread that answers 500 to the first `failures` requests, then 200."""

    def __init__(self, failures: int):
        self.failures = failures
        self.received: list[tuple[dict, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = 500 if len(receiver.received) <= receiver.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def police(users):
    """The department user's department (public security) with a subsystem holding a webhook grant for people."""
    subsystem = make_subsystem(users[Role.DEPARTMENT_USER].department, "case-system")
    make_grant(subsystem, "people", fields=["name", "phone"], ways=["webhook"], area="51")
    return subsystem


def cursors_of(received) -> list[int]:
    return [json.loads(body)["event"]["cursor"] for _headers, body in received]


def test_every_change_arrives_signed_in_order_after_failures_and_never_twice(
    users, police, person_in, person_out, person_far
):
    # given: a subscription, then four changes (one in Chongqing, outside the grant's area)
    with Receiver(failures=3) as receiver:
        subscription, secret = subscription_create(
            actor=users[Role.DEPARTMENT_USER], subsystem_id=police.pk, dataset="people", url=receiver.url
        )
        changes = [change_phone(person_in, "13800000001"), change_phone(person_out, "13800000002")]
        change_phone(person_far, "13800000003")
        changes.append(change_phone(person_in, "13800000004"))
        assert deliveries_enqueue() == 3
        assert deliveries_enqueue() == 0
        client = api_client(key_for(police))
        t0 = timezone.now()

        # when: the first attempt fails and later ones wait behind it
        assert deliveries_send(now=t0) == {"delivered": 0, "failed": 1, "gave_up": 0}
        assert deliveries_send(now=t0 + dt.timedelta(seconds=5)) == {"delivered": 0, "failed": 0, "gave_up": 0}
        status = client.get("/api/exchange/subscriptions")
        assert_matches_openapi("GET", "/api/exchange/subscriptions", status)
        [row] = status.json()
        assert (row["pending"], row["failed"], row["delivered"]) == (2, 1, 0)
        assert row["last_error"] == "HTTP 500" and row["last_attempt_at"] is not None

        # two more failures, with a growing wait between attempts, then the receiver accepts
        deliveries_send(now=t0 + dt.timedelta(seconds=31))
        assert deliveries_send(now=t0 + dt.timedelta(seconds=60)) == {"delivered": 0, "failed": 0, "gave_up": 0}
        deliveries_send(now=t0 + dt.timedelta(seconds=92))
        assert deliveries_send(now=t0 + dt.timedelta(seconds=300)) == {"delivered": 3, "failed": 0, "gave_up": 0}
        # much later, nothing is sent again
        assert deliveries_send(now=t0 + dt.timedelta(days=2)) == {"delivered": 0, "failed": 0, "gave_up": 0}

    # then: three failures then each change once, in order
    assert len(receiver.received) == 6
    assert cursors_of(receiver.received) == [changes[0]] * 4 + changes[1:]
    for headers, body in receiver.received:
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Liuguan-Signature"], expected)
        payload = json.loads(body)
        assert headers["X-Liuguan-Delivery"] == str(payload["delivery"])
        assert set(payload["event"]["values"]) == {"name", "phone"}
    assert json.loads(receiver.received[-1][1])["event"]["values"]["phone"] == "13800000004"

    first = Delivery.objects.get(subscription=subscription, event_id=changes[0])
    assert (first.attempts, first.status, first.last_status_code) == (4, "delivered", 200)
    assert first.acknowledged_at is not None
    [row] = client.get("/api/exchange/subscriptions").json()
    assert (row["pending"], row["failed"], row["delivered"], row["gave_up"]) == (0, 0, 3, 0)
    assert row["last_error"] == ""
    # each attempt is in the access log, and the chain holds
    attempts = AuditEvent.objects.filter(action="exchange.webhook", actor_id=police.account_id)
    assert attempts.count() == 6 and attempts.filter(changes__outcome="failed").count() == 3
    assert audit_verify().ok

    # the department's status page shows the same
    page = login(users[Role.DEPARTMENT_USER]).get("/exchange/subscriptions/")
    assert page.status_code == 200
    html = page.content.decode()
    assert receiver.url in html and 'data-delivered="3"' in html and 'data-failed="0"' in html


def test_an_acknowledged_delivery_is_never_sent_again(users, police, person_in):
    with Receiver(failures=100) as receiver:
        subscription, _secret = subscription_create(
            actor=users[Role.DEPARTMENT_USER], subsystem_id=police.pk, dataset="people", url=receiver.url
        )
        change_phone(person_in, "13800000001")
        deliveries_enqueue()
        t0 = timezone.now()
        deliveries_send(now=t0)
        delivery = Delivery.objects.get(subscription=subscription)
        assert delivery.status == "failed"

        # another subsystem cannot acknowledge it; its own key can
        other = make_subsystem(make_department("health", "卫生健康委员会"), "hospital")
        assert api_client(key_for(other)).post(f"/api/exchange/deliveries/{delivery.pk}/ack").status_code == 404
        response = api_client(key_for(police)).post(f"/api/exchange/deliveries/{delivery.pk}/ack")
        assert response.status_code == 200, response.content
        assert_matches_openapi("POST", f"/api/exchange/deliveries/{delivery.pk}/ack", response)
        assert response.json()["status"] == "delivered"

        for minutes in (1, 10, 100, 1000):
            deliveries_send(now=t0 + dt.timedelta(minutes=minutes))

    assert len(receiver.received) == 1
    assert AuditEvent.objects.filter(action="delivery.acknowledge", object_id=str(delivery.pk)).count() == 1


def test_after_max_attempts_the_delivery_is_given_up_and_the_next_goes_out(users, police, person_in):
    with Receiver(failures=MAX_ATTEMPTS) as receiver:
        subscription, _secret = subscription_create(
            actor=users[Role.DEPARTMENT_USER], subsystem_id=police.pk, dataset="people", url=receiver.url
        )
        first = change_phone(person_in, "13800000001")
        second = change_phone(person_in, "13800000002")
        deliveries_enqueue()
        now = timezone.now()
        for _ in range(MAX_ATTEMPTS + 1):
            deliveries_send(now=now)
            now += dt.timedelta(hours=7)

    assert cursors_of(receiver.received) == [first] * MAX_ATTEMPTS + [second]
    statuses = dict(Delivery.objects.filter(subscription=subscription).values_list("event_id", "status"))
    assert statuses == {first: "gave_up", second: "delivered"}


def test_a_subscription_needs_a_webhook_grant_and_the_log_shows_the_refusal(users, person_in):
    subsystem = make_subsystem(users[Role.DEPARTMENT_USER].department, "no-webhook")
    make_grant(subsystem, "people", fields=["name"], ways=["feed"])

    response = api_client(key_for(subsystem)).post(
        "/api/exchange/subscriptions", {"dataset": "people", "url": "http://127.0.0.1:9/hook"},
        content_type="application/json",
    )  # fmt: skip

    assert response.status_code == 403
    assert not Subscription.objects.exists()
    refusal = AuditEvent.objects.get(action="exchange.subscribe")
    assert refusal.changes["outcome"] == "refused" and refusal.changes["subsystem"] == "no-webhook"


def test_subscriptions_are_managed_by_their_own_department_only(users, police):
    outsider = make_subsystem(make_department("health", "卫生健康委员会"), "hospital")
    with pytest.raises(NotFound):
        subscription_create(actor=outsider.account, subsystem_id=police.pk, dataset="people", url="http://127.0.0.1/h")
    with pytest.raises(PermissionDenied):
        subscription_create(actor=users[Role.COLLECTOR], subsystem_id=police.pk, dataset="people", url="http://x.cn/")
    response = api_client(key_for(police)).post(
        "/api/exchange/subscriptions", {"dataset": "people", "url": "ftp://127.0.0.1/hook"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422 and response.json()["detail"][0]["rule"] == "exchange.url_invalid"

    created = api_client(key_for(police)).post(
        "/api/exchange/subscriptions", {"dataset": "people", "url": "http://127.0.0.1:9/hook"},
        content_type="application/json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert_matches_openapi("POST", "/api/exchange/subscriptions", created)
    subscription = Subscription.objects.get(pk=created.json()["id"])
    assert created.json()["secret"] == subscription.secret
    assert AuditEvent.objects.get(action="subscription.create").changes.get("secret") is None
    assert api_client(key_for(outsider)).get("/api/exchange/subscriptions").json() == []

    subscription_deactivate(actor=users[Role.DEPARTMENT_USER], subscription_id=subscription.pk)
    subscription.refresh_from_db()
    assert subscription.active is False


def test_the_page_subscribes_and_shows_the_secret_once(users, police):
    client = login(users[Role.DEPARTMENT_USER])

    response = client.post(
        "/exchange/subscriptions/", {"subsystem": police.pk, "dataset": "people", "url": "http://127.0.0.1:9/hook"}
    )

    assert response.status_code == 200, response.content.decode()[:2000]
    subscription = Subscription.objects.get()
    assert subscription.secret in response.content.decode()
    again = client.get("/exchange/subscriptions/").content.decode()
    assert "http://127.0.0.1:9/hook" in again and subscription.secret not in again

    refused = client.post(
        "/exchange/subscriptions/", {"subsystem": police.pk, "dataset": "houses", "url": "http://127.0.0.1:9/h"}
    )
    assert refused.status_code == 422 and Subscription.objects.count() == 1

    client.post(f"/exchange/subscriptions/{subscription.pk}/deactivate/")
    subscription.refresh_from_db()
    assert subscription.active is False
    assert login(users[Role.COLLECTOR]).get("/exchange/subscriptions/").status_code == 403
