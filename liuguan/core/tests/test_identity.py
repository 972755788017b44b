import datetime as dt
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liuguan.core import identity
from liuguan.core.identity import (
    DocumentError,
    mask_document_number,
    mask_name,
    mask_phone,
    normalize_document_number,
    parse_citizen_id,
    parse_document,
    parse_foreign_pr_id,
    parse_hmt_resident_id,
    parse_passport,
    validate_credit_code,
    validate_mobile,
)

TODAY = dt.date(2024, 6, 30)
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


# The checks are written out again from the standards' text, so the tests do not trust the module's tables.
def mod11_2(body: str) -> str:
    """ISO 7064 MOD 11-2: position i of 18 weighs 2**(18 - i) mod 11; the check is (12 - S mod 11) mod 11."""
    total = sum(int(digit) * pow(2, 17 - index, 11) for index, digit in enumerate(body))
    check = (12 - total % 11) % 11
    return "X" if check == 10 else str(check)


def gb32100_check(body: str) -> str:
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(body, weights, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def citizen_number(area: str, birth: dt.date, sequence: int) -> str:
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + mod11_2(body)


def rule_of(call, *args, **kwargs) -> str:
    with pytest.raises(DocumentError) as caught:
        call(*args, **kwargs)
    return caught.value.rule


AREA_CODES = sorted(identity.KNOWN_AREA_CODES)
valid_citizens = st.builds(
    lambda area, birth, sequence: (area, birth, sequence, citizen_number(area, birth, sequence)),
    st.sampled_from(AREA_CODES),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
)


# -- citizen ID, GB 11643-1999


@pytest.mark.parametrize(
    ("number", "area", "birth", "sex"),
    [
        ("11010519491231002X", "110105", dt.date(1949, 12, 31), "F"),
        ("440524188001010014", "440524", dt.date(1880, 1, 1), "M"),
    ],
)
def test_the_standards_own_examples_pass(number, area, birth, sex):
    citizen = parse_citizen_id(number, today=TODAY)

    assert (citizen.number, citizen.area_code, citizen.birth_date, citizen.sex) == (number, area, birth, sex)


def test_the_independent_check_agrees_with_the_standards_worked_sums():
    assert mod11_2("11010519491231002") == "X"
    assert mod11_2("44052418800101001") == "4"


@given(valid_citizens)
def test_a_valid_number_parses_to_what_it_was_built_from(case):
    area, birth, sequence, number = case

    citizen = parse_citizen_id(number, today=TODAY)

    assert citizen.number == number
    assert citizen.area_code == area
    assert citizen.birth_date == birth
    assert citizen.sex == ("M" if sequence % 2 else "F")
    assert citizen.warnings == ()


@given(valid_citizens)
def test_every_single_character_change_is_rejected(case):
    number = case[3]
    for index, original in enumerate(number):
        for replacement in "0123456789X" if index == 17 else "0123456789":
            if replacement == original:
                continue
            corrupted = number[:index] + replacement + number[index + 1 :]

            rule = rule_of(parse_citizen_id, corrupted, today=TODAY)

            if index < 2:
                assert rule in {"gb11643.province", "gb11643.check_digit"}
            elif 6 <= index < 14:
                assert rule.startswith("gb11643.birth_date") or rule == "gb11643.check_digit"
            else:
                # The county digits only warn when unknown, so here the check digit alone catches the typo.
                assert rule == "gb11643.check_digit"


def test_a_wrong_check_digit_names_the_right_one_and_the_standard():
    with pytest.raises(DocumentError) as caught:
        parse_citizen_id("110105194912310023", today=TODAY)

    error = caught.value
    assert (error.rule, error.field) == ("gb11643.check_digit", "doc_number")
    assert error.params == {"expected": "X", "actual": "3"}
    # The English source; under Django settings `message` is in the active language.
    assert (
        error.template % error.params == "Check digit is X but the number ends in 3 (GB 11643-1999, ISO 7064 MOD 11-2)"
    )
    assert str(error) == error.message
    assert "X" in error.message
    assert isinstance(error, ValueError)


def test_the_error_carries_the_callers_field_name():
    with pytest.raises(DocumentError) as caught:
        parse_citizen_id("110105194912310023", field="landlord_id_number")

    assert caught.value.field == "landlord_id_number"


def test_errors_survive_pickling():
    with pytest.raises(DocumentError) as caught:
        parse_citizen_id("110105194912310023", today=TODAY)

    copy = pickle.loads(pickle.dumps(caught.value))  # noqa: S301 (our own bytes)

    assert (copy.field, copy.rule, copy.params, copy.message) == (
        caught.value.field,
        caught.value.rule,
        caught.value.params,
        caught.value.message,
    )


def test_a_15_digit_number_is_converted_and_says_so():
    citizen = parse_citizen_id("110105491231002", today=TODAY)

    assert citizen.number == "11010519491231002X"
    assert citizen.birth_date == dt.date(1949, 12, 31)
    assert "gb11643.converted_from_15" in citizen.warnings


@given(valid_citizens.filter(lambda case: case[1].year < 2000))
def test_any_15_digit_number_converts_to_its_18_digit_form(case):
    area, birth, sequence, number = case
    legacy = f"{area}{birth:%y%m%d}{sequence:03d}"

    assert parse_citizen_id(legacy, today=TODAY).number == number


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "１１０１０５１９４９１２３１００２ｘ",
        " 110105 19491231 002X ",
        "110105-19491231-002X",
    ],
)
def test_full_width_lower_case_spaces_and_hyphens_are_normalised(raw):
    assert parse_citizen_id(raw, today=TODAY).number == "11010519491231002X"


