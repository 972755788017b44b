"""The load test's users (Locust): a realistic working day's mix, and /healthz alone as the ceiling.

Run by `manage.py bench_load`, which prepares LIUGUAN_LOAD_FIXTURE (tokens, people, areas) and starts the
server; not imported by the application or the tests (Locust patches the standard library when imported).

Mix per officer user (weights): search people 40, a person over the API 25, a person's page 10, register a
new person with a stay 10, a department's residence verification 10, the dashboard's panels 5.
"""

import itertools
import json
import os
import random
import re

from locust import FastHttpUser, between, task

FIXTURE = json.loads(open(os.environ["LIUGUAN_LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115
WEIGHTS = "0123456789X"
SERIAL = itertools.count(random.randrange(100, 800) * 1000)


def _citizen_id(area: str, birth: str, seq: int) -> str:
    body = f"{area}{birth}{seq % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    return body + "10X98765432"[total % 11]


class Officer(FastHttpUser):
    """A county officer's and a station officer's day, with the department's verifications beside them."""

    wait_time = between(0.0, 0.2)

    def on_start(self):
        self.reader = {"Authorization": f"Bearer {FIXTURE['reader_token']}"}
        self.writer = {"Authorization": f"Bearer {FIXTURE['writer_token']}"}
        self.department = {"Authorization": f"Bearer {FIXTURE['department_token']}"}
        self.leader = {"Authorization": f"Bearer {FIXTURE['leader_token']}"}
        # A signed-in page session for the HTML pages (the login form with its CSRF token).
        page = self.client.get("/accounts/login/", name="login page")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text or "")
        self.client.post(
            "/accounts/login/",
            data={
                "username": FIXTURE["reader_username"],
                "password": FIXTURE["password"],
                "csrfmiddlewaretoken": token.group(1) if token else "",
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )

    @task(40)
    def search(self):
        self.client.get(
            f"/api/registry/persons?q={random.choice(FIXTURE['queries'])}", headers=self.reader, name="search people"
        )

    @task(25)
    def person_api(self):
        self.client.get(
            f"/api/registry/persons/{random.choice(FIXTURE['people'])}", headers=self.reader, name="person (API)"
        )

    @task(10)
    def person_page(self):
        self.client.get(f"/registry/people/{random.choice(FIXTURE['people'])}/", name="person page")

    @task(10)
    def register(self):
        seq = next(SERIAL)
        number = _citizen_id(FIXTURE["hukou_area"], f"19{70 + seq % 30:02d}0{1 + seq % 9}1{seq % 9}", seq)
        body = {
            "doc_number": number,
            "name": f"压测{seq % 97}号",
            "stay": {"community_code": FIXTURE["community"], "arrived_on": FIXTURE["today"], "reason": "work"},
        }
        with self.client.post(
            "/api/registry/persons", json=body, headers=self.writer, name="register person", catch_response=True
        ) as response:
            # A generated number can meet an earlier one (409) or a likely duplicate (422 with candidates):
            # both are the service answering correctly, not a failure of the server.
            if response.status_code in (201, 409, 422):
                response.success()

    @task(10)
    def verify(self):
        self.client.post(
            "/api/exchange/verify/residence", json=FIXTURE["verify_body"], headers=self.department, name="verify"
        )

    @task(5)
    def dashboard(self):
        self.client.get(
            f"/api/insight/panels?area={random.choice(FIXTURE['areas'])}", headers=self.leader, name="dashboard"
        )


class Health(FastHttpUser):
    """The ceiling: the cheapest request the same server answers."""

    wait_time = between(0.0, 0.0)

    @task
    def healthz(self):
        self.client.get("/healthz", name="healthz")
