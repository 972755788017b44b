"""Benchmark (not a test): the demo generator writing into PostgreSQL, beside a raw COPY of the same rows.

The generator run is the demo's own code path (`demo_generate`). The raw COPY loads exactly the person and
stay rows it wrote, dumped with COPY TO into a file first (not timed), into scratch tables created LIKE the
real ones INCLUDING INDEXES. Their ratio says how much of the ingest time is Python making rows.
"""

import datetime as dt
import resource
import tempfile
import time
import tracemalloc
from itertools import islice

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from liuguan.demo.defects import Rates
from liuguan.demo.generator import ProvinceGenerator
from liuguan.demo.models import DemoRun
from liuguan.demo.reset import demo_reset
from liuguan.demo.runs import DEFAULT_CHUNK, demo_generate, world_build
from liuguan.demo.writers import TABLES, IdBlocks, counting_reserve

SCRATCH = {"person": "bench_person", "stay": "bench_stay"}
BLOCK = 1 << 20


def _rss_mb() -> float:
    # Linux reports ru_maxrss in kilobytes: the process's peak resident memory so far.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Command(BaseCommand):
    help = "PostgreSQL only: rows/s and peak memory of the demo generator beside a raw COPY of the same rows."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK)
        parser.add_argument(
            "--cleanup", action="store_true", default=True, help="delete the generated rows afterwards (default)"
        )
        parser.add_argument("--no-cleanup", dest="cleanup", action="store_false", help="keep the generated rows")
        parser.add_argument(
            "--sample-chunks",
            type=int,
            default=10,
            help="chunks generated without a database to time generation alone (default 10)",
        )

    def handle(self, *args, persons, seed, chunk_size, cleanup, sample_chunks, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                f"bench_ingest measures COPY into PostgreSQL; this database is {connection.vendor}. "
                "Run it with DATABASE_URL=postgres://... on a scratch database."
            )
        if DemoRun.objects.exists():
            raise CommandError(
                "this database holds a demo province; run bench_ingest on a scratch database "
                "(or remove it with `manage.py demo --reset --persons 1` first)"
            )
        as_of = timezone.localdate()
        out = self.stdout.write
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
        out(f"bench_ingest: {persons:,} people, seed {seed}, chunks of {chunk_size:,}, PostgreSQL {version}")
        rss_before = _rss_mb()
        try:
            run = demo_generate(seed=seed, persons=persons, chunk_size=chunk_size, as_of=as_of)
            rss_after = _rss_mb()
            counts, seconds = run.summary["counts"], run.summary["seconds"]["people"]
            core = counts["person"] + counts["stay"]
            every = sum(counts.get(t, 0) for t in ("person", "stay", "house", "trueperson", "defect"))
            gen_rate = core / seconds
            out("generator -> database (demo code path, psycopg COPY per chunk, foreign keys checked):")
            out(
                f"  person {counts['person']:,} + stay {counts['stay']:,} = {core:,} rows in {seconds:.1f} s "
                f"= {gen_rate:,.0f} rows/s"
            )
            out(
                f"  all generated rows (with houses, truth, defects): {every:,} in {seconds:.1f} s "
                f"= {every / seconds:,.0f} rows/s"
            )
            raw = self.raw_copy(run.summary["ids"])
            raw_rows = raw["person"][0] + raw["stay"][0]
            raw_seconds = raw["person"][1] + raw["stay"][1]
            raw_rate = raw_rows / raw_seconds
            out("raw COPY of the same rows (text, into LIKE ... INCLUDING INDEXES, no foreign keys):")
            out(
                f"  {raw_rows:,} rows in {raw_seconds:.1f} s = {raw_rate:,.0f} rows/s (person "
                f"{raw['person'][0] / raw['person'][1]:,.0f}/s, stay {raw['stay'][0] / raw['stay'][1]:,.0f}/s)"
            )
            out(self.style.SUCCESS(f"ratio generator / raw COPY: {gen_rate / raw_rate:.3f}"))
            out(f"peak memory: ru_maxrss {rss_after:,.0f} MB after generating (process start {rss_before:,.0f} MB)")
        finally:
            with connection.cursor() as cursor:
                for scratch in SCRATCH.values():
                    cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
            if cleanup:
                started = time.monotonic()
                deleted = demo_reset()
                out(f"cleanup: deleted {sum(deleted.values()):,} rows in {time.monotonic() - started:.1f} s")
        self.sample(seed=seed, persons=persons, chunk_size=chunk_size, as_of=as_of, chunks=sample_chunks)

    def raw_copy(self, spans: dict) -> dict[str, tuple[int, float]]:
        """Dump the run's rows with COPY TO (untimed), then time COPY FROM of that file into LIKE tables."""
        result = {}
        with connection.cursor() as cursor:
            for table, scratch in SCRATCH.items():
                real = TABLES[table][0]._meta.db_table
                low, high = spans[table]
                cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
                cursor.execute(f"CREATE TABLE {scratch} (LIKE {real} INCLUDING INDEXES)")
                # Table names come from the models; the key range is bound as parameters.
                dump_sql = f"COPY (SELECT * FROM {real} WHERE id BETWEEN %s AND %s) TO STDOUT"  # noqa: S608
                with tempfile.TemporaryFile() as dump:
                    with cursor.copy(dump_sql, (low, high)) as copy:
                        for data in copy:
                            dump.write(data)
                    dump.seek(0)
                    started = time.monotonic()
                    with transaction.atomic(), cursor.copy(f"COPY {scratch} FROM STDIN") as copy:
                        while block := dump.read(BLOCK):
                            copy.write(block)
                    elapsed = time.monotonic() - started
                cursor.execute(f"SELECT count(*) FROM {scratch}")  # noqa: S608
                result[table] = (cursor.fetchone()[0], elapsed)
        return result

    def sample(self, *, seed: int, persons: int, chunk_size: int, as_of: dt.date, chunks: int) -> None:
        """Generation alone (keys counted in memory, nothing written), then its traced peak over three chunks."""

        def generator():
            ids = IdBlocks(counting_reserve(), block=max(1000, chunk_size))
            world = world_build(seed=seed, persons=persons, as_of=as_of, ids=ids, run_id=1)
            return ProvinceGenerator(world, seed=seed, persons=persons, rates=Rates(), ids=ids)

        gen = generator()
        started = time.monotonic()
        rows = sum(len(c.rows["person"]) + len(c.rows["stay"]) for c in islice(gen.chunks(chunk_size), chunks))
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"generation alone (no database), first {min(chunks * chunk_size, persons):,} people: "
            f"{rows:,} person+stay rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s"
        )
        gen = generator()
        tracemalloc.start()
        for _chunk in islice(gen.chunks(chunk_size), 3):
            pass
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.stdout.write(
            f"generator traced peak over 3 chunks of {chunk_size:,}: {peak / 2**20:,.1f} MB "
            "(a chunk in the making and the current ID block; pinyin caches are capped by lru_cache)"
        )
