import datetime as dt

import pytest
from django.utils.translation import gettext

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client, login
from liuguan.core.testing import assert_matches_openapi
from liuguan.linkage.models import CandidatePair, LinkageRun, LinkageTask, Merge
from liuguan.registry.models import Person, Stay

from .factories import person


@pytest.fixture
def pair(users, person_in):
    n = person_in.doc_number
    twin = person(n[:14] + str((int(n[14]) + 3) % 10) + n[15:], "张叁", pinyin="zhangsan", departed=dt.date(2024, 9, 1))
    reasons = [{"comparison": "name", "level": "same pinyin, different characters", "match_weight": 12.4}]
    return CandidatePair.objects.create(person_low=person_in, person_high=twin, match_probability=0.97, reasons=reasons)


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.COUNTY_OFFICER, Role.DEPARTMENT_USER])
def test_roles_without_review_get_no_queue(users, pair, role):
    assert login(users[role]).get("/linkage/review/").status_code == 403
    response = login(users[role]).post(f"/linkage/review/{pair.pk}/merge/", {"survivor": pair.person_low_id})
    assert response.status_code == 403 and not Merge.objects.exists()


def test_station_officer_reviews_merges_and_undoes_on_the_pages(users, pair):
    client = login(users[Role.STATION_OFFICER])
    queue = client.get("/linkage/review/").content.decode()
    assert f"/linkage/review/{pair.pk}/" in queue and "张叁" in queue
    page = client.get(f"/linkage/review/{pair.pk}/").content.decode()
    # Side by side with the model's reasons, and the record with the valid number proposed as survivor.
    assert "same pinyin, different characters" in page and gettext("proposed survivor") in page
    assert pair.person_low.doc_number not in page  # masked
    response = client.post(f"/linkage/review/{pair.pk}/merge/", {"survivor": pair.person_low_id})
    assert response.status_code == 302
    merge = Merge.objects.get()
    assert Person.objects.get(pk=pair.person_high_id).merged_into_id == pair.person_low_id
    assert Stay.objects.filter(person_id=pair.person_low_id).count() == 2
    merges = client.get("/linkage/merges/").content.decode()
    assert f"/linkage/merges/{merge.pk}/undo/" in merges
    # The merged-away record's page says where it went.
    moved = client.get(f"/registry/people/{pair.person_high_id}/").content.decode()
    assert 'data-testid="merged-into"' in moved
    client.post(f"/linkage/merges/{merge.pk}/undo/")
    assert Person.objects.get(pk=pair.person_high_id).merged_into_id is None
    assert Stay.objects.filter(person_id=pair.person_high_id).count() == 1


def test_choosing_the_record_with_the_bad_number_shows_the_reason(users, pair):
    client = login(users[Role.STATION_OFFICER])
    page = client.post(f"/linkage/review/{pair.pk}/merge/", {"survivor": pair.person_high_id}).content.decode()
    assert gettext("Keep the record with the valid document number as the survivor") in page
    assert not Merge.objects.exists()


def test_keep_apart_on_the_page(users, pair):
    client = login(users[Role.STATION_OFFICER])
    client.post(f"/linkage/review/{pair.pk}/keep-apart/", {"note": "twins"})
    pair.refresh_from_db()
    assert pair.status == "kept_apart" and pair.note == "twins"
    assert f"/linkage/review/{pair.pk}/" not in client.get("/linkage/review/").content.decode()


def test_runs_page_and_starting_a_run(users):
    county = login(users[Role.COUNTY_OFFICER])
    assert 'data-testid="run-start"' in county.get("/linkage/").content.decode()
    county.post("/linkage/runs/start/", {"review_threshold": "0.7"})
    run = LinkageRun.objects.get()
    assert (run.status, run.review_threshold, run.requested_by) == ("queued", 0.7, users[Role.COUNTY_OFFICER])
    station = login(users[Role.STATION_OFFICER])
    assert 'data-testid="run-start"' not in station.get("/linkage/").content.decode()
    assert station.post("/linkage/runs/start/").status_code == 403
    assert LinkageRun.objects.count() == 1


def test_tasks_page_lists_and_closes_tasks_in_scope(users, person_in, person_out):
    common = {"due_on": dt.date(2026, 12, 1), "summary": "known from a landlord only", "kind": "omission"}
    mine = LinkageTask.objects.create(
        number="LK1", community_id=person_in.stays.get().community_id, record="a", **common
    )
    other = LinkageTask.objects.create(
        number="LK2", community_id=person_out.stays.get().community_id, record="b", **common
    )
    client = login(users[Role.STATION_OFFICER])
    page = client.get("/linkage/tasks/").content.decode()
    assert "LK1" in page and "LK2" not in page
    client.post(f"/linkage/tasks/{other.pk}/close/")
    client.post(f"/linkage/tasks/{mine.pk}/close/", {"dismiss": "1", "note": "moved away"})
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.status, other.status) == ("dismissed", "open")


def test_api_queue_merge_and_undo(users, pair, token_for):
    client = api_client(token_for(users[Role.STATION_OFFICER]))
    listed = client.get("/api/linkage/pairs")
    assert_matches_openapi("GET", "/api/linkage/pairs", listed)
    assert [p["id"] for p in listed.json()] == [pair.pk]
    detail = client.get(f"/api/linkage/pairs/{pair.pk}")
    assert_matches_openapi("GET", f"/api/linkage/pairs/{pair.pk}", detail)
    assert detail.json()["proposed_survivor"] == pair.person_low_id
    refused = client.post(
        f"/api/linkage/pairs/{pair.pk}/merge", {"survivor_id": pair.person_high_id}, content_type="application/json"
    )
    assert refused.status_code == 409 and not Merge.objects.exists()
    assert_matches_openapi("POST", f"/api/linkage/pairs/{pair.pk}/merge", refused)
    merged = client.post(
        f"/api/linkage/pairs/{pair.pk}/merge", {"survivor_id": pair.person_low_id}, content_type="application/json"
    )
    assert merged.status_code == 201
    assert_matches_openapi("POST", f"/api/linkage/pairs/{pair.pk}/merge", merged)
    assert merged.json()["moved"][0]["model"] == "registry.stay"
    undone = client.post(f"/api/linkage/merges/{merged.json()['id']}/undo")
    assert undone.status_code == 200 and undone.json()["undone_at"]
    assert_matches_openapi("POST", f"/api/linkage/merges/{merged.json()['id']}/undo", undone)


def test_api_pair_outside_scope_is_not_found_and_runs_need_linkage_run(users, pair, token_for):
    street = api_client(token_for(users[Role.COLLECTOR]))
    assert street.get("/api/linkage/pairs").status_code == 403
    station = api_client(token_for(users[Role.STATION_OFFICER]))
    assert station.post("/api/linkage/runs", {}, content_type="application/json").status_code == 403
    county = api_client(token_for(users[Role.COUNTY_OFFICER]))
    started = county.post("/api/linkage/runs", {"review_threshold": 0.9}, content_type="application/json")
    assert started.status_code == 202
    assert_matches_openapi("POST", "/api/linkage/runs", started)
    assert county.get("/api/linkage/runs").json()[0]["status"] == "queued"
    # A pair with someone outside the station's area does not exist for the station.
    far = person("500101199211201351", "王五", pinyin="wangwu", community="500101001001")
    other = CandidatePair.objects.create(person_low=pair.person_low, person_high=far, match_probability=0.9)
    assert station.get(f"/api/linkage/pairs/{other.pk}").status_code == 404
