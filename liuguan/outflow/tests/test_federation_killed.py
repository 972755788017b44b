"""A federation exchange cut by SIGKILL: the sending instance's `federation_send` killed while the peer is applying
a message. The peer applies it and answers into a closed socket, so the sender never gets its receipt; after
the rerun every message is delivered, each applied exactly once by the peer, and both audit chains verify.

One database plays both instances (the two-instance test already pays for a second one): the sender is a child
process calling itself CN-50 with a key of its own; the receiver is this test's live server, CN-51, whose
inbox knows CN-50 by that key.
"""

import datetime as dt
import threading
import urllib.request

import pytest
from django.utils import timezone

from liuguan.core.audit import audit_verify
from liuguan.core.models import AuditEvent
from liuguan.core.tests.fault_support import child_env, kill, manage, run, wait_until
from liuguan.outflow import keys
from liuguan.outflow.models import ExpectedArrival, InboxMessage, OutboxMessage, Peer
from liuguan.outflow.services.messages import HANDLERS, PERSON_QUERY
from liuguan.outflow.services.outbox import message_enqueue

from .federation_support import HERE, THERE

MESSAGES = 5
# The message the receiving handler holds (applied, not yet committed nor answered) when the sender is killed.
HELD = 3


@pytest.fixture
def holding_handler(monkeypatch):
    """person.query's handler on the receiving side: writes an expected arrival per message, and holds the
    HELD-th message until released.
    """
    calls: list[str] = []
    release = threading.Event()

    def handler(*, peer, message_id, payload):
        calls.append(str(message_id))
        ExpectedArrival.objects.create(
            peer=peer, origin_ref=payload["origin_ref"], doc_type="citizen_id", doc_number=payload["doc_number"],
            name="测试", expected_code="500101",
        )  # fmt: skip
        if len(calls) == HELD:
            release.wait(timeout=30)
        return {"arrival": payload["origin_ref"]}

    monkeypatch.setitem(HANDLERS, PERSON_QUERY, handler)
    yield calls, release
    release.set()


def _sender_key(settings, tmp_path) -> tuple[str, str]:
    """The sending instance's key file, made the way it makes it on first use, and its public key."""
    path = tmp_path / "sender.pem"
    receiving = settings.LIUGUAN_FEDERATION
    settings.LIUGUAN_FEDERATION = {**receiving, "instance": THERE, "key_file": path}
    try:
        public = keys.public_key_b64()
    finally:
        settings.LIUGUAN_FEDERATION = receiving
    return str(path), public


# Transactional: the child process and the live server's thread must see what the test writes.
@pytest.mark.django_db(transaction=True)
def test_a_sender_killed_while_the_peer_applies_a_message_loses_nothing_and_the_peer_applies_each_once(
    live_server, here, holding_handler, settings, tmp_path
):
    calls, release = holding_handler
    key_file, sender_public = _sender_key(settings, tmp_path)
    # the receiver knows the sender by its key; the sender knows the receiver (this live server) by this one's
    Peer.objects.create(code=THERE, name="重庆", url="http://127.0.0.1:9", public_key=sender_public, areas="50")
    receiver = Peer.objects.create(
        code=HERE, name="四川", url=live_server.url, public_key=keys.public_key_b64(), areas="51"
    )
    sent = [
        message_enqueue(
            peer=receiver, kind=PERSON_QUERY, payload={"doc_number": f"5101041990010{n}00X", "origin_ref": f"r{n}"}
        )
        for n in range(MESSAGES)
    ]
    ids = [str(m.message_id) for m in sent]
    env = child_env(tmp_path, LIUGUAN_INSTANCE_ID=THERE, LIUGUAN_FEDERATION_KEY_FILE=key_file)
    # the live server's first request loads the URL configuration; the sender's timeout is 5 s
    with urllib.request.urlopen(f"{live_server.url}/healthz", timeout=60) as answer:  # noqa: S310 (local address)
        assert answer.status == 200

    # given the sender killed while the receiver is applying its third message
    sender = manage(env, "federation_send", "--skip-checks")
    wait_until(lambda: len(calls) >= HELD, sender, "the third message reached the receiver's handler")
    kill(sender)
    release.set()
    deadline = timezone.now() + dt.timedelta(seconds=30)
    while InboxMessage.objects.count() < HELD and timezone.now() < deadline:
        threading.Event().wait(0.02)

    # then the receiver has applied three; the sender holds receipts for two, the third is leased, unsettled
    assert sorted(InboxMessage.objects.values_list("message_id", flat=True)) == sorted(
        m.message_id for m in sent[:HELD]
    )
    rows = list(OutboxMessage.objects.order_by("created_at", "pk"))
    assert [r.status for r in rows] == ["delivered"] * (HELD - 1) + ["pending"] * (MESSAGES - HELD + 1)
    held = rows[HELD - 1]
    assert held.attempts == 0 and held.lease_until > timezone.now()

    # when the lease has run out (60 s: the test moves it back rather than wait) and the sender runs again
    OutboxMessage.objects.filter(pk=held.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    done = run(env, "federation_send", "--skip-checks")
    assert "delivered=3" in done.stdout, done.stdout

    # then every message is delivered with the receiver's signed receipt; the held one was a duplicate there
    rows = list(OutboxMessage.objects.order_by("created_at", "pk"))
    assert [(str(r.message_id), r.status) for r in rows] == [(i, "delivered") for i in ids]
    assert [r.receipt["status"] for r in rows] == ["applied"] * (HELD - 1) + ["duplicate"] + ["applied"] * (
        MESSAGES - HELD
    )
    # and the receiver applied each message exactly once
    assert calls == ids
    inbox = dict(InboxMessage.objects.values_list("message_id", "duplicates"))
    assert {str(k): v for k, v in inbox.items()} == {i: int(i == ids[HELD - 1]) for i in ids}
    assert ExpectedArrival.objects.count() == MESSAGES
    assert AuditEvent.objects.filter(action="federation.receive").count() == MESSAGES
    assert AuditEvent.objects.filter(action="federation.deliver").count() == MESSAGES
    assert audit_verify().ok
