"""Document numbers, credit codes and phones that pass the real validators, unique by construction.

Citizen IDs: the three sequence digits are the person's block (two digits: the person's index scaled
to 0-99) and one digit of which the parity is the sex. Two people in different blocks can therefore
never share a number, so only the numbers of the current block (N/100 people) need remembering, and
mistyped duplicates are kept inside their original's block so that they too are checked against it.
"""

import datetime as dt
import random

from liuguan.core.identity import CREDIT_CODE_ALPHABET, EARLIEST_BIRTH_DATE, credit_code_check, mod11_2_check

from .draw import below, between, one_of
from .reference import MOBILE_PREFIXES

# Positions a typo may hit: not the province (a real one is required), not the block digits (15-16 in
# 1-based terms, which would move the number into another block), not the check digit.
_TYPO_POSITIONS = (*range(2, 14), 16)
_HMT_TYPO_POSITIONS = (*range(6, 14), 16)


class CitizenNumbers:
    """Issues GB 11643 numbers that never repeat within a run, remembering only the current block."""

    def __init__(self, persons: int, *, latest_birth: dt.date):
        self.persons = max(persons, 1)
        self.latest_birth = latest_birth
        self.block = -1
        self.used: set[str] = set()

    def _block_for(self, index: int) -> int:
        if not 0 <= index < self.persons:
            raise ValueError(f"person index {index} outside 0..{self.persons - 1}")
        block = index * 100 // self.persons
        if block != self.block:
            self.block = block
            self.used.clear()
        return block

    def issue(self, rng: random.Random, *, index: int, area: str, birth: dt.date, sex: str) -> tuple[str, dt.date]:
        """A valid number for the person; the birth date moves by a day only if all five slots are taken."""
        block = self._block_for(index)
        parity = 1 if sex == "M" else 0
        while True:
            start = below(rng, 5)
            stem = f"{area}{birth:%Y%m%d}{block:02d}"
            for step in range(5):
                body = f"{stem}{2 * ((start + step) % 5) + parity}"
                if body not in self.used:
                    self.used.add(body)
                    return body + mod11_2_check(body), birth
            birth -= dt.timedelta(days=1)

    def mistype(self, rng: random.Random, *, index: int, number: str, recompute: bool, hmt: bool = False) -> dict:
        """One wrong digit or two swapped neighbours, still a real date, never another person's number."""
        self._block_for(index)
        body = number[:17]
        positions = _HMT_TYPO_POSITIONS if hmt else _TYPO_POSITIONS
        while True:
            if rng.random() < 0.5:
                change, pos = "digit", one_of(rng, positions)
                digit = one_of(rng, [d for d in "0123456789" if d != body[pos]])
                candidate = body[:pos] + digit + body[pos + 1 :]
            else:
                change, pos = "transposition", one_of(rng, positions[:-2])
                if body[pos] == body[pos + 1]:
                    continue
                candidate = body[:pos] + body[pos + 1] + body[pos] + body[pos + 2 :]
            birth = birth_of(candidate)
            if birth is None or not EARLIEST_BIRTH_DATE <= birth <= self.latest_birth or candidate in self.used:
                continue
            self.used.add(candidate)
            check = mod11_2_check(candidate)
            final = check if recompute else number[17]
            return {
                "number": candidate + final,
                "change": change,
                "position": pos + 1,
                "check_recomputed": recompute,
                "check_valid": final == check,
                "birth_date": birth,
                "sex": "M" if int(candidate[16]) % 2 else "F",
            }


def birth_of(body: str) -> dt.date | None:
    """The date in characters 7-14, or None when those digits are not a date."""
    try:
        return dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return None


def foreign_pr_number(*, index: int, alpha3: str, numeric: str, birth: dt.date, form: str) -> str:
    """2023 card: 9, country number, issuing province, birth year, index, MOD 11-2; 2017 card: letters + 12 digits."""
    if form == "2017":
        return f"{alpha3}51{index:010d}"
    body = f"9{numeric}51{birth:%y}{index:09d}"
    return body + mod11_2_check(body)


def passport_number(*, index: int, prefix: str) -> str:
    """The country's letters and the person's index: unique within a run, and 5-20 letters and digits."""
    return f"{prefix}{index:08d}"


# A multiplier coprime with 31 spreads consecutive counters over the whole space, as real codes look.
_ORG_SPACE = 31**6
_ORG_STRIDE = 104729
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_VALUES = {ch: int(ch, 36) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _org_check(body: str) -> str:
    # GB 11714 check of the 8-character organisation code inside the credit code.
    remainder = 11 - sum(_ORG_VALUES[ch] * w for ch, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def credit_code(*, counter: int, county: str, small_business: bool, salt: int = 0) -> str:
    """GB 32100: 9 (market regulation), 1 company or 2 individual business, county, MA + 6, two checks."""
    value = (counter * _ORG_STRIDE + salt) % _ORG_SPACE
    chars = []
    for _ in range(6):
        value, digit = divmod(value, 31)
        chars.append(CREDIT_CODE_ALPHABET[digit])
    org = "MA" + "".join(reversed(chars))
    body = f"9{'2' if small_business else '1'}{county}{org}{_org_check(org)}"
    return body + credit_code_check(body)


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number on a real carrier prefix."""
    return one_of(rng, MOBILE_PREFIXES) + f"{below(rng, 10**8):08d}"


def swap_digits(rng: random.Random, phone: str) -> str:
    """Two neighbouring digits swapped (a keying error); the prefix stays, the digits must differ."""
    for _ in range(20):
        pos = between(rng, 3, 9)
        if phone[pos] != phone[pos + 1]:
            return phone[:pos] + phone[pos + 1] + phone[pos] + phone[pos + 2 :]
    return phone[:10] + str((int(phone[10]) + 1) % 10)
