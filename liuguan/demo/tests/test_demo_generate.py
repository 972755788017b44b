from collections import Counter

import pytest
from django.core.management import call_command
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import ROLE_LEVELS, Role
from liuguan.compliance.codes import ReportOutcome
from liuguan.compliance.models import DutyReport
from liuguan.core.audit import audit_verify
from liuguan.core.identity import DocumentError, parse_document, validate_credit_code
from liuguan.core.models import AuditEvent
from liuguan.demo.accounts import DEMO_PASSWORD
from liuguan.demo.defects import Rates
from liuguan.demo.models import Defect, DefectKind, DemoRun, TruePerson
from liuguan.demo.reset import demo_reset
from liuguan.demo.runs import DemoDataExists
from liuguan.geo.models import Division, Grid, Level, Office
from liuguan.registry.models import Employer, House, Lodging, Person, Stay


@pytest.mark.django_db
def test_every_document_number_validates_and_agrees_with_the_person_row(generate):
    generate(persons=1500)
    duplicates = {d.person_id: d for d in Defect.objects.filter(kind=DefectKind.DUPLICATE)}
    broken_on_purpose = {pk for pk, d in duplicates.items() if not d.detail["check_valid"]}
    assert Person.objects.filter(doc_type="citizen_id").count() > 1000
    for person in Person.objects.all():
        if person.pk in broken_on_purpose:
            with pytest.raises(DocumentError) as error:
                parse_document(person.doc_type, person.doc_number)
            assert error.value.rule == "gb11643.check_digit"
            continue
        parsed = parse_document(person.doc_type, person.doc_number)
        assert parsed.number == person.doc_number
        if person.doc_type in ("citizen_id", "hmt_resident"):
            assert (parsed.birth_date, parsed.sex) == (person.birth_date, person.sex), person.doc_number
        if person.doc_type == "citizen_id" and person.pk not in duplicates:
            # A mistyped duplicate may carry an area code that does not exist; real numbers never do.
            assert not parsed.warnings, person.doc_number
            assert person.hukou_code == person.doc_number[:6]


@pytest.mark.django_db
def test_every_credit_code_validates_and_names_the_county_of_its_place(generate):
    generate(persons=800)
    holders = list(Employer.objects.values_list("credit_code", "community_id")) + list(
        Lodging.objects.values_list("credit_code", "community_id")
    )
    assert len(holders) > 20
    for code, community in holders:
        assert validate_credit_code(code) == code
        assert code[2:8] == community[:6]


@pytest.mark.django_db
def test_stays_are_in_communities_with_their_house_and_at_most_one_open_per_person(generate):
    generate(persons=1200)
    communities = set(Division.objects.filter(level=Level.COMMUNITY).values_list("code", flat=True))
    stays = list(Stay.objects.select_related("house", "lodging", "grid"))
    assert {s.community_id for s in stays} <= communities
    for stay in stays:
        # Hotel guests (duties.py) stay at a hotel instead of a house.
        assert (stay.house or stay.lodging).community_id == stay.community_id
        assert stay.grid is None or stay.grid.community_id == stay.community_id
        assert stay.departed_on is None or stay.departed_on >= stay.arrived_on
        assert stay.registered_at.date() >= stay.arrived_on
    open_stays = Counter(s.person_id for s in stays if s.departed_on is None)
    assert max(open_stays.values()) == 1
    trajectories = Counter(s.person_id for s in stays)
    assert any(n >= 2 for n in trajectories.values())
    chengdu = sum(1 for s in stays if s.community_id.startswith("5101"))
    assert 0.45 < chengdu / len(stays) < 0.75


@pytest.mark.django_db
def test_injected_defects_come_at_the_requested_rates(generate):
    rates = Rates(late=0.08, wrong=0.03, unregistered=0.10, duplicate=0.02)
    run = generate(persons=2500, rates=rates)
    kinds = Counter(Defect.objects.values_list("kind", flat=True))
    stays = Stay.objects.count() - kinds[DefectKind.DUPLICATE]
    truths = TruePerson.objects.count()
    registered = TruePerson.objects.filter(registered=True)
    citizens = registered.filter(doc_type="citizen_id").count()
    assert truths == 2500
    assert abs(kinds[DefectKind.LATE_REGISTRATION] / stays - 0.08) < 0.025
    assert abs(kinds[DefectKind.WRONG_FIELD] / citizens - 0.03) < 0.015
    assert abs(kinds[DefectKind.UNREGISTERED] / truths - 0.10) < 0.04
    assert abs(kinds[DefectKind.DUPLICATE] / registered.count() - 0.02) < 0.012
    assert run.summary["defects"] == {k: v for k, v in kinds.items()}


