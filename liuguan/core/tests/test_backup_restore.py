"""A backup restored into a new database holds the same rows, and verify_audit passes on it (and fails on a
tampered copy): the round trip a province runs after every restore drill."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from liuguan.accounts.roles import Role
from liuguan.accounts.services import token_issue, token_revoke
from liuguan.core.models import AuditEvent
from liuguan.registry.models import Person, Stay

ROOT = Path(__file__).resolve().parents[3]
TABLES = ("core_auditevent", "registry_person", "registry_stay", "geo_division", "accounts_user")
COUNT_SCRIPT = (
    "from django.db import connection\n"
    "cur = connection.cursor()\n"
    "print('COUNTS', *[(cur.execute('SELECT count(*) FROM ' + t), cur.fetchone()[0])[1] for t in {tables!r}])"
)


def _manage(args, database_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update({"DATABASE_URL": database_url, "LIUGUAN_VAR_DIR": str(tmp_path)})
    return subprocess.run(  # noqa: S603 (this project's own manage.py)
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def _counts_here() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (fixed table names)
            counts[table] = cursor.fetchone()[0]
        return counts


@pytest.mark.django_db(transaction=True)
def test_backup_restore_round_trip_and_verify_audit(users, person_in, tmp_path):
    # given: a province with people, stays and a chain of audited writes
    officer = users[Role.STATION_OFFICER]
    for n in range(3):
        token, _key = token_issue(actor=officer, name=f"machine {n}")
        token_revoke(actor=officer, token_id=token.pk)
    assert AuditEvent.objects.count() >= 6 and Person.objects.exists() and Stay.objects.exists()
    before = _counts_here()

    # when: backed up and restored into a new database
    backup_file = tmp_path / "liuguan.backup"
    call_command("backup_database", str(backup_file))
    assert backup_file.stat().st_size > 0
    vendor = connection.vendor
    target = f"liuguan_restore_{uuid.uuid4().hex[:10]}" if vendor == "postgresql" else str(tmp_path / "restored.db")
    from io import StringIO

    out = StringIO()
    call_command("restore_database", str(backup_file), target, stdout=out)
    url = out.getvalue().strip()
    try:
        # then: the same rows, and the audit chain verifies end to end on the copy
        counted = _manage(
            [
                "shell",
                "-c",
                COUNT_SCRIPT.format(tables=TABLES),
            ],
            url,
            tmp_path,
        )
        assert counted.returncode == 0, counted.stderr
        assert [int(x) for x in counted.stdout.split()[-len(TABLES) :]] == [before[t] for t in TABLES]
        verified = _manage(["verify_audit", "--skip-checks"], url, tmp_path)
        assert verified.returncode == 0, verified.stderr
        assert f"{before['core_auditevent']} events verified" in verified.stdout

        # and a copy with one audit event changed after the fact does not verify
        victim = AuditEvent.objects.order_by("id")[2].pk
        tamper = _manage(
            [
                "shell",
                "-c",
                f"from liuguan.core.models import AuditEvent as A\n"
                f"A.objects.filter(pk={victim}).update(purpose='edited later')",
            ],
            url,
            tmp_path,
        )
        assert tamper.returncode == 0, tamper.stderr
        broken = _manage(["verify_audit", "--skip-checks"], url, tmp_path)
        assert broken.returncode == 1
        assert f"BROKEN at event #{victim}" in broken.stderr
    finally:
        if vendor == "postgresql":
            db = connection.settings_dict
            subprocess.run(  # noqa: S603
                [  # noqa: S607 (PostgreSQL's client tools from PATH, as backup.py uses them)
                    "dropdb",
                    "-h",
                    db.get("HOST") or "127.0.0.1",
                    "-U",
                    db.get("USER") or "postgres",
                    "--if-exists",
                    target,
                ],
                capture_output=True,
                timeout=120,
            )
