"""A permit from the counter to the public check, in a browser: a station officer takes an application with a
missing photo, gives the one notice, completes and approves it, issues and prints the permit; the PDF holds the
holder's Chinese name and a QR code a scanner reads as the verification address; a phone (no login) opens that
address and sees "valid", and after the officer revokes the permit, "revoked".
"""

import datetime as dt
import re

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import PHONE, browser_login
from liuguan.core.identity import china_today
from liuguan.permits.models import Application, Permit, Verification

from ._permdoc import pdf_qr_codes, pdf_text

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_application_to_a_revoked_permit_on_the_public_page(
    chromium, live_server, users, permit_policies, resident, settings
):
    station = users[Role.STATION_OFFICER]
    # Three months in Chengdu, working: the temporary permit (more than one month, less than a year).
    person = resident("欧阳娜娜", arrived_on=china_today() - dt.timedelta(days=95), address="东御河沿街 18 号 3 单元")
    person.stay.reason = "work"
    person.stay.save(update_fields=["reason"])

    desk = chromium.new_context(locale="zh-CN", base_url=live_server.url, viewport={"width": 1280, "height": 900})
    phone = chromium.new_context(locale="zh-CN", base_url=live_server.url, viewport=PHONE, is_mobile=True)
    try:
        page = desk.new_page()
        page.set_default_timeout(15_000)
        browser_login(page, station.username)

        # The application: found by name, taken with every material but the photo.
        page.goto("/permits/applications/new/?q=欧阳娜娜")
        page.click(f"[data-testid=applicants] a[href$='person_id={person.pk}']")
        page.wait_for_selector("[data-testid=checklist]")
        assert page.input_value("#id_permit_kind") == "temporary"
        for material in ("id_card", "lease", "labour_contract"):
            page.check(f"[data-testid=checklist] input[value={material}]")
        page.click("main form.card button[type=submit]")
        page.wait_for_selector("[data-testid=notice-link]")
        application = Application.objects.get(person=person)
        assert application.status == "incomplete"

        # The one notice lists the photo, and only the photo.
        page.click("[data-testid=notice-link] a")
        missing = page.locator("[data-testid=missing] li")
        assert missing.count() == 1 and "相片" in missing.first.text_content()
        page.screenshot(path=str(settings.VAR_DIR / "browser-permit-notice.png"), full_page=True)

        # The applicant brings the photo; the officer accepts, approves and issues.
        page.goto(f"/permits/applications/{application.pk}/")
        page.check("[data-testid=complete] input[value=photo]")
        page.click("[data-testid=complete] button[type=submit]")
        page.wait_for_selector("[data-testid=eligible]")
        page.check("input[name=decision][value=approve]")
        page.click("[data-testid=engine] form button[type=submit]")
        page.click("[data-testid=issue]")
        page.wait_for_selector("[data-testid=card-actions]")
        permit = Permit.objects.get(application=application)
        assert page.text_content("[data-testid=number]").strip() == permit.number

        # Print: the print is recorded and the card opens in a new tab.
        with page.expect_popup() as opened:
            page.click("[data-testid=print]")
        card_tab = opened.value
        card_tab.wait_for_load_state()
        pdf_url = f"/permits/{permit.pk}/card.pdf"
        assert card_tab.url.endswith(pdf_url)
        card_tab.close()
        permit.refresh_from_db()
        assert permit.printed_at is not None
        assert list(permit.events.values_list("action", flat=True)) == ["issued", "printed"]
        # The officer's browser downloads the same card (with the officer's session) to read it back.
        response = page.request.get(pdf_url)
        assert response.ok and response.headers["content-type"] == "application/pdf"
        pdf = response.body()
        text = pdf_text(pdf)
        assert "欧阳娜娜" in text and permit.number in text and person.doc_number in text
        urls = re.findall(r"https?://\S+/v/[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}", text)
        assert len(urls) == 1 and urls[0].startswith(live_server.url)
        verify_url = urls[0]
        # The QR code on the card, rendered and scanned, carries the same address as the printed text.
        assert pdf_qr_codes(pdf) == [verify_url]

        page.reload()
        page.click("[data-testid=handover]")
        page.wait_for_selector(".messages li")
        assert Permit.objects.get(pk=permit.pk).status == "valid"

        # Anyone with a phone, no account: the permit is valid; the name is masked; nothing else is shown.
        mobile = phone.new_page()
        mobile.set_default_timeout(15_000)
        mobile.goto(verify_url)
        assert mobile.get_attribute("[data-testid=verdict]", "data-answer") == "valid"
        assert mobile.text_content("[data-testid=holder]").strip() == "欧***"
        assert mobile.text_content("[data-testid=kind]").strip() == "临时居住证"
        body = mobile.text_content("body")
        assert "欧阳娜娜" not in body and permit.number not in body and "东御河沿街" not in body
        assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")  # fits the phone
        mobile.screenshot(path=str(settings.VAR_DIR / "browser-permit-verify-valid.png"), full_page=True)

        # The officer revokes the permit; the same QR code answers "revoked" at once.
        revoke = page.locator("form[action$='/revoke/']")
        page.locator("details", has=revoke).locator("summary").click()
        revoke.locator("input[name=reason]").fill("以虚假材料骗领")
        revoke.locator("button[type=submit]").click()
        page.wait_for_selector(".messages li")
        assert Permit.objects.get(pk=permit.pk).status == "revoked"
        mobile.reload()
        assert mobile.get_attribute("[data-testid=verdict]", "data-answer") == "revoked"
        assert "以虚假材料骗领" not in mobile.text_content("body")
        mobile.screenshot(path=str(settings.VAR_DIR / "browser-permit-verify-revoked.png"), full_page=True)
        assert list(Verification.objects.order_by("id").values_list("answer", flat=True)) == ["valid", "revoked"]
    finally:
        desk.close()
        phone.close()
