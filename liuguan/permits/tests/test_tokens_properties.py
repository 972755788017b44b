"""The QR token's parser on anything at all: a claim only for what we signed, None for the rest, never an error."""

from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from liuguan.permits.tokens import Claim, token_for, token_read

nonces = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"), min_size=8, max_size=24
)
permit_ids = st.integers(min_value=1, max_value=2**63 - 1)


@given(permit_id=permit_ids, nonce=nonces)
def test_any_permit_and_nonce_read_back_from_their_token(permit_id, nonce):
    token = token_for(SimpleNamespace(pk=permit_id, token_nonce=nonce))
    assert token_read(token) == Claim(permit_id=permit_id, nonce=nonce)


@settings(max_examples=200)
@given(
    st.text(st.characters(codec=None), max_size=60)
    | st.from_regex(r"[0-9a-z]{1,13}\.[A-Za-z0-9_-]{8,24}\.[A-Za-z0-9_-]{22}")
)
def test_text_we_did_not_sign_reads_as_nothing(text):
    assert token_read(text) is None


@given(permit_id=permit_ids, nonce=nonces, data=st.data())
def test_a_token_with_any_character_changed_reads_as_nothing(permit_id, nonce, data):
    token = token_for(SimpleNamespace(pk=permit_id, token_nonce=nonce))
    at = data.draw(st.integers(0, len(token) - 1))
    other = data.draw(st.characters(codec="utf-8").filter(lambda ch: ch != token[at]))
    assert token_read(token[:at] + other + token[at + 1 :]) is None
