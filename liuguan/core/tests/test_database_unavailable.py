"""While the database cannot be reached, requests fail cleanly: 503 with Retry-After (JSON under /api/, a page
elsewhere), never a traceback; other server errors keep Django's 500. The real thing, PostgreSQL stopped under
load and started again, is `manage.py fault_pg_restart` (README, Reliability).
"""

import pytest
from django.db import OperationalError, connections
from django.test import Client

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_down(monkeypatch):
    """Every new statement fails as it does when the server is gone (psycopg: connection refused)."""

    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')

    def down():
        monkeypatch.setattr(type(connections["default"]), "_cursor", refuse)

    return down


def test_the_api_answers_503_json_with_retry_after_while_the_database_is_down(users, token_for, database_down):
    client = api_client(token_for(users[Role.STATION_OFFICER]))
    client.raise_request_exception = False
    assert client.get("/api/registry/persons", {"q": "张"}).status_code == 200
    database_down()
    response = client.get("/api/registry/persons", {"q": "张"})
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "database_unavailable"
    assert b"Traceback" not in response.content and b"5432" not in response.content


def test_a_page_answers_a_503_page_while_the_database_is_down(users, database_down):
    client = Client(raise_request_exception=False)
    client.force_login(users[Role.STATION_OFFICER])
    assert client.get("/").status_code == 200
    # the session itself is read from the database by a middleware, before any view runs
    database_down()
    response = client.get("/")
    assert (response.status_code, response["Retry-After"]) == (503, "5")
    assert response["Content-Type"].startswith("text/html")
    assert b"<h1>" in response.content and b"Traceback" not in response.content


def test_other_server_errors_stay_500(users, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    client = Client(raise_request_exception=False)
    client.force_login(users[Role.STATION_OFFICER])
    monkeypatch.setattr(type(connections["default"]), "_cursor", broken)
    response = client.get("/")
    assert response.status_code == 500 and "Retry-After" not in response
