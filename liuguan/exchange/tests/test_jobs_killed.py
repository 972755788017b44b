"""The job runner (db_worker, a process of its own as deployed) killed with SIGKILL in the middle of its work: a
webhook delivery and the bulletins' sweep. After a rerun nothing is lost and nothing is doubled: each change
reaches the receiver (at least once, carrying its delivery id, so that the receiver keeps it once), each hit is
found once, and the audit chain verifies.
"""

import datetime as dt
import hmac
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.management.commands.jobs_requeue import jobs_requeue
from liuguan.core.models import AuditEvent
from liuguan.core.tests.fault_support import audit_writer_busy, child_env, kill, manage, run, wait_until, worker
from liuguan.exchange.catalogue import load_catalogue
from liuguan.exchange.models import BulletinHit, Delivery
from liuguan.exchange.services.police import BulletinInput, bulletin_issue
from liuguan.exchange.services.webhooks import DELIVERY_HEADER, SIGNATURE_HEADER, signature, subscription_create
from liuguan.exchange.tasks import webhooks_run_task
from liuguan.exchange.tasks_police import bulletins_sweep_task
from liuguan.exchange.tests.factories import make_grant, make_subsystem
from liuguan.exchange.tests.test_feed import change_phone
from liuguan.registry.models import Person, Stay

CHANGES = 6
# The delivery the receiver holds (it has the request, the sender waits for the answer) when the worker is killed.
HELD = 3


class HoldingReceiver:
    """A webhook receiver on 127.0.0.1 that answers 200, but holds its answer to the HELD-th request until released;
    it keeps every request, and the deliveries it has taken in by their id (how a receiver drops a repeat).
    """

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.kept: dict[str, bytes] = {}
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                receiver.kept.setdefault(self.headers[DELIVERY_HEADER], body)
                if len(receiver.requests) == HELD:
                    receiver.release.wait(timeout=30)
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# Transactional (the child process must see what the test writes), without serialized rollback: the test loads
# the one thing of the data migrations it needs, the hub's catalogue.
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_a_webhook_delivery_loses_nothing_and_the_receiver_keeps_each_change_once(
    users, person_in, tmp_path
):
    load_catalogue()
    subsystem = make_subsystem(users[Role.DEPARTMENT_USER].department, "case-system")
    make_grant(subsystem, "people", fields=["name", "phone"], ways=["webhook"], area="51")
    env = child_env(tmp_path)
    with HoldingReceiver() as receiver:
        subscription, secret = subscription_create(
            actor=users[Role.DEPARTMENT_USER], subsystem_id=subsystem.pk, dataset="people", url=receiver.url
        )
        changes = [change_phone(person_in, f"138000000{n:02d}") for n in range(1, CHANGES + 1)]

        # given the job runner killed while the receiver has the third change and the worker awaits its answer
        job = webhooks_run_task.enqueue()
        runner = manage(env, *worker("host-a"))
        wait_until(lambda: len(receiver.requests) >= HELD, runner, "the third delivery reached the receiver")
        kill(runner)
        receiver.release.set()

        # then two are delivered, the third is leased and unsettled, the rest wait; the job stays "running"
        rows = list(Delivery.objects.filter(subscription=subscription).order_by("event_id"))
        assert [d.event_id for d in rows] == changes
        assert [d.status for d in rows] == ["delivered"] * (HELD - 1) + ["pending"] * (CHANGES - HELD + 1)
        held = rows[HELD - 1]
        assert held.attempts == 0 and held.next_attempt_at > timezone.now()
        assert DBTaskResult.objects.get(pk=job.id).status == TaskResultStatus.RUNNING

        # when the lease has run out (60 s: the test moves it back rather than wait), and the worker's unit
        # starts it again: first `jobs_requeue` with its worker id, then the worker
        Delivery.objects.filter(pk=held.pk).update(next_attempt_at=timezone.now() - dt.timedelta(seconds=1))
        call_command("jobs_requeue", "--worker-id", "host-a", stdout=io.StringIO())
        run(env, *worker("host-a"))

    # then the same job ran to its end, and every change is delivered once in the register, in order
    done = DBTaskResult.objects.get(pk=job.id)
    assert (done.status, done.worker_ids) == (TaskResultStatus.SUCCESSFUL, ["host-a", "host-a"])
    assert AuditEvent.objects.filter(action="job.requeue", object_id=str(job.id)).count() == 1
    rows = list(Delivery.objects.filter(subscription=subscription).order_by("event_id"))
    assert [(d.event_id, d.status, d.attempts) for d in rows] == [(e, "delivered", 1) for e in changes]
    # the receiver got the held one twice, the same delivery id and the same signed body both times
    ids = [headers[DELIVERY_HEADER] for headers, _body in receiver.requests]
    assert len(ids) == CHANGES + 1 and ids[HELD - 1] == ids[HELD] == str(held.pk)
    assert receiver.requests[HELD - 1][1] == receiver.requests[HELD][1]
    for headers, body in receiver.requests:
        assert hmac.compare_digest(headers[SIGNATURE_HEADER], signature(secret, body))
    # and keeping deliveries by their id, it has each change exactly once
    assert [json.loads(body)["event"]["cursor"] for body in receiver.kept.values()] == changes
    assert audit_verify().ok


