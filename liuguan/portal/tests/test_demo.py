from io import StringIO

from django.core.management import call_command

from liuguan.portal.demo import demo_migrant, police_sittings_load, portal_demo_reset
from liuguan.portal.models import PoliceSitting

from .conftest import migrant_for


def test_sittings_load_once_per_station_and_the_demo_migrant_lives_by_a_station(station, person_in, person_out):
    person_out.phone = "13700000002"
    person_out.save(update_fields=["phone"])
    assert police_sittings_load() == 1
    assert police_sittings_load() == 0
    assert PoliceSitting.objects.get().office == station
    assert demo_migrant() == person_in  # person_out lives where there is no station

    out = StringIO()
    call_command("portal_demo", "--show", stdout=out)
    assert person_in.phone in out.getvalue() and "sms.log" in out.getvalue()


def test_reset_unbinds_migrant_accounts_of_generated_people(person_in):
    account = migrant_for(person_in, person_in.phone)
    assert portal_demo_reset((person_in.pk, person_in.pk))["migrant_accounts_unbound"] == 1
    account.refresh_from_db()
    assert account.person is None
