"""PostgreSQL stopped under load and started again: the pieces `manage.py fault_pg_restart` and the test
`core/tests/test_postgres_restart.py` share.

A throwaway cluster (`Cluster`: initdb + pg_ctl, 127.0.0.1 only, never the server DATABASE_URL names), the
application's data in it (`SETUP`: a station officer with an API token and a job queued far ahead), gunicorn and
the job runner on it (`Supervised`: restarted a second after it exits, `jobs_requeue` first, as its systemd unit
does), threads sending the officers' requests without pause (`Load`), and `restart_under_load`, which stops
PostgreSQL under that load, keeps it down, starts it again and returns what every request and the job got;
`judge` says what went wrong (an answer other than 503 with Retry-After while down, a traceback, a failure after
the start, a job that did not run).
"""

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from .localserver import ServerNotUp, gunicorn, stop_process, wait_until_up

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PASSWORD = "Fault-pg-restart-2026!"  # noqa: S105 (an account in a throwaway cluster)
# The application's data in the throwaway database: a few divisions, a station officer with an API token, and a
# job for later (queued far ahead; the run moves it to just after the stop). Prints the token and job id.
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


class FaultError(Exception):
    """The run could not be set up or carried out (not a finding about the application)."""


def manage(env: dict, *args: str, timeout: float = 600) -> str:
    """Run this project's manage.py with `env`; its output, or FaultError."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args], env=env, capture_output=True,
        text=True, cwd=settings.BASE_DIR, timeout=timeout,
    )  # fmt: skip
    if done.returncode != 0:
        raise FaultError(f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Cluster:
    """A throwaway PostgreSQL 15 cluster in `directory` on 127.0.0.1:`port`, database `liuguan`."""

    def __init__(self, directory: Path, port: int, options: str = "-c fsync=off"):
        self.dir, self.port, self.options = Path(directory), port, options
        self.data = self.dir / "data"
        self.url = f"postgres://postgres@127.0.0.1:{port}/liuguan"

    def pg(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # PostgreSQL refuses to run as root; the cluster belongs to the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        try:
            return subprocess.run([*prefix, *args], capture_output=True, text=True, check=check, timeout=120)  # noqa: S603
        except subprocess.CalledProcessError as exc:
            raise FaultError(f"{' '.join(args[:2])} failed: {exc.stderr or exc.stdout}") from exc

    def initdb(self) -> float:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        started = time.monotonic()
        self.pg(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        return time.monotonic() - started

    def ctl(self, action: str, *extra: str, check: bool = True) -> float:
        started = time.monotonic()
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 {self.options}"
        self.pg(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-w",
                "-o", options, *extra, action, check=check)  # fmt: skip
        return time.monotonic() - started

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def createdb(self) -> None:
        self.pg(str(PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "liuguan")

    def restore(self, dump: Path, jobs: int = 2) -> float:
        """Fill `liuguan` from a `pg_dump -Fc` file (no migrate); the seconds it took."""
        started = time.monotonic()
        done = subprocess.run(  # noqa: S603
            [str(PG_BIN / "pg_restore"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "liuguan",
             "--no-owner", "--no-acl", "-j", str(jobs), str(dump)], capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        if done.returncode != 0:
            raise FaultError(f"pg_restore failed: {done.stderr}")
        return time.monotonic() - started

    def sql(self, query: str, params=()) -> list[tuple]:
        import psycopg

        # Durable whatever PGOPTIONS or the cluster say: a commit not yet flushed is lost by `stop -m immediate`
        # (the job moved just before the stop stayed an hour ahead that way).
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="liuguan", connect_timeout=5,
                             autocommit=True, options="-c synchronous_commit=on") as conn:  # fmt: skip
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def remove(self) -> None:
        """Stop it at once if it runs, and delete its directory."""
        if self.running():
            with contextlib.suppress(FaultError, subprocess.TimeoutExpired):
                self.ctl("stop", "-m", "immediate", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


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
        self.workers: list[threading.Thread] = []
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
                raise FaultError("could not sign in to the server under test")

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


def _manage_popen(env: dict, log: Path, *args: str) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 (this project's manage.py)
            [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args], env=env, stdout=out, stderr=out,
            cwd=settings.BASE_DIR,
        )  # fmt: skip


class Supervised:
    """The job runner, restarted a second after it exits (systemd: Restart=always), `jobs_requeue` first."""

    def __init__(self, env: dict, log: Path, worker_id: str = "fault-pg"):
        self.env, self.log, self.worker_id = env, log, worker_id
        self.exits: list[tuple[float, int]] = []
        self.stop = threading.Event()
        self.process = None
        self.requeue = None
        self.started = time.monotonic()
        self.thread = None

    def _run(self) -> None:
        while not self.stop.is_set():
            self.requeue = _manage_popen(self.env, self.log, "jobs_requeue", "--worker-id", self.worker_id)
            if self.requeue.wait() == 0 and not self.stop.is_set():
                self.process = _manage_popen(self.env, self.log, "db_worker", "--worker-id", self.worker_id,
                                             "--no-startup-delay", "--no-reload", "--interval", "0.5",
                                             "--skip-checks")  # fmt: skip
                code = self.process.wait()
                if not self.stop.is_set():
                    self.exits.append((time.monotonic() - self.started, code))
            self.stop.wait(1)

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def wait_started(self, seen: int, timeout: float = 300) -> None:
        """Until the log shows one more `Starting worker` than `seen`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.log.exists() and self.log.read_text().count("Starting worker") > seen:
                return
            time.sleep(0.1)
        raise FaultError(f"the job runner did not start; see {self.log}")

    def finish(self) -> None:
        self.stop.set()
        stop_process(self.requeue)
        stop_process(self.process)
        if self.thread is not None:
            self.thread.join(timeout=60)
        # the loop may have started one more process between the checks
        stop_process(self.requeue)
        stop_process(self.process)


