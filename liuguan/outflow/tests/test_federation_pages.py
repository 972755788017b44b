"""The federation's administration: only the province administrator; peers added, changed and switched off
through the validated, audited services, from the pages and from the command line.
"""

import io

import pytest
from django.core.management import CommandError, call_command

from liuguan.accounts.roles import Role
from liuguan.conftest import ROLE_DIVISIONS, login
from liuguan.core.audit import SYSTEM
from liuguan.core.errors import InvalidInput
from liuguan.core.models import AuditEvent
from liuguan.outflow import keys
from liuguan.outflow.models import OutboxMessage, Peer, Refusal
from liuguan.outflow.services.messages import OUTFLOW_NOTICE
from liuguan.outflow.services.outbox import message_enqueue
from liuguan.outflow.services.peers import peer_save

from .federation_support import PeerKey

PAGES = ["/federation/", "/federation/peers/new/", "/federation/outbox/", "/federation/received/",
         "/federation/refusals/"]  # fmt: skip


def _form(key, **changes):
    data = {"code": "CN-44", "name": "广东", "url": "https://lg.gd.example/", "public_key": key, "areas": "44"}
    data |= {"active": "on"}
    return data | changes


@pytest.mark.parametrize("role", list(ROLE_DIVISIONS), ids=lambda r: r.value)
def test_only_the_province_administrator_sees_the_federation(users, here, role):
    client = login(users[role])
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == (200 if role == Role.PROVINCE_ADMIN else 403), (path, role)


def test_the_index_shows_the_identity_and_key_to_give_peers(users, here, peer, settings):
    settings.LIUGUAN_PUBLIC_URL = "https://lg.sc.example"
    page = login(users[Role.PROVINCE_ADMIN]).get("/federation/").content.decode()
    assert 'data-testid="instance">CN-51<' in page and keys.public_key_b64() in page
    assert "https://lg.sc.example/federation/inbox" in page
    assert 'data-testid="peer-CN-50"' in page


def test_a_peer_is_added_changed_and_switched_off_from_the_pages(users, here):
    client = login(users[Role.PROVINCE_ADMIN])
    key = PeerKey().public_b64
    bad = client.post("/federation/peers/new/", _form("c2hvcnQ=", code="cn 44", areas="44,abc", url="ftp://x"))
    assert bad.status_code == 422
    errors = bad.context["form"].errors
    assert set(errors) == {"code", "public_key", "areas", "url"}
    assert not Peer.objects.exists()

    added = client.post("/federation/peers/new/", _form(key, grants=["person.basic"]))
    assert added.status_code == 302
    peer = Peer.objects.get()
    assert (peer.code, peer.url, peer.areas, peer.grants, peer.active) == (
        "CN-44", "https://lg.gd.example", "44", ["person.basic"], True,
    )  # fmt: skip
    assert AuditEvent.objects.get(action="federation.peer_add").actor_username == "province_admin"

    changed = client.post("/federation/peers/CN-44/", _form(key, code="CN-99", areas="4401，4403"))
    assert changed.status_code == 302
    peer.refresh_from_db()
    assert (peer.code, peer.areas, peer.grants) == ("CN-44", "4401,4403", [])
    event = AuditEvent.objects.get(action="federation.peer_update")
    assert event.changes["areas"] == ["44", "4401,4403"] and "url" not in event.changes

    assert client.post("/federation/peers/CN-44/off/").status_code == 302
    peer.refresh_from_db()
    assert not peer.active and AuditEvent.objects.filter(action="federation.peer_deactivate").count() == 1
    assert client.get("/federation/peers/CN-77/").status_code == 404


def test_a_peer_cannot_take_this_instances_identity(db, here):
    with pytest.raises(InvalidInput) as exc:
        key = PeerKey().public_b64
        peer_save(actor=SYSTEM, code="CN-51", name="x", url="http://lg-cq:8000", public_key=key, areas="50")
    assert [p.rule for p in exc.value.problems] == ["federation.code_self"]


def test_the_outbox_page_filters_and_sends_a_given_up_message_again(users, peer):
    message = message_enqueue(peer=peer, kind=OUTFLOW_NOTICE, payload={}, subject="person:1")
    OutboxMessage.objects.filter(pk=message.pk).update(status="dead", last_error="timed out")
    client = login(users[Role.PROVINCE_ADMIN])
    page = client.get("/federation/outbox/", {"status": "dead"}).content.decode()
    assert str(message.message_id) in page and "timed out" in page
    assert str(message.message_id) not in client.get("/federation/outbox/", {"status": "delivered"}).content.decode()
    response = client.post(f"/federation/outbox/{message.message_id}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "pending"
    assert login(users[Role.COUNTY_OFFICER]).post(f"/federation/outbox/{message.message_id}/retry/").status_code == 403


def test_refusals_and_received_messages_are_listed(users, peer):
    Refusal.objects.create(reason="bad_signature", claimed_peer="CN-50", kind="departure", remote_addr="10.1.2.3")
    client = login(users[Role.PROVINCE_ADMIN])
    page = client.get("/federation/refusals/").content.decode()
    assert "10.1.2.3" in page and "CN-50" in page
    assert client.get("/federation/received/").status_code == 200


def test_the_commands_print_the_identity_and_configure_peers(here, db, settings):
    settings.LIUGUAN_PUBLIC_URL = "https://lg.sc.example"
    out = io.StringIO()
    call_command("federation_identity", stdout=out)
    assert "CN-51" in out.getvalue() and keys.public_key_b64() in out.getvalue()
    assert "https://lg.sc.example/federation/inbox" in out.getvalue()

    key = PeerKey().public_b64
    call_command(
        "federation_peer", "--add", "CN-50", "--name", "重庆", "--url", "http://127.0.0.1:8050",
        "--public-key", key, "--areas", "50", "--grant", "person.basic", stdout=io.StringIO(),
    )  # fmt: skip
    peer = Peer.objects.get()
    assert (peer.code, peer.areas, peer.grants, peer.public_key) == ("CN-50", "50", ["person.basic"], key)
    assert AuditEvent.objects.get(action="federation.peer_add").source == "cli"
    with pytest.raises(CommandError, match="exists"):
        call_command("federation_peer", "--add", "CN-50", "--name", "x", stdout=io.StringIO())
    call_command("federation_peer", "--update", "CN-50", "--url", "http://127.0.0.1:8051", stdout=io.StringIO())
    peer.refresh_from_db()
    assert (peer.url, peer.grants, peer.public_key) == ("http://127.0.0.1:8051", ["person.basic"], key)
    with pytest.raises(CommandError, match="public_key"):
        call_command("federation_peer", "--update", "CN-50", "--public-key", "bm90IGEga2V5", stdout=io.StringIO())
    call_command("federation_peer", "--deactivate", "CN-50", stdout=io.StringIO())
    listed = io.StringIO()
    call_command("federation_peer", "--list", stdout=listed)
    assert "CN-50\toff\thttp://127.0.0.1:8051" in listed.getvalue()
    with pytest.raises(CommandError, match="No peer"):
        call_command("federation_peer", "--deactivate", "CN-77", stdout=io.StringIO())
    sent = io.StringIO()
    call_command("federation_send", stdout=sent)
    assert sent.getvalue().strip() == "delivered=0 rejected=0 retry=0 dead=0"
