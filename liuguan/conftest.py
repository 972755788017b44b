"""Shared fixtures: a small real-shaped division tree, one account per role, people inside and outside."""

import base64
import datetime as dt
import os

import pytest
from django.conf import settings as django_settings
from django.test import Client
from hypothesis import settings as hypothesis_settings

from liuguan.accounts.models import ApiToken, User
from liuguan.accounts.roles import Role
from liuguan.core import testdb
from liuguan.core.identity import mod11_2_check
from liuguan.exchange.models import Department
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Person, Stay

# No time limit per Hypothesis example: the suite shares two cores with a second database's run, and a
# deadline there is a timed assertion that fails on a busy machine, not on a slow function.
hypothesis_settings.register_profile("liuguan", deadline=None)
hypothesis_settings.load_profile("liuguan")

# After a transactional test, empty only the tables that hold rows (liuguan/core/testdb.py): Django's full flush
# cost seconds per test on PostgreSQL.
testdb.install()

# One pair of data keys (liuguan/core/crypto.py) for the test run and every process it starts (fault tests, backup
# and restore): a child with a VAR_DIR of its own would otherwise make keys of its own and not read the rows.
for _name, _label in (("LIUGUAN_DATA_KEYS", b"data"), ("LIUGUAN_INDEX_KEYS", b"index")):
    os.environ.setdefault(_name, "1:" + base64.b64encode(b"liuguan test " + _label.ljust(19, b".")).decode())
    setattr(django_settings, _name, os.environ[_name])

PASSWORD = "Test-password-2026!"  # noqa: S105 (test accounts only)

TREE = [
    ("51", "四川省", Level.PROVINCE),
    ("5101", "成都市", Level.PREFECTURE),
    ("510104", "锦江区", Level.COUNTY),
    ("510104001", "督院街街道", Level.TOWNSHIP),
    ("510104001001", "东御河沿社区", Level.COMMUNITY),
    ("510104001002", "西御河沿社区", Level.COMMUNITY),
    ("510104002", "春熙路街道", Level.TOWNSHIP),
    ("510104002001", "和平街社区", Level.COMMUNITY),
    ("510107", "武侯区", Level.COUNTY),
    ("510107001", "浆洗街街道", Level.TOWNSHIP),
    ("510107001001", "锦里社区", Level.COMMUNITY),
    ("5107", "绵阳市", Level.PREFECTURE),
    ("510703", "涪城区", Level.COUNTY),
    ("510703001", "城厢街道", Level.TOWNSHIP),
    ("510703001001", "南山社区", Level.COMMUNITY),
    ("50", "重庆市", Level.PROVINCE),
    ("5001", "市辖区", Level.PREFECTURE),
    ("500101", "万州区", Level.COUNTY),
    ("500101001", "高笋塘街道", Level.TOWNSHIP),
    ("500101001001", "太白社区", Level.COMMUNITY),
]

# Where each role's account sits in TREE.
ROLE_DIVISIONS = {
    Role.COLLECTOR: "510104001001",
    Role.GRID_WORKER: "510104001001",
    Role.STATION_OFFICER: "510104001001",
    Role.STREET_OFFICER: "510104001",
    Role.COUNTY_OFFICER: "510104",
    Role.CITY_OFFICER: "5101",
    Role.PROVINCE_ADMIN: "51",
    Role.DEPARTMENT_USER: "51",
    Role.POLICE: "510104",
    Role.AUDITOR: "51",
}

IN_COMMUNITY = "510104001001"
OUT_COMMUNITY = "510703001001"
FAR_COMMUNITY = "500101001001"


def citizen_id(area: str, birth: str, seq: str) -> str:
    """A valid GB 11643 number from its parts."""
    body = f"{area}{birth}{seq}"
    return body + mod11_2_check(body)


@pytest.fixture
def divisions(db):
    rows = {}
    for code, name, level in TREE:
        parent = rows.get(code[: {4: 2, 6: 4, 9: 6, 12: 9}.get(len(code), 0)]) if len(code) > 2 else None
        rows[code] = Division.objects.create(code=code, name=name, level=level, parent=parent)
    return rows


@pytest.fixture
def department(db):
    return Department.objects.create(code="public_security", name="公安局", name_en="Public Security Bureau")


@pytest.fixture
def users(divisions, department):
    made = {}
    for role, code in ROLE_DIVISIONS.items():
        user = User(
            username=role.value,
            role=role,
            division=divisions[code],
            full_name=f"{role.label}",
            department=department if role == Role.DEPARTMENT_USER else None,
        )
        user.set_password(PASSWORD)
        user.save()
        made[role] = user
    return made


