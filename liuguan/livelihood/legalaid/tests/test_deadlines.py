"""Deadlines in working days across the 2025 National Day holiday (1-8 October off, 28 September and 11 October
worked), overdue marks, and the queue with overdue requests first."""

import datetime as dt

from liuguan.accounts.roles import Role
from liuguan.livelihood.legalaid import selectors, services
from liuguan.livelihood.legalaid.models import LegalAidRequest, Status
from liuguan.livelihood.legalaid.services import legal_aid_mark_overdue, legal_aid_request_act, legal_aid_request_open


def _open(net):
    return legal_aid_request_open(
        actor=net[Role.STATION_OFFICER], person_id=net["in"].pk, kind="work_injury", description="工伤"
    )


def test_accept_within_two_working_days_skips_the_holiday(net, monkeypatch):
    monkeypatch.setattr(services, "china_today", lambda: dt.date(2025, 9, 30))  # Tuesday before the holiday
    request = _open(net)
    assert request.accept_due == dt.date(2025, 10, 10)  # 9 and 10 October, not 1 and 2


def test_handle_within_twenty_working_days_counts_the_made_up_days(net, monkeypatch):
    monkeypatch.setattr(services, "china_today", lambda: dt.date(2025, 9, 26))  # Friday
    request = _open(net)
    request = legal_aid_request_act(actor=net[Role.STATION_OFFICER], request_id=request.pk, action="accept")
    # Sunday 28 Sept and Saturday 11 Oct count, 1-8 October do not
    assert request.handle_due == dt.date(2025, 10, 30)


def test_the_days_are_settings(net, monkeypatch, settings):
    settings.LEGALAID_ACCEPT_DAYS = 5
    monkeypatch.setattr(services, "china_today", lambda: dt.date(2025, 9, 26))
    assert _open(net).accept_due == dt.date(2025, 10, 10)  # 28, 29, 30 Sept, 9, 10 Oct


def test_overdue_marks_and_the_queue_puts_them_first(net, monkeypatch):
    monkeypatch.setattr(services, "china_today", lambda: dt.date(2025, 9, 30))
    late = _open(net)
    monkeypatch.setattr(services, "china_today", lambda: dt.date(2025, 10, 20))
    fresh = _open(net)
    assert legal_aid_mark_overdue(today=dt.date(2025, 10, 13)) == {"accept": 1, "handle": 0}
    late.refresh_from_db()
    assert late.accept_overdue and late.overdue and not LegalAidRequest.objects.get(pk=fresh.pk).accept_overdue
    assert legal_aid_mark_overdue(today=dt.date(2025, 10, 13)) == {"accept": 0, "handle": 0}  # marked once
    queue = selectors.request_queue(user=net[Role.COUNTY_OFFICER])
    assert [r.pk for r in queue][:1] == [late.pk]
    # the county's own office has none of them: both are with the community's liaison
    assert selectors.request_queue(user=net[Role.COUNTY_OFFICER], mine=True) == []
    assert len(selectors.request_queue(user=net[Role.STATION_OFFICER], mine=True)) == 2
    # accepting ends the stage and its mark
    accepted = legal_aid_request_act(actor=net[Role.STATION_OFFICER], request_id=late.pk, action="accept")
    assert accepted.status == Status.ACCEPTED and not accepted.accept_overdue
