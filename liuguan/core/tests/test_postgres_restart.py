"""PostgreSQL restarted under load, in CI (issue 13 §3): requests fail cleanly while it is down and succeed after;
a job due during the outage runs after the start.

The real thing, bounded: a throwaway cluster (initdb in /tmp, a free port, fsync off), filled without migrate by
`pg_restore` of a `pg_dump -Fc` of the migrated test database (conftest's `empty_database`), gunicorn with two
workers and the job runner on it (restarted when it exits, `jobs_requeue` first), two threads of load; then
`pg_ctl stop -m immediate`, 3 s down, start, 3 s more. The pieces are those of `manage.py fault_pg_restart`
(liuguan/core/faults.py), which runs longer and prints figures.
"""

import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from liuguan.core.faults import PG_BIN, Cluster, judge, restart_under_load
from liuguan.core.localserver import free_port

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db,  # keeps it in the PostgreSQL run of bin/test (LIUGUAN_TEST_DB_ONLY)
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), reason="stops and starts PostgreSQL"
    ),
]


def _dump(url: str, target: Path) -> None:
    """`pg_dump -Fc` of the database at `url` (on the server the tests use)."""
    env = {**os.environ}
    db = settings.DATABASES["default"]
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    subprocess.run(  # noqa: S603
        [str(PG_BIN / "pg_dump"), "-Fc", "-Z", "0", "-f", str(target), "-d",
         url.replace("postgres://", "postgresql://", 1)], check=True, capture_output=True, env=env, timeout=120,
    )  # fmt: skip


def test_postgres_restarted_under_load_answers_503_then_recovers_and_the_job_runs(empty_database, tmp_path):
    timings = {}
    started = time.monotonic()
    source = empty_database("pgrestart")
    _dump(source, tmp_path / "migrated.dump")
    timings["dump"] = time.monotonic() - started
    # the cluster's directory belongs to the postgres user, which cannot enter pytest's tmp_path when run as root
    cluster = Cluster(
        Path(tempfile.mkdtemp(prefix="liuguan-pgrestart-")), free_port(), "-c fsync=off -c synchronous_commit=off"
    )
    try:
        timings["initdb"] = cluster.initdb()
        timings["start"] = cluster.ctl("start")
        cluster.createdb()
        timings["restore"] = cluster.restore(tmp_path / "migrated.dump")
        env = {**os.environ, "DATABASE_URL": cluster.url, "LIUGUAN_VAR_DIR": str(tmp_path / "var"),
               "LIUGUAN_LOG_LEVEL": "ERROR"}  # fmt: skip
        outcome = restart_under_load(
            cluster, env, tmp_path, free_port(), before=2, down=3, after=3, mode="immediate", web_workers=2
        )
    finally:
        cluster.remove()
    lines, problems = judge(outcome)
    report = "\n".join([", ".join(f"{k} {v:.1f} s" for k, v in {**timings, **outcome.timings}.items()), *lines])
    print(report)  # shown with -rP or on failure

    phases = outcome.phases()
    down = phases["while down"]
    assert down, report
    assert {(a.status, bool(a.retry_after)) for a in down} == {(503, True)}, report
    assert all(a.content_type.startswith("application/json") for a in down if a.kind != "page"), report
    assert not any(a.traceback for a in outcome.answers), report
    after = phases["after the start"]
    assert after and all(a.status == 200 for a in after), report
    assert outcome.job is not None and outcome.job[0] == "SUCCESSFUL", report
    assert outcome.job[1].timestamp() > outcome.restarted_wall, report  # it ran after the start, not before the stop
    assert problems == [], report
    assert not cluster.dir.exists()
