"""Assist-investigation bulletins: matched at once and continuously, once per stay, never outside validity or
after withdrawal, seen by the issuing unit's police only, worked to a conclusion; every step audited.
"""

import datetime as dt
import re

import pytest
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY, citizen_id
from liuguan.core.audit import audit_verify
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.registry.services import PersonInput, StayInput, person_register, person_update_contact, stay_update

from ..models import Bulletin, BulletinHit
from ..selectors_police import bulletin_hits, new_hits_count
from ..services.police import BulletinInput, bulletin_hit_work, bulletin_issue, bulletin_withdraw, bulletins_sweep

pytestmark = pytest.mark.django_db
WANTED = citizen_id("511321", "19880214", "317")


def police_at(divisions, code, name):
    return User.objects.create(username=name, role=Role.POLICE, division=divisions[code])


def issue(actor, **given):
    now = timezone.now()
    data = {
        "reason": "涉嫌盗窃，请协查",
        "valid_from": now - dt.timedelta(hours=1),
        "valid_until": now + dt.timedelta(days=30),
        **given,
    }
    return bulletin_issue(actor=actor, bulletin=BulletinInput(**data))


def register(actor, number=WANTED, name="赵六", community=IN_COMMUNITY, phone=""):
    return person_register(
        actor=actor,
        person=PersonInput(doc_type="citizen_id", doc_number=number, name=name, phone=phone),
        stay=StayInput(community_code=community, arrived_on=china_today() - dt.timedelta(days=3), reason="work"),
    )


def test_before_and_after_the_registration_each_bulletin_hits_once_at_once(users):
    police, collector = users[Role.POLICE], users[Role.COLLECTOR]
    # given a bulletin issued before the registration
    before = issue(police, doc_number=WANTED)
    assert not BulletinHit.objects.exists()
    # when the wanted person registers: the hit is there when the registration returns
    done = register(collector)
    hit = BulletinHit.objects.get(bulletin=before)
    assert (hit.person, hit.stay, hit.community_id) == (done.person, done.stay, IN_COMMUNITY)
    assert hit.matched_on == ["doc_number"] and hit.status == BulletinHit.Status.NEW
    # and a bulletin issued after it hits at once, on issue
    after = issue(police, name="赵六", birth_date=dt.date(1988, 2, 14))
    hit_after = BulletinHit.objects.get(bulletin=after)
    assert hit_after.stay == done.stay and hit_after.matched_on == ["name_birth_date"]
    # then changing the registration again finds nothing twice
    stay_update(actor=collector, stay_id=done.stay.pk, address="新地址 1 号")
    assert BulletinHit.objects.count() == 2
    assert AuditEvent.objects.filter(action="bulletin.hit").count() == 2
    assert audit_verify().ok


def test_bulletin_number_names_the_unit_and_year(users):
    bulletin = issue(users[Role.POLICE], phone="13800001111")
    second = issue(users[Role.POLICE], phone="13800002222")
    year = timezone.localdate().year
    assert bulletin.number == f"XC510104{year}0001" and second.number == f"XC510104{year}0002"
    assert re.fullmatch(r"XC\d{6}\d{4}\d{4}", bulletin.number)


def test_a_phone_change_anywhere_is_matched(users, person_out, divisions):
    police = users[Role.POLICE]
    bulletin = issue(police, phone="13700007777")
    assert not BulletinHit.objects.exists()
    mianyang = User.objects.create(username="c2", role=Role.COLLECTOR, division=divisions[OUT_COMMUNITY])
    person_update_contact(actor=mianyang, person_id=person_out.pk, phone="13700007777")
    hit = BulletinHit.objects.get(bulletin=bulletin)
    assert hit.person == person_out and hit.community_id == OUT_COMMUNITY and hit.matched_on == ["phone"]


def test_never_a_hit_outside_validity_or_after_withdrawal(users, person_in):
    police, collector = users[Role.POLICE], users[Role.COLLECTOR]
    now = timezone.now()
    later = issue(police, doc_number=person_in.doc_number, valid_from=now + dt.timedelta(days=2))
    withdrawn = issue(police, phone="13600006666")
    bulletin_withdraw(actor=police, bulletin_id=withdrawn.pk, reason="已抓获")
    # an expired bulletin (its validity ended yesterday) stays in the table but matches nothing
    expired = issue(police, phone="13600006666")
    Bulletin.objects.filter(pk=expired.pk).update(
        valid_from=now - dt.timedelta(days=10), valid_until=now - dt.timedelta(days=1)
    )
    person_update_contact(actor=collector, person_id=person_in.pk, phone="13600006666")
    register(collector)
    assert bulletins_sweep() == 0
    assert not BulletinHit.objects.exists()
    # the bulletin valid later hits once its validity has begun (the sweep runs it against current stays)
    Bulletin.objects.filter(pk=later.pk).update(valid_from=now - dt.timedelta(minutes=1))
    assert bulletins_sweep() == 1
    assert list(BulletinHit.objects.values_list("bulletin_id", flat=True)) == [later.pk]
    assert bulletins_sweep() == 0


