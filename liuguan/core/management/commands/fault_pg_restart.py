"""python manage.py fault_pg_restart: PostgreSQL stopped under load and started again, on a throwaway cluster.

A cluster of its own (initdb into --dir, port --port, 127.0.0.1 only; never the server DATABASE_URL names), the
application migrated into it once (kept in --dir for the next run), gunicorn with two workers and the job
runner (restarted when it exits, after `jobs_requeue`, as its systemd unit does) on it. Two threads send the
officers' requests (a search over the API with a token, the home page with a session, /healthz) without pause;
a job is queued to run just after the stop. Then PostgreSQL stops (`pg_ctl stop -m fast`, or immediate), stays
down --down seconds, starts again; the command prints what the requests got in each phase, how long the service
took to answer again, and what became of the job. It fails (exit 1) if a request got anything but 503 with
Retry-After while the database was down, a traceback at any time, or if the job did not run.

The pieces are in liuguan/core/faults.py; the test core/tests/test_postgres_restart.py runs the same thing in CI
(bounded, on a cluster filled by pg_restore of the migrated test database instead of migrate).
"""

import os
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liuguan.core.faults import Cluster, FaultError, judge, manage, restart_under_load


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

    def _cluster(self, cluster: Cluster, env: dict, fresh: bool) -> dict:
        timings = {}
        ready = not fresh and (cluster.dir / "migrated").exists()
        if not ready:
            timings["initdb"] = cluster.initdb()
        timings["start"] = cluster.ctl("start")
        if not ready:
            cluster.createdb()
            timings["migrate"] = _timed(lambda: manage(env, "migrate", "--verbosity", "0"))
            (cluster.dir / "migrated").touch()
        return timings

    def handle(self, *args, **options):
        cluster = Cluster(Path(options["dir"]), options["port"])
        env = {**os.environ, "DATABASE_URL": cluster.url, "LIUGUAN_VAR_DIR": str(cluster.dir / "var"),
               "LIUGUAN_LOG_LEVEL": "ERROR"}  # fmt: skip
        try:
            timings = self._cluster(cluster, env, options["fresh"])
            outcome = restart_under_load(
                cluster, env, cluster.dir, options["web_port"], before=options["before"], down=options["down"],
                after=options["after"], mode=options["mode"],
            )  # fmt: skip
        except FaultError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if cluster.running():
                cluster.ctl("stop", "-m", "fast", check=False)
        outcome.timings = {**timings, **outcome.timings}
        w = self.stdout.write
        w("cluster: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in outcome.timings.items()))
        lines, problems = judge(outcome)
        for line in lines:
            w(line)
        if problems:
            for problem in problems:
                w(f"PROBLEM: {problem}")
            raise CommandError(f"{len(problems)} problem(s)")
        w(
            f"OK: PostgreSQL stopped ({options['mode']}) under load for {options['down']:.0f} s: every request while "
            "down got 503 with Retry-After, none a traceback; requests and the job succeeded after the start"
        )


def _timed(call) -> float:
    started = time.monotonic()
    call()
    return time.monotonic() - started
