"""python manage.py import_stays FILE --as USERNAME [--mode valid|all]: the web import, in the foreground.

The same file again resumes its batch after the last committed chunk (or reports it, when it is done).
"""

import sys
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from liuguan.collection import services
from liuguan.collection.importing.pipeline import CHUNK_SIZE, Progress
from liuguan.collection.models import ImportBatch
from liuguan.core.errors import DomainError, InvalidInput


class ProgressBar:
    """One line on stderr, redrawn after each committed chunk: rows done of total, and rows per second."""

    def __init__(self, stream, width: int = 30):
        self.stream = stream
        self.width = width
        self.started = time.monotonic()
        self.first_rows: int | None = None

    def __call__(self, progress: Progress) -> None:
        if self.first_rows is None:
            self.first_rows = progress.rows_done
        total = progress.total_rows or 0
        share = min(progress.rows_done / total, 1.0) if total else 0.0
        filled = int(share * self.width)
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (progress.rows_done - self.first_rows) / elapsed
        self.stream.write(
            f"\r{progress.phase or 'import':<10} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{progress.rows_done:,}/{total:,} rows  {rate:,.0f} rows/s "
        )
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Import stays from an .xlsx or .csv file of the template, as a user, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--as", dest="username", required=True, help="the user the import runs as")
        parser.add_argument("--mode", choices=ImportBatch.Mode.values, default=ImportBatch.Mode.VALID)
        parser.add_argument("--chunk-size", type=int, default=CHUNK_SIZE, help="rows per committed chunk")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None or not user.is_active:
            raise CommandError(f"no active user {options['username']!r}")
        try:
            with open(path, "rb") as handle:
                upload = services.import_batch_create(
                    actor=user, file=handle, file_name=path.name, mode=options["mode"], source="cli", max_bytes=None
                )
            batch = upload.batch
            if not upload.created:
                self.stderr.write(f"This file was imported before as batch #{batch.pk} ({batch.status}).")
            bar = None if options["quiet"] else ProgressBar(sys.stderr)
            try:
                batch = services.stays_import(
                    actor=user, batch_id=batch.pk, chunk_size=options["chunk_size"], progress=bar
                )
            finally:
                if bar:
                    bar.close()
        except InvalidInput as exc:
            raise CommandError("; ".join(str(p.message) for p in exc.problems)) from exc
        except DomainError as exc:
            raise CommandError(f"{exc.__class__.__name__}: {exc}") from exc
        self.stdout.write(
            f"batch #{batch.pk} {batch.status}: {batch.rows_done:,} rows, {batch.accepted:,} accepted, "
            f"{batch.already_registered:,} already registered, {batch.rejected:,} rejected, "
            f"{batch.warnings:,} with warnings, {batch.people_created:,} people created"
        )
        if batch.encoding:
            self.stdout.write(f"encoding: {batch.encoding}")
        if batch.status == ImportBatch.Status.DONE:
            self.stdout.write(f"result workbook: {services.result_path(batch)}")
        else:
            raise CommandError(batch.error or f"batch #{batch.pk} is {batch.status}")
