"""One row at a time, with the registry's own checks: cells are read (cells.py), then person_check and stay_check
judge them exactly as they judge a form or an API call. Nothing here touches the database.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from liuguan.core.errors import InvalidInput
from liuguan.core.identity import DocumentError, parse_document
from liuguan.registry.codes import SourceChannel
from liuguan.registry.services import PersonInput, ScopedCommunities, StayInput, person_check, stay_check

from . import cells
from .cells import CellError, CommunityNames

ERROR = "error"
WARNING = "warning"
# The plain string: rows travel between processes, and an enum member pickles as a class look-up.
IMPORT_CHANNEL = SourceChannel.IMPORT.value


@dataclass(slots=True)
class RowProblem:
    """One broken rule (or warning) in one row: the file's column index when the field is a column."""

    column: int | None
    field: str
    rule: str
    message: str
    level: str = ERROR

    def as_json(self) -> dict:
        return {
            "column": self.column,
            "field": self.field,
            "rule": self.rule,
            "message": self.message,
            "level": self.level,
        }


@dataclass(slots=True)
class CheckedRow:
    """A row after validation: the normalised person and stay, or the problems that reject it."""

    row_number: int
    cells: tuple | list
    person: dict | None = None
    stay: dict | None = None
    community_code: str = ""
    problems: list[RowProblem] = field(default_factory=list)
    # (document type, number as registered) when the number itself is valid: the key of the in-file check.
    document: tuple[str, str] | None = None
    # For PostgreSQL, a validation worker renders a valid row's values in COPY's text format (all but the ids,
    # the stay's lateness and its source reference); `person` and `stay` then hold only what the writer looks at.
    person_copy: str | None = None
    stay_copy: str | None = None

    @property
    def rejected(self) -> bool:
        return any(p.level == ERROR for p in self.problems)

    @property
    def has_warnings(self) -> bool:
        return any(p.level == WARNING for p in self.problems)


class SeenDocuments:
    """Document numbers met earlier in the file, as 64-bit hashes with their first row (about 100 bytes each)."""

    def __init__(self):
        self.rows: dict[int, int] = {}

    def first_row(self, doc_type: str, number: str, row_number: int) -> int | None:
        """The earlier row with this document, or None after remembering this row as the first."""
        key = hash((doc_type, number))
        first = self.rows.get(key)
        if first is None:
            self.rows[key] = row_number
        return first


def document_key(doc_type: str, raw_number: str) -> str | None:
    """The number as the registry stores it (15-digit IDs converted), or None when it is not valid."""
    try:
        return parse_document(doc_type, raw_number).number
    except (DocumentError, KeyError, ValueError):
        return None


