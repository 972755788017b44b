import datetime as dt
from collections import Counter

import pytest
from django.db.models import Count, Q

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.compliance.codes import AgreementKind, BreachKind, DutyChannel, ForeignDocKind
from liuguan.compliance.detection import detect_breaches
from liuguan.compliance.models import (
    AgreementTemplate,
    Breach,
    DutyReport,
    ForeignDocument,
    ResponsibilityAgreement,
    TenancyFiling,
    TenancyTenant,
)
from liuguan.compliance.selectors import own_houses, own_stays
from liuguan.demo.accounts import DEMO_PASSWORD
from liuguan.demo.models import DemoRun, DutyGap, DutyGapKind
from liuguan.registry.codes import HouseKind, Reason, SourceChannel
from liuguan.registry.models import Employer, House, Person, Stay

from .conftest import AS_OF


@pytest.mark.django_db
def test_the_province_has_landlords_filings_reports_agreements_and_hotel_guests(generate):
    run = generate(persons=1200)
    rental = House.objects.filter(kind=HouseKind.RENTAL)
    assert rental.count() > 300
    assert not rental.filter(landlord__isnull=True, landlord_org__isnull=True).exists()
    assert rental.filter(landlord_org__isnull=False).exists()
    assert rental.filter(rooms__gt=1).exists()
    houses_per_landlord = Counter(rental.exclude(landlord=None).values_list("landlord_id", flat=True))
    assert sum(1 for n in houses_per_landlord.values() if n >= 2) > 30
    # Most rental houses of registered tenants are filed, each tenant's stay at the filed house.
    lived_in = rental.filter(stay__isnull=False).distinct()
    assert TenancyFiling.objects.filter(house__in=lived_in).values("house").distinct().count() > 0.7 * lived_in.count()
    for tenant in TenancyTenant.objects.select_related("filing", "stay")[:300]:
        assert tenant.stay.house_id == tenant.filing.house_id and tenant.stay.person_id == tenant.person_id
    channels = Counter(DutyReport.objects.values_list("channel", flat=True))
    assert channels[DutyChannel.LANDLORD] > 300 and channels[DutyChannel.EMPLOYER] > 300
    assert channels[DutyChannel.HOTEL] > 10
    # Hotel guests: travellers registered by the hotel's report, a few foreigners among them.
    guests = Stay.objects.filter(lodging__isnull=False)
    assert guests.count() == channels[DutyChannel.HOTEL] == run.summary["counts"]["guest"]
    assert set(guests.values_list("reason", "source_channel").distinct()) == {(Reason.TRAVEL, SourceChannel.HOTEL)}
    assert all(g.departed_on is None or g.departed_on > g.arrived_on for g in guests)
    # Foreigners' documents (a few at this size): a foreign guest's visa, valid from before the arrival and
    # sometimes expired since; a resident's residence permit, expired two months at most, or permanent card.
    documents = ForeignDocument.objects.select_related("person")
    assert documents.exists()
    for document in documents:
        assert document.person.nationality != "CHN"
        if document.kind == ForeignDocKind.VISA:
            arrived = Stay.objects.get(person=document.person, lodging__isnull=False).arrived_on
            assert -20 <= (document.expires_on - arrived).days <= 120
        else:
            assert (document.expires_on - AS_OF).days >= -60
    # Agreements of every kind, signed under the text in use, some renewals among them.
    active = {t.kind: t.pk for t in AgreementTemplate.objects.filter(active=True)}
    kinds = Counter(ResponsibilityAgreement.objects.values_list("kind", flat=True))
    assert kinds[AgreementKind.LANDLORD] > 200 and kinds[AgreementKind.EMPLOYER] > 5 and kinds[AgreementKind.HOTEL] > 0
    assert all(a.template_id == active[a.kind] for a in ResponsibilityAgreement.objects.all())
    assert ResponsibilityAgreement.objects.filter(renews__isnull=False).count() > 100
    # Larger employers mostly hold an agreement, the smallest rarely.
    large = Employer.objects.filter(staff_size__gte=10)
    assert large.exists() and Employer.objects.filter(staff_size__lt=10).exists()
    signed = set(ResponsibilityAgreement.objects.filter(kind="employer").values_list("employer_id", flat=True))
    assert sum(1 for e in large if e.pk in signed) > 0.6 * large.count()
    # Every generated landlord is a real person with a valid local ID.
    landlords = Person.objects.filter(pk__in=list(houses_per_landlord))
    assert all(p.hukou_code == p.doc_number[:6] for p in landlords)
    assert run.summary["counts"]["landlord"] == landlords.count()