def test_normalize_document_number():
    assert normalize_document_number("ｅ１２３　４５６－７８") == "E12345678"
    assert normalize_document_number("") == ""


@pytest.mark.parametrize(
    ("birth_digits", "rule"),
    [
        ("19491331", "gb11643.birth_date"),  # month 13
        ("19490230", "gb11643.birth_date"),  # 30 February
        ("21000230", "gb11643.birth_date"),  # not a date, and in the future anyway
        ("19000229", "gb11643.birth_date"),  # 1900 was no leap year
        ("21000101", "gb11643.birth_date_future"),
        ("20240701", "gb11643.birth_date_future"),  # the day after TODAY
        ("18491231", "gb11643.birth_date_early"),
    ],
)
def test_impossible_birth_dates_are_rejected_with_the_rule_named(birth_digits, rule):
    body = "510104" + birth_digits + "123"
    number = body + mod11_2(body)

    with pytest.raises(DocumentError) as caught:
        parse_citizen_id(number, today=TODAY)

    assert caught.value.rule == rule
    assert "GB 11643-1999" in caught.value.template


def test_born_today_is_not_the_future():
    assert parse_citizen_id(citizen_number("510104", TODAY, 123), today=TODAY).birth_date == TODAY


def test_an_unknown_but_well_formed_area_code_is_a_warning_not_an_error():
    assert "510199" not in identity.KNOWN_AREA_CODES

    citizen = parse_citizen_id(citizen_number("510199", dt.date(1990, 5, 17), 123), today=TODAY)

    assert citizen.area_code == "510199"
    assert citizen.warnings == ("gb11643.area_code_unknown",)


def test_a_historical_area_code_from_the_standard_warns():
    # 440524 (the standard's example) is no longer a county code.
    assert parse_citizen_id("440524188001010014", today=TODAY).warnings == ("gb11643.area_code_unknown",)


@pytest.mark.parametrize("province", ["99", "00", "10", "20", "47", "72", "84"])
def test_a_number_outside_every_province_is_rejected(province):
    number = citizen_number(province + "0101", dt.date(1990, 1, 1), 1)

    assert rule_of(parse_citizen_id, number, today=TODAY) == "gb11643.province"


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "gb11643.length"),
        ("1101051949123100", "gb11643.length"),
        ("11010519491231002X1", "gb11643.length"),
        ("1101051949123100XX", "gb11643.format"),
        ("11010519491231002A", "gb11643.format"),
        ("11010549123100X", "gb11643.format"),
    ],
)
def test_malformed_numbers_are_rejected(raw, rule):
    assert rule_of(parse_citizen_id, raw, today=TODAY) == rule


