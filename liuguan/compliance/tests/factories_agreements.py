"""Hand-made places, people, stays, filings and reports for the agreement, breach and classification tests.

Rows are created with the ORM so these tests do not depend on the tenancy and report services.
"""

import datetime as dt
import itertools

from liuguan.compliance.models import DutyReport, ResponsibilityAgreement, TenancyFiling, TenancyTenant
from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.registry.models import Employer, House, Lodging, Person, Stay

_seq = itertools.count(100)


def person(name="赵敏", *, nationality="CHN", doc_type="citizen_id", number=None) -> Person:
    n = next(_seq)
    return Person.objects.create(
        doc_type=doc_type,
        doc_number=number or citizen_id("510104", "19900101", f"{n:03d}"[-3:]),
        name=name,
        name_pinyin=f"p{n}",
        name_initials=f"p{n}",
        sex="F",
        birth_date=dt.date(1990, 1, 1),
        nationality=nationality,
    )


def house(community=IN_COMMUNITY, *, kind="rental", owner="房东甲") -> House:
    return House.objects.create(
        community_id=community,
        address=f"测试路 {next(_seq)} 号",
        kind=kind,
        is_rented=kind == "rental",
        owner_name=owner,
    )


def employer(community=IN_COMMUNITY, *, staff=20, name=None) -> Employer:
    return Employer.objects.create(
        community_id=community, name=name or f"测试公司{next(_seq)}", industry="C", staff_size=staff
    )


def lodging(community=IN_COMMUNITY, *, name=None) -> Lodging:
    return Lodging.objects.create(community_id=community, name=name or f"测试宾馆{next(_seq)}", address="宾馆路 1 号")


def stay(who, *, arrived_on, community=None, source="collector", departed_on=None, late=False, **places) -> Stay:
    place = places.get("house") or places.get("employer") or places.get("lodging")
    return Stay.objects.create(
        person=who,
        community_id=community or (place.community_id if place else IN_COMMUNITY),
        reason="work",
        arrived_on=arrived_on,
        departed_on=departed_on,
        source_channel=source,
        late=late,
        **places,
    )


def filing(on_house, *, starts_on, ends_on, status="active", ended_on=None, tenants=()) -> TenancyFiling:
    row = TenancyFiling.objects.create(
        number=f"F{next(_seq)}",
        house=on_house,
        community_id=on_house.community_id,
        landlord_name=on_house.owner_name or "房东",
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
        ended_on=ended_on,
    )
    for tenant in tenants:
        TenancyTenant.objects.create(filing=row, person=tenant)
    return row


def report(channel, who, *, occurred_on, deadline_days, lag_days, kind="arrival", **places) -> DutyReport:
    place = places.get("house") or places.get("employer") or places.get("lodging")
    return DutyReport.objects.create(
        channel=channel,
        kind=kind,
        community_id=place.community_id,
        person=who,
        occurred_on=occurred_on,
        deadline_days=deadline_days,
        lag_days=lag_days,
        late=lag_days > deadline_days,
        outcome="created",
        **places,
    )


def agreement(kind, party, *, starts_on, ends_on, terminated_on=None, number=None) -> ResponsibilityAgreement:
    from liuguan.compliance.models import AgreementTemplate

    field = {"landlord": "house", "hotel": "lodging", "employer": "employer"}[kind]
    return ResponsibilityAgreement.objects.create(
        number=number or f"T-{next(_seq)}",
        kind=kind,
        template=AgreementTemplate.objects.get(kind=kind, version=1),
        community_id=party.community_id,
        party_name=str(party),
        signatory="签字人",
        signed_on=starts_on,
        starts_on=starts_on,
        ends_on=ends_on,
        terminated_on=terminated_on,
        **{field: party},
    )
