"""Backups of the whole database and their restore: pg_dump/pg_restore on PostgreSQL, SQLite's online backup.

A backup is one file: PostgreSQL's custom format (`pg_dump -Fc`, compressed, restorable table by table) or a
consistent SQLite copy made with the backup API while the server runs. A restore goes into a new, empty
database (never over the live one); `verify_audit` against the restored copy then proves that every audit
event came back unchanged and in order.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.db import connections


class BackupError(Exception):
    pass


def _pg_env(db: dict) -> tuple[list[str], dict]:
    args = ["-h", db.get("HOST") or "127.0.0.1", "-p", str(db.get("PORT") or 5432), "-U", db.get("USER") or "postgres"]
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return args, env


def _run(command: list[str], env: dict | None = None) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)  # noqa: S603 (pg tools, no shell)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-500:]}")


def backup(out: Path, *, alias: str = "default") -> Path:
    """Write a backup of database `alias` to `out`; returns the path."""
    db = connections[alias].settings_dict
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if db["ENGINE"] == "django.db.backends.postgresql":
        args, env = _pg_env(db)
        _run(["pg_dump", *args, "-Fc", "--no-owner", "-f", str(out), db["NAME"]], env)
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        source = sqlite3.connect(db["NAME"])
        target = sqlite3.connect(out)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        raise BackupError(f"no backup method for {db['ENGINE']}")
    return out


def restore(backup_file: Path, target: str, *, alias: str = "default") -> str:
    """Restore a backup into a new database named `target` (PostgreSQL: created on the same server, refused if
    it exists; SQLite: a new file path). Returns the DATABASE_URL of the restored copy.
    """
    db = connections[alias].settings_dict
    if db["ENGINE"] == "django.db.backends.postgresql":
        args, env = _pg_env(db)
        _run(["createdb", *args, target], env)
        _run(["pg_restore", *args, "--no-owner", "--exit-on-error", "-d", target, str(backup_file)], env)
        host, port, user = args[1], args[3], args[5]
        return f"postgres://{user}@{host}:{port}/{target}"
    if db["ENGINE"] == "django.db.backends.sqlite3":
        path = Path(target)
        if path.exists():
            raise BackupError(f"{path} exists; restore into a new file")
        shutil.copyfile(backup_file, path)
        return f"sqlite:///{path}"
    raise BackupError(f"no restore method for {db['ENGINE']}")
