"""ID and phone numbers are encrypted at rest and found again through the keyed blind index; keys rotate."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction

from liuguan.core import crypto
from liuguan.core.audit import audit_verify
from liuguan.core.fields import EncryptedLookupError
from liuguan.core.models import AuditEvent
from liuguan.registry.models import Person

NUMBER = "51010419900307001X"


@pytest.fixture
def keys(settings, tmp_path):
    settings.LIUGUAN_DATA_KEYS = settings.LIUGUAN_INDEX_KEYS = ""
    settings.LIUGUAN_DATA_KEY_FILE = str(tmp_path / "data_keys.json")
    crypto.keyrings_reload()
    yield tmp_path / "data_keys.json"
    crypto.keyrings_reload()


def _person(number=NUMBER, phone="13812345678", **extra) -> Person:
    return Person(
        doc_type=extra.pop("doc_type", "citizen_id"),
        doc_number=number,
        phone=phone,
        name="张三",
        name_pinyin="zhangsan",
        name_initials="zs",
        sex="M",
        birth_date=dt.date(1990, 3, 7),
        **extra,
    )


def _raw(pk):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT doc_number, phone, doc_number_index, phone_index FROM {Person._meta.db_table} WHERE id = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_numbers_are_stored_encrypted_and_read_back_plain(keys):
    person = _person()
    person.save()
    stored_number, stored_phone, number_index, phone_index = _raw(person.pk)
    assert NUMBER not in stored_number and stored_number.startswith("v1:aes-256-gcm:")
    assert "13812345678" not in stored_phone and crypto.decrypt_text(stored_phone) == "13812345678"
    assert number_index == crypto.blind_index(NUMBER) and phone_index == crypto.blind_index("13812345678")
    fresh = Person.objects.get(pk=person.pk)
    assert fresh.doc_number == NUMBER and fresh.phone == "13812345678"
    assert fresh.doc_number_masked != NUMBER and fresh.doc_number_masked.startswith("5101")
    assert list(Person.objects.filter(pk=person.pk).values_list("doc_number", "phone")) == [(NUMBER, "13812345678")]
    assert Person.objects.filter(pk=person.pk).values("doc_number")[0]["doc_number"] == NUMBER


@pytest.mark.django_db
def test_exact_and_in_lookups_go_through_the_blind_index_others_refuse(keys):
    mine, other = _person(), _person("510104199003070011", phone="")
    Person.objects.bulk_create([mine, other])
    assert Person.objects.get(doc_number=NUMBER).name == "张三"
    assert Person.objects.filter(doc_number=NUMBER.lower()).count() == 1  # normalised
    assert Person.objects.filter(doc_number__in=[NUMBER, "510104199003070011", "nobody"]).count() == 2
    assert Person.objects.filter(doc_number__in=[]).count() == 0
    assert Person.objects.filter(phone="13812345678").count() == 1
    assert Person.objects.filter(phone="").count() == 1 and Person.objects.exclude(phone="").count() == 1
    from liuguan.registry.models import Stay

    assert not Stay.objects.filter(person__doc_number=NUMBER).exists()
    for bad in ({"doc_number__startswith": "5101"}, {"doc_number__icontains": "0307"}, {"phone__gt": "1"}):
        with pytest.raises(EncryptedLookupError):
            list(Person.objects.filter(**bad))


@pytest.mark.django_db
def test_one_document_is_one_person_on_the_blind_index(keys):
    _person().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _person(NUMBER.lower()).save()
    _person(doc_type="passport").save()  # another document type may carry the same number


@pytest.mark.django_db
def test_saving_some_fields_keeps_the_index_in_step(keys):
    person = _person()
    person.save()
    person.phone = "13900000000"
    person.save(update_fields=["phone"])
    assert Person.objects.get(phone="13900000000").pk == person.pk
    assert not Person.objects.filter(phone="13812345678").exists()


@pytest.mark.django_db
def test_rotating_the_data_key_reencrypts_every_row_and_the_old_key_can_go(keys):
    people = [_person(f"5101041990030700{i:02d}", phone=f"138000000{i:02d}") for i in range(12)]
    Person.objects.bulk_create(people)
    before = {p.pk: _raw(p.pk) for p in people}
    call_command("rotate_data_key", "--new-key", "--chunk", "5", stdout=io.StringIO())
    data, _index = crypto.keyrings()
    assert data.current == 2
    for pk, (old_number, _old_phone, old_index, _pi) in before.items():
        number, phone, index, _ = _raw(pk)
        assert number != old_number and crypto.key_version(number) == 2 and crypto.key_version(phone) == 2
        assert index == old_index  # the index key did not change
    call_command("rotate_data_key", "--drop-old", stdout=io.StringIO())
    crypto.keyrings_reload()
    assert set(crypto.keyrings()[0].keys) == {2}
    assert [p.doc_number for p in Person.objects.order_by("pk")] == [p.doc_number for p in people]
    assert Person.objects.get(doc_number="510104199003070005").phone == "13800000005"
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "crypto.rotate_data_key" in actions and "crypto.drop_data_keys" in actions
    assert audit_verify().ok


@pytest.mark.django_db
def test_an_old_key_in_use_is_not_dropped(keys):
    _person().save()
    crypto.keyring_add("data")
    with pytest.raises(CommandError, match="still need"):
        call_command("rotate_data_key", "--drop-old")
    assert Person.objects.get(doc_number=NUMBER).phone == "13812345678"  # old version still readable


@pytest.mark.django_db
def test_rotating_the_index_key_keeps_lookups_working_throughout(keys):
    people = [_person(f"5101041990030700{i:02d}", phone="") for i in range(6)]
    Person.objects.bulk_create(people)
    crypto.keyring_add("index")
    # Midway: rows still carry the old index, new rows the new one; both are found.
    _person("510104199003079999").save()
    assert _raw(Person.objects.get(doc_number="510104199003079999").pk)[2].startswith("2s:")
    assert Person.objects.filter(doc_number__in=["510104199003070003", "510104199003079999"]).count() == 2
    call_command("rotate_data_key", "--index", stdout=io.StringIO())
    assert all(_raw(p.pk)[2].startswith("2s:") for p in people)
    call_command("rotate_data_key", "--index", "--drop-old", stdout=io.StringIO())
    assert set(crypto.keyrings()[1].keys) == {2}
    assert Person.objects.get(doc_number="510104199003070003").pk == people[3].pk


@pytest.mark.django_db
def test_switching_the_index_hash_to_sm3_and_recomputing(keys, settings):
    person = _person()
    person.save()
    settings.LIUGUAN_HASH = "sm3"
    assert Person.objects.get(doc_number=NUMBER).pk == person.pk  # old SHA-256 index still matches
    call_command("rotate_data_key", "--index", stdout=io.StringIO())
    assert _raw(person.pk)[2].startswith("1m:")
    assert Person.objects.get(doc_number=NUMBER).pk == person.pk
