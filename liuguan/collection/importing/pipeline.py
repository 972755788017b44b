"""Running a batch: rows are read and validated in chunks, each chunk is written with the batch's progress in the
same transaction, so a killed run leaves whole chunks only and a re-run starts after the last committed one.

"Accept the valid rows" commits chunk by chunk. "All or nothing" first validates the whole file (storing only
the rejected rows), and writes everything in one transaction only when no row was rejected.
On PostgreSQL a writer thread writes one chunk while the next is validated; the database does its share of
the work (COPY, indexes, constraints) in its own process meanwhile.
"""

import contextlib
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation

from liuguan.core.audit import audit_record
from liuguan.core.scoping import scoped
from liuguan.exchange.services.police import bulletins_match
from liuguan.geo.models import Division, Level
from liuguan.outflow.services.flows import stays_registered

from ..models import ImportBatch, ImportRow
from .cells import CommunityNames
from .reading import Opened, is_blank, iter_rows
from .validate import CheckedRow, RowValidator
from .write import ChunkOutcome, ChunkWriter, Prepared, plain_cells

CHUNK_SIZE = 5000
RETRIES = 3


class Superseded(Exception):
    """Another run has taken this batch over (or finished it); this one stops without writing."""


class RejectedWhileWriting(Exception):
    """All or nothing: a row failed on the second pass (the register changed meanwhile); nothing is kept."""

    def __init__(self, rows: list[CheckedRow]):
        super().__init__(len(rows))
        self.rows = rows


@dataclass
class Progress:
    phase: str
    rows_done: int
    total_rows: int | None


ProgressCallback = Callable[[Progress], None]


def community_names(actor) -> CommunityNames:
    """Names of the communities in the actor's scope, for sheets that give a name instead of a code."""
    return CommunityNames(
        scoped(Division.objects.filter(level=Level.COMMUNITY), actor).values_list("code", "name").iterator()
    )


def checked_file_rows(
    opened: Opened, validator: RowValidator, *, after_row: int = 0, chunk_size: int = CHUNK_SIZE, pool=None
) -> Iterator[CheckedRow]:
    """The file's non-empty rows after `after_row`, validated (in worker processes when a pool is given) and
    in file order; rows up to `after_row` were done by an earlier run and are only remembered by number.
    """
    validator.restart()

    def raw_chunks():
        chunk = []
        for number, cells in iter_rows(opened):
            if is_blank(cells):
                continue
            if number <= after_row:
                validator.remember(cells, number)
                continue
            chunk.append((number, cells))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    checked = pool.map(raw_chunks()) if pool else (validator.check_chunk(c) for c in raw_chunks())
    for rows in checked:
        validator.mark_repeats(rows)
        yield from rows


