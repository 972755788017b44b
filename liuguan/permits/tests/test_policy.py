"""The residence-permit rules on the regulations' own edges (Order 663 Art. 2, 9, 10; Civil Code Art. 201, 1259)."""

import datetime as dt

import pytest

from liuguan.permits.policy import (
    Reason,
    Status,
    add_months,
    decision_due,
    eligibility,
    endorsement_allowed,
    permit_state,
    policy_load,
)

D = dt.date
NATIONAL = policy_load("national")
CHENGDU = policy_load("chengdu")


def test_months_end_on_the_corresponding_day_or_the_months_last():
    assert add_months(D(2025, 3, 15), 6) == D(2025, 9, 15)
    assert add_months(D(2025, 8, 31), 6) == D(2026, 2, 28)
    assert add_months(D(2024, 2, 29), 12) == D(2025, 2, 28)
    assert add_months(D(2025, 3, 15), -1) == D(2025, 2, 15)


def test_exactly_six_months_qualifies_and_one_day_short_does_not():
    since = D(2025, 3, 15)
    short = eligibility(NATIONAL, residence_since=since, on=D(2025, 9, 14), conditions={"employment"})
    exact = eligibility(NATIONAL, residence_since=since, on=D(2025, 9, 15), conditions={"employment"})
    assert not short.eligible and short.reasons == (Reason.RESIDENCE_TOO_SHORT,)
    assert short.eligible_from == D(2025, 9, 15)
    assert exact.eligible and exact.kind == "permit"


def test_residence_alone_is_not_enough_without_employment_housing_or_study():
    found = eligibility(NATIONAL, residence_since=D(2020, 1, 1), on=D(2025, 1, 1), conditions={"tourism"})
    assert not found.eligible and found.reasons == (Reason.NO_CONDITION,)


def test_chengdu_gives_a_temporary_permit_under_a_year_and_a_formal_one_after():
    since = D(2025, 1, 10)
    assert eligibility(CHENGDU, residence_since=since, on=D(2025, 2, 9), conditions={"residence"}).kind is None
    assert eligibility(CHENGDU, residence_since=since, on=D(2025, 2, 10), conditions={"residence"}).kind == "temporary"
    assert eligibility(CHENGDU, residence_since=since, on=D(2026, 1, 9), conditions={"residence"}).kind == "temporary"
    assert eligibility(CHENGDU, residence_since=since, on=D(2026, 1, 10), conditions={"residence"}).kind == "formal"
    assert CHENGDU.decision_working_days == 15  # inherited from the national policy
    assert CHENGDU.version != NATIONAL.version


def test_the_decision_deadline_is_counted_in_working_days_across_national_day():
    # 28 Sep 2025 (Sunday) and 11 Oct (Saturday) were worked; 1-8 October were off.
    assert decision_due(NATIONAL, accepted_on=D(2025, 9, 26)) == D(2025, 10, 23)
    assert decision_due(NATIONAL, accepted_on=D(2025, 9, 26), extended=True) == D(2025, 11, 13)


def test_the_endorsement_window_is_the_month_before_each_full_year():
    issued = D(2024, 3, 15)
    state = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[], on=D(2025, 2, 20))
    assert (state.status, state.window_opens, state.window_closes) == (Status.VALID, D(2025, 2, 15), D(2025, 3, 15))
    assert endorsement_allowed(NATIONAL, state=state, on=D(2025, 2, 20))
    assert not endorsement_allowed(NATIONAL, state=state, on=D(2025, 2, 14))
    endorsed = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[D(2025, 3, 1)], on=D(2026, 1, 1))
    assert endorsed.status == Status.VALID and endorsed.years_held == 1
    assert (endorsed.window_opens, endorsed.window_closes) == (D(2026, 2, 15), D(2026, 3, 15))


def test_an_overdue_endorsement_suspends_and_a_late_one_restores_counting_from_that_day():
    issued = D(2024, 3, 15)
    last_day = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[], on=D(2025, 3, 15))
    assert last_day.status == Status.VALID
    overdue = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[], on=D(2025, 3, 16))
    assert overdue.status == Status.SUSPENDED and overdue.suspended_from == D(2025, 3, 16)
    assert endorsement_allowed(NATIONAL, state=overdue, on=D(2025, 5, 20))
    # An endorsement before the window does not count.
    early = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[D(2025, 1, 2)], on=D(2025, 4, 1))
    assert early.status == Status.SUSPENDED
    restored = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[D(2025, 5, 20)], on=D(2026, 5, 1))
    assert restored.status == Status.VALID and restored.counted_from == D(2025, 5, 20)
    assert (restored.window_opens, restored.window_closes) == (D(2026, 4, 20), D(2026, 5, 20))
    assert restored.years_held == 0
    later = permit_state(NATIONAL, kind="permit", issued_on=issued, endorsements=[D(2025, 5, 20)], on=D(2026, 5, 21))
    assert later.status == Status.SUSPENDED


def test_a_chengdu_temporary_permit_expires_after_its_year():
    state = permit_state(CHENGDU, kind="temporary", issued_on=D(2025, 1, 10), endorsements=[], on=D(2026, 1, 10))
    assert state.status == Status.EXPIRED and state.expires_on == D(2026, 1, 9)
    valid = permit_state(CHENGDU, kind="temporary", issued_on=D(2025, 1, 10), endorsements=[], on=D(2026, 1, 9))
    assert valid.status == Status.VALID


@pytest.mark.parametrize("code", ["national", "chengdu"])
def test_every_shipped_policy_loads_with_kinds(code):
    policy = policy_load(code)
    assert policy.kinds and policy.source
