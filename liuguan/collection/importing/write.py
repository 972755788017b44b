"""Writing one chunk of checked rows: who is on the register already, then people and stays in bulk.

A document number already registered reuses that person; a person with an open stay in the community is
"already registered" (which is what makes re-running an import harmless). New people and stays go in with
COPY on PostgreSQL and one executemany on SQLite, under ids reserved first so stays can name their person.
The database's unique constraints still hold: a concurrent registration of the same person makes the chunk
fail as a whole, and the caller retries it.
"""

import datetime as dt
import functools
import threading
from collections import deque
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext as _

from liuguan.core import crypto
from liuguan.core.fields import encrypted_fields
from liuguan.core.scoping import scoped
from liuguan.registry.codes import SourceChannel
from liuguan.registry.duplicates import likely_duplicates_bulk
from liuguan.registry.models import Person, Stay
from liuguan.registry.timeliness import PolicyTable

from ..models import ImportRow
from .validate import WARNING, CheckedRow, RowProblem

# Refresh statistics once the import has written at least this many people (and as many as the table held).
ANALYZE_AFTER_ROWS = 20_000
ACCEPTED = "accepted"
ALREADY = "already_registered"
REJECTED = "rejected"


@dataclass(slots=True)
class RowResult:
    """What became of one row."""

    row_number: int
    status: str
    person_id: int | None = None
    stay_id: int | None = None
    problems: list[RowProblem] = field(default_factory=list)


@dataclass
class Lookups:
    """What the register holds for one chunk: people under its document numbers, and people in scope sharing
    its rows' name pinyin and birth date. Pure reads, so the reading thread can make them on its own connection
    while the writer is still busy with the chunks before.
    """

    existing: dict[tuple[str, str], tuple[int, str]]
    likely: dict[tuple[str, dt.date], list[int]]


@dataclass
class Prepared:
    """A chunk ready to write: every row's fate, the reserved ids and the rows to insert (rendered, ahead)."""

    rows: list[CheckedRow]
    sizes: list[int]  # each row's number of problems before this chunk's look-ups added warnings
    outcome: "ChunkOutcome"
    status: dict
    person_ids: list[int]
    stay_ids: list[int]
    person_rows: list[tuple]
    stay_rows: list[tuple]
    people_copy: bytes | None = None
    stays_copy: bytes | None = None


# Chunks that may be unwritten or uncommitted when a look-ahead is made: the one being written and the one
# waiting in the hand-over queue (one more for safety). Older chunks were committed before it started.
LOOKAHEAD_WINDOW = 3


@dataclass
class ChunkOutcome:
    """Counts of one chunk, the ids it created (for the audit event) and, when asked, each row's result."""

    first_row: int = 0
    last_row: int = 0
    rows: int = 0
    accepted: int = 0
    already_registered: int = 0
    rejected: int = 0
    warnings: int = 0
    people: list[int] = field(default_factory=list)
    stays: list[int] = field(default_factory=list)
    results: list[RowResult] | None = None

    def audit(self) -> dict:
        return {
            "rows": [self.first_row, self.last_row],
            "accepted": self.accepted,
            "already_registered": self.already_registered,
            "rejected": self.rejected,
            "warnings": self.warnings,
            "people": _id_range(self.people),
            "stays": _id_range(self.stays),
        }


def _id_range(ids: list[int]) -> dict:
    return {"first": min(ids), "last": max(ids), "count": len(ids)} if ids else {"count": 0}


def plain_cells(cells) -> list:
    """The row's cells as JSON can keep them."""
    out = []
    for value in cells:
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            value = value.isoformat()
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        out.append(value)
    while out and out[-1] in (None, ""):
        out.pop()
    return out


# COPY's text format: backslash, tab, newline and carriage return are escaped; NULL is \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_COPY_ESCAPES)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


