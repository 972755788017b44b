"""Fixtures of the portal tests: a sender that keeps messages in memory, migrants signed in, a station."""

import re

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, login
from liuguan.geo.models import Office, OfficeKind


class MemorySender:
    """Keeps what would be texted, so a test can read the code."""

    outbox: list[tuple[str, str]] = []

    def __init__(self, **options):
        pass

    def send(self, *, phone: str, message: str) -> None:
        MemorySender.outbox.append((phone, message))


def last_code(phone: str) -> str:
    for to, message in reversed(MemorySender.outbox):
        if to == phone:
            return re.search(r"\d{6}", message).group(0)
    raise AssertionError(f"no code sent to {phone}")


@pytest.fixture(autouse=True)
def _memory_sms(settings):
    MemorySender.outbox = []
    settings.LIUGUAN_SMS = {"backend": "liuguan.portal.tests.conftest.MemorySender"}


def migrant_for(person=None, phone: str = "13800000001") -> User:
    user = User(username=f"m{phone}", role=Role.MIGRANT, phone=phone, person=person)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def migrant(person_in):
    """张三's own account (his registered phone 13912345678)."""
    return migrant_for(person_in, person_in.phone)


@pytest.fixture
def other_migrant(person_out):
    person_out.phone = "13700000002"
    person_out.save(update_fields=["phone"])
    return migrant_for(person_out, person_out.phone)


@pytest.fixture
def station(divisions):
    return Office.objects.create(
        kind=OfficeKind.STATION,
        name="东御河沿社区服务站",
        division=divisions[IN_COMMUNITY],
        address="东御河沿街 1 号",
        hours="周一至周五 9:00-17:00",
    )


@pytest.fixture
def migrant_client(migrant):
    return login(migrant)


@pytest.fixture
def other_client(other_migrant):
    return login(other_migrant)


from liuguan.permits.tests.conftest import clock, permit_policies  # noqa: E402,F401 (shared fixtures)
