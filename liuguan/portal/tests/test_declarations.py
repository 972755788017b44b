import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import FAR_COMMUNITY, IN_COMMUNITY, citizen_id, login
from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.geo.models import Office, OfficeKind
from liuguan.portal.models import PortalNotification, StayDeclaration
from liuguan.portal.services import declaration_accept, declaration_reject, declaration_submit
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import Person, Stay

from .conftest import migrant_for

NEW_ID = citizen_id("511321", "19950101", "357")


NEXT_DOOR = "510104001002"


def _declare(actor, **extra):
    values = {
        "community_code": NEXT_DOOR,
        "address": "东御河沿街 20 号 3 单元",
        "arrived_on": dt.date(2025, 3, 1),
        "reason": "work",
    }
    values.update(extra)
    return declaration_submit(actor=actor, **values)


def test_a_registered_migrant_declares_and_the_station_registers_the_stay(migrant, users, person_in):
    declaration = _declare(migrant)
    assert declaration.status == StayDeclaration.Status.PENDING

    declaration_accept(actor=users[Role.STREET_OFFICER], declaration_id=declaration.pk)

    declaration.refresh_from_db()
    stay = Stay.objects.get(pk=declaration.stay_id)
    assert (stay.person, stay.source_channel, stay.arrived_on) == (person_in, SourceChannel.SELF, dt.date(2025, 3, 1))
    assert PortalNotification.objects.filter(person=person_in).count() == 1


def test_a_newcomer_is_registered_as_self_declared_and_their_account_bound(users, divisions):
    newcomer = migrant_for(None, "13600000011")
    declaration = _declare(newcomer, doc_number=NEW_ID, name="钱七", hukou_address="四川省南充市")

    declaration_accept(actor=users[Role.STREET_OFFICER], declaration_id=declaration.pk)

    person = Person.objects.get(doc_number=NEW_ID)
    newcomer.refresh_from_db()
    assert person.source_channel == SourceChannel.SELF
    assert person.phone == "13600000011"
    assert newcomer.person == person


def test_a_newcomer_must_give_a_valid_identity(divisions):
    newcomer = migrant_for(None, "13600000012")
    with pytest.raises(InvalidInput) as refused:
        _declare(newcomer, doc_number="51132119950101", name="")
    assert {p.field for p in refused.value.problems} >= {"doc_number", "name"}
    assert not StayDeclaration.objects.exists()


def test_one_pending_declaration_at_a_time(migrant):
    _declare(migrant)
    with pytest.raises(Conflict):
        _declare(migrant, address="别处 1 号")


def test_rejection_tells_the_migrant_why(migrant, users, person_in):
    declaration = _declare(migrant)

    declaration_reject(actor=users[Role.STREET_OFFICER], declaration_id=declaration.pk, reason="地址不存在")

    note = PortalNotification.objects.get(person=person_in)
    assert note.body == "地址不存在"
    assert not Stay.objects.filter(person=person_in, source_channel=SourceChannel.SELF).exists()


def test_a_station_reviews_only_declarations_of_its_own_area(other_migrant, users):
    declaration = _declare(other_migrant, community_code=FAR_COMMUNITY)
    with pytest.raises(NotFound):
        declaration_accept(actor=users[Role.STATION_OFFICER], declaration_id=declaration.pk)
    declaration.refresh_from_db()
    assert declaration.status == StayDeclaration.Status.PENDING


def test_station_pages_queue_and_accept(migrant, users, person_in):
    declaration = _declare(migrant)
    client = login(users[Role.STREET_OFFICER])

    queue = client.get("/portal/declarations/").content.decode()
    assert f"D{declaration.pk}" in queue
    detail = client.get(f"/portal/declarations/{declaration.pk}/").content.decode()
    assert person_in.name not in detail  # masked on staff pages
    done = client.post(f"/portal/declarations/{declaration.pk}/", {"action": "accept", "house": ""})

    assert done.status_code == 302
    declaration.refresh_from_db()
    assert declaration.status == StayDeclaration.Status.ACCEPTED


def test_migrant_declares_through_the_page(migrant_client, divisions, person_in):
    Office.objects.create(kind=OfficeKind.STATION, name="西御河沿社区服务站", division=divisions[NEXT_DOOR])
    response = migrant_client.post(
        "/portal/declare/",
        {"community": NEXT_DOOR, "address": "西御河沿街 22 号", "arrived_on": "2025-04-01", "reason": "work"},
    )
    assert response.status_code == 302
    assert StayDeclaration.objects.get().person == person_in


def test_no_second_stay_in_a_community_where_one_is_open(migrant):
    with pytest.raises(Conflict):
        _declare(migrant, community_code=IN_COMMUNITY)
