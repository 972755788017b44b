"""Police notices about people whose hukou another instance serves go to that instance as messages."""

import datetime as dt

from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import api_client
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.models import OffenceNotice
from liuguan.exchange.services.police import BulletinInput, bulletin_issue, bulletins_sweep
from liuguan.outflow.models import OutboxMessage, Peer

from .outflow_support import JINJIANG_COMMUNITY, person_with_hukou, stay_at


def guizhou(peer_key):
    return Peer.objects.create(
        code="CN-52", name="贵州省流管平台", url="http://127.0.0.1:9", public_key=peer_key.public_b64, areas="52"
    )


def test_an_offence_by_someone_of_a_peers_area_is_sent_to_that_peer(users, token_for, person_out, peer_key, here):
    # 李四 lives in Mianyang with a hukou in Guizhou (522401)
    mianyang_police = User.objects.create(username="m-police", role=Role.POLICE, division_id="5107")
    guizhou(peer_key)
    body = {
        "person_id": person_out.pk,
        "offence": "盗窃电动车一辆",
        "occurred_on": (china_today() - dt.timedelta(days=2)).isoformat(),
    }
    response = api_client(token_for(mianyang_police)).post(
        "/api/exchange/offences", body, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    assert_matches_openapi("post", "/api/exchange/offences", response)
    assert response.json()["peer"] == "CN-52" and response.json()["doc_number_masked"] != person_out.doc_number
    message = OutboxMessage.objects.get()
    assert (message.kind, message.peer.code, message.payload["offence"]) == (
        "offence.notice",
        "CN-52",
        "盗窃电动车一辆",
    )
    assert message.payload["ref"] == response.json()["reference"]
    assert message.payload["issuing_unit_name"] == "四川省绵阳市"
    assert not OffenceNotice.objects.exists()
    assert AuditEvent.objects.filter(action="offence.forward", object_id=str(person_out.pk)).exists()


def test_a_bulletin_hit_on_someone_of_a_peers_area_is_told_to_that_peer(users, peer_key, here):
    guizhou(peer_key)
    wanted = person_with_hukou("522401")
    local = person_with_hukou("510107", name="钱十")
    now = timezone.now()
    for person in (wanted, local):
        bulletin_issue(
            actor=users[Role.POLICE],
            bulletin=BulletinInput(
                reason="涉嫌诈骗，请协查",
                valid_from=now - dt.timedelta(hours=1),
                valid_until=now + dt.timedelta(days=3),
                doc_number=person.doc_number,
            ),
        )
    stay_at(wanted, JINJIANG_COMMUNITY)
    stay_at(local, JINJIANG_COMMUNITY)
    bulletins_sweep()
    message = OutboxMessage.objects.get(kind="bulletin.hit")
    assert message.peer.code == "CN-52" and message.payload["person"]["doc_number"] == wanted.doc_number
    assert message.payload["grounds"] == "涉嫌诈骗，请协查" and message.payload["found_code"] == JINJIANG_COMMUNITY
    assert message.payload["found_name"] == "四川省成都市锦江区督院街街道东御河沿社区"
