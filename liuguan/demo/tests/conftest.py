"""Divisions for the demo tests: a few counties of the shipped Sichuan extract, loaded inside each test's transaction.

Loading only these counties takes a fraction of a second and is rolled back with the test, so no other
app's tests ever see them.
"""

import datetime as dt
import functools

import pytest
from django.utils import timezone

from liuguan.demo.runs import demo_generate
from liuguan.geo.loading import SICHUAN_EXTRACT, read_extract
from liuguan.geo.models import Division

# The demo accounts' two counties (武侯区, 涪城区), another central district, a sending county, a Yi county.
COUNTIES = ("510104", "510107", "510703", "511302", "513431")
# Pinned so runs compare equal whatever day the tests run on (never after today: ID birth dates can't be).
AS_OF = min(dt.date(2026, 6, 30), timezone.localdate())


@functools.cache
def _rows():
    return [row for row in read_extract(SICHUAN_EXTRACT) if len(row.code) <= 6 or row.code[:6] in COUNTIES]


@pytest.fixture
def sichuan(db):
    divisions = [Division(code=r.code, name=r.name, level=r.level, parent_id=r.parent or None) for r in _rows()]
    Division.objects.bulk_create(divisions, batch_size=1000, ignore_conflicts=True)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Eleven demo accounts per run: Argon2 would spend most of a test hashing their passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def generate(sichuan):
    def run(*, seed=7, persons=800, **options):
        return demo_generate(
            seed=seed, persons=persons, as_of=AS_OF, chunk_size=options.pop("chunk_size", 300), **options
        )

    return run
