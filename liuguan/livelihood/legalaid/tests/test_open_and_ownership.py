"""Who opens for whom: a migrant for themself only, a grid worker for a person in their grid, a desk for a person
in scope; and the migrant is told of each change of status in the portal."""

import pytest
from django.apps import apps

from liuguan.accounts.roles import Role
from liuguan.conftest import citizen_id
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.livelihood.legalaid.models import LegalAidRequest, Status
from liuguan.livelihood.legalaid.selectors import legal_aid_requests_for_person
from liuguan.livelihood.legalaid.services import legal_aid_request_act, legal_aid_request_open
from liuguan.registry.models import Person, Stay


def _counts():
    return LegalAidRequest.objects.count(), AuditEvent.objects.count()


def test_a_migrant_opens_for_themself(net):
    request = legal_aid_request_open(actor=net["migrant"], kind="wage_arrears", description="欠薪", channel="station")
    assert (request.person, request.channel, request.community_id) == (net["in"], "portal", "510104001001")
    assert legal_aid_requests_for_person(person=net["in"]) == [request]
    assert legal_aid_requests_for_person(person=net["out"]) == []


def test_a_migrant_cannot_open_for_someone_else(net):
    before = _counts()
    with pytest.raises(NotFound):
        legal_aid_request_open(actor=net["migrant"], person_id=net["out"].pk, kind="other", description="x")
    assert _counts() == before
    own = legal_aid_request_open(actor=net["migrant"], person_id=net["in"].pk, kind="other", description="x")
    assert own.person == net["in"]


def test_a_grid_worker_opens_for_a_person_in_their_grid_only(net, divisions):
    neighbour = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("510104", "19880101", "111"),
        name="赵六",
        sex="M",
        birth_date="1988-01-01",
        hukou_code="510104",
    )
    Stay.objects.create(
        person=neighbour,
        community_id="510104001001",
        reason="work",
        arrived_on="2024-01-01",
        source_channel="collector",
    )  # same community, no grid
    grid_worker = net[Role.GRID_WORKER]
    request = legal_aid_request_open(actor=grid_worker, person_id=net["in"].pk, kind="tenancy", description="押金")
    assert request.channel == "grid"
    before = _counts()
    for person in (neighbour, net["out"]):
        with pytest.raises(NotFound):
            legal_aid_request_open(actor=grid_worker, person_id=person.pk, kind="tenancy", description="押金")
    assert _counts() == before


def test_roles_without_the_permission_are_refused(net):
    before = _counts()
    for role in (Role.COUNTY_OFFICER, Role.POLICE, Role.COLLECTOR):
        with pytest.raises(PermissionDenied):
            legal_aid_request_open(actor=net[role], person_id=net["in"].pk, kind="other", description="x")
    assert _counts() == before


def test_bad_input_names_the_fields(net):
    before = _counts()
    with pytest.raises(InvalidInput) as exc:
        legal_aid_request_open(
            actor=net[Role.STATION_OFFICER],
            person_id=net["in"].pk,
            kind="divorce",
            description=" ",
            community_code="510107001001",
        )
    assert {p.field for p in exc.value.problems} == {"kind", "description", "community_code"}
    assert _counts() == before


@pytest.mark.skipif(not apps.is_installed("liuguan.portal"), reason="the portal app is not installed")
def test_the_migrant_is_told_of_each_change(net):
    from liuguan.portal.models import PortalNotification

    request = legal_aid_request_open(actor=net["migrant"], kind="wage_arrears", description="欠薪")
    officer = net[Role.STATION_OFFICER]
    legal_aid_request_act(actor=officer, request_id=request.pk, action="accept")
    legal_aid_request_act(actor=officer, request_id=request.pk, action="handle", note="已调解")
    legal_aid_request_act(actor=officer, request_id=request.pk, action="close")
    titles = list(PortalNotification.objects.filter(person=net["in"]).order_by("pk").values_list("title", flat=True))
    assert len(titles) == 4
    statuses = ("referred", "accepted", "handled", "closed")
    assert all(str(Status(s).label) in t for s, t in zip(statuses, titles, strict=True))
    # a person without a portal account is told nothing
    legal_aid_request_open(actor=officer, person_id=net["in"].pk, kind="other", description="x")
    net["migrant"].is_active = False
    net["migrant"].save()
    legal_aid_request_open(actor=officer, person_id=net["in"].pk, kind="other", description="y")
    assert PortalNotification.objects.filter(person=net["in"]).count() == 5
