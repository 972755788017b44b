"""python manage.py fault_pg_restart: PostgreSQL stopped under load and started again, on a throwaway cluster.

A cluster of its own (initdb into --dir, port --port, 127.0.0.1 only; never the server DATABASE_URL names), the
application migrated into it once (kept in --dir for the next run), gunicorn with two workers and the job
runner (restarted when it exits, after `jobs_requeue`, as its systemd unit does) on it. Two threads send the
officers' requests (a search over the API with a token, the home page with a session, /healthz) without pause;
a job is queued to run just after the stop. Then PostgreSQL stops (`pg_ctl stop -m fast`, or immediate), stays
down --down seconds, starts again; the command prints what the requests got in each phase, how long the service
took to answer again, and what became of the job. It fails (exit 1) if a request got anything but 503 with
Retry-After while the database was down, a traceback at any time, or if the job did not run.
"""

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "Fault-pg-restart-2026!"  # noqa: S105 (an account in a throwaway cluster)
# The application's data in the throwaway database: a few divisions, a station officer with an API token, and a
# job for later (queued far ahead; the command moves it to just after the stop). Prints the token and job id.
SETUP = """
import json, datetime as dt
from django.utils import timezone
from liuguan.accounts.services import token_issue, user_create
from liuguan.core.audit import SYSTEM
from liuguan.geo.loading import DivisionRow, divisions_load
from liuguan.geo.models import Division
from liuguan.oversight.tasks import cells_refresh_task
rows = [DivisionRow("51", "四川省", "province", ""), DivisionRow("5101", "成都市", "prefecture", "51"),
        DivisionRow("510104", "锦江区", "county", "5101"), DivisionRow("510104001", "督院街街道", "township", "510104"),
        DivisionRow("510104001001", "东御河沿社区", "community", "510104001")]
divisions_load(rows=rows, actor=SYSTEM, source="cli")
from liuguan.accounts.models import User
user = User.objects.filter(username="fault_station").first() or user_create(
    actor=SYSTEM, username="fault_station", password=%(password)r, role="station_officer",
    division=Division.objects.get(code="510104001001"))
_token, key = token_issue(actor=user, name="fault")
job = cells_refresh_task.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue()
print(json.dumps({"token": key, "job": str(job.id)}))
"""


@dataclass
class Answer:
    at: float
    kind: str
    status: int | None
    seconds: float
    retry_after: str
    content_type: str
    traceback: bool
    error: str = ""


class Load:
    """Threads sending the mix without pause; every answer is kept with its time."""

    def __init__(self, base: str, token: str, threads: int = 2):
        self.base, self.token, self.threads = base, token, threads
        self.answers: list[Answer] = []
        self.stop = threading.Event()
        self.started = time.monotonic()
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def login(self) -> None:
        with self.opener.open(f"{self.base}/accounts/login/", timeout=30) as response:
            page = response.read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "username": "fault_station", "password": PASSWORD}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 (the server under test, on 127.0.0.1)
            f"{self.base}/accounts/login/", data=data, headers={"Referer": self.base}
        )
        with self.opener.open(request, timeout=30) as response:
            if "/accounts/login/" in response.geturl():
                raise CommandError("could not sign in to the server under test")

    def _one(self, kind: str) -> Answer:
        if kind == "api search":
            request = urllib.request.Request(  # noqa: S310 (the server under test, on 127.0.0.1)
                f"{self.base}/api/registry/persons?q=%E5%BC%A0", headers={"Authorization": f"Bearer {self.token}"}
            )
        else:
            request = urllib.request.Request(f"{self.base}/" if kind == "page" else f"{self.base}/healthz")  # noqa: S310
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=15) as response:
                status, headers, body = response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, exc.headers, exc.read()
        except (urllib.error.URLError, OSError) as exc:
            return Answer(started - self.started, kind, None, time.monotonic() - started, "", "", False, str(exc))
        return Answer(
            started - self.started,
            kind,
            status,
            time.monotonic() - started,
            headers.get("Retry-After", ""),
            headers.get("Content-Type", ""),
            b"Traceback" in body or b'File "' in body,
        )

    def _run(self, offset: int) -> None:
        kinds = ["api search", "page", "healthz"]
        n = offset
        while not self.stop.is_set():
            self.answers.append(self._one(kinds[n % len(kinds)]))
            n += 1

    def start(self) -> None:
        self.workers = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.threads)]
        for thread in self.workers:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.workers:
            thread.join(timeout=30)


