"""Division codes from a source file: any row at all gets a list of problems, never an error; a well-formed chain
of codes (each the prefix of the next, 2/4/6/9/12 digits) passes the check."""

from hypothesis import given, settings
from hypothesis import strategies as st

from liuguan.geo.loading import DivisionRow, division_rows_check
from liuguan.geo.models import Level

LEVELS = [Level.PROVINCE, Level.PREFECTURE, Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY]
LENGTHS = [2, 4, 6, 9, 12]
code_like = st.text(st.sampled_from("0123456789²١０ a"), max_size=13)
rows = st.builds(
    DivisionRow,
    code=code_like | st.text(max_size=13),
    name=st.text(max_size=60),
    level=st.sampled_from([*Level.values, "", "city"]),
    parent=code_like,
)


@settings(max_examples=100)
@given(st.lists(rows, max_size=6))
def test_any_rows_get_problems_never_an_error(found):
    problems = division_rows_check(found)
    assert all(p.rule and p.message for p in problems)
    # A code that is not 2-12 ASCII digits of its level's length is always one of them.
    for row in found:
        if row.level in Level.values and not (row.code.isascii() and row.code.isdigit()):
            assert any(p.field == f"code {row.code}" for p in problems)


@given(
    st.text(st.sampled_from("0123456789"), min_size=12, max_size=12),
    st.text(st.sampled_from("成都锦江区街道社区"), min_size=1, max_size=10),
)
def test_a_chain_of_prefix_codes_passes(digits, name):
    chain = [
        DivisionRow(code=digits[:n], name=name, level=level, parent=digits[:previous])
        for level, n, previous in zip(LEVELS, LENGTHS, [0, *LENGTHS[:-1]], strict=True)
    ]
    assert division_rows_check(chain) == []
