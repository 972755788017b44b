"""The demo's permits come through the services: eligible residents only, every step on the trail, top-up."""

import datetime as dt
import io

from django.core.management import call_command

from liuguan.accounts.roles import Role
from liuguan.conftest import OUT_COMMUNITY
from liuguan.core.models import AuditEvent
from liuguan.permits.models import Application, Permit

D = dt.date


def test_permits_demo_gives_a_share_of_eligible_residents_permits_and_tops_up(users, resident, clock):
    clock(D(2025, 9, 1))
    eligible = [resident(arrived_on=D(2024, 1, 1)) for _ in range(4)]
    eligible.append(resident(community=OUT_COMMUNITY, arrived_on=D(2024, 1, 1)))  # no station officer there
    too_new = resident(arrived_on=D(2025, 8, 20))
    out = io.StringIO()
    call_command("permits_demo", "--share", "1", stdout=out)
    assert "5 eligible residents, 5 applied now" in out.getvalue()
    applicants = set(Application.objects.values_list("person_id", flat=True))
    assert applicants == {p.pk for p in eligible} and too_new.pk not in applicants
    station = users[Role.STATION_OFFICER]
    assert set(Application.objects.filter(community_id=OUT_COMMUNITY).values_list("received_by", flat=True)) == {None}
    assert Application.objects.exclude(community_id=OUT_COMMUNITY).filter(received_by=station).count() == 4
    kinds = dict(Permit.objects.values_list("community_id", "kind").distinct())
    assert kinds.get(OUT_COMMUNITY, "permit") == "permit" and set(kinds.values()) <= {"formal", "permit"}
    assert AuditEvent.objects.filter(action="permit_application.receive", actor_username="system").exists()
    again = io.StringIO()
    call_command("permits_demo", "--share", "1", stdout=again)
    assert "0 applied now (5 already held or applied)" in again.getvalue()
    assert Application.objects.count() == 5
