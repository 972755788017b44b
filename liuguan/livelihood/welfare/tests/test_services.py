"""Each service: a valid write with its audit event; a refusal names the field and the rule and changes nothing;
outside the actor's scope looks missing; the training right is read from the residence permit."""

import datetime as dt

import pytest
from django.utils.translation import gettext

from liuguan.accounts.roles import Role
from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.exchange.models import Department
from liuguan.livelihood.welfare import services
from liuguan.livelihood.welfare.models import (
    FamilyPlanningService,
    JobSeeker,
    MedicalCover,
    RemoteTreatmentFiling,
    Training,
    TrainingEnrolment,
)
from liuguan.registry.models import Employer

pytestmark = pytest.mark.django_db
TODAY = china_today()


def _state():
    return (
        MedicalCover.objects.count(),
        RemoteTreatmentFiling.objects.count(),
        tuple(RemoteTreatmentFiling.objects.values_list("status", flat=True)),
        FamilyPlanningService.objects.count(),
        tuple(JobSeeker.objects.values_list("status", flat=True)),
        Training.objects.count(),
        tuple(TrainingEnrolment.objects.values_list("status", flat=True)),
        AuditEvent.objects.count(),
    )


def refused(call, exc_type, field=None, rule=None):
    before = _state()
    with pytest.raises(exc_type) as info:
        call()
    if field is not None:
        problems = info.value.problems if isinstance(info.value, InvalidInput) else [info.value]
        assert (field, rule) in [(p.field, p.rule) for p in problems]
    assert _state() == before
    return info.value


@pytest.fixture
def desk(users):
    return users[Role.STATION_OFFICER]


def test_cover_is_recorded_and_audited(desk, person_in):
    cover = services.medical_cover_record(
        actor=desk, person_id=person_in.pk, scheme="resident", insured_place="511321", valid_from=dt.date(2025, 1, 1)
    )
    assert cover.source == "declared"
    assert AuditEvent.objects.filter(action="welfare.cover_record", object_id=str(cover.pk)).exists()


def test_cover_refusals_change_nothing(desk, users, person_in, person_far):
    refused(
        lambda: services.medical_cover_record(
            actor=desk, person_id=person_in.pk, scheme="employee", valid_from=dt.date(2025, 1, 1)
        ),
        InvalidInput,
        "insured_place",
        "welfare.insured_place_required",
    )
    refused(
        lambda: services.medical_cover_record(
            actor=desk,
            person_id=person_in.pk,
            scheme="none",
            valid_from=dt.date(2025, 2, 1),
            valid_to=dt.date(2025, 1, 1),
        ),
        InvalidInput,
        "valid_to",
        "welfare.cover_term",
    )
    refused(
        lambda: services.medical_cover_record(actor=desk, person_id=person_far.pk, scheme="none", valid_from=TODAY),
        NotFound,
    )
    refused(
        lambda: services.medical_cover_record(
            actor=users[Role.COLLECTOR], person_id=person_in.pk, scheme="none", valid_from=TODAY
        ),
        PermissionDenied,
    )


def test_filing_is_filed_then_decided_once(desk, person_in):
    filing = services.remote_treatment_file(
        actor=desk,
        person_id=person_in.pk,
        insured_place="511321",
        treatment_place="510104001001",
        reason="residence",
        valid_until=TODAY + dt.timedelta(days=365),
    )
    assert filing.status == "filed"
    refused(
        lambda: services.remote_treatment_decide(actor=desk, filing_id=filing.pk, approve=False),
        InvalidInput,
        "note",
        "welfare.refusal_reason",
    )
    services.remote_treatment_decide(actor=desk, filing_id=filing.pk, approve=True)
    filing.refresh_from_db()
    assert filing.status == "approved" and filing.decided_on is not None
    refused(
        lambda: services.remote_treatment_decide(actor=desk, filing_id=filing.pk, approve=True),
        Conflict,
        "status",
        "welfare.filing_decided",
    )


def test_filing_treatment_place_must_be_in_the_desks_area(desk, person_in):
    call = dict(actor=desk, person_id=person_in.pk, insured_place="511321", reason="work")
    refused(
        lambda: services.remote_treatment_file(
            **call, treatment_place="510703001001", valid_until=TODAY + dt.timedelta(days=30)
        ),
        InvalidInput,
        "treatment_place",
        "welfare.treatment_place",
    )
    refused(
        lambda: services.remote_treatment_file(**call, treatment_place="510104001001", valid_until=TODAY),
        InvalidInput,
        "valid_until",
        "welfare.filing_term",
    )


def test_family_planning_service_needs_one_provider(desk, person_in):
    Department.objects.create(code="health", name="卫生健康委员会")
    service = services.family_planning_record(
        actor=desk, person_id=person_in.pk, kind="pre_pregnancy", on=TODAY, department_code="health"
    )
    assert service.provider.code == "health"
    refused(
        lambda: services.family_planning_record(actor=desk, person_id=person_in.pk, kind="contraception", on=TODAY),
        InvalidInput,
        "office_id",
        "welfare.provider_one",
    )
    refused(
        lambda: services.family_planning_record(
            actor=desk, person_id=person_in.pk, kind="x", on=TODAY, department_code="health"
        ),
        InvalidInput,
        "kind",
        "welfare.service_kind",
    )


