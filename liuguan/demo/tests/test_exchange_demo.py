"""The demo gives the demo department a subsystem with grants, through the hub's audited services, once."""

import pytest

from liuguan.core.audit import audit_verify
from liuguan.core.models import AuditEvent
from liuguan.demo.exchange import SUBSYSTEM_CODE
from liuguan.exchange.hub import grants_for
from liuguan.exchange.models import Grant, Subsystem


@pytest.mark.django_db
def test_the_demo_department_can_try_the_hub(generate):
    run = generate(persons=300)
    subsystem = Subsystem.objects.get(code=SUBSYSTEM_CODE)
    assert run.summary["exchange_subsystem"] == subsystem.pk
    assert subsystem.department.users.filter(username="department").exists()
    city = subsystem.grants.values_list("area_id", flat=True).distinct().get()
    assert grants_for(subsystem, "residence", "verify", community_code=city + "001001")
    assert grants_for(subsystem, "stays", "feed") and not grants_for(subsystem, "stays", "extract")
    assert not grants_for(subsystem, "people", "query", community_code="510703001003")  # Mianyang: outside
    assert AuditEvent.objects.filter(action="grant.issue").count() == 3 == Grant.objects.count()
    assert audit_verify().ok


@pytest.mark.django_db
def test_a_second_run_keeps_the_subsystem_and_its_grants(generate):
    generate(persons=200)
    grants = set(Grant.objects.values_list("pk", flat=True))
    generate(persons=200, seed=8, reset=True)
    assert Subsystem.objects.filter(code=SUBSYSTEM_CODE).count() == 1
    assert set(Grant.objects.values_list("pk", flat=True)) == grants
