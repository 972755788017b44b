"""The printable permit: Art. 4's fields in the PDF's text, the CJK font embedded, a QR code a scanner reads,
and the officer's page that serves it (after a recorded print, inside scope, audited)."""

import time

import pytest
from django.utils import translation
from django.utils.translation import gettext

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import OUT_COMMUNITY, login
from liuguan.core.models import AuditEvent
from liuguan.permits.document import FONT_FILE, missing_glyphs, permit_pdf
from liuguan.permits.services import permit_endorse, permit_revoke
from liuguan.permits.tokens import token_for

from ._permdoc import D, pdf_fonts, pdf_qr_codes, pdf_text, permit_in_hand


@pytest.fixture
def station(users):
    return users[Role.STATION_OFFICER]


@pytest.fixture
def temporary(station, permit_policies, resident, clock):
    person = resident("欧阳娜娜", arrived_on=D(2025, 1, 10), address="东御河沿街 18 号 3 单元 502 室")
    person.hukou_address = "四川省南充市仪陇县金城镇新政路 12 号"
    person.phone = "13987654321"
    person.save()
    clock(D(2025, 3, 3))
    return permit_in_hand(station, person, permit_kind="temporary")


def test_the_pdf_holds_the_fields_of_art_4_in_full_and_nothing_more(temporary):
    person = temporary.person
    pdf = permit_pdf(temporary, verify_url="https://liuguan.example.cn/v/" + token_for(temporary))
    text = pdf_text(pdf)
    for expected in (
        "欧阳娜娜",
        "临时居住证",
        temporary.number,
        person.doc_number,  # the holder's own card: the number in full, as on the ID card
        "1990年3月7日",
        "汉族",
        "四川省南充市仪陇县金城镇新政路",
        "四川省成都市锦江区东御河沿街 18 号 3 单元 502 室",  # the stay's address, with its city and district
        "成都市公安局锦江区分局",
        "2025年3月3日",
        "2026年3月2日",  # Chengdu's temporary permit: one year
        "https://liuguan.example.cn/v/" + token_for(temporary),
    ):
        assert expected in text, expected
    assert person.phone not in text and person.name_pinyin not in text


def test_chinese_is_set_in_an_embedded_font_and_no_font_is_left_to_the_viewer(temporary):
    fonts = pdf_fonts(permit_pdf(temporary))
    assert fonts, "the page names no font"
    assert all(f["embedded"] == "/FontFile2" for f in fonts), fonts
    assert all("WenQuanYiMicroHei" in f["name"] and f["name"][7] == "+" for f in fonts)  # AAAAAA+: a subset
    embedded = fonts[0]["stream"].get_object().get_data()
    assert 1_000 < len(embedded) < FONT_FILE.stat().st_size / 10  # only the glyphs used, not the 3 MB font


def test_the_qr_code_on_the_card_reads_as_the_verification_address(temporary):
    url = "https://liuguan.example.cn/v/" + token_for(temporary)
    assert pdf_qr_codes(permit_pdf(temporary, verify_url=url)) == [url]


def test_the_national_permit_prints_its_yearly_endorsements_and_the_next_window(
    permit_policies, resident, clock, divisions
):
    station = User.objects.create(username="mianyang", role=Role.STATION_OFFICER, division=divisions[OUT_COMMUNITY])
    person = resident("买买提·艾力", community=OUT_COMMUNITY, arrived_on=D(2023, 6, 1), address="临园路 9 号")
    clock(D(2024, 3, 15))
    permit = permit_in_hand(station, person, permit_kind="permit")
    clock(D(2025, 3, 1))
    permit_endorse(actor=station, permit_id=permit.pk)
    text = pdf_text(permit_pdf(permit, on=D(2025, 6, 1)))
    assert "买买提·艾力" in text
    assert "绵阳市公安局涪城区分局" in text and "四川省绵阳市涪城区临园路 9 号" in text
    assert "2025年3月1日" in text  # the endorsement
    assert "2026年2月15日" in text and "2026年3月15日" in text  # the next window
    assert "2024年3月15日" in text


def test_same_permit_same_bytes_and_a_page_takes_well_under_a_second(temporary):
    first = permit_pdf(temporary, verify_url="https://x.cn/v/t")
    started = time.perf_counter()
    runs = 5
    for _ in range(runs):
        again = permit_pdf(temporary, verify_url="https://x.cn/v/t")
    per_pdf = (time.perf_counter() - started) / runs
    assert again == first
    assert len(first) < 100_000
    assert per_pdf < 1.0, per_pdf


def test_characters_the_font_lacks_are_named():
    assert missing_glyphs("张三丰 Zhang·1") == []
    assert missing_glyphs("王\U00020000明") == ["\U00020000"]  # CJK Extension B: prints as a box


def test_the_card_is_served_after_a_recorded_print_and_every_rendering_is_audited(temporary, station):
    client = login(station)
    response = client.get(f"/permits/{temporary.pk}/card.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    text = pdf_text(response.content)
    assert "欧阳娜娜" in text and f"http://testserver/v/{token_for(temporary)}" in text
    audited = AuditEvent.objects.filter(action="permit.document", object_id=str(temporary.pk))
    assert audited.count() == 1 and audited.get().actor_id == station.pk and audited.get().purpose


def test_the_card_is_refused_before_the_print_is_recorded_and_once_revoked(station, permit_policies, resident, clock):
    clock(D(2025, 3, 3))
    unprinted = permit_in_hand(
        station, resident("李雷", arrived_on=D(2025, 1, 10)), permit_kind="temporary", printed=False
    )
    client = login(station)
    response = client.get(f"/permits/{unprinted.pk}/card.pdf", follow=True)
    assert response.redirect_chain == [(f"/permits/{unprinted.pk}/", 302)]
    with translation.override("zh-hans"):
        expected = gettext("Record the print first: use Print on the permit's page")
    assert [str(m) for m in response.context["messages"]] == [expected]
    revoked = permit_in_hand(station, resident("韩梅梅", arrived_on=D(2025, 1, 10)), permit_kind="temporary")
    permit_revoke(actor=station, permit_id=revoked.pk, reason="虚假材料")
    assert client.get(f"/permits/{revoked.pk}/card.pdf").status_code == 302
    assert not AuditEvent.objects.filter(action="permit.document").exists()


def test_the_card_is_for_officers_who_print_inside_their_area(temporary, users, divisions):
    assert login(users[Role.COLLECTOR]).get(f"/permits/{temporary.pk}/card.pdf").status_code == 403
    elsewhere = User.objects.create(username="mianyang", role=Role.STATION_OFFICER, division=divisions[OUT_COMMUNITY])
    assert login(elsewhere).get(f"/permits/{temporary.pk}/card.pdf").status_code == 404
    assert not AuditEvent.objects.filter(action="permit.document").exists()
