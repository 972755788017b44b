"""python manage.py restore_database FILE TARGET: restore a backup into a new database and print its URL.

TARGET is a new PostgreSQL database name on the same server (or a new file path for SQLite). Check the copy
with `DATABASE_URL=<printed url> python manage.py verify_audit`.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from liuguan.core.backup import BackupError, restore


class Command(BaseCommand):
    help = "Restore a backup made by backup_database into a new database (never over the live one)."

    def add_arguments(self, parser):
        parser.add_argument("backup_file")
        parser.add_argument("target", help="new PostgreSQL database name, or new SQLite file path")

    def handle(self, *args, backup_file: str, target: str, **options):
        try:
            url = restore(Path(backup_file), target)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(url)
