"""Capture-recapture arithmetic (stats.chapman, stats.profile_interval) against the literature and hand cases."""

import math

import pytest

from liuguan.oversight.stats import Z95, all_matched_upper, chapman, profile_interval


def test_chapman_on_the_oregon_rabbits_of_skalski_et_al():
    """Skalski, Simmons and Robson (1983), as worked in Williams, Nichols and Conroy (2002), "Analysis and
    Management of Animal Populations", section on the Lincoln-Petersen model (and in M. J. Conroy's WILD 8390
    course notes, "Lincoln-Petersen model"): 87 rabbits (Sylvilagus nuttallii) dyed with picric acid, a drive
    count of 14 of which 7 were dyed. Published: the bias-corrected (Chapman) estimate 164 and the approximate
    95% interval 93.8 to 234.2, that is 164 +/- 1.96 SE with Seber's SE = 35.8.

    Chao's (1987) log-normal interval, which chapman() returns, by hand from the same numbers:
      seen = 87 + 14 - 7 = 94, unseen f0 = 164 - 94 = 70, Var = 88*15*80*7 / (8**2 * 9) = 739200/576 = 1283.33
      var/f0**2 = 0.261905, ln(1.261905) = 0.232623, sqrt = 0.482310, x 1.959964 = 0.945311, C = e**0.945311 = 2.57362
      low = 94 + 70/2.57362 = 121.199, high = 94 + 70*2.57362 = 274.153.
    """
    e = chapman(87, 14, 7)
    assert e.value == pytest.approx(164.0)
    assert e.se == pytest.approx(35.8, abs=0.05)
    assert e.value - Z95 * e.se == pytest.approx(93.8, abs=0.05)
    assert e.value + Z95 * e.se == pytest.approx(234.2, abs=0.05)
    assert e.low == pytest.approx(121.199, abs=0.005)
    assert e.high == pytest.approx(274.153, abs=0.005)
    assert e.notes == ()  # 7 matches: just enough (Robson and Regier 1964)


def test_chapman_matches_the_care1_reference_formula_of_chao():
    """CARE1 (Chao's R package, R/Sub.pair.R): ChpN, SEN, and ChpN.L/U = M12 + (ChpN - M12) / C and * C."""
    n1, n2, m = 135, 122, 49
    seen = n1 + n2 - m
    chp = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    var = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    c = math.exp(Z95 * math.sqrt(math.log(1 + var / (chp - seen) ** 2)))
    e = chapman(n1, n2, m)
    assert (e.value, e.se) == (pytest.approx(chp), pytest.approx(math.sqrt(var)))
    assert (e.low, e.high) == (pytest.approx(seen + (chp - seen) / c), pytest.approx(seen + (chp - seen) * c))
    assert e.low > seen  # the log-normal interval never reaches the number seen


def test_notes_say_when_the_lists_are_too_thin():
    assert "few_matches" in chapman(20, 20, 3).notes
    assert "no_overlap" in chapman(20, 20, 0).notes
    assert chapman(0, 5, 0).value is None and chapman(0, 5, 0).notes == ("list_empty",)
    with pytest.raises(ValueError):
        chapman(3, 4, 5)


def test_one_list_inside_the_other_is_not_a_certainty():
    """m = n2: Seber's variance is 0, but the population may still be larger than the longer list. The upper limit
    is the N at which every one of the 18 being among the 22 has probability 2.5% (hypergeometric, Seber 1982)."""
    e = chapman(22, 18, 18)
    assert e.value == 22 and e.se == 0 and e.low == 22
    assert "list_inside_other" in e.notes
    # C(22, 18) / C(N, 18) = 0.054 at N = 24 and 0.015 at N = 25: the limit lies between.
    assert 24 < e.high < 25
    p = math.exp(math.lgamma(23) - math.lgamma(5) - math.lgamma(e.high + 1) + math.lgamma(e.high - 17))
    assert p == pytest.approx(0.025, rel=0.01)
    assert all_matched_upper(10, 10) > all_matched_upper(100, 100) - 90


def test_profile_interval_reaches_the_number_seen_when_nobody_need_be_missed():
    # 49 and 47 on the lists, 45 on both: 51 seen, Chapman 51.2; nobody missed by both is well within the data.
    low, high = profile_interval(49, 47, 45)
    assert low == 51 and high > 52
    assert chapman(49, 47, 45).low > 51  # which the log-normal interval cannot say
    # The rabbits: the profile interval, like Chao's, is skewed to the right of the estimate.
    low, high = profile_interval(87, 14, 7)
    assert 94 < low < 164 < high and high - 164 > 164 - low


def test_profile_interval_agrees_with_the_normal_theory_on_large_lists():
    e = chapman(68772, 68665, 62022)
    low, high = profile_interval(68772, 68665, 62022)
    assert low == pytest.approx(e.low, rel=2e-4) and high == pytest.approx(e.high, rel=2e-4)


def test_design_effect_widens_the_profile_interval():
    narrow = profile_interval(500, 480, 430)
    wide = profile_interval(500, 480, 430, dispersion=2.0)
    assert wide[0] <= narrow[0] and wide[1] > narrow[1]
    # A deviance halved reaches as far as sqrt(2) standard errors would: roughly 1.41 times the half-width above.
    centre = 500 * 480 / 430
    assert (wide[1] - centre) / (narrow[1] - centre) == pytest.approx(math.sqrt(2), rel=0.1)
    assert profile_interval(5, 5, 0)[1] == math.inf
