"""Hostile input for the document and phone validators and the masks: any text at all gets an answer or a
DocumentError, never another exception; what is accepted reads back the same; check characters agree.

test_identity.py holds the worked examples and the round trips of valid citizen IDs and credit codes; these
properties add arbitrary input and the number types it does not generate.
"""

import datetime as dt

from hypothesis import example, given, settings
from hypothesis import strategies as st

from liuguan.core import identity
from liuguan.core.identity import (
    DOCUMENT_TYPES,
    DocumentError,
    mask_document_number,
    mask_name,
    mask_phone,
    mod11_2_check,
    normalize_document_number,
    parse_document,
    parse_foreign_pr_id,
    validate_credit_code,
    validate_mobile,
)

TODAY = dt.date(2024, 6, 30)
# Text as it arrives from forms, JSON and workbooks: any code point, surrogates and control characters included,
# and text that looks like a document number (digits, X, full-width digits, dashes and spaces).
any_text = st.text(st.characters(codec=None), max_size=40)
number_like = st.text(st.sampled_from("0123456789Xx０１２３４５６７８９ -－\u3000ABC+"), max_size=24)
hostile = any_text | number_like

PARSERS = {
    **{name: (lambda raw, name=name: parse_document(name, raw, today=TODAY).number) for name in DOCUMENT_TYPES},
    "credit_code": validate_credit_code,
    "mobile": validate_mobile,
}


def _outcome(parse, raw):
    """What the validator says: the accepted value, or the rule of the DocumentError (any other error fails)."""
    try:
        return "ok", parse(raw)
    except DocumentError as exc:
        # The sentence for people must render from its rule and parameters.
        assert str(exc.message) and exc.rule
        return "error", exc.rule


@settings(max_examples=150)
@given(st.sampled_from(sorted(PARSERS)), hostile)
def test_any_text_gets_a_value_or_a_document_error(kind, raw):
    state, value = _outcome(PARSERS[kind], raw)
    if state == "ok":
        # What is accepted is plain ASCII, already normalised, and accepted again unchanged.
        assert value.isascii() and value == normalize_document_number(value)
        assert PARSERS[kind](value) == value


@settings(max_examples=60)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=12), hostile)
def test_an_unknown_document_type_is_a_document_error_on_doc_type(doc_type, raw):
    if doc_type in DOCUMENT_TYPES:
        return
    try:
        parse_document(doc_type, raw, today=TODAY)
    except DocumentError as exc:
        assert exc.field == "doc_type" and exc.rule == "document.type"
    else:
        raise AssertionError(f"{doc_type!r} accepted as a document type")


@given(hostile)
@example("R\u00b8")  # NFKC gives R, a space and a combining cedilla; without the space the next NFKC joins them
def test_normalising_is_idempotent(raw):
    once = normalize_document_number(raw)
    assert normalize_document_number(once) == once


foreign_2023_bodies = st.text(alphabet="0123456789", min_size=16, max_size=16).map(lambda digits: "9" + digits)


@given(foreign_2023_bodies)
def test_a_2023_foreign_permanent_residence_number_with_its_computed_check_passes_and_any_change_fails(body):
    number = body + mod11_2_check(body)
    assert parse_foreign_pr_id(number).number == number
    for index in range(1, 18):
        for replacement in "0123456789X" if index == 17 else "0123456789":
            if replacement != number[index]:
                corrupted = number[:index] + replacement + number[index + 1 :]
                try:
                    parse_foreign_pr_id(corrupted)
                except DocumentError as exc:
                    assert exc.rule == "foreign_pr.check_digit"
                else:
                    raise AssertionError(f"{corrupted} accepted")


@given(
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
    st.sampled_from(["", "+86", "0086", "86", "+86 ", "＋８６"]),
    st.sampled_from(["", " ", "-", "\u3000"]),
)
def test_a_mobile_number_reads_back_as_its_eleven_digits_whatever_its_dress(second, rest, prefix, separator):
    digits = "1" + second + rest
    dressed = prefix + separator.join([digits[:3], digits[3:7], digits[7:]])
    assert validate_mobile(dressed) == digits


@given(hostile)
def test_masks_keep_the_length_and_hide_the_middle(raw):
    for mask in (mask_document_number, mask_phone):
        masked = mask(raw)
        assert len(masked) == len(raw)
        if len(raw) > 4:
            # At most the ends are shown: 6 + 4 of an 18-character number, 3 + 4 of a mobile, else 2 + 2.
            shown = sum(1 for a, b in zip(raw, masked, strict=True) if a == b and b != "*")
            assert shown <= 10 and masked.count("*") >= len(raw) - 10


@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_a_masked_chinese_name_shows_only_its_first_character(name):
    masked = mask_name(name)
    assert len(masked) == len(name.strip())
    if any(identity._is_han(ch) for ch in name) and len(name.strip()) > 1:
        assert all(ch == "*" or ch in " ·•・" for ch in masked[1:])
