"""Two collectors register the same person at the same moment: one person and one stay come out."""

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.errors import Conflict
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import PersonInput, StayInput, person_register

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_registrations_end_as_one_person_and_one_stay(users):
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proven on PostgreSQL; SQLite serialises writers")
    number = citizen_id("510104", "19910203", "457")
    barrier = threading.Barrier(4)
    outcomes = []

    def register(user):
        try:
            barrier.wait(timeout=10)
            person_register(
                actor=user,
                person=PersonInput(doc_type="citizen_id", doc_number=number, name="赵敏"),
                stay=StayInput(community_code=IN_COMMUNITY, arrived_on=dt.date(2025, 4, 1), reason="work"),
            )
            outcomes.append("registered")
        except Conflict as exc:
            outcomes.append(exc.rule)
        finally:
            connections.close_all()

    collectors = [
        users[Role.COLLECTOR],
        users[Role.GRID_WORKER],
        users[Role.STATION_OFFICER],
        users[Role.STREET_OFFICER],
    ]
    threads = [threading.Thread(target=register, args=(u,)) for u in collectors]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["person.one_per_document"] * 3 + ["registered"]
    assert Person.objects.filter(doc_number=number).count() == 1
    assert Stay.objects.filter(person__doc_number=number).count() == 1
    assert audit_verify().ok
