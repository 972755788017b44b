"""The inbox's door: every kind of bad envelope is refused, logged and applies nothing; a good one applies once."""

import datetime as dt
import hashlib
import json
import threading
import time
import uuid

import pytest
from django.db import connections
from django.test import Client
from django.utils import timezone

from liuguan.core.models import AuditEvent
from liuguan.outflow import keys
from liuguan.outflow.models import ExpectedArrival, InboxMessage, Peer, Refusal, SeenEnvelope
from liuguan.outflow.services.inbox import envelope_receive, seen_envelopes_prune
from liuguan.outflow.services.messages import HANDLERS

from .federation_support import THERE, PeerKey, envelope


def receive(body, header, **kw):
    return envelope_receive(body=body, signature_header=header, remote_addr="10.0.0.9", **kw)


def _state():
    return (ExpectedArrival.objects.count(), InboxMessage.objects.count(), SeenEnvelope.objects.count())


def _refusals():
    return list(Refusal.objects.order_by("pk").values_list("reason", flat=True))


def test_a_good_envelope_is_applied_and_audited(peer, peer_key, applied):
    body, header = envelope(peer_key, payload={"origin_ref": "r1", "doc_number": "x"})
    status, answer = receive(body, header)
    assert status == 200, answer
    assert answer["status"] == "applied" and answer["result"] == {"arrival": "r1"}
    assert answer["request_hash"] == hashlib.sha256(body).hexdigest()
    assert answer["id"] == json.loads(body)["id"] and answer["instance"] == "CN-51"
    inbox = InboxMessage.objects.get()
    assert (inbox.status, inbox.kind, inbox.peer, inbox.duplicates) == ("applied", "person.query", peer, 0)
    assert ExpectedArrival.objects.get().origin_ref == "r1"
    event = AuditEvent.objects.filter(action="federation.receive").get()
    assert (event.source, event.actor_username, event.object_id) == ("federation:CN-50", "system", str(inbox.pk))


def _cases(peer_key):
    other = PeerKey()
    now = timezone.now()
    good = envelope(peer_key)
    return [
        ("malformed", b"not json", good[1]),
        ("malformed", b"[1, 2]", good[1]),
        ("malformed", *envelope(peer_key, message_id="not-a-uuid")),
        ("malformed", *envelope(peer_key, v=2)),
        ("malformed", *envelope(peer_key, payload=["a list"])),
        ("malformed", json.dumps({"v": 1, "from": THERE}).encode(), good[1]),
        ("unknown_peer", *envelope(other, sender="CN-99")),
        ("not_for_us", *envelope(peer_key, to="CN-44")),
        ("bad_signature", good[0], other.sign(good[0])),
        ("bad_signature", good[0], ""),
        ("bad_signature", good[0].replace(b'"v": 1', b'"v":  1'), good[1]),
        ("stale", *envelope(peer_key, sent_at=now - dt.timedelta(minutes=6))),
        ("stale", *envelope(peer_key, sent_at=now + dt.timedelta(minutes=6))),
        ("unknown_kind", *envelope(peer_key, kind="weather.report")),
    ]


@pytest.mark.parametrize("index", range(14))
def test_each_refusal_is_logged_audited_and_applies_nothing(peer, peer_key, applied, index):
    reason, body, header = _cases(peer_key)[index]
    before = _state()
    status, answer = receive(body, header)
    assert (answer["status"], answer["reason"]) == ("refused", reason)
    assert status == {"malformed": 400, "unknown_peer": 403, "not_for_us": 403, "bad_signature": 401,
                      "stale": 401, "unknown_kind": 422}[reason]  # fmt: skip
    assert answer["request_hash"] == hashlib.sha256(body).hexdigest()
    assert _state() == before and applied == []
    refusal = Refusal.objects.get()
    assert (refusal.reason, refusal.remote_addr) == (reason, "10.0.0.9")
    event = AuditEvent.objects.get(action="federation.refuse")
    assert event.changes["reason"] == reason and event.object_id == str(refusal.pk)


def test_an_inactive_peer_is_refused(peer, peer_key, applied):
    Peer.objects.filter(pk=peer.pk).update(active=False)
    status, answer = receive(*envelope(peer_key))
    assert (status, answer["reason"]) == (403, "inactive_peer")
    assert applied == [] and _refusals() == ["inactive_peer"]


def test_a_tampered_body_is_refused_and_names_what_it_claimed(peer, peer_key, applied):
    body, header = envelope(peer_key, payload={"origin_ref": "r1", "doc_number": "510104199001011234"})
    tampered = body.replace(b"510104199001011234", b"510104199001011235")
    status, answer = receive(tampered, header)
    assert (status, answer["reason"]) == (401, "bad_signature")
    refusal = Refusal.objects.get()
    assert (refusal.claimed_peer, refusal.kind, refusal.message_id) == (THERE, "person.query", answer["id"])
    assert _state() == (0, 0, 0)


