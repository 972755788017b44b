"""Fixtures of the outflow tests. Federation: this instance (CN-51) with its own key file, a peer (CN-50) whose
key the test holds, and a stand-in handler for one message kind.
"""

import pytest

from liuguan.core.errors import FieldProblem, InvalidInput
from liuguan.outflow.models import ExpectedArrival, Peer
from liuguan.outflow.services.messages import HANDLERS, PERSON_QUERY

from .federation_support import HERE, THERE, PeerKey


@pytest.fixture
def here(settings, tmp_path):
    """This instance is CN-51 with a key file of its own in tmp_path."""
    settings.LIUGUAN_FEDERATION = {
        **settings.LIUGUAN_FEDERATION,
        "instance": HERE,
        "key_file": tmp_path / "here.pem",
        "timeout_seconds": 2,
    }
    return HERE


@pytest.fixture
def peer_key():
    return PeerKey()


@pytest.fixture
def peer(db, here, peer_key):
    return Peer.objects.create(
        code=THERE, name="重庆", url="http://127.0.0.1:9", public_key=peer_key.public_b64, areas="50"
    )


@pytest.fixture
def applied(monkeypatch):
    """A handler for person.query that writes an expected arrival and records each call; a payload with
    "fail" writes one too, then rejects (so the test sees that the write was rolled back).
    """
    calls = []

    def handler(*, peer, message_id, payload):
        calls.append(message_id)
        ExpectedArrival.objects.create(
            peer=peer,
            origin_ref=payload.get("origin_ref", str(message_id)),
            doc_type="citizen_id",
            doc_number=payload.get("doc_number", ""),
            name="测试",
            expected_code="500101",
        )
        if payload.get("fail"):
            raise InvalidInput([FieldProblem("doc_number", "test.fail", "cannot apply")])
        return {"arrival": payload.get("origin_ref")}

    monkeypatch.setitem(HANDLERS, PERSON_QUERY, handler)
    return calls
