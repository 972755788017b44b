"""Writing generated rows: COPY on PostgreSQL, bulk_create elsewhere, with primary keys reserved up front.

Rows are plain tuples in the column order of TABLES, so one generator feeds both writers and the
benchmark's raw COPY. Keys are handed out before rows are written (a stay names its person's key), from
blocks reserved in the table's sequence on PostgreSQL and counted on from the highest key on SQLite.
"""

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from django.db import connection
from django.db.models.fields import NOT_PROVIDED
from psycopg.types.json import Jsonb

from liuguan.compliance.models import (
    DutyReport,
    ForeignDocument,
    ResponsibilityAgreement,
    TenancyFiling,
    TenancyTenant,
)
from liuguan.core.fields import index_fields_fed_by, sealer
from liuguan.registry.models import Employer, House, Lodging, Person, Stay

from .models import Defect, DutyGap, TruePerson

TABLES = {
    "employer": (
        Employer,
        ("id", "name", "credit_code", "industry", "address", "community_id", "grid_id", "created_at", "staff_size"),
    ),
    "lodging": (Lodging, ("id", "name", "credit_code", "address", "community_id", "rooms", "created_at")),
    "house": (
        House,
        (
            "id",
            "address",
            "community_id",
            "grid_id",
            "kind",
            "is_rented",
            "owner_name",
            "landlord_id",
            "created_at",
            "landlord_org_id",
            "rooms",
        ),
    ),
    "person": (
        Person,
        (
            "id",
            "doc_type",
            "doc_number",
            "name",
            "name_pinyin",
            "name_initials",
            "sex",
            "birth_date",
            "ethnicity",
            "nationality",
            "hukou_code",
            "hukou_address",
            "phone",
            "education",
            "marital_status",
            "party_member",
            "created_at",
            "updated_at",
            "created_by_id",
            "source_channel",
        ),
    ),
    "stay": (
        Stay,
        (
            "id",
            "person_id",
            "community_id",
            "grid_id",
            "house_id",
            "employer_id",
            "address",
            "reason",
            "arrived_on",
            "registered_at",
            "departed_on",
            "destination",
            "source_channel",
            "collector_id",
            "collection_point_id",
            "device_time",
            "lag_days",
            "late",
            "lodging_id",
        ),
    ),
    "trueperson": (
        TruePerson,
        (
            "id",
            "run_id",
            "true_key",
            "registered",
            "person_id",
            "doc_type",
            "doc_number",
            "name",
            "sex",
            "birth_date",
            "ethnicity",
            "nationality",
            "hukou_code",
            "hukou_address",
            "phone",
            "education",
            "marital_status",
            "community_id",
            "house_id",
            "employer_id",
            "arrived_on",
            "departed_on",
            "father_key",
            "mother_key",
        ),
    ),
    "defect": (Defect, ("id", "run_id", "kind", "person_id", "stay_id", "true_key", "detail")),
    # Housing and employment duties (duties.py): filings, reports, agreements, foreigners' documents, and the truth.
    "filing": (
        TenancyFiling,
        (
            "id",
            "number",
            "house_id",
            "community_id",
            "landlord_name",
            "rooms",
            "monthly_rent",
            "starts_on",
            "ends_on",
            "end_reason",
            "channel",
            "filed_at",
        ),
    ),
    "tenant": (TenancyTenant, ("id", "filing_id", "person_id", "stay_id")),
    "report": (
        DutyReport,
        (
            "id",
            "channel",
            "kind",
            "community_id",
            "house_id",
            "employer_id",
            "lodging_id",
            "person_id",
            "stay_id",
            "room",
            "occurred_on",
            "reported_at",
            "deadline_days",
            "lag_days",
            "late",
            "outcome",
            "source_ref",
        ),
    ),
    "agreement": (
        ResponsibilityAgreement,
        (
            "id",
            "number",
            "kind",
            "template_id",
            "community_id",
            "house_id",
            "lodging_id",
            "employer_id",
            "party_name",
            "signatory",
            "signed_on",
            "starts_on",
            "ends_on",
            "renews_id",
        ),
    ),
    "foreigndoc": (ForeignDocument, ("id", "person_id", "kind", "number", "expires_on", "channel", "recorded_at")),
    "dutygap": (
        DutyGap,
        (
            "id",
            "run_id",
            "kind",
            "channel",
            "person_id",
            "stay_id",
            "house_id",
            "employer_id",
            "lodging_id",
            "report_id",
            "agreement_id",
            "detail",
        ),
    ),
}
# Referenced tables first, so the rows of one chunk are written in an order the foreign keys accept.
WRITE_ORDER = (
    "employer",
    "lodging",
    "house",
    "person",
    "stay",
    "trueperson",
    "defect",
    "filing",
    "tenant",
    "report",
    "agreement",
    "foreigndoc",
    "dutygap",
)
# Columns written as JSON (COPY needs them wrapped).
JSON_COLUMNS = {"defect": "detail", "dutygap": "detail"}
Reserve = Callable[[str, int], Sequence[int]]


def column(table: str, name: str) -> int:
    return TABLES[table][1].index(name)


def defaulted(table: str) -> list[tuple[str, object]]:
    """Model fields the generator leaves out, with the value a new row gets; database defaults are left to it.

    Blind indexes of encrypted columns (liuguan.core.fields) are not defaults: `sealers` computes them.
    """
    model, columns = TABLES[table]
    computed = index_fields_fed_by(model, columns)
    return [
        (f.attname, f.get_default())
        for f in model._meta.concrete_fields
        if f.attname not in columns and f.attname not in computed and f.db_default is NOT_PROVIDED
    ]


