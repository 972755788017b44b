import pytest
from django.conf import settings
from django.test import Client

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import PASSWORD


def test_production_hashes_passwords_with_argon2():
    from liuguan import settings as production

    assert production.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_argon2_hash_round_trip(settings, users):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    user = users[Role.COLLECTOR]
    user.set_password("Another-password-9")
    user.save()
    assert User.objects.get(pk=user.pk).password.startswith("argon2$")
    assert User.objects.get(pk=user.pk).check_password("Another-password-9")


def test_login_works_for_every_role(users):
    for role, user in users.items():
        client = Client()
        response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, role
        assert client.get("/").status_code == 200


def test_login_is_throttled_after_five_failures(users):
    user = users[Role.STATION_OFFICER]
    client = Client(REMOTE_ADDR="10.9.8.7")
    for _ in range(5):
        client.post("/accounts/login/", {"username": user.username, "password": "wrong-password"})
    locked = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_wrong_password_shows_an_error_not_a_hint(users):
    page = Client().post("/accounts/login/", {"username": "nobody", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    known = Client().post("/accounts/login/", {"username": "collector", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == known.status_code == 200
    assert b"errorlist" in page.content and b"errorlist" in known.content


def test_sessions_expire_when_idle():
    assert settings.SESSION_COOKIE_AGE <= 3600 and settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_HTTPONLY


@pytest.mark.django_db
def test_logout_needs_post(users):
    from liuguan.conftest import login

    client = login(users[Role.COLLECTOR])
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_tokens_page_issues_a_key_that_the_api_accepts(users):
    from liuguan.conftest import api_client, login

    page = login(users[Role.COUNTY_OFFICER]).post("/accounts/tokens/", {"name": "派出所系统"}).content.decode()
    key = page.split('data-testid="new-token">')[1].split("<")[0]
    assert key.startswith("lg_")
    me = api_client(key).get("/api/accounts/me").json()
    assert me["role"] == "county_officer" and me["division_code"] == "510104" and "person.view" in me["permissions"]
