"""Hand-made permits, insurance records and houses for the rights, certificate and pre-check tests."""

import datetime as dt
import itertools

from liuguan.compliance.models import TenancyFiling, TenancyTenant
from liuguan.exchange.models import Department, DepartmentFact
from liuguan.permits.models import Application, Endorsement, Permit
from liuguan.registry.models import House

_numbers = itertools.count(1)


def make_permit(person, policy, *, kind, issued_on, status="valid", endorsed=()) -> Permit:
    """A permit as the workflow would leave it, without going through it."""
    n = next(_numbers)
    stay = person.stays.order_by("-arrived_on").first()
    application = Application.objects.create(
        number=f"RA{n:08d}",
        person=person,
        stay=stay,
        community_id=stay.community_id,
        permit_kind=kind,
        condition="employment",
        policy=policy,
        status="approved",
    )
    permit = Permit.objects.create(
        number=f"RP{n:08d}",
        person=person,
        application=application,
        community_id=stay.community_id,
        kind=kind,
        policy=policy,
        status=status,
        issued_on=issued_on,
        counted_from=issued_on,
        issuer="成都市公安局锦江区分局",
        address=stay.address,
        token_nonce=f"nonce{n}",
    )
    for day in endorsed:
        Endorsement.objects.create(permit=permit, on=day)
    return permit


def insurance(person, occurred_on: dt.date, *, months=None, reference=None) -> DepartmentFact:
    department = Department.objects.get_or_create(code="hrss", defaults={"name": "人力资源和社会保障局"})[0]
    return DepartmentFact.objects.create(
        person=person,
        department=department,
        kind=DepartmentFact.Kind.SOCIAL_INSURANCE,
        reference=reference or f"SI{next(_numbers)}",
        occurred_on=occurred_on,
        details={"months": months} if months is not None else {},
    )


def house_for(person, kind: str) -> House:
    """Put the person's open stay at a house of the kind."""
    stay = person.stays.get(departed_on__isnull=True)
    house = House.objects.create(address="东御河沿街 18 号", community_id=stay.community_id, kind=kind)
    stay.house = house
    stay.save(update_fields=["house"])
    return house


def file_tenancy(person, house, *, starts_on: dt.date, ends_on: dt.date, status="active") -> TenancyFiling:
    filing = TenancyFiling.objects.create(
        number=f"TF{next(_numbers):08d}",
        house=house,
        community_id=house.community_id,
        landlord_name="房东",
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
    )
    TenancyTenant.objects.create(filing=filing, person=person)
    return filing