class RowValidator:
    """Validates rows for one actor: their jurisdiction's communities are read once, up front."""

    def __init__(self, *, actor, positions: dict[str, int] | None = None, names: CommunityNames | None = None):
        self.actor = actor
        self.positions = positions or {}
        self.communities = ScopedCommunities(actor).preload()
        self.names = names
        self.seen = SeenDocuments()
        self._readers = [(name, self.positions[name], reader) for name, reader in _READERS if name in self.positions]

    def restart(self) -> None:
        """Forget the document numbers seen, for another pass over the same rows."""
        self.seen = SeenDocuments()

    def check_cells(self, row_number: int, row: tuple | list) -> CheckedRow:
        """Read a sheet row's cells into the registry's inputs, then check them."""
        values = {}
        problems: list[RowProblem] = []
        width = len(row)
        for name, index, reader in self._readers:
            raw = row[index] if index < width else None
            try:
                values[name] = reader(raw, self)
            except CellError as exc:
                problems.append(RowProblem(index, name, exc.rule, str(exc.message)))
        person = PersonInput(
            doc_type=values.get("doc_type") or "citizen_id",
            doc_number=values.get("doc_number", ""),
            name=values.get("name", ""),
            sex=values.get("sex", ""),
            birth_date=values.get("birth_date"),
            ethnicity=values.get("ethnicity") or "01",
            nationality=values.get("nationality") or "CHN",
            hukou_address=values.get("hukou_address", ""),
            phone=values.get("phone", ""),
            education=values.get("education", ""),
            marital_status=values.get("marital_status", ""),
        )
        stay = StayInput(
            community_code=values.get("community_code", ""),
            arrived_on=values.get("arrived_on"),
            reason=values.get("reason", ""),
            address=values.get("address", ""),
            source_channel=IMPORT_CHANNEL,
        )
        return self.check(row_number, row, person, stay, problems)

    def check(
        self,
        row_number: int,
        row,
        person: PersonInput,
        stay: StayInput,
        problems: list[RowProblem] | None = None,
    ) -> CheckedRow:
        """person_check and stay_check, exactly as a form or API call is checked; nothing shared is touched."""
        problems = problems or []
        unreadable = {p.field for p in problems}
        checked = CheckedRow(row_number=row_number, cells=row, problems=problems)
        person_values = None
        try:
            result = person_check(person)
            person_values = result.values
            for warning in result.warnings:
                problems.append(self._problem("doc_number", "document.warning", warning, WARNING))
        except InvalidInput as exc:
            problems.extend(
                self._problem(p.field, p.rule, p.message) for p in exc.problems if p.field not in unreadable
            )
        birth = person_values.get("birth_date") if person_values else person.birth_date
        try:
            stay_values, community = stay_check(
                stay, actor=self.actor, person_birth_date=birth, communities=self.communities
            )
            checked.stay = stay_values
            checked.community_code = community.code
        except InvalidInput as exc:
            problems.extend(
                self._problem(p.field, p.rule, p.message) for p in exc.problems if p.field not in unreadable
            )
        number = person_values["doc_number"] if person_values else None
        if number is None and "doc_number" not in unreadable and not any(p.field == "doc_number" for p in problems):
            number = document_key(person.doc_type, person.doc_number)
        if number is not None:
            checked.document = (person.doc_type, number)
        checked.person = person_values
        return checked

    def check_chunk(self, rows: list[tuple[int, tuple | list]]) -> list[CheckedRow]:
        """check_cells over (row number, cells) pairs; what a worker process runs."""
        return [self.check_cells(number, cells) for number, cells in rows]

    def mark_repeats(self, rows: list[CheckedRow]) -> None:
        """The file's own rule, in file order: a document number appears once; later rows with it are rejected."""
        for row in rows:
            if row.document is None:
                continue
            first = self.seen.first_row(*row.document, row.row_number)
            if first is not None:
                row.problems.append(
                    self._problem(
                        "doc_number",
                        "import.duplicate_in_file",
                        _("The same document number is already on row %(row)d of this file") % {"row": first},
                    )
                )

    def remember(self, row: tuple | list, row_number: int) -> None:
        """For a resumed run: note a row done earlier, so a repeat of its number later is still caught."""
        doc_type_at = self.positions.get("doc_type")
        at = self.positions["doc_number"]
        try:
            doc_type = cells.choice(row[doc_type_at], cells.DOC_TYPES) if doc_type_at is not None else ""
            raw = cells.document_number(row[at]) if at < len(row) else ""
        except (CellError, IndexError):
            return
        doc_type = doc_type or "citizen_id"
        number = document_key(doc_type, raw)
        if number is not None:
            self.seen.first_row(doc_type, number, row_number)

    def _problem(self, name: str, rule: str, message, level: str = ERROR) -> RowProblem:
        return RowProblem(self.positions.get(name), name, rule, str(message), level)


def _read_date(raw, _validator) -> dt.date | None:
    return cells.date(raw)


_READERS = (
    ("doc_type", lambda raw, v: cells.choice(raw, cells.DOC_TYPES, default="citizen_id")),
    ("doc_number", lambda raw, v: cells.document_number(raw)),
    ("name", lambda raw, v: cells.text(raw)),
    ("sex", lambda raw, v: cells.choice(raw, cells.SEXES)),
    ("birth_date", _read_date),
    ("ethnicity", lambda raw, v: cells.ethnicity(raw)),
    ("nationality", lambda raw, v: cells.choice(raw, cells.NATIONALITIES, default="CHN")),
    ("hukou_address", lambda raw, v: cells.text(raw)),
    ("phone", lambda raw, v: cells.phone(raw)),
    ("education", lambda raw, v: cells.choice(raw, cells.EDUCATION)),
    ("marital_status", lambda raw, v: cells.choice(raw, cells.MARITAL)),
    ("community_code", lambda raw, v: cells.community(raw, v.names)),
    ("address", lambda raw, v: cells.text(raw)),
    ("arrived_on", _read_date),
    ("reason", lambda raw, v: cells.choice(raw, cells.REASONS)),
)
