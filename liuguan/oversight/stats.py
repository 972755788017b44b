"""The arithmetic of data quality: proportions with intervals, stratified estimates, capture-recapture.

Plain functions over counts, no database: each is tested on hand-made cases and on worked examples from
the literature (see tests/test_stats.py for the citations).
"""

import math
from dataclasses import dataclass, field

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error and a two-sided interval; `notes` say why to distrust it."""

    value: float | None
    se: float | None = None
    low: float | None = None
    high: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def contains(self, truth: float) -> bool:
        return self.low is not None and self.high is not None and self.low <= truth <= self.high


def wilson(k: int, n: int, z: float = Z95) -> Estimate:
    """A proportion k/n with Wilson's score interval, which stays inside [0, 1] and behaves at k = 0 or k = n."""
    if n <= 0:
        return Estimate(None, notes=("no_sample",))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    notes = ("small_sample",) if n < 30 else ()
    # At k = 0 (or k = n) the score interval's end is exactly 0 (or 1); rounding must not move it off.
    low = 0.0 if k == 0 else max(0.0, centre - half)
    high = 1.0 if k == n else min(1.0, centre + half)
    return Estimate(p, math.sqrt(p * (1 - p) / n), low, high, notes)


@dataclass(frozen=True)
class Stratum:
    """One stratum of a stratified sample: `size` records in all, `sampled` of them checked, `hits` found wrong."""

    size: int
    sampled: int
    hits: int


def stratified_proportion(strata: list[Stratum], z: float = Z95) -> Estimate:
    """The share of wrong records over all strata, each weighted by its size (Cochran 1977, §5.2 and §5A.2).

    Strata with no checked record say nothing about themselves: the estimate covers the checked strata and
    a note tells how much of the population that is. The variance uses the finite population correction;
    a stratum of one checked record contributes no variance term, so its note is raised.
    """
    checked = [s for s in strata if s.sampled > 0 and s.size > 0]
    total = sum(s.size for s in strata if s.size > 0)
    covered = sum(s.size for s in checked)
    if not checked or covered == 0:
        return Estimate(None, notes=("no_sample",))
    p = 0.0
    variance = 0.0
    notes = []
    for s in checked:
        w = s.size / covered
        ph = s.hits / s.sampled
        p += w * ph
        if s.sampled > 1:
            fpc = max(0.0, 1 - s.sampled / s.size)
            variance += w * w * fpc * ph * (1 - ph) / (s.sampled - 1)
        elif s.size > 1:
            notes.append("single_check_strata")
    sampled = sum(s.sampled for s in checked)
    hits = sum(s.hits for s in checked)
    se = math.sqrt(variance)
    if hits == 0 or hits == sampled or se == 0:
        # The normal interval collapses to a point when nothing (or everything) was wrong: use Wilson on the pool.
        pooled = wilson(hits, sampled, z)
        low, high = pooled.low, pooled.high
    else:
        low, high = max(0.0, p - z * se), min(1.0, p + z * se)
    if covered < total:
        notes.append("strata_unchecked")
    if sampled < 30:
        notes.append("small_sample")
    return Estimate(p, se, low, high, tuple(dict.fromkeys(notes)))


def chapman(n1: int, n2: int, m: int, z: float = Z95) -> Estimate:
    """Population size from two lists: Chapman's estimator (1951), Seber's variance (1970), Chao's interval (1987).

    n1 and n2 are the people on each list, m those on both. The interval is the log-normal one of Chao,
    which never falls below the number of people actually seen (n1 + n2 - m) and is asymmetric as the
    estimator's distribution is. Notes flag what makes the figure weak: few matches (m < 7 leaves the
    estimator noticeably biased, Robson and Regier 1964), or lists too small for the usual approximation.
    """
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError("need 0 <= m <= min(n1, n2)")
    seen = n1 + n2 - m
    if n1 == 0 or n2 == 0:
        return Estimate(None, notes=("list_empty",))
    n_hat = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    variance = (n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2))
    se = math.sqrt(variance)
    notes = []
    if m == 0:
        notes.append("no_overlap")
    elif m < 7:
        notes.append("few_matches")
    if n1 * n2 < 4 * max(n_hat, 1):
        notes.append("lists_small")
    unseen = n_hat - seen
    if unseen <= 0 or variance == 0:
        # One list holds the other (m = n1 or m = n2): Seber's variance is 0, yet nobody knows that no one was
        # missed, and the log-normal interval would shrink to a point. The upper limit inverts the hypergeometric
        # instead (Seber 1982, 3.1.2): the largest N under which every match is still reasonably likely.
        notes.append("list_inside_other")
        return Estimate(n_hat, se, float(seen), all_matched_upper(n1, n2, z=z), tuple(notes))
    c = math.exp(z * math.sqrt(math.log(1 + variance / (unseen * unseen))))
    return Estimate(n_hat, se, seen + unseen / c, seen + unseen * c, tuple(notes))