@pytest.mark.django_db
def test_each_injected_gap_names_a_stay_report_or_agreement_that_really_is_one(generate):
    run = generate(persons=1200)
    gaps = Counter(DutyGap.objects.values_list("kind", "channel"))
    assert gaps[(DutyGapKind.MISSING_REPORT, DutyChannel.LANDLORD)] > 10
    assert gaps[(DutyGapKind.MISSING_REPORT, DutyChannel.EMPLOYER)] > 10
    assert sum(n for (kind, _c), n in gaps.items() if kind == DutyGapKind.LATE_REPORT) > 20
    assert sum(n for (kind, _c), n in gaps.items() if kind == DutyGapKind.EXPIRED_AGREEMENT) > 10
    assert run.summary["duty_gaps"] == {f"{k}_{c}": n for (k, c), n in sorted(gaps.items())}
    for gap in DutyGap.objects.select_related("stay", "report", "agreement"):
        if gap.kind == DutyGapKind.MISSING_REPORT:
            stay = gap.stay
            assert stay.person_id == gap.person_id and stay.departed_on is None
            assert stay.source_channel != gap.channel
            place = (
                {"house_id": gap.house_id} if gap.channel == DutyChannel.LANDLORD else {"employer_id": gap.employer_id}
            )
            assert getattr(stay, next(iter(place))) == next(iter(place.values()))
            assert not DutyReport.objects.filter(channel=gap.channel, person_id=stay.person_id, **place).exists()
            if gap.channel == DutyChannel.LANDLORD:
                assert TenancyFiling.objects.filter(house_id=gap.house_id, starts_on__lte=stay.arrived_on).exists()
        elif gap.kind == DutyGapKind.LATE_REPORT:
            report = gap.report
            assert report.late and report.lag_days > report.deadline_days and report.channel == gap.channel
        else:
            agreement = gap.agreement
            assert agreement.ends_on < AS_OF - dt.timedelta(days=1) and agreement.terminated_on is None
            party = Q(house_id=agreement.house_id, lodging_id=agreement.lodging_id, employer_id=agreement.employer_id)
            assert not ResponsibilityAgreement.objects.filter(party, starts_on__gt=agreement.starts_on).exists()
    # Reports not marked late are on time.
    for report in DutyReport.objects.filter(late=False)[:500]:
        assert report.lag_days <= report.deadline_days


@pytest.mark.django_db
def test_every_stay_under_a_duty_is_reported_unless_it_is_an_injected_gap(generate):
    generate(persons=900)
    missing = set(DutyGap.objects.filter(kind=DutyGapKind.MISSING_REPORT).values_list("stay_id", "channel"))
    landlord = set(DutyReport.objects.filter(channel="landlord").values_list("person_id", "house_id"))
    employer = set(DutyReport.objects.filter(channel="employer").values_list("person_id", "employer_id"))
    filed = set(TenancyFiling.objects.values_list("house_id", flat=True))
    for stay in Stay.objects.filter(Q(house_id__in=filed) | Q(employer__isnull=False)):
        if stay.house_id in filed and (stay.id, "landlord") not in missing:
            assert (stay.person_id, stay.house_id) in landlord, stay.id
        if stay.employer_id and (stay.id, "employer") not in missing:
            assert (stay.person_id, stay.employer_id) in employer, stay.id


@pytest.mark.django_db
def test_detection_finds_exactly_the_injected_gaps(generate):
    generate(persons=900)
    detect_breaches(as_of=AS_OF)
    for channel in (DutyChannel.LANDLORD, DutyChannel.EMPLOYER):
        injected = DutyGap.objects.filter(kind=DutyGapKind.MISSING_REPORT, channel=channel)
        found = Breach.objects.filter(kind=BreachKind.MISSING_REPORT, channel=channel)
        assert set(found.values_list("stay_id", flat=True)) == set(injected.values_list("stay_id", flat=True))
    late = set(DutyGap.objects.filter(kind=DutyGapKind.LATE_REPORT).values_list("report_id", flat=True))
    assert set(Breach.objects.filter(kind=BreachKind.LATE_REPORT).values_list("report_id", flat=True)) == late


@pytest.mark.django_db
def test_landlord_employer_and_hotel_accounts_are_bound_to_their_own_houses_staff_and_guests(generate):
    generate(persons=800)
    users = {u.username: u for u in User.objects.filter(username__in=("landlord", "employer", "hotel"))}
    assert {u.role for u in users.values()} == {Role.LANDLORD, Role.EMPLOYER, Role.HOTEL}
    for user in users.values():
        assert user.division_id is None and user.is_duty_holder and user.check_password(DEMO_PASSWORD)
    landlord = users["landlord"]
    houses = list(own_houses(landlord))
    assert len(houses) >= 2 and all(h.landlord_id == landlord.person_id for h in houses)
    assert TenancyFiling.objects.filter(house__in=houses).exists()
    assert own_stays(users["employer"]).exists()
    assert own_stays(users["hotel"]).filter(lodging_id=users["hotel"].lodging_id).exists()


@pytest.mark.django_db
def test_reset_takes_the_duty_records_and_breaches_along_and_the_next_run_binds_the_accounts_again(generate):
    # given: a run whose breaches were detected
    generate(persons=500)
    detect_breaches(as_of=AS_OF)
    assert Breach.objects.exists()
    # when
    generate(persons=400, seed=8, reset=True)
    # then: only the new run's duty records remain, and the accounts point at its objects
    assert DemoRun.objects.count() == 1 and not Breach.objects.exists()
    assert DutyGap.objects.values("run").distinct().count() == 1
    people = set(Person.objects.values_list("pk", flat=True))
    assert set(DutyReport.objects.values_list("person_id", flat=True)) <= people
    assert set(TenancyTenant.objects.values_list("person_id", flat=True)) <= people
    landlord = User.objects.get(username="landlord")
    assert landlord.person_id in people
    assert House.objects.filter(landlord_id=landlord.person_id).annotate(n=Count("filings")).exists()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_duties(generate):
    def snapshot():
        return (
            sorted(TenancyFiling.objects.values_list("number", "house__address", "starts_on", "ends_on")),
            sorted(ResponsibilityAgreement.objects.values_list("number", "party_name", "ends_on")),
            sorted(DutyReport.objects.values_list("channel", "person__doc_number", "occurred_on", "lag_days")),
            sorted(DutyGap.objects.values_list("kind", "channel", "stay__person__doc_number", "agreement__number")),
        )

    generate(seed=11, persons=400)
    first = snapshot()
    generate(seed=11, persons=400, reset=True)
    assert snapshot() == first
    assert len(first[0]) > 50 and len(first[3]) > 10