def test_hits_are_seen_by_the_issuing_units_police_only(users, divisions, person_in):
    police = users[Role.POLICE]  # 510104, the unit
    city_police = police_at(divisions, "5101", "city-police")
    other_police = police_at(divisions, "510107", "wuhou-police")  # where nobody issued anything
    local_police = police_at(divisions, "510104001", "street-police")  # below the unit
    issue(police, doc_number=person_in.doc_number)
    assert bulletin_hits(user=police).count() == 1 and new_hits_count(user=police) == 1
    assert bulletin_hits(user=city_police).count() == 1
    for outsider in (other_police, local_police, users[Role.STATION_OFFICER], users[Role.PROVINCE_ADMIN]):
        assert bulletin_hits(user=outsider).count() == 0 and new_hits_count(user=outsider) == 0


def test_a_hit_is_worked_to_a_conclusion_by_the_unit(users, divisions, person_in):
    police = users[Role.POLICE]
    issue(police, doc_number=person_in.doc_number)
    hit = BulletinHit.objects.get()
    with pytest.raises(NotFound):
        bulletin_hit_work(
            actor=police_at(divisions, "510107", "wuhou"), hit_id=hit.pk, status="confirmed", conclusion="已核实"
        )
    with pytest.raises(InvalidInput) as bad:
        bulletin_hit_work(actor=police, hit_id=hit.pk, status="new", conclusion="")
    assert {p.rule for p in bad.value.problems} == {"bulletin_hit.status", "bulletin_hit.conclusion_required"}
    hit.refresh_from_db()
    assert hit.status == "new"
    bulletin_hit_work(actor=police, hit_id=hit.pk, status="confirmed", conclusion="经核实系被协查人，已控制")
    hit.refresh_from_db()
    assert (hit.status, hit.worked_by) == ("confirmed", police) and new_hits_count(user=police) == 0
    assert AuditEvent.objects.filter(action="bulletin.hit_work", object_id=str(hit.pk)).exists()


def test_issuing_needs_an_identifier_a_police_role_and_a_unit_in_scope(users):
    police = users[Role.POLICE]
    with pytest.raises(InvalidInput) as bad:
        issue(police, name="赵六")
    assert {p.rule for p in bad.value.problems} == {"bulletin.name_needs_birth_date", "bulletin.identifier_required"}
    with pytest.raises(InvalidInput) as bad:
        issue(police, phone="13800001111", unit_code="510107", valid_until=timezone.now() - dt.timedelta(days=2))
    assert {p.rule for p in bad.value.problems} == {"bulletin.unit_in_scope", "bulletin.validity_order"}
    with pytest.raises(InvalidInput) as bad:
        issue(police, doc_number="51132119880214317X")
    assert bad.value.problems[0].field == "doc_number"
    with pytest.raises(PermissionDenied):
        issue(users[Role.COUNTY_OFFICER], phone="13800001111")
    assert not Bulletin.objects.exists()


def test_import_chunks_are_matched_after_commit(users, settings, tmp_path):
    from liuguan.collection.tests.conftest import good_row, run_import, write_csv

    settings.VAR_DIR = tmp_path / "var"
    rows = [good_row(i) for i in range(3)]
    wanted = rows[1][1]
    bulletin = issue(users[Role.POLICE], doc_number=wanted)
    run_import(users[Role.COLLECTOR], write_csv(tmp_path / "rows.csv", rows))
    hits = list(BulletinHit.objects.filter(bulletin=bulletin).select_related("person", "stay"))
    assert len(hits) == 1 and hits[0].person.doc_number == wanted
    assert hits[0].stay.source_channel == "import"
    assert AuditEvent.objects.filter(action="bulletin.hit", source="import").count() == 1


def test_person_out_of_province_is_not_matched(users, person_far):
    issue(users[Role.POLICE], doc_number=person_far.doc_number)
    assert not BulletinHit.objects.exists()
