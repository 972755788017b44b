"""liuguan.oversight.stats against published values and hand arithmetic (capture-recapture is tested with omission)."""

import math

import pytest

from liuguan.oversight.stats import Estimate, Stratum, percentile, stratified_proportion, wilson


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Newcombe RG (1998), Two-sided confidence intervals for the single proportion: comparison of seven
        # methods, Statistics in Medicine 17:857-872, Table I, method 3 (Wilson's score interval, no correction).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
        (29, 29, 0.8830, 1.0000),
    ],
)
def test_wilson_matches_newcombe(k, n, low, high):
    estimate = wilson(k, n)
    assert estimate.value == pytest.approx(k / n)
    assert round(estimate.low, 4) == low and round(estimate.high, 4) == high
    assert estimate.contains(k / n)


def test_wilson_small_and_empty_samples_say_so():
    assert wilson(1, 29).notes == ("small_sample",)
    assert wilson(81, 263).notes == ()
    empty = wilson(0, 0)
    assert empty.value is None and empty.notes == ("no_sample",) and not empty.contains(0.0)


def test_stratified_proportion_by_hand():
    # Stratum A: 100 records, 10 checked, 2 wrong; stratum B: 300 records, 10 checked, 1 wrong.
    # Weights 1/4 and 3/4: p = 0.25 * 0.2 + 0.75 * 0.1 = 0.125.
    # Var = 0.25² (1 - 10/100) 0.2·0.8/9 + 0.75² (1 - 10/300) 0.1·0.9/9 = 0.001 + 0.0054375.
    estimate = stratified_proportion([Stratum(100, 10, 2), Stratum(300, 10, 1)])
    assert estimate.value == pytest.approx(0.125)
    assert estimate.se == pytest.approx(math.sqrt(0.0064375))
    assert estimate.low == 0.0  # 0.125 - 1.96 x 0.0802 is below zero, and a share is not
    assert estimate.high == pytest.approx(0.125 + 1.959963984540054 * math.sqrt(0.0064375))
    assert estimate.notes == ("small_sample",)


def test_stratified_proportion_differs_from_the_pooled_share():
    # Pooled, 3 of 20 are wrong (15%); weighted by the records behind them, 12.5%.
    strata = [Stratum(100, 10, 2), Stratum(300, 10, 1)]
    assert stratified_proportion(strata).value != pytest.approx(3 / 20)


def test_unchecked_and_single_check_strata_are_noted():
    estimate = stratified_proportion([Stratum(100, 10, 2), Stratum(300, 10, 1), Stratum(50, 0, 0)])
    # The unchecked stratum says nothing of itself: the estimate covers the checked 400 records.
    assert estimate.value == pytest.approx(0.125)
    assert "strata_unchecked" in estimate.notes
    single = stratified_proportion([Stratum(40, 20, 4), Stratum(5, 1, 1)])
    assert "single_check_strata" in single.notes
    # A census of one record (size 1, checked 1) has no variance to miss: no note.
    assert "single_check_strata" not in stratified_proportion([Stratum(40, 20, 4), Stratum(1, 1, 0)]).notes


def test_stratified_proportion_with_nothing_wrong_uses_wilson_on_the_pool():
    estimate = stratified_proportion([Stratum(100, 15, 0), Stratum(200, 15, 0)])
    pooled = wilson(0, 30)
    assert estimate.value == 0 and (estimate.low, estimate.high) == (pooled.low, pooled.high)
    assert stratified_proportion([Stratum(100, 0, 0)]).value is None


def test_percentile_nearest_rank():
    lags = {0: 1, 1: 1, 2: 1, 3: 1, 5: 1, 8: 1, 13: 1, 21: 1, 40: 1, 90: 1}
    assert percentile(lags, 0.5) == 5  # rank ceil(0.5 x 10) = 5
    assert percentile(lags, 0.9) == 40  # rank 9
    assert percentile(lags, 0.91) == 90  # rank ceil(9.1) = 10
    assert percentile(lags, 1.0) == 90
    assert percentile(lags, 0.01) == 0  # rank 1, never 0
    assert percentile({1: 1, 2: 1, 3: 1, 4: 1}, 0.5) == 2  # an even count takes the lower middle
    assert percentile({100: 1, 0: 9}, 0.9) == 0  # order of the dict does not matter
    assert percentile({3: 0, 7: 2}, 0.5) == 7  # an empty bin is no value
    assert percentile({5: 1}, 0.5) == percentile({5: 1}, 1.0) == 5
    assert percentile({}, 0.5) is None and percentile({4: 0}, 0.5) is None


def test_estimate_contains():
    assert Estimate(0.5, 0.1, 0.3, 0.7).contains(0.3)
    assert not Estimate(0.5, 0.1, 0.3, 0.7).contains(0.71)
    assert not Estimate(0.5).contains(0.5)
