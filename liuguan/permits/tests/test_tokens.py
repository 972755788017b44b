"""The QR token cannot be forged: any changed character, a swapped nonce or another key makes it worthless."""

import re
from types import SimpleNamespace

import pytest

from liuguan.permits.tokens import Claim, token_for, token_read, verification_url

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_."


def _permit(pk=4711, nonce="k3J9-xQ_m2Zp8sWt"):
    return SimpleNamespace(pk=pk, token_nonce=nonce)


def test_a_token_names_its_permit_and_nonce_and_is_short_and_url_safe():
    token = token_for(_permit())
    assert token_read(token) == Claim(permit_id=4711, nonce="k3J9-xQ_m2Zp8sWt")
    assert re.fullmatch(r"[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}", token)
    assert len(token) <= 48
    assert token_read(token_for(_permit(pk=10**12))).permit_id == 10**12


def test_changing_any_single_character_voids_the_token():
    token = token_for(_permit())
    for i, original in enumerate(token):
        for replacement in ALPHABET:
            if replacement == original:
                continue
            altered = token[:i] + replacement + token[i + 1 :]
            assert token_read(altered) is None, (i, altered)


def test_dropping_or_adding_characters_voids_the_token():
    token = token_for(_permit())
    for altered in (token[:-1], token + "A", token[1:], "0" + token, token.upper(), "", "..", token.replace(".", "")):
        assert token_read(altered) is None, altered


def test_a_nonce_or_tag_taken_from_another_token_voids_the_token():
    mine = token_for(_permit(pk=4711, nonce="AAAAAAAAAAAAAAAA"))
    reprint = token_for(_permit(pk=4711, nonce="BBBBBBBBBBBBBBBB"))
    neighbour = token_for(_permit(pk=4712, nonce="CCCCCCCCCCCCCCCC"))
    permit_part, _nonce, tag = mine.split(".")
    assert token_read(f"{permit_part}.BBBBBBBBBBBBBBBB.{tag}") is None  # the nonce swapped, the tag kept
    assert token_read(f"{permit_part}.CCCCCCCCCCCCCCCC.{neighbour.split('.')[2]}") is None  # another permit's pair
    assert token_read(f"{neighbour.split('.')[0]}.AAAAAAAAAAAAAAAA.{tag}") is None  # this pair on another permit
    assert token_read(reprint) == Claim(4711, "BBBBBBBBBBBBBBBB")


def test_a_token_signed_with_another_key_is_refused(settings):
    settings.SECRET_KEY = "an-attacker-who-guessed-our-format-but-not-our-key-0123456789"
    forged = token_for(_permit())
    settings.SECRET_KEY = "the-instance-key-that-signs-the-cards-in-peoples-pockets-98765"
    assert token_read(forged) is None
    assert token_read(token_for(_permit())) is not None


def test_cards_signed_before_a_key_rotation_verify_while_the_old_key_is_a_fallback(settings):
    settings.SECRET_KEY = "old-key-printed-on-a-thousand-cards-000000000000000000000000"
    printed = token_for(_permit())
    settings.SECRET_KEY = "new-key-after-rotation-11111111111111111111111111111111111111"
    settings.SECRET_KEY_FALLBACKS = ["old-key-printed-on-a-thousand-cards-000000000000000000000000"]
    assert token_read(printed) == Claim(4711, "k3J9-xQ_m2Zp8sWt")
    settings.SECRET_KEY_FALLBACKS = []
    assert token_read(printed) is None


def test_the_key_is_used_for_nothing_else(settings):
    """Django's own signer with the same secret does not produce our tags (a salt of our own)."""
    from django.core import signing

    token = token_for(_permit())
    body = token.rsplit(".", 1)[0]
    assert token.rsplit(".", 1)[1] not in signing.Signer(sep=".").sign(body)


@pytest.mark.parametrize("base", ["https://jzz.sc.gov.cn", "https://jzz.sc.gov.cn/"])
def test_the_verification_url_is_the_public_page_with_the_token(base):
    permit = _permit()
    assert verification_url(permit, base_url=base) == f"https://jzz.sc.gov.cn/v/{token_for(permit)}"


def test_the_public_address_comes_from_settings_when_set(settings):
    settings.LIUGUAN_PUBLIC_URL = "https://jzz.sc.gov.cn"
    assert verification_url(_permit()).startswith("https://jzz.sc.gov.cn/v/")
