"""Every (status, step) pair: what the table allows succeeds, the rest is refused and changes nothing; and who
may take a step (the unit's area, the request's area)."""

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.livelihood.legalaid.models import LegalAidRequest, LegalAidStep, Status
from liuguan.livelihood.legalaid.services import legal_aid_request_act, legal_aid_request_open
from liuguan.livelihood.legalaid.transitions import TABLE, pairs


def _state(request_id):
    r = LegalAidRequest.objects.get(pk=request_id)
    return (
        r.status,
        r.unit_id,
        r.accept_due,
        r.handle_due,
        r.outcome,
        LegalAidStep.objects.count(),
        AuditEvent.objects.count(),
    )


def _request_in(net, status):
    request = legal_aid_request_open(
        actor=net[Role.STATION_OFFICER], person_id=net["in"].pk, kind="wage_arrears", description="欠薪"
    )
    LegalAidRequest.objects.filter(pk=request.pk).update(status=status)
    return request.pk


@pytest.mark.parametrize(("status", "action", "allowed"), pairs(), ids=lambda v: str(v))
def test_every_pair(net, status, action, allowed):
    request_id = _request_in(net, status)
    before = _state(request_id)
    officer = net[Role.CITY_OFFICER]
    if allowed:
        after = legal_aid_request_act(actor=officer, request_id=request_id, action=action, note="说明")
        expected = TABLE[action].target
        if action == "decline":
            expected = Status.REFERRED  # passed on upward at once
        assert after.status == expected
        assert LegalAidStep.objects.count() > before[5]
    else:
        with pytest.raises(InvalidInput) as exc:
            legal_aid_request_act(actor=officer, request_id=request_id, action=action, note="说明")
        assert exc.value.problems[0].rule == "legalaid.transition"
        assert _state(request_id) == before


def test_an_unknown_step_is_refused(net):
    request_id = _request_in(net, Status.REFERRED)
    before = _state(request_id)
    with pytest.raises(InvalidInput):
        legal_aid_request_act(actor=net[Role.CITY_OFFICER], request_id=request_id, action="approve")
    assert _state(request_id) == before


def test_only_officers_over_the_unit_take_its_steps(net):
    request_id = _request_in(net, Status.REFERRED)
    LegalAidRequest.objects.filter(pk=request_id).update(unit=net["county"])
    before = _state(request_id)
    with pytest.raises(PermissionDenied):  # the station sees the request but the county's centre has it
        legal_aid_request_act(actor=net[Role.STATION_OFFICER], request_id=request_id, action="accept")
    with pytest.raises(PermissionDenied):  # a grid worker does not handle requests
        legal_aid_request_act(actor=net[Role.GRID_WORKER], request_id=request_id, action="accept")
    assert _state(request_id) == before
    assert legal_aid_request_act(actor=net[Role.COUNTY_OFFICER], request_id=request_id, action="accept").status == (
        Status.ACCEPTED
    )


def test_outside_the_area_the_request_looks_missing(net, divisions):
    from liuguan.accounts.models import User

    request_id = _request_in(net, Status.REFERRED)
    before = _state(request_id)
    other = User.objects.create(username="wuhou", role=Role.COUNTY_OFFICER, division=divisions["510107"])
    with pytest.raises(NotFound):
        legal_aid_request_act(actor=other, request_id=request_id, action="accept")
    assert _state(request_id) == before


def test_declining_and_handling_need_a_note(net):
    request_id = _request_in(net, Status.REFERRED)
    before = _state(request_id)
    with pytest.raises(InvalidInput):
        legal_aid_request_act(actor=net[Role.CITY_OFFICER], request_id=request_id, action="decline", note=" ")
    assert _state(request_id) == before
    legal_aid_request_act(actor=net[Role.CITY_OFFICER], request_id=request_id, action="accept")
    before = _state(request_id)
    with pytest.raises(InvalidInput):
        legal_aid_request_act(actor=net[Role.CITY_OFFICER], request_id=request_id, action="handle")
    assert _state(request_id) == before
