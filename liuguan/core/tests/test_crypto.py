"""Pluggable cryptography: SM3, SM4 and SM2 against the standards' vectors and by hand, and every place that
hashes, signs or encrypts switching algorithm without making what it stored before unverifiable."""

import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as c_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.db import transaction

from liuguan.core import crypto
from liuguan.core.audit import SYSTEM, audit_record, audit_verify
from liuguan.core.models import AuditEvent

# --- known answers -------------------------------------------------------------------------------------------


def test_sm3_gives_the_gb_t_32905_vectors():
    sm3 = crypto.hash_algorithm("sm3")
    assert sm3.hexdigest(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert sm3.hexdigest(b"abcd" * 16) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    assert crypto.hash_algorithm("sha256").hexdigest(b"abc") == hashlib.sha256(b"abc").hexdigest()


def test_hmac_sm3_agrees_with_an_independent_implementation():
    mac = c_hmac.HMAC(b"key", hashes.SM3())
    mac.update(b"message")
    assert crypto.hash_algorithm("sm3").hmac(b"key", b"message") == mac.finalize()


def test_sm4_gives_the_gb_t_32907_vector_and_sm4_gcm_the_rfc_8998_vector():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    block = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305 (the standard's one-block vector)
    assert (block.update(key) + block.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"
    sm4 = crypto.cipher_algorithm("sm4-gcm")
    nonce = bytes.fromhex("00001234567800000000ABCD")
    aad = bytes.fromhex("FEEDFACEDEADBEEFFEEDFACEDEADBEEFABADDAD2")
    plain = bytes.fromhex("AA" * 8 + "BB" * 8 + "CC" * 8 + "DD" * 8 + "EE" * 8 + "FF" * 8 + "EE" * 8 + "AA" * 8)
    sealed = sm4.encrypt(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), nonce, plain, aad)
    assert sealed[:-16].hex().upper() == (
        "17F399F08C67D5EE19D0DC9969C4BB7D5FD46FD3756489069157B282BB200735"
        "D82710CA5C22F0CCFA7CBF93D496AC15A56834CBCF98C397B4024A2691233B8D"
    )
    assert sealed[-16:].hex().upper() == "83DE3541E4C2B58177E065A9BF7B62EC"
    assert sm4.decrypt(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), nonce, sealed, aad) == plain
    tampered = bytes([sealed[0] ^ 1]) + sealed[1:]
    with pytest.raises(crypto.CryptoError):
        sm4.decrypt(bytes.fromhex("0123456789ABCDEFFEDCBA9876543210"), nonce, tampered, aad)


@pytest.mark.parametrize("name", ["ed25519", "sm2"])
def test_signatures_round_trip_and_refuse_a_tampered_message_or_another_key(name):
    scheme = crypto.signature_algorithm(name)
    private, other = scheme.generate(), scheme.generate()
    public = scheme.public_key(private)
    assert len(public) == scheme.public_key_bytes and scheme.public_key_valid(public)
    message = "迁入 510104 张三".encode()
    signature = scheme.sign(private, message)
    assert len(signature) == scheme.signature_bytes
    assert scheme.verify(public, message, signature)
    assert not scheme.verify(public, message + b" ", signature)
    assert not scheme.verify(scheme.public_key(other), message, signature)
    assert not scheme.verify(public, message, bytes([signature[0] ^ 1]) + signature[1:])


def test_an_sm2_public_key_off_the_curve_is_not_valid():
    scheme = crypto.signature_algorithm("sm2")
    public = scheme.public_key(scheme.generate())
    assert not scheme.public_key_valid(public[:-1] + bytes([public[-1] ^ 1]))
    assert not scheme.public_key_valid(b"\x04" + b"\x00" * 64)


@pytest.mark.parametrize("name", ["aes-256-gcm", "sm4-gcm"])
def test_field_encryption_round_trips_names_its_cipher_and_key_and_refuses_tampering(settings, tmp_path, name):
    settings.LIUGUAN_DATA_KEYS = settings.LIUGUAN_INDEX_KEYS = ""  # the key file, made on first use
    settings.LIUGUAN_DATA_KEY_FILE = str(tmp_path / "keys.json")
    settings.LIUGUAN_CIPHER = name
    sealed = crypto.encrypt_text("51010419900307001X")
    assert sealed.startswith(f"v1:{name}:") and "51010419900307001X" not in sealed
    assert sealed != crypto.encrypt_text("51010419900307001X")  # a fresh nonce each time
    settings.LIUGUAN_CIPHER = "aes-256-gcm" if name == "sm4-gcm" else "sm4-gcm"
    assert crypto.decrypt_text(sealed) == "51010419900307001X"  # read with the cipher it names
    head, body = sealed.rsplit(":", 1)
    raw = bytearray(base64.b64decode(body))
    raw[-1] ^= 1
    with pytest.raises(crypto.CryptoError):
        crypto.decrypt_text(f"{head}:{base64.b64encode(bytes(raw)).decode()}")


def test_the_blind_index_is_keyed_normalised_and_tagged_with_key_and_hash(settings, tmp_path):
    settings.LIUGUAN_DATA_KEYS = settings.LIUGUAN_INDEX_KEYS = ""  # the key file, made on first use
    settings.LIUGUAN_DATA_KEY_FILE = str(tmp_path / "keys.json")
    tag = crypto.blind_index("51010419900307001x")
    assert tag == crypto.blind_index(" ５１０１０４１９９００３０７００１X ")  # full-width, spaces, case
    assert tag.startswith("1s:") and tag != crypto.blind_index("510104199003070011")
    settings.LIUGUAN_HASH = "sm3"
    assert crypto.blind_index("51010419900307001X").startswith("1m:")
    assert tag in crypto.blind_index_candidates("51010419900307001X")
    settings.LIUGUAN_DATA_KEY_FILE = str(tmp_path / "other.json")
    assert tag not in crypto.blind_index_candidates("51010419900307001X")  # another index key


# --- the audit chain ---------------------------------------------------------------------------------------


def _record(i):
    with transaction.atomic():
        audit_record(actor=SYSTEM, action="test.write", object_type="thing", object_id=str(i), changes={"n": i})


@pytest.mark.django_db
def test_an_audit_chain_that_switched_to_sm3_midway_verifies_and_tampering_still_breaks_it(settings):
    _record(1)
    _record(2)
    settings.LIUGUAN_HASH = "sm3"
    _record(3)
    _record(4)
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.hash_algorithm for e in events] == ["sha256", "sha256", "sm3", "sm3"]
    assert events[2].prev_hash == events[1].hash
    settings.LIUGUAN_HASH = "sha256"
    assert audit_verify().ok and audit_verify().checked == 4
    AuditEvent.objects.filter(pk=3).update(hash_algorithm="sha256")  # relabelled: its hash no longer matches
    report = audit_verify()
    assert report.broken_id == 3
    AuditEvent.objects.filter(pk=3).update(hash_algorithm="sm3", changes={"n": 30})
    assert audit_verify().broken_id == 3


