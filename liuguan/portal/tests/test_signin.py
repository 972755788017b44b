import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput
from liuguan.portal.models import OneTimeCode
from liuguan.portal.signin import CodeRateLimited, otp_request, otp_verify
from liuguan.portal.sms import HttpGatewaySender, LogSender, SmsError

from .conftest import MemorySender, last_code

PHONE = "13912345678"


def test_right_code_signs_in_and_binds_the_person_with_that_phone(person_in):
    otp_request(phone=PHONE)

    account = otp_verify(phone=PHONE, code=last_code(PHONE))

    assert account.role == Role.MIGRANT
    assert account.person == person_in
    assert not account.has_usable_password()
    assert OneTimeCode.objects.get().used_at is not None
    assert "code" not in [f.name for f in OneTimeCode._meta.fields]  # only the hash is kept


def test_a_code_works_once(person_in):
    otp_request(phone=PHONE)
    code = last_code(PHONE)
    otp_verify(phone=PHONE, code=code)

    with pytest.raises(InvalidInput):
        otp_verify(phone=PHONE, code=code)


def test_unknown_phone_gets_an_account_without_person(db):
    otp_request(phone="13600000009")
    account = otp_verify(phone="13600000009", code=last_code("13600000009"))
    assert account.person is None


def test_two_people_with_one_phone_bind_to_neither(person_in, person_out):
    person_out.phone = PHONE
    person_out.save(update_fields=["phone"])
    otp_request(phone=PHONE)
    assert otp_verify(phone=PHONE, code=last_code(PHONE)).person is None


def test_wrong_code_counts_an_attempt_and_five_wrong_ones_kill_the_code(person_in):
    otp_request(phone=PHONE)
    code = last_code(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    for expected in range(1, 6):
        with pytest.raises(InvalidInput):
            otp_verify(phone=PHONE, code=wrong)
        assert OneTimeCode.objects.get().attempts == expected

    with pytest.raises(InvalidInput):
        otp_verify(phone=PHONE, code=code)  # the right code, too late
    assert not User.objects.filter(role=Role.MIGRANT).exists()


def test_expired_code_is_refused(person_in):
    otp_request(phone=PHONE)
    OneTimeCode.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    with pytest.raises(InvalidInput):
        otp_verify(phone=PHONE, code=last_code(PHONE))


def test_one_code_a_minute_and_five_an_hour_per_phone(db):
    otp_request(phone=PHONE)
    with pytest.raises(CodeRateLimited) as refused:
        otp_request(phone=PHONE)
    assert 0 < refused.value.retry_after <= 60
    assert OneTimeCode.objects.count() == 1

    for _ in range(4):
        OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
        otp_request(phone=PHONE)
    OneTimeCode.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    with pytest.raises(CodeRateLimited):
        otp_request(phone=PHONE)
    assert OneTimeCode.objects.count() == 5


def test_twenty_codes_an_hour_per_address(db, settings):
    settings.LIUGUAN_PORTAL = {"address_per_hour": 3}
    for n in range(3):
        otp_request(phone=f"1350000000{n}", client_address="10.0.0.7")
    with pytest.raises(CodeRateLimited):
        otp_request(phone="13500000009", client_address="10.0.0.7")
    otp_request(phone="13500000009", client_address="10.0.0.8")


def test_bad_phone_is_refused_and_nothing_sent(db):
    with pytest.raises(InvalidInput):
        otp_request(phone="12345")
    assert MemorySender.outbox == []


def test_staff_accounts_never_sign_in_with_a_code(users):
    staff = users[Role.STATION_OFFICER]
    staff.username = f"m{PHONE}"
    staff.save()
    otp_request(phone=PHONE)

    with pytest.raises(InvalidInput):
        otp_verify(phone=PHONE, code=last_code(PHONE))


def test_signin_pages_log_the_migrant_in_for_two_idle_hours(person_in):
    client = Client()
    page = client.post("/portal/signin/", {"phone": PHONE})
    assert page.status_code == 200 and 'data-testid="code"' in page.content.decode()

    done = client.post("/portal/signin/", {"phone": PHONE, "code": last_code(PHONE)})

    assert done.status_code == 302 and done["Location"] == "/portal/"
    assert client.session.get_expiry_age() == 2 * 3600
    assert client.get("/portal/").status_code == 200


def test_portal_pages_send_strangers_to_sign_in(db):
    response = Client().get("/portal/requests/")
    assert response.status_code == 302 and response["Location"].startswith("/portal/signin/")


def test_log_sender_writes_the_message_to_var_sms_log(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    LogSender().send(phone=PHONE, message="code 123456")
    assert f"{PHONE}\tcode 123456" in (tmp_path / "sms.log").read_text(encoding="utf-8")


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802 (http.server's name)
        length = int(self.headers["Content-Length"])
        _Gateway.received.append((self.headers["Authorization"], json.loads(self.rfile.read(length))))
        self.send_response(_Gateway.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway():
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    _Gateway.received = []
    _Gateway.status = 200
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()
    server.server_close()
    thread.join(timeout=2)


def test_http_gateway_sender_posts_json_with_the_token(gateway):
    HttpGatewaySender(url=gateway, token="secret-token", sign="流管", timeout=2).send(phone=PHONE, message="码 123456")
    assert _Gateway.received == [("Bearer secret-token", {"phone": PHONE, "message": "码 123456", "sign": "流管"})]


def test_http_gateway_sender_reports_a_refusal(gateway):
    _Gateway.status = 500
    with pytest.raises(SmsError):
        HttpGatewaySender(url=gateway, token="t", timeout=2).send(phone=PHONE, message="x")


def test_gateway_down_is_told_as_a_sending_failure(db, settings):
    settings.LIUGUAN_SMS = {
        "backend": "liuguan.portal.sms.HttpGatewaySender",
        "url": "http://127.0.0.1:9/",
        "timeout": 1,
    }
    with pytest.raises(InvalidInput) as refused:
        otp_request(phone=PHONE)
    assert refused.value.problems[0].rule == "sms.failed"
