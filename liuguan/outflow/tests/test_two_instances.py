"""Two Liuguan instances, two databases, two servers, two key pairs: the federation end to end.

Instance A (Sichuan, CN-51) is this test's live server on the test database. Instance B (Chongqing, CN-50) is
a gunicorn subprocess on a database of its own, set up through its own manage.py. An outflow record in A
becomes an expected arrival in B; the person's registration and departure in B, made through B's API, confirm
and then end A's record; forged, tampered and replayed envelopes are refused and logged; messages queued
while B is down arrive once each after it comes back.
"""

import base64
import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import connection
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.conftest import TREE, citizen_id
from liuguan.core.audit import SYSTEM
from liuguan.core.identity import china_today
from liuguan.core.localserver import free_port, gunicorn, stop_process, wait_until_up
from liuguan.core.models import AuditEvent
from liuguan.outflow import keys
from liuguan.outflow.models import InboxMessage, OutboxMessage, OutflowRecord, Refusal, RemoteStay
from liuguan.outflow.services.outbox import outbox_send
from liuguan.outflow.services.peers import peer_save
from liuguan.outflow.services.records import outflow_report
from liuguan.registry.services.people import PersonInput

from .federation_support import PeerKey

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
# Bounds, not targets: on a busy machine everything takes several times as long.
SETUP_TIMEOUT = 240
TIMEOUT = 60
B_PASSWORD = "Peer-b-password-2026!"  # noqa: S105 (a throwaway account in a throwaway database)

# B's setup in one run of its manage.py (each start of Django costs a second or two): its tables, Chongqing's
# divisions, a station officer with an API token, and A as its peer through `federation_peer`; prints the token
# and B's public key.
B_SETUP = """
import json
from django.core.management import call_command
from liuguan.accounts.services import token_issue, user_create
from liuguan.core.audit import SYSTEM
from liuguan.geo.loading import DivisionRow, divisions_load
from liuguan.geo.models import Division
from liuguan.outflow import keys
call_command("migrate", interactive=False, verbosity=0)
rows = [DivisionRow(*row) for row in json.loads({rows!r})]
divisions_load(rows=rows, actor=SYSTEM, source="cli")
user = user_create(actor=SYSTEM, username="cq_station", password={password!r}, role="station_officer",
                   division=Division.objects.get(code="500101001001"))
_token, key = token_issue(actor=user, name="e2e")
call_command("federation_peer", "--add", "CN-51", "--name", "四川", "--url", {a_url!r}, "--public-key", {a_key!r},
             "--areas", "51")
print(json.dumps({{"token": key, "public_key": keys.public_key_b64()}}))
"""


def _division_rows() -> list[list[str]]:
    parents = {4: 2, 6: 4, 9: 6, 12: 9}
    return [
        [code, name, str(level), code[: parents[len(code)]] if len(code) > 2 else ""]
        for code, name, level in TREE
        if code.startswith("50")
    ]


