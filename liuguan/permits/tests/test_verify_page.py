"""The public verification page: no login, the live state in one word, a masked name and nothing else;
every check logged without the checker's address; revocation and replacement answer at once."""

import pytest
from django.test import Client

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import OUT_COMMUNITY
from liuguan.permits.models import Permit, Verification
from liuguan.permits.services import permit_endorse, permit_replace, permit_revoke, permits_refresh
from liuguan.permits.services.documents import client_digest
from liuguan.permits.tokens import token_for

from ._permdoc import D, permit_in_hand


@pytest.fixture
def station(users):
    return users[Role.STATION_OFFICER]


@pytest.fixture
def temporary(station, permit_policies, resident, clock):
    person = resident("张三丰", arrived_on=D(2025, 1, 10), address="东御河沿街 18 号 3 单元 502 室")
    person.phone = "13987654321"
    person.save(update_fields=["phone"])
    clock(D(2025, 3, 3))
    return permit_in_hand(station, person, permit_kind="temporary")


@pytest.fixture
def mianyang(divisions):
    return User.objects.create(username="mianyang", role=Role.STATION_OFFICER, division=divisions[OUT_COMMUNITY])


@pytest.fixture
def national(mianyang, permit_policies, resident, clock):
    """A national permit issued and handed over on 15 March 2024: endorse by 15 March 2025 or be suspended."""
    person = resident("李小龙", community=OUT_COMMUNITY, arrived_on=D(2023, 6, 1), address="临园路 9 号")
    clock(D(2024, 3, 15))
    return permit_in_hand(mianyang, person, permit_kind="permit")


def _check(permit_or_token, *, address="203.0.113.7", language="zh-hans"):
    token = permit_or_token if isinstance(permit_or_token, str) else token_for(permit_or_token)
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language)
    return client.get(f"/v/{token}")


def _answer(response) -> str:
    html = response.content.decode()
    return html.split('data-answer="', 1)[1].split('"', 1)[0]


def test_anyone_sees_the_state_the_kind_the_date_and_a_masked_name_only(temporary):
    response = _check(temporary)
    assert response.status_code == 200
    html = response.content.decode()
    assert _answer(response) == "valid"
    assert "临时居住证" in html and "张**" in html and "2026-03-02" in html
    person = temporary.person
    for secret in (
        "张三丰",
        temporary.number,
        person.doc_number,
        person.doc_number[-4:],
        "东御河沿街",
        "锦江区",
        "1990",
        temporary.issuer,
        person.phone,
    ):
        assert secret not in html, secret
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_every_check_is_logged_with_a_keyed_digest_of_the_address_not_the_address(temporary):
    _check(temporary, address="203.0.113.7")
    _check(temporary, address="203.0.113.7")
    _check(temporary, address="198.51.100.9")
    _check("1.forgedforgedforg.AAAAAAAAAAAAAAAAAAAAAA", address="198.51.100.9")
    rows = list(Verification.objects.order_by("id").values_list("permit_id", "answer", "client"))
    first = client_digest("203.0.113.7")
    assert rows == [
        (temporary.pk, "valid", first),
        (temporary.pk, "valid", first),
        (temporary.pk, "valid", client_digest("198.51.100.9")),
        (None, "invalid", client_digest("198.51.100.9")),
    ]
    assert len(first) == 16 and "203" not in first and first != client_digest("203.0.113.8")


def test_a_revoked_permit_verifies_as_revoked_at_once(temporary, station, clock):
    assert _answer(_check(temporary)) == "valid"
    clock(D(2025, 5, 6))
    permit_revoke(actor=station, permit_id=temporary.pk, reason="以虚假材料骗领")
    response = _check(temporary)
    assert _answer(response) == "revoked"
    assert "以虚假材料骗领" not in response.content.decode()  # the reason is not the public's business