class Table:
    """Bulk insertion into one model's table with explicit ids; columns the import does not know get defaults."""

    def __init__(self, model, per_row: list[str], constants: dict):
        self.model = model
        self.table = model._meta.db_table
        columns = ["id", *per_row]
        tail = []
        for f in model._meta.concrete_fields:
            if f.attname in columns:
                continue
            if f.attname in constants:
                value = constants[f.attname]
            elif f.has_db_default() and not f.has_default():
                continue  # the database fills it
            else:
                value = f.get_default()
            columns.append(f.attname)
            tail.append(value)
        self.columns = columns
        self.per_row = per_row
        self.sequence: str | None = None
        self.sqlite = connection.vendor == "sqlite"
        self.tail = tuple(self._adapt(v) for v in tail) if self.sqlite else tuple(tail)

    @staticmethod
    def _adapt(value):
        if isinstance(value, dt.datetime):
            return connection.ops.adapt_datetimefield_value(value)
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, bool):
            return int(value)
        return value

    def reserve_ids(self, count: int) -> list[int]:
        """Ids for `count` new rows: from the sequence on PostgreSQL, after the highest on SQLite (one writer)."""
        if not count:
            return []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                if self.sequence is None:
                    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [self.table])
                    self.sequence = cursor.fetchone()[0]
                # nextval is safe against every concurrent writer; one array comes back instead of `count` rows.
                cursor.execute(
                    "SELECT array_agg(nextval(%s::regclass)) FROM generate_series(1, %s)", [self.sequence, count]
                )
                return cursor.fetchone()[0]
            cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{self.table}"')  # noqa: S608 (model's own table)
            highest = cursor.fetchone()[0]
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
            return list(range(start, start + count))

    @functools.cached_property
    def tail_text(self) -> str:
        """The constant columns in COPY's text format, ending the line."""
        return "".join("\t" + copy_text(v) for v in self.tail) + "\n"

    def render(self, rows: list[tuple]) -> bytes:
        """Rows in COPY's text format, the constant tail included: what `insert` sends as it is."""
        tail = self.tail_text
        lines = [_copy_line(row) for row in rows]
        return (tail.join(lines) + tail).encode() if lines else b""

    def render_lines(self, lines: list[str]) -> bytes:
        """Lines already in COPY's text format (without the constant tail), as `insert` sends them."""
        tail = self.tail_text
        return (tail.join(lines) + tail).encode() if lines else b""

    def insert(self, rows: list[tuple], rendered: bytes | None = None) -> None:
        """Rows are (id, *per_row values); the constant tail is added here.

        `rendered` is `render(rows)`, or the rows rendered by the validation worker (then `rows` may be empty).
        """
        if not rows and not rendered:
            return
        tail = self.tail
        names = ", ".join(f'"{c}"' for c in self.columns)
        if connection.vendor == "postgresql":
            connection.ensure_connection()
            with (
                connection.connection.cursor() as cursor,
                cursor.copy(f'COPY "{self.table}" ({names}) FROM STDIN') as copy,
            ):
                if rendered is not None:
                    copy.write(rendered)
                    return
                write = copy.write_row
                for row in rows:
                    write(row + tail)
            return
        marks = ", ".join(["%s"] * len(self.columns))
        adapt = self._adapt
        with connection.cursor() as cursor:
            cursor.executemany(
                f'INSERT INTO "{self.table}" ({names}) VALUES ({marks})',  # noqa: S608 (model's own table)
                [tuple(adapt(v) for v in row) + tail for row in rows],
            )


PERSON_COLUMNS = [
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
    # The blind indexes of the encrypted numbers (liuguan.core.fields): computed here, as the model's save would.
    "doc_number_index",
    "phone_index",
]
# Encrypted at rest, and the columns their blind indexes go in.
_ENCRYPTED = {f.attname: f.index_field for f in encrypted_fields(Person) if f.index_field}
_INDEXED = {index: source for source, index in _ENCRYPTED.items()}
STAY_COLUMNS = [
    "person_id",
    "community_id",
    "grid_id",
    "house_id",
    "employer_id",
    "address",
    "reason",
    "arrived_on",
    "device_time",
    "lag_days",
    "late",
    "source_ref",
]


ANALYZE_SQL = f'ANALYZE "{Person._meta.db_table}", "{Stay._meta.db_table}"'


