"""Validating chunks in worker processes, in file order, so a large import uses every core.

Validation is pure CPU (person_check, stay_check, pinyin) and holds the GIL; a thread cannot help, processes
can. Workers are forked after the validator has read the actor's communities, so they share that read and
never open a database connection of their own. They must not use the parent's either: nothing in
validation touches the database, and a forked worker ends with os._exit, so the inherited connection
objects are never closed (closing one would end the parent's session).
"""

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator

from .validate import CheckedRow, RowProblem, RowValidator

# Below this many rows, starting processes costs more than it saves.
MIN_ROWS = 20_000
_validator: RowValidator | None = None


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


def _check(rows: list[tuple[int, tuple | list]]) -> list[tuple]:
    return [_pack(row) for row in _validator.check_chunk(rows)]


def default_processes() -> int:
    """One worker per core but one: the reading process and the database need a core of their own."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _with_cells(chunk, result) -> list[CheckedRow]:
    return [_unpack(packed, cells) for packed, (_number, cells) in zip(result.get(), chunk, strict=True)]


class ValidationPool:
    """Checks chunks of (row number, cells) in `processes` forked workers; results come back in order."""

    def __init__(self, validator: RowValidator, processes: int):
        global _validator
        self.processes = processes
        _validator = validator
        try:
            self.pool = multiprocessing.get_context("fork").Pool(processes)
        finally:
            _validator = None

    def map(self, chunks: Iterable[list[tuple[int, tuple | list]]]) -> Iterator[list[CheckedRow]]:
        # A few chunks in flight keep the workers busy; more would only hold memory.
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, self.pool.apply_async(_check, (chunk,))))
            if len(pending) > self.processes:
                yield _with_cells(*pending.popleft())
        while pending:
            yield _with_cells(*pending.popleft())

    def close(self) -> None:
        self.pool.terminate()
        self.pool.join()

    def __enter__(self) -> "ValidationPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