def test_job_seeker_registered_placed_and_once(desk, person_in, person_out):
    seeker = services.job_seeker_register(actor=desk, person_id=person_in.pk, industry="E", occupation="钢筋工")
    assert seeker.community_id == "510104001001" and seeker.status == "seeking"
    refused(
        lambda: services.job_seeker_register(actor=desk, person_id=person_in.pk, industry="E"),
        Conflict,
        "person_id",
        "welfare.seeking",
    )
    refused(lambda: services.job_seeker_register(actor=desk, person_id=person_out.pk, industry="E"), NotFound)
    far_employer = Employer.objects.create(name="绵阳某厂", industry="C", community_id="510703001001")
    refused(
        lambda: services.job_seeker_place(actor=desk, seeker_id=seeker.pk, employer_id=far_employer.pk),
        InvalidInput,
        "employer_id",
        "welfare.employer",
    )
    employer = Employer.objects.create(name="锦江建筑公司", industry="E", community_id="510104001001")
    services.job_seeker_place(actor=desk, seeker_id=seeker.pk, employer_id=employer.pk)
    seeker.refresh_from_db()
    assert (seeker.status, seeker.employer_id) == ("employed", employer.pk)
    refused(
        lambda: services.job_seeker_withdraw(actor=desk, seeker_id=seeker.pk),
        Conflict,
        "status",
        "welfare.seeker_closed",
    )


def test_job_seeker_needs_what_is_wanted(desk, person_in):
    refused(
        lambda: services.job_seeker_register(actor=desk, person_id=person_in.pk),
        InvalidInput,
        "occupation",
        "welfare.wanted_required",
    )


def course(desk, *, subsidised=False, places=30):
    return services.training_create(
        actor=desk,
        name="电工上岗培训",
        provider="锦江职业技能培训学校",
        kind="vocational",
        community_code="510104001001",
        starts_on=TODAY,
        ends_on=TODAY + dt.timedelta(days=30),
        subsidised=subsidised,
        places=places,
    )


def test_course_refusals(desk):
    refused(
        lambda: services.training_create(
            actor=desk,
            name="x",
            provider="y",
            kind="vocational",
            community_code="510703001001",
            starts_on=TODAY,
            ends_on=TODAY,
        ),
        InvalidInput,
        "community_code",
        "welfare.community",
    )


def test_enrol_complete_and_drop(desk, person_in, person_far):
    training = course(desk, places=1)
    enrolment = services.training_enrol(actor=desk, training_id=training.pk, person_id=person_in.pk)
    refused(
        lambda: services.training_enrol(actor=desk, training_id=training.pk, person_id=person_in.pk),
        Conflict,
        "person_id",
        "welfare.enrolled",
    )
    refused(lambda: services.training_enrol(actor=desk, training_id=training.pk, person_id=person_far.pk), NotFound)
    refused(
        lambda: services.enrolment_complete(actor=desk, enrolment_id=enrolment.pk, certificate_number=" "),
        InvalidInput,
        "certificate_number",
        "welfare.certificate",
    )
    services.enrolment_complete(actor=desk, enrolment_id=enrolment.pk, certificate_number="dg-2026-001")
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.certificate_number) == ("completed", "DG-2026-001")
    refused(
        lambda: services.enrolment_drop(actor=desk, enrolment_id=enrolment.pk),
        Conflict,
        "status",
        "welfare.enrolment_closed",
    )


def test_a_full_course_refuses(desk, person_in, users):
    from liuguan.conftest import _person, citizen_id

    other = _person("李四", citizen_id("511321", "19920101", "222"), "510104001001", pinyin="lisi", initials="ls")
    training = course(desk, places=1)
    services.training_enrol(actor=desk, training_id=training.pk, person_id=person_in.pk)
    refused(
        lambda: services.training_enrol(actor=desk, training_id=training.pk, person_id=other.pk),
        Conflict,
        "training_id",
        "welfare.course_full",
    )


def test_subsidised_course_needs_a_valid_permit(desk, person_in):
    from liuguan.permits.models import PermitPolicy
    from liuguan.permits.services.policies import permit_policies_load
    from liuguan.permits.tests._permrights import make_permit

    training = course(desk, subsidised=True)
    error = refused(
        lambda: services.training_enrol(actor=desk, training_id=training.pk, person_id=person_in.pk),
        InvalidInput,
        "person_id",
        "welfare.training_right",
    )
    lead = gettext("A subsidised course needs the permit's training right: %(why)s").split("%(why)s")[0]
    assert str(error.problems[0].message).startswith(lead) and len(str(error.problems[0].message)) > len(lead)
    permit_policies_load()
    policy = PermitPolicy.objects.filter(rights_profile="chengdu").first() or PermitPolicy.objects.first()
    make_permit(person_in, policy, kind="temporary", issued_on=TODAY - dt.timedelta(days=30))
    enrolment = services.training_enrol(actor=desk, training_id=training.pk, person_id=person_in.pk)
    assert enrolment.status == "enrolled"
