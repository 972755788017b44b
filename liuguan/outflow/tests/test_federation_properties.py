"""Hostile input at the federation door: any bytes, any signature header, any payload.

The inbox reads bodies from anyone before it knows who sent them, so whatever arrives is answered with a
status and a refusal on record, never a server error; the payload checks of the handlers raise InvalidInput
and nothing else; the key and signature parsers answer None or False to anything that is not theirs.
"""

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from liuguan.core.errors import InvalidInput
from liuguan.outflow import keys
from liuguan.outflow.models import InboxMessage, Refusal
from liuguan.outflow.services import handlers
from liuguan.outflow.services.inbox import ENVELOPE_FIELDS, _malformed, envelope_receive

from .federation_support import HERE, THERE, envelope

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(st.characters(codec=None), max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
# Envelopes that get past parts of the door: the right field names, any values, text with NUL and lone surrogates.
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "v": st.sampled_from([1, True, "1", 2]) | json_values,
        "id": st.uuids().map(str) | json_values,
        "from": st.sampled_from([THERE, "", "\x00", "\ud800", "CN-99"]) | json_values,
        "to": st.sampled_from([HERE, "\x00x", "CN-50"]) | json_values,
        "kind": st.sampled_from(["person.query", "x", "\x00"]) | json_values,
        "sent_at": st.sampled_from(["2026-01-01T00:00:00+00:00", "2026-02-30T00:00:00Z", "x"]) | json_values,
        "payload": st.dictionaries(st.text(max_size=6), json_values, max_size=3) | json_values,
    },
)
bodies = (
    st.binary(max_size=200)
    | envelopes.map(lambda e: json.dumps(e).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
)
DEEP = b"[" * 100_000  # JSON nested deeper than Python's recursion limit


@settings(max_examples=150)
@given(bodies)
@example(DEEP)
@example(b'{"v": 1e999}')
def test_any_body_is_an_envelope_or_says_what_is_wrong(body):
    found, problem = _malformed(body)
    assert isinstance(problem, str)
    if not problem:
        assert set(ENVELOPE_FIELDS) <= set(found) and isinstance(found["payload"], dict)


@pytest.mark.django_db
@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, header=st.text(max_size=20) | st.sampled_from(["ed25519=", "sm2=AAAA", "ed25519=" + "A" * 88]))
@example(body=DEEP, header="")
@example(body=json.dumps({f: "\x00" for f in ENVELOPE_FIELDS} | {"v": 1}).encode(), header="")
@example(body=json.dumps({"v": 1, "from": "\ud800", "id": "\x00", "kind": "\ud800"}).encode(), header="")
def test_whatever_arrives_is_answered_and_recorded_never_a_server_error(peer, body, header):
    refusals, messages = Refusal.objects.count(), InboxMessage.objects.count()
    status, answer = envelope_receive(body=body, signature_header=header, remote_addr="10.0.0.9\x00")
    assert 200 <= status < 500 and answer["request_hash"]
    # Unsigned by the peer's key, nothing is applied: each of these is a refusal on record.
    assert InboxMessage.objects.count() == messages
    assert Refusal.objects.count() == refusals + 1


@pytest.mark.django_db
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(payload=st.dictionaries(st.sampled_from(["doc_number", "origin_ref", "x"]), json_values, max_size=3))
def test_a_signed_envelope_with_any_payload_is_applied_or_rejected_with_problems(peer, peer_key, payload):
    body, header = envelope(peer_key, payload=payload)
    status, answer = envelope_receive(body=body, signature_header=header, remote_addr="10.0.0.9")
    assert status < 500, answer
    message = InboxMessage.objects.filter(message_id=json.loads(body)["id"]).first()
    if message is None:
        # NaN, infinity, NUL or a lone surrogate cannot be stored as JSON: the envelope is refused as malformed.
        assert (status, answer["reason"]) == (400, Refusal.Reason.MALFORMED)
    else:
        assert message.status in (InboxMessage.Status.APPLIED, InboxMessage.Status.REJECTED)


payload_values = json_values | st.sampled_from(
    ["2025-02-30", "2025-13-01", "9999-12-31", "0001-01-01", "510104", "²³", "5101٠٤", "2026-02-30T10:00:00Z"]
)


@settings(max_examples=150)
@given(value=payload_values, required=st.booleans())
def test_the_payload_readers_answer_or_raise_invalid_input(value, required):
    payload = {"k": value}
    for read in (
        lambda: handlers._text(payload, "k", 12, required=required),
        lambda: handlers._code(payload, "k", required=required),
        lambda: handlers._date(payload, "k", required=required),
        lambda: handlers._reason(payload | {"reason": value}),
        lambda: handlers._person_values({"person": {"birth_date": value, "doc_number": value}}),
    ):
        try:
            read()
        except InvalidInput as exc:
            assert exc.problems


@settings(max_examples=150)
@given(key=st.text(max_size=60) | st.sampled_from(["sm2:", "ed25519:AAAA", "sm2:" + "A" * 88, "x:y"]), sig=st.text())
def test_keys_and_signatures_that_are_not_ours_are_refused_quietly(key, sig):
    assert keys.parse_public_key(key) is None or keys.public_key_valid(key)
    assert isinstance(keys.signature_from_header(sig), str)
    assert keys.verify(key, b"body", sig) in (True, False)
    assert keys.decode_b64(sig, 64) is None or len(keys.decode_b64(sig, 64)) == 64
