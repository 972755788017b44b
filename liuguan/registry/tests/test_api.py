import json

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, api_client
from liuguan.core.models import AuditEvent
from liuguan.core.testing import assert_matches_openapi
from liuguan.registry.models import Person


@pytest.fixture
def collector_api(users, token_for):
    return api_client(token_for(users[Role.COLLECTOR]))


def _post(client, path, body):
    return client.post(path, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json")


def _register_body(**over):
    body = {
        "doc_number": "11010519491231002X",
        "name": "王芳",
        "stay": {"community_code": IN_COMMUNITY, "arrived_on": "2025-02-01", "reason": "work"},
    }
    body.update(over)
    return body


def test_register_returns_201_masked_and_documented(collector_api):
    response = _post(collector_api, "/api/registry/persons", _register_body(phone="13912345678"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["person"]["doc_number_masked"] == "110105********002X"
    assert body["person"]["phone_masked"] == "139****5678"
    assert "11010519491231002X" not in response.content.decode()
    assert_matches_openapi("POST", "/api/registry/persons", response)


@pytest.mark.parametrize(
    ("override", "field", "rule"),
    [
        ({"doc_number": "110105194912310021"}, "doc_number", "gb11643.check_digit"),
        ({"doc_number": "11010519490231002X"}, "doc_number", "gb11643.birth_date"),
        ({"doc_type": "driving_licence"}, "doc_type", "doc_type.unknown"),
        ({"phone": "1391234567"}, "phone", "mobile.format"),
        ({"ethnicity": "99"}, "ethnicity", "gb3304.code"),
    ],
)
def test_bad_input_is_422_with_field_and_rule(collector_api, override, field, rule):
    response = _post(collector_api, "/api/registry/persons", _register_body(**override))
    assert response.status_code == 422, response.content
    problems = {(d["loc"][-1], d["rule"]) for d in response.json()["detail"]}
    assert (field, rule) in problems
    assert all(d["msg"] for d in response.json()["detail"])
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[]",
        "null",
        '{"doc_number": 12}',
        '{"name": "x"}',
        json.dumps(_register_body(stay={"community_code": IN_COMMUNITY, "arrived_on": "2025-13-45", "reason": "work"})),
        json.dumps(_register_body(doc_number="１１０１０５１９４９１２３１００２ｘ" * 50)),
        json.dumps(_register_body(name="<script>alert(1)</script>" * 5)),
    ],
)
def test_garbage_never_gives_a_server_error(collector_api, raw):
    response = _post(collector_api, "/api/registry/persons", raw)
    assert 400 <= response.status_code < 500, (raw, response.status_code, response.content)


def test_duplicate_document_is_409_with_the_existing_person(collector_api, person_in):
    response = _post(collector_api, "/api/registry/persons", _register_body(doc_number=person_in.doc_number))
    assert response.status_code == 409
    assert response.json()["existing_id"] == person_in.pk and response.json()["rule"] == "person.one_per_document"


def test_search_by_pinyin_initials_and_number(collector_api, person_in):
    for query in ("zs", "zhangsan", "Zhang San", "张三", person_in.doc_number, person_in.doc_number.lower()):
        response = collector_api.get("/api/registry/persons", {"q": query})
        assert [p["id"] for p in response.json()] == [person_in.pk], query
    # Numbers are encrypted at rest and found whole through their blind index: a prefix finds nobody.
    assert collector_api.get("/api/registry/persons", {"q": person_in.doc_number[:10]}).json() == []
    response = collector_api.get("/api/registry/persons", {"q": person_in.doc_number})
    assert_matches_openapi("GET", "/api/registry/persons", response)
    assert response.json()[0]["doc_number_masked"].count("*") == 8


def test_person_detail_matches_schema(collector_api, person_in):
    response = collector_api.get(f"/api/registry/persons/{person_in.pk}")
    assert response.status_code == 200
    assert_matches_openapi("GET", f"/api/registry/persons/{person_in.pk}", response)
    assert response.json()["stays"][0]["community_code"] == IN_COMMUNITY


def test_reveal_needs_a_purpose_and_is_audited(collector_api, person_in):
    refused = _post(collector_api, f"/api/registry/persons/{person_in.pk}/reveal", {"purpose": " "})
    assert refused.status_code == 422 and refused.json()["detail"][0]["rule"] == "reveal.purpose_required"
    assert not AuditEvent.objects.filter(action="person.reveal").exists()
    response = _post(collector_api, f"/api/registry/persons/{person_in.pk}/reveal", {"purpose": "入户核查身份"})
    assert response.json() == {"doc_number": person_in.doc_number, "phone": person_in.phone}
    event = AuditEvent.objects.get(action="person.reveal")
    assert (event.purpose, event.object_id, event.actor_username) == ("入户核查身份", str(person_in.pk), "collector")


def test_check_document_reads_the_number(collector_api):
    response = collector_api.get("/api/registry/check-document", {"doc_number": "440524188001010014"})
    assert response.json()["valid"] and response.json()["birth_date"] == "1880-01-01"
    bad = collector_api.get("/api/registry/check-document", {"doc_number": "440524188001010015"}).json()
    assert not bad["valid"] and bad["rule"] == "gb11643.check_digit" and "4" in bad["message"]


def test_openapi_and_docs_are_served_locally(client):
    document = client.get("/api/openapi.json")
    assert document.status_code == 200 and "/api/registry/persons" in document.json()["paths"]
    docs = client.get("/api/docs").content.decode()
    assert "swagger" in docs.lower() and "cdn" not in docs.lower() and "https://" not in docs
