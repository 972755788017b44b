"""The demo's two sources of names, registrations and duty holders' reports, are independent, so an omission
estimate from them (capture-recapture) finds the real number of residents.
"""

import math

import pytest
from django.db.models import Q

from liuguan.compliance.codes import DutyChannel, ReportKind
from liuguan.compliance.models import DutyReport
from liuguan.demo.defects import Rates
from liuguan.demo.models import TruePerson
from liuguan.registry.codes import HouseKind, SourceChannel
from liuguan.registry.models import Stay

REGISTRATION = (SourceChannel.COLLECTOR, SourceChannel.SELF, SourceChannel.IMPORT)
# Residents a landlord or employer answers for: tenants of rental houses and staff of registered employers.
RESIDENT = Q(house__kind=HouseKind.RENTAL) | Q(employer__isnull=False)
# Households are registered or missed whole and share their house's filing, so the figures spread about 1.5
# times as widely as formulas counting people as independent say (measured over 32 seeds of this size).
CLUSTERING = 1.5


def _lists() -> tuple[set[int], set[int]]:
    """From the registry alone: people whose open stay a registration channel registered (list 1), and people
    a landlord's or employer's arrival report names for an open stay (list 2), among residents.
    """
    residents = Stay.objects.filter(RESIDENT, departed_on__isnull=True)
    registered = set(residents.filter(source_channel__in=REGISTRATION).values_list("person_id", flat=True))
    reported = DutyReport.objects.filter(
        channel__in=(DutyChannel.LANDLORD, DutyChannel.EMPLOYER), kind=ReportKind.ARRIVAL, stay__in=residents
    )
    return registered, set(reported.values_list("person_id", flat=True))


@pytest.mark.django_db
def test_a_report_is_as_likely_for_the_unregistered_and_capture_recapture_finds_the_residents(generate):
    # given: a province without second registrations, which only linkage tells from other people
    generate(persons=4000, seed=1, chunk_size=1000, rates=Rates(duplicate=0))
    truth = TruePerson.objects.filter(RESIDENT, departed_on__isnull=True)
    unregistered = list(truth.filter(registered=False).values_list("person_id", flat=True))
    # when
    registered, reported = _lists()
    n1, n2, m = len(registered), len(reported), len(registered & reported)
    k = sum(1 for pk in unregistered if pk in reported)
    # then: a report names the registered and the unregistered alike
    assert len(unregistered) > 200 and 0.5 < m / n1 < 0.99
    p = (m + k) / (n1 + len(unregistered))
    se = math.sqrt(p * (1 - p) * (1 / n1 + 1 / len(unregistered)))
    assert abs(m / n1 - k / len(unregistered)) < 3 * CLUSTERING * se
    # and Chapman's estimate (with Seber's variance) finds the true number of residents
    estimate = (n1 + 1) * (n2 + 1) / (m + 1) - 1
    se = math.sqrt((n1 + 1) * (n2 + 1) * (n1 - m) * (n2 - m) / ((m + 1) ** 2 * (m + 2)))
    assert n2 > m and abs(estimate - truth.count()) < 3 * CLUSTERING * se
