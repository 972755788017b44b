"""Each workflow step allowed and refused (nothing changed on refusal), and a migrant's ownership of a child."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.livelihood.schooling import selectors
from liuguan.livelihood.schooling.models import Guardianship, School, SchoolApplication, SchoolRecord
from liuguan.livelihood.schooling.services import (
    guardianship_link,
    school_application_check,
    school_application_place,
    school_application_refuse,
    school_application_submit,
    school_application_support_decide,
    school_application_withdraw,
    school_places_set,
    school_record_end,
    school_record_start,
    school_record_transfer,
    school_register,
    school_update,
)
from liuguan.permits.tests._permrights import insurance, make_permit
from liuguan.permits.tests.conftest import permit_policies  # noqa: F401 (fixture)
from liuguan.portal.models import PortalNotification

pytestmark = pytest.mark.django_db

DOCS = ["hukou_booklet", "residence_permit", "lease", "labour_contract", "vaccination_certificate"]


def _unchanged(fn):
    """Run a refused call and check that nothing at all was written."""
    counts = (AuditEvent.objects.count(), SchoolApplication.objects.count(), SchoolRecord.objects.count())
    statuses = list(SchoolApplication.objects.order_by("pk").values_list("status", "placed_school_id"))
    fn()
    assert (AuditEvent.objects.count(), SchoolApplication.objects.count(), SchoolRecord.objects.count()) == counts
    assert list(SchoolApplication.objects.order_by("pk").values_list("status", "placed_school_id")) == statuses


@pytest.fixture
def eligible(family, permit_policies):  # noqa: F811
    make_permit(family.father, permit_policies["chengdu"], kind="formal", issued_on=dt.date(2026, 3, 1))
    insurance(family.father, dt.date(2025, 1, 1))
    return family


def _submit(actor, family, **kw):
    kw.setdefault("documents", DOCS)
    kw.setdefault("school_year", 2027)
    return school_application_submit(actor=actor, child_id=family.child.pk, level="primary", **kw)


# Guardianship ----------------------------------------------------------------------------------------------


def test_guardianship_link_allowed_and_refused(users, family):
    station = users[Role.STATION_OFFICER]
    Guardianship.objects.filter(guardian=family.mother).delete()
    link = guardianship_link(actor=station, child_id=family.child.pk, guardian_id=family.mother.pk, relation="mother")
    assert selectors.is_guardian(guardian=family.mother, child=family.child) and link.relation == "mother"
    before = Guardianship.objects.count()
    with pytest.raises(Conflict):
        guardianship_link(actor=station, child_id=family.child.pk, guardian_id=family.mother.pk, relation="mother")
    with pytest.raises(InvalidInput):  # a child cannot be the guardian of a parent
        guardianship_link(actor=station, child_id=family.mother.pk, guardian_id=family.child.pk, relation="other")
    with pytest.raises(NotFound):  # the other family lives outside the station's community
        guardianship_link(
            actor=station, child_id=family.other_child.pk, guardian_id=family.other_parent.pk, relation="father"
        )
    with pytest.raises(PermissionDenied):
        guardianship_link(
            actor=users[Role.COLLECTOR], child_id=family.child.pk, guardian_id=family.father.pk, relation="other"
        )
    assert Guardianship.objects.count() == before
    assert selectors.children_of(person=family.father) == [family.child]


# Schools ---------------------------------------------------------------------------------------------------


def test_school_register_update_and_places(users, divisions):
    station = users[Role.STATION_OFFICER]
    school = school_register(
        actor=station,
        name="东御河沿小学",
        kind="public",
        levels=["primary"],
        community_code="510104001001",
        places={"primary": {"2027": 40}},
    )
    assert (school.catchment, selectors.places_left(school=school, level="primary", year=2027)) == (
        ["510104001001"],
        40,
    )
    school_update(actor=station, school_id=school.pk, kind="private", catchment=["510104001"])
    school.refresh_from_db()
    assert (school.kind, school.catchment) == ("private", ["510104001"])
    school_places_set(actor=station, school_id=school.pk, level="primary", year=2027, places=30)
    assert selectors.places_left(school=school, level="primary", year=2027) == 30
    count = School.objects.count()
    with pytest.raises(InvalidInput):  # another county's community
        school_register(
            actor=station, name="涪城小学", kind="public", levels=["primary"], community_code="510703001001"
        )
    with pytest.raises(InvalidInput):
        school_register(actor=station, name="X", kind="state", levels=["primary"], community_code="510104001001")
    with pytest.raises(InvalidInput):  # a level the school does not teach
        school_places_set(actor=station, school_id=school.pk, level="junior", year=2027, places=3)
    with pytest.raises(PermissionDenied):
        school_register(
            actor=users[Role.CITY_OFFICER], name="Y", kind="public", levels=["primary"], community_code="510104001001"
        )
    assert School.objects.count() == count


# Applications ----------------------------------------------------------------------------------------------


def test_station_submits_checks_and_places_in_the_catchment(users, eligible, schools):
    station = users[Role.STATION_OFFICER]
    application = _submit(station, eligible, school_id=schools.private.pk)
    assert (application.status, application.eligible, application.guardian) == ("submitted", True, eligible.father)
    assert application.number.startswith("SA2027") and application.community_id == "510104001001"
    school_application_check(actor=station, application_id=application.pk)
    # The private school asked for is outside the family's catchment while the public one has places.
    _unchanged(
        lambda: pytest.raises(
            InvalidInput,
            school_application_place,
            actor=station,
            application_id=application.pk,
            school_id=schools.private.pk,
        )
    )
    placed = school_application_place(actor=station, application_id=application.pk)
    assert (placed.status, placed.placed_school) == ("placed", schools.public)
    record = SchoolRecord.objects.get(child=eligible.child)
    assert (record.school, record.started_on, record.application) == (schools.public, dt.date(2027, 9, 1), placed)
    assert selectors.places_left(school=schools.public, level="primary", year=2027) == 1
    # No notification: the application came through the station.
    assert not PortalNotification.objects.exists()


def test_place_refused_when_not_checked_not_eligible_or_full(users, family, schools):
    station = users[Role.STATION_OFFICER]
    application = _submit(station, family)  # no permit, no insurance: not eligible
    _unchanged(
        lambda: pytest.raises(InvalidInput, school_application_place, actor=station, application_id=application.pk)
    )
    school_application_check(actor=station, application_id=application.pk)
    _unchanged(
        lambda: pytest.raises(InvalidInput, school_application_place, actor=station, application_id=application.pk)
    )
    SchoolApplication.objects.filter(pk=application.pk).update(eligible=True)
    school_places_set(actor=station, school_id=schools.public.pk, level="primary", year=2027, places=0)
    _unchanged(
        lambda: pytest.raises(
            InvalidInput,
            school_application_place,
            actor=station,
            application_id=application.pk,
            school_id=schools.public.pk,
        )
    )
    # With the catchment school full, a school elsewhere in the county takes the child.
    assert school_application_place(actor=station, application_id=application.pk).placed_school == schools.private


def test_refuse_withdraw_and_their_refusals(users, family, schools):
    station = users[Role.STATION_OFFICER]
    application = _submit(station, family)
    _unchanged(
        lambda: pytest.raises(
            InvalidInput, school_application_refuse, actor=station, application_id=application.pk, reason=" "
        )
    )
    refused = school_application_refuse(actor=station, application_id=application.pk, reason="无有效居住证")
    assert (refused.status, refused.reason, refused.decided_by) == ("refused", "无有效居住证", station)
    _unchanged(
        lambda: pytest.raises(InvalidInput, school_application_withdraw, actor=station, application_id=application.pk)
    )
    again = _submit(station, family)
    assert school_application_withdraw(actor=station, application_id=again.pk).status == "withdrawn"
    _unchanged(lambda: pytest.raises(InvalidInput, school_application_check, actor=station, application_id=again.pk))


def test_second_open_application_conflicts(users, family, schools):
    station = users[Role.STATION_OFFICER]
    _submit(station, family)
    _unchanged(lambda: pytest.raises(Conflict, _submit, station, family))


def test_officers_outside_the_area_and_wrong_roles_are_refused(users, family, schools):
    application = _submit(users[Role.STATION_OFFICER], family)
    far_child = family.other_child
    _unchanged(
        lambda: pytest.raises(
            NotFound,
            school_application_submit,
            actor=users[Role.STATION_OFFICER],
            child_id=far_child.pk,
            level="primary",
            documents=DOCS,
        )
    )
    _unchanged(
        lambda: pytest.raises(
            PermissionDenied, school_application_check, actor=users[Role.CITY_OFFICER], application_id=application.pk
        )
    )
    _unchanged(lambda: pytest.raises(PermissionDenied, _submit, users[Role.COLLECTOR], family))
    # A county officer of the area decides; one of another county sees nothing.
    assert school_application_check(actor=users[Role.COUNTY_OFFICER], application_id=application.pk).status == "checked"


def test_support_decisions(users, eligible, schools):
    station = users[Role.STATION_OFFICER]
    _unchanged(lambda: pytest.raises(InvalidInput, _submit, station, eligible, fee_waiver=True))  # no hardship given
    application = _submit(station, eligible, boarding=True, hardship_reason="父亲工伤，家庭收入低")
    _unchanged(
        lambda: pytest.raises(
            InvalidInput, school_application_support_decide, actor=station, application_id=application.pk, boarding=True
        )
    )  # not checked yet
    school_application_check(actor=station, application_id=application.pk)
    _unchanged(
        lambda: pytest.raises(
            InvalidInput,
            school_application_support_decide,
            actor=station,
            application_id=application.pk,
            fee_waiver=True,
        )
    )  # not asked for
    decided = school_application_support_decide(actor=station, application_id=application.pk, boarding=True)
    assert (decided.boarding_granted, decided.fee_waiver_granted) == (True, None)


# A migrant acts for their own children only --------------------------------------------------------------


def test_migrant_applies_for_own_child_and_is_told_of_each_change(users, eligible, schools):
    application = school_application_submit(
        actor=eligible.migrant, child_id=eligible.child.pk, level="primary", documents=DOCS, channel="station"
    )
    assert (application.channel, application.guardian, application.submitted_by) == (
        "portal",
        eligible.father,
        eligible.migrant,
    )
    assert selectors.school_applications_for_person(person=eligible.mother) == [application]
    station = users[Role.STATION_OFFICER]
    school_application_check(actor=station, application_id=application.pk)
    school_application_place(actor=station, application_id=application.pk)
    titles = list(
        PortalNotification.objects.filter(person=eligible.father).order_by("pk").values_list("title", flat=True)
    )
    assert len(titles) == 3 and all(application.number in n.body for n in PortalNotification.objects.all())


def test_migrant_cannot_apply_for_or_touch_someone_elses_child(users, family, schools):
    _unchanged(
        lambda: pytest.raises(
            NotFound,
            school_application_submit,
            actor=family.stranger,
            child_id=family.child.pk,
            level="primary",
            documents=DOCS,
        )
    )
    mine = _submit(users[Role.STATION_OFFICER], family)
    _unchanged(
        lambda: pytest.raises(NotFound, school_application_withdraw, actor=family.stranger, application_id=mine.pk)
    )
    _unchanged(
        lambda: pytest.raises(PermissionDenied, school_application_check, actor=family.migrant, application_id=mine.pk)
    )
    assert selectors.school_applications_for_person(person=family.other_parent) == []
    # The father may withdraw the application the station took for his child.
    assert school_application_withdraw(actor=family.migrant, application_id=mine.pk).status == "withdrawn"


# School records ------------------------------------------------------------------------------------------


def test_record_start_transfer_and_end(users, family, schools):
    station = users[Role.STATION_OFFICER]
    county = users[Role.COUNTY_OFFICER]
    first = school_record_start(
        actor=station,
        child_id=family.child.pk,
        school_id=schools.public.pk,
        level="primary",
        started_on=dt.date(2025, 9, 1),
    )
    _unchanged(
        lambda: pytest.raises(
            Conflict,
            school_record_start,
            actor=station,
            child_id=family.child.pk,
            school_id=schools.public.pk,
            level="primary",
            started_on=dt.date(2025, 9, 2),
        )
    )
    # The private school is in another street: the county's officer records the transfer.
    _unchanged(
        lambda: pytest.raises(
            NotFound,
            school_record_transfer,
            actor=station,
            child_id=family.child.pk,
            school_id=schools.private.pk,
            on=dt.date(2026, 3, 1),
        )
    )
    second = school_record_transfer(
        actor=county, child_id=family.child.pk, school_id=schools.private.pk, on=dt.date(2026, 3, 1)
    )
    first.refresh_from_db()
    assert (first.ended_on, first.end_reason) == (dt.date(2026, 2, 28), "transfer")
    assert (second.school, second.started_on, second.ended_on) == (schools.private, dt.date(2026, 3, 1), None)
    _unchanged(
        lambda: pytest.raises(
            InvalidInput,
            school_record_end,
            actor=county,
            child_id=family.child.pk,
            on=dt.date(2026, 7, 1),
            reason="transfer",
        )
    )
    ended = school_record_end(actor=county, child_id=family.child.pk, on=dt.date(2026, 7, 1), reason="left")
    assert (ended.ended_on, ended.end_reason) == (dt.date(2026, 7, 1), "left")
    assert [r.school for r in selectors.records_of(child=family.child)] == [schools.public, schools.private]


def test_schools_near_lists_the_catchment_first_with_places_left(schools):
    near = selectors.schools_near(community_code="510104001001", level="primary", year=2027)
    assert [(r["name"], r["in_catchment"], r["places_left"]) for r in near] == [
        ("督院街小学", True, 2),
        ("锦华实验学校", False, 2),
    ]
    assert selectors.schools_near(community_code="510104001001", level="junior", year=2027)[0]["name"] == "锦华实验学校"
