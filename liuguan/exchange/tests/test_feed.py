"""The change feed: a subsystem reads a dataset's changes after a cursor, cut to its feed grants' fields and areas,
replays from any cursor and acknowledges how far it got; without a grant it gets 403 and the log shows it.
"""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import api_client
from liuguan.core.audit import audit_verify
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.exchange.hub import CallContext, access_log
from liuguan.exchange.models import FeedPosition
from liuguan.exchange.tests.factories import key_for, make_department, make_grant, make_subsystem
from liuguan.registry.services import person_reveal, person_update_contact

FEED = "/api/exchange/feeds/people"


def collector_at(community: str, name: str) -> User:
    return User.objects.create(username=name, role=Role.COLLECTOR, division_id=community)


def change_phone(person, phone: str) -> int:
    """A real change through the register's service; returns its event id (the feed's cursor)."""
    actor = collector_at(person.stays.first().community_id, f"c-{person.pk}-{phone}")
    person_update_contact(actor=actor, person_id=person.pk, phone=phone)
    return AuditEvent.objects.filter(action="person.update", object_id=str(person.pk)).latest("id").pk


@pytest.fixture
def hrss(divisions):
    return make_subsystem(make_department("hrss", "人力资源和社会保障局"), "insurance")


def refusals(subsystem, action="exchange.feed"):
    return AuditEvent.objects.filter(actor_id=subsystem.account_id, action=action, changes__outcome="refused")


def test_feed_sends_current_granted_fields_of_records_inside_the_area(hrss, users, person_in, person_out, person_far):
    # given: a feed grant for Chengdu, two fields; changes in Chengdu, Mianyang and Chongqing; reads of the person
    make_grant(hrss, "people", fields=["name", "phone"], ways=["feed"], area="5101")
    first = change_phone(person_in, "13800000001")
    change_phone(person_out, "13800000002")
    change_phone(person_far, "13800000003")
    last = change_phone(person_in, "13800000004")
    person_reveal(actor=users[Role.STATION_OFFICER], person_id=person_in.pk, purpose="核对身份信息")
    context = CallContext(subsystem=hrss, end_user="u", purpose="p", case_ref="")
    access_log(context=context, action="exchange.query", dataset="people", outcome="ok", request={}, response={},
               obj=person_in)  # fmt: skip

    # when
    response = api_client(key_for(hrss)).get(f"{FEED}?after=0&limit=100")

    # then: only Chengdu's changes, only the two fields, current values (the later phone in both events)
    assert response.status_code == 200, response.content
    assert_matches_openapi("GET", f"{FEED}?after=0", response)
    body = response.json()
    assert [e["cursor"] for e in body["events"]] == [first, last]
    assert all(e["values"] == {"name": "张三", "phone": "13800000004"} for e in body["events"])
    assert all(e["object_id"] == str(person_in.pk) and e["action"] == "person.update" for e in body["events"])
    assert body["more"] is False
    assert body["next_cursor"] >= last
    log = AuditEvent.objects.filter(actor_id=hrss.account_id, action="exchange.feed").latest("id")
    assert log.changes["outcome"] == "ok" and log.changes["events"] == 2 and log.changes["withheld"] == 2
    assert audit_verify().ok


def test_another_area_sees_only_its_own_records(hrss, person_in, person_out):
    make_grant(hrss, "people", fields=["doc_number"], ways=["feed"], area="5107")
    change_phone(person_in, "13800000001")
    mianyang = change_phone(person_out, "13800000002")

    body = api_client(key_for(hrss)).get(f"{FEED}?after=0").json()

    assert [(e["cursor"], e["values"]) for e in body["events"]] == [(mianyang, {"doc_number": person_out.doc_number})]


