"""The referral rule (nearest unit: community, township, county, the city's centre) and the way upward after
each decline."""

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput
from liuguan.livelihood.legalaid.models import LegalAidUnit, Status, UnitKind
from liuguan.livelihood.legalaid.services import legal_aid_request_act, legal_aid_request_open, nearest_unit
from liuguan.registry.models import Stay


def test_the_nearest_unit_is_the_community_then_township_then_county_then_city(net):
    assert nearest_unit("510104001001") == net["liaison"]
    assert nearest_unit("510104001002") == net["workstation"]  # no liaison there: its township
    assert nearest_unit("510104002001") == net["county"]  # a centre before a workstation at one level
    assert nearest_unit("510107001001") == net["city"]  # nothing in 武侯区: the city's centre


def test_inactive_units_are_skipped_and_the_city_level_takes_only_a_centre(net):
    LegalAidUnit.objects.filter(pk=net["liaison"].pk).update(active=False)
    assert nearest_unit("510104001001") == net["workstation"]
    LegalAidUnit.objects.filter(pk=net["city"].pk).update(kind=UnitKind.WORKSTATION)
    assert nearest_unit("510107001001") is None


def test_opening_refers_at_once(net):
    request = legal_aid_request_open(
        actor=net[Role.STATION_OFFICER], person_id=net["in"].pk, kind="wage_arrears", description="欠薪三个月"
    )
    assert (request.status, request.unit) == (Status.REFERRED, net["liaison"])
    assert request.community_id == "510104001001" and request.channel == "station"
    assert [(s.action, s.from_status, s.to_status) for s in request.steps.all()] == [
        ("open", "", "opened"),
        ("refer", "opened", "referred"),
    ]


def test_with_no_unit_at_all_the_request_rests_opened(net):
    Stay.objects.filter(person=net["in"]).update(community_id="510107001001")
    LegalAidUnit.objects.filter(pk=net["city"].pk).delete()
    request = legal_aid_request_open(actor=net["migrant"], kind="other", description="商家拒绝退换")
    assert (request.status, request.unit, request.community_id) == (Status.OPENED, None, "510107001001")
    closed = legal_aid_request_act(
        actor=net[Role.CITY_OFFICER], request_id=request.pk, action="close_unplaced", note="无援助单位"
    )
    assert closed.status == Status.CLOSED


def test_each_decline_passes_the_request_upward_until_the_city_declines(net):
    request = legal_aid_request_open(
        actor=net[Role.STATION_OFFICER], person_id=net["in"].pk, kind="tenancy", description="押金不退"
    )
    city_officer = net[Role.CITY_OFFICER]
    path = []
    for _ in range(4):
        request = legal_aid_request_act(actor=city_officer, request_id=request.pk, action="decline", note="不归我们")
        path.append((request.status, request.unit.name))
    assert path == [
        ("referred", "督院街工作站"),
        ("referred", "锦江区法律援助中心"),
        ("referred", "成都市法律援助中心"),
        ("declined", "成都市法律援助中心"),  # nobody above the city: it rests, for the desk to close
    ]
    actions = [s.action for s in request.steps.all()]
    assert actions == ["open", "refer", "decline", "refer", "decline", "refer", "decline", "refer", "decline"]
    # referring by hand starts again at the community, skipping every unit that declined: the county's workstation
    request = legal_aid_request_act(actor=city_officer, request_id=request.pk, action="refer")
    assert (request.status, request.unit) == (Status.REFERRED, net["county_ws"])
    request = legal_aid_request_act(actor=city_officer, request_id=request.pk, action="decline", note="不归我们")
    assert request.status == Status.DECLINED
    # no unit is left that has not declined
    with pytest.raises(InvalidInput) as exc:
        legal_aid_request_act(actor=city_officer, request_id=request.pk, action="refer")
    assert exc.value.problems[0].rule == "legalaid.no_unit"
    closed = legal_aid_request_act(
        actor=city_officer, request_id=request.pk, action="close_unplaced", note="建议向法院起诉"
    )
    assert closed.status == Status.CLOSED


def test_a_decline_skips_the_other_units_of_the_same_level(net):
    request = legal_aid_request_open(
        actor=net[Role.STATION_OFFICER], person_id=net["in"].pk, kind="tenancy", description="押金不退"
    )
    county = net[Role.COUNTY_OFFICER]
    legal_aid_request_act(actor=county, request_id=request.pk, action="decline", note="a")  # liaison
    legal_aid_request_act(actor=county, request_id=request.pk, action="decline", note="b")  # township
    after = legal_aid_request_act(actor=county, request_id=request.pk, action="decline", note="c")  # county centre
    # the county's workstation is at the level that declined: upward means the city
    assert after.unit == net["city"]
