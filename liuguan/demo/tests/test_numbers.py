import datetime as dt
import random

import pytest

from liuguan.core.identity import DocumentError, parse_citizen_id, validate_credit_code
from liuguan.demo.numbers import CitizenNumbers, credit_code


def test_citizen_numbers_never_repeat_even_when_everyone_shares_birthday_and_county():
    numbers = CitizenNumbers(1000, latest_birth=dt.date(2026, 1, 1))
    rng = random.Random(1)
    issued = [numbers.issue(rng, index=i, area="513431", birth=dt.date(1990, 5, 1), sex="M") for i in range(1000)]
    assert len({number for number, _birth in issued}) == 1000
    for number, birth in issued:
        citizen = parse_citizen_id(number)
        assert (citizen.birth_date, citizen.sex) == (birth, "M")


def test_mistyped_numbers_stay_real_dates_and_never_hit_another_persons_number():
    numbers = CitizenNumbers(200, latest_birth=dt.date(2026, 1, 1))
    rng = random.Random(2)
    real = [numbers.issue(rng, index=i, area="510107", birth=dt.date(1985, 3, 9), sex="F")[0] for i in range(200)]
    for i, number in enumerate(real):
        typo = numbers.mistype(rng, index=i, number=number, recompute=i % 2 == 0)
        assert typo["number"] not in real and typo["number"] != number
        if typo["check_valid"]:
            assert parse_citizen_id(typo["number"]).birth_date == typo["birth_date"]
        else:
            with pytest.raises(DocumentError) as error:
                parse_citizen_id(typo["number"])
            assert error.value.rule == "gb11643.check_digit"


def test_credit_codes_pass_gb32100_and_carry_the_county():
    codes = [credit_code(counter=n, county="510107", small_business=n % 3 == 0, salt=99) for n in range(1, 3000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert validate_credit_code(code) == code
        assert code[2:8] == "510107" and code[:2] in ("91", "92")
