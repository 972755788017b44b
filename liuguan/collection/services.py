"""Collection writes: batch imports of stays from files and from API lists, each audited.

Rows are judged by the registry's own checks (person_check, stay_check); see importing/ for how a file
becomes rows and rows become people and stays.
"""

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.scoping import get_scoped
from liuguan.registry.services import PersonInput, StayInput

from .importing.headers import COLUMNS
from .importing.parallel import MIN_ROWS as PARALLEL_MIN_ROWS
from .importing.parallel import ValidationPool, default_processes
from .importing.pipeline import CHUNK_SIZE, BatchRun, Superseded, checked_file_rows, community_names
from .importing.reading import open_import
from .importing.result import result_workbook
from .importing.validate import RowValidator
from .importing.write import RowResult
from .models import ImportBatch

# Importing registers people, so it takes the registration right; reading a batch takes the right to see people.
IMPORT_PERMISSION = "stay.import"
VIEW_PERMISSION = "person.view"
MAX_UPLOAD_BYTES = getattr(settings, "LIUGUAN_IMPORT_MAX_BYTES", 100 * 1024 * 1024)
MAX_API_ROWS = 10_000
# A running batch whose last chunk committed longer ago than this has lost its process and may be resumed.
STALE_AFTER = dt.timedelta(minutes=10)
NOT_WRITTEN = "not_written"


def imports_dir() -> Path:
    path = Path(settings.VAR_DIR) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def stored_path(batch: ImportBatch) -> Path:
    return imports_dir() / batch.stored_name


def result_path(batch: ImportBatch) -> Path:
    return imports_dir() / "results" / f"{batch.pk}.xlsx"


@dataclass
class Upload:
    """A batch for an uploaded file; `created` is False when the same file had been sent before."""

    batch: ImportBatch
    created: bool


def _store(file, suffix: str, max_bytes: int | None) -> tuple[Path, str, int]:
    """Copy an upload (Django UploadedFile, or an open binary file) to disk, hashing it on the way."""
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 (closed below)
        dir=imports_dir(), prefix="upload-", suffix=suffix, delete=False
    )
    try:
        with handle:
            chunks = file.chunks() if hasattr(file, "chunks") else iter(lambda: file.read(1 << 20), b"")
            for block in chunks:
                size += len(block)
                if max_bytes is not None and size > max_bytes:
                    raise InvalidInput([_too_large(max_bytes)])
                digest.update(block)
                handle.write(block)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return Path(handle.name), digest.hexdigest(), size


def _too_large(max_bytes: int) -> FieldProblem:
    return FieldProblem(
        "file", "import.too_large", _("The file is larger than %(size)d MB; split it") % {"size": max_bytes >> 20}
    )


def upload_too_large() -> InvalidInput:
    return InvalidInput([_too_large(MAX_UPLOAD_BYTES)])


def _existing(code: str, sha: str, mode: str) -> ImportBatch | None:
    """The batch this file already is. A different mode counts as new only after an all-or-nothing batch that
    wrote nothing, so someone may then take the valid rows of the same file.
    """
    found = list(ImportBatch.objects.filter(division_code=code, file_sha256=sha))
    for batch in found:
        if batch.mode == mode:
            return batch
    for batch in found:
        wrote_nothing = (
            batch.mode == ImportBatch.Mode.ALL and batch.status == ImportBatch.Status.DONE and batch.rejected
        )
        if not wrote_nothing:
            return batch
    return None


