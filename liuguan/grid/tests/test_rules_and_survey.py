"""System rules raise one event per finding, ever (idempotent), routed at once; the reporter's survey after
closing reopens a fixed-closed event or counts against the unit that could not fix it."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.compliance.models import Breach
from liuguan.conftest import IN_COMMUNITY, login
from liuguan.core.errors import Conflict
from liuguan.grid.models import GridEvent, Source, State, Survey
from liuguan.grid.selectors import supervision_by_unit
from liuguan.grid.services.events import event_close, event_report
from liuguan.grid.services.rules import events_from_rules
from liuguan.grid.services.surveys import survey_answer
from liuguan.permits.models import Application, Permit, PermitPolicy
from liuguan.permits.services import permit_policies_load

from .world import event_in

pytestmark = pytest.mark.django_db


def _breach(world, person):
    stay = person.stays.get()
    return Breach.objects.create(
        kind="missing_report",
        key=f"missing:landlord:{stay.pk}",
        community_id=IN_COMMUNITY,
        channel="landlord",
        house=world["house"],
        person=person,
        stay=stay,
        due_on=dt.date(2026, 5, 10),
        occurred_on=dt.date(2026, 5, 11),
    )


def _suspended_permit(person):
    permit_policies_load(source="test")
    policy = PermitPolicy.objects.get(prefix="5101")  # Chengdu's formal permit is endorsed every year
    stay = person.stays.get()
    application = Application.objects.create(
        number="A-1",
        person=person,
        stay=stay,
        community_id=IN_COMMUNITY,
        permit_kind="formal",
        condition="work",
        policy=policy,
    )
    return Permit.objects.create(
        number="P-510104-1",
        person=person,
        application=application,
        community_id=IN_COMMUNITY,
        kind="formal",
        policy=policy,
        status=Permit.Status.VALID,  # the nightly refresh has not suspended it yet: the rule still sees it
        issued_on=dt.date(2024, 6, 1),
        counted_from=dt.date(2024, 6, 1),
        issuer="锦江分局",
        address="东御河沿街 8 号",
        token_nonce="n",
    )


def test_rules_raise_one_event_per_finding_and_never_twice(world, person_in, person_out):
    _breach(world, person_in)
    Breach.objects.create(  # an employer's breach and a late report are not "tenant not reported"
        kind="missing_report",
        key="missing:employer:1",
        community_id=IN_COMMUNITY,
        channel="employer",
        person=person_in,
        occurred_on=dt.date(2026, 5, 11),
    )
    _suspended_permit(person_out)
    assert events_from_rules() == {"tenant_not_reported": 1, "endorsement_overdue": 1}
    tenant = GridEvent.objects.get(rule="tenant_not_reported")
    assert (tenant.source, tenant.state, tenant.grid, tenant.house, tenant.person) == (
        Source.SYSTEM,
        State.TRANSMITTED,
        world["grid"],
        world["house"],
        person_in,
    )
    assert tenant.assigned_division_id == IN_COMMUNITY and tenant.channel == "none"
    assert events_from_rules() == {"tenant_not_reported": 0, "endorsement_overdue": 0}
    # Closed as fixed, the finding still on file: not raised again.
    tenant.state = State.CLOSED
    tenant.save()
    assert events_from_rules()["tenant_not_reported"] == 0
    assert GridEvent.objects.count() == 2


def _closed(world, state=State.CLOSED):
    event = event_report(
        actor=world[Role.GRID_WORKER],
        category_code="rental_house_safety",
        description="消防通道堵塞",
        grid_code=world["grid"].code,
    )
    GridEvent.objects.filter(pk=event.pk).update(state=State.FED_BACK, assigned_division_id=IN_COMMUNITY)
    if state == State.CLOSED:
        return event_close(actor=world[Role.STATION_OFFICER], event_id=event.pk)
    return event_close(actor=world[Role.STATION_OFFICER], event_id=event.pk, fixed=False, note="无法整改")


def test_not_solved_reopens_a_fixed_event_through_the_public_page(world, client):
    event = _closed(world)
    survey = Survey.objects.get(event=event)
    page = client.get(f"/grid/survey/{survey.token}/")
    assert page.status_code == 200 and 'data-testid="survey-form"' in page.content.decode()
    answered = client.post(f"/grid/survey/{survey.token}/", {"solved": "no", "comment": "还在堵"})
    assert 'data-testid="survey-thanks"' in answered.content.decode()
    event.refresh_from_db()
    assert event.state == State.TRANSMITTED
    reopen = event.steps.get(action="reopen")
    assert (reopen.actor_label, "还在堵" in reopen.note) == ("reporter", True)
    with pytest.raises(Conflict):
        survey_answer(token=survey.token, solved=True)
    assert client.get("/grid/survey/no-such-token/").status_code == 404


def test_not_solved_on_a_not_fixed_closing_counts_against_the_disposing_unit(world):
    event = _closed(world, State.CLOSED_NOT_FIXED)
    survey_answer(token=Survey.objects.get(event=event).token, solved=False)
    event.refresh_from_db()
    assert event.state == State.CLOSED_NOT_FIXED
    [row] = supervision_by_unit(user=world[Role.STREET_OFFICER])
    assert (row["code"], row["unsolved"], row["yellow"]) == (IN_COMMUNITY, 1, 0)


def test_system_events_tell_nobody_and_ask_nobody(world):
    event = event_in(State.FED_BACK)
    event_close(actor=world[Role.STATION_OFFICER], event_id=event.pk)
    assert not Survey.objects.filter(event=event).exists()
    assert login(world[Role.GRID_WORKER])  # keeps the fixture honest: accounts exist
