"""The demo generator runs on a small world and follows the hukou rule for the scheme mix."""

import pytest

from liuguan.conftest import _person, citizen_id
from liuguan.livelihood.welfare.demo import is_rural, welfare_demo
from liuguan.livelihood.welfare.models import MedicalCover, Training

pytestmark = pytest.mark.django_db


def test_a_county_hukou_is_rural_a_district_or_county_city_is_not():
    assert is_rural("511321")  # 南部县
    assert not is_rural("510104")  # 锦江区
    assert not is_rural("510781")  # 江油市
    assert not is_rural("")


def test_the_demo_gives_most_people_cover_and_runs_twice(divisions):
    for i in range(60):
        _person(f"人{i}", citizen_id("511321", "19900101", f"{i:03d}"), "510104001001", pinyin=f"r{i}", initials="r")
    first = welfare_demo(seed=3)
    again = welfare_demo(seed=3)
    assert first == again
    assert MedicalCover.objects.count() == first["medical_cover"] >= 40
    # Rural hukou: resident insurance is the most common scheme.
    schemes = list(MedicalCover.objects.values_list("scheme", flat=True))
    assert max(set(schemes), key=schemes.count) == "resident"
    assert Training.objects.count() == first["trainings"] == 1
