"""On the demo province the system's rules raise one event per injected problem, no more and no fewer: each
unreported tenant (a landlord's missing report the demo left on purpose) and each overdue endorsement (a permit
whose issue the demo moved back a year without endorsing it)."""

import io

import pytest
from django.core.management import call_command

from liuguan.compliance.codes import DutyChannel
from liuguan.compliance.detection import detect_breaches
from liuguan.compliance.models import Breach
from liuguan.demo.models import DutyGap, DutyGapKind
from liuguan.demo.tests.conftest import AS_OF, fast_passwords, generate, sichuan  # noqa: F401 (fixtures)
from liuguan.grid.models import GridEvent, State
from liuguan.grid.services.rules import ENDORSEMENT_OVERDUE, TENANT_NOT_REPORTED
from liuguan.permits.management.commands.permits_demo import permits_demo
from liuguan.permits.models import Permit, PermitEvent
from liuguan.permits.services import permit_policies_load

pytestmark = pytest.mark.django_db


def test_rules_raise_exactly_the_injected_problems(generate, monkeypatch):  # noqa: F811
    monkeypatch.setattr("liuguan.permits.services.common.china_today", lambda: AS_OF)
    generate(persons=500)
    detect_breaches(as_of=AS_OF)
    permit_policies_load(source="test")
    counts = permits_demo(share=0.3, seed=3, overdue=0.5)

    out = io.StringIO()
    call_command("grid_rules", stdout=out)

    unreported = set(
        DutyGap.objects.filter(kind=DutyGapKind.MISSING_REPORT, channel=DutyChannel.LANDLORD).values_list(
            "stay_id", flat=True
        )
    )
    overdue = set(PermitEvent.objects.filter(action="demo_overdue").values_list("permit_id", flat=True))
    assert len(unreported) > 5 and len(overdue) == counts["overdue"] > 2
    tenants = GridEvent.objects.filter(rule=TENANT_NOT_REPORTED)
    breaches = {int(key.split(":")[1]) for key in tenants.values_list("rule_key", flat=True)}
    assert set(Breach.objects.filter(pk__in=breaches).values_list("stay_id", flat=True)) == unreported
    assert tenants.count() == len(unreported)
    endorsements = GridEvent.objects.filter(rule=ENDORSEMENT_OVERDUE)
    assert {int(key.split(":")[1]) for key in endorsements.values_list("rule_key", flat=True)} == overdue
    assert endorsements.count() == len(overdue)
    assert set(Permit.objects.filter(pk__in=overdue).values_list("status", flat=True)) == {Permit.Status.SUSPENDED}
    assert out.getvalue().splitlines() == [
        f"{TENANT_NOT_REPORTED}: {len(unreported)}",
        f"{ENDORSEMENT_OVERDUE}: {len(overdue)}",
    ]
    # Routed at once to the community's station, and the next night raises nothing again.
    assert set(GridEvent.objects.values_list("state", flat=True)) == {State.TRANSMITTED}
    again = io.StringIO()
    call_command("grid_rules", stdout=again)
    assert again.getvalue().splitlines() == [f"{TENANT_NOT_REPORTED}: 0", f"{ENDORSEMENT_OVERDUE}: 0"]
