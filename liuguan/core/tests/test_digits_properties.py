"""Numbers typed into pages: str.isdigit() is true of "²" and "١", and int() refuses "²". A page that reads an
id or a cursor from a query or a form answers an ordinary page or 404 for these, never a server error.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liuguan.accounts.roles import Role
from liuguan.conftest import login

digit_like = st.text(st.sampled_from("0123456789²³¹١٢٣０１२"), min_size=1, max_size=6)


@pytest.mark.django_db
@settings(max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=digit_like)
def test_ids_and_cursors_in_any_script_never_fail_a_page(users, value):
    auditor, station = login(users[Role.AUDITOR]), login(users[Role.STATION_OFFICER])
    # Both pages open for these roles (200), so the value reaches the code that reads it.
    assert auditor.get("/exchange/log/", {"before": value}).status_code == 200
    assert station.get("/permits/applications/new/", {"person_id": value}).status_code in (200, 404)