@pytest.mark.django_db
def test_a_higher_late_rate_gives_more_late_registrations(generate):
    generate(persons=1000, rates=Rates(late=0.25))
    late = Defect.objects.filter(kind=DefectKind.LATE_REGISTRATION).count()
    assert abs(late / Stay.objects.count() - 0.25) < 0.05


@pytest.mark.django_db
def test_each_defect_points_at_what_it_says(generate):
    generate(persons=1500)
    truth = {t.true_key: t for t in TruePerson.objects.all()}
    for defect in Defect.objects.select_related("person", "stay"):
        real = truth[defect.true_key]
        if defect.kind == DefectKind.UNREGISTERED:
            assert defect.person is None and defect.stay is None and not real.registered
            assert defect.detail["house_id"] == real.house_id
            recorded = Person.objects.filter(doc_number=real.doc_number)
            if "reported_by" not in defect.detail:
                assert not recorded.exists() and real.person_id is None
                continue
            # A landlord's or employer's report registered them: the report created their only stay.
            channel = defect.detail["reported_by"]
            person = recorded.get()
            assert person.pk == real.person_id == defect.detail["person_id"] and person.source_channel == channel
            stay = Stay.objects.get(person=person)
            assert stay.departed_on is None and stay.source_channel == channel and stay.collector_id is None
            assert (stay.house_id, stay.employer_id) == (real.house_id, real.employer_id)
            assert stay.arrived_on == real.arrived_on
            report = DutyReport.objects.get(stay=stay, outcome=ReportOutcome.CREATED)
            assert report.channel == channel and report.reported_at == stay.registered_at
        elif defect.kind == DefectKind.LATE_REGISTRATION:
            assert defect.stay.person_id == defect.person_id == real.person_id
            lag = (timezone.localtime(defect.stay.registered_at).date() - defect.stay.arrived_on).days
            assert lag > 7 and defect.detail["lag_days"] == lag
        elif defect.kind == DefectKind.WRONG_FIELD:
            field = defect.detail["field"]
            assert defect.person_id == real.person_id
            assert getattr(defect.person, field) == defect.detail["recorded"] != getattr(real, field)
            assert getattr(real, field) == defect.detail["true"]
        else:
            original = Person.objects.get(pk=defect.detail["original_person_id"])
            assert original.pk == real.person_id and original.doc_number == real.doc_number
            assert defect.person.doc_number != original.doc_number
            assert defect.stay.person_id == defect.person_id
            assert defect.stay.community_id == real.community_id


@pytest.mark.django_db
def test_children_live_with_parents_who_are_old_enough(generate):
    generate(persons=1200)
    truth = {t.true_key: t for t in TruePerson.objects.all()}
    children = [t for t in truth.values() if t.father_key or t.mother_key]
    assert len(children) > 100
    for child in children:
        for key in (child.father_key, child.mother_key):
            if key and key in truth:
                parent = truth[key]
                assert parent.house_id == child.house_id
                assert (child.birth_date - parent.birth_date).days >= 20 * 365
        assert child.arrived_on >= child.birth_date


@pytest.mark.django_db
def test_demo_accounts_exist_for_every_role_at_their_level(generate):
    generate(persons=600)
    # People's accounts; the demo subsystem's service account logs in with keys only (test_exchange_demo.py).
    users = {u.username: u for u in User.objects.select_related("division").filter(subsystem__isnull=True)}
    # Migrants sign in to the portal with a one-time code: their accounts are made at their first sign-in.
    assert {u.role for u in users.values()} == set(Role.values) - {Role.MIGRANT}
    assert not User.objects.get(subsystem__isnull=False).has_usable_password()
    for user in users.values():
        if user.is_duty_holder:
            assert user.division is None  # bound to a house, employer or hotel instead (test_duties.py)
        else:
            assert user.division.level in ROLE_LEVELS[Role(user.role)], user.username
        assert user.check_password(DEMO_PASSWORD)
    assert users["collector"].division.level == Level.COMMUNITY
    assert users["collector"].division_id.startswith(users["street"].division_id)
    assert users["street"].division_id.startswith(users["county"].division_id)
    assert users["collector2"].division_id.startswith("5107")
    assert users["department"].department.code == "public_security"
    # The collector's own pages must show people.
    assert Stay.objects.filter(community_id=users["collector"].division_id).count() >= 5
    assert Stay.objects.filter(collector=users["collector"]).exists()
    assert Grid.objects.filter(community_id=users["grid"].division_id, worker=users["grid"]).exists()