def test_the_same_message_delivered_again_is_applied_once(peer, peer_key, applied):
    message_id = uuid.uuid4()
    first = receive(*envelope(peer_key, message_id=message_id, payload={"origin_ref": "r1"}))
    # The sender lost the receipt and retried: a fresh envelope (new time, new signature), same message id.
    again = receive(*envelope(peer_key, message_id=message_id, payload={"origin_ref": "r1"}))
    assert first[1]["status"] == "applied"
    assert again[0] == 200 and again[1]["status"] == "duplicate" and again[1]["result"] == {"arrival": "r1"}
    assert applied == [message_id]
    assert InboxMessage.objects.get().duplicates == 1 and ExpectedArrival.objects.count() == 1
    assert SeenEnvelope.objects.count() == 2 and Refusal.objects.count() == 0


def test_a_replayed_envelope_is_refused(peer, peer_key, applied):
    body, header = envelope(peer_key)
    assert receive(body, header)[0] == 200
    status, answer = receive(body, header)
    assert (status, answer["reason"]) == (409, "replay")
    assert len(applied) == 1 and InboxMessage.objects.get().duplicates == 0
    assert _refusals() == ["replay"]


def test_old_replay_digests_are_forgotten_once_staleness_covers_them(peer, peer_key, applied):
    body, header = envelope(peer_key)
    receive(body, header)
    assert seen_envelopes_prune(now=timezone.now() + dt.timedelta(hours=23)) == 0
    assert seen_envelopes_prune(now=timezone.now() + dt.timedelta(hours=25)) == 1
    # the same envelope a day later is refused anyway, as stale
    later = timezone.now() + dt.timedelta(hours=25)
    assert receive(body, header, now=later)[1]["reason"] == "stale"


def test_a_rejected_payload_leaves_nothing_but_the_rejection(peer, peer_key, applied):
    status, answer = receive(*envelope(peer_key, payload={"origin_ref": "r1", "fail": True}))
    assert status == 422 and answer["status"] == "rejected"
    assert answer["problems"] == [{"field": "doc_number", "rule": "test.fail", "message": "cannot apply"}]
    # The handler's expected arrival was rolled back with its savepoint; the rejection itself is kept.
    assert ExpectedArrival.objects.count() == 0
    inbox = InboxMessage.objects.get()
    assert inbox.status == "rejected" and inbox.result["problems"][0]["rule"] == "test.fail"
    assert AuditEvent.objects.get(action="federation.receive").changes["status"] == "rejected"


def test_a_rejected_message_sent_again_is_tried_again(peer, peer_key, applied):
    message_id = uuid.uuid4()
    receive(*envelope(peer_key, message_id=message_id, payload={"origin_ref": "r1", "fail": True}))
    status, answer = receive(*envelope(peer_key, message_id=message_id, payload={"origin_ref": "r1"}))
    assert (status, answer["status"]) == (200, "applied")
    inbox = InboxMessage.objects.get()
    assert (inbox.status, inbox.duplicates) == ("applied", 1) and ExpectedArrival.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_at_once_apply_once(here, peer_key, monkeypatch):
    Peer.objects.create(code=THERE, name="重庆", url="http://127.0.0.1:9", public_key=peer_key.public_b64, areas="50")
    calls = []

    def slow(*, peer, message_id, payload):
        calls.append(message_id)
        time.sleep(0.3)
        return {}

    monkeypatch.setitem(HANDLERS, "person.query", slow)
    message_id = uuid.uuid4()
    envelopes = [envelope(peer_key, message_id=message_id) for _ in range(2)]
    barrier = threading.Barrier(2)
    answers, errors = [], []

    def deliver(body, header):
        try:
            barrier.wait(timeout=5)
            answers.append(receive(body, header))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=pair) for pair in envelopes]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(a[1]["status"] for a in answers) == ["applied", "duplicate"]
    assert len(calls) == 1
    assert InboxMessage.objects.get().duplicates == 1


def test_the_inbox_page_signs_its_answers_and_limits_the_body(peer, peer_key, applied):
    client = Client()
    body, header = envelope(peer_key)
    response = client.post("/federation/inbox", body, content_type="application/json", HTTP_X_LIUGUAN_SIGNATURE=header)
    assert response.status_code == 200, response.content
    signature = keys.signature_from_header(response["X-Liuguan-Signature"])
    assert keys.verify(keys.public_key_b64(), response.content, signature)
    assert response.json()["request_hash"] == hashlib.sha256(body).hexdigest()

    refused = client.post("/federation/inbox", b"{}", content_type="application/json")
    assert refused.status_code == 400 and refused.json()["reason"] == "malformed"
    assert keys.verify(keys.public_key_b64(), refused.content, refused["X-Liuguan-Signature"][8:])
    big = client.post("/federation/inbox", b"x" * (1024 * 1024 + 1), content_type="application/json")
    assert big.status_code == 413
    assert client.get("/federation/inbox").status_code == 405
    assert Refusal.objects.count() == 1