def chunked(rows: Iterable[CheckedRow], size: int) -> Iterator[list[CheckedRow]]:
    chunk: list[CheckedRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


_END = object()
_ABORT = object()


class Sink:
    """Hands chunks to `handle` inline, or to one writer thread that works a chunk behind the reader.

    `around` wraps the writer's whole run (all or nothing: one transaction); `finish` runs inside it at the end.
    """

    def __init__(self, handle, *, threaded: bool, around=None, finish=None, language: str = ""):
        self.handle = handle
        self.around = around or contextlib.nullcontext
        self.finish = finish
        self.threaded = threaded
        self.language = language
        self.error: BaseException | None = None
        if threaded:
            self.queue: queue.Queue = queue.Queue(maxsize=1)
            self.thread = threading.Thread(target=self._loop, name="import-writer", daemon=True)
            self.thread.start()
        else:
            self._context = self.around()
            self._context.__enter__()

    def _loop(self) -> None:
        ended = False
        try:
            with translation.override(self.language or None), self.around():
                while True:
                    chunk = self.queue.get()
                    if chunk is _END or chunk is _ABORT:
                        ended = True
                    if chunk is _END:
                        break
                    if chunk is _ABORT:
                        # Raised inside the transaction, so all or nothing rolls back.
                        raise Superseded("aborted")
                    self.handle(chunk)
                if self.finish:
                    self.finish()
        except BaseException as exc:  # handed back to the reading thread, which raises it
            self.error = exc
            # The reader may still be handing over chunks; take them until it says it has stopped.
            while not ended:
                ended = self.queue.get() in (_END, _ABORT)
        finally:
            connection.close()

    def put(self, chunk) -> None:
        if not self.threaded:
            self.handle(chunk)
            return
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.queue.put(chunk, timeout=0.5)
                return
            except queue.Full:
                continue

    def __enter__(self) -> "Sink":
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if not self.threaded:
            if exc is None and self.finish:
                try:
                    self.finish()
                except BaseException as error:
                    self._context.__exit__(type(error), error, error.__traceback__)
                    raise
            self._context.__exit__(kind, exc, tb)
            return
        self.queue.put(_END if exc is None else _ABORT)
        self.thread.join()
        if exc is None and self.error is not None:
            raise self.error


def _threaded() -> bool:
    # Test transactions and callers' atomic blocks live on this thread's connection; a writer thread would not
    # see their rows. SQLite has one writer anyway.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


class BatchRun:
    """One run of one batch by one process; `runner` is its claim on the batch."""

    def __init__(self, batch: ImportBatch, *, actor, chunk_size: int = CHUNK_SIZE, progress=None, threaded=None):
        self.batch = batch
        self.actor = actor
        self.chunk_size = chunk_size
        self.progress = progress
        self.threaded = _threaded() if threaded is None else threaded
        self.runner = uuid.uuid4().hex
        self.collect = False
        self.results: list = []

    # -- claims and bookkeeping, each in its own short transaction ----------------------------------------------

    def claim(self, *, total_rows: int | None) -> bool:
        """Take the batch over; False when it is finished already."""
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=self.batch.pk)
            if batch.status == ImportBatch.Status.DONE:
                self.batch = batch
                return False
            resumed = batch.last_row if batch.mode == ImportBatch.Mode.VALID else 0
            batch.status = ImportBatch.Status.RUNNING
            batch.runner = self.runner
            batch.error = ""
            batch.started_at = batch.started_at or timezone.now()
            batch.heartbeat_at = timezone.now()
            if total_rows is not None and not batch.total_rows:
                batch.total_rows = total_rows
            batch.save(update_fields=["status", "runner", "error", "started_at", "heartbeat_at", "total_rows"])
            audit_record(
                actor=self.actor,
                action="import.start",
                obj=batch,
                division_code=batch.division_code,
                source=batch.source,
                changes={
                    "file": batch.file_name,
                    "sha256": batch.file_sha256,
                    "mode": batch.mode,
                    "resumed_after_row": resumed,
                },
            )
            self.batch = batch
            return True

    def _locked(self) -> ImportBatch:
        batch = ImportBatch.objects.select_for_update().get(pk=self.batch.pk)
        if batch.runner != self.runner:
            raise Superseded(batch.runner)
        return batch

    def _report(self, batch: ImportBatch) -> None:
        if self.progress:
            self.progress(Progress(batch.phase, batch.rows_done, batch.total_rows))

    def _set_phase(self, phase: str, **extra) -> None:
        with transaction.atomic():
            batch = self._locked()
            batch.phase = phase
            for name, value in extra.items():
                setattr(batch, name, value)
            batch.save(update_fields=["phase", *extra])
            self.batch = batch

    def fail(self, message: str) -> None:
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=self.batch.pk)
            if batch.runner != self.runner:
                return
            batch.status = ImportBatch.Status.FAILED
            batch.error = message[:2000]
            batch.finished_at = timezone.now()
            batch.save(update_fields=["status", "error", "finished_at"])
            audit_record(
                actor=self.actor,
                action="import.fail",
                obj=batch,
                division_code=batch.division_code,
                source=batch.source,
                changes={"error": batch.error, "last_row": batch.last_row},
            )
            self.batch = batch

    def _finish_in_transaction(self) -> None:
        from liuguan.compliance.tasks import recompute_tiers_after_import_task

        batch = self._locked()
        batch.status = ImportBatch.Status.DONE
        batch.phase = ""
        batch.finished_at = timezone.now()
        batch.total_rows = batch.rows_done
        batch.save(update_fields=["status", "phase", "finished_at", "total_rows"])
        audit_record(
            actor=self.actor,
            action="import.finish",
            obj=batch,
            division_code=batch.division_code,
            source=batch.source,
            changes={
                "rows": batch.rows_done,
                "accepted": batch.accepted,
                "already_registered": batch.already_registered,
                "rejected": batch.rejected,
                "warnings": batch.warnings,
                "people_created": batch.people_created,
            },
        )
        if batch.accepted:
            # Classified management: the new stays change their people's tiers; worked out in the background.
            transaction.on_commit(lambda pk=batch.pk: recompute_tiers_after_import_task.enqueue(pk))
        self.batch = batch

    def finish(self) -> None:
        with transaction.atomic():
            self._finish_in_transaction()

    # -- chunks -------------------------------------------------------------------------------------------------

    def _count(self, batch: ImportBatch, outcome: ChunkOutcome) -> None:
        batch.rows_done += outcome.rows
        batch.last_row = outcome.last_row
        batch.accepted += outcome.accepted
        batch.already_registered += outcome.already_registered
        batch.rejected += outcome.rejected
        batch.warnings += outcome.warnings
        batch.people_created += len(outcome.people)
        batch.heartbeat_at = timezone.now()
        batch.save(
            update_fields=[
                "rows_done",
                "last_row",
                "accepted",
                "already_registered",
                "rejected",
                "warnings",
                "people_created",
                "heartbeat_at",
            ]
        )

    def _write_chunk(self, writer: ChunkWriter, chunk: list[CheckedRow], prepared: Prepared | None) -> ChunkOutcome:
        """Write the rows, count them on the batch and audit it; the caller's transaction (or savepoint) holds."""
        batch = self._locked()
        if batch.last_row >= chunk[0].row_number:
            raise Superseded("chunk already committed")
        outcome = writer.apply(prepared) if prepared is not None else writer.write(chunk)
        # The origins' outflow records follow the new stays, in the chunk's transaction (a few queries a chunk).
        stays_registered(outcome.stays, actor=self.actor, source="import")
        self._count(batch, outcome)
        audit_record(
            actor=self.actor,
            action="import.chunk",
            obj=batch,
            division_code=batch.division_code,
            source=batch.source,
            changes={"batch": batch.pk, **outcome.audit()},
        )
        self.batch = batch
        return outcome

    def _commit_chunk(self, writer: ChunkWriter, item: list[CheckedRow] | Prepared) -> ChunkOutcome:
        """One chunk in its own transaction (a savepoint inside all-or-nothing's), retried if a concurrent
        registration took one of its people first (the retry looks the register up again, on this connection).
        """
        prepared = item if isinstance(item, Prepared) else None
        chunk = prepared.rows if prepared else item
        sizes = prepared.sizes if prepared else [len(row.problems) for row in chunk]
        for attempt in range(RETRIES):
            try:
                with transaction.atomic():
                    outcome = self._write_chunk(writer, chunk, prepared)
                break
            except IntegrityError:
                if attempt == RETRIES - 1:
                    raise
                prepared = None
                for row, size in zip(chunk, sizes, strict=True):
                    del row.problems[size:]
        # One small query per chunk while no assist-investigation bulletin is in force.
        bulletins_match(stay_ids=outcome.stays, actor=self.actor, source="import")
        writer.refresh_statistics(len(outcome.people))
        if self.collect:
            self.results.extend(outcome.results)
        self._report(self.batch)
        return outcome

    # -- the two modes ------------------------------------------------------------------------------------------

    def run(self, make_rows: Callable[[int], Iterable[CheckedRow]]) -> ImportBatch:
        """Run or resume the batch; `make_rows(after_row)` gives its validated rows after a sheet row number."""
        language = self.batch.language
        with translation.override(language):
            if self.batch.mode == ImportBatch.Mode.VALID:
                self._run_valid(make_rows)
            else:
                self._run_all(make_rows)
        return self.batch

    def _writer(self) -> ChunkWriter:
        return ChunkWriter(batch=self.batch, actor=self.actor, registered_at=timezone.now(), collect=self.collect)

    def _run_valid(self, make_rows) -> None:
        self._set_phase(ImportBatch.Phase.WRITING)
        writer = self._writer()
        # With a writer thread, this thread prepares each chunk (look-ups on its own connection, ids, COPY text)
        # while the writer sends the chunk before: every chunk commits on its own, so the look-ups see all but
        # the last few chunks, which prepare() checks from memory.
        ahead = self.threaded
        try:
            with Sink(
                lambda item: self._commit_chunk(writer, item), threaded=self.threaded, language=self.batch.language
            ) as sink:
                for chunk in chunked(make_rows(self.batch.last_row), self.chunk_size):
                    sink.put(writer.prepare(chunk, writer.lookups(chunk), ahead=True) if ahead else chunk)
        finally:
            writer.close()
        self.finish()

    def _run_all(self, make_rows) -> None:
        # A resumed all-or-nothing run starts over: nothing of an unfinished one was committed but its rejects.
        with transaction.atomic():
            self._locked()
            ImportRow.objects.filter(batch_id=self.batch.pk).delete()
        self._set_phase(
            ImportBatch.Phase.VALIDATING,
            rows_done=0,
            last_row=0,
            accepted=0,
            already_registered=0,
            rejected=0,
            warnings=0,
            people_created=0,
        )
        rejected = 0
        for chunk in chunked(make_rows(0), self.chunk_size):
            rejected += self._keep_rejects(chunk)
        if rejected:
            self.finish()
            return
        self._set_phase(ImportBatch.Phase.WRITING, rows_done=0, last_row=0, rejected=0, warnings=0)
        writer = self._writer()

        def write(chunk):
            bad = [row for row in chunk if row.rejected]
            if bad:
                raise RejectedWhileWriting(bad)
            self._commit_chunk(writer, chunk)

        try:
            with Sink(
                write,
                threaded=self.threaded,
                around=transaction.atomic,
                finish=self._finish_in_transaction,
                language=self.batch.language,
            ) as sink:
                for chunk in chunked(make_rows(0), self.chunk_size):
                    sink.put(chunk)
        except RejectedWhileWriting as exc:
            self._set_phase(ImportBatch.Phase.WRITING, rows_done=0, last_row=0, accepted=0, already_registered=0)
            self._keep_rejects(exc.rows)
            self.finish()

    def _keep_rejects(self, chunk: list[CheckedRow]) -> int:
        """All or nothing, first pass: keep the rejected rows and count progress; nothing else is written."""
        bad = [row for row in chunk if row.rejected]
        with transaction.atomic():
            batch = self._locked()
            ImportRow.objects.bulk_create(
                [
                    ImportRow(
                        batch_id=batch.pk,
                        row_number=row.row_number,
                        outcome=ImportRow.Outcome.REJECTED,
                        values=plain_cells(row.cells),
                        problems=[p.as_json() for p in row.problems],
                    )
                    for row in bad
                ],
                batch_size=1000,
            )
            batch.rows_done += len(chunk)
            batch.rejected += len(bad)
            batch.warnings += sum(1 for row in bad if row.has_warnings)
            batch.heartbeat_at = timezone.now()
            batch.save(update_fields=["rows_done", "rejected", "warnings", "heartbeat_at"])
            self.batch = batch
        if self.collect:
            from .write import REJECTED, RowResult

            self.results.extend(RowResult(row.row_number, REJECTED, problems=row.problems) for row in bad)
        self._report(self.batch)
        return len(bad)