def import_batch_create(
    *, actor, file, file_name: str, mode: str, source: str = "web", max_bytes: int | None = MAX_UPLOAD_BYTES
) -> Upload:
    """A file becomes a batch once per jurisdiction: the same bytes sent again give back the batch they made."""
    if not actor.can(IMPORT_PERMISSION):
        raise PermissionDenied()
    if mode not in ImportBatch.Mode.values:
        raise InvalidInput(
            [FieldProblem("mode", "import.mode", _("Choose “all or nothing” or “accept the valid rows”"))]
        )
    code = getattr(actor, "division_id", None)
    if not code:
        raise PermissionDenied()
    file_name = Path(file_name or "upload").name[:255]
    suffix = Path(file_name).suffix.lower()
    # openpyxl goes by the name; anything else is sniffed from the bytes.
    path, sha, size = _store(file, suffix if suffix in (".xlsx", ".csv", ".txt") else "", max_bytes)
    try:
        existing = _existing(code, sha, mode)
        if existing is not None:
            return Upload(existing, created=False)
        opened = open_import(path, file_name)
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                file_name=file_name,
                file_sha256=sha,
                file_size=size,
                file_format=opened.format,
                mode=mode,
                source=source,
                division_code=code,
                created_by=actor if getattr(actor, "pk", None) else None,
                language=translation.get_language() or settings.LANGUAGE_CODE,
                encoding=opened.encoding,
                sheet=opened.sheet,
                header_row=opened.header.row_number,
                headers=opened.header.headers,
                fields=opened.header.fields,
                total_rows=opened.estimated_rows,
            )
            batch.stored_name = f"{batch.pk}-{sha[:16]}{path.suffix}"
            batch.save(update_fields=["stored_name"])
            audit_record(
                actor=actor,
                action="import.upload",
                obj=batch,
                division_code=code,
                source=source,
                changes={
                    "file": file_name,
                    "sha256": sha,
                    "size": size,
                    "mode": mode,
                    "encoding": opened.encoding,
                    "ignored_columns": opened.header.ignored,
                },
            )
            path.replace(stored_path(batch))
    except IntegrityError:
        # The same file arrived twice at once; the other request made the batch.
        existing = _existing(code, sha, mode)
        if existing is None:
            raise
        return Upload(existing, created=False)
    finally:
        path.unlink(missing_ok=True)
    return Upload(batch, created=True)


def import_batch_enqueue(batch: ImportBatch) -> None:
    """Queue the batch for the job runner once the transaction that made it has committed."""
    from .tasks import import_stays_task

    transaction.on_commit(lambda: import_stays_task.enqueue(batch.pk))


def import_batch_resumable(batch: ImportBatch) -> bool:
    """Failed, or running without a committed chunk for a while (its process is gone)."""
    if batch.status == ImportBatch.Status.FAILED:
        return True
    if batch.status != ImportBatch.Status.RUNNING:
        return False
    last = batch.heartbeat_at or batch.started_at or batch.created_at
    return timezone.now() - last > STALE_AFTER


def import_batch_resume(*, actor, batch_id: int, source: str = "web") -> ImportBatch:
    """Queue a stopped batch again; it carries on after its last committed chunk."""
    if not actor.can(IMPORT_PERMISSION):
        raise PermissionDenied()
    with transaction.atomic():
        batch = get_scoped(ImportBatch.objects.select_for_update(), actor, pk=batch_id)
        if not import_batch_resumable(batch):
            return batch
        batch.status = ImportBatch.Status.QUEUED
        batch.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="import.resume",
            obj=batch,
            division_code=batch.division_code,
            source=source,
            changes={"after_row": batch.last_row},
        )
        import_batch_enqueue(batch)
    return batch


def stays_import(
    *,
    actor,
    batch_id: int,
    chunk_size: int = CHUNK_SIZE,
    progress=None,
    threaded: bool | None = None,
    processes: int | None = None,
) -> ImportBatch:
    """Run (or resume) a batch from its file: valid rows become stays, each chunk committed with its progress.

    `processes` validation workers (default: one per core for large files, none for small ones); `threaded`
    writes on a second connection while the next chunk is read (default: on PostgreSQL outside a transaction).
    """
    if not actor.can(IMPORT_PERMISSION) or not actor.is_active:
        raise PermissionDenied()
    batch = get_scoped(ImportBatch.objects.all(), actor, pk=batch_id)
    if batch.status == ImportBatch.Status.DONE:
        return batch
    run = BatchRun(batch, actor=actor, chunk_size=chunk_size, progress=progress, threaded=threaded)
    path = stored_path(batch)
    try:
        opened = open_import(path, batch.file_name) if path.is_file() else None
    except InvalidInput as exc:
        opened, problem = None, exc
    else:
        problem = None
    if not run.claim(total_rows=opened.estimated_rows if opened else None):
        return run.batch
    if opened is None:
        run.fail(str(problem) if problem else str(_("The uploaded file is no longer on the server; upload it again")))
        return run.batch
    validator = RowValidator(actor=actor, positions=opened.header.positions, names=community_names(actor))
    if processes is None:
        processes = default_processes() if (opened.estimated_rows or 0) >= PARALLEL_MIN_ROWS else 0
    # Workers are forked before the writer thread starts: a fork copies only the thread that calls it.
    pool = ValidationPool(validator, processes, render=connection.vendor == "postgresql") if processes else None
    try:
        run.run(lambda after: checked_file_rows(opened, validator, after_row=after, chunk_size=chunk_size, pool=pool))
    except Superseded:
        run.batch.refresh_from_db()
        return run.batch
    except InvalidInput as exc:
        # The file turned out unreadable part-way (a damaged line); what was committed before it stays.
        run.fail(str(exc.problems[0].message) if exc.problems else str(exc))
        return run.batch
    except Exception as exc:
        run.fail(f"{exc.__class__.__name__}: {exc}")
        raise
    finally:
        if pool:
            pool.close()
    _finished(run.batch)
    return run.batch


