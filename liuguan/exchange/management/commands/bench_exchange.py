"""Benchmark the hub: verification calls per second over HTTP with the access log on, beside the same server's
/healthz, same client and concurrency, in alternating phases. Starts gunicorn on a free 127.0.0.1 port against
the configured database (PostgreSQL or SQLite per DATABASE_URL), and stops it at the end.
"""

import datetime as dt
import http.client
import json
import os
import threading
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from liuguan.accounts.models import ApiToken, User
from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.identity import china_today, mod11_2_check
from liuguan.core.localserver import ServerNotUp, free_port, gunicorn, stop_process, wait_until_up
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Person, Stay

from ...models import Department, Grant, Subsystem

PHASE_SECONDS = 1.0
BENCH_CODE = "bench"


def _setup() -> tuple[str, dict]:
    """A subsystem with a fresh key, a verification grant on the whole province and one person with a stay."""
    community = Division.objects.filter(level=Level.COMMUNITY).order_by("code").first()
    department = Department.objects.order_by("code").first()
    if community is None or department is None:
        raise CommandError("Load divisions and departments first (manage.py load_divisions, load_departments).")
    today = china_today()
    body = f"{community.code[:6]}19900101{'777'}"
    number = body + mod11_2_check(body)
    with transaction.atomic():
        subsystem = Subsystem.objects.filter(department=department, code=BENCH_CODE).first()
        if subsystem is None:
            account = User(username=f"svc-{department.code}-{BENCH_CODE}", role=Role.DEPARTMENT_USER)
            account.department = department
            account.set_unusable_password()
            account.save()
            subsystem = Subsystem.objects.create(
                department=department, code=BENCH_CODE, name="benchmark", account=account
            )
        # The benchmark measures the hub, not the limit.
        Subsystem.objects.filter(pk=subsystem.pk).update(rate_per_minute=2_000_000_000, active=True)
        User.objects.filter(pk=subsystem.account_id).update(is_active=True)
        Grant.objects.get_or_create(
            subsystem=subsystem,
            dataset_id="residence",
            area_id=community.code[:2],
            revoked_at=None,
            defaults={
                "fields": ["resides"],
                "ways": ["verify"],
                "purpose": "benchmark",
                "valid_from": today - dt.timedelta(days=1),
                "expires_on": today + dt.timedelta(days=30),
            },
        )
        person, created = Person.objects.get_or_create(
            doc_type="citizen_id",
            doc_number=number,
            defaults={
                "name": "测试",
                "name_pinyin": "ceshi",
                "name_initials": "cs",
                "sex": "M",
                "birth_date": dt.date(1990, 1, 1),
                "hukou_code": number[:6],
            },
        )
        if created:
            Stay.objects.create(
                person=person, community=community, reason="work", arrived_on=today, source_channel="collector"
            )
        key = ApiToken.new_key()
        ApiToken.objects.create(user=subsystem.account, name="bench", prefix=key[3:9], key_hash=ApiToken.digest(key))
        audit_record(
            actor=SYSTEM,
            action="exchange.bench_setup",
            obj=subsystem,
            source="cli",
            changes={"person": person.pk, "community": community.code},
        )
    return key, {"doc_type": "citizen_id", "doc_number": number, "case_ref": "BENCH", "purpose": "benchmark"}


class Command(BaseCommand):
    help = "Verification calls/s over HTTP (access log on) beside /healthz calls/s, on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=float, default=10.0, help="total measuring time (at most 120)")
        parser.add_argument("--concurrency", type=int, default=4, help="client threads (at most 32)")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")

    def handle(self, *args, seconds, concurrency, workers, **options):
        seconds = max(2.0, min(seconds, 120.0))
        concurrency = max(1, min(concurrency, 32))
        key, body = _setup()
        port = free_port()
        server = gunicorn(
            port=port, env=os.environ.copy(), workers=workers, extra=("--threads", "4", "--log-level", "warning")
        )
        try:
            try:
                wait_until_up(server, port, timeout=30)
            except ServerNotUp as exc:
                raise CommandError(str(exc)) from exc
            results = self._measure(port, key, json.dumps(body), seconds, concurrency)
        finally:
            stop_process(server, timeout=15)
        verify_rate = results["verify"]["calls"] / results["verify"]["seconds"]
        health_rate = results["healthz"]["calls"] / results["healthz"]["seconds"]
        vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        self.stdout.write(f"database {vendor}, {concurrency} clients, {workers} workers, {seconds:.0f} s")
        for name, rate in (("verify", verify_rate), ("healthz", health_rate)):
            r = results[name]
            self.stdout.write(f"{name:8} {rate:8.1f} calls/s  ({r['calls']} calls, {r['errors']} errors)")
        self.stdout.write(f"ratio verify/healthz {verify_rate / health_rate:.2f}" if health_rate else "ratio n/a")
        if results["verify"]["errors"] or results["verify"]["wrong"]:
            raise CommandError(f"verification failed: {results['verify']}")

    def _measure(self, port, key, body, seconds, concurrency):
        results = {name: {"calls": 0, "errors": 0, "wrong": 0, "seconds": 0.0} for name in ("verify", "healthz")}
        lock = threading.Lock()
        requests = {
            "verify": (
                "POST",
                "/api/exchange/verify/residence",
                body,
                {"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            ),
            "healthz": ("GET", "/healthz", None, {}),
        }

        def client(phase_name, until, counts):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            method, path, payload, headers = requests[phase_name]
            while time.monotonic() < until:
                try:
                    conn.request(method, path, payload, headers)
                    response = conn.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException):
                    counts["errors"] += 1
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                    continue
                if response.status != 200:
                    counts["errors"] += 1
                elif phase_name == "verify" and json.loads(data) != {"answer": True}:
                    counts["wrong"] += 1
                else:
                    counts["calls"] += 1
            conn.close()

        phases = max(2, int(seconds / PHASE_SECONDS))
        for index in range(phases):
            name = "verify" if index % 2 == 0 else "healthz"
            started = time.monotonic()
            until = started + seconds / phases
            per_thread = [{"calls": 0, "errors": 0, "wrong": 0} for _ in range(concurrency)]
            threads = [threading.Thread(target=client, args=(name, until, c)) for c in per_thread]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            with lock:
                results[name]["seconds"] += time.monotonic() - started
                for counts in per_thread:
                    for k, v in counts.items():
                        results[name][k] += v
        return results