def all_matched_upper(n1: float, n2: float, z: float = Z95) -> float:
    """Upper confidence limit of N when every person of the shorter list is on the longer one (m = min(n1, n2)):
    the N at which that outcome has probability alpha/2 under the hypergeometric, P = C(K, k) / C(N, k) for
    k = min(n1, n2), K = max(n1, n2); it falls as N grows. Counts may be fractional (effective sizes).
    """
    k, big = min(n1, n2), max(n1, n2)
    if k <= 0:
        return math.inf
    alpha = math.erfc(z / math.sqrt(2))  # two-sided level of z

    def log_p(n: float) -> float:
        return math.lgamma(big + 1) - math.lgamma(big - k + 1) - math.lgamma(n + 1) + math.lgamma(n - k + 1)

    target = math.log(alpha / 2)
    inside, step = float(big), 1.0
    while log_p(inside + step) >= target:
        inside, step = inside + step, step * 2
    outside = inside + step
    while outside - inside > 1e-3:
        middle = (inside + outside) / 2
        if log_p(middle) >= target:
            inside = middle
        else:
            outside = middle
    return inside


def _xlogx(x: float) -> float:
    return x * math.log(x) if x > 0 else 0.0


def _two_list_loglik(n: float, n1: int, n2: int, seen: int) -> float:
    """Log-likelihood of population size n for two independent lists, each list's probability profiled out
    (p_j = n_j / n): log n!/(n - seen)! + sum_j [n_j log n_j + (n - n_j) log(n - n_j) - n log n].
    """
    return (
        math.lgamma(n + 1)
        - math.lgamma(n - seen + 1)
        + _xlogx(n1)
        + _xlogx(n - n1)
        + _xlogx(n2)
        + _xlogx(n - n2)
        - 2 * _xlogx(n)
    )


def profile_interval(n1: int, n2: int, m: int, *, dispersion: float = 1.0, z: float = Z95) -> tuple[float, float]:
    """Population sizes the two lists do not reject: the profile-likelihood interval (Cormack 1992, Biometrics
    48:567-576; Regal and Hook 1984), {N >= seen : 2 (l(N_mle) - l(N)) <= z^2 * dispersion}.

    Unlike the log-normal interval it reaches down to the number seen when the data allow that nobody was
    missed by both lists, and it stays finite when one list holds the other. `dispersion` (>= 1) is the
    quasi-likelihood scale for people who are not caught one by one: a household registered or reported
    together counts for less than its members, and the deviance is divided by the design effect. With no
    person on both lists the likelihood has no maximum: the upper limit is infinite.
    """
    if min(n1, n2, m) < 0 or m > min(n1, n2):
        raise ValueError("need 0 <= m <= min(n1, n2)")
    seen = n1 + n2 - m
    if n1 == 0 or n2 == 0 or m == 0:
        return float(seen), math.inf
    crit = z * z * max(1.0, dispersion)

    def loglik(n: float) -> float:
        return _two_list_loglik(n, n1, n2, seen)

    # The profile is unimodal, with its maximum next to the Petersen estimate n1 n2 / m.
    lo, hi = float(seen), max(float(seen), n1 * n2 / m) * 1.01 + 5
    while hi - lo > 0.01:
        a, b = lo + (hi - lo) / 3, hi - (hi - lo) / 3
        if loglik(a) < loglik(b):
            lo = a
        else:
            hi = b
    mle = (lo + hi) / 2
    top = loglik(mle)

    def rejected(n: float) -> bool:
        return 2 * (top - loglik(n)) > crit

    def boundary(inside: float, outside: float) -> float:
        while abs(outside - inside) > 0.01:
            middle = (inside + outside) / 2
            if rejected(middle):
                outside = middle
            else:
                inside = middle
        return inside

    low = float(seen) if not rejected(float(seen)) else boundary(mle, float(seen))
    step = max(1.0, mle - seen)
    outside = mle + step
    while not rejected(outside):
        step *= 2
        outside = mle + step
    return low, boundary(mle, outside)


def percentile(histogram: dict[int, int], q: float) -> int | None:
    """The q-quantile (0 < q <= 1) of integer values given as {value: count}, by the nearest-rank rule."""
    total = sum(histogram.values())
    if total <= 0:
        return None
    rank = max(1, math.ceil(q * total))
    running = 0
    for value in sorted(histogram):
        running += histogram[value]
        if running >= rank:
            return value
    return max(histogram)
