"""Validating chunks in worker processes, in file order, so a large import uses every core.

Validation is pure CPU (person_check, stay_check, pinyin) and holds the GIL; a thread cannot help, processes
can. Workers are forked after the validator has read the actor's communities, so they share that read and
never open a database connection of their own. They must not use the parent's either: nothing in
validation touches the database, and a forked worker ends with os._exit, so the inherited connection
objects are never closed (closing one would end the parent's session).
"""

import datetime as dt
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator

from .validate import CheckedRow, RowProblem, RowValidator
from .write import person_copy_text, stay_copy_text

# Below this many rows, starting processes costs more than it saves.
MIN_ROWS = 20_000
_validator: RowValidator | None = None
_render = False


# Checked rows travel back as plain tuples: a dataclass or a dict a row pickles to a class look-up and a key per
# field, and unpickling those in the writing process cost it a quarter of its time. The dicts' keys go once per
# shape (the same tuple object, which pickle sends once per chunk).
_shapes: dict[tuple, tuple] = {}


def _shape(values: dict | None) -> tuple | None:
    if values is None:
        return None
    keys = tuple(values)
    return _shapes.setdefault(keys, keys)


def _pack(row: CheckedRow) -> tuple:
    # The cells stay behind: the parent still has them.
    return (
        row.row_number,
        _shape(row.person),
        tuple(row.person.values()) if row.person is not None else None,
        _shape(row.stay),
        tuple(row.stay.values()) if row.stay is not None else None,
        row.community_code,
        [(p.column, p.field, p.rule, p.message, p.level) for p in row.problems],
        row.document,
    )


def _unpack(packed: tuple, cells) -> CheckedRow:
    number, person_keys, person, stay_keys, stay, community, problems, document = packed
    return CheckedRow(
        row_number=number,
        cells=cells,
        person=dict(zip(person_keys, person, strict=True)) if person is not None else None,
        stay=dict(zip(stay_keys, stay, strict=True)) if stay is not None else None,
        community_code=community,
        problems=[RowProblem(*p) for p in problems],
        document=document,
    )


def _pack_rendered(row: CheckedRow) -> tuple:
    """A valid row for PostgreSQL: what the writer compares and looks up, and the row's COPY text."""
    person, stay = row.person, row.stay
    birth = person.get("birth_date")
    return (
        row.row_number,
        person["doc_type"],
        person["doc_number"],
        person["name"],
        person["name_pinyin"],
        birth.toordinal() if birth else 0,
        stay["arrived_on"].toordinal(),
        row.community_code,
        [(p.column, p.field, p.rule, p.message, p.level) for p in row.problems],
        row.document,
        person_copy_text(person),
        stay_copy_text(row),
    )


def _unpack_rendered(packed: tuple, cells) -> CheckedRow:
    number, doc_type, doc_number, name, pinyin, birth, arrived, community, problems, document, p_copy, s_copy = packed
    return CheckedRow(
        row_number=number,
        cells=cells,
        person={
            "doc_type": doc_type,
            "doc_number": doc_number,
            "name": name,
            "name_pinyin": pinyin,
            "birth_date": dt.date.fromordinal(birth) if birth else None,
        },
        stay={"arrived_on": dt.date.fromordinal(arrived)},
        community_code=community,
        problems=[RowProblem(*p) for p in problems],
        document=document,
        person_copy=p_copy,
        stay_copy=s_copy,
    )


def _check(rows: list[tuple[int, tuple | list]]) -> list[tuple]:
    if not _render:
        return [_pack(row) for row in _validator.check_chunk(rows)]
    return [
        (True, _pack_rendered(row)) if not row.rejected else (False, _pack(row)) for row in _validator.check_chunk(rows)
    ]


def default_processes() -> int:
    """One worker per core but one: the reading process and the database need a core of their own."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _with_cells(chunk, result, rendered: bool) -> list[CheckedRow]:
    if not rendered:
        return [_unpack(packed, cells) for packed, (_number, cells) in zip(result.get(), chunk, strict=True)]
    return [
        _unpack_rendered(packed, cells) if ok else _unpack(packed, cells)
        for (ok, packed), (_number, cells) in zip(result.get(), chunk, strict=True)
    ]


class ValidationPool:
    """Checks chunks of (row number, cells) in `processes` forked workers; results come back in order."""

    def __init__(self, validator: RowValidator, processes: int, *, render: bool = False):
        """`render`: valid rows come back as COPY text (PostgreSQL), which spares the writing process most of
        its work per row: on two cores the reading process then no longer competes with the worker and the
        database for a core.
        """
        global _validator, _render
        self.processes = processes
        self.render = render
        _validator, _render = validator, render
        try:
            self.pool = multiprocessing.get_context("fork").Pool(processes)
        finally:
            _validator, _render = None, False

    def map(self, chunks: Iterable[list[tuple[int, tuple | list]]]) -> Iterator[list[CheckedRow]]:
        # A few chunks in flight keep the workers busy; more would only hold memory.
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, self.pool.apply_async(_check, (chunk,))))
            if len(pending) > self.processes:
                yield _with_cells(*pending.popleft(), self.render)
        while pending:
            yield _with_cells(*pending.popleft(), self.render)

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()

    def __enter__(self) -> "ValidationPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
