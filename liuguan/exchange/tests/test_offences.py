"""Offence notices reach the police of the person's hukou county only; a hukou outside the province is refused
(it goes through the outflow exchange); the receivers acknowledge and the sender sees the status.
"""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Person

from ..models import OffenceNotice
from ..selectors_police import offence_inbox, offence_sent

pytestmark = pytest.mark.django_db
DAY = china_today() - dt.timedelta(days=2)


@pytest.fixture
def hukou_county(divisions):
    """Person_in's hukou is 511321 (南充市仪陇县)."""
    prefecture = Division.objects.create(code="5113", name="南充市", level=Level.PREFECTURE, parent=divisions["51"])
    return Division.objects.create(code="511321", name="仪陇县", level=Level.COUNTY, parent=prefecture)


@pytest.fixture
def yilong_police(hukou_county):
    return User.objects.create(username="yilong-police", role=Role.POLICE, division=hukou_county)


def send(user, token_for, person, **over):
    body = {"person_id": person.pk, "offence": "盗窃电动车一辆", "occurred_on": DAY.isoformat(), **over}
    return api_client(token_for(user)).post("/api/exchange/offences", body, content_type="application/json")


def test_a_notice_reaches_the_hukou_countys_police_only(users, token_for, person_in, yilong_police, divisions):
    police = users[Role.POLICE]
    response = send(police, token_for, person_in)
    assert response.status_code == 201, response.content
    assert_matches_openapi("post", "/api/exchange/offences", response)
    body = response.json()
    assert body["hukou_area"] == "511321" and body["status"] == "sent" and body["number"].startswith("WF510104")
    assert body["doc_number_masked"] != person_in.doc_number
    notice = OffenceNotice.objects.get()
    assert list(offence_inbox(user=yilong_police)) == [notice]
    assert list(offence_sent(user=police)) == [notice] and not offence_inbox(user=police).exists()
    mianyang = User.objects.create(username="my-police", role=Role.POLICE, division=divisions["5107"])
    assert not offence_inbox(user=mianyang).exists() and not offence_sent(user=mianyang).exists()
    # only the receivers acknowledge
    url = f"/api/exchange/offences/{notice.pk}/acknowledge"
    assert api_client(token_for(mianyang)).post(url).status_code == 404
    assert api_client(token_for(police)).post(url).status_code == 404
    notice.refresh_from_db()
    assert notice.status == "sent"
    done = api_client(token_for(yilong_police)).post(url)
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"
    sent = api_client(token_for(police)).get("/api/exchange/offences?box=sent")
    assert_matches_openapi("get", "/api/exchange/offences", sent)
    assert [n["status"] for n in sent.json()] == ["acknowledged"]
    assert AuditEvent.objects.filter(action__in=["offence.send", "offence.acknowledge"]).count() == 2


def test_a_hukou_outside_the_province_goes_through_the_outflow_exchange(users, token_for, person_out, divisions):
    # 李四 lives in Mianyang with a hukou in Guizhou (522401)
    mianyang_police = User.objects.create(username="m-police", role=Role.POLICE, division=divisions["5107"])
    response = send(mianyang_police, token_for, person_out)
    assert response.status_code == 422
    problem = response.json()["detail"][0]
    assert problem["rule"] == "offence.hukou_outside_province"
    assert "outflow" in problem["msg"].lower() or "流出" in problem["msg"]
    assert not OffenceNotice.objects.exists()


def test_only_police_send_and_only_about_people_they_see(users, token_for, person_in, person_out, hukou_county):
    assert send(users[Role.STATION_OFFICER], token_for, person_in).status_code == 403
    assert send(users[Role.POLICE], token_for, person_out).status_code == 404  # Mianyang, outside 510104
    bad = send(
        users[Role.POLICE],
        token_for,
        person_in,
        offence="",
        occurred_on=(china_today() + dt.timedelta(days=1)).isoformat(),
    )
    assert {p["rule"] for p in bad.json()["detail"]} == {"offence.required", "offence.date_future"}
    Person.objects.filter(pk=person_in.pk).update(hukou_code="")
    assert send(users[Role.POLICE], token_for, person_in).json()["detail"][0]["rule"] == "offence.hukou_unknown"
    assert not OffenceNotice.objects.exists()


def test_inbox_page_lists_received_notices(users, token_for, person_in, yilong_police):
    send(users[Role.POLICE], token_for, person_in)
    page = login(yilong_police).get("/exchange/offences/")
    html = page.content.decode()
    assert page.status_code == 200 and "盗窃电动车一辆" in html and person_in.doc_number not in html
    other = login(users[Role.POLICE]).get("/exchange/offences/")
    assert "盗窃电动车一辆" in other.content.decode()  # in its "sent" list, with the status
    assert login(users[Role.STATION_OFFICER]).get("/exchange/offences/").status_code == 403
