"""Station and street officers open landlord, employer and hotel accounts bound to objects in their scope."""

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.core.audit import audit_verify
from liuguan.core.errors import InvalidInput, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.registry.models import Employer, Lodging

from ..services import duty_holder_create

pytestmark = pytest.mark.django_db
PASSWORD = "Landlord-pass-2026!"


def create(actor, **kwargs):
    return duty_holder_create(actor=actor, username=kwargs.pop("username", "new_holder"), password=PASSWORD, **kwargs)


def test_a_station_officer_opens_each_kind_of_account(
    station, house_a, house_b, landlord_person, landlord_org, employer, lodging
):
    landlord = create(station, role=Role.LANDLORD, person_id=landlord_person.pk, username="ll1")
    company = create(station, role=Role.LANDLORD, organisation_id=landlord_org.pk, username="ll2")
    boss = create(station, role=Role.EMPLOYER, organisation_id=employer.pk, username="emp")
    hotel = create(station, role=Role.HOTEL, lodging_id=lodging.pk, username="hot")
    assert (landlord.person, company.organisation, boss.organisation, hotel.lodging) == (
        landlord_person,
        landlord_org,
        employer,
        lodging,
    )
    assert all(u.is_duty_holder and u.division_id is None for u in (landlord, company, boss, hotel))
    assert landlord.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="user.create").count() == 4 and audit_verify().ok


def test_the_bound_object_must_be_in_scope_and_fit_the_kind(
    station, house_other, landlord_person, divisions, person_in
):
    far_hotel = Lodging.objects.create(name="南山宾馆", community_id="510703001001")
    far_employer = Employer.objects.create(name="绵阳公司", industry="C", community_id="510703001001")
    cases = [
        (dict(role=Role.HOTEL, lodging_id=far_hotel.pk), "holder.hotel_in_scope"),
        (dict(role=Role.EMPLOYER, organisation_id=far_employer.pk), "holder.employer_in_scope"),
        (dict(role=Role.LANDLORD, person_id=person_in.pk), "holder.landlord_of_house"),  # lets no house
        (dict(role=Role.LANDLORD), "holder.landlord_one_party"),
        (dict(role=Role.COLLECTOR), "holder.role"),
    ]
    for kwargs, rule in cases:
        with pytest.raises(InvalidInput) as exc:
            create(station, **kwargs)
        assert rule in {p.rule for p in exc.value.problems}
    assert not User.objects.filter(username="new_holder").exists()


def test_weak_passwords_and_taken_names_are_refused(station, lodging):
    with pytest.raises(InvalidInput) as exc:
        duty_holder_create(
            actor=station, username="station_officer", password="123", role=Role.HOTEL, lodging_id=lodging.pk
        )
    assert {p.field for p in exc.value.problems} == {"username", "password"}


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.COUNTY_OFFICER, Role.POLICE])
def test_only_desk_officers_open_accounts(users, lodging, role):
    with pytest.raises(PermissionDenied):
        create(users[role], role=Role.HOTEL, lodging_id=lodging.pk)


def test_the_page_opens_an_account_and_the_holder_lands_on_its_own_page(station, lodging):
    response = login(station).post(
        "/compliance/holders/new/",
        {"role": "hotel", "username": "yuhe_hotel", "password": PASSWORD, "lodging_id": lodging.pk},
    )
    assert response.status_code == 302
    holder = User.objects.get(username="yuhe_hotel")
    page = login(holder).get("/", follow=True)
    assert page.redirect_chain[-1][0] == "/compliance/duties/"
    assert lodging.name in page.content.decode() and 'data-testid="duty-holder-nav"' in page.content.decode()
