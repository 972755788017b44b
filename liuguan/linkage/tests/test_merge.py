import datetime as dt

import pytest
from django.utils import timezone

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY, citizen_id
from liuguan.core.errors import Conflict, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.exchange.models import DepartmentFact
from liuguan.linkage.models import CandidatePair, Merge
from liuguan.linkage.services.merge import (
    merge_undo,
    pair_keep_apart,
    pair_merge,
    person_merge,
    person_relations,
    proposed_survivor,
)
from liuguan.registry.models import DuplicateReview, FieldChange, Person, Stay
from liuguan.registry.selectors import person_get, person_search


def _twin(
    number,
    *,
    name="张叁",
    phone="13800000001",
    created=None,
    community=IN_COMMUNITY,
    arrived=(2024, 1, 5),
    departed=None,
):
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin="zhangsan",
        name_initials="zs",
        sex="M",
        birth_date=dt.date(1990, 3, 7),
        hukou_code=number[:6],
        phone=phone,
        created_at=created or timezone.now(),
    )
    Stay.objects.create(
        person=person,
        community_id=community,
        reason="work",
        arrived_on=dt.date(*arrived),
        departed_on=departed,
        source_channel="landlord",
        address="西御河沿街 3 号",
    )
    return person


@pytest.fixture
def twin(person_in):
    # The same 张三 registered again later under a mistyped (check digit kept: invalid) number.
    wrong = person_in.doc_number[:-3] + "9" + person_in.doc_number[-2:]
    return _twin(wrong, created=person_in.created_at + dt.timedelta(days=30), departed=dt.date(2024, 4, 1))


@pytest.fixture
def pair(person_in, twin):
    low, high = sorted([person_in, twin], key=lambda p: p.pk)
    return CandidatePair.objects.create(person_low=low, person_high=high, match_probability=0.97)


def test_relations_are_found_hidden_ones_included_demo_truth_left_alone():
    labels = {(r.label, r.field) for r in person_relations()}
    # related_name="+" relations are invisible to Person._meta.related_objects but must move too.
    assert ("compliance.dutyreport", "person") in labels and ("oversight.feedbacktask", "person") in labels
    assert ("registry.duplicatereview", "candidate") in labels and ("registry.stay", "person") in labels
    assert not any(label.startswith(("demo.", "linkage.")) for label, _f in labels)


def test_merge_moves_every_record_applies_survivorship_and_is_audited(users, person_in, twin, pair, department):
    officer = users[Role.STATION_OFFICER]
    fact = DepartmentFact.objects.create(
        person=twin, department=department, kind="social_insurance", reference="SI-1", occurred_on=dt.date(2025, 2, 1)
    )
    review = DuplicateReview.objects.create(candidate=twin, decision="different")
    # The twin's phone was set later than the survivor's: the most recent one wins.
    FieldChange.objects.create(
        object_type="registry.person", object_id=twin.pk, field="phone", new_value="13800000001", channel="landlord"
    )
    # when
    merge = pair_merge(actor=officer, pair_id=pair.pk, survivor_id=person_in.pk)
    # then
    person_in.refresh_from_db()
    twin.refresh_from_db()
    assert twin.merged_into == person_in and twin.merged_at is not None
    assert Stay.objects.filter(person=person_in).count() == 2 and not Stay.objects.filter(person=twin).exists()
    fact.refresh_from_db()
    review.refresh_from_db()
    assert fact.person == person_in and review.candidate == person_in
    assert person_in.phone == "13800000001" and merge.rules["phone"] == "most recently set"
    assert person_in.name == "张三" and person_in.doc_number != twin.doc_number  # identity from the valid record
    pair.refresh_from_db()
    assert pair.status == CandidatePair.Status.MERGED and pair.decided_by == officer
    event = AuditEvent.objects.get(action="linkage.merge")
    assert event.changes["survivor"] == person_in.pk and event.changes["moved"]["registry.stay.person"] == 1
    # The merged-away record leaves search but stays reachable from the survivor and by its own id.
    assert [p.pk for p in person_search(user=officer, query="zhangsan")] == [person_in.pk]
    assert [p.pk for p in person_get(user=officer, person_id=person_in.pk).merged_people.all()] == [twin.pk]
    assert person_get(user=officer, person_id=twin.pk).merged_into_id == person_in.pk


def test_earliest_registration_and_blank_fields_survive(users, person_in):
    older = _twin(citizen_id("510104", "19900307", "555"), created=person_in.created_at - dt.timedelta(days=400))
    Person.objects.filter(pk=person_in.pk).update(education="")
    Person.objects.filter(pk=older.pk).update(education="40")
    person_merge(actor=users[Role.STATION_OFFICER], survivor_id=person_in.pk, merged_id=older.pk)
    person_in.refresh_from_db()
    assert person_in.created_at == older.created_at and person_in.education == "40"


def test_survivor_with_invalid_number_is_refused_and_nothing_changes(users, person_in, twin, pair):
    assert proposed_survivor(twin, person_in) == person_in
    with pytest.raises(Conflict) as exc_info:
        pair_merge(actor=users[Role.STATION_OFFICER], pair_id=pair.pk, survivor_id=twin.pk)
    assert exc_info.value.rule == "linkage.survivor_invalid_document"
    assert not Merge.objects.exists() and Stay.objects.filter(person=twin).count() == 1
    assert not Person.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize("role", [Role.COLLECTOR, Role.COUNTY_OFFICER, Role.DEPARTMENT_USER])
def test_roles_without_review_cannot_merge(users, person_in, twin, pair, role):
    with pytest.raises(PermissionDenied):
        pair_merge(actor=users[role], pair_id=pair.pk, survivor_id=person_in.pk)
    pair.refresh_from_db()
    assert pair.status == "open" and not Merge.objects.exists()