@pytest.mark.django_db
def test_a_run_leaves_one_audit_event_besides_the_accounts_and_the_chain_holds(generate):
    run = generate(persons=600)
    actions = Counter(AuditEvent.objects.values_list("action", flat=True))
    assert actions["demo.generate"] == 1
    assert actions["user.create"] == 14
    assert actions["user.create_batch"] == 1  # the field workers
    event = AuditEvent.objects.get(action="demo.generate")
    assert event.object_id == str(run.pk) and event.changes["seed"] == 7
    assert event.changes["counts"]["person"] == Person.objects.count()
    assert audit_verify().ok


@pytest.mark.django_db
def test_reset_replaces_the_people_but_keeps_places_and_accounts(generate):
    generate(persons=600)
    offices = set(Office.objects.values_list("pk", flat=True))
    users, divisions = set(User.objects.values_list("pk", flat=True)), Division.objects.count()
    with pytest.raises(DemoDataExists):
        generate(persons=600)
    generate(persons=300, seed=8, reset=True)
    assert DemoRun.objects.count() == 1
    assert TruePerson.objects.count() == 300
    # Besides the real people registered (by a registration channel or a report) and their duplicates:
    # landlords and hotel guests (duties.py).
    counts = DemoRun.objects.get().summary["counts"]
    assert Person.objects.count() == (
        TruePerson.objects.filter(person__isnull=False).count()
        + Defect.objects.filter(kind=DefectKind.DUPLICATE).count()
        + counts["landlord"]
        + counts["guest"]
    )
    assert House.objects.count() < 600
    assert offices <= set(Office.objects.values_list("pk", flat=True))
    # Field workers of communities only the new run populates come on top.
    assert users <= set(User.objects.values_list("pk", flat=True))
    assert Division.objects.count() == divisions


@pytest.mark.django_db
def test_the_command_prints_the_summary(sichuan, capsys):
    call_command("demo", "--persons", "300", "--seed", "5", "--as-of", "2026-06-30", "--chunk-size", "100")
    out = capsys.readouterr().out
    assert "real people (truth)" in out and "defect late_registration" in out and "done in" in out


@pytest.mark.django_db
def test_reset_keeps_rows_added_by_hand_and_clears_their_references_to_generated_ones(generate):
    # given: a person registered by hand at a generated house, and a hand-made house let by a generated person
    generate(persons=300)
    generated_house = House.objects.order_by("pk").first()
    generated_person = Person.objects.order_by("pk").first()
    someone = Person.objects.create(
        doc_type="passport",
        doc_number="E12345678",
        name="HAND MADE",
        sex="F",
        birth_date="1990-01-01",
        name_pinyin="handmade",
        name_initials="hm",
    )
    stay = Stay.objects.create(
        person=someone,
        community_id=generated_house.community_id,
        house=generated_house,
        reason="work",
        arrived_on="2026-01-05",
        source_channel="self",
    )
    flat = House.objects.create(
        address="手工录入", community_id=generated_house.community_id, landlord=generated_person
    )
    # when
    demo_reset()
    # then
    stay.refresh_from_db()
    flat.refresh_from_db()
    assert stay.house_id is None and flat.landlord_id is None
    assert list(Person.objects.all()) == [someone]
    assert list(House.objects.all()) == [flat]
    assert not TruePerson.objects.exists() and not DemoRun.objects.exists()


def test_reset_takes_the_work_done_on_generated_people_with_them(generate, settings):
    # given: permits issued to generated people (applications and permits protect people and stays)
    from django.core.management import call_command

    from liuguan.permits.models import Permit

    generate(persons=600)
    call_command("load_permit_policies", verbosity=0)
    call_command("permits_demo", share=0.5, verbosity=0)
    assert Permit.objects.exists()
    # when
    generate(persons=300, seed=8, reset=True)
    # then
    assert not Permit.objects.exists() and TruePerson.objects.count() == 300
