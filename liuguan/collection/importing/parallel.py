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

from .validate import CheckedRow, RowValidator

# Below this many rows, starting processes costs more than it saves.
MIN_ROWS = 20_000
_validator: RowValidator | None = None


def _check(rows: list[tuple[int, tuple | list]]) -> list[CheckedRow]:
    checked = _validator.check_chunk(rows)
    for row in checked:
        row.cells = None  # the parent still has them; not sending them back saves a third of the pickling
    return checked


def default_processes() -> int:
    """One worker per core but one: the reading process and the database need a core of their own."""
    return max(1, min(4, (os.cpu_count() or 1) - 1))


def _with_cells(chunk, result) -> list[CheckedRow]:
    checked = result.get()
    for row, (_number, cells) in zip(checked, chunk, strict=True):
        row.cells = cells
    return checked


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