class Supervised:
    """The job runner, restarted a second after it exits (systemd: Restart=always), `jobs_requeue` first."""

    def __init__(self, env: dict, log: Path, worker_id: str = "fault-pg"):
        self.env, self.log, self.worker_id = env, log, worker_id
        self.exits: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.process = None
        self.started = time.monotonic()

    def _manage(self, *args):
        with self.log.open("ab") as out:
            return subprocess.Popen(  # noqa: S603 (this project's manage.py)
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args], env=self.env, stdout=out,
                stderr=out, cwd=settings.BASE_DIR,
            )  # fmt: skip

    def _run(self) -> None:
        while not self.stop.is_set():
            requeue = self._manage("jobs_requeue", "--worker-id", self.worker_id)
            if requeue.wait() == 0:
                self.process = self._manage("db_worker", "--worker-id", self.worker_id, "--no-startup-delay",
                                            "--no-reload", "--interval", "0.5", "--skip-checks")  # fmt: skip
                code = self.process.wait()
                if not self.stop.is_set():
                    self.exits.append((time.monotonic() - self.started, code))
            self.stop.wait(1)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def finish(self) -> None:
        self.stop.set()
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=30)
            if self.process.poll() is None:
                self.process.kill()
        self.thread.join(timeout=60)


class Command(BaseCommand):
    help = "Stop and start a throwaway PostgreSQL under load; print what requests and jobs saw (issue 13)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--dir",
            default="/tmp/liuguan-fault-pg",  # noqa: S108 (a throwaway cluster)
            help="the throwaway cluster (kept, reused)",
        )
        parser.add_argument("--port", type=int, default=5440, help="its port on 127.0.0.1 (default 5440)")
        parser.add_argument("--web-port", type=int, default=8804, help="gunicorn's port (default 8804)")
        parser.add_argument("--before", type=float, default=5, help="seconds of load before the stop")
        parser.add_argument("--down", type=float, default=6, help="seconds the database stays down")
        parser.add_argument("--after", type=float, default=6, help="seconds of load after the start, at least")
        parser.add_argument("--mode", choices=["fast", "immediate"], default="fast", help="pg_ctl stop mode")
        parser.add_argument("--fresh", action="store_true", help="make the cluster afresh (initdb, migrate)")

    # the cluster ---------------------------------------------------------------------------------------------

    def _pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # PostgreSQL refuses to run as root; the cluster belongs to the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, check=check, timeout=120)  # noqa: S603

    def _pg_ctl(self, action: str, *extra: str) -> float:
        started = time.monotonic()
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w",
                 "-o", options, *extra, action)  # fmt: skip
        return time.monotonic() - started

    def _cluster(self, fresh: bool) -> dict:
        timings = {}
        if fresh and self.dir.exists():
            shutil.rmtree(self.dir)
        ready = (self.dir / "migrated").exists()
        if not ready:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir.mkdir(parents=True)
            if os.geteuid() == 0:
                shutil.chown(self.dir, "postgres")
            started = time.monotonic()
            self._pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                     "--no-sync", "--locale=C.UTF-8")  # fmt: skip
            timings["initdb"] = time.monotonic() - started
        timings["start"] = self._pg_ctl("start")
        if not ready:
            self._pg(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "liuguan")
            started = time.monotonic()
            self._manage("migrate", "--verbosity", "0")
            timings["migrate"] = time.monotonic() - started
            (self.dir / "migrated").touch()
        return timings

    def _manage(self, *args: str) -> str:
        done = subprocess.run(  # noqa: S603
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args], env=self.env, capture_output=True,
            text=True, cwd=settings.BASE_DIR, timeout=600,
        )  # fmt: skip
        if done.returncode != 0:
            raise CommandError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def _sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="liuguan",
                             connect_timeout=5, autocommit=True) as conn:  # fmt: skip
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    # the run -------------------------------------------------------------------------------------------------

    def handle(self, *args, **options):
        self.dir = Path(options["dir"])
        self.data = self.dir / "data"
        self.port = options["port"]
        url = f"postgres://postgres@127.0.0.1:{self.port}/liuguan"
        self.env = {**os.environ, "DATABASE_URL": url, "LIUGUAN_VAR_DIR": str(self.dir / "var"),
                    "LIUGUAN_LOG_LEVEL": "ERROR"}  # fmt: skip
        base = f"http://127.0.0.1:{options['web_port']}"
        timings = self._cluster(options["fresh"])
        web = worker = load = None
        try:
            setup = json.loads(self._manage("shell", "-c", SETUP % {"password": PASSWORD}).splitlines()[-1])
            with (self.dir / "gunicorn.log").open("ab") as log:
                web = subprocess.Popen(  # noqa: S603
                    [str(Path(sys.executable).parent / "gunicorn"), "liuguan.wsgi", "-w", "2", "--timeout", "30",
                     "-b", f"127.0.0.1:{options['web_port']}"], env=self.env, stdout=log, stderr=log,
                    cwd=settings.BASE_DIR,
                )  # fmt: skip
            self._wait_for(f"{base}/healthz", web)
            worker_log = self.dir / "worker.log"
            seen = worker_log.read_text().count("Starting worker") if worker_log.exists() else 0
            worker = Supervised(self.env, worker_log)
            worker.start()
            deadline = time.monotonic() + 300
            while worker_log.read_text().count("Starting worker") <= seen and time.monotonic() < deadline:
                time.sleep(0.2)
            load = Load(base, setup["token"])
            load.login()
            load.start()
            time.sleep(options["before"])

            # the job falls due while the database is down
            self._sql("UPDATE django_tasks_database_dbtaskresult SET run_after = now() + interval '2 seconds' "
                      "WHERE id = %s", (setup["job"],))  # fmt: skip
            stopped_at = time.monotonic() - load.started
            timings["stop"] = self._pg_ctl("stop", "-m", options["mode"])
            time.sleep(options["down"])
            started_at = time.monotonic() - load.started
            timings["restart"] = self._pg_ctl("start")
            self.restarted_wall = time.time()
            deadline = time.monotonic() + 120
            job = None
            while time.monotonic() < deadline:
                rows = self._sql(
                    "SELECT status, started_at, finished_at, worker_ids FROM django_tasks_database_dbtaskresult "
                    "WHERE id = %s",
                    (setup["job"],),
                )
                job = rows[0] if rows else None
                if (
                    job
                    and job[0] in ("SUCCESSFUL", "FAILED")
                    and time.monotonic() - load.started > started_at + options["after"]
                ):
                    break
                time.sleep(0.2)
            load.finish()
        finally:
            if load is not None:
                load.finish()
            if worker is not None:
                worker.finish()
            if web is not None:
                web.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    web.wait(timeout=30)
                if web.poll() is None:
                    web.kill()
            self._pg_ctl("stop", "-m", "fast")
        return self._report(load.answers, stopped_at, started_at, timings, job, worker.exits, options)

    def _wait_for(self, url: str, process: subprocess.Popen) -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise CommandError(f"the server ended; see {self.dir / 'gunicorn.log'}")
            try:
                with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (local address)
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        raise CommandError("the server did not start")

    def _report(self, answers, stopped_at, started_at, timings, job, exits, options) -> None:
        w = self.stdout.write
        w("cluster: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in timings.items()))
        phases = {
            "before the stop": [a for a in answers if a.at + a.seconds < stopped_at],
            "while down": [a for a in answers if a.at > stopped_at + timings["stop"] and a.at + a.seconds < started_at],
            "after the start": [a for a in answers if a.at > started_at + timings["restart"]],
        }
        problems = []
        for phase, got in phases.items():
            counts = Counter((a.kind, a.status) for a in got)
            slowest = max((a.seconds for a in got), default=0)
            by_kind = ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(counts.items(), key=str))
            w(f"{phase}: {len(got)} requests, slowest {slowest * 1000:.0f} ms; {by_kind}")
        for a in answers:
            if a.traceback:
                problems.append(f"a traceback in an answer to {a.kind} at {a.at:.1f} s")
        down = phases["while down"]
        wrong = [a for a in down if a.status != 503 or a.retry_after == ""]
        if not down:
            problems.append("no request was answered while the database was down")
        if wrong:
            problems.append(f"{len(wrong)} answers while down were not 503 with Retry-After: "
                            + ", ".join(sorted({f'{a.kind} {a.status} {a.error}' for a in wrong})))  # fmt: skip
        types = Counter((a.kind, a.content_type.split(";")[0]) for a in down)
        w("while down, by type: " + ", ".join(f"{kind} {ctype}: {n}" for (kind, ctype), n in sorted(types.items())))
        if any(a.kind != "page" and not a.content_type.startswith("application/json") for a in down):
            problems.append("an API or health answer while down was not JSON")
        after = sorted((a for a in answers if a.at > started_at), key=lambda a: a.at)
        first_ok = next((a for a in after if a.status == 200 and a.kind != "healthz"), None)
        failed_after = [a for a in phases["after the start"] if a.status != 200]
        if first_ok is None:
            problems.append("no request succeeded after the database started again")
        else:
            back = first_ok.at + first_ok.seconds - started_at - timings["restart"]
            w(f"first success after `pg_ctl start` returned: {back:.2f} s (the start took {timings['restart']:.2f} s)")
        if failed_after:
            problems.append(f"{len(failed_after)} requests failed after the restart")
        w(f"job runner exits while down (restarted after 1 s with jobs_requeue first): {len(exits)}"
          + (f", exit codes {sorted({code for _t, code in exits})}" if exits else ""))  # fmt: skip
        if job is None or job[0] != "SUCCESSFUL":
            problems.append(f"the job due during the outage did not run: {job}")
        else:
            ran = job[1].timestamp() - self.restarted_wall
            w(f"job due during the outage: {job[0]}, started {ran:.1f} s after the database was back, by {job[3]}")
        if problems:
            for problem in problems:
                w(f"PROBLEM: {problem}")
            raise CommandError(f"{len(problems)} problem(s)")
        w(
            f"OK: PostgreSQL stopped ({options['mode']}) under load for {options['down']:.0f} s: every request while "
            "down got 503 with Retry-After, none a traceback; requests and the job succeeded after the start"
        )
