"""Bulk extracts within a grant: every record of a dataset inside the extract grants' areas with only the granted
fields, as CSV streamed row by row or as Parquet written in row groups, with bounded memory either way. Each
extract is one event in the access log with its row count and the SHA-256 of what was sent.
"""

import csv
import hashlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from liuguan.core import crypto

from ..hub import access_log, rate_check
from ..models import Subsystem, Way
from ..selectors_feeds import extract_columns, extract_records
from .feeds import dataset_get, granted_or_refused

ROW_GROUP = 10_000
CSV_CHUNK_ROWS = 500


def _csv_line(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


class _Digests:
    """SHA-256 of what was sent (the API's X-Liuguan-Sha256), and the configured hash's too when it is another
    (LIUGUAN_HASH=sm3: the access log also records the SM3 digest).
    """

    def __init__(self):
        configured = crypto.hash_algorithm()
        self.hashes = {"sha256": hashlib.sha256()}
        if configured.name != "sha256":
            self.hashes[configured.name] = configured.new()

    def update(self, data: bytes) -> None:
        for h in self.hashes.values():
            h.update(data)

    def hexdigest(self) -> str:
        return self.hashes["sha256"].hexdigest()

    def hexdigests(self) -> dict[str, str]:
        return {name: h.hexdigest() for name, h in self.hashes.items()}


def extract_csv(*, subsystem: Subsystem, dataset: str, end_user="", case_ref="") -> Iterator[bytes]:
    """The extract as CSV chunks (a header row, then the records). The grant is checked before the first byte;
    the log event is written when the stream ends, with the rows and digest actually sent (also when the
    client goes away early: outcome "interrupted").
    """
    rate_check(subsystem)
    catalogue = dataset_get(dataset)
    request = {"dataset": dataset, "format": "csv"}
    grants, context = granted_or_refused(
        subsystem, catalogue, Way.EXTRACT, action="exchange.extract", request=request, end_user=end_user,
        case_ref=case_ref,
    )  # fmt: skip
    columns = extract_columns(catalogue, grants)

    def stream():
        digest = _Digests()
        rows, outcome = 0, "interrupted"
        try:
            chunk = _csv_line([[name for name, _kind in columns]])
            digest.update(chunk)
            yield chunk
            pending = []
            for row in extract_records(catalogue, grants):
                pending.append(["" if v is None else v for v in row])
                if len(pending) >= CSV_CHUNK_ROWS:
                    chunk = _csv_line(pending)
                    digest.update(chunk)
                    rows += len(pending)
                    pending = []
                    yield chunk
            if pending:
                chunk = _csv_line(pending)
                digest.update(chunk)
                rows += len(pending)
                yield chunk
            outcome = "ok"
        finally:
            access_log(
                context=context,
                action="exchange.extract",
                dataset=dataset,
                outcome=outcome,
                request=request,
                response={"rows": rows, **digest.hexdigests()},
                extra={"format": "csv", "rows": rows, **digest.hexdigests(), "columns": len(columns)},
            )

    return stream()


@dataclass
class ParquetExtract:
    file: object  # an open temporary file, at its start
    size: int
    rows: int
    sha256: str


def extract_parquet(*, subsystem: Subsystem, dataset: str, end_user="", case_ref="") -> ParquetExtract:
    """The extract as a Parquet file, written to a temporary file in row groups of ROW_GROUP records; logged once
    written, with its row count and digest.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rate_check(subsystem)
    catalogue = dataset_get(dataset)
    request = {"dataset": dataset, "format": "parquet"}
    grants, context = granted_or_refused(
        subsystem, catalogue, Way.EXTRACT, action="exchange.extract", request=request, end_user=end_user,
        case_ref=case_ref,
    )  # fmt: skip
    columns = extract_columns(catalogue, grants)
    types = {"str": pa.string(), "int": pa.int64(), "bool": pa.bool_(), "date": pa.date32()}
    schema = pa.schema([(name, types[kind]) for name, kind in columns])
    target = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    rows = 0
    with pq.ParquetWriter(target, schema, compression="zstd") as writer:
        group: list[list] = []

        def flush():
            table = pa.Table.from_arrays(
                [pa.array([r[i] for r in group], type=types[kind]) for i, (_name, kind) in enumerate(columns)],
                schema=schema,
            )
            writer.write_table(table, row_group_size=ROW_GROUP)

        for row in extract_records(catalogue, grants, plain=False):
            group.append(row)
            if len(group) >= ROW_GROUP:
                flush()
                rows += len(group)
                group = []
        if group or rows == 0:
            flush()
            rows += len(group)
    size = target.tell()
    target.seek(0)
    digest = _Digests()
    for block in iter(lambda: target.read(1 << 20), b""):
        digest.update(block)
    target.seek(0)
    access_log(
        context=context,
        action="exchange.extract",
        dataset=dataset,
        outcome="ok",
        request=request,
        response={"rows": rows, **digest.hexdigests()},
        extra={"format": "parquet", "rows": rows, **digest.hexdigests(), "bytes": size, "columns": len(columns)},
    )
    return ParquetExtract(target, size, rows, digest.hexdigest())
