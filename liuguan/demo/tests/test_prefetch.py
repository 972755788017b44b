import threading

import pytest

from liuguan.demo.prefetch import prefetch


def test_prefetch_yields_everything_in_order_from_another_thread():
    threads = []

    def numbers():
        for n in range(50):
            threads.append(threading.current_thread())
            yield n

    assert list(prefetch(numbers())) == list(range(50))
    assert all(t is not threading.main_thread() for t in threads)


def test_prefetch_raises_the_producers_error_to_the_consumer():
    def failing():
        yield 1
        raise ValueError("bad chunk")

    seen = []
    with pytest.raises(ValueError, match="bad chunk"):
        for item in prefetch(failing()):
            seen.append(item)
    assert seen == [1]


def test_prefetch_stops_the_producer_when_the_consumer_stops():
    made = []

    def endless():
        n = 0
        while True:
            made.append(n)
            yield n
            n += 1

    items = prefetch(endless(), depth=1)
    assert next(items) == 0
    items.close()
    # One item handed over, at most one waiting in the queue and one being made when it stopped.
    assert len(made) <= 3