def test_a_format_error_names_the_position():
    with pytest.raises(DocumentError) as caught:
        parse_citizen_id("1101051949A231002X")

    assert caught.value.params == {"position": 11, "char": "A"}


def test_known_area_codes_hold_every_level_and_sichuans_183_counties():
    codes = identity.KNOWN_AREA_CODES

    assert {"510000", "510100", "510104", "110105"} <= codes
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len({code for code in codes if code.startswith("51") and not code.endswith("00")}) == 183


# -- Hong Kong, Macao and Taiwan residents


@pytest.mark.parametrize("area", ["810000", "820000", "830000"])
def test_hmt_permit_numbers_use_the_three_area_codes(area):
    number = citizen_number(area, dt.date(1985, 3, 9), 42)

    permit = parse_hmt_resident_id(number, today=TODAY)

    assert (permit.area_code, permit.sex, permit.warnings) == (area, "F", ())


@pytest.mark.parametrize("area", ["510000", "510104", "810100", "440000"])
def test_hmt_permit_numbers_refuse_other_area_codes(area):
    number = citizen_number(area, dt.date(1985, 3, 9), 42)

    assert rule_of(parse_hmt_resident_id, number, today=TODAY) == "hmt.area_code"


def test_hmt_permit_numbers_have_no_15_digit_form():
    assert rule_of(parse_hmt_resident_id, "810000850309042") == "hmt.length"


def test_hmt_permit_numbers_are_check_digit_checked():
    number = citizen_number("810000", dt.date(1985, 3, 9), 42)
    wrong = number[:17] + ("0" if number[17] != "0" else "1")

    assert rule_of(parse_hmt_resident_id, wrong, today=TODAY) == "gb11643.check_digit"


# -- foreigners' permanent residence ID


def test_foreign_pr_2017_form_gives_the_nationality():
    permit = parse_foreign_pr_id("usa 3101 8006 1501")

    assert (permit.number, permit.form, permit.nationality) == ("USA310180061501", "2017", "USA")


def test_foreign_pr_2023_form_is_check_digit_checked():
    body = "93101840199001012"
    number = body + mod11_2(body)

    permit = parse_foreign_pr_id(number)

    assert (permit.number, permit.form, permit.nationality) == (number, "2023", None)
    wrong = body + ("0" if number[17] != "0" else "1")
    assert rule_of(parse_foreign_pr_id, wrong) == "foreign_pr.check_digit"


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("US1310180061501", "foreign_pr.format"),
        ("USA31018006150A", "foreign_pr.format"),
        ("831018401990010124", "foreign_pr.format"),  # the 2023 card starts with 9
        ("USA31018006150", "foreign_pr.length"),
        ("", "foreign_pr.length"),
    ],
)
def test_foreign_pr_malformed(raw, rule):
    assert rule_of(parse_foreign_pr_id, raw) == rule


# -- passports


@pytest.mark.parametrize(
    ("raw", "number"),
    [("E12345678", "E12345678"), ("g1234567", "G1234567"), ("Ｅ１２３４５６７８", "E12345678"), ("AB 12-34", "AB1234")],
)
def test_passport_numbers_are_normalised(raw, number):
    assert parse_passport(raw) == number


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("", "passport.length"),
        ("E123", "passport.length"),
        ("E" * 21, "passport.length"),
        ("E1234.5678", "passport.format"),
        ("E1234/5678", "passport.format"),
        ("护照12345", "passport.format"),
        ("AAAAAAA", "passport.repeated"),
        ("00000000", "passport.repeated"),
    ],
)
def test_passport_numbers_reject(raw, rule):
    assert rule_of(parse_passport, raw) == rule


# -- dispatch


def test_parse_document_dispatches_on_the_type():
    citizen = parse_document("citizen_id", "11010519491231002x", today=TODAY)
    hmt = parse_document("hmt_resident", citizen_number("820000", dt.date(2001, 2, 3), 7), today=TODAY)
    foreign = parse_document("foreign_pr", "GBR310180061501")
    passport = parse_document("passport", "E12345678")

    assert (citizen.number, citizen.birth_date, citizen.sex, citizen.area_code) == (
        "11010519491231002X",
        dt.date(1949, 12, 31),
        "F",
        "110105",
    )
    assert (hmt.area_code, hmt.sex) == ("820000", "M")
    assert (foreign.number, foreign.birth_date, foreign.sex, foreign.area_code) == ("GBR310180061501", None, None, None)
    assert (passport.number, passport.warnings) == ("E12345678", ())