def test_an_overdue_endorsement_suspends_before_the_nightly_job_and_a_late_one_restores(national, clock, mianyang):
    clock(D(2025, 3, 15))
    response = _check(national)
    assert _answer(response) == "valid" and "2025-03-15" in response.content.decode()  # endorse by then
    clock(D(2025, 3, 16))
    national.refresh_from_db()
    assert national.status == "valid"  # the nightly refresh has not run ...
    response = _check(national)
    assert _answer(response) == "suspended" and "2025-03-16" in response.content.decode()  # ... the page knows
    permits_refresh(D(2025, 3, 16))
    assert _answer(_check(national)) == "suspended"
    clock(D(2025, 4, 2))
    permit_endorse(actor=mianyang, permit_id=national.pk)
    response = _check(national)
    assert _answer(response) == "valid" and "2026-04-02" in response.content.decode()  # counted from the late one


def test_a_temporary_permit_past_its_year_verifies_as_expired(temporary, clock):
    clock(D(2026, 3, 2))
    assert _answer(_check(temporary)) == "valid"
    clock(D(2026, 3, 3))
    response = _check(temporary)
    assert _answer(response) == "expired" and "2026-03-02" in response.content.decode()


def test_a_replaced_card_answers_replaced_and_the_new_card_valid(national, clock, mianyang):
    old_token = token_for(national)
    clock(D(2024, 9, 1))
    new = permit_replace(actor=mianyang, permit_id=national.pk, reason="遗失补领")
    assert _answer(_check(old_token)) == "replaced"
    assert _answer(_check(new)) == "pending"  # printed and handed over like any card
    assert _answer(_check(token_for(Permit.objects.get(pk=new.pk)))) == "pending"


def test_a_new_nonce_on_the_same_permit_voids_cards_printed_before(temporary):
    old_token = token_for(temporary)
    temporary.token_nonce = "fresh-nonce-0001"
    temporary.save(update_fields=["token_nonce"])
    assert _answer(_check(old_token)) == "replaced"
    assert _answer(_check(token_for(temporary))) == "valid"


def test_an_issued_card_not_yet_handed_over_is_not_yet_in_force(station, permit_policies, resident, clock):
    clock(D(2025, 3, 3))
    permit = permit_in_hand(
        station, resident("周杰", arrived_on=D(2025, 1, 10)), permit_kind="temporary", handed_over=False
    )
    assert _answer(_check(permit)) == "pending"


@pytest.mark.parametrize(
    "token",
    ["1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA", "garbage", "1" * 300, "%E5%BC%A0", "1.a.b"],
)
def test_a_forged_or_malformed_token_answers_not_valid_and_shows_nothing(temporary, token):
    response = _check(token)
    assert response.status_code == 200
    assert _answer(response) == "invalid"
    html = response.content.decode()
    assert "张" not in html and "临时居住证" not in html
    assert Verification.objects.get().answer == "invalid"


def test_a_token_of_a_permit_that_does_not_exist_answers_not_valid(temporary):
    fake = type("P", (), {"pk": temporary.pk + 1000, "token_nonce": temporary.token_nonce})()
    assert _answer(_check(token_for(fake))) == "invalid"


def test_one_address_is_limited_and_others_are_not(temporary, settings):
    settings.LIUGUAN_PERMIT_VERIFY_LIMIT = (3, 600)
    for _ in range(3):
        assert _check(temporary, address="192.0.2.1").status_code == 200
    limited = _check(temporary, address="192.0.2.1")
    assert limited.status_code == 429 and limited["Retry-After"] == "600"
    assert "张**" not in limited.content.decode()
    assert _answer(_check(temporary, address="192.0.2.2")) == "valid"
    assert Verification.objects.count() == 4  # the refused check gave no answer


def test_the_page_speaks_the_visitors_language_chinese_first(temporary):
    assert 'lang="zh-hans"' in _check(temporary, language="").content.decode()
    assert 'lang="en"' in _check(temporary, language="en").content.decode()
