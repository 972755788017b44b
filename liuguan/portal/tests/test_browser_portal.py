"""The issue's browser test, on a phone-sized screen: a migrant signs in with a code, declares a stay, applies
for a permit, a school place and legal aid, and sees each status change as officers act."""

import datetime as dt

import pytest
from django.utils import translation

from liuguan.accounts.roles import Role
from liuguan.conftest import citizen_id
from liuguan.geo.models import Office, OfficeKind
from liuguan.portal.models import StayDeclaration
from liuguan.registry.models import Person

from .conftest import last_code

NEXT_DOOR = "510104001002"
PHONE = "13912345678"


def _label(choice) -> str:
    with translation.override("zh-hans"):
        return str(choice.label)


def _status_of(page, kind: str) -> str:
    page.goto("/portal/requests/")
    return page.locator(f'[data-testid=request][data-kind="{kind}"] [data-testid=request-status]').first.inner_text()


@pytest.mark.django_db(transaction=True)
def test_a_migrant_on_a_phone_asks_for_everything_and_sees_officers_act(
    phone_page, users, person_in, permit_policies, divisions
):
    from liuguan.livelihood.legalaid.models import LegalAidRequest
    from liuguan.livelihood.legalaid.models import Status as AidStatus
    from liuguan.livelihood.legalaid.services import legal_aid_request_act, legal_aid_unit_create
    from liuguan.livelihood.schooling.models import Guardianship, SchoolApplication
    from liuguan.livelihood.schooling.models import Status as SchoolStatus
    from liuguan.livelihood.schooling.services import school_application_refuse, schooling_rules_load
    from liuguan.permits.models import Application
    from liuguan.permits.policy import policy_from
    from liuguan.permits.services.applications import application_complete

    page = phone_page
    # An earlier transactional test may have flushed the rules the schooling migration loads.
    schooling_rules_load()
    Office.objects.create(kind=OfficeKind.STATION, name="西御河沿社区服务站", division=divisions[NEXT_DOOR])
    child = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", "20180901", "112"),
        name="张小明",
        name_pinyin="zhangxiaoming",
        name_initials="zxm",
        sex="M",
        birth_date=dt.date(2018, 9, 1),
        hukou_code="511321",
    )
    Guardianship.objects.create(child=child, guardian=person_in, relation="father")
    legal_aid_unit_create(
        actor=users[Role.COUNTY_OFFICER], kind="centre", name="锦江区法律援助中心", division_code="510104"
    )
    street = users[Role.STREET_OFFICER]

    # Sign in with a code.
    page.goto("/portal/")
    page.fill("[data-testid=phone]", PHONE)
    page.click("[data-testid=send-code]")
    page.fill("[data-testid=code]", last_code(PHONE))
    page.click("[data-testid=verify]")
    page.wait_for_selector("[data-testid=portal-home]")
    assert person_in.name in page.inner_text("[data-testid=portal-home]")

    # Declare a stay next door; the street office accepts it.
    page.click("[data-testid=tile-declare]")
    page.select_option("#id_community", NEXT_DOOR)
    page.fill("#id_address", "西御河沿街 5 号")
    page.fill("#id_arrived_on", "2025-06-01")
    page.select_option("#id_reason", "work")
    page.click("[data-testid=declare]")
    page.wait_for_url("**/portal/requests/")
    assert _status_of(page, "declaration") == _label(StayDeclaration.Status.PENDING)
    from liuguan.portal.services import declaration_accept

    declaration_accept(actor=street, declaration_id=StayDeclaration.objects.get().pk)
    assert _status_of(page, "declaration") == _label(StayDeclaration.Status.ACCEPTED)

    # Apply for a permit; the station receives the materials and accepts it.
    page.goto("/portal/permit/")
    page.click("[data-testid=apply-permit]")
    page.wait_for_url("**/portal/requests/")
    assert _status_of(page, "permit") == _label(Application.Status.INCOMPLETE)
    application = Application.objects.get()
    brought = {code: True for code, _ in policy_from(application.policy).materials}
    application_complete(actor=street, application_id=application.pk, materials=brought)
    assert _status_of(page, "permit") == _label(Application.Status.ACCEPTED)

    # A school place for the child; the station refuses it with a reason.
    page.goto("/portal/school/")
    page.select_option("#id_level", "primary")
    page.click("[data-testid=apply-school]")
    page.wait_for_url("**/portal/requests/")
    assert _status_of(page, "school") == _label(SchoolStatus.SUBMITTED)
    school_application_refuse(actor=street, application_id=SchoolApplication.objects.get().pk, reason="学位已满")
    assert _status_of(page, "school") == _label(SchoolStatus.REFUSED)

    # Legal aid: referred to the district centre at once, which accepts it.
    page.goto("/portal/legal-aid/")
    page.select_option("#id_kind", "wage_arrears")
    page.fill("#id_description", "老板拖欠工资三个月")
    page.click("[data-testid=ask-legal-aid]")
    page.wait_for_url("**/portal/requests/")
    assert _status_of(page, "legal_aid") == _label(AidStatus.REFERRED)
    aid = LegalAidRequest.objects.get()
    legal_aid_request_act(actor=users[Role.COUNTY_OFFICER], request_id=aid.pk, action="accept")
    assert _status_of(page, "legal_aid") == _label(AidStatus.ACCEPTED)

    # The messages tell of the changes.
    assert page.locator("[data-testid=notification]").count() >= 2