def test_parse_document_applies_the_rules_of_the_type_it_was_given():
    # A valid citizen ID is not a Hong Kong permit, and an unknown type is an error on doc_type.
    assert rule_of(parse_document, "hmt_resident", "11010519491231002X", today=TODAY) == "hmt.area_code"
    with pytest.raises(DocumentError) as caught:
        parse_document("visa", "E12345678")
    assert (caught.value.field, caught.value.rule) == ("doc_type", "document.type")


# -- unified social credit code, GB 32100-2015


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_credit_codes_pass(code):
    # Both were checked against gb32100_check before being kept here.
    assert gb32100_check(code[:17]) == code[17]
    assert validate_credit_code(code) == code


def test_credit_codes_are_normalised():
    assert validate_credit_code("９１３５０１００ｍ０００１００ｙ４３") == "91350100M000100Y43"
    assert validate_credit_code("91350100m000100y43") == "91350100M000100Y43"


@given(st.text(alphabet=CREDIT_ALPHABET, min_size=17, max_size=17))
def test_a_computed_credit_code_passes_and_any_one_change_fails(body):
    code = body + gb32100_check(body)

    assert validate_credit_code(code) == code
    for index in range(18):
        for replacement in CREDIT_ALPHABET:
            if replacement != code[index]:
                corrupted = code[:index] + replacement + code[index + 1 :]
                assert rule_of(validate_credit_code, corrupted) == "gb32100.check_char"


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_letters_outside_the_alphabet_are_rejected_by_position(letter):
    code = "91350100M000100Y43"
    corrupted = code[:8] + letter + code[9:]

    with pytest.raises(DocumentError) as caught:
        validate_credit_code(corrupted)

    assert caught.value.rule == "gb32100.char"
    assert caught.value.params == {"position": 9, "char": letter}
    assert "9" in caught.value.message


def test_a_wrong_credit_check_char_says_what_it_should_be():
    with pytest.raises(DocumentError) as caught:
        validate_credit_code("91350100M000100Y44")

    assert caught.value.rule == "gb32100.check_char"
    assert caught.value.params == {"expected": "3", "actual": "4"}


@pytest.mark.parametrize("raw", ["", "91350100M000100Y4", "91350100M000100Y433"])
def test_credit_codes_of_the_wrong_length_are_rejected(raw):
    assert rule_of(validate_credit_code, raw) == "gb32100.length"


# -- mobiles


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+8613812345678",
        "86 13812345678",
        "0086-138-1234-5678",
        "１３８１２３４５６７８",
    ],
)
def test_mobiles_tolerate_country_code_spaces_and_hyphens(raw):
    assert validate_mobile(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw",
    ["", "138123456789", "1381234567", "12345678901", "10012345678", "+86 12345678901", "1381234567a", "028-85551234"],
)
def test_mobiles_reject(raw):
    with pytest.raises(DocumentError) as caught:
        validate_mobile(raw, field="landlord_phone")

    assert (caught.value.field, caught.value.rule) == ("landlord_phone", "mobile.format")


# -- masking


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("51010419900101123X", "510104********123X"),
        ("E12345678", "E1*****78"),
        ("USA310180061501", "US***********01"),
        ("ABCD", "****"),
        ("", ""),
    ],
)
def test_mask_document_number(number, masked):
    assert mask_document_number(number) == masked


def test_mask_phone():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("85551234") == "85****34"


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三丰", "张**"),
        ("张三", "张*"),
        ("张", "*"),
        ("欧阳修", "欧**"),
        ("买买提·艾力", "买**·**"),
        ("John Smith", "J*** S****"),
        ("Jean-Luc Picard", "J***-L** P*****"),
        ("", ""),
    ],
)
def test_mask_name(name, masked):
    assert mask_name(name) == masked
