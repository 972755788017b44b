import pytest
from django.core.management import call_command
from django.db import transaction

from liuguan.core.audit import SYSTEM, audit_record, audit_verify
from liuguan.core.models import AuditEvent


def _record(n=3):
    for i in range(n):
        with transaction.atomic():
            audit_record(
                actor=SYSTEM,
                action="test.write",
                object_type="thing",
                object_id=str(i),
                division_code="510104001001",
                changes={"name": [None, f"名字{i}"], "n": [i, i + 1]},
            )


@pytest.mark.django_db
def test_events_chain_and_verify():
    _record(3)
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.id for e in events] == [1, 2, 3]
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    report = audit_verify()
    assert report.ok and report.checked == 3


@pytest.mark.django_db
def test_tampered_content_is_named():
    _record(4)
    AuditEvent.objects.filter(id=3).update(changes={"name": [None, "篡改"]})
    report = audit_verify()
    assert not report.ok and report.broken_id == 3 and "content" in report.reason


@pytest.mark.django_db
def test_deleted_event_is_named():
    _record(4)
    AuditEvent.objects.filter(id=2).delete()
    report = audit_verify()
    assert not report.ok and report.broken_id == 2


@pytest.mark.django_db
def test_deleted_tail_is_detected_through_the_head():
    _record(3)
    AuditEvent.objects.filter(id=3).delete()
    assert not audit_verify().ok


@pytest.mark.django_db
def test_rehashed_forgery_breaks_the_next_link():
    _record(3)
    from liuguan.core.audit import event_content, event_digest

    forged = AuditEvent.objects.get(id=2)
    forged.purpose = "forged"
    forged.hash = event_digest(forged.prev_hash, event_content(forged))
    forged.save()
    report = audit_verify()
    assert report.broken_id == 3 and "prev_hash" in report.reason


@pytest.mark.django_db
def test_verify_audit_command_exits_1_and_names_event(capsys):
    _record(2)
    call_command("verify_audit")
    assert "2 events verified" in capsys.readouterr().out
    AuditEvent.objects.filter(id=1).update(action="test.other")
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_audit")
    assert exit_info.value.code == 1
    assert "#1" in capsys.readouterr().err


@pytest.mark.django_db(transaction=True)
def test_audit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        audit_record(actor=SYSTEM, action="test.write")
    assert AuditEvent.objects.count() == 0


@pytest.mark.django_db
def test_event_rolls_back_with_its_write():
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        audit_record(actor=SYSTEM, action="test.write")
        1 / 0  # noqa: B018
    assert AuditEvent.objects.count() == 0
    _record(1)
    assert audit_verify().ok
