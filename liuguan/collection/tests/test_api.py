import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from liuguan.accounts.roles import Role
from liuguan.collection.models import ImportBatch
from liuguan.conftest import IN_COMMUNITY, api_client
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import Person, Stay

from .conftest import good_row, write_csv

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def collector_api(users, token_for):
    return api_client(token_for(users[Role.COLLECTOR]))


def _registration(number, **over):
    body = {
        "doc_number": number,
        "name": "王芳",
        "stay": {"community_code": IN_COMMUNITY, "arrived_on": "2025-02-01", "reason": "work"},
    }
    body.update(over)
    return body


def test_upload_a_file_then_follow_the_batch(collector_api, tmp_path, settings, django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    path = write_csv(tmp_path / "rows.csv", [good_row(0), good_row(1, reason="修仙")])
    with django_capture_on_commit_callbacks(execute=True):
        response = collector_api.post(
            "/api/collection/imports", {"file": SimpleUploadedFile("rows.csv", path.read_bytes()), "mode": "valid"}
        )
    assert response.status_code == 201, response.content
    assert_matches_openapi("POST", "/api/collection/imports", response)
    batch_id = response.json()["id"]
    status = collector_api.get(f"/api/collection/imports/{batch_id}")
    assert_matches_openapi("GET", f"/api/collection/imports/{batch_id}", status)
    body = status.json()
    assert (body["status"], body["accepted"], body["rejected"], body["encoding"]) == ("done", 1, 1, "utf-8-sig")
    result = collector_api.get(body["result_url"])
    assert result.status_code == 200 and b"".join(result.streaming_content)[:2] == b"PK"
    again = collector_api.post(
        "/api/collection/imports", {"file": SimpleUploadedFile("rows.csv", path.read_bytes()), "mode": "valid"}
    )
    assert again.status_code == 200 and again.json()["id"] == batch_id and ImportBatch.objects.count() == 1


def test_upload_with_missing_columns_is_422(collector_api):
    response = collector_api.post(
        "/api/collection/imports", {"file": SimpleUploadedFile("rows.csv", "姓名,证件号码\n".encode()), "mode": "all"}
    )
    assert response.status_code == 422
    assert_matches_openapi("POST", "/api/collection/imports", response)
    assert response.json()["detail"][0]["rule"] == "import.column_missing"


def test_registrations_give_per_row_results(collector_api):
    rows = [
        _registration("11010519491231002X", phone="13912345678"),
        _registration("110105194912310021"),
        _registration("11010519491231002X", name="王芳"),
        _registration(
            "440524188001010014", stay={"community_code": "510703001001", "arrived_on": "2025-02-01", "reason": "work"}
        ),
    ]
    response = collector_api.post(
        "/api/collection/registrations", json.dumps({"rows": rows}), content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert_matches_openapi("POST", "/api/collection/registrations", response)
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert ("doc_number", "gb11643.check_digit") in {(p["field"], p["rule"]) for p in results[1]["problems"]}
    assert ("doc_number", "import.duplicate_in_file") in {(p["field"], p["rule"]) for p in results[2]["problems"]}
    assert ("stay.community_code", "stay.community_in_scope") in {
        (p["field"], p["rule"]) for p in results[3]["problems"]
    }
    assert results[0]["person_id"] == Person.objects.get().pk and Stay.objects.get().source_channel == "import"

    again = collector_api.post(
        "/api/collection/registrations", json.dumps({"rows": rows[:1]}), content_type="application/json"
    )
    assert again.json()["results"][0]["status"] == "already_registered" and Stay.objects.count() == 1


def test_registrations_all_or_nothing(collector_api):
    rows = [_registration("11010519491231002X"), _registration("110105194912310021")]
    response = collector_api.post(
        "/api/collection/registrations", json.dumps({"rows": rows, "mode": "all"}), content_type="application/json"
    )
    assert [r["status"] for r in response.json()["results"]] == ["not_written", "rejected"]
    assert not Person.objects.exists()


def test_registrations_are_limited_in_number(collector_api):
    rows = [_registration("11010519491231002X")] * 10_001
    response = collector_api.post(
        "/api/collection/registrations", json.dumps({"rows": rows}), content_type="application/json"
    )
    assert response.status_code == 422 and not Person.objects.exists()


def test_another_jurisdictions_batch_is_404(users, token_for, collector_api, tmp_path):
    path = write_csv(tmp_path / "rows.csv", [good_row(0)])
    created = collector_api.post("/api/collection/imports", {"file": SimpleUploadedFile("rows.csv", path.read_bytes())})
    outsider = users[Role.POLICE]
    outsider.division_id = "510107"
    outsider.save()
    response = api_client(token_for(outsider)).get(f"/api/collection/imports/{created.json()['id']}")
    assert response.status_code == 404
    assert_matches_openapi("GET", "/api/collection/imports/1", response)


def test_roles_that_may_not_register_cannot_import(users, token_for):
    client = api_client(token_for(users[Role.AUDITOR]))
    response = client.post(
        "/api/collection/registrations",
        json.dumps({"rows": [_registration("11010519491231002X")]}),
        content_type="application/json",
    )
    assert response.status_code == 403 and not Person.objects.exists()
