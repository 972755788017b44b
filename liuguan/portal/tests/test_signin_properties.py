"""The portal's sign-in number: eleven ASCII digits of a mainland mobile, whatever is typed into the box."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liuguan.core.errors import InvalidInput
from liuguan.portal.signin import _phone_checked

# Digits of other scripts match \d: Arabic-Indic, full-width, Devanagari; and superscripts, which int() refuses.
digits = st.sampled_from("0123456789٠١٢٣٤٥٦٧٨٩０１２３４５６７８９०१२३²³ ")


@settings(max_examples=200)
@given(
    st.text(st.characters(codec=None), max_size=16) | st.text(digits, min_size=11, max_size=13).map(lambda t: "13" + t)
)
def test_a_checked_number_is_eleven_ascii_digits_or_refused(raw):
    try:
        phone = _phone_checked(raw)
    except InvalidInput as exc:
        assert [p.rule for p in exc.problems] == ["phone.format"]
    else:
        assert len(phone) == 11 and phone.isascii() and phone.isdigit() and phone[0] == "1"


@pytest.mark.parametrize("typed", ["13٩١٢٣٤٥٦٧٨", "13９１２３４５６７８", "1391234567²"])
def test_digits_of_other_scripts_are_refused(typed):
    with pytest.raises(InvalidInput):
        _phone_checked(typed)