def test_replay_from_an_earlier_cursor_gives_the_same_events_and_ack_moves_the_start(hrss, person_in, person_out):
    make_grant(hrss, "people", fields=["name"], ways=["feed"], area="51")
    cursors = [change_phone(p, f"1380000000{i}") for i, p in enumerate([person_in, person_out, person_in, person_out])]
    client = api_client(key_for(hrss))

    # pages of one, following next_cursor
    seen, after = [], 0
    for _ in range(10):
        body = client.get(f"{FEED}?after={after}&limit=1").json()
        seen += [e["cursor"] for e in body["events"]]
        after = body["next_cursor"]
        if not body["more"]:
            break
    assert seen == cursors

    # a replay from the second cursor gives the same later events, again
    replay = client.get(f"{FEED}?after={cursors[1]}&limit=10").json()
    assert [e["cursor"] for e in replay["events"]] == cursors[2:]
    again = client.get(f"{FEED}?after={cursors[1]}&limit=10").json()
    assert again["events"] == replay["events"]

    # acknowledging the second: a read without a cursor starts after it; a lower ack never moves it back
    ack = client.post(f"{FEED}/ack", {"cursor": cursors[1]}, content_type="application/json")
    assert ack.status_code == 200, ack.content
    assert_matches_openapi("POST", f"{FEED}/ack", ack)
    assert FeedPosition.objects.get(subsystem=hrss, dataset_id="people").acknowledged == cursors[1]
    assert [e["cursor"] for e in client.get(FEED).json()["events"]] == cursors[2:]
    client.post(f"{FEED}/ack", {"cursor": cursors[0]}, content_type="application/json")
    assert FeedPosition.objects.get(subsystem=hrss, dataset_id="people").acknowledged == cursors[1]
    assert AuditEvent.objects.filter(action="exchange.feed_ack", actor_id=hrss.account_id).count() == 2


@pytest.mark.parametrize("case", ["no grant", "other dataset", "other way", "expired", "revoked", "not yet"])
def test_without_a_feed_grant_nothing_is_sent_and_the_log_shows_the_attempt(hrss, person_in, case):
    today = china_today()
    if case == "other dataset":
        make_grant(hrss, "stays", fields=["address"], ways=["feed"])
    elif case == "other way":
        make_grant(hrss, "people", fields=["name"], ways=["query", "extract", "webhook"])
    elif case == "expired":
        make_grant(hrss, "people", fields=["name"], ways=["feed"], valid_from=today - dt.timedelta(days=40), days=30)
    elif case == "revoked":
        grant = make_grant(hrss, "people", fields=["name"], ways=["feed"])
        grant.revoked_at = dt.datetime.now(dt.UTC)
        grant.save()
    elif case == "not yet":
        make_grant(hrss, "people", fields=["name"], ways=["feed"], valid_from=today + dt.timedelta(days=2))
    change_phone(person_in, "13800000001")
    client = api_client(key_for(hrss))

    response = client.get(f"{FEED}?after=0")
    ack = client.post(f"{FEED}/ack", {"cursor": 1}, content_type="application/json")

    assert response.status_code == 403 and "张三" not in response.content.decode()
    assert_matches_openapi("GET", FEED, response)
    assert ack.status_code == 403
    assert refusals(hrss).count() == 1
    assert refusals(hrss, "exchange.feed_ack").count() == 1
    assert not FeedPosition.objects.exists()


def test_a_person_account_without_a_subsystem_is_refused(users, person_in, token_for):
    response = api_client(token_for(users[Role.DEPARTMENT_USER])).get(f"{FEED}?after=0")
    assert response.status_code == 403


def test_bad_cursor_and_limit_name_the_field_and_rule(hrss):
    make_grant(hrss, "people", fields=["name"], ways=["feed"])
    client = api_client(key_for(hrss))

    response = client.get(f"{FEED}?after=-1&limit=501")
    ack = client.post(f"{FEED}/ack", {"cursor": 10**9}, content_type="application/json")

    assert response.status_code == 422
    assert {p["rule"] for p in response.json()["detail"]} == {"exchange.cursor_negative", "exchange.limit_range"}
    assert ack.status_code == 422 and ack.json()["detail"][0]["rule"] == "exchange.cursor_unknown"
    assert client.get("/api/exchange/feeds/nonesuch").status_code == 404


def test_a_page_reads_events_in_one_query_and_objects_in_bulk(
    hrss, person_in, person_out, django_assert_max_num_queries
):
    from liuguan.exchange.models import Dataset
    from liuguan.exchange.selectors_feeds import feed_page

    grant = make_grant(hrss, "people", fields=["name"], ways=["feed"])
    for i in range(10):
        change_phone(person_in if i % 2 else person_out, f"138000000{i:02d}")
    dataset = Dataset.objects.get(code="people")

    with django_assert_max_num_queries(3):
        page = feed_page(dataset, [grant], after=0, limit=500)

    assert len(page.events) == 10
