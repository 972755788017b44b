"""python manage.py bench_load [--seconds 30] [--users 20] [--workers 4]: a load test against a production-style
server, beside the same server's /healthz ceiling in the same run.

Needs PostgreSQL with a demo province loaded (`manage.py demo --persons 20000` and the steps of bin/demo, or
bin/demo itself with DATABASE_URL set). Starts gunicorn (sync workers, persistent database connections, static
files from WhiteNoise) on a free 127.0.0.1 port, then Locust headless (liuguan/core/load/locustfile.py) twice:
the officers' mix (search, person over the API and as a page, registration, verification, dashboard) and
/healthz alone, each for --seconds with --users concurrent users. Prints requests/s, failures and p50/p95/p99
per request type, and the mix's throughput as a ratio of the ceiling. Bounded: both phases stop by themselves.
Locust runs on the same two cores as the server; the figures are this machine's, not a capacity plan.
"""

import csv
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.accounts.services import token_issue
from liuguan.core.identity import china_today
from liuguan.core.localserver import ServerNotUp, free_port, gunicorn, stop_process, wait_until_up
from liuguan.core.scoping import within
from liuguan.demo.accounts import DEMO_PASSWORD
from liuguan.registry.models import Person, Stay

LOCUSTFILE = Path(__file__).resolve().parents[2] / "load" / "locustfile.py"


def _fixture() -> dict:
    """Tokens and samples for the users: a county officer reads, a station officer registers, the province
    administrator reads dashboards, a department subsystem verifies.
    """
    from liuguan.exchange.management.commands.bench_exchange import _setup as verification_setup

    reader = User.objects.filter(role=Role.COUNTY_OFFICER, is_active=True).order_by("username").first()
    writer = User.objects.filter(role=Role.STATION_OFFICER, is_active=True).order_by("username").first()
    leader = User.objects.filter(role=Role.PROVINCE_ADMIN, is_active=True).order_by("username").first()
    if reader is None or writer is None or leader is None or Stay.objects.count() < 1000:
        raise CommandError("Load the demo province first (bin/demo with DATABASE_URL, or manage.py demo).")
    reader.set_password(DEMO_PASSWORD)
    reader.save(update_fields=["password"])
    people = list(
        Stay.objects.filter(within("community_id", reader.division_id), departed_on__isnull=True)
        .order_by("person_id")
        .values_list("person_id", flat=True)[:2000]
    )
    names = Person.objects.filter(pk__in=people[:300]).values_list("name_pinyin", "doc_number")
    queries = sorted({pinyin[:4] for pinyin, _n in names if pinyin} | {number[-6:] for _p, number in names})
    department_key, verify_body = verification_setup()
    counties = sorted({code[:6] for code in Stay.objects.values_list("community_id", flat=True)[:5000]})
    return {
        "reader_token": token_issue(actor=reader, name="bench_load", days=1)[1],
        "reader_username": reader.username,
        "password": DEMO_PASSWORD,
        "writer_token": token_issue(actor=writer, name="bench_load", days=1)[1],
        "leader_token": token_issue(actor=leader, name="bench_load", days=1)[1],
        "department_token": department_key,
        "verify_body": verify_body,
        "people": people,
        "queries": queries[:200],
        "community": writer.division_id,
        "hukou_area": "510104",
        "today": china_today().isoformat(),
        "areas": [settings.LIUGUAN_PROVINCE_CODE, *counties[:5]],
    }


def _stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


class Command(BaseCommand):
    help = "Load test (Locust) of the officers' mix against gunicorn + PostgreSQL, beside /healthz in the same run."

    def add_arguments(self, parser):
        parser.add_argument("--seconds", type=int, default=30, help="length of each phase (mix, then /healthz)")
        parser.add_argument("--users", type=int, default=20, help="concurrent simulated users")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")

    def handle(self, *args, seconds: int, users: int, workers: int, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_load measures the production set-up: set DATABASE_URL to PostgreSQL.")
        fixture = _fixture()
        port = free_port()
        work = Path(tempfile.mkdtemp(prefix="liuguan-load-"))
        fixture_file = work / "fixture.json"
        fixture_file.write_text(json.dumps(fixture), encoding="utf-8")
        env = {**os.environ, "LIUGUAN_LOAD_FIXTURE": str(fixture_file), "LIUGUAN_REQUIRE_2FA": "0"}
        server = gunicorn(port=port, env=env, workers=workers, extra=("--log-level", "warning"))
        try:
            try:
                wait_until_up(server, port, timeout=60)
            except ServerNotUp as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"server: gunicorn, {workers} sync workers, PostgreSQL; {users} users, {seconds} s per phase; "
                f"{len(fixture['people'])} people sampled"
            )
            results = {}
            for phase, user_class in (("mix", "Officer"), ("healthz", "Health")):
                prefix = work / phase
                locust = Path(sys.executable).with_name("locust")
                done = subprocess.run(  # noqa: S603 (our own locustfile)
                    [
                        str(locust),
                        "-f",
                        str(LOCUSTFILE),
                        user_class,
                        "--headless",
                        "-u",
                        str(users),
                        "-r",
                        str(users),
                        "--run-time",
                        f"{seconds}s",
                        "--host",
                        f"http://127.0.0.1:{port}",
                        "--csv",
                        str(prefix),
                        "--only-summary",
                        "--stop-timeout",
                        "5",
                        "--exit-code-on-error",
                        "0",
                    ],
                    cwd=settings.BASE_DIR,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=seconds + 120,
                )
                if done.returncode != 0:
                    raise CommandError(f"locust failed: {done.stderr[-800:]}")
                results[phase] = _stats(prefix)
            self._print(results)
        finally:
            stop_process(server)

    def _print(self, results: dict) -> None:
        header = f"{'request':<18}{'count':>8}{'fail':>6}{'req/s':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}"
        self.stdout.write(header)
        rates = {}
        for phase, rows in results.items():
            for row in rows:
                if row["Name"] in ("login page", "login"):
                    continue
                name = f"{phase}: all" if row["Name"] == "Aggregated" else row["Name"]
                if row["Name"] == "Aggregated":
                    rates[phase] = float(row["Requests/s"])
                self.stdout.write(
                    f"{name:<18}{row['Request Count']:>8}{row['Failure Count']:>6}{float(row['Requests/s']):>9.1f}"
                    f"{row['50%']:>8}{row['95%']:>8}{row['99%']:>8}"
                )
        if rates.get("healthz"):
            self.stdout.write(
                f"mix throughput / healthz ceiling: {rates['mix']:.1f} / {rates['healthz']:.1f} req/s = "
                f"{rates['mix'] / rates['healthz']:.2f}  ({dt.datetime.now():%Y-%m-%d %H:%M})"
            )