@dataclass
class Outcome:
    answers: list[Answer]
    stopped_at: float  # seconds after the load started
    started_at: float
    timings: dict[str, float]
    job: tuple | None  # status, started_at, finished_at, worker_ids
    restarted_wall: float  # time.time() when `pg_ctl start` returned
    exits: list[tuple[float, int]] = field(default_factory=list)

    def phases(self) -> dict[str, list[Answer]]:
        stop, start = self.timings["stop"], self.timings["restart"]
        return {
            "before the stop": [a for a in self.answers if a.at + a.seconds < self.stopped_at],
            "while down": [
                a for a in self.answers if a.at > self.stopped_at + stop and a.at + a.seconds < self.started_at
            ],
            "after the start": [a for a in self.answers if a.at > self.started_at + start],
        }


def restart_under_load(
    cluster: Cluster,
    env: dict,
    workdir: Path,
    web_port: int,
    *,
    before: float,
    down: float,
    after: float,
    mode: str = "immediate",
    web_workers: int = 2,
    threads: int = 2,
) -> Outcome:
    """On a running cluster filled with the migrated schema: the whole run. Everything it starts is stopped before
    it returns or raises; the cluster is left running (started again).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    web = worker = load = None
    try:
        started = time.monotonic()
        web = gunicorn(port=web_port, env=env, workers=web_workers, log=workdir / "gunicorn.log")
        worker_log = workdir / "worker.log"
        seen = worker_log.read_text().count("Starting worker") if worker_log.exists() else 0
        # the data first: jobs_requeue and the worker start on a database that has it
        setup = json.loads(manage(env, "shell", "-c", SETUP % {"password": PASSWORD}).splitlines()[-1])
        worker = Supervised(env, worker_log)
        worker.start()
        base = f"http://127.0.0.1:{web_port}"
        try:
            wait_until_up(web, web_port, log=workdir / "gunicorn.log")
        except ServerNotUp as exc:
            raise FaultError(str(exc)) from exc
        worker.wait_started(seen)
        timings["processes"] = time.monotonic() - started
        load = Load(base, setup["token"], threads)
        load.login()
        load.start()
        time.sleep(before)

        # the job falls due while the database is down
        cluster.sql("UPDATE django_tasks_database_dbtaskresult SET run_after = now() + interval '1 second' "
                    "WHERE id = %s", (setup["job"],))  # fmt: skip
        stopped_at = time.monotonic() - load.started
        timings["stop"] = cluster.ctl("stop", "-m", mode)
        time.sleep(down)
        started_at = time.monotonic() - load.started
        timings["restart"] = cluster.ctl("start")
        restarted_wall = time.time()
        deadline = time.monotonic() + 120
        job = None
        while time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                rows = cluster.sql(
                    "SELECT status, started_at, finished_at, worker_ids FROM django_tasks_database_dbtaskresult "
                    "WHERE id = %s",
                    (setup["job"],),
                )
                job = rows[0] if rows else None
            if job and job[0] in ("SUCCESSFUL", "FAILED") and time.monotonic() - load.started > started_at + after:
                break
            time.sleep(0.2)
        load.finish()
        return Outcome(load.answers, stopped_at, started_at, timings, job, restarted_wall, worker.exits)
    finally:
        if load is not None:
            load.finish()
        if worker is not None:
            worker.finish()
        stop_process(web)


def judge(outcome: Outcome) -> tuple[list[str], list[str]]:
    """What each phase got (lines to print), and the problems found (empty: it held)."""
    lines, problems = [], []
    phases = outcome.phases()
    for phase, got in phases.items():
        counts = Counter((a.kind, a.status) for a in got)
        slowest = max((a.seconds for a in got), default=0)
        by_kind = ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(counts.items(), key=str))
        lines.append(f"{phase}: {len(got)} requests, slowest {slowest * 1000:.0f} ms; {by_kind}")
    for a in outcome.answers:
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
    lines.append("while down, by type: " + ", ".join(f"{k} {t}: {n}" for (k, t), n in sorted(types.items())))
    if any(a.kind != "page" and not a.content_type.startswith("application/json") for a in down):
        problems.append("an API or health answer while down was not JSON")
    after = sorted((a for a in outcome.answers if a.at > outcome.started_at), key=lambda a: a.at)
    first_ok = next((a for a in after if a.status == 200 and a.kind != "healthz"), None)
    failed_after = [a for a in phases["after the start"] if a.status != 200]
    restart = outcome.timings["restart"]
    if first_ok is None:
        problems.append("no request succeeded after the database started again")
    else:
        back = first_ok.at + first_ok.seconds - outcome.started_at - restart
        lines.append(f"first success after `pg_ctl start` returned: {back:.2f} s (the start took {restart:.2f} s)")
    if not phases["after the start"]:
        problems.append("no request was answered after the database started again")
    if failed_after:
        problems.append(f"{len(failed_after)} requests failed after the restart")
    exits = outcome.exits
    lines.append(f"job runner exits while down (restarted after 1 s with jobs_requeue first): {len(exits)}"
                 + (f", exit codes {sorted({code for _t, code in exits})}" if exits else ""))  # fmt: skip
    job = outcome.job
    if job is None or job[0] != "SUCCESSFUL":
        problems.append(f"the job due during the outage did not run: {job}")
    else:
        ran = job[1].timestamp() - outcome.restarted_wall
        lines.append(
            f"job due during the outage: {job[0]}, started {ran:.1f} s after the database was back, by {job[3]}"
        )
    return lines, problems