# --- federation, permits, webhooks --------------------------------------------------------------------------


def test_an_sm2_instance_publishes_a_key_that_names_its_algorithm_and_signs_that_verify(settings, tmp_path):
    from liuguan.outflow import keys

    settings.LIUGUAN_FEDERATION = {**settings.LIUGUAN_FEDERATION, "key_file": tmp_path / "fed.pem"}
    settings.LIUGUAN_SIGNATURE = "sm2"
    public = keys.public_key_b64()
    assert public.startswith("sm2:") and keys.public_key_valid(public)
    assert (tmp_path / "federation_sm2.key").exists() and not (tmp_path / "fed.pem").exists()
    body = b'{"v":1,"kind":"outflow.notice"}'
    header = keys.signature_header(body)
    assert header.startswith("sm2=")
    signature = keys.signature_from_header(header)
    assert keys.verify(public, body, signature)
    assert not keys.verify(public, body + b" ", signature)
    # The receiver verifies with the key's algorithm whatever it signs with itself.
    settings.LIUGUAN_SIGNATURE = "ed25519"
    ed_public = keys.public_key_b64()
    assert keys.verify(public, body, signature)
    assert not keys.verify(ed_public, body, signature)
    assert keys.verify(ed_public, body, keys.signature_from_header(keys.signature_header(body)))
    assert not keys.public_key_valid("sm2:" + ed_public) and not keys.public_key_valid("rsa:" + ed_public)


def test_permit_tokens_made_with_hmac_sm3_verify_after_switching_back_and_forgeries_do_not(settings):
    from types import SimpleNamespace

    from liuguan.permits.tokens import token_for, token_read

    permit = SimpleNamespace(pk=4711, token_nonce="k3J9-xQ_m2Zp8sWt")
    sha_token = token_for(permit)
    settings.LIUGUAN_HASH = "sm3"
    sm3_token = token_for(permit)
    assert sm3_token != sha_token and len(sm3_token) == len(sha_token)
    settings.LIUGUAN_HASH = "sha256"
    assert token_read(sm3_token).permit_id == 4711 and token_read(sha_token).permit_id == 4711
    forged = sm3_token[:-1] + ("A" if sm3_token[-1] != "A" else "B")
    assert token_read(forged) is None


def test_webhook_signatures_with_hmac_sm3():
    from liuguan.exchange.services.webhooks import signature

    body = b'{"events":[1]}'
    assert signature("s3cret", body) == "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    mac = c_hmac.HMAC(b"s3cret", hashes.SM3())
    mac.update(body)
    assert signature("s3cret", body, "sm3") == "sm3=" + mac.finalize().hex()