def test_pair_outside_scope_looks_missing(users, person_in):
    far = _twin(citizen_id("510703", "19900307", "777"), community=OUT_COMMUNITY)
    low, high = sorted([person_in, far], key=lambda p: p.pk)
    pair = CandidatePair.objects.create(person_low=low, person_high=high, match_probability=0.9)
    with pytest.raises(NotFound):
        pair_merge(actor=users[Role.STATION_OFFICER], pair_id=pair.pk, survivor_id=person_in.pk)
    with pytest.raises(NotFound):
        person_merge(actor=users[Role.STATION_OFFICER], survivor_id=person_in.pk, merged_id=far.pk)
    assert Stay.objects.filter(person=far).count() == 1 and not Merge.objects.exists()


def test_undo_restores_pointers_and_fields(users, person_in, twin, pair, department):
    officer = users[Role.STATION_OFFICER]
    before_phone = person_in.phone
    Person.objects.filter(pk=twin.pk).update(created_at=person_in.created_at - dt.timedelta(days=3))
    twin.refresh_from_db()
    fact = DepartmentFact.objects.create(
        person=twin, department=department, kind="social_insurance", reference="SI-2", occurred_on=dt.date(2025, 2, 1)
    )
    merge = pair_merge(actor=officer, pair_id=pair.pk, survivor_id=person_in.pk)
    person_in.refresh_from_db()
    assert person_in.created_at == twin.created_at
    # when
    merge_undo(actor=officer, merge_id=merge.pk)
    # then
    person_in.refresh_from_db()
    twin.refresh_from_db()
    fact.refresh_from_db()
    assert twin.merged_into is None and fact.person == twin
    assert Stay.objects.filter(person=twin).count() == 1 and Stay.objects.filter(person=person_in).count() == 1
    assert person_in.phone == before_phone and person_in.created_at < twin.created_at + dt.timedelta(days=4)
    assert person_in.created_at != twin.created_at
    pair.refresh_from_db()
    assert pair.status == "open"
    assert AuditEvent.objects.filter(action="linkage.merge_undone", object_id=str(merge.pk)).exists()
    with pytest.raises(Conflict):
        merge_undo(actor=officer, merge_id=merge.pk)


def test_undo_is_refused_when_the_survivor_changed_since(users, person_in, twin, pair):
    officer = users[Role.STATION_OFFICER]
    merge = pair_merge(actor=officer, pair_id=pair.pk, survivor_id=person_in.pk)
    Person.objects.filter(pk=person_in.pk).update(phone="13900000000")
    with pytest.raises(Conflict) as exc_info:
        merge_undo(actor=officer, merge_id=merge.pk)
    assert "phone" in exc_info.value.message
    twin.refresh_from_db()
    assert twin.merged_into == person_in and not Stay.objects.filter(person=twin).exists()


def test_undo_is_refused_when_a_moved_record_was_moved_again(users, person_in, twin, pair):
    officer = users[Role.STATION_OFFICER]
    merge = pair_merge(actor=officer, pair_id=pair.pk, survivor_id=person_in.pk)
    third = _twin(citizen_id("510104", "19800101", "111"), name="李某")
    Stay.objects.filter(pk=merge.moved[0]["ids"][0]).update(person=third)
    with pytest.raises(Conflict):
        merge_undo(actor=officer, merge_id=merge.pk)
    assert Merge.objects.get().undone_at is None


def test_a_row_a_uniqueness_rule_forbids_stays_with_the_merged_record(users, person_in):
    # Both records have an open stay in the same community: only one open stay per person and place.
    same_place = _twin(citizen_id("510104", "19900307", "559"), created=person_in.created_at + dt.timedelta(days=1))
    merge = person_merge(actor=users[Role.STATION_OFFICER], survivor_id=person_in.pk, merged_id=same_place.pk)
    assert merge.kept == [{"model": "registry.stay", "field": "person", "ids": [same_place.stays.get().pk]}]
    merge_undo(actor=users[Role.STATION_OFFICER], merge_id=merge.pk)
    assert Stay.objects.filter(person=same_place).count() == 1


def test_keep_apart_is_recorded_and_audited(users, pair):
    done = pair_keep_apart(actor=users[Role.STATION_OFFICER], pair_id=pair.pk, note="twins, different people")
    assert done.status == "kept_apart" and done.note == "twins, different people"
    assert AuditEvent.objects.filter(action="linkage.keep_apart").count() == 1
    with pytest.raises(Conflict):
        pair_keep_apart(actor=users[Role.STATION_OFFICER], pair_id=pair.pk)


def test_survivor_follows_merges(users, person_in, twin, pair):
    pair_merge(actor=users[Role.STATION_OFFICER], pair_id=pair.pk, survivor_id=person_in.pk)
    assert Person.objects.get(pk=twin.pk).survivor == person_in and person_in.survivor == person_in


def test_a_merged_away_number_finds_the_survivor_wherever_people_are_looked_up(users, person_in):
    from liuguan.registry.lookup import person_by_document

    older = _twin(citizen_id("510104", "19900307", "015"), created=timezone.now() - dt.timedelta(days=9))
    person_merge(actor=users[Role.STATION_OFFICER], survivor_id=person_in.pk, merged_id=older.pk)
    # the merged-away record keeps its number, but a report, a fact or a verification by it reaches the survivor
    assert person_by_document("citizen_id", older.doc_number) == person_in
    assert person_by_document("citizen_id", person_in.doc_number) == person_in
    assert person_by_document("citizen_id", citizen_id("510104", "19900307", "777")) is None
