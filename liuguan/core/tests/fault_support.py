"""What the fault tests share: a child process of this project's manage.py on the test's own database, waiting on a
database condition while it works, and SIGKILL.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from liuguan.core.models import AuditChainHead

ROOT = Path(settings.BASE_DIR)
# Bounds, not targets: a child's start (Django's setup) takes a second or two, several on a busy machine.
TIMEOUT = 90


def database_url() -> str:
    """The URL of the database this test runs on (pytest-django's test database), for a child process."""
    db = settings.DATABASES["default"]
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    port = db.get("PORT") or 5432
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db.get('HOST') or '127.0.0.1'}:{port}/{db['NAME']}"


def child_env(tmp_path: Path, **extra: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "LIUGUAN_VAR_DIR": str(tmp_path / "child-var"),
        "LIUGUAN_LOG_LEVEL": "ERROR",
        **extra,
    }


def manage(env: dict, *args: str) -> subprocess.Popen:
    """Start `manage.py ARGS` on the test database; its output goes to pipes the caller reads after it ends.
    (Pass --skip-checks where the command has it: the system checks cost a child 2-3 s of CPU.)
    """
    return subprocess.Popen(  # noqa: S603 (this project's own manage.py)
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def run(env: dict, *args: str) -> subprocess.CompletedProcess:
    """Run `manage.py ARGS` to its end."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=TIMEOUT,
    )  # fmt: skip
    assert done.returncode == 0, f"manage.py {args[0]} failed:\n{done.stdout}\n{done.stderr}"
    return done


def worker(worker_id: str) -> tuple[str, ...]:
    """The job runner as deployed (deploy/systemd: a fixed worker id), but leaving once the queue is empty."""
    return ("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0.05", "--worker-id", worker_id,
            "--skip-checks")  # fmt: skip


def wait_until(condition: Callable[[], bool], child: subprocess.Popen, what: str, timeout: float = TIMEOUT) -> None:
    """Poll a condition (a database read, a counter) while the child works; fail if the child ends first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        if child.poll() is not None:
            out, err = child.communicate()
            raise AssertionError(f"the child ended before {what}:\n{out}\n{err}")
        time.sleep(0.01)
    kill(child)
    raise AssertionError(f"timed out waiting for {what}")


def kill(child: subprocess.Popen) -> None:
    """SIGKILL: no handler, no cleanup, no commit of what the child was in the middle of."""
    if child.poll() is None:
        child.send_signal(signal.SIGKILL)
    child.communicate(timeout=TIMEOUT)


def audit_writer_busy() -> bool:
    """True while another process is in the middle of a write transaction: on PostgreSQL one that has appended to
    the audit chain and holds the chain head's row lock until it commits; on SQLite one that holds the write lock.
    """
    if connection.vendor == "sqlite":
        probe = sqlite3.connect(settings.DATABASES["default"]["NAME"], timeout=0)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.rollback()
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    try:
        with transaction.atomic():
            list(AuditChainHead.objects.select_for_update(nowait=True).filter(pk=1))
        return False
    except DatabaseError:
        return True
