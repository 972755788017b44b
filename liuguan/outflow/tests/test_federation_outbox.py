"""The outbox: each message goes to its peer in order, counts as delivered only on the peer's signed receipt for
exactly that request, and is retried with backoff until it is given up after seven days.
"""

import datetime as dt
import hashlib
import json

import pytest
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM
from liuguan.core.errors import Conflict, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.outflow import keys
from liuguan.outflow.models import OutboxMessage
from liuguan.outflow.services import outbox
from liuguan.outflow.services.messages import OUTFLOW_NOTICE
from liuguan.outflow.services.outbox import PeerAnswer, message_enqueue, outbox_retry, outbox_send

from .federation_support import PeerKey


class FakePeer:
    """Stands in for the peer's server: answers each POST as told, signing with the peer's key."""

    def __init__(self, key: PeerKey, monkeypatch):
        self.key = key
        self.posts = []
        self.answer = "applied"
        monkeypatch.setattr(outbox, "_post", self.post)

    def post(self, url, body, headers, timeout):
        self.posts.append((url, body, headers))
        if self.answer is None:
            return PeerAnswer(None, error="Connection refused")
        if callable(self.answer):
            return self.answer(body)
        status = {"applied": 200, "duplicate": 200, "rejected": 422, "refused": 401}[self.answer]
        data = {"instance": "CN-50", "id": json.loads(body)["id"], "request_hash": hashlib.sha256(body).hexdigest()}
        data |= {"status": self.answer}
        if self.answer == "rejected":
            data["problems"] = [{"field": "doc_number", "rule": "x", "message": "unknown"}]
        if self.answer == "refused":
            data["reason"] = "bad_signature"
        return self.signed(status, data)

    def signed(self, status, data, key=None):
        answer = json.dumps(data).encode()
        return PeerAnswer(status, answer, (key or self.key).sign(answer))

    def sent(self):
        return [json.loads(body) for _url, body, _headers in self.posts]


@pytest.fixture
def fake(peer, peer_key, monkeypatch):
    return FakePeer(peer_key, monkeypatch)


def _enqueue(peer, n=1):
    return [
        message_enqueue(peer=peer, kind=OUTFLOW_NOTICE, payload={"origin_ref": f"r{i}"}, subject=f"person:{i}")
        for i in range(n)
    ]


def _fresh(message):
    message.refresh_from_db()
    return message


def test_a_signed_receipt_for_the_request_marks_it_delivered(peer, fake):
    (message,) = _enqueue(peer)
    assert outbox_send() == {"delivered": 1, "rejected": 0, "retry": 0, "dead": 0}
    url, body, headers = fake.posts[0]
    assert url == "http://127.0.0.1:9/federation/inbox"
    envelope = json.loads(body)
    assert (envelope["v"], envelope["from"], envelope["to"], envelope["kind"]) == (1, "CN-51", "CN-50", OUTFLOW_NOTICE)
    assert envelope["id"] == str(message.message_id) and envelope["payload"] == {"origin_ref": "r0"}
    assert keys.verify(keys.public_key_b64(), body, keys.signature_from_header(headers["X-Liuguan-Signature"]))
    message = _fresh(message)
    assert (message.status, message.attempts, message.last_error) == ("delivered", 1, "")
    assert message.receipt["request_hash"] == hashlib.sha256(body).hexdigest()
    event = AuditEvent.objects.get(action="federation.deliver")
    assert event.object_id == str(message.pk) and event.changes["peer"] == "CN-50"
    assert outbox_send() == {"delivered": 0, "rejected": 0, "retry": 0, "dead": 0} and len(fake.posts) == 1


def test_a_forged_or_misdirected_receipt_does_not_count(peer, fake):
    (message,) = _enqueue(peer)
    forger = PeerKey()

    def forged(body):
        data = {"id": json.loads(body)["id"], "request_hash": hashlib.sha256(body).hexdigest(), "status": "applied"}
        return fake.signed(200, data, key=forger)

    def other_request(body):
        data = {"id": json.loads(body)["id"], "request_hash": hashlib.sha256(b"another").hexdigest()}
        return fake.signed(200, data | {"status": "applied"})

    def unsigned(body):
        return PeerAnswer(200, json.dumps({"status": "applied"}).encode(), "")

    now = timezone.now()
    for attempt, answer in enumerate((forged, other_request, unsigned), start=1):
        fake.answer = answer
        assert outbox_send(now=now)["retry"] == 1
        message = _fresh(message)
        assert (message.status, message.attempts, message.receipt) == ("pending", attempt, None)
        assert "not a receipt signed by CN-50" in message.last_error
        now = message.next_attempt_at
    assert not AuditEvent.objects.filter(action="federation.deliver").exists()


