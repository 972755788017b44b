"""Officers' TOTP second factor: held at the code page until it is given, enrolment, throttling, API, reset."""

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from liuguan.accounts.roles import Role
from liuguan.conftest import PASSWORD
from liuguan.core.models import AuditEvent


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def _signed_in(user) -> Client:
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def officer_with_device(users):
    officer = users[Role.COUNTY_OFFICER]
    device = TOTPDevice.objects.create(user=officer, name="authenticator", confirmed=True)
    return officer, device


def test_an_enrolled_officer_is_held_at_the_code_page_until_the_code_is_right(officer_with_device):
    officer, device = officer_with_device
    client = _signed_in(officer)
    held = client.get("/registry/people/")
    assert held.status_code == 302 and held["Location"].startswith("/accounts/otp/?next=/registry/people/")
    # the API refuses the held session too
    assert client.get("/api/accounts/me").status_code == 401
    # a wrong code: still held, and the refusal is in the audit chain
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"
    refused = client.post("/accounts/otp/", {"code": wrong, "next": "/registry/people/"})
    assert refused.status_code == 200 and b'data-testid="otp-error"' in refused.content
    assert AuditEvent.objects.filter(action="accounts.2fa_refused", object_id=str(officer.pk)).count() == 1
    assert client.get("/registry/people/").status_code == 302
    # the django-otp throttle makes even the right code wait after a failure; step past it
    device.refresh_from_db()
    device.throttling_failure_timestamp = None
    device.save()
    ok = client.post("/accounts/otp/", {"code": _code(device), "next": "/registry/people/"})
    assert ok.status_code == 302 and ok["Location"] == "/registry/people/"
    assert client.get("/registry/people/").status_code == 200
    assert client.get("/api/accounts/me").status_code == 200


def test_a_code_used_once_cannot_be_used_again(officer_with_device):
    officer, device = officer_with_device
    code = _code(device)
    first = _signed_in(officer)
    assert first.post("/accounts/otp/", {"code": code}).status_code == 302
    second = _signed_in(officer)
    assert second.post("/accounts/otp/", {"code": code}).status_code == 200
    assert second.get("/").status_code == 302


def test_throttling_refuses_even_a_right_code_right_after_failures(officer_with_device):
    officer, device = officer_with_device
    client = _signed_in(officer)
    for _ in range(3):
        client.post("/accounts/otp/", {"code": "000000" if _code(device) != "000000" else "111111"})
    refused = client.post("/accounts/otp/", {"code": _code(device)})
    assert refused.status_code == 200
    assert AuditEvent.objects.filter(action="accounts.2fa_refused", changes__throttled=True).exists()


def test_roles_outside_the_list_and_officers_without_a_device_are_not_asked(users):
    for role in (Role.COLLECTOR, Role.GRID_WORKER, Role.STATION_OFFICER):
        assert _signed_in(users[role]).get("/").status_code == 200, role


def test_required_second_factor_sends_an_officer_to_enrol_then_lets_them_in(settings, users):
    settings.LIUGUAN_REQUIRE_2FA = True
    officer = users[Role.STATION_OFFICER]
    client = _signed_in(officer)
    held = client.get("/")
    assert held.status_code == 302 and held["Location"].startswith("/accounts/otp/enrol/")
    page = client.get(held["Location"])
    assert page.status_code == 200 and b"<svg" in page.content and b'data-testid="otp-secret"' in page.content
    device = TOTPDevice.objects.get(user=officer, confirmed=False)
    assert client.post("/accounts/otp/enrol/", {"code": "12345"}).status_code == 200  # too short: refused
    device = TOTPDevice.objects.get(user=officer, confirmed=False)  # the page made a new secret on the retry
    done = client.post("/accounts/otp/enrol/", {"code": _code(device), "next": "/"})
    assert done.status_code == 302
    assert TOTPDevice.objects.filter(user=officer, confirmed=True).count() == 1
    assert client.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="accounts.2fa_enrolled", object_id=str(officer.pk)).exists()
    # collectors are never asked, even when it is required
    assert _signed_in(users[Role.COLLECTOR]).get("/").status_code == 200


def test_machine_tokens_are_not_held(officer_with_device, token_for):
    from liuguan.conftest import api_client

    officer, _device = officer_with_device
    assert api_client(token_for(officer)).get("/api/accounts/me").status_code == 200


def test_reset_removes_the_device_and_is_audited(officer_with_device, users):
    from django.core.management import call_command

    officer, _device = officer_with_device
    call_command("otp_reset", officer.username, "--by", users[Role.PROVINCE_ADMIN].username)
    assert not TOTPDevice.objects.filter(user=officer).exists()
    assert AuditEvent.objects.filter(action="accounts.2fa_reset", object_id=str(officer.pk)).exists()
    assert _signed_in(officer).get("/").status_code == 200