def _analyze() -> None:
    """ANALYZE the person and stay tables on this thread's own connection, then close it."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(ANALYZE_SQL)
    except DatabaseError:
        pass
    finally:
        connection.close()


@functools.cache
def person_columns() -> tuple[str, ...]:
    """The person columns an import writes, in COPY order (after the id)."""
    fields = {f.attname for f in Person._meta.concrete_fields}
    return tuple(c for c in PERSON_COLUMNS if c in fields)


def _copy_line(values) -> str:
    line = "\t".join(
        [v if type(v) is str else "\\N" if v is None else str(v) if type(v) is int else copy_text(v) for v in values]  # noqa: E721
    )
    if line.count("\t") != len(values) - 1 or "\n" in line or "\r" in line or "\\" in line:
        line = "\t".join(map(copy_text, values))
    return line


def person_values(person: dict) -> list:
    """A checked person's values in `person_columns()` order as stored: numbers encrypted, their indexes added."""
    out = []
    for c in person_columns():
        if c in _INDEXED:
            out.append(crypto.blind_index(person.get(_INDEXED[c]) or ""))
        elif c in _ENCRYPTED:
            out.append(crypto.encrypt_text(person[c]) if person[c] else person[c])
        else:
            out.append(person[c])
    return out


def person_copy_text(person: dict) -> str:
    """A checked person's values in COPY's text format, as `ChunkWriter` writes them after the id."""
    return _copy_line(person_values(person))


def stay_copy_text(row: CheckedRow) -> str:
    """A checked stay's values from its community to its device time (STAY_COLUMNS[1:9]) in COPY's text format."""
    values = row.stay
    house, employer = values.get("house"), values.get("employer")
    return _copy_line(
        [
            row.community_code,
            values.get("grid_id"),
            house.pk if house else None,
            employer.pk if employer else None,
            values["address"],
            values["reason"],
            values["arrived_on"],
            values.get("device_time"),
        ]
    )


