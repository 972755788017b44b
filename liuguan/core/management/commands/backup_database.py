"""python manage.py backup_database OUT: a consistent backup of the database in one file (see core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liuguan.core.backup import BackupError, backup


class Command(BaseCommand):
    help = "Back the database up to one file (pg_dump -Fc on PostgreSQL, the online backup API on SQLite)."

    def add_arguments(self, parser):
        parser.add_argument("out", help="the backup file to write")

    def handle(self, *args, out: str, **options):
        try:
            path = backup(Path(out))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"backup written: {path} ({path.stat().st_size:,} bytes)")