def test_a_rejection_is_final_and_a_refusal_is_retried(peer, fake):
    (rejected,) = _enqueue(peer)
    fake.answer = "rejected"
    assert outbox_send()["rejected"] == 1
    rejected = _fresh(rejected)
    assert rejected.status == "rejected" and "doc_number: unknown" in rejected.last_error
    assert rejected.receipt["status"] == "rejected"
    assert AuditEvent.objects.get(action="federation.reject").object_id == str(rejected.pk)
    # a refusal (the peer does not accept our key, say) is a configuration to fix: retried, not final
    (refused,) = _enqueue(peer)
    fake.answer = "refused"
    assert outbox_send()["retry"] == 1
    refused = _fresh(refused)
    assert (refused.status, refused.attempts) == ("pending", 1) and "bad_signature" in refused.last_error
    # the rejected one is not sent again
    assert [m["id"] for m in fake.sent()] == [str(rejected.message_id), str(refused.message_id)]


def test_failures_back_off_and_are_given_up_after_seven_days(peer, fake):
    fake.answer = None
    (message,) = _enqueue(peer)
    now = timezone.now()
    waits = []
    for _ in range(12):
        assert outbox_send(now=now) == {"delivered": 0, "rejected": 0, "retry": 1, "dead": 0}
        message = _fresh(message)
        waits.append(message.next_attempt_at - now)
        # not due yet: nothing is sent
        assert outbox_send(now=message.next_attempt_at - dt.timedelta(seconds=1))["retry"] == 0
        now = message.next_attempt_at
    assert [w.total_seconds() for w in waits[:5]] == [30, 60, 120, 240, 480]
    assert max(waits) == dt.timedelta(hours=6) == waits[-1]
    assert message.attempts == 12 and message.last_error == "Connection refused"
    # a week after it was written, the next failure gives it up
    late = message.created_at + dt.timedelta(days=7, seconds=1)
    assert outbox_send(now=late)["dead"] == 1
    message = _fresh(message)
    assert message.status == "dead" and message.attempts == 13
    assert AuditEvent.objects.get(action="federation.dead").changes["status"] == ["pending", "dead"]
    assert outbox_send(now=late + dt.timedelta(days=1))["dead"] == 0


def test_a_waiting_message_holds_back_the_later_ones_to_its_peer(peer, fake):
    first, second = _enqueue(peer, 2)
    fake.answer = None
    outbox_send()
    assert (_fresh(first).attempts, _fresh(second).attempts) == (1, 0)
    fake.answer = "applied"
    # the second is due but must not overtake the first
    assert outbox_send()["delivered"] == 0
    counts = outbox_send(now=_fresh(first).next_attempt_at)
    assert counts["delivered"] == 2
    sent = fake.sent()
    assert [m["id"] for m in sent[1:]] == [str(first.message_id), str(second.message_id)]
    # every attempt is signed afresh: same id, a new envelope
    assert sent[0]["id"] == sent[1]["id"] and fake.posts[0][1] != fake.posts[1][1]


def test_a_leased_message_is_not_sent_twice(peer, fake):
    (message,) = _enqueue(peer)
    now = timezone.now()
    OutboxMessage.objects.filter(pk=message.pk).update(lease_until=now + dt.timedelta(seconds=30))
    assert outbox_send(now=now)["delivered"] == 0 and fake.posts == []
    assert outbox_send(now=now + dt.timedelta(seconds=31))["delivered"] == 1


def test_nothing_goes_to_a_switched_off_peer(peer, fake):
    _enqueue(peer)
    peer.active = False
    peer.save()
    assert outbox_send()["delivered"] == 0 and fake.posts == []


def test_the_administrator_sends_a_given_up_message_again(peer, fake, users):
    (message,) = _enqueue(peer)
    OutboxMessage.objects.filter(pk=message.pk).update(status="dead", last_error="timed out")
    with pytest.raises(PermissionDenied):
        outbox_retry(actor=users[Role.COUNTY_OFFICER], message_id=message.message_id)
    outbox_retry(actor=users[Role.PROVINCE_ADMIN], message_id=message.message_id)
    assert _fresh(message).status == "pending"
    event = AuditEvent.objects.get(action="federation.retry")
    assert event.actor_username == "province_admin" and event.changes["status"] == ["dead", "pending"]
    with pytest.raises(Conflict):
        outbox_retry(actor=SYSTEM, message_id=message.message_id)
    assert outbox_send()["delivered"] == 1


def test_the_scheduled_tasks_send_the_outbox_and_reconcile(peer, fake):
    from liuguan.outflow.tasks import outbox_send_task, reconcile_task

    _enqueue(peer)
    assert outbox_send_task.call() == {"delivered": 1, "rejected": 0, "retry": 0, "dead": 0, "seen_pruned": 0}
    assert isinstance(reconcile_task.call(), dict)