class ChunkWriter:
    """Writes chunks for one batch and one actor; the caller holds the transaction."""

    def __init__(self, *, batch, actor, registered_at: dt.datetime, collect: bool = False):
        self.batch = batch
        self.actor = actor
        self.collect = collect
        # One registration time for the run: when its rows entered the register, and what lateness counts to.
        self.registered_at = registered_at
        self.policy = PolicyTable()
        self.visible_people = scoped(Person.objects.all(), actor)
        self.people, self.stays = self._tables(registered_at)
        self.known_rows: int | None = None
        self.written = 0
        self._analyzer: threading.Thread | None = None
        # Only the reading thread, preparing ahead, touches this.
        self.recent: deque[dict] = deque(maxlen=LOOKAHEAD_WINDOW)

    def _tables(self, registered_at: dt.datetime) -> tuple[Table, Table]:
        actor_id = self.actor.pk if getattr(self.actor, "pk", None) else None
        fields = {f.attname for f in Person._meta.concrete_fields}
        person_constants = {"created_at": registered_at, "updated_at": registered_at, "created_by_id": actor_id}
        if "source_channel" in fields:
            person_constants["source_channel"] = SourceChannel.IMPORT
        people = Table(Person, list(person_columns()), person_constants)
        stays = Table(
            Stay,
            STAY_COLUMNS,
            {
                "registered_at": registered_at,
                "source_channel": SourceChannel.IMPORT,
                "collector_id": actor_id,
                "collection_point_id": getattr(self.actor, "office_id", None),
            },
        )
        return people, stays

    def refresh_statistics(self, written: int) -> None:
        """Keep the planner's statistics in step with a bulk load, so look-ups stay index probes, not scans.

        ANALYZE samples a fixed number of rows; running it each time the tables have about doubled costs a few
        seconds over a million rows and saves minutes. Rows committed chunk by chunk are analysed beside the writing,
        on a connection of its own (ANALYZE does not block inserts), so the writer never waits for it; all or
        nothing analyses in its own transaction, the only one that sees its rows. PostgreSQL only, never fatal.
        """
        if connection.vendor != "postgresql":
            return
        self.written += written
        if self.known_rows is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT GREATEST(reltuples, 0)::bigint FROM pg_class WHERE oid = %s::regclass",
                    [Person._meta.db_table],
                )
                row = cursor.fetchone()
            self.known_rows = row[0] if row else 0
        if self.written < max(ANALYZE_AFTER_ROWS, self.known_rows):
            return
        if connection.in_atomic_block:
            # All or nothing: the rows are not committed, so only this connection's ANALYZE can count them.
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(ANALYZE_SQL)
            except DatabaseError:
                return
        elif self._analyzer is not None and self._analyzer.is_alive():
            return  # the last one is still sampling; the next chunk asks again
        else:
            self._analyzer = threading.Thread(target=_analyze, name="import-analyze", daemon=True)
            self._analyzer.start()
        self.known_rows += self.written
        self.written = 0

    def close(self) -> None:
        """Wait for a statistics refresh still running, so no connection outlives the import."""
        if self._analyzer is not None:
            self._analyzer.join()
            self._analyzer = None

    def lookups(self, rows: list[CheckedRow]) -> Lookups:
        """The register's answers for a chunk's valid rows, on the calling thread's connection."""
        valid = [r for r in rows if not r.rejected]
        keys = [(r.person["name_pinyin"], r.person["birth_date"]) for r in valid if r.person.get("birth_date")]
        # Candidates come from everyone (the scope rule as a filter of that query costs seconds per chunk at a
        # province's size: PostgreSQL hashes every stay in the jurisdiction); only those in scope are named.
        hits = likely_duplicates_bulk(keys) if keys else {}
        candidates = {pk for ids in hits.values() for pk in ids}
        if candidates:
            visible = set(self.visible_people.filter(pk__in=candidates).values_list("pk", flat=True))
            hits = {key: [pk for pk in ids if pk in visible] for key, ids in hits.items()}
        return Lookups(self._existing_people(valid), hits)

    def write(self, rows: list[CheckedRow], lookups: Lookups | None = None) -> ChunkOutcome:
        """Sort each valid row into new person, new stay or already registered, then write them all."""
        return self.apply(self.prepare(rows, lookups))

    def prepare(self, rows: list[CheckedRow], lookups: Lookups | None = None, *, ahead: bool = False) -> Prepared:
        """Everything but the writing: sort the rows, warn of likely duplicates, reserve ids, build the rows.

        Ahead (the reading thread, while the writer is busy with the chunks before), the register was looked up
        on another connection and the rows are rendered in COPY's text format here, so the writer only sends
        them. What such a look-up could not see is covered from memory: document numbers repeated in the file
        are rejected before this point, so only the likely duplicates among the last few chunks' rows remain.
        """
        sizes = [len(row.problems) for row in rows]
        outcome = ChunkOutcome(first_row=rows[0].row_number, last_row=rows[-1].row_number, rows=len(rows))
        valid = [r for r in rows if not r.rejected]
        if lookups is None:
            lookups = self.lookups(valid)
        existing = lookups.existing
        open_stays = self._open_stays(existing)
        new_people: list[CheckedRow] = []
        new_stays: list[tuple[CheckedRow, int | None]] = []
        status: dict[int, tuple[str, int | None, int | None]] = {}
        for row in valid:
            found = existing.get((row.person["doc_type"], row.person["doc_number"]))
            if found is None:
                new_people.append(row)
                new_stays.append((row, None))
                continue
            person_id, name = found
            if name != row.person["name"]:
                row.problems.append(
                    RowProblem(
                        None,
                        "name",
                        "import.name_differs",
                        _("This document number is registered under a different name; the registered person is kept"),
                        WARNING,
                    )
                )
            stay_id = open_stays.get((person_id, row.community_code))
            if stay_id is not None:
                status[row.row_number] = (ALREADY, person_id, stay_id)
            else:
                new_stays.append((row, person_id))
        recent = self.recent if ahead else ()
        self._likely_duplicates(new_people, lookups, recent)
        prepared = self._build(rows, sizes, outcome, new_people, new_stays, status)
        if ahead:
            self._remember(new_people, prepared.person_ids)
            if connection.vendor == "postgresql" and prepared.people_copy is None:
                prepared.people_copy = self.people.render(prepared.person_rows)
                prepared.stays_copy = self.stays.render(prepared.stay_rows)
        return prepared

    def apply(self, prepared: Prepared) -> ChunkOutcome:
        """Write a prepared chunk: people, stays, and the rows worth keeping (problems); the caller's transaction."""
        self.people.insert(prepared.person_rows, prepared.people_copy)
        self.stays.insert(prepared.stay_rows, prepared.stays_copy)
        outcome = prepared.outcome
        outcome.people = prepared.person_ids
        outcome.stays = prepared.stay_ids
        results = [] if self.collect else None
        self._record(prepared.rows, prepared.status, outcome, results)
        outcome.results = results
        return outcome

    def _existing_people(self, rows: list[CheckedRow]) -> dict[tuple[str, str], tuple[int, str]]:
        """Everyone registered under the chunk's document numbers, in one query per document type.

        Unscoped on purpose, like the registry's own uniqueness check: one number is one person everywhere.
        """
        by_type: dict[str, set[str]] = {}
        for row in rows:
            by_type.setdefault(row.person["doc_type"], set()).add(row.person["doc_number"])
        existing: dict[tuple[str, str], tuple[int, str]] = {}
        for doc_type, numbers in by_type.items():
            # The numbers are encrypted at rest: they are found by their blind index (every candidate tag of each).
            wanted = {tag: number for number in numbers for tag in crypto.blind_index_candidates(number)}
            if connection.vendor == "postgresql":
                # One probe of the unique index per tag, whatever the statistics say (LIMIT keeps the planner
                # from turning it into a join): the estimate for a table that grew by a million rows a minute ago
                # can be far off, and a scan of it costs a hundred times more.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT p.id, p.doc_number_index, p.name FROM unnest(%s::text[]) AS wanted(tag) "  # noqa: S608
                        "CROSS JOIN LATERAL (SELECT id, doc_number_index, name "
                        f'FROM "{Person._meta.db_table}" '
                        "WHERE doc_type = %s AND doc_number_index = wanted.tag LIMIT 1) p",
                        [list(wanted), doc_type],
                    )
                    found = cursor.fetchall()
            else:
                found = Person.objects.filter(doc_type=doc_type, doc_number_index__in=list(wanted)).values_list(
                    "pk", "doc_number_index", "name"
                )
            for pk, tag, name in found:
                existing[(doc_type, wanted[tag])] = (pk, name)
        return existing

    def _open_stays(self, existing: dict) -> dict[tuple[int, str], int]:
        ids = [pk for pk, _name in existing.values()]
        if not ids:
            return {}
        qs = Stay.objects.filter(person_id__in=ids, departed_on__isnull=True)
        return {(person_id, code): pk for pk, person_id, code in qs.values_list("pk", "person_id", "community_id")}

    def _likely_duplicates(self, rows: list[CheckedRow], lookups: Lookups, recent) -> None:
        """Warn, never refuse: same pinyin and birth date as someone registered, or as an earlier row here."""
        hits = lookups.likely
        earlier: dict[tuple, int] = {}
        for row in rows:
            key = (row.person["name_pinyin"], row.person.get("birth_date"))
            if key[1] is None:
                continue
            before = next((chunk[key] for chunk in recent if key in chunk), None)
            if before is not None and key not in earlier:
                earlier[key] = before[0]
            ids = hits.get(key)
            if ids and before is not None:
                ids = [pk for pk in ids if pk != before[1]]  # the row before, already committed: named once
            if ids:
                shown = ", ".join(f"#{pk}" for pk in sorted(ids)[:5])
                row.problems.append(
                    RowProblem(
                        None,
                        "name",
                        "person.likely_duplicate",
                        _("Possibly someone already registered (same name pinyin and birth date): %(people)s")
                        % {"people": shown},
                        WARNING,
                    )
                )
            if key in earlier:
                row.problems.append(
                    RowProblem(
                        None,
                        "name",
                        "person.likely_duplicate",
                        _("Same name pinyin and birth date as row %(row)d") % {"row": earlier[key]},
                        WARNING,
                    )
                )
            else:
                earlier[key] = row.row_number

    def _remember(self, new_people: list[CheckedRow], person_ids: list[int]) -> None:
        """The last few chunks prepared ahead, by likely-duplicate key: what the next look-ups may not see."""
        keys = {}
        for row, pk in zip(new_people, person_ids, strict=True):
            birth = row.person.get("birth_date")
            if birth is not None:
                keys.setdefault((row.person["name_pinyin"], birth), (row.row_number, pk))
        self.recent.appendleft(keys)

    def _build(self, rows, sizes, outcome, new_people, new_stays, status) -> Prepared:
        people, stays, registered_at = self.people, self.stays, self.registered_at
        person_ids = people.reserve_ids(len(new_people))
        stay_ids = stays.reserve_ids(len(new_stays))
        id_of_row = {}
        person_rows, person_lines, stay_lines = [], [], []
        for pk, row in zip(person_ids, new_people, strict=True):
            id_of_row[row.row_number] = pk
            if row.person_copy is not None:
                person_lines.append(f"{pk}\t{row.person_copy}")
            else:
                person_rows.append((pk, *person_values(row.person)))
        stay_rows = []
        batch_id = self.batch.pk
        lateness = self.policy.lateness
        for pk, (row, person_id) in zip(stay_ids, new_stays, strict=True):
            person_id = person_id or id_of_row[row.row_number]
            values = row.stay
            late = lateness(row.community_code, values["arrived_on"], registered_at)
            status[row.row_number] = (ACCEPTED, person_id, pk)
            if row.stay_copy is not None:
                stay_lines.append(
                    f"{pk}\t{person_id}\t{row.stay_copy}\t{late.lag_days}\t{'t' if late.late else 'f'}\t"
                    f"import:{batch_id}:{row.row_number}"
                )
                continue
            house, employer = values.get("house"), values.get("employer")
            stay_rows.append(
                (
                    pk,
                    person_id,
                    row.community_code,
                    values.get("grid_id"),
                    house.pk if house else None,
                    employer.pk if employer else None,
                    values["address"],
                    values["reason"],
                    values["arrived_on"],
                    values.get("device_time"),
                    late.lag_days,
                    late.late,
                    f"import:{batch_id}:{row.row_number}",
                )
            )
        prepared = Prepared(rows, sizes, outcome, status, person_ids, stay_ids, person_rows, stay_rows)
        if person_lines or stay_lines:
            # Rows rendered by the validation worker: only the ids and the lateness were added here.
            if person_rows or stay_rows:
                raise ValueError("a chunk mixes rendered and unrendered rows")
            prepared.people_copy = people.render_lines(person_lines)
            prepared.stays_copy = self.stays.render_lines(stay_lines)
        return prepared

    def _record(self, rows, status, outcome, results) -> None:
        keep = []
        for row in rows:
            if row.rejected:
                state = (REJECTED, None, None)
                outcome.rejected += 1
            else:
                state = status[row.row_number]
                if state[0] == ALREADY:
                    outcome.already_registered += 1
                else:
                    outcome.accepted += 1
            if row.has_warnings:
                outcome.warnings += 1
            if row.problems:
                keep.append(
                    ImportRow(
                        batch_id=self.batch.pk,
                        row_number=row.row_number,
                        outcome=ImportRow.Outcome.REJECTED if row.rejected else ImportRow.Outcome.WARNING,
                        values=plain_cells(row.cells),
                        problems=[p.as_json() for p in row.problems],
                    )
                )
            if results is not None:
                results.append(
                    RowResult(
                        row_number=row.row_number,
                        status=state[0],
                        person_id=state[1],
                        stay_id=state[2],
                        problems=row.problems,
                    )
                )
        if keep:
            ImportRow.objects.bulk_create(keep, batch_size=1000)
