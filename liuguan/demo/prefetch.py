"""Make the next chunk in a thread while the caller writes this one, so Python and PostgreSQL work at once.

Generating a chunk is pure Python; writing it is mostly waiting on the database (COPY, index upkeep,
foreign-key checks at commit), during which psycopg releases the GIL. A queue of `depth` chunks keeps
memory bounded: at most one chunk being written, `depth` waiting and one being made.
"""

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

from django.db import connections

T = TypeVar("T")
_DONE = object()


def prefetch(items: Iterator[T], depth: int = 1) -> Iterator[T]:
    """Yield what `items` yields, computed one step ahead in a thread; its errors are raised here."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for item in items:
                if not put(item):
                    return
            put(_DONE)
        except BaseException as error:
            # Handed to the consumer, which raises it where the caller can see it.
            put(error)
        finally:
            # The thread's own database connection (key reservations use it) must not outlive it.
            connections.close_all()

    worker = threading.Thread(target=work, name="demo-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = ready.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        worker.join()
