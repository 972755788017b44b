"""Batch imports as JSON: upload a file and follow its batch, or send a list of registrations and get each row's
result. The same services as the pages, so the same rules and duplicate checks apply.
"""

import datetime as dt
from typing import Literal

from django.http import FileResponse
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from liuguan.core.permissions import endpoint
from liuguan.core.schemas import ERRORS, responses
from liuguan.registry.api import PersonIn
from liuguan.registry.services import PersonInput, StayInput

from . import services
from .models import ImportBatch
from .selectors import import_batch_get, import_batch_list

router = Router(tags=["collection"])

STAY_FIELDS = {
    "community_code",
    "arrived_on",
    "reason",
    "address",
    "device_time",
    "house_id",
    "employer_id",
    "source_channel",
}


class BatchOut(Schema):
    id: int
    file_name: str
    file_sha256: str
    file_format: str
    mode: str = Field(..., description="all (all or nothing) or valid (accept the valid rows)")
    status: str = Field(..., description="queued, running, done or failed")
    phase: str
    encoding: str
    total_rows: int | None
    rows_done: int
    accepted: int
    already_registered: int
    rejected: int
    warnings: int
    people_created: int
    ignored_columns: list[str]
    error: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    result_url: str | None = Field(None, description="the result workbook, once the batch is done")


class RowProblemOut(Schema):
    field: str
    rule: str
    msg: str
    level: str = Field(..., description="error (the row is rejected) or warning")


class RowResultOut(Schema):
    index: int = Field(..., description="0-based position in `rows`")
    status: str = Field(..., description="accepted, already_registered, rejected, or not_written (all or nothing)")
    person_id: int | None
    stay_id: int | None
    problems: list[RowProblemOut]


class RegistrationsIn(Schema):
    mode: Literal["valid", "all"] = Field("valid", description="valid: keep the good rows; all: all or nothing")
    rows: list[PersonIn] = Field(..., min_length=1, max_length=services.MAX_API_ROWS)


class RegistrationsOut(Schema):
    batch: BatchOut
    results: list[RowResultOut]


def _batch_out(batch: ImportBatch) -> BatchOut:
    return BatchOut(
        id=batch.pk,
        file_name=batch.file_name,
        file_sha256=batch.file_sha256,
        file_format=batch.file_format,
        mode=batch.mode,
        status=batch.status,
        phase=batch.phase,
        encoding=batch.encoding,
        total_rows=batch.total_rows,
        rows_done=batch.rows_done,
        accepted=batch.accepted,
        already_registered=batch.already_registered,
        rejected=batch.rejected,
        warnings=batch.warnings,
        people_created=batch.people_created,
        ignored_columns=[h for h, f in zip(batch.headers, batch.fields, strict=False) if h and not f],
        error=batch.error,
        created_at=batch.created_at,
        started_at=batch.started_at,
        finished_at=batch.finished_at,
        result_url=f"/api/collection/imports/{batch.pk}/result" if batch.status == ImportBatch.Status.DONE else None,
    )


@router.post(
    "/imports",
    response={200: BatchOut, 201: BatchOut, **ERRORS},
    summary="Upload an .xlsx or .csv file of registrations; the import runs in the background",
    description="201 with a new batch; 200 with the existing batch when the same file was sent before "
    "(nothing new is created). Follow the batch with GET /imports/{id}.",
)
@endpoint(services.IMPORT_PERMISSION)
def import_upload(request, file: File[UploadedFile], mode: Form[Literal["valid", "all"]] = "valid"):
    if file.size > services.MAX_UPLOAD_BYTES:
        raise services.upload_too_large()
    done = services.import_batch_create(actor=request.user, file=file, file_name=file.name, mode=mode, source="api")
    if done.created:
        services.import_batch_enqueue(done.batch)
    elif services.import_batch_resumable(done.batch):
        services.import_batch_resume(actor=request.user, batch_id=done.batch.pk, source="api")
    return Status(201 if done.created else 200, _batch_out(done.batch))


@router.get("/imports", response=responses(list[BatchOut]), summary="Your imports, newest first")
@endpoint(services.VIEW_PERMISSION)
def import_list(request, mine_only: bool = True):
    return [_batch_out(b) for b in import_batch_list(user=request.user, mine_only=mine_only)]


@router.get("/imports/{batch_id}", response=responses(BatchOut), summary="One import's status and counts")
@endpoint(services.VIEW_PERMISSION)
def import_detail(request, batch_id: int):
    return _batch_out(import_batch_get(user=request.user, batch_id=batch_id))


@router.get(
    "/imports/{batch_id}/result",
    response=ERRORS,
    summary="The result workbook: rejected rows with each bad cell marked and explained (audited)",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The workbook",
                "content": {
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    }
                },
            }
        }
    },
)
@endpoint(services.VIEW_PERMISSION)
def import_result(request, batch_id: int):
    path = services.import_result_read(actor=request.user, batch_id=batch_id, source="api")
    return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{batch_id}-result.xlsx")  # noqa: SIM115


def _row(person: PersonIn) -> services.RegistrationRow:
    data = person.dict()
    stay = data.pop("stay")
    data.pop("not_duplicate_of", None)
    stay["source_channel"] = "import"
    person_fields = set(PersonInput.__dataclass_fields__)
    stay_fields = set(StayInput.__dataclass_fields__)
    return services.RegistrationRow(
        person=PersonInput(**{k: v for k, v in data.items() if k in person_fields}),
        stay=StayInput(**{k: v for k, v in stay.items() if k in stay_fields}),
    )


@router.post(
    "/registrations",
    response=responses(RegistrationsOut),
    summary="Register up to 10,000 people with their stays; each row's result",
    description="For collection-point systems. Rows are judged exactly like the registration form and file "
    "imports: a known document number reuses its person, a person with an open stay in the community is "
    "already_registered, likely duplicates are warnings.",
)
@endpoint(services.IMPORT_PERMISSION)
def registrations(request, payload: RegistrationsIn):
    batch, results = services.registrations_import(
        actor=request.user, registrations=[_row(r) for r in payload.rows], mode=payload.mode, source="api"
    )
    return RegistrationsOut(
        batch=_batch_out(batch),
        results=[
            RowResultOut(
                index=r.row_number - 1,
                status=r.status,
                person_id=r.person_id,
                stay_id=r.stay_id,
                problems=[
                    RowProblemOut(
                        field=f"stay.{p.field}" if p.field in STAY_FIELDS else p.field,
                        rule=p.rule,
                        msg=p.message,
                        level=p.level,
                    )
                    for p in r.problems
                ],
            )
            for r in results
        ],
    )
