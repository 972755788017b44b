"""This instance's Ed25519 key: made once with owner-only access, and signatures that verify only untouched."""

import stat

from liuguan.outflow import keys

from .federation_support import PeerKey


def test_the_key_file_is_made_once_private_and_reused(here, tmp_path):
    path = tmp_path / "here.pem"
    assert not path.exists()
    public = keys.public_key_b64()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    keys._loaded.clear()
    assert keys.public_key_b64() == public
    assert keys.public_key_valid(public) and len(keys.decode_b64(public, 32)) == 32


def test_a_signature_verifies_only_over_the_same_bytes_with_the_right_key(here):
    body = '{"v":1,"kind":"outflow.notice","name":"张三"}'.encode()
    signature = keys.sign(body)
    public = keys.public_key_b64()
    assert keys.verify(public, body, signature)
    tampered = body.replace("张三".encode(), "李四".encode())
    assert not keys.verify(public, tampered, signature)
    assert not keys.verify(PeerKey().public_b64, body, signature)
    for broken in ("", "not base64!", signature[:-4], signature + "AAAA"):
        assert not keys.verify(public, body, broken)
    assert not keys.verify("c2hvcnQ=", body, signature)


def test_the_header_carries_the_scheme(here):
    header = keys.signature_header(b"x")
    assert header.startswith("ed25519=")
    assert keys.signature_from_header(header) == header.removeprefix("ed25519=")
    assert keys.signature_from_header("sha256=abc") == ""
    assert keys.signature_from_header(None) == ""
