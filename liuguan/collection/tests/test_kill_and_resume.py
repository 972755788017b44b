import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from liuguan.accounts.roles import Role
from liuguan.collection.importing.synthetic import write_csv
from liuguan.collection.models import ImportBatch
from liuguan.core.audit import audit_verify
from liuguan.registry.models import Person, Stay

ROOT = Path(settings.BASE_DIR)
ROWS = 40_000
CHUNK = 1_000


def _database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for a child process."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:{port}/{db['NAME']}"


def _command(path: Path, user) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "manage.py"),
        "import_stays",
        str(path),
        "--as",
        user.username,
        "--chunk-size",
        str(CHUNK),
        "--quiet",
        "--skip-checks",  # the system checks load every API route: seconds per start, nothing this test needs
    ]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_killed_import_leaves_whole_chunks_and_a_rerun_completes_it(users, tmp_path):
    street = users[Role.STREET_OFFICER]
    path = write_csv(tmp_path / "big.csv", ROWS, communities=["510104001001", "510104001002"])
    env = {**os.environ, "DATABASE_URL": _database_url(), "LIUGUAN_VAR_DIR": str(tmp_path / "child-var")}

    # given an import killed after a few chunks were committed
    child = subprocess.Popen(  # noqa: S603 (this project's own manage.py)
        _command(path, street), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        batch = ImportBatch.objects.filter(created_by=street).first()
        if batch is not None and batch.last_row >= 3 * CHUNK:
            break
        assert child.poll() is None, child.communicate()
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()

    # then only whole chunks are there, and they agree with the batch's counters
    batch = ImportBatch.objects.get(created_by=street)
    assert batch.status == "running", "the import finished before it could be killed; make ROWS larger"
    assert 3 * CHUNK <= batch.last_row < ROWS
    refs = list(Stay.objects.filter(source_ref__startswith=f"import:{batch.pk}:").values_list("source_ref", flat=True))
    written = sorted(int(ref.rsplit(":", 1)[1]) for ref in refs)
    assert written == list(range(2, batch.last_row + 1))
    assert (batch.last_row - 1) % CHUNK == 0
    assert batch.accepted == len(written) == Person.objects.count()

    # when the same command runs again, it resumes and completes without duplicates
    done = subprocess.run(  # noqa: S603
        _command(path, street), env=env, cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    batch.refresh_from_db()
    assert (batch.status, batch.rows_done, batch.accepted, batch.rejected) == ("done", ROWS, ROWS, 0)
    assert Person.objects.count() == ROWS and Stay.objects.count() == ROWS
    assert Stay.objects.values("source_ref").distinct().count() == ROWS
    assert f"{ROWS:,} accepted" in done.stdout and "result workbook" in done.stdout
    assert audit_verify().ok