def _person(name, number, community, *, pinyin, initials, sex="M", birth=dt.date(1990, 3, 7), phone="13912345678"):
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin=pinyin,
        name_initials=initials,
        sex=sex,
        birth_date=birth,
        hukou_code=number[:6],
        phone=phone,
    )
    Stay.objects.create(
        person=person,
        community_id=community,
        reason="work",
        arrived_on=dt.date(2024, 5, 1),
        source_channel="collector",
        address="东御河沿街 8 号",
    )
    return person


@pytest.fixture
def person_in(divisions):
    return _person("张三", citizen_id("511321", "19900307", "123"), IN_COMMUNITY, pinyin="zhangsan", initials="zs")


@pytest.fixture
def person_out(divisions):
    return _person(
        "李四",
        citizen_id("522401", "19850512", "246"),
        OUT_COMMUNITY,
        pinyin="lisi",
        initials="ls",
        sex="F",
        birth=dt.date(1985, 5, 12),
    )


@pytest.fixture
def person_far(divisions):
    """Outside every account's jurisdiction, the province administrator's included."""
    return _person("王五", citizen_id("500101", "19921120", "135"), FAR_COMMUNITY, pinyin="wangwu", initials="ww")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is the production hasher (tested in accounts); tests hash many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def token_for():
    def make(user) -> str:
        key = ApiToken.new_key()
        ApiToken.objects.create(user=user, name="test", prefix=key[3:9], key_hash=ApiToken.digest(key))
        return key

    return make


def api_client(key: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {key}")


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright; downloading Playwright's own browser does not work here."""
    import os

    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still sync.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def phone_page(chromium, live_server):
    context = chromium.new_context(viewport=PHONE, locale="zh-CN", base_url=live_server.url, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def browser_login(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, request):
    """pytest-django's test database, and a copy of it as migrated when a collected test needs `empty_database`."""
    template = None
    if any("empty_database" in getattr(item, "fixturenames", ()) for item in request.session.items):
        with django_db_blocker.unblock():
            template = testdb.template_create()
    request.config.liuguan_template = template
    yield
    if template is not None:
        with django_db_blocker.unblock():
            testdb.database_drop(template)


@pytest.fixture
def empty_database(django_db_setup, request, tmp_path):
    """A factory of new databases, migrated and empty, for a second instance started by the test: `(name) -> URL`.
    Each is copied from the template made after migrate (liuguan/core/testdb.py) and dropped after the test.
    """
    from django.db import connection

    made = []

    def make(name: str) -> str:
        target = (
            str(tmp_path / f"{name}.sqlite3")
            if connection.vendor == "sqlite"
            else f"{connection.settings_dict['NAME']}_{name}"
        )
        made.append(target)
        return testdb.database_from_template(request.config.liuguan_template, target)

    yield make
    for target in made:
        testdb.database_drop(target)


def _db_order(item) -> int:
    """0: rolled-back tests; 1: transactional tests that restore the database; 2: other transactional tests.

    A transactional test without serialized rollback flushes the tables and lets post_migrate make the
    content types again under new keys; a serialized-rollback test after it restores the old keys and
    collides with them. Django's own runner runs the serialized ones first for this reason; so do we.
    """
    marker = item.get_closest_marker("django_db")
    kwargs = marker.kwargs if marker else {}
    names = getattr(item, "fixturenames", ())
    serialized = kwargs.get("serialized_rollback") or "django_db_serialized_rollback" in names
    transactional = kwargs.get("transaction") or "transactional_db" in names or "live_server" in names
    if not transactional:
        return 0
    return 1 if serialized else 2


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_serialized_rollback", "django_db_reset_sequences"}


def _uses_database(item) -> bool:
    """pytest-django refuses database access to a test without these, so a test without them never reaches one."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return item.get_closest_marker("django_db") is not None or bool(DB_FIXTURES & fixtures)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    items.sort(key=_db_order)
    # bin/test runs the suite on PostgreSQL and on SQLite side by side; a test that touches no database gives the
    # same answer in both, so the PostgreSQL run (LIUGUAN_TEST_DB_ONLY=1) leaves it to the SQLite run.
    if os.environ.get("LIUGUAN_TEST_DB_ONLY") == "1":
        free = [item for item in items if not _uses_database(item)]
        if free:
            config.hook.pytest_deselected(items=free)
            items[:] = [item for item in items if _uses_database(item)]