class InstanceB:
    """Chongqing's instance: its database, its manage.py, its gunicorn."""

    def __init__(self, tmp_path: Path, empty_database):
        self.tmp = tmp_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key_file = tmp_path / "b-federation.pem"
        self.server = None
        self.vendor = connection.vendor
        # A copy of the test database as migrated (conftest's empty_database), dropped after the test.
        database_url = empty_database("peer_b")
        if self.vendor == "postgresql":
            self.db_name = database_url.rsplit("/", 1)[1]
            db = settings.DATABASES["default"]
            self.pg = {
                "host": db.get("HOST") or "127.0.0.1",
                "port": db.get("PORT") or 5432,
                "user": db["USER"],
                "password": db.get("PASSWORD") or None,
            }
        else:
            self.db_path = Path(database_url.removeprefix("sqlite:///"))
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "LIUGUAN_VAR_DIR": str(tmp_path / "b-var"),
            "LIUGUAN_INSTANCE_ID": "CN-50",
            "LIUGUAN_FEDERATION_KEY_FILE": str(self.key_file),
            "LIUGUAN_PROVINCE_CODE": "50",
            "LIUGUAN_PUBLIC_URL": self.url,
            "LIUGUAN_LOG_LEVEL": "ERROR",
            # A peer's first answer on a busy machine can take longer than production's 5 s.
            "LIUGUAN_FEDERATION_TIMEOUT": str(TIMEOUT),
        }

    # the database --------------------------------------------------------------------------------------------

    def query(self, sql: str, params=()) -> list[tuple]:
        """Read B's database directly (the test's own connection is A's)."""
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(dbname=self.db_name, **self.pg) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.db_path) as conn:
            return conn.execute(sql, params).fetchall()

    def inbox(self) -> dict[str, int]:
        """B's inbox: message id → how often it was delivered again."""
        rows = self.query("SELECT message_id, duplicates FROM outflow_inboxmessage")
        return {str(uuid.UUID(str(message_id))): duplicates for message_id, duplicates in rows}

    # its commands and its server -----------------------------------------------------------------------------

    def manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603 (this project's own manage.py)
            [sys.executable, str(ROOT / "manage.py"), *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=SETUP_TIMEOUT,
        )
        assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def start(self) -> None:
        log = self.tmp / "b-gunicorn.log"
        self.server = gunicorn(port=self.port, env=self.env, workers=1, log=log)
        wait_until_up(self.server, self.port, timeout=90, log=log)

    def stop(self) -> None:
        stop_process(self.server, timeout=10)
        self.server = None

    def api(self, method: str, path: str, token: str, data: dict) -> tuple[int, dict]:
        request = urllib.request.Request(  # noqa: S310 (B's local address)
            f"{self.url}/api{path}",
            data=json.dumps(data).encode(),
            method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def sign(self, body: bytes) -> str:
        """A signature by B's private key (the test holds B's key file)."""
        private = serialization.load_pem_private_key(self.key_file.read_bytes(), password=None)
        return "ed25519=" + base64.b64encode(private.sign(body)).decode()


def _post_to_a(url: str, body: bytes, signature: str) -> tuple[int, dict]:
    request = urllib.request.Request(  # noqa: S310 (the live server's local address)
        f"{url}/federation/inbox",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Liuguan-Signature": signature},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            answer, status, header = response.read(), response.status, response.headers["X-Liuguan-Signature"]
    except urllib.error.HTTPError as exc:
        answer, status, header = exc.read(), exc.code, exc.headers["X-Liuguan-Signature"]
    # every answer of A, a refusal too, is signed by A and names the request it answers
    assert keys.verify(keys.public_key_b64(), answer, keys.signature_from_header(header))
    data = json.loads(answer)
    assert data["request_hash"] == hashlib.sha256(body).hexdigest()
    return status, data


def _envelope(message_id: str, kind: str, payload: dict, *, sender="CN-50") -> bytes:
    data = {
        "v": 1,
        "id": message_id,
        "from": sender,
        "to": "CN-51",
        "kind": kind,
        "sent_at": timezone.now().astimezone(dt.UTC).isoformat(),
        "payload": payload,
    }
    return json.dumps(data, ensure_ascii=False).encode()


def _flip_a_digit(body: bytes, after: bytes) -> bytes:
    """The body with one byte changed inside a value, still valid JSON (a digit's lowest bit flipped)."""
    start = body.index(after) + len(after)
    index = next(i for i in range(start, len(body)) if 0x30 <= body[i] <= 0x39)
    changed = bytearray(body)
    changed[index] ^= 1
    return bytes(changed)


def _a_state():
    return (
        InboxMessage.objects.count(),
        RemoteStay.objects.count(),
        sorted(OutflowRecord.objects.values_list("status", "remote_ref")),
    )


def _report(actor, number: str, name: str) -> OutflowRecord:
    return outflow_report(
        actor=actor,
        person=PersonInput(doc_type="citizen_id", doc_number=number, name=name, phone="13912345678"),
        origin_code="510104001001",
        destination_code="500101",
        left_on=china_today() - dt.timedelta(days=10),
        reason="work",
        reported_by="family",
        source="web",
    )


# Transactional (the live server's thread must see what the test writes) and, like the project's other
# transactional tests, without serialized rollback: it needs none of the data migrations load.
@pytest.mark.django_db(transaction=True)
def test_two_instances_exchange_signed_messages(live_server, users, here, tmp_path, empty_database, settings):
    settings.LIUGUAN_FEDERATION = {**settings.LIUGUAN_FEDERATION, "timeout_seconds": TIMEOUT}
    b = InstanceB(tmp_path, empty_database)
    try:
        # given B set up through its own manage.py, and each instance configured as the other's peer
        script = B_SETUP.format(
            rows=json.dumps(_division_rows()), password=B_PASSWORD, a_url=live_server.url, a_key=keys.public_key_b64()
        )
        setup = json.loads(b.manage("shell", "-c", script).splitlines()[-1])
        b.start()
        peer_save(
            actor=SYSTEM, code="CN-50", name="重庆", url=b.url, public_key=setup["public_key"], areas="50", source="cli"
        )

        # when A records that one of its people went to Wanzhou, Chongqing
        officer = users[Role.STATION_OFFICER]
        number = citizen_id("510104", "19950301", "357")
        record = _report(officer, number, "赵六")
        notice = OutboxMessage.objects.get(kind="outflow.notice")
        assert outbox_send() == {"delivered": 1, "rejected": 0, "retry": 0, "dead": 0}
        # then B expects them, and A holds B's signed receipt
        notice.refresh_from_db()
        assert notice.status == "delivered" and notice.receipt["instance"] == "CN-50"
        expected = b.query("SELECT doc_number, expected_code, status FROM outflow_expectedarrival")
        assert expected == [(number, "500101", "expected")]

        # when the person registers a stay in B through B's API, and B sends its outbox
        arrived_on = china_today() - dt.timedelta(days=3)
        status, registered = b.api("POST", "/registry/persons", setup["token"], {
            "doc_number": number, "name": "赵六", "phone": "13912345678",
            "stay": {"community_code": "500101001001", "arrived_on": arrived_on.isoformat(), "reason": "work"},
        })  # fmt: skip
        assert status == 201, registered
        assert b.query("SELECT kind, status FROM outflow_outboxmessage") == [("inflow.registered", "pending")]
        assert "delivered=1" in b.manage("federation_send", "--skip-checks")
        # then A's record is confirmed with B's destination, and A knows the stay in Chongqing
        record.refresh_from_db()
        assert (record.status, record.confirmed_by, record.destination_code) == ("confirmed", "CN-50", "500101001001")
        remote = RemoteStay.objects.get()
        assert (remote.person_id, remote.arrived_on, remote.departed_on) == (record.person_id, arrived_on, None)
        assert "太白社区" in remote.destination_name
        assert b.query("SELECT status FROM outflow_expectedarrival") == [("arrived",)]

        # when B records the departure through its API and sends it
        stay_id = registered["stay_id"]
        status, departed = b.api("POST", f"/registry/stays/{stay_id}/depart", setup["token"],
                                 {"departed_on": china_today().isoformat(), "destination": "广州"})  # fmt: skip
        assert status == 200, departed
        assert "delivered=1" in b.manage("federation_send", "--skip-checks")
        # then A's record is departed
        record.refresh_from_db()
        remote.refresh_from_db()
        assert record.status == "departed" and remote.departed_on == china_today()

        # forged, tampered and replayed envelopes: each refused with its reason, logged, nothing applied
        before, refusals = _a_state(), Refusal.objects.count()
        refusal_events = AuditEvent.objects.filter(action="federation.refuse").count()
        (sent_id, payload), *_ = b.query("SELECT message_id, payload FROM outflow_outboxmessage WHERE kind = ?",
                                         ("departure",))  # fmt: skip
        payload = json.loads(payload) if isinstance(payload, str) else payload
        body = _envelope(str(uuid.UUID(str(sent_id))), "departure", payload)
        signature = b.sign(body)
        tampered = _flip_a_digit(body, b'"departed_on":')
        assert tampered != body and json.loads(tampered)
        status, answer = _post_to_a(live_server.url, tampered, signature)
        assert (status, answer["reason"]) == (401, "bad_signature")
        # the untampered envelope (B's departure message again, freshly signed) is a duplicate: not applied twice
        status, answer = _post_to_a(live_server.url, body, signature)
        assert (status, answer["status"]) == (200, "duplicate")
        # and the identical envelope once more is a replay
        status, answer = _post_to_a(live_server.url, body, signature)
        assert (status, answer["reason"]) == (409, "replay")
        stranger = PeerKey()
        forged = _envelope(str(uuid.uuid4()), "departure", payload, sender="CN-99")
        status, answer = _post_to_a(live_server.url, forged, stranger.sign(forged))
        assert (status, answer["reason"]) == (403, "unknown_peer")
        impostor = _envelope(str(uuid.uuid4()), "departure", payload)
        status, answer = _post_to_a(live_server.url, impostor, stranger.sign(impostor))
        assert (status, answer["reason"]) == (401, "bad_signature")
        assert _a_state() == before
        logged = list(Refusal.objects.order_by("pk").values_list("reason", "claimed_peer")[refusals:])
        assert logged == [("bad_signature", "CN-50"), ("replay", "CN-50"), ("unknown_peer", "CN-99"),
                          ("bad_signature", "CN-50")]  # fmt: skip
        assert AuditEvent.objects.filter(action="federation.refuse").count() == refusal_events + 4
        assert InboxMessage.objects.get(message_id=sent_id).duplicates == 1

        # when B is down, A queues two notices; the attempt fails and is scheduled again
        b.stop()
        first = _report(officer, citizen_id("510104", "19960402", "468"), "孙七")
        second = _report(officer, citizen_id("510104", "19970503", "579"), "周八")
        waiting = [str(m) for m in OutboxMessage.objects.filter(status="pending").order_by("created_at")
                   .values_list("message_id", flat=True)]  # fmt: skip
        assert len(waiting) == 2 and first.pk != second.pk
        assert outbox_send()["retry"] == 1
        failed = OutboxMessage.objects.get(message_id=waiting[0])
        assert failed.attempts == 1 and failed.next_attempt_at > timezone.now() and failed.last_error
        # the second waits behind the first (the order of one peer's messages is kept)
        assert OutboxMessage.objects.get(message_id=waiting[1]).attempts == 0
        # then, B back, the next run past the backoff delivers both, in order, and a further run sends nothing
        b.start()
        later = failed.next_attempt_at + dt.timedelta(seconds=1)
        assert outbox_send(now=later) == {"delivered": 2, "rejected": 0, "retry": 0, "dead": 0}
        assert outbox_send(now=later + dt.timedelta(hours=1)) == {"delivered": 0, "rejected": 0, "retry": 0, "dead": 0}
        inbox = b.inbox()
        assert {m: inbox.get(m) for m in waiting} == {waiting[0]: 0, waiting[1]: 0}
        assert len(b.query("SELECT id FROM outflow_expectedarrival")) == 3
    finally:
        b.stop()
