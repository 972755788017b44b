"""The suppression rule on hand-made tables: small counts withheld, and none can be worked out from a total."""

import random

from liuguan.insight.opendata import suppress


def recoverable(values, row_totals, column_totals, total) -> list[tuple]:
    """Withheld counts an outsider can work out as a shown total minus the other shown counts of its line."""
    rows, cols = len(values), len(values[0])
    grid = {(i, j): values[i][j] for i in range(rows) for j in range(cols)}
    grid |= {(i, cols): row_totals[i] for i in range(rows)}
    grid |= {(rows, j): column_totals[j] for j in range(cols)}
    grid[(rows, cols)] = total
    lines = [([(i, j) for j in range(cols)], (i, cols)) for i in range(rows)]
    lines += [([(i, j) for i in range(rows)], (rows, j)) for j in range(cols)]
    lines += [([(i, cols) for i in range(rows)], (rows, cols)), ([(rows, j) for j in range(cols)], (rows, cols))]
    found = []
    for members, line_total in lines:
        hidden = [m for m in members if grid[m] is None]
        if grid[line_total] is not None and len(hidden) == 1:
            found.append(hidden[0])
    return found


def test_nothing_is_withheld_when_every_count_reaches_k():
    values, row_totals, column_totals, total, withheld = suppress([[12, 30], [15, 0]], 10)
    assert values == [[12, 30], [15, 0]]
    assert row_totals == [42, 15] and column_totals == [27, 30] and total == 57
    assert withheld == 0


def test_a_small_count_in_a_column_takes_the_next_smallest_with_it():
    # given: reasons of 40 people, 3 of them came for medical treatment; k = 10
    values, row_totals, column_totals, total, withheld = suppress([[25], [12], [3]], 10)
    # then: the 3 is withheld, and the 12 too (else 40 - 25 - 12 = 3); the total is shown
    assert values == [[25], [None], [None]]
    assert row_totals == [25, None, None]
    assert total == 40 and withheld == 2


def test_two_small_counts_that_together_stay_below_k_take_a_third():
    # 2 + 3 = 5 < 10: withholding only those two would still say "five people between them"
    values, _rows, _cols, total, withheld = suppress([[30], [2], [3], [11]], 10)
    assert values == [[30], [None], [None], [None]]
    assert total == 46 and withheld == 3


def test_zeros_are_shown_and_never_chosen_as_complements():
    values, _rows, _cols, total, _n = suppress([[0], [4], [20], [0], [33]], 10)
    assert values == [[0], [None], [None], [0], [33]]
    assert total == 57


def test_a_table_below_k_altogether_shows_nothing_but_zeros():
    values, row_totals, column_totals, total, withheld = suppress([[1, 2], [0, 3]], 10)
    assert values == [[None, None], [0, None]]
    assert row_totals == [None, None] and column_totals == [None, None] and total is None
    assert withheld == 3


def test_a_small_cell_of_a_two_way_table_is_protected_in_its_row_and_its_column():
    # men and women by age band; 4 women aged 60+
    table = [[50, 48], [33, 41], [12, 4]]
    values, row_totals, column_totals, total, _n = suppress(table, 10)
    assert values[2][1] is None
    assert not recoverable(values, row_totals, column_totals, total)
    assert total == 188


def test_random_tables_never_leave_a_withheld_count_recoverable_from_one_line():
    rng = random.Random(11)
    for _ in range(300):
        rows, cols, k = rng.randint(1, 8), rng.randint(1, 4), rng.choice([3, 5, 10, 20])
        table = [[rng.choice([0, 0, 1, 2, 5, 9, 11, 25, 80]) for _c in range(cols)] for _r in range(rows)]
        values, row_totals, column_totals, total, _n = suppress(table, k)
        shown = [n for row in values for n in row if n is not None] + [
            n for n in (*row_totals, *column_totals, total) if n is not None
        ]
        assert all(n == 0 or n >= k for n in shown), (table, k, values)
        assert not recoverable(values, row_totals, column_totals, total), (table, k, values)
        # what is shown is the truth
        for i in range(rows):
            for j in range(cols):
                assert values[i][j] in (None, table[i][j])
