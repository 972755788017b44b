"""The shipped categories load again without duplicates, and an Open311 key is issued once, stored as a hash."""

import io

import pytest
from django.core.management import call_command

from liuguan.grid.models import EventCategory, Open311Client
from liuguan.grid.services.open311 import open311_client_by_key

pytestmark = pytest.mark.django_db


def test_categories_reload_in_place_and_each_names_one_responsible():
    before = EventCategory.objects.count()
    EventCategory.objects.filter(pk="fire_safety").update(dispose_days=99)
    call_command("load_grid_categories", stdout=io.StringIO())
    assert EventCategory.objects.count() == before >= 12
    assert EventCategory.objects.get(pk="fire_safety").dispose_days == 5
    for category in EventCategory.objects.all():
        assert bool(category.office_level) != bool(category.department_code), category.code


def test_open311_key_is_printed_once_and_only_its_hash_kept():
    out = io.StringIO()
    call_command("open311_key", "12345 热线", stdout=out)
    key = out.getvalue().strip()
    client = Open311Client.objects.get()
    assert key.startswith("o311_") and key not in (client.key_hash, client.prefix)
    assert open311_client_by_key(key) == client and open311_client_by_key(key + "x") is None
