"""python manage.py bench_import --rows 1000000: the batch import against raw COPY, on PostgreSQL.

In one run: generate a template CSV of N valid rows; COPY the same rows, pre-rendered, into scratch copies of
the person and stay tables (same columns, indexes, checks and foreign keys); import the CSV as a province-level
user with full validation and duplicate checks; print both rates, their ratio and the peak memory; clean up.
"""

import contextlib
import datetime as dt
import multiprocessing
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.collection import services
from liuguan.collection.importing import cells
from liuguan.collection.importing.synthetic import synthetic_rows, write_csv
from liuguan.collection.importing.write import PERSON_COLUMNS, STAY_COLUMNS, Table, copy_text, person_values
from liuguan.collection.management.commands.import_stays import ProgressBar
from liuguan.collection.models import ImportBatch
from liuguan.core.identity import parse_document
from liuguan.core.pinyin import name_initials, name_pinyin
from liuguan.geo.models import Division
from liuguan.registry.models import Person, Stay

SCRATCH = "bench_scratch_"


def _line(values) -> str:
    return "\t".join(map(copy_text, values)) + "\n"


def _status_kb(pid: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children() -> list[str]:
    pids = []
    for task in Path("/proc/self/task").glob("*"):
        try:
            pids.extend((task / "children").read_text().split())
        except OSError:
            continue
    return pids


class MemoryWatch:
    """Peak memory of this process and of its validation workers while the import runs (Linux /proc)."""

    def __init__(self):
        # Forget the peak of what came before (generation, raw COPY): only the import is measured.
        with contextlib.suppress(OSError):
            Path("/proc/self/clear_refs").write_text("5")
        self.workers_kb = 0

    def sample(self) -> None:
        for pid in _children():
            self.workers_kb = max(self.workers_kb, _status_kb(pid, "VmHWM"))

    @property
    def self_kb(self) -> int:
        return _status_kb("self", "VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


class Command(BaseCommand):
    help = "Benchmark the batch import against a raw COPY of the same rows (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=1_000_000)
        parser.add_argument("--chunk-size", type=int, default=services.CHUNK_SIZE)
        parser.add_argument("--processes", type=int, default=None, help="validation workers (default: per core)")
        parser.add_argument("--keep", action="store_true", help="keep the imported rows (scratch tables go anyway)")

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "bench_import compares with PostgreSQL's COPY; set DATABASE_URL to a PostgreSQL database"
            )
        rows = options["rows"]
        province = settings.LIUGUAN_PROVINCE_CODE
        codes = Division.community_codes(province)
        if not codes:
            raise CommandError(f"no communities under {province}; run load_divisions first")
        first = next(synthetic_rows(1, communities=codes))[1]
        if Person.objects.filter(doc_number=first).exists():
            raise CommandError("people of an earlier benchmark are still here; use a scratch database")
        user = User.objects.create(
            username=f"bench-import-{uuid.uuid4().hex[:8]}",
            role=Role.STREET_OFFICER,
            division_id=province,
            full_name="bench_import",
        )
        # A street officer's role (which may register people) bound to the whole province.
        with tempfile.TemporaryDirectory(prefix="bench-import-") as scratch_dir:
            directory = Path(scratch_dir)
            try:
                self._run(directory, rows, codes, user, options)
            finally:
                self._clean_up(user, keep=options["keep"])

    def _run(self, directory: Path, rows: int, codes: list[str], user, options) -> None:
        out = self.stdout
        self.now = timezone.now()
        started = time.monotonic()
        csv_path = write_csv(directory / "stays.csv", rows, communities=codes)
        out.write(
            f"generated {rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MB) in {time.monotonic() - started:.1f} s"
        )

        started = time.monotonic()
        # In a child process, so that its caches (a million names' pinyin) do not count as the import's memory.
        child = multiprocessing.get_context("fork").Process(target=self._render, args=(directory, rows, codes, user))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise CommandError("pre-rendering the COPY text failed")
        people_file, stays_file = directory / "people.copy", directory / "stays.copy"
        people_cols, stay_cols = self._tables(user)[0].columns, self._tables(user)[1].columns
        out.write(f"pre-rendered the COPY text in {time.monotonic() - started:.1f} s")

        self._create_scratch()
        self._checkpoint()
        copy_seconds = self._raw_copy(people_file, stays_file, people_cols, stay_cols)
        out.write(
            f"raw COPY: {rows:,} people + {rows:,} stays in {copy_seconds:.1f} s = {rows / copy_seconds:,.0f} rows/s"
        )
        self._drop_scratch()

        with open(csv_path, "rb") as handle:
            upload = services.import_batch_create(
                actor=user,
                file=handle,
                file_name=csv_path.name,
                mode=ImportBatch.Mode.VALID,
                source="cli",
                max_bytes=None,
            )
        bar = ProgressBar(sys.stderr)
        self._checkpoint()
        memory = MemoryWatch()

        def progress(state):
            bar(state)
            memory.sample()

        started = time.monotonic()
        batch = services.stays_import(
            actor=user,
            batch_id=upload.batch.pk,
            chunk_size=options["chunk_size"],
            progress=progress,
            processes=options["processes"],
        )
        import_seconds = time.monotonic() - started
        bar.close()
        if batch.status != ImportBatch.Status.DONE or batch.accepted != rows:
            raise CommandError(f"the import did not take every row: {batch.status} {batch.accepted:,} {batch.error}")
        rate, raw_rate = rows / import_seconds, rows / copy_seconds
        out.write(
            f"import:   {rows:,} rows validated, checked for duplicates and written in {import_seconds:.1f} s = "
            f"{rate:,.0f} rows/s ({batch.warnings:,} rows with warnings)"
        )
        out.write(f"ratio import / raw COPY: {rate / raw_rate:.2f} (goal: at least 0.5)")
        out.write(
            f"peak memory of the import: {memory.self_kb / 1024:,.0f} MB in this process, "
            f"{memory.workers_kb / 1024:,.0f} MB in the largest validation worker (goal: under 500 MB)"
        )

    def _checkpoint(self) -> None:
        """Both runs start with the write-ahead log flushed, so neither pays for the other's checkpoint."""
        try:
            with connection.cursor() as cursor:
                cursor.execute("CHECKPOINT")
        except DatabaseError as exc:  # only superusers (and pg_checkpoint members) may
            self.stderr.write(f"no CHECKPOINT before the run ({exc}); figures may vary more")

    def _tables(self, user) -> tuple[Table, Table]:
        now = self.now
        people = Table(
            Person,
            PERSON_COLUMNS,
            {"created_at": now, "updated_at": now, "created_by_id": user.pk, "source_channel": "import"},
        )
        stays = Table(
            Stay,
            STAY_COLUMNS,
            {"registered_at": now, "source_channel": "import", "collector_id": user.pk, "collection_point_id": None},
        )
        return people, stays

    def _render(self, directory: Path, rows: int, codes: list[str], user) -> None:
        """The rows as the import writes them (normalised number, pinyin, codes), in COPY's text format."""
        people, stays = self._tables(user)
        people_file, stays_file = directory / "people.copy", directory / "stays.copy"
        with open(people_file, "w", encoding="utf-8") as p_out, open(stays_file, "w", encoding="utf-8") as s_out:
            for pk, row in enumerate(synthetic_rows(rows, communities=codes), start=1):
                parsed = parse_document("citizen_id", row[1])
                plain = (
                    "citizen_id",
                    parsed.number,
                    row[2],
                    name_pinyin(row[2]).replace(" ", ""),
                    name_initials(row[2]),
                    parsed.sex,
                    parsed.birth_date,
                    cells.ethnicity(row[5]),
                    "CHN",
                    parsed.area_code,
                    row[7],
                    row[8],
                    cells.choice(row[9], cells.EDUCATION),
                    cells.choice(row[10], cells.MARITAL),
                    False,
                )
                # As the import writes them: the numbers encrypted, their blind indexes added.
                person = tuple(person_values(dict(zip(PERSON_COLUMNS, plain, strict=False))))
                stay = (
                    pk,
                    row[11],
                    None,
                    None,
                    None,
                    row[12],
                    cells.choice(row[14], cells.REASONS),
                    dt.date.fromisoformat(row[13]),
                    None,
                    0,
                    False,
                    f"bench:{pk}",
                )
                p_out.write(_line((pk, *person, *people.tail)))
                s_out.write(_line((pk, *stay, *stays.tail)))

    def _create_scratch(self) -> None:
        """Scratch tables like the real ones: columns, defaults, checks, indexes, and the same foreign keys."""
        with connection.cursor() as cursor:
            for model in (Person, Stay):
                table = model._meta.db_table
                cursor.execute(f'DROP TABLE IF EXISTS "{SCRATCH}{table}"')
                cursor.execute(f'CREATE TABLE "{SCRATCH}{table}" (LIKE "{table}" INCLUDING ALL)')
            for model in (Person, Stay):
                table = model._meta.db_table
                for f in model._meta.concrete_fields:
                    if not f.is_relation:
                        continue
                    target = f.related_model._meta.db_table
                    if f.related_model in (Person, Stay):
                        target = SCRATCH + target
                    cursor.execute(
                        f'ALTER TABLE "{SCRATCH}{table}" ADD FOREIGN KEY ("{f.column}") REFERENCES "{target}" '
                        f'("{f.target_field.column}") DEFERRABLE INITIALLY DEFERRED'
                    )

    def _raw_copy(self, people_file: Path, stays_file: Path, people_cols, stay_cols) -> float:
        connection.ensure_connection()
        started = time.monotonic()
        with transaction.atomic(), connection.connection.cursor() as cursor:
            for table, columns, path in (
                (SCRATCH + Person._meta.db_table, people_cols, people_file),
                (SCRATCH + Stay._meta.db_table, stay_cols, stays_file),
            ):
                names = ", ".join(f'"{c}"' for c in columns)
                with cursor.copy(f'COPY "{table}" ({names}) FROM STDIN') as copy, open(path, "rb") as source:
                    for block in iter(lambda source=source: source.read(1 << 20), b""):
                        copy.write(block)
        return time.monotonic() - started

    def _drop_scratch(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TABLE IF EXISTS "{SCRATCH}{Stay._meta.db_table}"')
            cursor.execute(f'DROP TABLE IF EXISTS "{SCRATCH}{Person._meta.db_table}"')

    def _clean_up(self, user, *, keep: bool) -> None:
        self._drop_scratch()
        if keep:
            self.stdout.write(f"kept the imported rows and user {user.username}")
            return
        batches = list(ImportBatch.objects.filter(created_by=user))
        batch_ids = [batch.pk for batch in batches]
        for batch in batches:
            # An interrupted run leaves its upload behind (a finished one deletes it).
            if batch.stored_name:
                services.stored_path(batch).unlink(missing_ok=True)
        with transaction.atomic(), connection.cursor() as cursor:
            for pk in batch_ids:
                cursor.execute(
                    f'DELETE FROM "{Stay._meta.db_table}" WHERE source_ref LIKE %s',  # noqa: S608 (model's table)
                    [f"import:{pk}:%"],
                )
            cursor.execute(
                f'DELETE FROM "{Person._meta.db_table}" WHERE created_by_id = %s',  # noqa: S608 (model's table)
                [user.pk],
            )
            ImportBatch.objects.filter(pk__in=batch_ids).delete()
            user.delete()
        for batch in batches:
            services.result_path(batch).unlink(missing_ok=True)
        self.stdout.write(
            "cleaned up: scratch tables, imported people and stays, the batch and the benchmark user "
            "(the audit chain keeps its events, as it must)"
        )
