"""Bulletins over the API and on pages: issue, hits for the issuing unit only, work a hit, withdraw."""

import datetime as dt

import pytest
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.testing import assert_matches_openapi

from ..models import Bulletin, BulletinHit

pytestmark = pytest.mark.django_db


def issue(client, **given):
    body = {"reason": "涉嫌诈骗，请协查", "valid_until": (timezone.now() + dt.timedelta(days=10)).isoformat(), **given}
    return client.post("/api/exchange/bulletins", body, content_type="application/json")


def test_issue_and_see_new_hits_over_the_api(users, token_for, person_in, divisions):
    police = api_client(token_for(users[Role.POLICE]))
    response = issue(police, doc_number=person_in.doc_number)
    assert response.status_code == 201, response.content
    assert_matches_openapi("post", "/api/exchange/bulletins", response)
    assert response.json()["hits"] == 1 and response.json()["identifiers"] == ["doc_number"]
    hits = police.get("/api/exchange/bulletins/hits?status=new")
    assert_matches_openapi("get", "/api/exchange/bulletins/hits", hits)
    [hit] = hits.json()
    assert hit["person_id"] == person_in.pk and hit["community_code"] == "510104001001"
    assert hit["since"] == "2024-05-01" and hit["doc_number_masked"] != person_in.doc_number
    # another district's police see nothing, and cannot work it
    wuhou = User.objects.create(username="wuhou", role=Role.POLICE, division=divisions["510107"])
    other = api_client(token_for(wuhou))
    assert other.get("/api/exchange/bulletins/hits?status=new").json() == []
    work = {"status": "dismissed", "conclusion": "同名同生日，非本人"}
    assert (
        other.post(f"/api/exchange/bulletins/hits/{hit['id']}", work, content_type="application/json").status_code
        == 404
    )
    done = police.post(f"/api/exchange/bulletins/hits/{hit['id']}", work, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "dismissed"
    assert police.get("/api/exchange/bulletins/hits?status=new").json() == []
    # non-police roles are refused
    station = api_client(token_for(users[Role.STATION_OFFICER]))
    assert station.get("/api/exchange/bulletins/hits").status_code == 403
    assert issue(station, phone="13800001111").status_code == 403


def test_bad_bulletin_input_names_field_and_rule(users, token_for):
    police = api_client(token_for(users[Role.POLICE]))
    response = issue(police)
    assert response.status_code == 422
    assert response.json()["detail"][0]["rule"] == "bulletin.identifier_required"
    assert not Bulletin.objects.exists()
    # a validity without a time zone is read in China's
    naive = issue(police, phone="13800001111", valid_until="2099-01-01T08:00:00")
    assert naive.status_code == 201 and naive.json()["valid_until"].startswith("2099-01-01T")


def test_withdrawn_bulletin_hits_nothing_afterwards(users, token_for, person_in):
    police = api_client(token_for(users[Role.POLICE]))
    bulletin = issue(police, phone="13500005555").json()
    done = police.post(
        f"/api/exchange/bulletins/{bulletin['id']}/withdraw", {"reason": "已到案"}, content_type="application/json"
    )
    assert done.status_code == 200 and done.json()["status"] == "withdrawn"
    login(users[Role.COLLECTOR]).post(f"/registry/people/{person_in.pk}/contact/", {"phone": "13500005555"})
    person_in.refresh_from_db()
    assert person_in.phone == "13500005555"
    assert not BulletinHit.objects.exists()


def test_pages_show_the_new_hit_count_and_work_a_hit(users, person_in):
    client = login(users[Role.POLICE])
    until = (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    since = (timezone.localtime() - dt.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    created = client.post(
        "/exchange/bulletins/",
        {
            "reason": "涉嫌盗窃，请协查",
            "doc_type": "citizen_id",
            "doc_number": person_in.doc_number,
            "valid_from": since,
            "valid_until": until,
        },
    )
    assert created.status_code == 302, created.content.decode()[:2000]
    home = client.get("/exchange/bulletins/hits/").content.decode()
    assert 'data-testid="new-hits">1<' in home and person_in.name in home and person_in.doc_number not in home
    hit = BulletinHit.objects.get()
    client.post(f"/exchange/bulletins/hits/{hit.pk}/work/", {"status": "confirmed", "conclusion": "已核实为本人"})
    hit.refresh_from_db()
    assert hit.status == "confirmed"
    assert 'data-testid="new-hits"' not in client.get("/exchange/bulletins/").content.decode()
    assert login(users[Role.STATION_OFFICER]).get("/exchange/bulletins/hits/").status_code == 403