def sealers() -> dict:
    """Per table: (index columns, a function encrypting a row's ID and phone numbers and appending their indexes)."""
    return {table: sealer(model, columns) for table, (model, columns) in TABLES.items()}


def _sealed(seal, columns: list[str], data: list) -> tuple[list[str], list]:
    """The columns and rows as stored: ID and phone numbers encrypted, their blind indexes appended (`sealers`)."""
    if not seal:
        return columns, data
    index_names, seal_row = seal
    return [*columns, *index_names], [seal_row(row) for row in data]


class IdBlocks:
    """Primary keys from blocks reserved ahead, so a stay can name its person before either is written."""

    def __init__(self, reserve: Reserve, block: int = 10_000):
        self._reserve = reserve
        self.block = block
        self._left: dict[str, Iterable[int]] = {}

    def next(self, table: str) -> int:
        try:
            return next(self._left[table])
        except (KeyError, StopIteration):
            pass
        left = iter(self._reserve(table, self.block))
        self._left[table] = left
        return next(left)


def counting_reserve(start: int = 1) -> Reserve:
    """Keys counted in memory: for the generator alone, with no database behind it."""
    nexts: dict[str, int] = {}

    def reserve(table: str, n: int) -> range:
        first = nexts.get(table, start)
        nexts[table] = first + n
        return range(first, first + n)

    return reserve


def sqlite_reserve() -> Reserve:
    """Count on from the highest key ever used (sqlite_sequence), so keys of deleted rows are not reused."""
    nexts: dict[str, int] = {}

    def reserve(table: str, n: int) -> range:
        if table not in nexts:
            db_table = TABLES[table][0]._meta.db_table
            with connection.cursor() as cursor:
                cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{db_table}"')  # noqa: S608
                highest = cursor.fetchone()[0]
                cursor.execute("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = %s", [db_table])
                highest = max(highest, cursor.fetchone()[0])
            nexts[table] = highest + 1
        first = nexts[table]
        nexts[table] = first + n
        return range(first, first + n)

    return reserve


def postgres_reserve() -> Reserve:
    """Reserve n keys from the table's own sequence in one statement; concurrent inserts elsewhere cannot take them."""
    sequences: dict[str, str] = {}

    def reserve(table: str, n: int) -> Sequence[int]:
        with connection.cursor() as cursor:
            if table not in sequences:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLES[table][0]._meta.db_table])
                sequences[table] = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequences[table], n])
            keys = [row[0] for row in cursor.fetchall()]
        keys.sort()
        # Alone on the sequence the keys are consecutive; a range then costs nothing to keep.
        return range(keys[0], keys[-1] + 1) if keys[-1] - keys[0] == n - 1 else keys

    return reserve


def reserve_for_connection() -> Reserve:
    return postgres_reserve() if connection.vendor == "postgresql" else sqlite_reserve()


class CopyWriter:
    """COPY ... FROM STDIN through psycopg: the fastest way rows get into PostgreSQL."""

    def __init__(self):
        # Fields added to a model after the generator was written still get their defaults.
        self.extras = {table: defaulted(table) for table in TABLES}
        self.seal = sealers()

    def write(self, rows: dict[str, list]) -> None:
        with connection.cursor() as cursor:
            for table in WRITE_ORDER:
                if rows.get(table):
                    model, columns = TABLES[table]
                    extra_names = [name for name, _value in self.extras[table]]
                    extra_values = tuple(value for _name, value in self.extras[table])
                    data = rows[table]
                    if table in JSON_COLUMNS:
                        at = columns.index(JSON_COLUMNS[table])
                        data = [(*row[:at], Jsonb(row[at]), *row[at + 1 :]) for row in data]
                    columns, data = _sealed(self.seal[table], columns, data)
                    sql = f'COPY "{model._meta.db_table}" ({", ".join([*columns, *extra_names])}) FROM STDIN'
                    with cursor.copy(sql) as copy:
                        if extra_values:
                            for row in data:
                                copy.write_row((*row, *extra_values))
                        else:
                            for row in data:
                                copy.write_row(row)


class SqliteWriter:
    """executemany of plain tuples: SQLite without building a model instance per row (a third of the demo's time)."""

    def __init__(self):
        self.extras = {table: defaulted(table) for table in TABLES}
        self.seal = sealers()
        ops = connection.ops
        self.adapt = {
            dt.datetime: ops.adapt_datetimefield_value,
            dt.date: ops.adapt_datefield_value,
            Decimal: str,
            bool: int,
            dict: json.dumps,
            list: json.dumps,
        }

    def _row(self, row: tuple, extra: tuple) -> tuple:
        adapt = self.adapt
        return tuple(adapt[type(v)](v) if type(v) in adapt else v for v in (*row, *extra))

    def write(self, rows: dict[str, list]) -> None:
        with connection.cursor() as cursor:
            for table in WRITE_ORDER:
                if rows.get(table):
                    model, columns = TABLES[table]
                    data = rows[table]
                    columns, data = _sealed(self.seal[table], columns, data)
                    names = [*columns, *(name for name, _value in self.extras[table])]
                    extra = tuple(value for _name, value in self.extras[table])
                    marks = ", ".join(["%s"] * len(names))
                    cursor.executemany(
                        f'INSERT INTO "{model._meta.db_table}" ({", ".join(names)}) VALUES ({marks})',  # noqa: S608
                        [self._row(row, extra) for row in data],
                    )


def writer_for_connection():
    return CopyWriter() if connection.vendor == "postgresql" else SqliteWriter()