def _finished(batch: ImportBatch) -> None:
    if batch.status != ImportBatch.Status.DONE:
        return
    with translation.override(batch.language):
        result_workbook(batch, result_path(batch))
    if batch.stored_name:
        # The upload holds personal data; once its outcome is recorded it is not kept.
        stored_path(batch).unlink(missing_ok=True)


@dataclass
class RegistrationRow:
    """One registration of an API list: the person and their stay, as the registry's inputs."""

    person: PersonInput
    stay: StayInput


def _api_cells(row: RegistrationRow) -> list:
    """The row in the template's column order, as the result workbook shows it."""
    p, s = row.person, row.stay
    values = {
        "doc_type": p.doc_type,
        "doc_number": p.doc_number,
        "name": p.name,
        "sex": p.sex,
        "birth_date": p.birth_date.isoformat() if p.birth_date else "",
        "ethnicity": p.ethnicity,
        "nationality": p.nationality,
        "hukou_address": p.hukou_address,
        "phone": p.phone,
        "education": p.education,
        "marital_status": p.marital_status,
        "community_code": s.community_code,
        "address": s.address,
        "arrived_on": s.arrived_on.isoformat() if s.arrived_on else "",
        "reason": s.reason,
    }
    return [values[c.field] for c in COLUMNS]


def registrations_import(
    *, actor, registrations: list[RegistrationRow], mode: str = ImportBatch.Mode.VALID, source: str = "api"
) -> tuple[ImportBatch, list[RowResult]]:
    """A list of registrations from a collection-point system, judged and written exactly like an imported file."""
    if not actor.can(IMPORT_PERMISSION):
        raise PermissionDenied()
    if mode not in ImportBatch.Mode.values:
        raise InvalidInput(
            [FieldProblem("mode", "import.mode", _("Choose “all or nothing” or “accept the valid rows”"))]
        )
    if not registrations or len(registrations) > MAX_API_ROWS:
        raise InvalidInput(
            [FieldProblem("rows", "import.rows", _("Send 1 to %(max)d registrations at once") % {"max": MAX_API_ROWS})]
        )
    code = getattr(actor, "division_id", None)
    if not code:
        raise PermissionDenied()
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            file_name=f"{source}-{timezone.now():%Y%m%d-%H%M%S}",
            file_format="json",
            mode=mode,
            source=source,
            division_code=code,
            created_by=actor,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            headers=[c.header for c in COLUMNS],
            fields=[c.field for c in COLUMNS],
            total_rows=len(registrations),
        )
        audit_record(
            actor=actor,
            action="import.upload",
            obj=batch,
            division_code=code,
            source=source,
            changes={"rows": len(registrations), "mode": mode},
        )
    run = BatchRun(batch, actor=actor, threaded=False)
    run.collect = True
    run.claim(total_rows=len(registrations))
    validator = RowValidator(actor=actor, positions={c.field: i for i, c in enumerate(COLUMNS)})

    def rows(after: int):
        validator.restart()
        for number, row in enumerate(registrations, start=1):
            if number > after:
                checked = validator.check(number, _api_cells(row), row.person, row.stay)
                validator.mark_repeats([checked])
                yield checked

    try:
        run.run(rows)
    except Exception as exc:
        run.fail(f"{exc.__class__.__name__}: {exc}")
        raise
    by_row = {r.row_number: r for r in run.results}
    results = [by_row.get(n) or RowResult(n, NOT_WRITTEN) for n in range(1, len(registrations) + 1)]
    return run.batch, results


def import_result_read(*, actor, batch_id: int, source: str = "web") -> Path:
    """The result workbook holds rejected rows in full (ID numbers too), so each download is audited."""
    if not actor.can(VIEW_PERMISSION):
        raise PermissionDenied()
    batch = get_scoped(ImportBatch.objects.all(), actor, pk=batch_id)
    if batch.status != ImportBatch.Status.DONE:
        raise NotFound()
    path = result_path(batch)
    if not path.is_file():
        with translation.override(batch.language):
            result_workbook(batch, path)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="import.result_read",
            obj=batch,
            division_code=batch.division_code,
            source=source,
            changes={"rejected": batch.rejected, "warnings": batch.warnings},
        )
    return path