WANTED_PHONE = "13700001234"


def _people_with_the_phone(count: int) -> None:
    """People living in the test community whose phone a bulletin names, written without the registration hook
    (as an import from another system would, before the sweep sees them).
    """
    people = Person.objects.bulk_create(
        Person(
            doc_type="citizen_id",
            doc_number=citizen_id("510104", f"1980{1 + n // 900:02d}01", f"{100 + n % 900:03d}"),
            name="测试",
            name_pinyin="ceshi",
            name_initials="cs",
            sex="M",
            birth_date=dt.date(1980, 1 + n // 900, 1),
            hukou_code="510104",
            phone=WANTED_PHONE,
        )
        for n in range(count)
    )
    Stay.objects.bulk_create(
        Stay(person=p, community_id=IN_COMMUNITY, reason="work", arrived_on=dt.date(2025, 5, 1),
             source_channel="collector", address="东御河沿街 8 号")
        for p in people
    )  # fmt: skip


# Enough hits that the sweep (one savepoint and one audit event per hit) is still running when it is killed.
SWEEP_HITS = 150


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_during_the_bulletins_sweep_finds_each_hit_once_on_the_rerun(users, tmp_path):
    now = timezone.now()
    bulletin = bulletin_issue(
        actor=users[Role.POLICE],
        bulletin=BulletinInput(reason="涉嫌诈骗，请协查", valid_from=now - dt.timedelta(hours=1),
                               valid_until=now + dt.timedelta(days=30), phone=WANTED_PHONE),
    )  # fmt: skip
    _people_with_the_phone(SWEEP_HITS)
    assert not BulletinHit.objects.exists()
    env = child_env(tmp_path)
    events = AuditEvent.objects.count()

    # given the sweep killed in the middle of its transaction (it has claimed the job, and written hits and their
    # audit events it has not committed)
    job = bulletins_sweep_task.enqueue()
    runner = manage(env, *worker("host-b"))
    wait_until(
        lambda: (
            DBTaskResult.objects.filter(pk=job.id, status=TaskResultStatus.RUNNING).exists() and audit_writer_busy()
        ),
        runner,
        "the sweep was writing",
    )
    kill(runner)

    # then it left nothing half written: no hit, no audit event (one transaction)
    assert DBTaskResult.objects.get(pk=job.id).status == TaskResultStatus.RUNNING, (
        "the sweep finished before it could be killed; make SWEEP_HITS larger"
    )
    assert not BulletinHit.objects.exists()
    assert AuditEvent.objects.count() == events

    # when the worker comes back (its jobs left running are queued again first), then each hit is found once
    assert jobs_requeue(worker_id="host-b") == [str(job.id)]
    assert jobs_requeue(worker_id="host-b") == []
    run(env, *worker("host-b"))
    assert DBTaskResult.objects.get(pk=job.id).return_value == {"hits": SWEEP_HITS}
    hits = BulletinHit.objects.filter(bulletin=bulletin)
    assert hits.count() == hits.values("stay_id").distinct().count() == Stay.objects.count() == SWEEP_HITS
    assert AuditEvent.objects.filter(action="bulletin.hit").count() == SWEEP_HITS
    assert AuditEvent.objects.filter(action="job.requeue").count() == 1
    assert audit_verify().ok
